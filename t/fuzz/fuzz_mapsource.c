/*
 * fuzz_mapsource.c - libFuzzer target for the map text source parser
 * (common/maps_text.c): the first byte picks the format (odd: alias
 * syntax) and where the rest is split into two feeds, so the incremental
 * parser is exercised at arbitrary chunk boundaries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "maps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Count entries and check the callback's invariants. */
static int
entry(void *ctx, const char *key, const char *value, const char **errstr_r)
{
	size_t *count = ctx;

	(void)errstr_r;
	if (key[0] == '\0' || value[0] == '\0' ||
	    strlen(key) > MAP_KEY_MAX || strlen(value) > MAP_VALUE_MAX)
		abort();
	(*count)++;
	return 0;
}

/* One fuzz input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_text_parser *p;
	const char *err = NULL;
	size_t count = 0, split;

	if (size == 0)
		return 0;
	p = map_text_new((data[0] & 1) ? MAP_BUILD_ALIASES : 0, entry, &count);
	data++;
	size--;
	split = size > 0 ? data[0] % (size + 1) : 0;
	if (map_text_feed(p, (const char *)data, split, &err) == 0 &&
	    map_text_feed(p, (const char *)data + split, size - split,
	    &err) == 0)
		(void)map_text_finish(p, &err);
	map_text_free(&p);
	return 0;
}
