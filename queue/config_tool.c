/*
 * config_tool.c - petrel-config: print and check the Petrel configuration,
 * in the manner of postconf(1).
 *
 * Usage: petrel-config [-f file] [-d | -n] [-h] [-x] [-c] [-o name=value]
 *                      [name ...]
 *   (none)  every parameter's effective value, "name = value", sorted;
 *   -d      the built-in defaults (the file is not read);
 *   -n      only parameters set in the file or with -o;
 *   -h      print the value only;
 *   -x      expand $name references in the values printed;
 *   -c      check the file: print problems as "file:line: reason", exit 1,
 *           or exit 0 silently;
 *   -o      override a parameter for this run.
 * Exit: 0 success; 1 configuration error, unknown name or usage error.
 * Security: runs as any user; reads only the configuration file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "params.h"

/* Options of one run. */
struct opts {
	const char *file;
	enum config_dump_mode mode;
	int value_only;
	int expand;
	int check;
};

/* Print the usage line and exit 1. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: petrel-config [-f file] [-d | -n] [-h] [-x] "
	    "[-c] [-o name=value] [name ...]\n");
	exit(1);
}

/* Apply one -o name=value override; exits 1 on error. */
static void
apply_override(const char *arg)
{
	const char *eq = strchr(arg, '='), *err = NULL;
	char name[256];
	size_t n;

	if (eq == NULL || eq == arg)
		usage();
	n = (size_t)(eq - arg);
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		n--;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, arg, n);
	name[n] = '\0';
	eq++;
	while (*eq == ' ' || *eq == '\t')
		eq++;
	if (config_set(name, eq, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

/* Print one parameter as selected by the options. */
static void
print_param(const struct opts *o, const char *name)
{
	const char *v = config_raw(name, o->mode);

	if (v == NULL)
		return;		/* -n and not set */
	if (o->expand && o->mode != CONFIG_DUMP_DEFAULTS)
		v = config_get(name);
	if (o->value_only)
		printf("%s\n", v);
	else
		printf("%s = %s\n", name, v);
}

/* Order parameter names alphabetically. */
static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Print every parameter, sorted by name. */
static void
print_all(const struct opts *o)
{
	const char **names = calloc(params_count, sizeof(char *));

	if (names == NULL) {
		fprintf(stderr, "petrel-config: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < params_count; i++)
		names[i] = params_table[i].name;
	qsort(names, params_count, sizeof(char *), cmp_name);
	for (size_t i = 0; i < params_count; i++)
		print_param(o, names[i]);
	free(names);
}

/* Parse the command line into o; returns the index of the first name. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "cdf:hno:x")) != -1) {
		switch (ch) {
		case 'c': o->check = 1; break;
		case 'd': o->mode = CONFIG_DUMP_DEFAULTS; break;
		case 'f': o->file = optarg; break;
		case 'h': o->value_only = 1; break;
		case 'n': o->mode = CONFIG_DUMP_NONDEFAULT; break;
		case 'o': apply_override(optarg); break;
		case 'x': o->expand = 1; break;
		default: usage();
		}
	}
	return optind;
}

/* petrel-config entry point. */
int
main(int argc, char **argv)
{
	struct opts o = { NULL, CONFIG_DUMP_ALL, 0, 0, 0 };
	const char *err = NULL;
	int first, rc = 0;

	log_init("config", 0);
	first = parse_args(argc, argv, &o);
	if (o.check || o.mode != CONFIG_DUMP_DEFAULTS) {
		if (config_load(o.file, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	if (o.check)
		return 0;
	if (first == argc) {
		print_all(&o);
		return 0;
	}
	for (int i = first; i < argc; i++) {
		if (config_raw(argv[i], CONFIG_DUMP_ALL) == NULL) {
			fprintf(stderr, "petrel-config: unknown parameter name "
			    "'%.100s'\n", argv[i]);
			rc = 1;
			continue;
		}
		print_param(&o, argv[i]);
	}
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
