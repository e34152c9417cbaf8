/*
 * user_tool.c - petrel-user: manage virtual mail users (POP3/IMAP logins).
 *
 *   petrel-user [-f conf] add ADDRESS [PASSWORD]
 *   petrel-user [-f conf] passwd ADDRESS [PASSWORD]
 *   petrel-user [-f conf] del ADDRESS
 *   petrel-user [-f conf] list
 * Without PASSWORD one line is read from standard input (so the password
 * stays out of ps(1) and shell history).  The yescrypt hash goes to the
 * text source of the first map in user_password_maps ("address hash"
 * lines); "add" also writes "address domain/localpart/" to the first map of
 * virtual_mailbox_maps; "del" removes both.  hash:/btree: maps are rebuilt
 * after every change.  Exit: 0 ok, 1 refused or failed, 64 usage, 75
 * configuration error.
 *
 * Security: run as root.  The password source and map are mode 0640, group
 * of auth_user (when it exists): only root and petrel-auth read them.  Files are rewritten atomically (temp file, fsync, rename) under
 * an flock on their directory, so concurrent petrel-user runs do not lose
 * updates and readers never see a partial file.  Addresses are lower-cased
 * and restricted to characters that are safe in a maildir path; the domain
 * must be listed in virtual_mailbox_domains.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "params.h"
#include "password.h"
#include "strutil.h"

#define EXIT_USAGE 64
#define PW_LINE_MAX 1024
#define SOURCE_MAX (64 * 1024 * 1024)

/* The first map of a list: its spec, text source path, DB or not. */
struct user_map {
	char *spec;
	const char *path;	/* inside spec */
	int is_db;
};

enum user_edit {
	EDIT_ADD,		/* the key must not exist yet */
	EDIT_REPLACE,		/* the key must exist */
	EDIT_DELETE,		/* the key must exist; removed */
	EDIT_ENSURE,		/* add unless it exists */
	EDIT_ENSURE_GONE	/* remove if it exists */
};

/* Print "what: why" and return the failure exit code. */
static int
fail(const char *what, const char *why)
{
	if (why != NULL)
		fprintf(stderr, "petrel-user: %s: %s\n", what, why);
	else
		fprintf(stderr, "petrel-user: %s\n", what);
	return 1;
}

/* Is c allowed in a local part we turn into a directory name? */
static int
local_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    strchr("._-+=", c) != NULL;
}

/* Check a lower-cased address; NULL or the reason it is refused. */
static const char *
address_problem(const char *addr)
{
	const char *at = strchr(addr, '@'), *p;

	if (at == NULL || at == addr || at[1] == '\0' || at - addr > 64 ||
	    strlen(at + 1) > 253)
		return "expected localpart@domain";
	for (p = addr; p < at; p++)
		if (!local_char_ok((unsigned char)*p))
			return "local part may hold only a-z 0-9 . _ - + =";
	for (p = at + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.'))
			return "bad character in domain";
	if (addr[0] == '.' || at[-1] == '.' || at[1] == '.' ||
	    at[1] == '-' || strstr(addr, "..") != NULL)
		return "misplaced '.' or '-'";
	return NULL;
}

/* Is domain one of virtual_mailbox_domains? */
static int
domain_is_virtual(const char *domain)
{
	char **list = config_list(var_virtual_mailbox_domains);
	int found = 0;

	for (char **p = list; p != NULL && *p != NULL && !found; p++)
		found = strcasecmp(*p, domain) == 0;
	config_list_free(&list);
	return found;
}

/* The password: from argv or one line of standard input. */
static char *
read_password(const char *arg)
{
	char line[PW_LINE_MAX + 2];
	size_t n;

	if (arg != NULL)
		return xstrdup(arg);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	n = strcspn(line, "\r\n");
	if (n > PW_LINE_MAX) {
		explicit_bzero(line, sizeof(line));
		return NULL;
	}
	line[n] = '\0';
	char *pw = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return pw;
}

/* Split the first "type:path" of a map list; 0 or -1. */
static int
first_map(const char *list, struct user_map *um)
{
	char **v = config_list(list);
	int rc = -1;

	if (v != NULL && v[0] != NULL && strchr(v[0], ':') != NULL &&
	    strchr(v[0], ':')[1] != '\0') {
		um->spec = xstrdup(v[0]);
		um->path = strchr(um->spec, ':') + 1;
		um->is_db = strncmp(um->spec, "hash:", 5) == 0 ||
		    strncmp(um->spec, "btree:", 6) == 0;
		rc = 0;
	}
	config_list_free(&v);
	return rc;
}

/* Read a whole source file into b; a missing file is empty. */
static int
read_source(const char *path, struct buf *b)
{
	char chunk[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(b, chunk, (size_t)n) < 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (b->len > 0 && b->data[b->len - 1] != '\n' &&
	    buf_append_char(b, '\n') < 0)
		return -1;
	return 0;
}

/* Does this source line start an entry whose key is key? */
static int
line_is_entry(const char *p, size_t n, const char *key)
{
	size_t k = 0, klen = strlen(key);

	while (k < n && p[k] != ' ' && p[k] != '\t' && p[k] != '\n')
		k++;
	return k == klen && str_casecmp_n(p, k, key) == 0;
}

/* Copy src to out without key's entries (and their continuation lines);
 * returns how many entries were dropped. */
static int
drop_entries(const struct buf *src, const char *key, struct buf *out)
{
	const char *p = src->data, *end = src->data + src->len;
	int dropped = 0, skipping = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p) + 1;
		int cont = p[0] == ' ' || p[0] == '\t';

		if (!cont)
			skipping = line_is_entry(p, n, key);
		dropped += skipping && !cont;
		if (!skipping && buf_append(out, p, n) < 0)
			return -1;
		p += n;
	}
	return dropped;
}

/* Write data to path atomically with the given mode and group. */
static int
write_atomic(const char *path, const struct buf *data, mode_t mode, gid_t gid)
{
	char tmp[4200];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (fchmod(fd, mode) < 0 ||
	    (geteuid() == 0 && fchown(fd, 0, gid) < 0))
		rc = -1;
	for (size_t off = 0; rc == 0 && off < data->len;) {
		ssize_t n = write(fd, data->data + off, data->len - off);
		if (n < 0 && errno != EINTR)
			rc = -1;
		else if (n > 0)
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -1;
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		(void)unlink(tmp);
	return rc;
}

/* Lock the directory holding path; returns the fd to close, or -1. */
static int
lock_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	free(copy);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Apply one edit to a map source and rebuild the map. */
static int
user_map_edit(const struct user_map *um, const char *key, const char *line,
    enum user_edit how, mode_t mode, gid_t gid)
{
	struct buf *src = buf_new(4096, SOURCE_MAX);
	struct buf *out = buf_new(4096, SOURCE_MAX);
	const char *err = NULL;
	int found, rc = -1, lockfd = lock_dir_of(um->path);

	if (lockfd < 0 || read_source(um->path, src) < 0) {
		fail(um->path, strerror(errno));
		goto done;
	}
	found = drop_entries(src, key, out);
	if (found < 0) {
		fail(um->path, "file too large");
		goto done;
	}
	if ((how == EDIT_ADD && found > 0) || (found == 0 &&
	    (how == EDIT_REPLACE || how == EDIT_DELETE))) {
		fprintf(stderr, "petrel-user: %s: %s %s\n", um->path, key,
		    found > 0 ? "already exists" : "not found");
		goto done;
	}
	if ((how == EDIT_ENSURE && found > 0) ||
	    (how == EDIT_ENSURE_GONE && found == 0)) {
		rc = 0;
		goto done;
	}
	if (line != NULL && buf_printf(out, "%s\n", line) < 0)
		goto done;
	if (write_atomic(um->path, out, mode, gid) < 0)
		fail(um->path, strerror(errno));
	else if (um->is_db && map_build(um->spec, NULL, 0, &err) < 0)
		fail(um->spec, err);
	else
		rc = 0;
done:
	if (lockfd >= 0)
		close(lockfd);
	buf_free(&src);
	buf_free(&out);
	return rc;
}

/* Group for the password file: auth_user's, else root's. */
static gid_t
password_gid(void)
{
	struct passwd *pw = getpwnam(var_auth_user ? var_auth_user : "");

	return pw != NULL ? pw->pw_gid : 0;
}

/* add: "address domain/localpart/" unless the address has a mailbox. */
static int
user_add_mailbox(const struct user_map *vm, const char *addr)
{
	const char *at = strchr(addr, '@');
	char line[1024];

	snprintf(line, sizeof(line), "%s %s/%.*s/", addr, at + 1,
	    (int)(at - addr), addr);
	return user_map_edit(vm, addr, line, EDIT_ENSURE, 0644, 0) == 0 ? 0 : 1;
}

/* add / passwd: hash the password and store it (add: also the mailbox). */
static int
cmd_set(const char *addr, const char *arg, int adding)
{
	struct user_map pwm = { 0 }, vm = { 0 };
	const char *err = NULL;
	char *plain, *hash, line[2048];
	int rc = 1;

	if (first_map(var_user_password_maps, &pwm) < 0)
		return fail("user_password_maps names no map", NULL);
	if (adding && first_map(var_virtual_mailbox_maps, &vm) < 0) {
		free(pwm.spec);
		return fail("virtual_mailbox_maps names no map", NULL);
	}
	if ((plain = read_password(arg)) == NULL || plain[0] == '\0')
		rc = fail("no password given", NULL);
	else if ((hash = password_hash(plain, &err)) == NULL)
		rc = fail(err, NULL);
	else {
		snprintf(line, sizeof(line), "%s %s", addr, hash);
		free(hash);
		if (user_map_edit(&pwm, addr, line, adding ? EDIT_ADD :
		    EDIT_REPLACE, 0640, password_gid()) == 0)
			rc = adding ? user_add_mailbox(&vm, addr) : 0;
	}
	if (plain != NULL) {
		explicit_bzero(plain, strlen(plain));
		free(plain);
	}
	free(pwm.spec);
	free(vm.spec);
	return rc;
}

/* del: remove the password and the mailbox entry. */
static int
cmd_del(const char *addr)
{
	struct user_map pwm = { 0 }, vm = { 0 };
	int rc = 1;

	if (first_map(var_user_password_maps, &pwm) < 0)
		return fail("user_password_maps names no map", NULL);
	if (user_map_edit(&pwm, addr, NULL, EDIT_DELETE, 0640,
	    password_gid()) == 0) {
		rc = 0;
		if (first_map(var_virtual_mailbox_maps, &vm) == 0 &&
		    user_map_edit(&vm, addr, NULL, EDIT_ENSURE_GONE, 0644,
		    0) < 0)
			rc = 1;
	}
	free(pwm.spec);
	free(vm.spec);
	return rc;
}

/* list: every address in the password source. */
static int
cmd_list(void)
{
	struct user_map pwm = { 0 };
	struct buf *src = buf_new(4096, SOURCE_MAX);
	int rc = 0;

	if (first_map(var_user_password_maps, &pwm) < 0)
		rc = fail("user_password_maps names no map", NULL);
	else if (read_source(pwm.path, src) < 0)
		rc = fail(pwm.path, strerror(errno));
	for (const char *p = src->data, *end = p + src->len; rc == 0 && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = strcspn(p, " \t\n");
		if (p[0] != '#' && k > 0)
			printf("%.*s\n", (int)k, p);
		p = nl + 1;
	}
	buf_free(&src);
	free(pwm.spec);
	return rc;
}

/* Validate and lower-case the address argument; NULL after an error. */
static char *
checked_address(const char *arg)
{
	char *addr = str_lower(xstrdup(arg));
	const char *why = address_problem(addr);

	if (why == NULL && !domain_is_virtual(strchr(addr, '@') + 1))
		why = "domain is not in virtual_mailbox_domains";
	if (why != NULL) {
		fail(arg, why);
		free(addr);
		return NULL;
	}
	return addr;
}

/* Print usage and return the usage exit code. */
static int
usage(void)
{
	fprintf(stderr, "usage: petrel-user [-f conf] add ADDRESS [PASSWORD]\n"
	    "       petrel-user [-f conf] passwd ADDRESS [PASSWORD]\n"
	    "       petrel-user [-f conf] del ADDRESS\n"
	    "       petrel-user [-f conf] list\n");
	return EXIT_USAGE;
}

/* Run one command with its arguments (argv[0] is the command). */
static int
run_command(int argc, char **argv)
{
	char *addr;
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list();
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[0], "del") == 0))
		return usage();
	if (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "passwd") != 0 &&
	    strcmp(argv[0], "del") != 0)
		return usage();
	if ((addr = checked_address(argv[1])) == NULL)
		return 1;
	if (strcmp(argv[0], "del") == 0)
		rc = cmd_del(addr);
	else
		rc = cmd_set(addr, argc == 3 ? argv[2] : NULL,
		    strcmp(argv[0], "add") == 0);
	free(addr);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *err = NULL;
	int c;

	log_init("user", 1);
	umask(077);
	while ((c = getopt(argc, argv, "+f:")) != -1) {
		if (c == 'f')
			conf = optarg;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	if (config_load(conf, &err) < 0) {
		fprintf(stderr, "petrel-user: %s\n", err);
		return PETREL_EX_TEMPFAIL;
	}
	return run_command(argc - optind, argv + optind);
}
