/*
 * fuzz_postdrop_addr.c - libFuzzer target for queue/postdrop_addr.c, the
 * To:/Cc:/Bcc: address-list splitter of "sendmail -t" (linked in:
 * LINK_fuzz_postdrop_addr in the Makefile).
 *
 * Input: a header value.  Every address handed to the callback must be
 * non-empty and within the bound (control characters inside quotes may
 * pass: pd_qualify refuses them later); the splitter returns 0 or -1.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/postdrop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check one address. */
static int
check_addr(void *arg, const char *p, size_t len)
{
	(void)arg;
	if (len == 0 || len > PD_ADDR_MAX)
		abort();
	(void)p;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = pd_addr_list((const char *)data, size, check_addr, NULL);

	if (r != 0 && r != -1)
		abort();
	return 0;
}
