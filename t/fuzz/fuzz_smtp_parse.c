/*
 * fuzz_smtp_parse.c - libFuzzer target for common/smtp_parse.c.
 *
 * Input: an SMTP command line.  Runs the verb split, the FROM:/TO:
 * keyword match, the parameter iterator and MAIL's SIZE/BODY parser, and
 * checks that every returned pointer/length stays inside the input and
 * that the iterator always makes progress.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless [q, q+n) lies within [p, p+len]. */
static void
inside(const char *p, size_t len, const char *q, size_t n)
{
	if (n > 0 && (q < p || q + n > p + len))
		abort();
}

/* Walk the parameter list, checking progress and bounds. */
static void
walk_params(const char *p, size_t len)
{
	const char *q = p, *err;
	size_t n = len;
	struct smtp_param prm;
	int rc;

	while ((rc = smtp_param_next(&q, &n, &prm, &err)) > 0) {
		inside(p, len, prm.key, prm.key_len);
		if (prm.key_len == 0)
			abort();
		if (prm.value != NULL)
			inside(p, len, prm.value, prm.value_len);
		if (q + n != p + len)
			abort();
	}
	/* The end of the list (0) leaves only blanks; otherwise -1. */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (q[i] != ' ' && q[i] != '\t')
			abort();
	if (rc != 0 && rc != -1)
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *rest, *err;
	struct smtp_command cmd;
	struct smtp_mail_opts opts;
	struct smtp_param bad;
	size_t rest_len;

	if (smtp_parse_command(p, size, &cmd) == 0) {
		inside(p, size, cmd.verb, cmd.verb_len);
		inside(p, size, cmd.arg, cmd.arg_len);
		if (smtp_parse_keyword(cmd.arg, cmd.arg_len, "FROM:", &rest,
		    &rest_len))
			inside(p, size, rest, rest_len);
	}
	walk_params(p, size);
	(void)smtp_parse_mail_params(p, size, &opts, &bad, &err);
	if (opts.size < -1)
		abort();
	return 0;
}
