/*
 * sgid.h - privilege and configuration helpers for the set-group-ID spool
 * tools (petrel-postdrop, petrel-qtool).  See sgid.c for the rules.
 */
#ifndef PETREL_SGID_H
#define PETREL_SGID_H

#include "log.h"

void sgid_init(void);
int sgid_is_setgid(void);
int sgid_raise(void) WARN_UNUSED;
int sgid_lower(void) WARN_UNUSED;
void sgid_drop(void);
int sgid_trusted_file(const char *path);
int sgid_config_load(const char *path, const char **errstr_r) WARN_UNUSED;

#endif
