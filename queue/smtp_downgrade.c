/*
 * smtp_downgrade.c - 8-bit mail for a server that does not offer 8BITMIME:
 * decide once per message whether it can be made 7-bit (queue/mime7.c)
 * and how large the converted form is, for SIZE=.
 *
 * Public: smtp_downgrade_check(j) - 1 the message can be sent converted
 * (j->down_plan, j->down_size set), 0 it cannot (j->down_why says why),
 * -1 the queue file could not be read; smtp_downgrade_free(j).
 * Policy (Postfix's default, disable_mime_output_conversion = no): convert
 * rather than return the mail, which RFC 6152 section 3 allows; with the
 * setting on, or when the message cannot be converted, it is returned
 * 5.6.3 as before.  The body is converted again while it is sent
 * (smtp_proto.c); the plan keeps both passes in step.
 */
#include "log.h"
#include "mime7.h"
#include "params.h"
#include "qfile.h"
#include "smtp.h"

/* Run one mime7 pass over the queued content; the output bytes (emit)
 * are counted and dropped.  0, or -1 on a read error. */
static int
downgrade_pass(struct smtp_job *j, int emit, long long *size)
{
	struct qfile_content *it = qfile_content_open(j->qfd, j->env);
	struct buf *out = emit ? buf_new(8192, 0) : NULL;
	struct mime7 *m = mime7_new(&j->down_plan, emit);
	const char *p;
	size_t n;
	int more = it != NULL ? 1 : -1, r = 0;

	*size = 0;
	while (more > 0 && r == 0 && (more = qfile_content_next(it, &p, &n)) > 0) {
		r = mime7_feed(m, p, n, out);
		if (out != NULL) {
			*size += (long long)out->len;
			buf_reset(out);
		}
	}
	if (more == 0 && r == 0) {
		r = mime7_finish(m, out);
		if (out != NULL)
			*size += (long long)out->len;
	}
	mime7_free(&m);
	buf_free(&out);
	qfile_content_close(&it);
	return more < 0 || r < 0 ? -1 : 0;
}

int
smtp_downgrade_check(struct smtp_job *j)
{
	if (j->down_state != 0)
		return j->down_state > 0 ? 1 : 0;
	if (var_disable_mime_output_conversion) {
		j->down_why = "disable_mime_output_conversion = yes";
		j->down_state = -1;
		return 0;
	}
	mime7_plan_init(&j->down_plan);
	if (downgrade_pass(j, 0, &j->down_size) < 0)
		return -1;
	if (j->down_plan.why != NULL) {
		j->down_why = j->down_plan.why;
		j->down_state = -1;
		return 0;
	}
	if (downgrade_pass(j, 1, &j->down_size) < 0)
		return -1;
	j->down_state = 1;
	return 1;
}

void
smtp_downgrade_free(struct smtp_job *j)
{
	mime7_plan_free(&j->down_plan);
}
