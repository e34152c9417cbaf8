/*
 * config.h - petrel.conf: "name = value" lines, '#' comments, indented lines
 * continue the previous value, "$name" / "${name}" expansion (bounded depth),
 * one typed table of every parameter (params.c) with defaults and bounds.
 *
 * Public:
 *   config_load(path, &errstr)   path NULL: $PETREL_CONF, else
 *                                /etc/petrel/petrel.conf.  A missing file at the
 *                                default path is not an error (defaults apply).
 *                                Unknown names, bad numbers, out-of-range values,
 *                                syntax errors: -1 with "file:line: reason".
 *   config_set(name, value, &errstr)  override (command line -o name=value);
 *                                call before config_load's final typing, i.e.
 *                                config_load applies earlier config_set values.
 *   config_dump(fp, mode)        CONFIG_DUMP_ALL (effective values),
 *                                CONFIG_DUMP_DEFAULTS, CONFIG_DUMP_NONDEFAULT;
 *                                "name = value" sorted by name.
 *   config_get(name)             expanded string value or NULL if unknown.
 *   config_file(void)            the path loaded (for messages).
 * Typed variables (var_*) are declared in params.h and filled by config_load.
 * Time values accept s, m, h, d, w suffixes (seconds by default); sizes are
 * bytes; booleans are yes/no.  Lists are strings split later by the user
 * (comma and/or white space separated).
 */
#ifndef PETREL_CONFIG_H
#define PETREL_CONFIG_H

#include <stdio.h>
#include "log.h"

enum param_type { PARAM_STR, PARAM_INT, PARAM_TIME, PARAM_BOOL };

struct param {
	const char *name;
	enum param_type type;
	const char *defval;	/* may contain $name references */
	long min;		/* for INT/TIME */
	long max;
	void *var;		/* char ** for STR, long * for INT/TIME, int * for BOOL */
};

enum config_dump_mode { CONFIG_DUMP_ALL, CONFIG_DUMP_DEFAULTS, CONFIG_DUMP_NONDEFAULT };

int config_load(const char *path, const char **errstr_r) WARN_UNUSED;
int config_set(const char *name, const char *value, const char **errstr_r) WARN_UNUSED;
void config_dump(FILE *fp, enum config_dump_mode mode);
const char *config_get(const char *name);
const char *config_file(void);

/* Additions (core): config_load_text parses petrel.conf text from memory
 * (name is used in messages), same contract as config_load.  config_raw
 * gives the unexpanded value: CONFIG_DUMP_ALL the effective one,
 * CONFIG_DUMP_DEFAULTS the default, CONFIG_DUMP_NONDEFAULT the value set in
 * the file or by config_set, else NULL.  NULL also for an unknown name. */
int config_load_text(const char *name, const char *p, size_t len,
    const char **errstr_r) WARN_UNUSED;
const char *config_raw(const char *name, enum config_dump_mode mode);

/* Split a list value (comma/blank separated) into a NULL-terminated array
 * of fresh strings; free with config_list_free. */
char **config_list(const char *value);
void config_list_free(char ***listp);

#endif
