/*
 * fuzz_addr.c - libFuzzer target for common/addr.c.
 *
 * Input: the first byte picks the flags; the rest is a MAIL FROM/RCPT TO
 * argument.  Checks: a parsed address fits ADDR_MAX, is NUL-terminated
 * at addr_len, holds no CR/LF/NUL, its domain (when present) is valid,
 * the parameters lie inside the input; addr_normalize keeps the length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_path path;
	const char *p = (const char *)data + 1, *err = NULL, *dom;
	size_t len, lp;

	if (size < 1)
		return 0;
	len = size - 1;
	(void)addr_is_valid_domain(p, len);
	if (addr_parse_path(p, len, data[0] & 3, &path, &err) != 0) {
		if (err == NULL)
			abort();
		return 0;
	}
	if (path.addr_len > ADDR_MAX || path.addr[path.addr_len] != '\0' ||
	    strlen(path.addr) != path.addr_len ||
	    strpbrk(path.addr, "\r\n") != NULL)
		abort();
	if (path.params_len > 0 && (path.params < p ||
	    path.params + path.params_len > p + len))
		abort();
	addr_split(path.addr, &lp, &dom);
	if (dom != NULL && !addr_is_valid_domain(dom, strlen(dom)))
		abort();
	if (strlen(addr_normalize(path.addr)) != path.addr_len)
		abort();
	return 0;
}
