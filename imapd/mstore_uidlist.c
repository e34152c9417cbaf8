/*
 * mstore_uidlist.c - the folder's UID map file (petrel-uidlist): made at
 * first open (Dovecot's dovecot-uidlist taken over verbatim: same format),
 * records appended and fdatasync'ed before their UIDs are shown, read
 * from where the state last reflected it (records a crash left unlogged
 * may be reused), written again whole when mostly dead or lost.  See
 * mstore.h for the format and the rules.
 *
 * Public (mstore_int.h): mstore_uidlist_init, mstore_uidlist_append,
 * mstore_uidlist_next, mstore_uidlist_write, mstore_uidlist_rewrite,
 * mstore_reuse_load, mstore_reuse_uid.
 * Returns 0 or -1 with errno.  All writers hold the folder lock.
 * Security: the file is untrusted input, parsed by mstore_fmt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"

/* Collect uidlist records not yet reflected in the state. */
static int
mstore_reuse_rec(void *ctx, const struct mstore_uidrec *r)
{
	struct mstore_reuse *u = ctx;
	struct mstore_scanset *s = &u->set;

	if (r->uid >= u->next)
		u->next = r->uid + 1;
	if (s->n == s->cap) {
		s->cap = s->cap < 64 ? 64 : s->cap * 2;
		s->e = xreallocarray(s->e, s->cap, sizeof(*s->e));
	}
	s->e[s->n].name = xstrndup(r->base, r->base_len);
	s->e[s->n].len = s->e[s->n].base_len = r->base_len;
	s->e[s->n].innew = (int)r->uid;	/* the UID rides in innew */
	s->e[s->n++].used = 0;
	return 0;
}

int
mstore_reuse_load(struct mstore_box *box, struct mstore_reuse *u)
{
	struct buf *b;
	size_t used, off = box->st.uidlist_size;
	uint32_t uv, next;

	memset(u, 0, sizeof(*u));
	u->next = box->st.uidnext;
	if (mstore_read_all(box->dirfd, MSTORE_UIDLIST, MSTORE_FILE_MAX, &b) < 0)
		return -1;
	if (off == 0 || off > b->len) {
		if (mstore_uidlist_parse(b->data, b->len, &uv, &next,
		    mstore_reuse_rec, u) < 0 || uv != box->st.uidvalidity) {
			buf_free(&b);
			errno = EINVAL;
			return -1;
		}
		if (next > u->next)
			u->next = next;
	} else if (mstore_uidlist_records(b->data + off, b->len - off,
	    mstore_reuse_rec, u, &used) < 0) {
		/* rewritten meanwhile: read it whole */
		buf_free(&b);
		mstore_set_free(&u->set);
		box->st.uidlist_size = 0;
		return mstore_reuse_load(box, u);
	}
	box->st.uidlist_size = b->len;
	buf_free(&b);
	for (size_t i = 0; i < u->set.n / 2; i++) {	/* the last record wins */
		struct mstore_sent t = u->set.e[i];
		u->set.e[i] = u->set.e[u->set.n - 1 - i];
		u->set.e[u->set.n - 1 - i] = t;
	}
	mstore_set_hash(&u->set);
	return 0;
}

/* The uidlist UID recorded for f that may be reused, or 0. */
uint32_t
mstore_reuse_uid(const struct mstore_reuse *u, const struct mstore_sent *f,
    uint32_t floor)
{
	struct mstore_sent *r = mstore_set_find(&u->set, f->name, f->base_len);

	if (r == NULL || (uint32_t)r->innew < floor ||
	    (uint32_t)r->innew >= u->next)
		return 0;
	return (uint32_t)r->innew;
}

/* Append UID records and make them durable before anyone sees them. */
int
mstore_uidlist_append(struct mstore_box *box, const struct buf *recs)
{
	int fd = openat(box->dirfd, MSTORE_UIDLIST, O_WRONLY | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW);
	struct stat st, pre;
	int e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &pre) < 0) {
		close(fd);
		return -1;
	}
	if (mstore_write_full(fd, recs->data, recs->len) < 0 ||
	    fdatasync(fd) < 0 || fstat(fd, &st) < 0) {
		/* No torn record may stay in front of the next append (a
		 * full disk); the records were not shown to anyone. */
		e = errno;
		if (ftruncate(fd, pre.st_size) < 0)
			log_warn("mstore: %s: cannot cut a failed uidlist "
			    "write: %s", box->path, strerror(errno));
		close(fd);
		errno = e;
		return -1;
	}
	box->st.uidlist_size = (uint64_t)st.st_size;
	return close(fd);
}

/* Make the uidlist when there is none: Dovecot's if present, else new. */
int
mstore_uidlist_init(struct mstore_box *box)
{
	struct buf *b;
	char hdr[64];
	uint32_t uv = (uint32_t)time(NULL);
	int r;

	if (faccessat(box->dirfd, MSTORE_UIDLIST, F_OK, 0) == 0)
		return 0;
	if (mstore_read_all(box->dirfd, MSTORE_DC_UIDLIST, MSTORE_FILE_MAX,
	    &b) == 0) {
		r = mstore_write_atomic(box->dirfd, MSTORE_UIDLIST, b->data,
		    b->len, 1);
		buf_free(&b);
		if (r == 0)
			log_info("mstore: %s: took over dovecot-uidlist",
			    box->path);
		return r;
	}
	if (box->st.uidvalidity == uv)
		uv++;
	if (uv == 0)
		uv = 1;
	snprintf(hdr, sizeof(hdr), "3 V%u N1\n", uv);
	r = mstore_write_atomic(box->dirfd, MSTORE_UIDLIST, hdr, strlen(hdr), 1);
	if (r == 0 && fsync(box->dirfd) < 0)
		r = -1;
	return r;
}

/* The next free UID per the uidlist and the state (lock held). */
int
mstore_uidlist_next(struct mstore_box *box, uint32_t *next_r)
{
	struct mstore_reuse u;

	if (mstore_reuse_load(box, &u) < 0)
		return -1;
	mstore_set_free(&u.set);
	*next_r = u.next > box->st.uidnext ? u.next : box->st.uidnext;
	return 0;
}

/* Write the uidlist as "3 V N" + the state's records (tmp, fsync, rename,
 * fsync of the folder; lock held). */
int
mstore_uidlist_write(struct mstore_box *box, uint32_t next)
{
	struct buf *b = buf_new(box->st.count * 64 + 64, 0);
	int r = buf_printf(b, "3 V%u N%u\n", box->st.uidvalidity, next);

	for (size_t i = 0; i < box->st.count && r == 0; i++) {
		const struct mstore_msg *m = &box->st.msgs[i];
		const char *n = mstore_state_name(&box->st, m);

		r = buf_printf(b, "%u :%.*s\n", m->uid,
		    (int)mstore_base_len(n, m->name_len), n);
	}
	if (r == 0)
		r = mstore_write_atomic(box->dirfd, MSTORE_UIDLIST, b->data, b->len,
		    1);
	if (r == 0 && fsync(box->dirfd) < 0)
		r = -1;
	if (r == 0)
		box->st.uidlist_size = b->len;
	buf_free(&b);
	return r;
}

/* Replace a mostly dead uidlist by the live records; its UIDNEXT covers
 * every UID the old file handed out. */
int
mstore_uidlist_rewrite(struct mstore_box *box)
{
	uint32_t next;

	if (mstore_uidlist_next(box, &next) < 0)
		return -1;
	return mstore_uidlist_write(box, next);
}
