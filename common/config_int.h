/*
 * config_int.h - private to config.c and config_parse.c: the state of one
 * configuration generation and the helpers the parser shares.  Not for use
 * outside those two files.
 */
#ifndef PETREL_CONFIG_INT_H
#define PETREL_CONFIG_INT_H

#include <stddef.h>

#include "buf.h"

#define CFG_DEFAULT_PATH "/etc/petrel/petrel.conf"
#define CFG_FILE_MAX	(4 * 1024 * 1024)
#define CFG_VALUE_MAX	(64 * 1024)
#define CFG_DEPTH	10

/* One generation of configuration: raw values by table index. */
struct cfg_state {
	char **file_raw;	/* value from the file, or NULL */
	int *file_line;		/* line where file_raw was set */
	char **set_raw;		/* config_set override, or NULL */
	char **dyn_default;	/* computed default (myhostname, mydomain) */
	char **expanded;	/* final values, after a successful finalize */
	char *path;
};

int config_int_err(const char **errstr_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int config_int_index(const char *name, size_t len);
int config_int_read_file(const char *path, struct buf **text_r,
    const char **errstr_r);
int config_int_parse(struct cfg_state *st, const char *p, size_t len,
    const char **errstr_r);

#endif
