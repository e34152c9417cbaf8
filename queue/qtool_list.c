/*
 * qtool_list.c - walking the queues, and the queue listing.
 *
 * Public:
 *   qt_queues[]          maildrop, incoming, active, deferred, hold.
 *   qt_walk(queue, read_env, fn, arg)  fn for every complete queue file
 *                        with a queue-ID name in queue (sorted by name);
 *                        with read_env the file is opened and validated
 *                        (unreadable ones are skipped: in flight or corrupt,
 *                        which the check command handles).  -1 when the
 *                        directory cannot be read (maildrop/ for a non-root
 *                        caller: the spool group may not list it).
 *   qt_find(qid, &queue)  0 when the message is in one of qt_queues.
 *   qt_defer_text(qid)   defer/QID as a string (at most 1 MB), or NULL.
 *   qt_defer_lookup(text, addr, &len)  the reason for addr, or NULL.
 *   qt_list(json)        print the listing: Postfix's "postqueue -p" text
 *                        format byte for byte (header, "QID[*!] size
 *                        asctime-20 sender", "(reason)" lines right-aligned
 *                        to column 78 when the reason changes, recipients
 *                        indented 41 columns, blank line between messages,
 *                        "-- N Kbytes in M Request(s)." or "Mail queue is
 *                        empty"), or JSON lines with postqueue -j's fields.
 * Arrival times are local time, as Postfix prints them.  Only pending
 * recipients are listed.  The null sender shows as MAILER-DAEMON.
 * Security: runs with the spool group (read access); message contents are
 * never read here; addresses and reasons are printed with control
 * characters replaced ('?') or JSON-escaped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "spool.h"
#include "qtool.h"

#define QT_DEFER_MAX (1024 * 1024)

const char *const qt_queues[] = { SPOOL_MAILDROP, SPOOL_INCOMING,
    SPOOL_ACTIVE, SPOOL_DEFERRED, SPOOL_HOLD, NULL };

/* scandir filter: queue-ID names only. */
static int
qt_qid_filter(const struct dirent *de)
{
	return qfile_valid_qid(de->d_name);
}

/* Open and validate one queue file into e; 0 or -1. */
static int
qt_open(const char *queue, struct qt_entry *e)
{
	char path[4096];
	const char *err;
	struct stat st;

	if (spool_path(path, sizeof(path), queue, e->qid) < 0 ||
	    (e->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(e->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0100) == 0 ||
	    qfile_read_envelope(e->fd, &e->env, &err) < 0) {
		close(e->fd);
		e->fd = -1;
		return -1;
	}
	return 0;
}

/* Call fn for every queue-ID-named file of one queue. */
int
qt_walk(const char *queue, int read_env, qt_walk_fn fn, void *arg)
{
	char path[4096];
	struct dirent **names;
	int n;

	if (spool_path(path, sizeof(path), queue, "") < 0 ||
	    (n = scandir(path, &names, qt_qid_filter, alphasort)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct qt_entry e = { queue, names[i]->d_name, -1, NULL };

		if (!read_env || qt_open(queue, &e) == 0)
			fn(arg, &e);
		if (e.env != NULL)
			qfile_env_free(&e.env);
		if (e.fd >= 0)
			close(e.fd);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Which queue holds qid; 0, or -1 when none does. */
int
qt_find(const char *qid, const char **queue_r)
{
	char path[4096];
	struct stat st;

	for (int i = 0; qt_queues[i] != NULL; i++)
		if (spool_path(path, sizeof(path), qt_queues[i], qid) == 0 &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			*queue_r = qt_queues[i];
			return 0;
		}
	return -1;
}

/* defer/QID as a NUL-terminated string, or NULL. */
char *
qt_defer_text(const char *qid)
{
	char path[4096];
	struct buf *b;
	char chunk[8192], *s;
	ssize_t r;
	int fd;

	if (spool_path(path, sizeof(path), SPOOL_DEFER, qid) < 0 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return NULL;
	b = buf_new(1024, QT_DEFER_MAX);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)r) < 0)
			break;
	close(fd);
	s = xstrdup(buf_cstr(b));
	buf_free(&b);
	return s;
}

/* The reason recorded for addr in defer text, with its length. */
const char *
qt_defer_lookup(const char *text, const char *addr, size_t *len_r)
{
	size_t al = strlen(addr);

	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (ll > al && p[al] == '\t' && strncmp(p, addr, al) == 0) {
			*len_r = ll - al - 1;
			return p + al + 1;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}

/* Print text with control bytes as '?' (like Postfix's printable()). */
static void
qt_put_printable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		putchar((unsigned char)p[i] < ' ' || p[i] == 0x7f ? '?' : p[i]);
}

/* Print a JSON string body (RFC 8259 escapes). */
static void
qt_put_json(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < ' ' || c == 0x7f)
			printf("\\u%04X", c);
		else
			putchar(c);
	}
}

struct qt_listing {
	int json;
	unsigned long count;
	unsigned long long bytes;
};

/* The sender as listed. */
static const char *
qt_sender(const struct qfile_env *env)
{
	return env->sender[0] == '\0' ? "MAILER-DAEMON" : env->sender;
}

/* One message in the postqueue -p text format. */
static void
qt_list_text(const struct qt_entry *e, const char *defer)
{
	char id[QFILE_QID_MAX + 2], when[32];
	const char *saved = "", *why;
	size_t saved_len = 0, why_len;
	time_t t = e->env->arrival_sec;
	struct tm tm;

	snprintf(id, sizeof(id), "%s%c", e->qid,
	    strcmp(e->queue, SPOOL_ACTIVE) == 0 ? '*' :
	    strcmp(e->queue, SPOOL_HOLD) == 0 ? '!' : ' ');
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S ", &tm) == 0)
		snprintf(when, sizeof(when), "%-20s", "?");
	printf("%-11s %7lld %20.20s ", id, (long long)e->env->content_len, when);
	qt_put_printable(qt_sender(e->env), strlen(qt_sender(e->env)));
	putchar('\n');
	for (size_t i = 0; i < e->env->nrcpts; i++) {
		const struct qfile_rcpt *r = &e->env->rcpts[i];

		if (r->status != QFILE_RCPT_PENDING)
			continue;
		why = defer ? qt_defer_lookup(defer, r->addr, &why_len) : NULL;
		if (why == NULL) {
			why = "";
			why_len = 0;
		}
		if (why_len != saved_len || strncmp(why, saved, why_len) != 0) {
			const char *show = why_len ? why : "reason unavailable";
			size_t sl = why_len ? why_len : strlen(show);
			int pad = sl < 76 ? 76 - (int)sl : 0;

			printf("%*s(", pad, "");
			qt_put_printable(show, sl);
			fputs(")\n", stdout);
			saved = why;
			saved_len = why_len;
		}
		printf("%41s", "");
		qt_put_printable(r->addr, strlen(r->addr));
		putchar('\n');
	}
}

/* One message as a postqueue -j JSON object. */
static void
qt_list_json(const struct qt_entry *e, const char *defer)
{
	const char *why, *s = qt_sender(e->env);
	size_t why_len;
	int n = 0;

	printf("{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
	    "\"arrival_time\": %lld, \"message_size\": %lld, "
	    "\"forced_expire\": %s, \"sender\": \"", e->queue, e->qid,
	    (long long)e->env->arrival_sec, (long long)e->env->content_len,
	    defer != NULL && strncmp(defer, "#expire\n", 8) == 0 ? "true" :
	    defer != NULL && strstr(defer, "\n#expire\n") != NULL ? "true" :
	    "false");
	qt_put_json(s, strlen(s));
	fputs("\", \"recipients\": [", stdout);
	for (size_t i = 0; i < e->env->nrcpts; i++) {
		const struct qfile_rcpt *r = &e->env->rcpts[i];

		if (r->status != QFILE_RCPT_PENDING)
			continue;
		printf("%s{\"address\": \"", n++ ? ", " : "");
		qt_put_json(r->addr, strlen(r->addr));
		putchar('"');
		why = defer ? qt_defer_lookup(defer, r->addr, &why_len) : NULL;
		if (why != NULL && why_len > 0) {
			fputs(", \"delay_reason\": \"", stdout);
			qt_put_json(why, why_len);
			putchar('"');
		}
		putchar('}');
	}
	fputs("]}\n", stdout);
}

/* Walk callback: list one message. */
static void
qt_list_one(void *arg, struct qt_entry *e)
{
	struct qt_listing *l = arg;
	char *defer = qt_defer_text(e->qid);

	if (l->json) {
		qt_list_json(e, defer);
	} else {
		if (l->count == 0)
			printf("%-11s %7s %-20s %s\n", "-Queue ID-", "--Size--",
			    "----Arrival Time----", "-Sender/Recipient-------");
		else
			putchar('\n');
		qt_list_text(e, defer);
	}
	l->count++;
	l->bytes += (unsigned long long)e->env->content_len;
	free(defer);
}

/* List every queue. */
int
qt_list(int json)
{
	struct qt_listing l = { json, 0, 0 };

	for (int i = 0; qt_queues[i] != NULL; i++)
		(void)qt_walk(qt_queues[i], 1, qt_list_one, &l);
	if (!json && l.count == 0)
		puts("Mail queue is empty");
	else if (!json)
		printf("\n-- %llu Kbytes in %lu Request%s.\n", l.bytes / 1024,
		    l.count, l.count == 1 ? "" : "s");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "petrel-qtool: output write error\n");
		return QT_EX_FAIL;
	}
	return QT_EX_OK;
}
