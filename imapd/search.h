/*
 * search.h - evaluating a SEARCH program (imap_search_args.h) against the
 * messages of the selected mailbox.
 *
 * Public:
 *   search_new(s) / search_free(&sc)   one per command (buffers reused).
 *   search_match(sc, key, i)  1 when message i of the view matches.
 *        Keys that the index answers (flags, keywords, sequence and UID
 *        sets, sizes, INTERNALDATE, MODSEQ) are tried before those that
 *        read the message, so a file is opened only when a header, date
 *        header or text key still decides; within an AND the cheap
 *        children go first.
 * Matching: strings compare as UTF-8, case-insensitively for ASCII
 * letters (RFC 9051 6.4.4: substring, case-insensitive); header values
 * are unfolded and their encoded words decoded first; BODY searches the
 * text parts' bodies decoded from their transfer encoding and charset;
 * TEXT the header and the body.  SENT* dates compare the Date: header's
 * calendar day in its own zone, BEFORE/ON/SINCE the INTERNALDATE's day
 * in UTC.
 * Security: messages are untrusted; decoded text is bounded per message
 * (SEARCH_TEXT_MAX), the tree's depth by the parser.
 */
#ifndef PETREL_IMAPD_SEARCH_H
#define PETREL_IMAPD_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#define SEARCH_TEXT_MAX	(32 * 1024 * 1024)

struct imapd_session;
struct imap_search_key;
struct search_ctx;

struct search_ctx *search_new(struct imapd_session *s);
void search_free(struct search_ctx **scp);
int search_match(struct search_ctx *sc, const struct imap_search_key *key,
    size_t i);

#endif
