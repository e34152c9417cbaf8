/*
 * test_config.c - unit tests for common/config.c: $name/${name} expansion,
 * unknown names and references, bad and out-of-range numbers, time
 * suffixes, booleans, continuation lines, reload, -n semantics, overrides
 * and list splitting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "params.h"

static const char *err;

/* Load text as "t.conf"; returns config_load_text's result. */
static int
load(const char *text)
{
	err = NULL;
	return config_load_text("t.conf", text, strlen(text), &err);
}

/* 1 if the last error starts with prefix. */
static int
err_is(const char *prefix)
{
	if (err == NULL || strncmp(err, prefix, strlen(prefix)) != 0) {
		printf("# error was: %s\n", err ? err : "(none)");
		return 0;
	}
	return 1;
}

/* $name, ${name}, $$ and computed defaults. */
static void
test_expand(void)
{
	CHECK(load("myhostname = mail.example.com\n"
	    "myorigin = ${mydomain}x\n"
	    "smtpd_banner = $myhostname $$5 $ ESMTP\n") == 0);
	CHECK(strcmp(config_get("myorigin"), "example.comx") == 0);
	CHECK(strcmp(var_myorigin, "example.comx") == 0);
	CHECK(strcmp(var_smtpd_banner, "mail.example.com $5 $ ESMTP") == 0);
	CHECK(strcmp(var_mydestination,
	    "mail.example.com, localhost.example.com, localhost") == 0);
	CHECK(strcmp(config_get("qmgr_fifo"),
	    "/var/spool/petrel/public/qmgr") == 0);
	CHECK(config_get("nosuch") == NULL);
	CHECK(load("myhostname = box\n") == 0);
	CHECK(strcmp(var_mydomain, "localdomain") == 0);
	CHECK(load("myhostname = a.b\n") == 0);
	CHECK(strcmp(var_mydomain, "localdomain") == 0);
}

/* Unknown names, unknown references, loops and syntax errors. */
static void
test_errors(void)
{
	CHECK(load("# c\nmyorigin = x\nbogus = 1\n") == -1);
	CHECK(err_is("t.conf:3: unknown parameter name 'bogus'"));
	CHECK(load("\n\nmyorigin = $nosuch\n") == -1);
	CHECK(err_is("t.conf:3: unknown parameter $nosuch"));
	CHECK(load("myorigin = ${nosuch}\n") == -1);
	CHECK(err_is("t.conf:1: unknown parameter $nosuch"));
	CHECK(load("myorigin = ${myhostname\n") == -1);
	CHECK(err_is("t.conf:1: syntax error"));
	CHECK(load("myorigin = $mydomain\nmydomain = $myorigin\n") == -1);
	CHECK(err != NULL && strstr(err, "too deeply") != NULL);
	CHECK(load("= x\n") == -1 && err_is("t.conf:1: syntax error"));
	CHECK(load("myorigin x\n") == -1 && err_is("t.conf:1: syntax error"));
	CHECK(load("  x\n") == -1 && err_is("t.conf:1: syntax error"));
	CHECK(load("myorigin = a\0b\n") == 0);	/* strlen stops at NUL */
	CHECK(config_load_text("t.conf", "myorigin = a\0b\n", 15, &err) == -1);
	CHECK(err_is("t.conf:1: syntax error"));
}

/* INT range and junk, TIME suffixes, BOOL words. */
static void
test_numbers(void)
{
	CHECK(load("smtpd_recipient_limit = 12\nsmtpd_timeout = 2m\n"
	    "maximal_queue_lifetime = 1w\nsync_directories = TRUE\n") == 0);
	CHECK(var_smtpd_recipient_limit == 12 && var_smtpd_timeout == 120);
	CHECK(var_maximal_queue_lifetime == 7 * 86400);
	CHECK(var_sync_directories == 1);
	CHECK(load("smtpd_timeout = 1h\nbounce_queue_lifetime = 3d\n"
	    "queue_run_delay = 45\nsync_directories = no\n") == 0);
	CHECK(var_smtpd_timeout == 3600 && var_bounce_queue_lifetime == 3 * 86400);
	CHECK(var_queue_run_delay == 45 && var_sync_directories == 0);
	CHECK(load("smtpd_recipient_limit = 12x\n") == -1 && err_is("t.conf:1:"));
	CHECK(load("smtpd_recipient_limit = 0\n") == -1 &&
	    strstr(err, "out of range") != NULL);
	CHECK(load("smtpd_recipient_limit = 99999999999999999999999\n") == -1);
	CHECK(load("smtpd_recipient_limit = -5\n") == -1);
	CHECK(load("smtpd_recipient_limit =\n") == -1);
	CHECK(load("smtpd_timeout = 5x\n") == -1 && err_is("t.conf:1:"));
	CHECK(load("smtpd_timeout = 2w\n") == -1);
	CHECK(load("smtpd_timeout = m\n") == -1);
	CHECK(load("smtpd_timeout = 99999999999999999w\n") == -1);
	CHECK(load("sync_directories = maybe\n") == -1 && err_is("t.conf:1:"));
	/* a failed load leaves the previous values in place */
	CHECK(var_queue_run_delay == 45);
}

/* Continuation lines, comments inside them, CRLF, later settings win. */
static void
test_continuation(void)
{
	CHECK(load("mydestination = a,\n  b\n\n# comment\n\tc\r\n"
	    "relay_domains = x\nrelay_domains = y\n") == 0);
	CHECK(strcmp(var_mydestination, "a, b c") == 0);
	CHECK(strcmp(var_relay_domains, "y") == 0);
}

/* -n: only explicitly set values; reload forgets removed settings. */
static void
test_nondefault_reload(void)
{
	CHECK(load("relay_domains = example.org\n") == 0);
	CHECK(strcmp(config_raw("relay_domains", CONFIG_DUMP_NONDEFAULT),
	    "example.org") == 0);
	CHECK(config_raw("myorigin", CONFIG_DUMP_NONDEFAULT) == NULL);
	CHECK(strcmp(config_raw("myorigin", CONFIG_DUMP_ALL), "$myhostname")
	    == 0);
	CHECK(config_raw("nosuch", CONFIG_DUMP_ALL) == NULL);
	CHECK(load("myorigin = $mydomain\n") == 0);
	CHECK(config_raw("relay_domains", CONFIG_DUMP_NONDEFAULT) == NULL);
	CHECK(strcmp(var_relay_domains, "") == 0);
}

/* A real file, a missing file, and overrides that beat the file. */
static void
test_file_override(void)
{
	char path[] = "/tmp/test_config.XXXXXX";
	int fd = mkstemp(path);
	const char *text = "smtpd_timeout = 10\nmyhostname = f.example.net\n";

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	CHECK(config_load(path, &err) == 0 && var_smtpd_timeout == 10);
	CHECK(strcmp(config_file(), path) == 0);
	CHECK(config_set("smtpd_timeout", "20", &err) == 0);
	CHECK(var_smtpd_timeout == 20);
	CHECK(config_set("smtpd_timeout", "0", &err) == -1);
	CHECK(var_smtpd_timeout == 20);
	CHECK(config_set("nosuch", "1", &err) == -1);
	CHECK(config_load(path, &err) == 0 && var_smtpd_timeout == 20);
	CHECK(strcmp(config_raw("smtpd_timeout", CONFIG_DUMP_NONDEFAULT),
	    "20") == 0);
	unlink(path);
	CHECK(config_load(path, &err) == -1 && strstr(err, path) != NULL);
}

/* Lists split on commas and blanks, empty items dropped. */
static void
test_list(void)
{
	char **l = config_list(" a, b ,,c\td ,");

	CHECK(l[0] && strcmp(l[0], "a") == 0 && strcmp(l[1], "b") == 0);
	CHECK(l[2] && strcmp(l[2], "c") == 0 && strcmp(l[3], "d") == 0);
	CHECK(l[4] == NULL);
	config_list_free(&l);
	CHECK(l == NULL);
	l = config_list("");
	CHECK(l[0] == NULL);
	config_list_free(&l);
}

/* Run the config tests. */
int
main(void)
{
	TEST_RUN(test_expand);
	TEST_RUN(test_errors);
	TEST_RUN(test_numbers);
	TEST_RUN(test_continuation);
	TEST_RUN(test_nondefault_reload);
	TEST_RUN(test_list);
	TEST_RUN(test_file_override);
	TEST_EXIT();
}
