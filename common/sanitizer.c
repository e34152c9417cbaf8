/*
 * sanitizer.c - see sanitizer.h: the dumpable flag that LeakSanitizer
 * needs after a process changed its credentials.
 */
#include <sys/prctl.h>

#include "sanitizer.h"

/* In a sanitizer build, undo the kernel's "not dumpable" after an id
 * change so that LeakSanitizer can trace the process at exit. */
void
sanitizer_keep_dumpable(void)
{
	if (SANITIZER_BUILD)
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
