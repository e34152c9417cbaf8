/*
 * alloc.h - allocation wrappers that never return NULL.
 *
 * Public: xmalloc, xcalloc, xrealloc, xreallocarray, xstrdup, xstrndup, xmemdup.
 * On allocation failure they call log_fatal() (the process exits with the
 * temporary-failure code), so callers never test for NULL.  xreallocarray and
 * xcalloc check the multiplication for overflow and panic on it.
 */
#ifndef PETREL_ALLOC_H
#define PETREL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

#endif
