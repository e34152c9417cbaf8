/*
 * login_proc.c - what an event on a pre-login client's socket runs
 * (imapd, pop3d; login.h): the TLS handshake, reading, the protocol's
 * command parser, flushing, STARTTLS, closing.
 *
 * Public (see login.h): login_greet (a new client: the protocol's state,
 * then its greeting, or for the implicit-TLS listener the handshake
 * first; a client over its connection limits gets the protocol's
 * too_many reply instead, then the close), login_process (everything
 * the client's buffered input allows), login_plaintext_ok,
 * login_starttls_ok, login_consume (drop consumed input and wipe it).
 * login_process does not nest: a call made while it runs (a password
 * check answered at once in -S mode, a failure answered without delay)
 * returns at once, and the running call goes on with the new state.
 * STARTTLS: once the protocol's positive reply (starttls_pending set) is
 * out, pipelined input is dropped, the protocol's state reset, and the
 * handshake starts.
 * Security: all of the input is untrusted; buffers that held a password
 * are wiped as they are consumed.
 */
#include <string.h>

#include "buf.h"
#include "login.h"
#include "tls_server.h"

/* Whether a password may travel on this connection. */
int
login_plaintext_ok(const struct login_client *c)
{
	return tls_server_plaintext_ok(login_proto->tls(), c->tls_up,
	    c->peer.is_unix || c->peer.addr[0] == '\0', c->peer.addr);
}

/* Whether STARTTLS may be offered now. */
int
login_starttls_ok(const struct login_client *c)
{
	return tls_server_get_ctx(login_proto->tls()) != NULL &&
	    c->tls == NULL && !c->peer.is_unix && c->peer.addr[0] != '\0';
}

/* Wipe what is left of consumed input (passwords travel there). */
void
login_consume(struct login_client *c, size_t n)
{
	buf_consume(c->in, n);
	explicit_bzero(c->in->data + c->in->len, c->in->cap - c->in->len);
}

/* The protocol's greeting, or its refusal of a client over its
 * connection limits (login_climit.c), which then closes. */
static void
proc_hello(struct login_client *c)
{
	if (!c->climit_refused) {
		login_proto->greet(c);
		return;
	}
	login_reply(c, "%s", login_proto->too_many);
	c->state = LS_CLOSING;
}

/* The greeting, or for the implicit-TLS port the handshake first. */
void
login_greet(struct login_client *c)
{
	login_proto->init(c);
	c->state = LS_COMMAND;
	if (c->peer.listener == login_proto->tls_listener) {
		if (tls_server_get_ctx(login_proto->tls()) == NULL ||
		    login_io_start_tls(c) != 0) {
			login_close(c);
			return;
		}
		login_io_update(c);
		return;
	}
	proc_hello(c);
	(void)login_io_flush(c);
	if (c->state == LS_CLOSING && c->out->len == 0) {
		login_close(c);
		return;
	}
	login_io_update(c);
}

/* STARTTLS: once its reply is out, drop pipelined input, start TLS. */
static int
proc_maybe_starttls(struct login_client *c)
{
	if (!c->starttls_pending || c->out->len > 0)
		return 0;
	c->starttls_pending = 0;
	buf_reset(c->in);
	login_proto->reset(c);
	return login_io_start_tls(c) == 0 ? 1 : -1;
}

/* Finish a TLS handshake step; 1 when commands may be read. */
static int
proc_handshake_step(struct login_client *c)
{
	int r = login_io_handshake(c);

	if (r <= 0)
		return r;
	c->state = LS_COMMAND;
	if (c->peer.listener == login_proto->tls_listener && !c->greeted) {
		c->greeted = 1;
		proc_hello(c);
	}
	return 1;
}

/* One round: handshake, read, commands, flush; 1 to go again (TLS has
 * just started), 0 done, -1 close. */
static int
proc_round(struct login_client *c)
{
	int r, open = 1;

	if (c->state == LS_HANDSHAKE) {
		if ((r = proc_handshake_step(c)) <= 0)
			return r;
	}
	if (c->state == LS_COMMAND || c->state == LS_SASL)
		open = login_io_read(c);
	login_proto->commands(c);
	if (c->closed)
		return 0;
	if (login_io_flush(c) < 0 || (!open && c->state != LS_AUTH &&
	    c->state != LS_DELAY && c->state != LS_PROXY) ||
	    (c->state == LS_CLOSING && c->out->len == 0))
		return -1;
	return proc_maybe_starttls(c);
}

/* Everything an event on the client socket allows. */
void
login_process(struct login_client *c)
{
	int r = 0;

	if (c->busy || c->closed)
		return;
	c->busy = 1;
	/* Twice at most: a client may send its hello with the handshake. */
	for (int i = 0; i < 3; i++)
		if ((r = proc_round(c)) <= 0)
			break;
	c->busy = 0;
	if (c->closed)
		return;
	if (r < 0) {
		login_close(c);
		return;
	}
	if (c->state == LS_PROXY)
		return;
	login_io_update(c);
}
