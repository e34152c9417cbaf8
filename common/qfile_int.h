/*
 * qfile_int.h - private interface between the queue-file writer (qfile.c)
 * and the reuse of finished queue files (qfile_free.c).  Nothing outside
 * common/qfile*.c includes this file.
 */
#ifndef PETREL_QFILE_INT_H
#define PETREL_QFILE_INT_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

void qfile_free_open(const char *incoming_dir);
int qfile_free_take(char *name, size_t size, struct stat *st_r);
int qfile_free_commit(const char *name, int dirfd, const char *qid);

#endif
