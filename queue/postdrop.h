/*
 * postdrop.h - internal interface of petrel-postdrop (queue/postdrop_*.c).
 *
 * postdrop_main.c  privileges, the envelope frame, the queue file.
 * postdrop_in.c    buffered standard input: lines (bounded) and raw bytes.
 * postdrop_msg.c   the header section (-t recipients, Bcc removal, the
 *                  headers a local submission lacks) and the body copy
 *                  (CRLF -> LF, bare CR dropped, size limit).
 * postdrop_addr.c  RFC 5322 address-list splitting for -t (pure).
 */
#ifndef PETREL_POSTDROP_H
#define PETREL_POSTDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "log.h"
#include "qfile.h"

#define PD_EX_USAGE 64
#define PD_EX_DATAERR 65
#define PD_EX_SOFTWARE 70
#define PD_EX_TEMPFAIL 75

#define PD_LINE_MAX 65536		/* one input line of the frame/header */
#define PD_HEADER_MAX (1024 * 1024)	/* the whole header section */
#define PD_ATTR_MAX 8			/* DSN attributes in the frame */

struct pd_in {
	int fd;
	int eof;
	size_t pos, len;
	char data[PD_LINE_MAX];
};

struct pd_env {
	char *sender;		/* qualified, "" = null sender */
	char *fullname;		/* NULL when not given */
	char **rcpts;		/* qualified */
	size_t nrcpts;
	char **attrs;		/* "dsn_ret=HDRS" ... */
	size_t nattrs;
	int extract;		/* -t */
	uid_t uid;
};

struct pd_msg {
	struct buf *headers;	/* header section, LF line ends, no blank line */
	struct buf *first;	/* body text already read (the line that ended
				 * the headers when it was no blank line) */
	int has_date, has_from, has_msgid;
};

/* postdrop_in.c */
void pd_in_init(struct pd_in *in, int fd);
int pd_in_line(struct pd_in *in, const char **line_r, size_t *len_r);
ssize_t pd_in_read(struct pd_in *in, char *dst, size_t n);

/* postdrop_main.c */
int pd_add_rcpt(struct pd_env *env, const char *p, size_t len,
    const char **errstr_r);
int pd_qualify(const char *p, size_t len, int allow_null, char **addr_r,
    const char **errstr_r);
void pd_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* postdrop_msg.c */
void pd_read_headers(struct pd_in *in, struct pd_env *env, struct pd_msg *m);
void pd_write_message(struct qfile_writer *w, struct pd_in *in,
    const struct pd_env *env, struct pd_msg *m);

/* postdrop_addr.c: no address handed to fn is longer than PD_ADDR_MAX. */
#define PD_ADDR_MAX 1024
typedef int (*pd_addr_fn)(void *arg, const char *p, size_t len);
int pd_addr_list(const char *p, size_t len, pd_addr_fn fn, void *arg);

#endif
