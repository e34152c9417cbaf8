/*
 * log.h - logging to syslog (LOG_MAIL, LOG_PID) and, in the foreground, stderr.
 *
 * Public:
 *   log_init(progname, to_stderr)  ident becomes "petrel/<progname>".
 *   log_set_file(path)             log to path INSTEAD of syslog, with a timestamp
 *                                  and "petrel/<prog>[pid]: ", to path
 *                                  (maillog_file; O_APPEND, one write per line)
 *                                  - for hosts without syslogd and for tests.
 *   log_info/log_warn(fmt, ...)    one line each; the caller puts "QID: " first
 *                                  when the line is about a message.
 *   log_fatal(fmt, ...)            the environment is broken: log, exit(EX_TEMPFAIL).
 *   log_panic(fmt, ...)            an invariant is broken: log, abort().
 *   ASSERT(cond)                   always compiled in; calls log_panic.
 *   log_sanitize(dst, dstsize, p, len)  copy untrusted client text for logging:
 *                                  non-printables become '?', cut at dstsize-1 with
 *                                  "..." appended when cut.  Returns dst.
 *   log_sanitize_bracketed(...)    the same for a "name=<value>" field: '<'
 *                                  and '>' become '?' too (fail2ban filters
 *                                  read the value up to the first '>').
 * Library code never calls exit() except through log_fatal().
 */
#ifndef PETREL_LOG_H
#define PETREL_LOG_H

#include <stddef.h>

#define PETREL_EX_TEMPFAIL 75

void log_init(const char *progname, int to_stderr);
const char *log_progname(void);
void log_set_file(const char *path);
int log_file_fd(void);
void log_syslog_close(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
char *log_sanitize(char *dst, size_t dstsize, const char *p, size_t len);
char *log_sanitize_bracketed(char *dst, size_t dstsize, const char *p,
    size_t len);

#define ASSERT(cond) do { if (!(cond)) \
	log_panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
	} while (0)

#define WARN_UNUSED __attribute__((warn_unused_result))

#endif
