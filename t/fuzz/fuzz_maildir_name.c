/*
 * fuzz_maildir_name.c - libFuzzer target for maildir_parse_name(): any
 * NUL-terminated name must parse or be refused without crashing, and the
 * results must stay inside the name (base_len) and the flags buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maildir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: parse it as a file name and check the invariants. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maildir_name_info info;
	char name[4096];

	if (size >= sizeof(name))
		size = sizeof(name) - 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (maildir_parse_name(name, &info) == 0) {
		if (info.base_len == 0 || info.base_len > strlen(name) ||
		    memchr(info.flags, '\0', sizeof(info.flags)) == NULL ||
		    info.size < -1 || info.vsize < -1)
			abort();
	}
	return 0;
}
