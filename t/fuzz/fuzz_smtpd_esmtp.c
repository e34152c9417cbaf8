/*
 * fuzz_smtpd_esmtp.c - libFuzzer target for petrel-smtpd's pure parsers:
 * the MAIL/RCPT parameter parsers (smtpd/esmtp.c) and the BDAT chunk
 * decoder (smtpd/chunk.c), linked in (LINK_fuzz_smtpd_esmtp in the
 * Makefile).
 *
 * Input: a parameter list; it is parsed as MAIL and as RCPT parameters
 * (accepted values must fit their bounds and build RDSN words the
 * injection service accepts), and decoded as a chunk split in two at its
 * first byte's value (the output never longer than the input).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn_param.h"
#include "../../smtpd/smtpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse as MAIL and RCPT parameters and check the results. */
static void
fuzz_params(const char *p, size_t n)
{
	struct smtpd_mail_params mp;
	struct smtpd_rcpt_params rp;
	struct smtp_param bad;
	const char *err = NULL;
	char w[SMTPD_ORCPT_MAX + 96];

	if (smtpd_parse_mail_params(p, n, &mp, &bad, &err) == SMTP_PARAMS_OK &&
	    (strlen(mp.envid) > SMTPD_ENVID_MAX ||
	    (mp.envid[0] != '\0' && !dsn_xtext_valid(mp.envid,
	    strlen(mp.envid)))))
		abort();
	if (smtpd_parse_rcpt_params(p, n, &rp, &bad, &err) == SMTP_PARAMS_OK) {
		if (smtpd_rcpt_dsn_words(&rp, w, sizeof(w)) < 0)
			abort();
		if (rp.orcpt[0] != '\0' &&
		    !dsn_orcpt_valid(rp.orcpt, strlen(rp.orcpt)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpd_chunk c;
	char *out;
	size_t cut, o;

	fuzz_params((const char *)data, size);
	out = malloc(size + 1);
	if (out == NULL)
		return 0;
	cut = size > 0 ? data[0] % (size + 1) : 0;
	smtpd_chunk_init(&c);
	o = smtpd_chunk_decode(&c, (const char *)data, cut, out);
	o += smtpd_chunk_decode(&c, (const char *)data + cut, size - cut,
	    out + o);
	smtpd_chunk_end(&c);
	if (o > size || c.size != o)
		abort();
	free(out);
	return 0;
}
