/*
 * alloc.c - allocation wrappers that never return NULL.
 *
 * Public: xmalloc, xcalloc, xrealloc, xreallocarray, xstrdup, xstrndup,
 * xmemdup.  Returns: always a valid pointer.  Fatal: on out-of-memory the
 * process logs and exits with the temporary-failure code (log_fatal); a
 * size multiplication that overflows is a caller bug and panics.
 * Security: zero-size requests are rounded up to 1 so the result is never
 * NULL and never ambiguous.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

/* Allocate size bytes or die. */
void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		log_fatal("out of memory (%zu bytes)", size);
	return p;
}

/* Allocate a zeroed array, checking nmemb * size for overflow. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		log_panic("xcalloc: overflow (%zu * %zu)", nmemb, size);
	p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		log_fatal("out of memory (%zu * %zu bytes)", nmemb, size);
	return p;
}

/* Resize ptr to size bytes or die. */
void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		log_fatal("out of memory (%zu bytes)", size);
	return p;
}

/* Resize ptr to an array of nmemb * size bytes, checking for overflow. */
void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		log_panic("xreallocarray: overflow (%zu * %zu)", nmemb, size);
	return xrealloc(ptr, nmemb * size);
}

/* Duplicate a C string. */
char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

/* Duplicate at most n bytes of s and NUL-terminate the copy. */
char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p;

	if (len == SIZE_MAX)
		log_panic("xstrndup: length overflow");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Duplicate n bytes of memory. */
void *
xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n);

	if (n > 0)
		memcpy(q, p, n);
	return q;
}
