/*
 * login_spawn.c - the spawner of petrel-imapd and petrel-pop3d (login.h):
 * the one root process of a daemon that turns a logged-in connection
 * into a session process running as the mailbox owner; and -S mode's
 * way to the same owner.
 *
 * Public: login_spawner_main(p, fd) (the skeleton's helper; never
 * returns), login_handoff_setup() (pre_drop, root: the socket pair
 * between the login processes and the spawner), login_local_owner()
 * (-S: resolve the maildir and, when root, become its owner; 0 or -1).
 * For each handoff record (handoff.h) from a login process the spawner
 * redeems the login cookie with petrel-auth (so the user comes from the
 * password service, never from the login process), finds the user's
 * maildir and owner (resolve_login_maildir), refuses past the protocol's
 * max_userip sessions of one user from one address and past its
 * session_limit sessions in all, then forks: the child gives up root for
 * the owner's uid and gid (no other groups), enters the SANDBOX_MAIL
 * seccomp profile (sandbox.h) and runs the protocol's session; it dies
 * with the spawner (PR_SET_PDEATHSIG, set after the
 * change of ids, which clears it).  The login line is logged here, with
 * the session's pid:
 *   <name>-login: Login: user=<u>, method=PLAIN, rip=.., lip=.., mpid=N[, TLS]
 * A session's connection keeps counting against its client's connection
 * limit (login_climit.c): the spawner gives the slot of the socket it
 * received to the session it forks, frees it when it refuses the login,
 * and frees it when the session exits, before collecting its pid.
 * SIGHUP re-reads the configuration (the skeleton sends it on reload
 * instead of restarting us: every session is our child); SIGTERM ends
 * the spawner and with it every session.
 * Security: runs as root and reads records from processes that talk to
 * the network: handoff_recv bounds and checks every record; nothing but
 * a redeemed cookie names a user.  Replies written here (the protocol's
 * refusal lines) go to a client whose login was accepted but cannot be
 * served.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "auth_client.h"
#include "config.h"
#include "login.h"
#include "log.h"
#include "privs.h"
#include "resolve.h"
#include "sandbox.h"
#include "server.h"

#define SPAWN_LIMIT_WAIT_MS 1000

struct spawn_child {
	pid_t pid;
	long climit_slot;	/* login_climit.c; -1 none */
	char user[256];
	char rip[64];
};

static struct spawn_child *spawn_kids;
static size_t spawn_nkids, spawn_capkids;
static int spawn_sig[2] = { -1, -1 };
static volatile sig_atomic_t spawn_hup, spawn_term;
static struct resolver *spawn_resolver;

int login_handoff_fd = -1;

/* Signals become bytes on the self-pipe. */
static void
spawn_on_signal(int sig)
{
	char b = 's';
	int saved = errno;

	if (sig == SIGHUP)
		spawn_hup = 1;
	else if (sig == SIGTERM || sig == SIGINT)
		spawn_term = 1;
	if (write(spawn_sig[1], &b, 1) < 0)
		(void)0;	/* a full pipe: a wake-up is pending anyway */
	errno = saved;
}

/* Install the handlers and the self-pipe. */
static void
spawn_signals(void)
{
	struct sigaction sa;

	if (pipe2(spawn_sig, O_CLOEXEC | O_NONBLOCK) != 0)
		log_fatal("pipe: %m");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = spawn_on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sessions of user from rip now. */
static long
spawn_count(const char *user, const char *rip)
{
	long n = 0;

	for (size_t i = 0; i < spawn_nkids; i++)
		if (strcmp(spawn_kids[i].user, user) == 0 &&
		    strcmp(spawn_kids[i].rip, rip) == 0)
			n++;
	return n;
}

/* Remember a new session. */
static void
spawn_add(pid_t pid, const char *user, const char *rip, long climit_slot)
{
	struct spawn_child *k;

	if (spawn_nkids == spawn_capkids) {
		spawn_capkids = spawn_capkids ? spawn_capkids * 2 : 64;
		spawn_kids = xreallocarray(spawn_kids, spawn_capkids,
		    sizeof(*spawn_kids));
	}
	k = &spawn_kids[spawn_nkids++];
	k->pid = pid;
	k->climit_slot = climit_slot;
	snprintf(k->user, sizeof(k->user), "%s", user);
	snprintf(k->rip, sizeof(k->rip), "%s", rip);
}

/* Forget an ended session; its connection no longer counts. */
static void
spawn_forget(pid_t pid)
{
	for (size_t i = 0; i < spawn_nkids; i++)
		if (spawn_kids[i].pid == pid) {
			login_climit_ended(spawn_kids[i].climit_slot, pid);
			spawn_kids[i] = spawn_kids[--spawn_nkids];
			break;
		}
}

/* Collect ended sessions.  Each is looked at before it is collected, so
 * that its count is gone before its pid (a client that saw its session
 * end may reconnect at once). */
static void
spawn_reap(void)
{
	siginfo_t si;
	pid_t pid;
	int status;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    si.si_pid <= 0)
			break;
		spawn_forget(si.si_pid);
		if ((pid = waitpid(si.si_pid, &status, 0)) != si.si_pid)
			break;
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
		    WTERMSIG(status) != SIGINT)
			log_warn("session %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
	}
}

/* Whether user+rip has its maximum of sessions.  A client that has just
 * closed some may reconnect before those sessions have exited: at the
 * limit, wait for ending sessions a little (SPAWN_LIMIT_WAIT_MS at most,
 * only on this path) before saying no. */
static int
spawn_over_limit(const char *user, const char *rip)
{
	struct pollfd pfd;
	char junk[64];

	for (int waited = 0; waited < SPAWN_LIMIT_WAIT_MS; waited += 50) {
		spawn_reap();
		if (spawn_count(user, rip) < *login_proto->max_userip)
			return 0;
		pfd.fd = spawn_sig[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) > 0)
			while (read(spawn_sig[0], junk, sizeof(junk)) > 0)
				continue;
	}
	return 1;
}

/* Tell a client that its login cannot be served; then close it. */
static void
spawn_refuse(int fd, const struct handoff *h, enum login_refusal why)
{
	char line[512];
	int n = login_proto->refusal(line, sizeof(line), h, why);

	login_climit_refused(fd);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* The child: become the owner and serve the session. */
__attribute__((noreturn))
static void
spawn_child_main(int fd, const struct handoff *h, const char *user,
    const char *maildir, uid_t uid, gid_t gid, pid_t spawner)
{
	const char *err = NULL;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	close(spawn_sig[0]);
	close(spawn_sig[1]);
	login_climit_child();
	resolver_free(&spawn_resolver);	/* the session needs no map */
	if (privs_is_root() && privs_drop_ids(uid, gid, &err) != 0)
		log_fatal("session for %s: %s", user, err);
	/* After the drop: a change of ids clears the parent-death signal.
	 * A spawner gone before this point is seen by getppid(). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		log_fatal("prctl: %m");
	if (getppid() != spawner)
		exit(0);
	if (sandbox_enter(SANDBOX_MAIL, &err) < 0)
		log_fatal("session for %s: %s", user, err);
	login_proto->session(fd, fd, h, user, maildir);
}

/* Redeem, look up, check limits, fork. */
static void
spawn_one(int sock, int fd, const struct handoff *h)
{
	char user[256], *maildir = NULL;
	const char *err = NULL;
	pid_t spawner = getpid();
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int rc;

	rc = auth_client_redeem(h->cookie, user, sizeof(user), &err);
	if (rc <= 0) {
		log_warn("%s-login: login cookie from a login process not "
		    "accepted: %s", login_proto->name,
		    rc < 0 && err != NULL ? err : "unknown");
		spawn_refuse(fd, h, LOGIN_REFUSE_INTERNAL);
		return;
	}
	rc = resolve_login_maildir(spawn_resolver, user, &maildir, &uid, &gid,
	    &err);
	if (rc <= 0) {
		log_warn("%s: no mailbox for %s%s%s", login_proto->name, user,
		    err ? ": " : "", err ? err : "");
		spawn_refuse(fd, h, LOGIN_REFUSE_NO_MAILBOX);
		return;
	}
	if (spawn_over_limit(user, h->rip)) {
		log_info("%s-login: Maximum number of connections from "
		    "user+IP exceeded (%sd_max_userip_connections=%ld): "
		    "user=<%s>, rip=%s", login_proto->name, login_proto->name,
		    *login_proto->max_userip, user, h->rip);
		spawn_refuse(fd, h, LOGIN_REFUSE_LIMIT);
		free(maildir);
		return;
	}
	if ((long)spawn_nkids >= *login_proto->session_limit) {
		log_warn("%sd_session_limit (%ld) reached", login_proto->name,
		    *login_proto->session_limit);
		spawn_refuse(fd, h, LOGIN_REFUSE_BUSY);
		free(maildir);
		return;
	}
	if ((pid = fork()) == 0) {
		close(sock);
		spawn_child_main(fd, h, user, maildir, uid, gid, spawner);
	}
	if (pid < 0) {
		log_warn("fork: %m");
		spawn_refuse(fd, h, LOGIN_REFUSE_INTERNAL);
	} else {
		spawn_add(pid, user, h->rip, login_climit_session(fd, pid));
		log_info("%s-login: Login: user=<%s>, method=%s, rip=%s, "
		    "lip=%s, mpid=%ld%s", login_proto->name, user, h->method,
		    h->rip, h->lip, (long)pid, h->tls ? ", TLS" : "");
		close(fd);
	}
	free(maildir);
}

/* Re-read the configuration after a reload. */
static void
spawn_reload(void)
{
	const char *err = NULL;

	spawn_hup = 0;
	if (config_load(server_config_path(), &err) != 0)
		log_warn("reload: %s", err != NULL ? err : "error");
}

/* Wait for a record or a signal; handle what came. */
static void
spawn_wait(int sock)
{
	static struct handoff h;
	struct pollfd pfd[2];
	const char *err = NULL;
	char junk[64];
	int fd, rc;

	if (spawn_hup)
		spawn_reload();		/* its byte may have been read already */
	pfd[0].fd = sock;
	pfd[0].events = POLLIN;
	pfd[1].fd = spawn_sig[0];
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, -1) < 0 && errno != EINTR)
		log_fatal("poll: %m");
	while (read(spawn_sig[0], junk, sizeof(junk)) > 0)
		continue;
	spawn_reap();
	if (spawn_hup)
		spawn_reload();
	if (spawn_term || !(pfd[0].revents & (POLLIN | POLLHUP)))
		return;
	rc = handoff_recv(sock, &fd, &h, &err);
	if (rc == 0)
		spawn_term = 1;		/* every login process and the parent gone */
	else if (rc < 0)
		log_warn("handoff: %s", err != NULL ? err : "error");
	else
		spawn_one(sock, fd, &h);
}

/* The spawner's life. */
void
login_spawner_main(const struct login_proto *p, int fd)
{
	const char *err = NULL;

	login_proto = p;
	login_climit_spawner();
	spawn_signals();
	if ((spawn_resolver = resolver_new(&err)) == NULL)
		log_fatal("cannot open lookup maps: %s", err ? err : "error");
	while (!spawn_term)
		spawn_wait(fd);
	for (size_t i = 0; i < spawn_nkids; i++)
		(void)kill(spawn_kids[i].pid, SIGTERM);
	resolver_free(&spawn_resolver);
	exit(0);
}

/* Root, before the pool: the socket pair of the login processes (this
 * end, inherited by them) and the spawner (the helper's end). */
void
login_handoff_setup(void)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
		log_fatal("socketpair: %m");
	login_handoff_fd = sp[0];
	server_helper_fd(sp[1]);
}

/* -S: find user's maildir and, when root, become its owner for good;
 * 1, 0 no mailbox, -1 an error (*errstr_r). */
int
login_local_owner(const char *user, char **maildir_r, const char **errstr_r)
{
	struct resolver *r;
	uid_t uid;
	gid_t gid;
	int rc;

	*maildir_r = NULL;
	if ((r = resolver_new(errstr_r)) == NULL)
		return -1;
	rc = resolve_login_maildir(r, user, maildir_r, &uid, &gid, errstr_r);
	resolver_free(&r);
	if (rc > 0 && privs_is_root() && privs_drop_ids(uid, gid, errstr_r) != 0)
		rc = -1;
	if (rc <= 0) {
		free(*maildir_r);
		*maildir_r = NULL;
	}
	return rc;
}
