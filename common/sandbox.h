/*
 * sandbox.h - what a process may still do once it talks to the network:
 * no new privileges through execve (PR_SET_NO_NEW_PRIVS), and a seccomp
 * filter that allows only the system calls the process makes.
 *
 * Profiles:
 *   SANDBOX_NET   pre-login and SMTP workers: sockets, polling, memory,
 *                 time, reading files (maps, certificates already loaded),
 *                 writing the log; no change to any file name (no unlink,
 *                 rename, mkdir, link, chmod, chown, truncate), no exec, no
 *                 fork, no ptrace, no id change, no mount, no module,
 *                 no bpf, no keyring.
 *   SANDBOX_NET_DB  SMTP workers: SANDBOX_NET plus flock, fsync and
 *                 fdatasync, for the greylist database they share
 *                 (smtpd/greylist.c); still no change to any file name.
 *   SANDBOX_MAIL  a process acting as a mailbox owner (POP3 worker, IMAP
 *                 session): SANDBOX_NET plus what a maildir needs (create,
 *                 rename, link and unlink files, mkdir/rmdir, fsync,
 *                 ftruncate, flock, inotify, utimensat).
 * A call outside the profile kills the whole process with SIGSYS (the
 * pool's parent logs "killed by the seccomp filter", the kernel's audit
 * log names the call).  The test suite runs with the filters on, so a
 * call that code needs and the profile lacks shows up as a failing test.
 *
 * Public:
 *   sandbox_no_new_privs()           PR_SET_NO_NEW_PRIVS (inherited by
 *                                    every child); 0 or -1.
 *   sandbox_enter(profile, &errstr)  no_new_privs, then the filter;
 *                                    0, or -1 with errstr.  Without the
 *                                    filter (seccomp = no, or a sanitizer
 *                                    build whose runtime needs calls no
 *                                    profile allows) it only sets
 *                                    no_new_privs and returns 0.
 * Security: the filter is a second wall; the first ones are the privilege
 * drop and the separation of processes.  It is installed after the
 * process has opened what it needs and dropped its ids, and cannot be
 * removed by the process afterwards.
 */
#ifndef PETREL_SANDBOX_H
#define PETREL_SANDBOX_H

enum sandbox_profile {
	SANDBOX_NONE = 0,
	SANDBOX_NET,
	SANDBOX_NET_DB,
	SANDBOX_MAIL
};

int sandbox_no_new_privs(void);
int sandbox_enter(enum sandbox_profile profile, const char **errstr_r);

#endif
