/*
 * sandbox.c - see sandbox.h: PR_SET_NO_NEW_PRIVS and the seccomp
 * allowlists (built with libseccomp, which knows every architecture's
 * system call numbers and the audit arch check).
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "params.h"
#include "sandbox.h"
#include "sanitizer.h"


/* Every profile: I/O on open descriptors, sockets, polling, memory,
 * signals, time, process facts, reading files. */
static const char *const sandbox_base[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek",
	"close", "dup", "dup2", "dup3", "fcntl", "ioctl", "pipe", "pipe2",
	"socket", "socketpair", "connect", "accept", "accept4", "bind",
	"listen", "shutdown", "getsockname", "getpeername", "getsockopt",
	"setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "poll", "ppoll", "select", "pselect6", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd2", "brk", "mmap", "munmap", "mremap",
	"mprotect", "madvise", "futex", "set_robust_list", "rseq",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "sigaltstack", "restart_syscall", "kill", "tgkill",
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday",
	"time", "nanosleep", "getpid", "getppid", "gettid", "getuid",
	"geteuid", "getgid", "getegid", "getgroups", "getresuid",
	"getresgid", "getrlimit", "prlimit64", "getrusage", "uname",
	"sysinfo", "getrandom", "sched_yield", "sched_getaffinity",
	"getcwd", "open", "openat", "stat", "fstat", "lstat", "newfstatat",
	"statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents64", "exit", "exit_group",
	"wait4", "alarm", "setitimer", "getitimer", "umask", "fadvise64",
	"membarrier", "sched_getparam", "sched_getscheduler", NULL
};

/* SANDBOX_MAIL adds what a maildir owner does to file names. */
static const char *const sandbox_mail[] = {
	"creat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"link", "linkat", "mkdir", "mkdirat", "rmdir", "fsync", "fdatasync",
	"ftruncate", "flock", "inotify_init", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "utimensat", "fchmod",
	"sync_file_range", "fallocate", "chdir", "fchdir", NULL
};

/* SANDBOX_NET_DB adds locking and syncing a database file. */
static const char *const sandbox_db[] = {
	"flock", "fsync", "fdatasync", NULL
};

/* Set PR_SET_NO_NEW_PRIVS. */
int
sandbox_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Allow every call named in list (names this libseccomp or this
 * architecture does not know are skipped). */
static int
sandbox_allow(scmp_filter_ctx ctx, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(list[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -1;
	}
	return 0;
}

/* no_new_privs, then the profile's filter (see sandbox.h). */
int
sandbox_enter(enum sandbox_profile profile, const char **errstr_r)
{
	scmp_filter_ctx ctx;
	int r;

	if (sandbox_no_new_privs() < 0) {
		*errstr_r = "prctl(PR_SET_NO_NEW_PRIVS) failed";
		return -1;
	}
	if (profile == SANDBOX_NONE || !var_seccomp || SANITIZER_BUILD)
		return 0;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		*errstr_r = "seccomp_init failed";
		return -1;
	}
	r = sandbox_allow(ctx, sandbox_base);
	if (r == 0 && profile == SANDBOX_MAIL)
		r = sandbox_allow(ctx, sandbox_mail);
	if (r == 0 && profile == SANDBOX_NET_DB)
		r = sandbox_allow(ctx, sandbox_db);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		*errstr_r = "cannot load the seccomp filter";
		return -1;
	}
	return 0;
}
