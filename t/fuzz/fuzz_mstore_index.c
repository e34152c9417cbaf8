/*
 * fuzz_mstore_index.c - libFuzzer target for the mail store's readers
 * (imapd/mstore_fmt.c, mstore_state.c, mstore_name.c: LINK_fuzz_mstore_index
 * in the Makefile).
 *
 * Input: the first byte picks the reader, the rest is the file content:
 *   0 the index snapshot (petrel-index): a parsed snapshot must survive
 *     encode -> parse unchanged in its counts;
 *   1 the change log (petrel-index.log) read as a stream, every entry
 *     applied to a state (as a session catching up does), then the state
 *     encoded and parsed back;
 *   2 a uidlist (petrel-uidlist / dovecot-uidlist), whole and as records;
 *   3 dovecot-keywords;
 *   4 a Maildir++ directory name decoded (and the name re-encoded must give
 *     the same directory name), and file-name flag letters.
 * Crashes, sanitizer reports and a failed round trip (abort) are findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "../../imapd/mstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Snapshot: parse, and a parsed one must round-trip. */
static void
fuzz_snapshot(const char *p, size_t n)
{
	struct mstore_state st, st2;
	struct buf *b;

	char *copy = mstore_dup(p, n);	/* the parsed state points into it */

	mstore_state_init(&st);
	mstore_state_init(&st2);
	if (mstore_snapshot_parse(copy, n, &st) == 0) {
		b = buf_new(n + 64, 0);
		if (mstore_snapshot_encode(&st, b) < 0 ||
		    mstore_snapshot_parse(b->data, b->len, &st2) < 0 ||
		    st2.count != st.count || st2.nvan != st.nvan)
			abort();
		buf_free(&b);
	}
	mstore_state_free(&st);
	mstore_state_free(&st2);
	free(copy);
}

/* Log stream: apply every good entry, then round-trip the state. */
static void
fuzz_log(const char *p, size_t n)
{
	struct mstore_state st;
	struct mstore_lent e;
	const char *name;
	size_t off = 0;
	int r;

	mstore_state_init(&st);
	st.uidvalidity = 1;
	while ((r = mstore_lent_parse(p + off, n - off, &e, &name)) > 0) {
		if ((size_t)r > n - off)
			abort();
		(void)mstore_state_apply(&st, &e, name);
		off += (size_t)r;
	}
	mstore_state_compact(&st);
	for (size_t i = 1; i < st.count; i++)
		if (st.msgs[i].uid <= st.msgs[i - 1].uid)
			abort();
	if (st.count > 0 && st.msgs[st.count - 1].uid >= st.uidnext)
		abort();
	struct buf *b = buf_new(4096, 0);
	if (mstore_snapshot_encode(&st, b) < 0)
		abort();
	struct mstore_state st2;
	mstore_state_init(&st2);
	if (mstore_snapshot_parse(b->data, b->len, &st2) < 0 ||
	    st2.count != st.count)
		abort();
	mstore_state_free(&st2);
	buf_free(&b);
	mstore_state_free(&st);
}

/* Count uidlist records. */
static int
fuzz_rec(void *ctx, const struct mstore_uidrec *r)
{
	if (r->uid == 0 || r->base_len == 0 || r->base_len > MSTORE_FNAME_MAX)
		abort();
	(*(size_t *)ctx)++;
	return 0;
}

/* Uidlist, keywords, names. */
static void
fuzz_text(int which, const char *p, size_t n)
{
	uint32_t uv, next;
	size_t cnt = 0, used;
	struct mstore_kwlist kw;
	struct buf *b;
	uint8_t f;
	uint32_t k;

	if (which == 2) {
		(void)mstore_uidlist_parse(p, n, &uv, &next, fuzz_rec, &cnt);
		if (mstore_uidlist_records(p, n, fuzz_rec, &cnt, &used) == 0 &&
		    used > n)
			abort();
	} else if (which == 3) {
		memset(&kw, 0, sizeof(kw));
		(void)mstore_kw_parse(p, n, &kw);
		mstore_kw_clear(&kw);
	} else {
		b = buf_new(64, 4096);
		if (memchr(p, '\0', n) == NULL &&
		    mstore_dir_to_name(p, n, b) == 0) {
			const char *err;
			struct buf *d = buf_new(64, 8192);
			char *name = xstrdup(buf_cstr(b));
			if (mstore_name_check(name, &err) == 0 &&
			    (mstore_name_to_dir(name, d) < 0 || d->len != n ||
			    memcmp(d->data, p, n) != 0))
				abort();
			free(name);
			buf_free(&d);
		}
		buf_free(&b);
		mstore_name_flags(p, n, &f, &k);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0:
		fuzz_snapshot(p, n);
		break;
	case 1:
		fuzz_log(p, n);
		break;
	default:
		fuzz_text(data[0] % 5, p, n);
		break;
	}
	return 0;
}
