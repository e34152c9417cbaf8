/*
 * fetch_struct.h - FETCH ENVELOPE, BODY and BODYSTRUCTURE, answered from
 * the folder's index cache when a session computed them before, else
 * from the message file (imap_envelope.h, imap_bodystructure.h) and then
 * cached, so clients that fetch metadata once (Thunderbird, Apple Mail)
 * and webmail that fetches it every time cost one parse per message.
 *
 * Public:
 *   fetch_struct_cached(s, m, items)  1 when every structure item asked
 *        for is in the cache (no message file needed for them).
 *   fetch_struct_items(s, fm, m, items, out)  append " ENVELOPE (...)",
 *        " BODY (...)", " BODYSTRUCTURE (...)" as asked; fm must hold the
 *        message unless fetch_struct_cached said 1.
 * Cache fields are per form: 8-bit text is quoted only for clients that
 * enabled UTF-8, so each form has its own field id.
 * Security: message content is untrusted; see the renderers.
 */
#ifndef PETREL_IMAPD_FETCH_STRUCT_H
#define PETREL_IMAPD_FETCH_STRUCT_H

struct buf;
struct fetch_msg;
struct imapd_session;
struct mstore_msg;

int fetch_struct_cached(struct imapd_session *s, const struct mstore_msg *m,
    unsigned items);
void fetch_struct_items(struct imapd_session *s, struct fetch_msg *fm,
    const struct mstore_msg *m, unsigned items, struct buf *out);

#endif
