/*
 * map_tool.c - petrel-map (and newaliases): build lookup maps from their
 * text sources, or query them.
 *
 *   petrel-map [-f conf] type:path...          build each map
 *   petrel-map [-f conf] -a [type:path...]     alias syntax; with no maps,
 *                                              rebuild every $alias_database
 *   petrel-map [-f conf] [-a] -q key type:path...   print the value
 *   newaliases, petrel-newaliases [-f conf]    same as petrel-map -a
 * Exit: 0 ok (or found), 1 not found or a map failed to build (the message
 * names file:line), 64 usage, 75 configuration or temporary lookup error.
 *
 * Security: run by the administrator as root; builds are atomic (maps.c
 * writes a temporary file and renames it), so daemons never see a
 * half-built map, and a failed build leaves the old map in place.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "maps.h"
#include "params.h"

#define EXIT_USAGE 64

/* Print usage and return the usage exit code. */
static int
usage(void)
{
	fprintf(stderr, "usage: petrel-map [-f conf] [-a] type:path...\n"
	    "       petrel-map [-f conf] [-a] -q key type:path...\n"
	    "       newaliases [-f conf]\n");
	return EXIT_USAGE;
}

/* Build one map; complain on stderr. */
static int
build_one(const char *spec, int flags)
{
	const char *err = NULL;

	if (strchr(spec, ':') == NULL) {
		fprintf(stderr, "petrel-map: %s: expected type:path\n", spec);
		return -1;
	}
	if (map_build(spec, NULL, flags, &err) < 0) {
		fprintf(stderr, "petrel-map: %s: %s\n", spec, err);
		return -1;
	}
	return 0;
}

/* Build every map of a comma/blank separated list. */
static int
build_list(const char *specs, int flags)
{
	char **list = config_list(specs);
	int rc = 0;

	for (char **p = list; p != NULL && *p != NULL; p++)
		if (build_one(*p, flags) < 0)
			rc = 1;
	config_list_free(&list);
	return rc;
}

/* Look key up in the given maps; print the first hit. */
static int
query(const char *key, char **specs, int n)
{
	const char *err = NULL, *value;

	for (int i = 0; i < n; i++) {
		struct map *m = map_open(specs[i], &err);
		int rc;
		if (m == NULL) {
			fprintf(stderr, "petrel-map: %s\n", err);
			return PETREL_EX_TEMPFAIL;
		}
		rc = map_lookup(m, key, &value, &err);
		if (rc == 1)
			printf("%s\n", value);
		else if (rc < 0)
			fprintf(stderr, "petrel-map: %s: %s\n", specs[i], err);
		map_close(&m);
		if (rc != 0)
			return rc == 1 ? 0 : PETREL_EX_TEMPFAIL;
	}
	return 1;
}

/* Was the program called as newaliases? */
static int
is_newaliases(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	return strcmp(base, "newaliases") == 0 ||
	    strcmp(base, "petrel-newaliases") == 0;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *key = NULL, *err = NULL;
	int aliases = argc > 0 && is_newaliases(argv[0]), c, rc = 0;

	log_init(aliases ? "newaliases" : "map", 1);
	while ((c = getopt(argc, argv, "af:q:")) != -1) {
		if (c == 'a')
			aliases = 1;
		else if (c == 'f')
			conf = optarg;
		else if (c == 'q')
			key = optarg;
		else
			return usage();
	}
	if (config_load(conf, &err) < 0) {
		fprintf(stderr, "petrel-map: %s\n", err);
		return PETREL_EX_TEMPFAIL;
	}
	if (key != NULL)
		return optind < argc ? query(key, argv + optind,
		    argc - optind) : usage();
	if (optind == argc)
		return aliases ? build_list(var_alias_database,
		    MAP_BUILD_ALIASES) : usage();
	for (int i = optind; i < argc; i++)
		if (build_one(argv[i], aliases ? MAP_BUILD_ALIASES : 0) < 0)
			rc = 1;
	return rc;
}
