/*
 * bdat.c - CHUNKING (RFC 3030): "BDAT <size> [LAST]" in petrel-smtpd.
 *
 * Public: smtpd_cmd_bdat.
 * Every BDAT is followed by exactly <size> octets, which are always read,
 * even when the command is refused (503 without MAIL or RCPT, 552 past
 * message_size_limit, 451 when the queue fails), so that the session stays
 * in step; a chunk is answered only after all of it was read.  The first
 * chunk of a transaction opens the queue transaction (as DATA does) and
 * sends the Received: header; each chunk's data goes to the queue as it
 * streams in (decoded by chunk.c: CRLF to LF); "250 2.0.0 Ok: <n> octets
 * received" per chunk (n = the chunk's size); LAST commits and answers like the end of DATA.
 * A bare CR or LF anywhere refuses the message at LAST with 550 5.5.2,
 * exactly as DATA does (SMTP smuggling protection).  A message past the
 * size limit is refused with 552 at the chunk that crossed it and the
 * transaction ends (later chunks get 503 and are discarded).  A malformed
 * BDAT command cannot be framed, so it gets 501 and the session closes.
 * Security: chunk data is untrusted, never held whole (read in pieces of
 * at most SMTPD_BDAT_BUF octets); the size may be anything up to
 * LONG_MAX, bounded in practice by smtpd_timeout and the session limit.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "inject.h"
#include "log.h"
#include "params.h"
#include "smtpd.h"
#include "strutil.h"

#define SMTPD_BDAT_BUF 65536

/* Parse "<size> [LAST]"; 0 or -1 when malformed. */
static int
bdat_parse(const char *arg, size_t len, long *size_r, int *last_r)
{
	size_t i = 0;

	while (i < len && arg[i] >= '0' && arg[i] <= '9')
		i++;
	if (i == 0 || i > 18 || str_to_long(arg, i, 0, LONG_MAX, size_r) < 0)
		return -1;
	*last_r = 0;
	if (i == len)
		return 0;
	if (arg[i] != ' ' && arg[i] != '\t')
		return -1;
	while (i < len && (arg[i] == ' ' || arg[i] == '\t'))
		i++;
	if (str_casecmp_n(arg + i, len - i, "LAST") != 0)
		return -1;
	*last_r = 1;
	return 0;
}

/* Open the queue transaction for the first chunk and send Received:;
 * 0, or -1 after an error reply. */
static int
bdat_open(struct smtpd_session *s)
{
	char hdr[4096];
	int n;

	if (smtpd_inject_start(s) < 0)
		return -1;
	s->bdat_open = 1;
	smtpd_chunk_init(&s->chunk);
	n = smtpd_received(s, hdr, sizeof(hdr));
	if (n < 0 || inject_data(s->ij, hdr, (size_t)n) < 0)
		s->bdat_failed = 1;
	return 0;
}

/* Read size octets, passing them on when keep; 0, or -1 when the
 * input ended first. */
static int
bdat_read(struct smtpd_session *s, long size, int keep)
{
	char *raw = xmalloc(SMTPD_BDAT_BUF), *out = xmalloc(SMTPD_BDAT_BUF);
	long n;
	size_t o;
	int rc = 0;

	while (size > 0) {
		n = conn_read_raw(s->conn, raw, size < SMTPD_BDAT_BUF ?
		    (size_t)size : SMTPD_BDAT_BUF);
		if (n <= 0) {
			rc = -1;
			break;
		}
		size -= n;
		if (!keep)
			continue;
		o = smtpd_chunk_decode(&s->chunk, raw, (size_t)n, out);
		if (!s->bdat_failed && !s->chunk.bare &&
		    s->chunk.size <= (size_t)var_message_size_limit &&
		    inject_data(s->ij, out, o) < 0)
			s->bdat_failed = 1;
	}
	free(raw);
	free(out);
	return rc;
}

/* The LAST chunk is in: refuse, or commit and answer 250; 0 or -1. */
static int
bdat_finish(struct smtpd_session *s)
{
	char qid[QFILE_QID_MAX];
	const char *reply = NULL;
	int rc = -1;

	smtpd_chunk_end(&s->chunk);
	if (s->chunk.bare)
		smtpd_data_refuse(s, "550 5.5.2 Message refused: bare <CR> or "
		    "<LF> received (SMTP smuggling protection)");
	else if (s->bdat_failed || inject_end(s->ij, qid, &reply) < 0)
		smtpd_data_refuse(s, reply != NULL ? reply :
		    "451 4.3.0 Error: queue file write error");
	else {
		smtpd_reply(s, "250 2.0.0 Ok: queued as %s", qid);
		rc = 0;
	}
	s->bdat_open = 0;	/* committed, or already closed */
	smtpd_reset(s);
	return rc;
}

/* After a chunk of an open transaction: per-chunk verdict; 0 or -1. */
static int
bdat_chunk_done(struct smtpd_session *s, long size, int last)
{
	if (s->chunk.size > (size_t)var_message_size_limit) {
		smtpd_data_refuse(s, "552 5.3.4 Message size exceeds fixed "
		    "limit");
		s->bdat_open = 0;
		smtpd_reset(s);
		return -1;
	}
	if (s->bdat_failed) {
		smtpd_data_refuse(s, "451 4.3.0 Error: queue file write error");
		s->bdat_open = 0;
		smtpd_reset(s);
		return -1;
	}
	if (last)
		return bdat_finish(s);
	smtpd_reply(s, "250 2.0.0 Ok: %ld octets received", size);
	return 0;
}

/* Why a BDAT cannot be taken now ("" when it can). */
static const char *
bdat_state_error(const struct smtpd_session *s)
{
	if (!s->helo_seen)
		return "503 5.5.1 Error: send HELO/EHLO first";
	if (!s->in_mail)
		return "503 5.5.1 Error: need MAIL command";
	if (s->nrcpt == 0)
		return "503 5.5.1 Error: need RCPT command";
	return "";
}

/* BDAT <size> [LAST] */
int
smtpd_cmd_bdat(struct smtpd_session *s, const char *arg, size_t len)
{
	const char *err;
	long size;
	int last, keep;

	if (bdat_parse(arg, len, &size, &last) < 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		s->done = 1;	/* the chunk cannot be found: out of step */
		return -1;
	}
	err = bdat_state_error(s);
	keep = err[0] == '\0';
	s->bdat = keep;
	if (keep && !s->bdat_open && bdat_open(s) < 0) {
		keep = 0;	/* replied 451 */
		err = NULL;
		smtpd_reset(s);
	}
	if (bdat_read(s, size, keep) < 0) {
		smtpd_reset(s);
		smtpd_lost(s);
		return -1;
	}
	if (keep)
		return bdat_chunk_done(s, size, last);
	if (err != NULL)
		smtpd_reply(s, "%s", err);
	return -1;
}
