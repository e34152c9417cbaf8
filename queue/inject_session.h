/*
 * inject_session.h - one petrel-inject session (the protocol of inject.h)
 * over a pair of descriptors.  Used by inject_main.c through the server
 * skeleton and by t/unit/test_inject.c over a socketpair.
 */
#ifndef PETREL_INJECT_SESSION_H
#define PETREL_INJECT_SESSION_H

#include "server.h"

void inject_session(int fd_in, int fd_out, const struct server_peer *peer);

#endif
