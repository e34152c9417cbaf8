/*
 * fuzz_qfile.c - libFuzzer target for the queue-file reader: the input is
 * a whole queue file (marked complete); the reader must accept or refuse
 * it without crashing, leaking or reading out of bounds, and an accepted
 * file's content iterator must yield exactly content_len bytes.  The
 * record header parser is also fed every prefix of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "qfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk the content of an accepted file and check its length. */
static void
fuzz_content(int fd, const struct qfile_env *env)
{
	struct qfile_content *it = qfile_content_open(fd, env);
	const char *p;
	size_t n;
	off_t total = 0;
	int r;

	while ((r = qfile_content_next(it, &p, &n)) == 1)
		total += (off_t)n;
	if (r != 0 || total != env->content_len)
		abort();
	qfile_content_close(&it);
}

/* One input: header parser on prefixes, then the full reader. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct qfile_env *env = NULL;
	const char *err = NULL;
	size_t plen, hlen;
	int type;

	for (size_t i = 0; i <= size && i <= 6; i++)
		(void)qfile_record_header(data, i, &type, &plen, &hlen);
	if (fd < 0) {
		fd = memfd_create("fuzz_qfile", 0);
		if (fd < 0 || fchmod(fd, QFILE_MODE_COMPLETE) < 0)
			abort();
	}
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (qfile_read_envelope(fd, &env, &err) == 0) {
		fuzz_content(fd, env);
		qfile_env_free(&env);
	} else if (env != NULL || err == NULL) {
		abort();
	}
	return 0;
}
