/*
 * test_mstore.c - unit tests for the IMAP mail store (imapd/mstore*.c).
 *
 * Pure parts: folder names (modified UTF-7 both ways, refusals that keep
 * paths inside the root), uidlist / keyword / log-entry / snapshot
 * parsers (log entries and uidlist records also fed split at every byte,
 * as the tail reader sees them), flag letters.
 * Folders: defaults, LIST attributes, CREATE/DELETE/RENAME with children,
 * RENAME INBOX, subscriptions.
 * A selected folder: UIDs, \Recent in one session only, new/ -> cur/,
 * STORE with UNCHANGEDSINCE, EXPUNGE, APPEND, COPY, MOVE, STATUS, the
 * cache, QRESYNC history, changes made behind our back (POP3-style rename
 * and unlink), index loss and corruption (rebuilt, UIDs kept), UID map
 * loss (new UIDVALIDITY), Dovecot import, catching up across log
 * compactions, the uidlist rewrite, RENAME INBOX, and a timed big-folder
 * open (figures printed, never asserted).
 * Works under a fresh directory in /tmp, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "buf.h"
#include "log.h"
#include "../../imapd/mstore.h"
#include "../../imapd/mstore_int.h"

static char top[256];
static int seq;

/* A fresh maildir root for one test. */
static const char *
new_root(void)
{
	static char root[300];
	const char *err;

	snprintf(root, sizeof(root), "%s/r%d", top, seq++);
	if (maildir_create(root, &err) < 0)
		abort();
	return root;
}

struct onemsg {
	const char *text;
	int done;
};

/* Content callback: one string. */
static int
next_one(void *ctx, const char **p_r, size_t *n_r)
{
	struct onemsg *m = ctx;

	if (m->done)
		return 0;
	m->done = 1;
	*p_r = m->text;
	*n_r = strlen(m->text);
	return 1;
}

/* Deliver a message into path/new as local delivery does. */
static char *
deliver(const char *path, const char *text)
{
	struct onemsg m = { text, 0 };
	char *name = NULL;
	const char *err;

	if (maildir_deliver(path, NULL, 0, next_one, &m, 0, &name, &err) < 0)
		return NULL;
	return name;
}

/* Deliver and forget the name; 1 on success. */
static int
deliver_ok(const char *path, const char *text)
{
	char *name = deliver(path, text);

	free(name);
	return name != NULL;
}

/* mstore_open that says why it failed. */
static int
open_box(const char *root, const char *name, unsigned flags,
    struct mstore_box **box_r)
{
	const char *err = "";

	if (mstore_open(root, name, flags, box_r, &err) == 0)
		return 0;
	printf("# mstore_open %s: %s\n", name, err);
	fflush(stdout);
	*box_r = NULL;
	return -1;
}

/* rm -rf dir/pattern (test set-up only; our own paths, no quoting). */
static int
rm_in(const char *dir, const char *pattern)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/%s", dir, pattern);
	return system(cmd);
}

/* Folder names: encoding, decoding, refusals. */
static void
test_names(void)
{
	struct buf *b = buf_new(64, 1024);
	const char *err;
	static const char *bad[] = { "", ".", "..", "a/../b", "/a", "a/", "a//b",
	    "a.b", ".hidden", "x%", "y*", "tab\there", "\xc3", "\xed\xa0\x80",
	    "\xc0\xaf", NULL };

	CHECK(mstore_name_to_dir("Entw\xc3\xbcrfe/A&B", b) == 0);
	CHECK(strcmp(buf_cstr(b), ".Entw&APw-rfe.A&-B") == 0);
	buf_reset(b);
	CHECK(mstore_dir_to_name(".Entw&APw-rfe.A&-B", 18, b) == 0);
	CHECK(strcmp(buf_cstr(b), "Entw\xc3\xbcrfe/A&B") == 0);
	buf_reset(b);
	CHECK(mstore_name_to_dir("\xf0\x9f\x98\x80", b) == 0);
	CHECK(strcmp(buf_cstr(b), ".&2D3eAA-") == 0);
	buf_reset(b);
	CHECK(mstore_dir_to_name(".&2D3eAA-", 9, b) == 0);
	CHECK(strcmp(buf_cstr(b), "\xf0\x9f\x98\x80") == 0);
	for (int i = 0; bad[i] != NULL; i++)
		CHECK(mstore_name_check(bad[i], &err) < 0);
	CHECK(mstore_name_check("Sent/2024 Q1", &err) == 0);
	static const char *baddir[] = { "..x", ".a..b", ".a.", ".&", ".&Jjo",
	    ".&AGE-", ".&2D3-", ".a\x01", "x", ".&APw-&APw-", ".a/b", NULL };
	for (int i = 0; baddir[i] != NULL; i++) {
		buf_reset(b);
		CHECK(mstore_dir_to_name(baddir[i], strlen(baddir[i]), b) < 0);
	}
	buf_free(&b);
}

/* Collect uidlist records into a string "uid=base;". */
static int
rec_cat(void *ctx, const struct mstore_uidrec *r)
{
	return buf_printf(ctx, "%u=%.*s;", r->uid, (int)r->base_len, r->base);
}

/* Parse uidlist records from two pieces as the tail reader does. */
static int
split_uidrec(const char *a, size_t alen, const char *b, size_t blen,
    void *ctx)
{
	struct buf *out = buf_new(256, 0), *all = buf_new(256, 0);
	size_t used;
	int bad;

	if (buf_append(all, a, alen) < 0 ||
	    mstore_uidlist_records(all->data, all->len, rec_cat, out, &used) < 0)
		return 1;
	buf_consume(all, used);
	if (buf_append(all, b, blen) < 0 ||
	    mstore_uidlist_records(all->data, all->len, rec_cat, out, &used) < 0)
		return 1;
	bad = strcmp(buf_cstr(out), ctx) != 0;
	buf_free(&out);
	buf_free(&all);
	return bad;
}

/* The uidlist parser: Dovecot's version 3 and our records. */
static void
test_uidlist(void)
{
	const char *in = "3 V1700000000 N45 G0123abcd\n"
	    "1 :1700000001.M1P2.host,S=10,W=11:2,S\n"
	    "7 W120 :1700000002.M2P2.host:2,\n"
	    "44 S100 W102 G55 :1700000003.M3P2.host\n"
	    "9 1600000000.old.host\n"
	    "50 :torn";
	struct buf *out = buf_new(256, 0);
	uint32_t uv, next;

	CHECK(mstore_uidlist_parse(in, strlen(in), &uv, &next, rec_cat, out) == 0);
	CHECK(uv == 1700000000u && next == 45);
	CHECK(strcmp(buf_cstr(out), "1=1700000001.M1P2.host,S=10,W=11;"
	    "7=1700000002.M2P2.host;44=1700000003.M3P2.host;"
	    "9=1600000000.old.host;") == 0);
	const char *recs = strchr(in, '\n') + 1;
	CHECK(test_split_feed(recs, strlen(recs), split_uidrec,
	    (void *)buf_cstr(out)) == 0);
	CHECK(mstore_uidlist_parse("3 N5\n", 5, &uv, &next, NULL, NULL) < 0);
	CHECK(mstore_uidlist_parse("2 V1 N5\n", 8, &uv, &next, NULL, NULL) < 0);
	CHECK(mstore_uidlist_parse("3 V1 N5\n0 :x\n", 13, &uv, &next, NULL,
	    NULL) < 0);
	CHECK(mstore_uidlist_parse("3 V1 N5\n1 :../x\n", 16, &uv, &next, NULL,
	    NULL) < 0);
	CHECK(mstore_uidlist_parse("3 V1 N5\n1 :a/b\n", 15, &uv, &next, NULL,
	    NULL) < 0);
	buf_free(&out);
}

/* dovecot-keywords and flag letters. */
static void
test_keywords_flags(void)
{
	struct mstore_kwlist kw;
	uint8_t f;
	uint32_t k;
	char out[300];

	memset(&kw, 0, sizeof(kw));
	CHECK(mstore_kw_parse("0 $Junk\n2 work\n", 15, &kw) == 0);
	CHECK(kw.count == 3 && strcmp(kw.names[0], "$Junk") == 0 &&
	    kw.names[1] == NULL && strcmp(kw.names[2], "work") == 0);
	CHECK(mstore_kw_parse("26 x\n", 5, &kw) < 0);
	CHECK(mstore_kw_parse("0 a\n0 b\n", 8, &kw) < 0);
	CHECK(mstore_kw_parse("0 a b\n", 6, &kw) < 0);
	CHECK(mstore_kw_parse("0 \\Seen\n", 8, &kw) < 0);
	mstore_kw_clear(&kw);
	mstore_name_flags("123.abc:2,FPSac", 15, &f, &k);
	CHECK(f == (MSTORE_F_FLAGGED | MSTORE_F_SEEN) && k == 5);
	mstore_name_flags("123.abc", 7, &f, &k);
	CHECK(f == 0 && k == 0);
	CHECK(mstore_flag_name("123.abc:2,FPSac", 15, MSTORE_F_DRAFT |
	    MSTORE_F_DELETED, 1u << 25, out, sizeof(out)) > 0);
	CHECK(strcmp(out, "123.abc:2,DPTz") == 0);
	CHECK(mstore_flag_name("x,S=5", 5, MSTORE_F_ANSWERED, 0, out,
	    sizeof(out)) > 0 && strcmp(out, "x,S=5:2,R") == 0);
}

/* Check one encoded entry parses the same from every split. */
static int
split_lent(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	struct mstore_lent e;
	const char *name;
	char buf[512];

	(void)b;
	memcpy(buf, a, alen);
	if (alen < blen + alen && mstore_lent_parse(buf, alen, &e, &name) != 0)
		return 1;	/* a partial entry must say "incomplete" */
	memcpy(buf + alen, b, blen);
	return mstore_lent_parse(buf, alen + blen, &e, &name) !=
	    (int)(alen + blen) || e.uid != *(uint32_t *)ctx;
}

/* Log entries: round trip, split, corruption. */
static void
test_log_entries(void)
{
	struct buf *b = buf_new(256, 0);
	struct mstore_lent e, d;
	const char *name;
	uint32_t uid = 42;

	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_APPEND;
	e.uid = uid;
	e.flags = MSTORE_F_SEEN;
	e.modseq = 7;
	e.a = 1234;
	CHECK(mstore_lent_encode(b, &e, "1.M2.h:2,S", 10) == 0);
	CHECK(b->len % 8 == 0);
	CHECK(mstore_lent_parse(b->data, b->len, &d, &name) == (int)b->len);
	CHECK(d.uid == 42 && d.modseq == 7 && d.a == 1234 && d.name_len == 10 &&
	    memcmp(name, "1.M2.h:2,S", 10) == 0);
	CHECK(test_split_feed(b->data, b->len, split_lent, &uid) == 0);
	b->data[b->len - 1] ^= 1;	/* padding byte */
	CHECK(mstore_lent_parse(b->data, b->len, &d, &name) < 0);
	b->data[b->len - 1] ^= 1;
	b->data[20] ^= 0x40;
	CHECK(mstore_lent_parse(b->data, b->len, &d, &name) < 0);
	buf_free(&b);
}

/* Snapshot: encode, parse, and refuse any flipped byte. */
static void
test_snapshot(void)
{
	struct mstore_state st, st2;
	struct mstore_lent e;
	struct buf *b = buf_new(4096, 0);
	char name[32];
	int bad = 0;

	mstore_state_init(&st);
	mstore_state_init(&st2);
	st.uidvalidity = 99;
	memset(&e, 0, sizeof(e));
	for (uint32_t u = 1; u <= 5; u++) {
		e.type = MSTORE_L_APPEND;
		e.uid = u * 2;
		e.modseq = u;
		snprintf(name, sizeof(name), "%u.M1.h:2,S", u);
		e.name_len = (uint16_t)strlen(name);
		CHECK(mstore_state_apply(&st, &e, name) == 0);
	}
	e.type = MSTORE_L_EXPUNGE;
	e.uid = 4;
	e.modseq = 6;
	CHECK(mstore_state_apply(&st, &e, NULL) == 0);
	mstore_state_compact(&st);
	CHECK(st.count == 4 && st.uidnext == 11 && st.highestmodseq == 6);
	CHECK(mstore_snapshot_encode(&st, b) == 0);
	CHECK(mstore_snapshot_parse(b->data, b->len, &st2) == 0);
	CHECK(st2.count == 4 && st2.nvan == 1 && st2.van[0].uid == 4 &&
	    st2.uidnext == 11 && st2.uidvalidity == 99);
	CHECK(strcmp(mstore_state_name(&st2, &st2.msgs[3]), "5.M1.h:2,S") == 0);
	for (size_t i = 0; i < b->len; i += 7) {
		b->data[i] ^= 0x10;
		bad += mstore_snapshot_parse(b->data, b->len, &st2) == 0;
		b->data[i] ^= 0x10;
	}
	CHECK(bad == 0);
	CHECK(mstore_snapshot_parse(b->data, b->len - 1, &st2) < 0);
	/* the parsed state points into b: new records and names go beside it */
	CHECK(st2.cap == 0 && st2.names_base == b->data + b->len -
	    st2.names_base_len);
	e.type = MSTORE_L_APPEND;
	e.uid = 12;
	e.modseq = 7;
	e.name_len = 9;
	CHECK(mstore_state_apply(&st2, &e, "12.M1.h:2") == 0);
	e.type = MSTORE_L_UPDATE;
	e.uid = 2;
	e.flags = MSTORE_F_FLAGGED;
	e.modseq = 8;
	e.name_len = 11;
	CHECK(mstore_state_apply(&st2, &e, "1.M1.h:2,FS") == 0);
	CHECK(st2.count == 5 && st2.cap >= 5 && st2.msgs[4].uid == 12);
	CHECK(strcmp(mstore_state_name(&st2, &st2.msgs[0]), "1.M1.h:2,FS") == 0);
	CHECK(strcmp(mstore_state_name(&st2, &st2.msgs[1]), "3.M1.h:2,S") == 0);
	CHECK(strcmp(mstore_state_name(&st2, &st2.msgs[4]), "12.M1.h:2") == 0);
	mstore_state_free(&st);
	mstore_state_free(&st2);
	buf_free(&b);
}

/* Lend and unlend: the view shares the state's records until the state
 * changes, and then keeps what it was told. */
static void
test_lend(void)
{
	struct mstore_state st, view;
	struct mstore_lent e;
	struct mstore_changes ch;
	char name[32];

	mstore_state_init(&st);
	mstore_state_init(&view);
	st.uidvalidity = 5;
	memset(&e, 0, sizeof(e));
	for (uint32_t u = 1; u <= 3; u++) {
		e.type = MSTORE_L_APPEND;
		e.uid = u;
		e.modseq = u;
		snprintf(name, sizeof(name), "%u.M1.h:2,", u);
		e.name_len = (uint16_t)strlen(name);
		CHECK(mstore_state_apply(&st, &e, name) == 0);
	}
	mstore_state_lend(&view, &st);
	CHECK(st.lent && view.msgs == st.msgs && view.count == 3 &&
	    view.cap == 0);
	CHECK(strcmp(mstore_state_name(&view, &view.msgs[2]), "3.M1.h:2,") == 0);
	mstore_state_unlend(&st, &view);
	CHECK(!st.lent && view.msgs != st.msgs && view.cap >= 3);
	e.type = MSTORE_L_UPDATE;
	e.uid = 2;
	e.flags = MSTORE_F_SEEN;
	e.modseq = 4;
	e.name_len = 10;
	CHECK(mstore_state_apply(&st, &e, "2.M1.h:2,S") == 0);
	e.type = MSTORE_L_EXPUNGE;
	e.uid = 1;
	e.modseq = 5;
	CHECK(mstore_state_apply(&st, &e, NULL) == 0);
	mstore_state_compact(&st);
	CHECK(view.count == 3 && view.msgs[1].flags == 0 &&
	    strcmp(mstore_state_name(&view, &view.msgs[1]), "2.M1.h:2,") == 0);
	mstore_state_diff(&view, &st, &ch);
	CHECK(ch.n_expunged == 1 && ch.expunged[0] == 1 && ch.n_changed == 1 &&
	    ch.changed[0].uid == 2 && ch.n_new == 0);
	mstore_changes_free(&ch);
	mstore_state_lend(&view, &st);	/* the view's own records kept spare */
	CHECK(view.spare != NULL && view.msgs == st.msgs && view.count == 2);
	mstore_state_unlend(&st, &view);
	CHECK(view.msgs != st.msgs && view.msgs[0].flags == MSTORE_F_SEEN);
	mstore_state_free(&view);
	mstore_state_free(&st);
}

/* Find a folder in a LIST result; its attributes or ~0u. */
static unsigned
attrs_of(struct mstore_folder *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].name, name) == 0)
			return l[i].attrs;
	return ~0u;
}

/* Default folders, LIST attributes, create/delete/rename. */
static void
test_folders(void)
{
	const char *root = new_root(), *err;
	struct mstore_folder *l;
	size_t n;
	char p[512];
	struct stat st;

	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK(mstore_create(root, "Work/Projects/X", 0, &err) == 0);
	CHECK(mstore_create(root, "Work/Projects/X", 0, &err) < 0);
	CHECK(mstore_create(root, "../evil", 0, &err) < 0);
	CHECK(mstore_create(root, "a.b", 0, &err) < 0);
	CHECK(mstore_create(root, "inbox", 0, &err) < 0);
	snprintf(p, sizeof(p), "%s/.Work.Projects.X/maildirfolder", root);
	CHECK(stat(p, &st) == 0);
	CHECK(mstore_list(root, &l, &n, &err) == 0);
	CHECK(n == 9 && strcmp(l[0].name, "INBOX") == 0);
	CHECK(attrs_of(l, n, "Sent") == (MSTORE_SU_SENT | MSTORE_A_SUBSCRIBED |
	    MSTORE_A_HASNOCHILDREN));
	CHECK(attrs_of(l, n, "Work") == (MSTORE_A_NOSELECT |
	    MSTORE_A_HASCHILDREN));
	CHECK(attrs_of(l, n, "Work/Projects/X") == MSTORE_A_HASNOCHILDREN);
	mstore_list_free(&l, n);
	CHECK(mstore_delete(root, "Work", &err) < 0);	/* \NoSelect + kids */
	CHECK(mstore_delete(root, "INBOX", &err) < 0);
	CHECK(mstore_rename(root, "Work/Projects", "Old", &err) == 0);
	CHECK(mstore_rename(root, "Trash", "Old/X", &err) < 0);
	CHECK(mstore_rename(root, "Trash", "Trash/Sub", &err) < 0);
	CHECK(mstore_rename(root, "Trash", "Bin", &err) == 0);
	CHECK(mstore_list(root, &l, &n, &err) == 0);
	CHECK(attrs_of(l, n, "Old") == (MSTORE_A_NOSELECT |
	    MSTORE_A_HASCHILDREN));
	CHECK(attrs_of(l, n, "Old/X") == MSTORE_A_HASNOCHILDREN);
	CHECK(attrs_of(l, n, "Bin") == (MSTORE_SU_TRASH | MSTORE_A_HASNOCHILDREN));
	CHECK(attrs_of(l, n, "Work") == ~0u);
	mstore_list_free(&l, n);
	CHECK(mstore_create(root, "Old", 0, &err) == 0);
	CHECK(mstore_delete(root, "Old", &err) == 0);	/* kids remain */
	CHECK(mstore_delete(root, "Old/X", &err) == 0);
	CHECK(mstore_delete(root, "Old/X", &err) < 0);
	CHECK(mstore_list(root, &l, &n, &err) == 0);
	CHECK(n == 6 && attrs_of(l, n, "Old") == ~0u);
	mstore_list_free(&l, n);
	CHECK(mstore_subscribe(root, "Bin", 1, &err) == 0);
	CHECK(mstore_subscribe(root, "Sent", 0, &err) == 0);
	char **subs;
	CHECK(mstore_subscriptions(root, &subs, &n, &err) == 0);
	CHECK(n == 6);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(subs[i], "Sent") != 0);
	mstore_names_free(&subs, n);
}

/* UIDs of the view joined as "1,2,3". */
static const char *
uids_of(struct mstore_box *box)
{
	static char s[1024];
	size_t o = 0;

	s[0] = '\0';
	for (size_t i = 0; i < mstore_count(box) && o < sizeof(s) - 12; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%u", i ? "," : "",
		    mstore_msg(box, i)->uid);
	return s;
}

/* Number of entries in dir. */
static int
count_dir(const char *root, const char *sub)
{
	char p[512];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A selected INBOX: UIDs, recent, new -> cur, store, expunge. */
static void
test_box_basic(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a, *b;
	struct mstore_changes ch;
	uint32_t *failed;
	size_t nf;
	uint64_t ms;

	for (int i = 0; i < 3; i++)
		CHECK(deliver_ok(root, "Subject: x\n\nbody\n"));
	CHECK(open_box(root, "INBOX", 0, &b) == 0);
	CHECK(mstore_count(b) == 3 && count_dir(root, "new") == 3);
	CHECK(!mstore_is_recent(b, 1));
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,2,3") == 0);
	CHECK(mstore_is_recent(a, 1) && mstore_is_recent(a, 3));
	CHECK(count_dir(root, "new") == 0 && count_dir(root, "cur") == 3);
	CHECK(mstore_msg(a, 0)->vsize == 20);
	CHECK(mstore_uidvalidity(a) == mstore_uidvalidity(b));
	ms = mstore_highestmodseq(a);
	uint32_t set[] = { 1, 3 };
	CHECK(mstore_store(a, set, 2, MSTORE_ADD, MSTORE_F_SEEN |
	    MSTORE_F_DELETED, NULL, 0, 0, &failed, &nf, &err) == 0 && nf == 0);
	CHECK(mstore_msg(a, 0)->flags == 0);	/* view waits for sync */
	CHECK(mstore_sync(a, &ch, &err) == 0);
	CHECK(ch.n_changed == 2 && ch.changed[0].uid == 1 &&
	    ch.changed[0].modseq > ms && ch.n_new == 0 && ch.n_expunged == 0);
	CHECK(mstore_msg(a, 0)->flags == (MSTORE_F_SEEN | MSTORE_F_DELETED));
	mstore_changes_free(&ch);
	uint32_t one[] = { 1 };
	CHECK(mstore_store(a, one, 1, MSTORE_REMOVE, MSTORE_F_SEEN, NULL, 0, ms,
	    &failed, &nf, &err) == 0 && nf == 1 && failed[0] == 1);
	free(failed);
	const char *kw[] = { "$Forwarded", "work" };
	CHECK(mstore_store(a, set, 2, MSTORE_ADD, 0, kw, 2, 0, &failed, &nf,
	    &err) == 0);
	CHECK(mstore_sync(b, &ch, &err) == 0);	/* the other session sees */
	CHECK(ch.n_changed == 2);
	mstore_changes_free(&ch);
	CHECK(mstore_msg(b, 2)->kw == 3 && mstore_keyword_count(b) == 2 &&
	    strcmp(mstore_keyword_name(b, 1), "work") == 0);
	CHECK(!mstore_is_recent(b, 1));
	ms = mstore_highestmodseq(b);
	CHECK(mstore_expunge(a, NULL, 0, &err) == 0);
	CHECK(count_dir(root, "cur") == 1);
	CHECK(mstore_count(a) == 3);	/* until the sync */
	CHECK(mstore_sync(a, &ch, &err) == 0);
	CHECK(ch.n_expunged == 2 && ch.expunged[0] == 1 && ch.expunged[1] == 3);
	mstore_changes_free(&ch);
	CHECK(strcmp(uids_of(a), "2") == 0);
	uint32_t *van;
	size_t nv;
	CHECK(mstore_vanished_since(a, ms, &van, &nv) == 0 && nv == 2);
	free(van);
	CHECK(mstore_vanished_since(a, 0, &van, &nv) == 1);
	free(van);
	CHECK(deliver_ok(root, "Subject: y\n\nbody\n"));
	CHECK(mstore_sync(b, &ch, &err) == 0);
	CHECK(ch.n_new == 1 && ch.new_uids[0] == 4 && ch.n_expunged == 2);
	mstore_changes_free(&ch);
	CHECK(!mstore_is_recent(b, 4));
	CHECK(mstore_sync(a, &ch, &err) == 0 && mstore_is_recent(a, 4));
	mstore_changes_free(&ch);
	mstore_close(&a);
	mstore_close(&b);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	CHECK(strcmp(uids_of(a), "2,4") == 0 && !mstore_is_recent(a, 4));
	mstore_close(&a);
}

/* APPEND, COPY, MOVE, STATUS, open by UID, cache. */
static void
test_append_copy(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *in, *arch;
	struct mstore_changes ch;
	struct mstore_status st;
	struct onemsg m = { "From: a\n\nhello\nworld\n", 0 };
	uint32_t uid, *nu;
	const char *kw[] = { "$Label1" };
	char b[64], *data;
	size_t len;
	int fd;

	CHECK(mstore_create(root, "Archive", MSTORE_SU_ARCHIVE, &err) == 0);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &in) == 0);
	CHECK(mstore_append(in, next_one, &m, MSTORE_F_SEEN, kw, 1, 1000000000,
	    &uid, &err) == 0 && uid == 1);
	m.done = 0;
	CHECK(mstore_append(in, next_one, &m, 0, NULL, 0, 0, &uid, &err) == 0 &&
	    uid == 2);
	CHECK(mstore_sync(in, &ch, &err) == 0 && ch.n_new == 2);
	mstore_changes_free(&ch);
	CHECK(mstore_msg(in, 0)->idate == 1000000000 &&
	    mstore_msg(in, 0)->vsize == 25 && mstore_msg(in, 0)->kw == 1);
	CHECK(mstore_open_msg(in, 1, &fd, &err) == 0);
	CHECK(read(fd, b, sizeof(b)) == 21);
	close(fd);
	CHECK(mstore_cache_put(in, 1, 7, "(envelope)", 10, &err) == 0);
	CHECK(mstore_cache_put(in, 1, 8, "(bodystructure)", 15, &err) == 0);
	CHECK(mstore_cache_get(in, 1, 7, &data, &len) == 0 && len == 10 &&
	    memcmp(data, "(envelope)", 10) == 0);
	free(data);
	CHECK(mstore_cache_get(in, 1, 9, &data, &len) < 0);
	mstore_close(&in);	/* the cache survives a reopen */
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &in) == 0);
	CHECK(mstore_cache_get(in, 1, 8, &data, &len) == 0 && len == 15 &&
	    memcmp(data, "(bodystructure)", 15) == 0);
	free(data);
	CHECK(open_box(root, "Archive", MSTORE_RDWR, &arch) == 0);
	uint32_t set[] = { 2, 1, 77 };	/* 77: expunged meanwhile */
	CHECK(mstore_copy(in, set, 3, arch, &nu, &err) == 1 && nu == NULL);
	CHECK(mstore_move(in, set, 3, arch, &nu, &err) == 1 && nu == NULL);
	CHECK(mstore_sync(arch, &ch, &err) == 0 && ch.n_new == 0);
	mstore_changes_free(&ch);	/* all or nothing: the target is as it was */
	CHECK(mstore_copy(in, set, 2, arch, &nu, &err) == 0);
	CHECK(nu[0] == 1 && nu[1] == 2);
	free(nu);
	CHECK(mstore_move(in, set, 2, arch, &nu, &err) == 0 && nu[1] == 4);
	free(nu);
	CHECK(mstore_sync(arch, &ch, &err) == 0 && ch.n_new == 4);
	mstore_changes_free(&ch);
	long s = mstore_seq_of(arch, 2);
	CHECK(s == 1 && mstore_msg(arch, 1)->idate == 1000000000 &&
	    mstore_msg(arch, 1)->flags == MSTORE_F_SEEN &&
	    mstore_msg(arch, 1)->kw == 1);
	CHECK(mstore_status(root, "INBOX", &st, &err) == 0);
	CHECK(st.messages == 0 && st.uidnext == 3);
	CHECK(mstore_status(root, "Archive", &st, &err) == 0);
	CHECK(st.messages == 4 && st.unseen == 2 && st.size == 100 &&
	    st.uidnext == 5 && st.recent == 0);
	CHECK(mstore_cache_get(in, 1, 7, &data, &len) < 0);
	mstore_close(&in);
	mstore_close(&arch);
	CHECK(mstore_rename(root, "Archive", "Old", &err) == 0);
	CHECK(mstore_status(root, "Old", &st, &err) == 0 && st.messages == 4);
}

/* POP3-style changes behind the store's back. */
static void
test_foreign_changes(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a;
	struct mstore_changes ch;
	char *n1 = deliver(root, "a\n"), *n2 = deliver(root, "b\n");
	char from[512], to[512];

	CHECK(n1 != NULL && n2 != NULL);
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(mstore_count(a) == 2);
	snprintf(from, sizeof(from), "%s/new/%s", root, n1);
	snprintf(to, sizeof(to), "%s/cur/%s:2,S", root, n1);
	CHECK(rename(from, to) == 0);
	snprintf(from, sizeof(from), "%s/new/%s", root, n2);
	CHECK(unlink(from) == 0);
	CHECK(mstore_sync(a, &ch, &err) == 0);
	CHECK(ch.n_changed == 1 && ch.changed[0].uid == 1 && ch.n_expunged == 1 &&
	    ch.expunged[0] == 2);
	mstore_changes_free(&ch);
	CHECK(mstore_msg(a, 0)->flags == MSTORE_F_SEEN);
	/* rename again, then open by UID without a sync first */
	snprintf(from, sizeof(from), "%s/cur/%s:2,RS", root, n1);
	CHECK(rename(to, from) == 0);
	int fd;
	CHECK(mstore_open_msg(a, 1, &fd, &err) == 0);
	close(fd);
	mstore_close(&a);
	/* STORE on a file renamed behind our back finds it by base name */
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	snprintf(to, sizeof(to), "%s/cur/%s:2,FRS", root, n1);
	CHECK(rename(from, to) == 0);
	uint32_t one = 1, *f;
	size_t nf;
	CHECK(mstore_store(a, &one, 1, MSTORE_ADD, MSTORE_F_DRAFT, NULL, 0, 0,
	    &f, &nf, &err) == 0);
	snprintf(to, sizeof(to), "%s/cur/%s:2,DFRS", root, n1);
	CHECK(access(to, F_OK) == 0);
	CHECK(mstore_sync(a, &ch, &err) == 0);
	mstore_changes_free(&ch);
	CHECK(mstore_msg(a, 0)->flags == (MSTORE_F_DRAFT | MSTORE_F_FLAGGED |
	    MSTORE_F_ANSWERED | MSTORE_F_SEEN));
	mstore_close(&a);
	free(n1);
	free(n2);
}

/* Index lost or corrupt: rebuilt, UIDs kept; UID map lost: new validity. */
static void
test_rebuild(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a;
	uint32_t uv;
	char p[512];
	int fd;

	for (int i = 0; i < 5; i++)
		CHECK(deliver_ok(root, "x\n"));
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	uint32_t del[] = { 2 };
	uint32_t *f;
	size_t nf;
	CHECK(mstore_store(a, del, 1, MSTORE_ADD, MSTORE_F_DELETED, NULL, 0, 0,
	    &f, &nf, &err) == 0);
	CHECK(mstore_expunge(a, NULL, 0, &err) == 0);
	uv = mstore_uidvalidity(a);
	uint64_t hms = mstore_highestmodseq(a);
	mstore_close(&a);
	CHECK(deliver_ok(root, "late\n"));
	CHECK(rm_in(root, "petrel-index*") == 0);
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,3,4,5,6") == 0 && mstore_uidvalidity(a) == uv);
	CHECK(mstore_highestmodseq(a) > hms);
	hms = mstore_highestmodseq(a);
	mstore_close(&a);
	snprintf(p, sizeof(p), "%s/petrel-index.log", root);
	CHECK((fd = open(p, O_WRONLY)) >= 0);
	CHECK(pwrite(fd, "garbage!garbage!garbage!", 24, 40) == 24);
	close(fd);
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,3,4,5,6") == 0 && mstore_uidvalidity(a) == uv);
	CHECK(mstore_highestmodseq(a) > hms);	/* no MODSEQ handed out twice */
	mstore_close(&a);
	CHECK(rm_in(root, "petrel-uidlist") == 0);	/* the index survives */
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,3,4,5,6") == 0 && mstore_uidvalidity(a) == uv);
	mstore_close(&a);
	CHECK(deliver_ok(root, "later\n"));
	CHECK(rm_in(root, "petrel-index*") == 0);	/* from the new uidlist */
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,3,4,5,6,7") == 0 && mstore_uidvalidity(a) == uv);
	mstore_close(&a);
	CHECK(rm_in(root, "petrel-uidlist") == 0 &&
	    rm_in(root, "petrel-index*") == 0);
	sleep(1);
	CHECK(open_box(root, "INBOX", 0, &a) == 0);
	CHECK(strcmp(uids_of(a), "1,2,3,4,5,6") == 0 && mstore_uidvalidity(a) != uv);
	mstore_close(&a);
}

/* A folder Dovecot wrote (hand-made files in its formats). */
static void
test_dovecot_import(void)
{
	const char *root = new_root();
	struct mstore_box *a;
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/cur/1700000001.M1P1.host,S=3,W=4:2,Sb", root);
	CHECK((f = fopen(p, "w")) != NULL && fputs("a\n\n", f) >= 0 &&
	    fclose(f) == 0);
	snprintf(p, sizeof(p), "%s/cur/1700000002.M2P1.host,S=3,W=4:2,", root);
	CHECK((f = fopen(p, "w")) != NULL && fclose(f) == 0);
	snprintf(p, sizeof(p), "%s/new/1700000003.M3P1.host", root);
	CHECK((f = fopen(p, "w")) != NULL && fclose(f) == 0);
	snprintf(p, sizeof(p), "%s/dovecot-uidlist", root);
	CHECK((f = fopen(p, "w")) != NULL && fputs("3 V1234567 N20 G00ff\n"
	    "5 :1700000001.M1P1.host,S=3,W=4:2,S\n"
	    "9 W4 :1700000002.M2P1.host,S=3,W=4\n", f) >= 0 && fclose(f) == 0);
	snprintf(p, sizeof(p), "%s/dovecot-keywords", root);
	CHECK((f = fopen(p, "w")) != NULL && fputs("0 $Junk\n1 urgent\n", f) >= 0
	    && fclose(f) == 0);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	CHECK(mstore_uidvalidity(a) == 1234567 && mstore_uidnext(a) == 21);
	CHECK(strcmp(uids_of(a), "5,9,20") == 0);
	CHECK(mstore_msg(a, 0)->flags == MSTORE_F_SEEN && mstore_msg(a, 0)->kw == 2);
	CHECK(strcmp(mstore_keyword_name(a, 1), "urgent") == 0);
	mstore_close(&a);
}

/* Make n message files in root/cur named like deliveries. */
static void
fill(const char *root, unsigned n)
{
	char p[512];

	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/cur/%u.M%uP1.host,S=100,W=102:2,%s",
		    root, 1600000000 + i, i, i % 3 ? "S" : "");
		int fd = open(p, O_CREAT | O_WRONLY, 0600);
		CHECK(fd >= 0);
		close(fd);
	}
}

/* Toggle \Seen on every message k times. */
static void
toggle_seen(struct mstore_box *a, int k)
{
	uint32_t *uids = calloc(mstore_count(a) + 1, sizeof(*uids)), *f;
	size_t n = mstore_count(a), nf;
	const char *err;

	for (size_t i = 0; i < n; i++)
		uids[i] = mstore_msg(a, i)->uid;
	for (int r = 0; r < k; r++)
		CHECK(mstore_store(a, uids, n, r % 2 ? MSTORE_ADD : MSTORE_REMOVE,
		    MSTORE_F_SEEN, NULL, 0, 0, &f, &nf, &err) == 0);
	free(uids);
}

/* Sessions catch up across log compactions (one and several rotations);
 * a mostly dead uidlist is rewritten and still gives the same UIDs. */
static void
test_rotation(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a, *b, *c;
	struct mstore_changes ch;
	struct stat st1, st2;
	char p[512];

	fill(root, 2000);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	CHECK(open_box(root, "INBOX", 0, &b) == 0);
	snprintf(p, sizeof(p), "%s/petrel-uidlist", root);
	CHECK(stat(p, &st1) == 0);
	uint32_t *del = calloc(1900, sizeof(*del)), *f;
	size_t nf;
	for (uint32_t i = 0; i < 1900; i++)
		del[i] = i + 1;
	CHECK(mstore_store(a, del, 1900, MSTORE_ADD, MSTORE_F_DELETED, NULL, 0,
	    0, &f, &nf, &err) == 0);
	CHECK(mstore_expunge(a, NULL, 0, &err) == 0);
	free(del);
	CHECK(mstore_sync(a, &ch, &err) == 0 && ch.n_expunged == 1900);
	mstore_changes_free(&ch);
	toggle_seen(a, 25);	/* 2,500 entries: one compaction */
	CHECK(mstore_sync(b, &ch, &err) == 0);
	CHECK(ch.n_expunged == 1900 && mstore_count(b) == 100);
	mstore_changes_free(&ch);
	toggle_seen(a, 60);	/* several more */
	CHECK(mstore_sync(a, &ch, &err) == 0);
	mstore_changes_free(&ch);
	CHECK(mstore_sync(b, &ch, &err) == 0);
	CHECK(ch.n_changed == 100 && ch.n_expunged == 0);
	mstore_changes_free(&ch);
	CHECK(mstore_highestmodseq(a) == mstore_highestmodseq(b));
	for (size_t i = 0; i < 100; i++)
		CHECK(mstore_msg(a, i)->flags == mstore_msg(b, i)->flags &&
		    mstore_msg(b, i)->uid == 1901 + i);
	CHECK(stat(p, &st2) == 0 && st2.st_size * 4 < st1.st_size);
	mstore_close(&a);
	mstore_close(&b);
	CHECK(rm_in(root, "petrel-index*") == 0);
	CHECK(open_box(root, "INBOX", 0, &c) == 0);
	CHECK(mstore_count(c) == 100 && mstore_msg(c, 0)->uid == 1901 &&
	    mstore_uidnext(c) == 2001);
	mstore_close(&c);
}

/* RENAME INBOX: messages move (flags kept), INBOX stays, empty. */
static void
test_rename_inbox(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a;
	uint32_t one = 1, *f;
	size_t nf;

	CHECK(deliver_ok(root, "a\n") && deliver_ok(root, "b\n"));
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	CHECK(mstore_store(a, &one, 1, MSTORE_ADD, MSTORE_F_FLAGGED, NULL, 0, 0,
	    &f, &nf, &err) == 0);
	mstore_close(&a);
	CHECK(mstore_rename(root, "INBOX", "Old", &err) == 0);
	CHECK(mstore_rename(root, "INBOX", "Old", &err) < 0);
	CHECK(open_box(root, "INBOX", 0, &a) == 0 && mstore_count(a) == 0);
	mstore_close(&a);
	CHECK(open_box(root, "Old", 0, &a) == 0 && mstore_count(a) == 2);
	CHECK(mstore_msg(a, 0)->flags == MSTORE_F_FLAGGED);
	mstore_close(&a);
}

/* Milliseconds since t0. */
static double
ms_since(const struct timeval *t0)
{
	struct timeval t;

	gettimeofday(&t, NULL);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_usec - t0->tv_usec) / 1e3;
}

/* A big folder (10,000 messages, MSTORE_BENCH_N to change; t/bench/mstore.sh
 * runs 100,000): first open (scan), warm open, sync; figures only. */
static void
test_bench_big(void)
{
	const char *root = new_root(), *err;
	struct mstore_box *a;
	struct mstore_changes ch;
	struct timeval t0;
	char p[512];
	const char *bench_n = getenv("MSTORE_BENCH_N");
	unsigned n = bench_n != NULL ? (unsigned)strtoul(bench_n, NULL, 10) :
	    10000;
	unsigned flags = 0;

	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/cur/%u.M%uP1.host,S=100,W=102:2,%s",
		    root, 1600000000 + i, i, i % 3 ? "S" : "");
		int fd = open(p, O_CREAT | O_WRONLY, 0600);
		CHECK(fd >= 0);
		close(fd);
	}
	gettimeofday(&t0, NULL);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	printf("# mstore: first open of %u messages (scan, UIDs): %.1f ms\n", n,
	    ms_since(&t0));
	mstore_close(&a);
	sleep(1);
	CHECK(open_box(root, "INBOX", 0, &a) == 0);	/* settles */
	mstore_close(&a);
	gettimeofday(&t0, NULL);
	CHECK(open_box(root, "INBOX", MSTORE_RDWR, &a) == 0);
	for (size_t i = 0; i < mstore_count(a); i++)
		flags += mstore_msg(a, i)->flags;	/* UID FETCH 1:* FLAGS */
	printf("# mstore: warm SELECT + FLAGS of %zu messages: %.1f ms\n",
	    mstore_count(a), ms_since(&t0));
	gettimeofday(&t0, NULL);
	CHECK(mstore_sync(a, &ch, &err) == 0 && ch.n_new == 0);
	printf("# mstore: idle sync: %.3f ms\n", ms_since(&t0));
	CHECK(mstore_count(a) == n && flags == (n - (n + 2) / 3));
	mstore_close(&a);
}

int
main(void)
{
	snprintf(top, sizeof(top), "/tmp/test_mstore.%ld", (long)getpid());
	if (mkdir(top, 0700) < 0)
		return 1;
	log_init("test_mstore", 0);
	log_set_file("/dev/null");
	TEST_RUN(test_names);
	TEST_RUN(test_uidlist);
	TEST_RUN(test_keywords_flags);
	TEST_RUN(test_log_entries);
	TEST_RUN(test_snapshot);
	TEST_RUN(test_lend);
	TEST_RUN(test_folders);
	TEST_RUN(test_box_basic);
	TEST_RUN(test_append_copy);
	TEST_RUN(test_foreign_changes);
	TEST_RUN(test_rebuild);
	TEST_RUN(test_dovecot_import);
	TEST_RUN(test_rotation);
	TEST_RUN(test_rename_inbox);
	TEST_RUN(test_bench_big);
	if (getenv("MSTORE_KEEP") == NULL)
		(void)rm_in(top, "");
	TEST_EXIT();
}
