/*
 * test_password.c - unit tests for common/password.c: yescrypt hashing
 * and verification, wrong and over-long passwords, malformed and locked
 * hashes, a SHA-512 "$6$" hash made by `openssl passwd -6`, and
 * password_lookup_verify against a texthash user_password_maps, and the
 * Dovecot-style {SCHEME} prefixes ({PLAIN}, {CRYPT}, {SHA512-CRYPT}, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "params.h"
#include "password.h"

/* Verify a C string password. */
static int
ok(const char *plain, const char *hash)
{
	return password_verify(plain, strlen(plain), hash);
}

static void
test_hash_verify(void)
{
	const char *err = NULL;
	char *h = password_hash("s3cret pass", &err);
	char *h2 = password_hash("s3cret pass", &err);

	CHECK(h != NULL && strncmp(h, "$y$", 3) == 0);
	CHECK(h2 != NULL && h != NULL && strcmp(h, h2) != 0);	/* fresh salt */
	CHECK(ok("s3cret pass", h) == 1);
	CHECK(ok("s3cret pasS", h) == 0);
	CHECK(ok("", h) == 0);
	CHECK(password_verify("s3cret pass\0x", 13, h) == 0);
	CHECK(password_verify("s3cret pass", 10, h) == 0);
	free(h);
	free(h2);
}

static void
test_bad_hashes(void)
{
	char big[2048];

	CHECK(ok("x", "") == 0);
	CHECK(ok("x", "*") == 0);
	CHECK(ok("x", "!$y$j9T$abc") == 0);
	CHECK(ok("x", "$y$garbage") == 0);
	CHECK(ok("x", "$99$zz") == 0);
	memset(big, 'a', sizeof(big));
	CHECK(password_verify(big, sizeof(big), "$y$j9T$x$y") == 0);
}

static void
test_sha512(void)
{
	FILE *fp = popen("openssl passwd -6 -salt abcdefgh hunter2", "r");
	char line[256] = "";

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	pclose(fp);
	line[strcspn(line, "\n")] = '\0';
	CHECK(strncmp(line, "$6$abcdefgh$", 12) == 0);
	CHECK(ok("hunter2", line) == 1);
	CHECK(ok("hunter3", line) == 0);
}

static void
test_lookup_verify(void)
{
	char dir[] = "/tmp/petrel-pw-XXXXXX", path[64], spec[80];
	const char *err = NULL;
	char *h = password_hash("pw1", &err);
	FILE *fp;

	CHECK(mkdtemp(dir) != NULL && h != NULL);
	if (h == NULL)
		return;
	snprintf(path, sizeof(path), "%s/passwd", dir);
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fprintf(fp, "demo@example.test %s\n", h);
	fclose(fp);
	snprintf(spec, sizeof(spec), "texthash:%s", path);
	var_user_password_maps = spec;
	CHECK(password_lookup_verify("demo@example.test", "pw1", 3, &err) == 1);
	CHECK(password_lookup_verify("DEMO@Example.test", "pw1", 3, &err) == 1);
	CHECK(password_lookup_verify("demo@example.test", "pw2", 3, &err) == 0);
	CHECK(password_lookup_verify("nobody@example.test", "pw1", 3, &err) == 0);
	unlink(path);
	rmdir(dir);
	free(h);
}

/* Dovecot-style scheme prefixes on stored passwords. */
static void
test_schemes(void)
{
	const char *err = NULL;
	char *h = password_hash("pw9", &err), buf[256];

	CHECK(ok("secret", "{PLAIN}secret") == 1);
	CHECK(ok("secret", "{plain}secret") == 1);
	CHECK(ok("secret", "{CLEARTEXT}secret") == 1);
	CHECK(ok("secreT", "{PLAIN}secret") == 0);
	CHECK(ok("secre", "{PLAIN}secret") == 0);
	CHECK(ok("secret1", "{PLAIN}secret") == 0);
	CHECK(ok("", "{PLAIN}") == 0);
	CHECK(password_verify("secret\0", 7, "{PLAIN}secret") == 0);
	CHECK(ok("secret", "{MD5}secret") == 0);
	CHECK(ok("secret", "{NOSUCH}secret") == 0);
	CHECK(ok("{PLAIN}x", "{PLAIN}{PLAIN}x") == 1);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	snprintf(buf, sizeof(buf), "{CRYPT}%s", h);
	CHECK(ok("pw9", buf) == 1);
	CHECK(ok("pw8", buf) == 0);
	snprintf(buf, sizeof(buf), "{SHA512-CRYPT}%s", h);
	CHECK(ok("pw9", buf) == 1);
	CHECK(ok("pw9", "{SHA512-CRYPT}") == 0);
	CHECK(ok("pw9", "{BLF-CRYPT}*") == 0);
	free(h);
}

/* {SHA512-CRYPT} with a real $6$ hash (Dovecot's default scheme). */
static void
test_sha512_scheme(void)
{
	FILE *fp = popen("openssl passwd -6 -salt abcdefgh hunter2", "r");
	char line[256] = "", buf[300];

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	pclose(fp);
	line[strcspn(line, "\n")] = '\0';
	snprintf(buf, sizeof(buf), "{SHA512-CRYPT}%s", line);
	CHECK(ok("hunter2", buf) == 1);
	CHECK(ok("hunter3", buf) == 0);
}

int
main(void)
{
	log_init("test_password", 1);
	TEST_RUN(test_hash_verify);
	TEST_RUN(test_bad_hashes);
	TEST_RUN(test_sha512);
	TEST_RUN(test_lookup_verify);
	TEST_RUN(test_schemes);
	TEST_RUN(test_sha512_scheme);
	TEST_EXIT();
}
