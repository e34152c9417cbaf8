/*
 * mstore_fmt.c - pure parsers and encoders of the mail store's files: the
 * UID map (petrel-uidlist and Dovecot's dovecot-uidlist, version 3), the
 * keyword list (dovecot-keywords), log entries, the index snapshot, and
 * maildir flag letters.  No I/O; everything is bounded by (p, len).
 *
 * Public (mstore_int.h): mstore_fnv, mstore_fnv_wide, mstore_uidlist_parse,
 * mstore_uidlist_records, mstore_kw_parse, mstore_kw_clear,
 * mstore_lent_parse, mstore_lent_encode, mstore_snapshot_parse,
 * mstore_snapshot_encode, mstore_name_flags, mstore_base_len,
 * mstore_flag_name.
 * Returns: 0 / -1 (malformed); mstore_lent_parse returns the entry size,
 * 0 when the input ends inside the entry, -1 when it is corrupt.
 * Security: all input is untrusted (files any process of the owner may
 * have written, or a torn write); t/fuzz/fuzz_mstore_index.c feeds it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "strutil.h"
#include "mstore_int.h"

/* Fast 32-bit checksum (64-bit multiply-xor over words) seeded by h. */
uint32_t
mstore_fnv(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;
	uint64_t x = 0xcbf29ce484222325ULL ^ h, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		x = (x ^ w) * 0x100000001b3ULL;
		x ^= x >> 29;
	}
	for (; n > 0; s++, n--)
		x = (x ^ *s) * 0x100000001b3ULL;
	return (uint32_t)(x ^ (x >> 32));
}

/* The same kind of checksum over four interleaved 8-byte lanes, for big
 * inputs (the index snapshot): the lanes' multiply chains run side by
 * side, about four times as fast as mstore_fnv. */
uint32_t
mstore_fnv_wide(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;
	uint64_t x[4], w;

	for (int l = 0; l < 4; l++)
		x[l] = 0xcbf29ce484222325ULL ^ h ^ (uint64_t)l;
	for (; n >= 32; s += 32, n -= 32)
		for (int l = 0; l < 4; l++) {
			memcpy(&w, s + 8 * l, 8);
			x[l] = (x[l] ^ w) * 0x100000001b3ULL;
			x[l] ^= x[l] >> 29;
		}
	return mstore_fnv(s, n, mstore_fnv(x, sizeof(x), h));
}

/* Parse a decimal uint32 token; 0 or -1. */
static int
mstore_u32(const char *p, size_t len, uint32_t *v_r)
{
	long v;

	if (str_to_long(p, len, 0, 0xffffffffL, &v) < 0)
		return -1;
	*v_r = (uint32_t)v;
	return 0;
}

/* Parse one record line "<uid> [fields] :<filename>" or "<uid> <file>". */
static int
mstore_uidrec_line(const char *p, size_t len, struct mstore_uidrec *r)
{
	const char *sp = memchr(p, ' ', len), *f;
	size_t flen;

	if (sp == NULL || mstore_u32(p, (size_t)(sp - p), &r->uid) < 0 ||
	    r->uid == 0)
		return -1;
	f = memchr(sp, ':', len - (size_t)(sp - p));
	if (f != NULL && f[-1] == ' ')
		f++;
	else if (memchr(sp + 1, ' ', len - (size_t)(sp + 1 - p)) == NULL)
		f = sp + 1;
	else
		return -1;
	flen = len - (size_t)(f - p);
	r->base = f;
	r->base_len = mstore_base_len(f, flen);
	if (r->base_len == 0 || r->base_len > MSTORE_FNAME_MAX ||
	    memchr(f, '/', r->base_len) != NULL || f[0] == '.')
		return -1;
	return 0;
}

/* Parse complete record lines; *used_r = bytes up to the last full line. */
int
mstore_uidlist_records(const char *p, size_t len, mstore_uidrec_fn *fn,
    void *ctx, size_t *used_r)
{
	size_t off = 0;
	struct mstore_uidrec r;
	const char *nl;

	while (off < len && (nl = memchr(p + off, '\n', len - off)) != NULL) {
		size_t ll = (size_t)(nl - (p + off));

		if (ll > 0) {
			if (mstore_uidrec_line(p + off, ll, &r) < 0)
				return -1;
			if (fn != NULL && fn(ctx, &r) < 0)
				return -1;
		}
		off += ll + 1;
	}
	*used_r = off;
	return 0;
}

/* Parse the header "3 V<uidvalidity> N<uidnext> ..."; bytes used or -1. */
static long
mstore_uidlist_header(const char *p, size_t len, uint32_t *uv_r,
    uint32_t *next_r)
{
	const char *nl = memchr(p, '\n', len);
	size_t hl, i = 2, t;

	if (nl == NULL || (hl = (size_t)(nl - p)) < 2 || p[0] != '3' ||
	    p[1] != ' ')
		return -1;
	*uv_r = 0;
	*next_r = 1;
	while (i < hl) {
		const char *sp = memchr(p + i, ' ', hl - i);

		t = sp != NULL ? (size_t)(sp - (p + i)) : hl - i;
		if (t > 1 && p[i] == 'V' && mstore_u32(p + i + 1, t - 1, uv_r) < 0)
			return -1;
		if (t > 1 && p[i] == 'N' &&
		    mstore_u32(p + i + 1, t - 1, next_r) < 0)
			return -1;
		i += t + 1;
	}
	if (*uv_r == 0 || *next_r == 0)
		return -1;
	return (long)(hl + 1);
}

/* Parse a whole uidlist (header and records; a torn last line ignored). */
int
mstore_uidlist_parse(const char *p, size_t len, uint32_t *uidvalidity_r,
    uint32_t *uidnext_r, mstore_uidrec_fn *fn, void *ctx)
{
	long h = mstore_uidlist_header(p, len, uidvalidity_r, uidnext_r);
	size_t used;

	if (h < 0)
		return -1;
	return mstore_uidlist_records(p + h, len - (size_t)h, fn, ctx, &used);
}

/* Forget every keyword name. */
void
mstore_kw_clear(struct mstore_kwlist *kw)
{
	for (size_t i = 0; i < MSTORE_KW_MAX; i++) {
		free(kw->names[i]);
		kw->names[i] = NULL;
	}
	kw->count = 0;
}

/* 1 if p is an IMAP atom usable as a keyword. */
static int
mstore_kw_valid(const char *p, size_t len)
{
	if (len == 0 || len > MSTORE_KW_NAME_MAX || p[0] == '\\')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return 0;
	}
	return 1;
}

/* Parse "<index> <name>" lines (Dovecot's dovecot-keywords). */
int
mstore_kw_parse(const char *p, size_t len, struct mstore_kwlist *kw)
{
	size_t off = 0;
	const char *nl, *sp;
	uint32_t idx;

	mstore_kw_clear(kw);
	while (off < len && (nl = memchr(p + off, '\n', len - off)) != NULL) {
		const char *l = p + off;
		size_t ll = (size_t)(nl - l);

		off += ll + 1;
		if (ll == 0)
			continue;
		if ((sp = memchr(l, ' ', ll)) == NULL ||
		    mstore_u32(l, (size_t)(sp - l), &idx) < 0 ||
		    idx >= MSTORE_KW_MAX || kw->names[idx] != NULL ||
		    !mstore_kw_valid(sp + 1, ll - (size_t)(sp + 1 - l)))
			return -1;
		kw->names[idx] = xstrndup(sp + 1, ll - (size_t)(sp + 1 - l));
		if (idx + 1 > kw->count)
			kw->count = idx + 1;
	}
	return 0;
}

/* Parse one log entry at p; its size, 0 when incomplete, -1 when corrupt. */
int
mstore_lent_parse(const char *p, size_t len, struct mstore_lent *e_r,
    const char **name_r)
{
	struct mstore_lent e;
	uint32_t check;

	if (len < sizeof(e))
		return 0;
	memcpy(&e, p, sizeof(e));
	if (e.size < sizeof(e) || e.size > sizeof(e) + MSTORE_FNAME_MAX + 8 ||
	    e.size % 8 != 0 || e.name_len > e.size - sizeof(e) ||
	    e.type == 0 || e.type >= MSTORE_L_MAX)
		return -1;
	if (len < e.size)
		return 0;
	check = e.check;
	e.check = 0;
	if (mstore_fnv(p + sizeof(e), e.size - sizeof(e),
	    mstore_fnv(&e, sizeof(e), 0)) != check)
		return -1;
	if ((e.type == MSTORE_L_APPEND || e.type == MSTORE_L_UPDATE) &&
	    (e.name_len == 0 || e.uid == 0 || (e.flags & ~MSTORE_F_NEWDIR &
	    ~MSTORE_F_ALL) != 0 ||
	    memchr(p + sizeof(e), '/', e.name_len) != NULL ||
	    memchr(p + sizeof(e), '\0', e.name_len) != NULL))
		return -1;
	e.check = check;
	*e_r = e;
	*name_r = p + sizeof(e);
	return (int)e.size;
}

/* Append an encoded entry (size, name_len and checksum filled in). */
int
mstore_lent_encode(struct buf *out, const struct mstore_lent *e,
    const char *name, size_t name_len)
{
	struct mstore_lent c = *e;
	char tail[MSTORE_FNAME_MAX + 8];
	size_t pad;

	if (name_len > MSTORE_FNAME_MAX)
		return -1;
	pad = (8 - name_len % 8) % 8;
	if (name_len > 0)
		memcpy(tail, name, name_len);
	memset(tail + name_len, 0, pad);
	c.size = (uint32_t)(sizeof(c) + name_len + pad);
	c.name_len = (uint16_t)name_len;
	c.check = 0;
	c.check = mstore_fnv(tail, name_len + pad, mstore_fnv(&c, sizeof(c), 0));
	if (buf_append(out, &c, sizeof(c)) < 0 ||
	    buf_append(out, tail, name_len + pad) < 0)
		return -1;
	return 0;
}

/* Validate the snapshot's records against its header. */
static int
mstore_snapshot_check(const struct mstore_ihdr *h, const struct mstore_msg *m,
    const struct mstore_van *v, const char *names)
{
	uint32_t prev = 0;

	for (uint32_t i = 0; i < h->count; i++) {
		if (m[i].uid <= prev || m[i].uid >= h->uidnext ||
		    m[i].name_len == 0 || m[i].name_len > MSTORE_FNAME_MAX ||
		    (uint64_t)m[i].name_off + m[i].name_len >= h->names_len ||
		    names[m[i].name_off + m[i].name_len] != '\0' ||
		    (m[i].flags & MSTORE_F_GONE) != 0 ||
		    m[i].modseq > h->highestmodseq)
			return -1;
		prev = m[i].uid;
	}
	for (uint32_t i = 0; i < h->nvan; i++)
		if (v[i].modseq > h->highestmodseq)
			return -1;
	return 0;
}

/* Load a snapshot image into st (replacing its content); 0 or -1.
 * st's records, expunge history and names then point into p (when it is
 * aligned for them; else the records are copied): p must stay valid and
 * writable as long as st uses it (the index file's private mapping). */
int
mstore_snapshot_parse(char *p, size_t len, struct mstore_state *st)
{
	struct mstore_ihdr h;
	size_t rec, van, need;
	uint32_t check;
	struct mstore_msg *m;
	struct mstore_van *v;
	int own;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.magic != MSTORE_IDX_MAGIC || h.hdr_size != sizeof(h) ||
	    h.rec_size != sizeof(struct mstore_msg) ||
	    h.count > MSTORE_MSGS_MAX || h.nvan > MSTORE_VANISHED_MAX ||
	    h.names_len > MSTORE_FILE_MAX || h.uidvalidity == 0)
		return -1;
	rec = (size_t)h.count * sizeof(struct mstore_msg);
	van = (size_t)h.nvan * sizeof(struct mstore_van);
	need = sizeof(h) + rec + van + h.names_len;
	if (need != len)
		return -1;
	check = h.check;
	h.check = 0;
	if (mstore_fnv_wide(p + sizeof(h), len - sizeof(h),
	    mstore_fnv(&h, sizeof(h), 0)) != check)
		return -1;
	own = ((uintptr_t)(p + sizeof(h)) % _Alignof(struct mstore_msg)) != 0;
	m = own ? mstore_dup(p + sizeof(h), rec) : (void *)(p + sizeof(h));
	v = own ? mstore_dup(p + sizeof(h) + rec, van) :
	    (void *)(p + sizeof(h) + rec);
	if (mstore_snapshot_check(&h, m, v, p + sizeof(h) + rec + van) < 0) {
		if (own) {
			free(m);
			free(v);
		}
		return -1;
	}
	mstore_state_clear(st);
	st->msgs = m;
	st->count = h.count;
	st->cap = own ? (h.count > 0 ? h.count : 1) : 0;
	st->van = v;
	st->nvan = h.nvan;
	st->vcap = own ? (h.nvan > 0 ? h.nvan : 1) : 0;
	st->names_base = p + sizeof(h) + rec + van;
	st->names_base_len = h.names_len;
	st->van_floor = h.van_floor;
	st->highestmodseq = h.highestmodseq;
	st->uidvalidity = h.uidvalidity;
	st->uidnext = h.uidnext;
	st->first_recent = h.first_recent;
	st->new_mtime = h.new_mtime;
	st->cur_mtime = h.cur_mtime;
	st->safe = h.safe;
	st->cache_id = h.cache_id;
	st->uidlist_size = h.uidlist_size;
	st->log_seq = h.log_seq;
	st->log_off = h.log_off;
	return 0;
}

/* Encode st as a snapshot image (names packed, GONE records dropped). */
int
mstore_snapshot_encode(const struct mstore_state *st, struct buf *out)
{
	struct mstore_ihdr h;
	size_t names = 0, hpos = out->len;

	memset(&h, 0, sizeof(h));
	if (buf_append(out, &h, sizeof(h)) < 0)
		return -1;
	for (size_t i = 0; i < st->count; i++) {
		struct mstore_msg m = st->msgs[i];

		if (m.flags & MSTORE_F_GONE)
			continue;
		m.name_off = (uint32_t)names;
		names += m.name_len + 1u;
		h.count++;
		if (buf_append(out, &m, sizeof(m)) < 0)
			return -1;
	}
	if (st->nvan > 0 &&
	    buf_append(out, st->van, st->nvan * sizeof(*st->van)) < 0)
		return -1;
	for (size_t i = 0; i < st->count; i++)
		if (!(st->msgs[i].flags & MSTORE_F_GONE) &&
		    buf_append(out, mstore_state_name(st, &st->msgs[i]),
		    st->msgs[i].name_len + 1u) < 0)
			return -1;
	h.magic = MSTORE_IDX_MAGIC;
	h.hdr_size = sizeof(h);
	h.rec_size = sizeof(struct mstore_msg);
	h.uidvalidity = st->uidvalidity;
	h.uidnext = st->uidnext;
	h.first_recent = st->first_recent;
	h.highestmodseq = st->highestmodseq;
	h.log_seq = st->log_seq;
	h.log_off = st->log_off;
	h.van_floor = st->van_floor;
	h.nvan = (uint32_t)st->nvan;
	h.names_len = (uint32_t)names;
	h.new_mtime = st->new_mtime;
	h.cur_mtime = st->cur_mtime;
	h.uidlist_size = st->uidlist_size;
	h.safe = st->safe;
	h.cache_id = st->cache_id;
	h.check = mstore_fnv_wide(out->data + hpos + sizeof(h),
	    out->len - hpos - sizeof(h), mstore_fnv(&h, sizeof(h), 0));
	memcpy(out->data + hpos, &h, sizeof(h));
	return 0;
}

/* Length of the unique base of a file name (before ':'). */
size_t
mstore_base_len(const char *name, size_t len)
{
	const char *c = memchr(name, ':', len);

	return c != NULL ? (size_t)(c - name) : len;
}

/* Flags and keyword bits from the ":2,<letters>" part of a file name. */
void
mstore_name_flags(const char *name, size_t len, uint8_t *flags_r,
    uint32_t *kw_r)
{
	size_t b = mstore_base_len(name, len);

	*flags_r = 0;
	*kw_r = 0;
	if (len - b < 3 || memcmp(name + b, ":2,", 3) != 0)
		return;
	for (size_t i = b + 3; i < len; i++) {
		char c = name[i];

		if (c >= 'a' && c <= 'z')
			*kw_r |= 1u << (c - 'a');
		else if (c == 'D')
			*flags_r |= MSTORE_F_DRAFT;
		else if (c == 'F')
			*flags_r |= MSTORE_F_FLAGGED;
		else if (c == 'R')
			*flags_r |= MSTORE_F_ANSWERED;
		else if (c == 'S')
			*flags_r |= MSTORE_F_SEEN;
		else if (c == 'T')
			*flags_r |= MSTORE_F_DELETED;
	}
}

/* Build base + ":2," + sorted letters for flags/kw, keeping letters of
 * the old name that are neither flags nor keywords (e.g. P); length or -1. */
int
mstore_flag_name(const char *old, size_t oldlen, uint8_t flags, uint32_t kw,
    char *out, size_t size)
{
	static const char sys[] = "DFRST";
	static const uint8_t sysf[] = { MSTORE_F_DRAFT, MSTORE_F_FLAGGED,
	    MSTORE_F_ANSWERED, MSTORE_F_SEEN, MSTORE_F_DELETED };
	size_t b = mstore_base_len(old, oldlen), n;
	char have[128];

	memset(have, 0, sizeof(have));
	if (oldlen - b >= 3 && memcmp(old + b, ":2,", 3) == 0)
		for (size_t i = b + 3; i < oldlen; i++)
			if ((unsigned char)old[i] < 128 && old[i] > ' ')
				have[(unsigned char)old[i]] = 1;
	for (int i = 0; i < 5; i++)
		have[(unsigned char)sys[i]] = (flags & sysf[i]) != 0;
	for (int i = 0; i < 26; i++)
		have['a' + i] = (kw & (1u << i)) != 0;
	if (b + 3 >= size)
		return -1;
	memcpy(out, old, b);
	memcpy(out + b, ":2,", 3);
	n = b + 3;
	for (int c = 0; c < 128; c++)
		if (have[c] && c != ',' && c != '/' && c != ':') {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)c;
		}
	out[n] = '\0';
	return n > MSTORE_FNAME_MAX ? -1 : (int)n;
}
