/*
 * imap_pool.h - a bounded arena for one IMAP command's parsed arguments.
 *
 * The session creates one pool per connection, parses a command into it
 * (imap_parse_cmd and the typed parsers allocate every node, string and
 * array here), and calls imap_pool_clear() when the command is done, so a
 * command's allocations are freed at once and never leak into the next.
 *
 * Public:
 *   imap_pool_new(max)        max is the most bytes the pool hands out
 *                             between clears (0: 16 MiB).
 *   imap_pool_free(&pool)     frees every block and NULLs the pointer.
 *   imap_pool_clear(pool)     forgets every allocation; keeps one block.
 *   imap_pool_alloc(pool, n)  zeroed, aligned memory, or NULL when the
 *                             pool's maximum would be passed (the parsers
 *                             turn that into "command too complex").
 *   imap_pool_alloc_array(pool, nmemb, size)  the same with an overflow check.
 *   imap_pool_strndup(pool, p, n)  NUL-terminated copy of n bytes, or NULL.
 * Memory itself comes from xmalloc (never NULL; fatal on exhaustion).
 * Security: the maximum bounds what one hostile command can make us hold.
 */
#ifndef PETREL_IMAP_POOL_H
#define PETREL_IMAP_POOL_H

#include <stddef.h>
#include "log.h"

#define IMAP_POOL_DEFAULT_MAX	(16u * 1024 * 1024)

struct imap_pool;

struct imap_pool *imap_pool_new(size_t max);
void imap_pool_free(struct imap_pool **poolp);
void imap_pool_clear(struct imap_pool *pool);
void *imap_pool_alloc(struct imap_pool *pool, size_t n) WARN_UNUSED;
void *imap_pool_alloc_array(struct imap_pool *pool, size_t nmemb, size_t size)
    WARN_UNUSED;
char *imap_pool_strndup(struct imap_pool *pool, const char *p, size_t n)
    WARN_UNUSED;
size_t imap_pool_used(const struct imap_pool *pool);

#endif
