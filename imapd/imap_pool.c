/*
 * imap_pool.c - a bounded arena for one IMAP command's parsed arguments.
 *
 * Public: see imap_pool.h.  Blocks are chained; small requests are cut
 * from the current block, large ones get a block of their own.  Clearing
 * keeps the first block so a session does not go back to malloc for every
 * command.  Never fatal except through xmalloc.
 * Security: `used` counts every byte handed out and is checked against the
 * maximum before any allocation, with overflow-safe arithmetic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imap_pool.h"

#define POOL_BLOCK	8192
#define POOL_ALIGN	16

struct pool_block {
	struct pool_block *next;
	size_t size;
	size_t off;
	_Alignas(POOL_ALIGN) unsigned char data[];
};

struct imap_pool {
	struct pool_block *head;
	size_t used;
	size_t max;
};

/* Allocate a block able to hold n bytes. */
static struct pool_block *
block_new(size_t n)
{
	size_t size = n > POOL_BLOCK ? n : POOL_BLOCK;
	struct pool_block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->off = 0;
	return b;
}

/* Create an empty pool that hands out at most max bytes between clears. */
struct imap_pool *
imap_pool_new(size_t max)
{
	struct imap_pool *pool = xcalloc(1, sizeof(*pool));

	pool->max = max != 0 ? max : IMAP_POOL_DEFAULT_MAX;
	pool->head = block_new(POOL_BLOCK);
	return pool;
}

/* Free every block of the pool and NULL the caller's pointer. */
void
imap_pool_free(struct imap_pool **poolp)
{
	struct imap_pool *pool = *poolp;

	if (pool == NULL)
		return;
	while (pool->head != NULL) {
		struct pool_block *next = pool->head->next;
		free(pool->head);
		pool->head = next;
	}
	free(pool);
	*poolp = NULL;
}

/* Drop every allocation, keeping the last (oldest) block for reuse. */
void
imap_pool_clear(struct imap_pool *pool)
{
	while (pool->head->next != NULL) {
		struct pool_block *next = pool->head->next;
		free(pool->head);
		pool->head = next;
	}
	pool->head->off = 0;
	pool->used = 0;
}

/* Hand out n zeroed, aligned bytes, or NULL past the pool's maximum. */
void *
imap_pool_alloc(struct imap_pool *pool, size_t n)
{
	struct pool_block *b = pool->head;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - POOL_ALIGN)
		return NULL;
	need = (n + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
	if (need > pool->max - pool->used)
		return NULL;
	if (b->size - b->off < need) {
		b = block_new(need);
		b->next = pool->head;
		pool->head = b;
	}
	p = b->data + b->off;
	b->off += need;
	pool->used += need;
	memset(p, 0, n);
	return p;
}

/* Hand out an array of nmemb elements of size bytes, checking overflow. */
void *
imap_pool_alloc_array(struct imap_pool *pool, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return imap_pool_alloc(pool, nmemb * size);
}

/* Copy n bytes into the pool with a terminating NUL. */
char *
imap_pool_strndup(struct imap_pool *pool, const char *p, size_t n)
{
	char *s;

	if (n == SIZE_MAX)
		return NULL;
	s = imap_pool_alloc(pool, n + 1);
	if (s == NULL)
		return NULL;
	if (n != 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Bytes handed out since the last clear (for tests and accounting). */
size_t
imap_pool_used(const struct imap_pool *pool)
{
	return pool->used;
}
