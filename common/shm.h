/*
 * shm.h - tables in shared memory that a daemon's parent makes before it
 * forks, so that every worker (and every replacement worker) sees the
 * same contents, guarded by a process-shared robust mutex.
 *
 * Public:
 *   shm_map(size, what)      zero-filled MAP_SHARED anonymous memory;
 *                            fatal (naming what) when it cannot be mapped.
 *   shm_mutex_init(m, what)  a process-shared, robust mutex; fatal on error.
 *   shm_mutex_lock(m, what)  take it; when its holder died holding it the
 *                            mutex is made consistent and taken (the
 *                            caller's table may then hold one half-written
 *                            entry, which every user of this must tolerate).
 *   shm_mutex_unlock(m)
 * Users: petrel-auth's login cookies (local/auth_cookie.c) and its
 * failure penalties (local/auth_penalty.c).
 */
#ifndef PETREL_SHM_H
#define PETREL_SHM_H

#include <pthread.h>
#include <stddef.h>

void *shm_map(size_t size, const char *what);
void shm_mutex_init(pthread_mutex_t *m, const char *what);
void shm_mutex_lock(pthread_mutex_t *m, const char *what);
void shm_mutex_unlock(pthread_mutex_t *m);

#endif
