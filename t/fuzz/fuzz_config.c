/*
 * fuzz_config.c - libFuzzer target for the petrel.conf parser and the
 * $name expansion in common/config.c (through config_load_text).
 *
 * Whatever the text, loading must either succeed with every parameter
 * expanded, or fail with a "fuzz.conf:" message; never crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err = NULL;

	if (config_load_text("fuzz.conf", (const char *)data, size, &err) < 0) {
		if (err == NULL || strncmp(err, "fuzz.conf", 9) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < params_count; i++)
		if (config_get(params_table[i].name) == NULL)
			abort();
	{
		char **l = config_list(config_get("mydestination"));
		config_list_free(&l);
	}
	return 0;
}
