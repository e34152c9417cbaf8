/*
 * mstore_state.c - the in-memory state of one folder: records sorted by
 * UID, their file names, the expunge history, and the header values
 * (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, first recent UID, the new/ cur/
 * mtimes the state reflects).  Log entries are applied here, and two
 * states are compared to tell the session what changed.
 * Nothing big is copied on the way to a SELECT: the records and names of
 * the snapshot stay in its copy-on-write mapping, and the session's view
 * borrows the current state's records until that state next changes
 * (lend / unlend), so a warm SELECT of a big folder touches no new memory.
 *
 * Public (mstore_int.h): mstore_state_init, mstore_state_clear,
 * mstore_state_free, mstore_state_lend, mstore_state_unlend,
 * mstore_state_find, mstore_state_apply,
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

/* Drop what st owns and its hold on the snapshot mapping. */
static void
mstore_state_release(struct mstore_state *st)
{
	ASSERT(!st->lent);
	if (st->cap > 0)
		free(st->msgs);
	if (st->vcap > 0)
		free(st->van);
	free(st->spare);
	mstore_map_unref(&st->map);
}

/* Free the arrays and reset to an empty state (names buffer kept). */
void
mstore_state_clear(struct mstore_state *st)
{
	struct buf *names = st->names;

	mstore_state_release(st);
	memset(st, 0, sizeof(*st));
	st->names = names;
	if (names != NULL)
		buf_reset(names);
	st->uidnext = 1;
}

/* Clear st and free its names buffer too. */
void
mstore_state_free(struct mstore_state *st)
{
	mstore_state_clear(st);
	buf_free(&st->names);
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

/* Make view equal src without copying records: view points at src's
 * records and expunge history (its own records are kept as spare) and
 * shares the snapshot mapping; src is marked lent, and must be unlent
 * (mstore_state_unlend) before anything in it changes. */
void
mstore_state_lend(struct mstore_state *view, struct mstore_state *src)
{
	struct buf *names = view->names;
	struct mstore_msg *spare = view->spare;
	size_t spare_cap = view->spare_cap;

	ASSERT(!view->lent);
	if (view->cap > spare_cap) {
		free(spare);
		spare = view->msgs;
		spare_cap = view->cap;
	} else if (view->cap > 0)
		free(view->msgs);
	if (view->vcap > 0)
		free(view->van);
	mstore_map_unref(&view->map);
	*view = *src;
	view->names = names;
	view->cap = view->vcap = 0;
	view->spare = spare;
	view->spare_cap = spare_cap;
	view->lent = 0;
	view->map = mstore_map_ref(src->map);
	buf_reset(names);
	if (buf_append(names, src->names->data, src->names->len) < 0)
		log_panic("mstore: names arena copy failed");
	src->lent = 1;
}

/* src is about to change: give the view that borrowed from it a copy of
 * its records and expunge history (as they are now, which is what the
 * view was told). */
void
mstore_state_unlend(struct mstore_state *src, struct mstore_state *view)
{
	size_t n = view->count > 0 ? view->count : 1;

	if (!src->lent)
		return;
	src->lent = 0;
	if (view->spare_cap < n) {
		free(view->spare);
		view->spare = xreallocarray(NULL, n, sizeof(*view->spare));
		view->spare_cap = n;
	}
	if (view->count > 0)
		memcpy(view->spare, view->msgs, view->count * sizeof(*view->msgs));
	view->msgs = view->spare;
	view->cap = view->spare_cap;
	view->spare = NULL;
	view->spare_cap = 0;
	view->van = mstore_dup(view->van, view->nvan * sizeof(*view->van));
	view->vcap = view->nvan > 0 ? view->nvan : 1;
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

/* The file name of m (copy by length; NUL-terminated in both arenas). */
const char *
mstore_state_name(const struct mstore_state *st, const struct mstore_msg *m)
{
	if (m->name_off < st->names_base_len)
		return st->names_base + m->name_off;
	return st->names->data + (m->name_off - st->names_base_len);
}

/* Give m a new file name. */
int
mstore_state_setname(struct mstore_state *st, struct mstore_msg *m,
    const char *name, size_t len)
{
	size_t off = st->names_base_len + st->names->len;

	ASSERT(!st->lent);
	if (len == 0 || len > MSTORE_FNAME_MAX || off > UINT32_MAX - len - 1)
		return -1;
	m->name_off = (uint32_t)off;
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
	if (st->count >= st->cap) {
		size_t cap = st->count < 32 ? 64 : st->count * 2;
		struct mstore_msg *a = xreallocarray(st->cap > 0 ? st->msgs :
		    NULL, cap, sizeof(m));

		if (st->cap == 0 && st->count > 0)	/* mapped: copy out */
			memcpy(a, st->msgs, st->count * sizeof(m));
		st->msgs = a;
		st->cap = cap;
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
	if (st->nvan >= st->vcap) {
		size_t cap = st->nvan < 32 ? 64 : st->nvan * 2;
		struct mstore_van *a = xreallocarray(st->vcap > 0 ? st->van :
		    NULL, cap, sizeof(*a));

		if (st->vcap == 0 && st->nvan > 0)	/* mapped: copy out */
			memcpy(a, st->van, st->nvan * sizeof(*a));
		st->van = a;
		st->vcap = cap;
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

	ASSERT(!st->lent);
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
	ASSERT(!st->lent);
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
			/* a is set: b is NULL only once cur is done */
			// NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
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
