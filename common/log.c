/*
 * log.c - logging to syslog (facility mail, LOG_PID), optionally to stderr
 * (foreground), or else to a plain file (maillog_file, for hosts without
 * syslogd and for tests; it replaces both).
 *
 * Public: log_init, log_progname, log_set_file, log_info, log_warn,
 * log_fatal (exit PETREL_EX_TEMPFAIL), log_panic (abort), log_sanitize,
 * log_file_fd and log_syslog_close (for a child about to close every
 * other descriptor: keep the first, call the second so syslog reconnects
 * instead of writing into a reused descriptor number).
 * Lines are cut at LOG_LINE_MAX bytes; embedded CR/LF become blanks so one
 * event is always one line.  The file copy is written with one write() on an
 * O_APPEND descriptor, so lines from concurrent processes never interleave.
 * errno is preserved across every logging call, and "%m" works.
 * Security: callers pass untrusted client text through log_sanitize() first.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static char log_prog[64] = "petrel";
static char log_ident[80] = "petrel/petrel";
static char log_host[256];
static int log_stderr;		/* log_init's choice */
static int log_stderr_now;	/* that choice unless a file is in use */
static int log_fd = -1;
static int log_opened;
static pid_t log_pid;		/* cached; reset in the child after fork */
static int log_prefix_stale = 1;	/* new pid or name: redo log_to_file's */
static int log_syslog_ok = 1;	/* 0: no /dev/log here, or maillog_file in use */

/* After fork the child has a new pid. */
static void
log_forget_pid(void)
{
	log_pid = 0;
	log_prefix_stale = 1;
}

/* Our pid without a system call per log line. */
static long
log_getpid(void)
{
	static int registered;

	if (!registered) {
		(void)pthread_atfork(NULL, NULL, log_forget_pid);
		registered = 1;
	}
	if (log_pid == 0)
		log_pid = getpid();
	return (long)log_pid;
}

/* The log file's descriptor, or -1. */
int
log_file_fd(void)
{
	return log_fd;
}

/* Forget the syslog connection; the next line opens a new one. */
void
log_syslog_close(void)
{
	if (log_opened)
		closelog();
	log_opened = 0;
}

/* Remember the program name, open syslog and decide about stderr. */
void
log_init(const char *progname, int to_stderr)
{
	const char *s = strrchr(progname, '/');

	if (s != NULL)
		progname = s + 1;
	if (strncmp(progname, "petrel-", 7) == 0)
		progname += 7;
	snprintf(log_prog, sizeof(log_prog), "%s", progname);
	snprintf(log_ident, sizeof(log_ident), "petrel/%s", log_prog);
	log_stderr = to_stderr;
	log_prefix_stale = 1;
	log_stderr_now = to_stderr && log_fd < 0;
	if (log_opened)
		closelog();
	/* Without a syslog socket every syslog() call would try to connect
	 * again (a socket and a failed connect per line): skip it. */
	log_syslog_ok = access("/dev/log", W_OK) == 0;
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_opened = 1;
	if (gethostname(log_host, sizeof(log_host)) != 0)
		snprintf(log_host, sizeof(log_host), "localhost");
	log_host[sizeof(log_host) - 1] = '\0';
}

/* The short program name given to log_init ("smtpd"). */
const char *
log_progname(void)
{
	return log_prog;
}

/* Log to path instead of syslog and stderr (maillog_file, as Postfix: a
 * daemon in the foreground then writes each line once, to the file);
 * NULL or "" goes back to syslog, and to stderr when log_init asked. */
void
log_set_file(const char *path)
{
	int fd;

	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_syslog_ok = access("/dev/log", W_OK) == 0;
	log_stderr_now = log_stderr;
	if (path == NULL || *path == '\0')
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_warn("cannot open log file %s: %m", path);
		return;
	}
	log_fd = fd;
	log_syslog_ok = 0;
	log_stderr_now = 0;
	if (log_host[0] == '\0' && gethostname(log_host, sizeof(log_host)) != 0)
		snprintf(log_host, sizeof(log_host), "localhost");
}

/* Write the line to the log file with a timestamp, in one write().  The
 * parts before and after the microseconds ("2026-11-24T07:15:32." and
 * "+0000 host petrel/smtpd[123]: ") are formatted once per second (and
 * again after a fork or a new program name), so a line costs no printf. */
static void
log_to_file(const char *msg)
{
	static time_t ts_sec = (time_t)-1;
	static char head[64], tail[sizeof(log_host) + sizeof(log_ident) + 48];
	static size_t head_len, tail_len;
	char line[LOG_LINE_MAX + 512];
	size_t n, mlen = strlen(msg);
	struct timeval tv;
	struct tm tm;
	long usec;
	int k;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != ts_sec || log_prefix_stale) {
		char tz[16];

		localtime_r(&tv.tv_sec, &tm);
		head_len = strftime(head, sizeof(head) - 1, "%Y-%m-%dT%H:%M:%S",
		    &tm);
		head[head_len++] = '.';
		if (strftime(tz, sizeof(tz), "%z", &tm) == 0)
			tz[0] = '\0';
		k = snprintf(tail, sizeof(tail), "%s %s %s[%ld]: ", tz,
		    log_host, log_ident, log_getpid());
		tail_len = k < 0 ? 0 : (size_t)k < sizeof(tail) ? (size_t)k :
		    sizeof(tail) - 1;
		ts_sec = tv.tv_sec;
		log_prefix_stale = 0;
	}
	if (mlen > LOG_LINE_MAX)
		mlen = LOG_LINE_MAX;
	memcpy(line, head, head_len);
	n = head_len;
	usec = (long)tv.tv_usec;
	for (k = 5; k >= 0; k--) {
		line[n + (size_t)k] = (char)('0' + usec % 10);
		usec /= 10;
	}
	n += 6;
	memcpy(line + n, tail, tail_len);
	n += tail_len;
	memcpy(line + n, msg, mlen);
	n += mlen;
	line[n++] = '\n';
	if (write(log_fd, line, n) < 0)
		return;		/* nowhere left to complain */
}

/* Write the line to stderr in syslog's shape. */
static void
log_to_stderr(const char *msg)
{
	char line[LOG_LINE_MAX + 128];
	int n;

	n = snprintf(line, sizeof(line), "%s[%ld]: %s\n", log_ident,
	    log_getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void log_emit(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/* Format one event and send it to every destination. */
static void
log_emit(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	size_t plen = strlen(prefix);
	int save = errno;

	if (plen >= sizeof(msg))
		plen = 0;
	memcpy(msg, prefix, plen);
	errno = save;		/* for %m */
	if (vsnprintf(msg + plen, sizeof(msg) - plen, fmt, ap) < 0)
		msg[plen] = '\0';
	for (char *s = msg; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
	if (!log_opened) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_opened = 1;
	}
	if (log_syslog_ok)
		syslog(prio, "%s", msg);
	if (log_stderr_now || (log_stderr && prio <= LOG_CRIT))
		log_to_stderr(msg);	/* a fatal error shows on the terminal too */
	if (log_fd >= 0)
		log_to_file(msg);
	errno = save;
}

/* Log an informational event. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

/* Log a recoverable problem. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

/* Log a broken environment and exit with the temporary-failure code. */
void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(PETREL_EX_TEMPFAIL);
}

/* Log a broken invariant and abort (core dump for the developer). */
void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}

/* Copy untrusted text for logging: '?' for non-printables, "..." if cut. */
char *
log_sanitize(char *dst, size_t dstsize, const char *p, size_t len)
{
	size_t room, n, i;

	if (dstsize == 0)
		return dst;
	room = dstsize - 1;
	n = len <= room ? len : (room >= 3 ? room - 3 : room);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > room && room >= 3) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
	return dst;
}

/* log_sanitize for a value logged as "name=<value>": '<' and '>' become
 * '?' too, so the field always ends where a log reader expects. */
char *
log_sanitize_bracketed(char *dst, size_t dstsize, const char *p, size_t len)
{
	log_sanitize(dst, dstsize, p, len);
	for (char *q = dst; *q != '\0'; q++)
		if (*q == '<' || *q == '>')
			*q = '?';
	return dst;
}
