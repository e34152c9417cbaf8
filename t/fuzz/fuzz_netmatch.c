/*
 * fuzz_netmatch.c - libFuzzer target for common/netmatch.c: the input's
 * first line is parsed as a network list, every further line is matched
 * against it as a client address.  Must never crash, hang or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "netmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One fuzz input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char *nl = strchr(s, '\n'), *p;
	const char *err = NULL;
	struct netmatch *nm;

	if (nl != NULL)
		*nl = '\0';
	nm = netmatch_new(s, &err);
	for (p = nl != NULL ? nl + 1 : NULL; nm != NULL && p != NULL;) {
		char *next = strchr(p, '\n');
		if (next != NULL)
			*next++ = '\0';
		(void)netmatch_match(nm, p);
		p = next;
	}
	netmatch_free(&nm);
	free(s);
	return 0;
}
