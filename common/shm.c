/*
 * shm.c - shared tables made before fork: the mapping and its robust
 * process-shared mutex (see shm.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "shm.h"

/* Zero-filled shared anonymous memory (parent, before fork). */
void *
shm_map(size_t size, const char *what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		log_fatal("%s: mmap %zu bytes: %m", what, size);
	return p;
}

/* A process-shared robust mutex in shared memory. */
void
shm_mutex_init(pthread_mutex_t *m, const char *what)
{
	pthread_mutexattr_t ma;

	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(m, &ma) != 0)
		log_fatal("%s: cannot make a shared mutex", what);
	pthread_mutexattr_destroy(&ma);
}

/* Take the mutex, repairing it after a holder that died. */
void
shm_mutex_lock(pthread_mutex_t *m, const char *what)
{
	int rc = pthread_mutex_lock(m);

	if (rc == EOWNERDEAD)
		(void)pthread_mutex_consistent(m);
	else if (rc != 0)
		log_panic("%s: lock: %s", what, strerror(rc));
}

/* Release the mutex. */
void
shm_mutex_unlock(pthread_mutex_t *m)
{
	(void)pthread_mutex_unlock(m);
}
