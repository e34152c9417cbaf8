/*
 * mstore_state.c - the in-memory state of one folder: records sorted by
 * UID, their file names in one arena, the expunge history, and the header
 * values (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, first recent UID, the
 * new/ cur/ mtimes the state reflects).  Log entries are applied here, and
 * two states are compared to tell the session what changed.
 *
 * Public (mstore_int.h): mstore_state_init, mstore_state_clear,
 * mstore_state_copy, mstore_state_find, mstore_state_apply,
 * mstore_state_compact, mstore_state_name, mstore_state_setname,
 * mstore_state_diff.
 * Returns 0 / -1 (a bound passed); find returns an index or -1.
 * Security: entries are already checked by mstore_lent_parse; every index
 * stays within count.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mstore_int.h"

/* Make an empty state. */
void
mstore_state_init(struct mstore_state *st)
{
	memset(st, 0, sizeof(*st));
	st->names = buf_new(4096, MSTORE_FILE_MAX);
	st->uidnext = 1;
}

/* Free the arrays and reset to an empty state (names buffer kept). */
void
mstore_state_clear(struct mstore_state *st)
{
	struct buf *names = st->names;

	free(st->msgs);
	free(st->van);
	memset(st, 0, sizeof(*st));
	st->names = names;
	if (names != NULL)
		buf_reset(names);
	st->uidnext = 1;
}

/* Copy n bytes into new memory (n may be 0, p then may be NULL). */
void *
mstore_dup(const void *p, size_t n)
{
	void *d = xmalloc(n > 0 ? n : 1);

	if (n > 0)
		memcpy(d, p, n);
	return d;
}

/* Deep copy src into dst (dst initialised). */
void
mstore_state_copy(struct mstore_state *dst, const struct mstore_state *src)
{
	struct buf *names = dst->names;

	free(dst->msgs);
	free(dst->van);
	*dst = *src;
	dst->names = names;
	dst->msgs = mstore_dup(src->msgs, src->count * sizeof(*src->msgs));
	dst->cap = src->count;
	dst->van = mstore_dup(src->van, src->nvan * sizeof(*src->van));
	dst->vcap = src->nvan;
	buf_reset(names);
	if (buf_append(names, src->names->data, src->names->len) < 0)
		log_panic("mstore: names arena copy failed");
}

/* Binary search for uid; index or -1. */
long
mstore_state_find(const struct mstore_state *st, uint32_t uid)
{
	size_t lo = 0, hi = st->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->msgs[mid].uid == uid)
			return (long)mid;
		if (st->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The file name of m (not NUL-terminated in the arena: copy by length). */
const char *
mstore_state_name(const struct mstore_state *st, const struct mstore_msg *m)
{
	return st->names->data + m->name_off;
}

/* Give m a new file name. */
int
mstore_state_setname(struct mstore_state *st, struct mstore_msg *m,
    const char *name, size_t len)
{
	if (len == 0 || len > MSTORE_FNAME_MAX || st->names->len > UINT32_MAX -
	    len - 1)
		return -1;
	m->name_off = (uint32_t)st->names->len;
	m->name_len = (uint16_t)len;
	if (buf_append(st->names, name, len) < 0 ||
	    buf_append_char(st->names, '\0') < 0)
		return -1;
	return 0;
}

/* Insert a new record for e (kept sorted by UID). */
static int
mstore_state_insert(struct mstore_state *st, const struct mstore_lent *e,
    const char *name)
{
	size_t pos = st->count;
	struct mstore_msg m;

	if (st->count >= MSTORE_MSGS_MAX)
		return -1;
	memset(&m, 0, sizeof(m));
	m.uid = e->uid;
	m.flags = e->flags;
	m.kw = e->kw;
	m.modseq = e->modseq;
	m.vsize = e->a;
	m.idate = e->b;
	if (mstore_state_setname(st, &m, name, e->name_len) < 0)
		return -1;
	if (st->count == st->cap) {
		st->cap = st->cap < 64 ? 64 : st->cap * 2;
		st->msgs = xreallocarray(st->msgs, st->cap, sizeof(m));
	}
	while (pos > 0 && st->msgs[pos - 1].uid > m.uid)
		pos--;
	memmove(st->msgs + pos + 1, st->msgs + pos,
	    (st->count - pos) * sizeof(m));
	st->msgs[pos] = m;
	st->count++;
	if (e->uid >= st->uidnext)
		st->uidnext = e->uid + 1;
	return 0;
}

/* Remember an expunge for QRESYNC; the oldest half goes past the bound. */
static void
mstore_state_vanish(struct mstore_state *st, uint32_t uid, uint64_t modseq)
{
	if (st->nvan >= MSTORE_VANISHED_MAX) {
		size_t drop = st->nvan / 2;

		st->van_floor = st->van[drop - 1].modseq;
		memmove(st->van, st->van + drop,
		    (st->nvan - drop) * sizeof(*st->van));
		st->nvan -= drop;
	}
	if (st->nvan == st->vcap) {
		st->vcap = st->vcap < 64 ? 64 : st->vcap * 2;
		st->van = xreallocarray(st->van, st->vcap, sizeof(*st->van));
	}
	st->van[st->nvan].uid = uid;
	st->van[st->nvan].pad = 0;
	st->van[st->nvan++].modseq = modseq;
}

/* Apply an UPDATE or an APPEND of a known UID to record m. */
static int
mstore_state_update(struct mstore_state *st, struct mstore_msg *m,
    const struct mstore_lent *e, const char *name)
{
	m->flags = e->flags;
	m->kw = e->kw;
	if (e->modseq > m->modseq)
		m->modseq = e->modseq;
	if (m->name_len == e->name_len &&
	    memcmp(mstore_state_name(st, m), name, e->name_len) == 0)
		return 0;
	return mstore_state_setname(st, m, name, e->name_len);
}

/* Apply one checked log entry. */
int
mstore_state_apply(struct mstore_state *st, const struct mstore_lent *e,
    const char *name)
{
	long i = e->uid != 0 ? mstore_state_find(st, e->uid) : -1;
	struct mstore_msg *m = i >= 0 ? &st->msgs[i] : NULL;

	if (e->modseq > st->highestmodseq)
		st->highestmodseq = e->modseq;
	switch (e->type) {
	case MSTORE_L_APPEND:
		if (m == NULL)
			return mstore_state_insert(st, e, name);
		return mstore_state_update(st, m, e, name);
	case MSTORE_L_UPDATE:
		return m == NULL ? 0 : mstore_state_update(st, m, e, name);
	case MSTORE_L_EXPUNGE:
		if (m != NULL && !(m->flags & MSTORE_F_GONE)) {
			m->flags |= MSTORE_F_GONE;
			st->gone = 1;
			mstore_state_vanish(st, e->uid, e->modseq);
		}
		return 0;
	case MSTORE_L_DIRSYNC:
		st->new_mtime = e->b;
		st->cur_mtime = e->c;
		st->safe = e->flags;
		st->uidlist_size = e->a;
		if (e->uid > st->uidnext)
			st->uidnext = e->uid;
		return 0;
	case MSTORE_L_RECENT:
		if (e->uid > st->first_recent)
			st->first_recent = e->uid;
		return 0;
	case MSTORE_L_CACHE:
		if (e->uid == 0) {
			st->cache_id = (uint32_t)e->c;
			for (size_t k = 0; k < st->count; k++)
				st->msgs[k].cache_off = 0;
		} else if (m != NULL && (uint32_t)e->c == st->cache_id)
			m->cache_off = e->a;
		return 0;
	default:
		return 0;
	}
}

/* Drop the records marked GONE. */
void
mstore_state_compact(struct mstore_state *st)
{
	size_t o = 0;

	if (!st->gone)
		return;
	for (size_t i = 0; i < st->count; i++)
		if (!(st->msgs[i].flags & MSTORE_F_GONE))
			st->msgs[o++] = st->msgs[i];
	st->count = o;
	st->gone = 0;
}

/* Append v to a growing uint32 array. */
static void
mstore_push32(uint32_t **a, size_t *n, uint32_t v)
{
	if ((*n & (*n - 1)) == 0 || *n == 0)
		*a = xreallocarray(*a, *n == 0 ? 16 : *n * 2, sizeof(**a));
	(*a)[(*n)++] = v;
}

/* Record a flag change. */
static void
mstore_push_change(struct mstore_changes *ch, uint32_t uid, uint64_t modseq)
{
	size_t n = ch->n_changed;

	if (n == 0 || (n & (n - 1)) == 0)
		ch->changed = xreallocarray(ch->changed, n == 0 ? 16 : n * 2,
		    sizeof(*ch->changed));
	ch->changed[n].uid = uid;
	ch->changed[n].modseq = modseq;
	ch->n_changed = n + 1;
}

/* What changed from old to cur (both compacted): new, expunged, changed. */
void
mstore_state_diff(const struct mstore_state *old,
    const struct mstore_state *cur, struct mstore_changes *ch)
{
	size_t i = 0, j = 0;

	memset(ch, 0, sizeof(*ch));
	while (i < old->count || j < cur->count) {
		const struct mstore_msg *a = i < old->count ? &old->msgs[i] : NULL;
		const struct mstore_msg *b = j < cur->count ? &cur->msgs[j] : NULL;

		if (b == NULL || (a != NULL && a->uid < b->uid)) {
			mstore_push32(&ch->expunged, &ch->n_expunged, a->uid);
			i++;
		} else if (a == NULL || b->uid < a->uid) {
			mstore_push32(&ch->new_uids, &ch->n_new, b->uid);
			j++;
		} else {
			if (a->modseq != b->modseq || a->kw != b->kw ||
			    ((a->flags ^ b->flags) & MSTORE_F_ALL) != 0)
				mstore_push_change(ch, b->uid, b->modseq);
			i++;
			j++;
		}
	}
}
