/*
 * sanitizer.h - what a build under AddressSanitizer, LeakSanitizer or
 * UBSan ("make asan") does differently from a production build.
 *
 * Public:
 *   SANITIZER_BUILD             1 when this translation unit is compiled
 *                               with a sanitizer, else 0.
 *   sanitizer_keep_dumpable()   after a change of credentials (setuid,
 *                               seteuid, a setgid program's start): in a
 *                               sanitizer build, mark the process dumpable
 *                               again so that LeakSanitizer's check at exit
 *                               (it ptrace-attaches the process's threads
 *                               from a helper task) works instead of
 *                               failing with "LeakSanitizer has encountered
 *                               a fatal error"; a no-op otherwise.
 * Security: a dumpable process can be ptraced and core-dumped by its
 * (new) user, which for a setgid tool or a worker that dropped root means
 * that user could reach what the process still holds.  Only sanitizer
 * builds (tests, never installed) do this.
 */
#ifndef PETREL_SANITIZER_H
#define PETREL_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

void sanitizer_keep_dumpable(void);

#endif
