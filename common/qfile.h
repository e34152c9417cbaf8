/*
 * qfile.h - queue files: the typed record format, its writer (injection) and
 * reader (queue manager, local delivery, queue tools).
 *
 * Record = 1 type byte, payload length as a base-128 varint (7 bits per byte,
 * least significant group first, high bit set on every byte but the last; at
 * most 4 bytes, so a payload is < 2^28), then the payload.  A file is:
 *
 *   'V' "PETREL-Q 1"              version; always first
 *   'T' "<sec>.<usec>"            arrival time
 *   'F' sender                    envelope sender, "" for the null sender
 *   'A' "name=value"              zero or more attributes (client, helo, ...)
 *   'R' <status><address>         one per recipient; status is one byte:
 *                                 QFILE_RCPT_PENDING 'P', QFILE_RCPT_DONE 'D',
 *                                 QFILE_RCPT_FAILED 'X' (bounced); it is
 *                                 rewritten in place, so its offset is kept
 *   'O' "notify=.. orcpt=.."      optional, right after its 'R': the
 *                                 recipient's DSN parameters (RFC 3461) as
 *                                 blank separated name=value words
 *   'M' ""                        start of content
 *   'C' bytes                     content chunks, message text with LF line
 *                                 ends, at most QFILE_CHUNK bytes each
 *   'Z' "<content length>"        end of content; must equal the sum of 'C'
 *   'E' ""                        end of file; nothing may follow
 *
 * Completion: the writer creates the file unnamed (O_TMPFILE), writes it,
 * chmods it 0760 (owner execute = complete), links it into the directory
 * under its queue ID and then calls fsync once: on journaling filesystems
 * that one fsync also makes the directory entry durable (the link precedes
 * it in the journal), and ext4 without a journal syncs the new entry's
 * directory inside fsync.  With sync_directories = yes the directory is
 * fsynced as well.  Without O_TMPFILE the file is created mode 0660 under a
 * temporary name and renamed to its queue ID at once, so readers must still
 * refuse a file without the execute bit.  A reader refuses a file without
 * the execute bit, a wrong first record, a truncated record, a 'Z' length
 * that does not add up or a missing 'E': such files are "corrupt" (moved to
 * corrupt/ by the queue manager, never deleted).
 *
 * Queue IDs: "%05X%lX" of (arrival microseconds, inode number): unique among
 * live files because inodes are; see qfile_make_qid.  At most QFILE_QID_MAX-1
 * characters.
 *
 * Public (writer):
 *   qfile_create(dir, &errstr)        new file in dir, renamed to its qid.
 *   qfile_qid(w)                      the queue ID.
 *   qfile_put(w, type, p, n)          buffered record write; -1 on error.
 *   qfile_put_rcpt(w, addr)           'R' with pending status.
 *   qfile_put_content(w, p, n)        writes 'M' before the first chunk, then
 *                                     splits into 'C' records, counts length.
 *   qfile_commit(&w, sync_dir, &errstr) writes 'M' (if no content came), 'Z'
 *                                     and 'E', flushes, chmods complete,
 *                                     fsyncs (dir too if sync_dir), closes,
 *                                     frees w.  On failure the file is
 *                                     unlinked and w freed.
 *   qfile_abort(&w)                   unlink and close.
 *   qfile_error(w)                    errno of the first failed write, or 0.
 *   After a failed qfile_create or qfile_commit errno tells why (ENOSPC,
 *   EDQUOT: the caller answers 452 4.3.1); a failed file is always gone.
 * Public (reader):
 *   qfile_read_envelope(fd, &env, &errstr)  parse and fully validate.
 *   qfile_env_free(&env)
 *   qfile_mark(fd, rcpt, status)      pwrite the status byte (no sync).
 *   qfile_content_open/next/close     iterate the content chunks from the
 *                                     already opened fd (uses pread).
 *   qfile_valid_qid(name)             1 if name has queue-ID syntax.
 */
#ifndef PETREL_QFILE_H
#define PETREL_QFILE_H

#include <stddef.h>
#include <sys/types.h>
#include "log.h"

#define QFILE_QID_MAX 32
#define QFILE_CHUNK 65536
#define QFILE_MODE_WRITING 0660
#define QFILE_MODE_COMPLETE 0760
#define QFILE_VERSION "PETREL-Q 1"

#define QREC_VERSION 'V'
#define QREC_TIME 'T'
#define QREC_SENDER 'F'
#define QREC_ATTR 'A'
#define QREC_RCPT 'R'
#define QREC_RCPT_DSN 'O'
#define QREC_CONTENT_START 'M'
#define QREC_CONTENT 'C'
#define QREC_CONTENT_END 'Z'
#define QREC_END 'E'

#define QFILE_RCPT_PENDING 'P'
#define QFILE_RCPT_DONE 'D'
#define QFILE_RCPT_FAILED 'X'

struct qfile_writer;

struct qfile_rcpt {
	char *addr;
	char status;
	off_t status_off;	/* file offset of the status byte */
	char *dsn;		/* 'O' payload, or NULL */
};

struct qfile_env {
	time_t arrival_sec;
	long arrival_usec;
	char *sender;
	char **attrs;		/* "name=value", NULL-terminated */
	size_t nattrs;
	struct qfile_rcpt *rcpts;
	size_t nrcpts;
	off_t content_off;	/* offset of the first 'C' record */
	off_t content_len;	/* message size in bytes (LF line ends) */
	off_t file_size;
};

struct qfile_content;

int qfile_valid_qid(const char *name);
void qfile_make_qid(char qid_r[QFILE_QID_MAX], long usec, ino_t ino);

struct qfile_writer *qfile_create(const char *dir, const char **errstr_r);
const char *qfile_qid(const struct qfile_writer *w);
int qfile_put(struct qfile_writer *w, int type, const void *p, size_t n)
    WARN_UNUSED;
int qfile_put_rcpt(struct qfile_writer *w, const char *addr) WARN_UNUSED;
int qfile_put_content(struct qfile_writer *w, const void *p, size_t n)
    WARN_UNUSED;
int qfile_commit(struct qfile_writer **wp, int sync_dir, const char **errstr_r)
    WARN_UNUSED;
void qfile_abort(struct qfile_writer **wp);
int qfile_error(const struct qfile_writer *w);

int qfile_read_envelope(int fd, struct qfile_env **env_r, const char **errstr_r)
    WARN_UNUSED;
void qfile_env_free(struct qfile_env **envp);
int qfile_mark(int fd, const struct qfile_rcpt *rcpt, char status) WARN_UNUSED;

struct qfile_content *qfile_content_open(int fd, const struct qfile_env *env);
/* 1 with a chunk, 0 at the end, -1 on a read error or damaged record. */
int qfile_content_next(struct qfile_content *it, const char **p_r, size_t *n_r)
    WARN_UNUSED;
void qfile_content_close(struct qfile_content **itp);

/* Pure record codec, exposed for unit tests and the fuzz target. */
size_t qfile_varint_encode(size_t n, unsigned char out[4]);
/* Parse one record header at p/len: 1 ok (type, payload length, header
 * size), 0 need more bytes, -1 malformed. */
int qfile_record_header(const unsigned char *p, size_t len, int *type_r,
    size_t *paylen_r, size_t *hdrlen_r);

#endif
