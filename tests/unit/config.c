/* config.c - unit tests for libcommon/config.c
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"
#include "xwrap.h"

static char tmpdir[] = "/tmp/cx-config-XXXXXX";

/* Writes text to a new file in tmpdir (mkstemp) with mode; returns its
 * malloc'd path. */
static char *
write_conf(const char *text, mode_t mode)
{
	char *path = cx_xasprintf("%s/conf-XXXXXX", tmpdir);
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)
	    || fchmod(fd, mode) == -1 || close(fd) == -1) {
		perror(path);
		exit(2);
	}
	return path;
}

static void
write_at(const char *name, const char *text)
{
	char *path = cx_xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
	free(path);
}

/* Loads text (mode 0600) and returns the error, or NULL when it loaded. */
static char *
load_err(const char *text)
{
	char *path = write_conf(text, 0600), *err = NULL;
	struct cx_config *cfg = cx_config_load(path, &err);

	cx_config_free(cfg);
	free(path);
	return err;
}

/* Does err start with the config file's name and then ":LINE: "? */
static int
err_at(const char *err, int line, const char *reason)
{
	char *want;
	const char *p;
	int r;

	if (err == NULL || (p = strchr(err, ':')) == NULL)
		return 0;
	want = cx_xasprintf(":%d: %s", line, reason);
	r = strncmp(err, tmpdir, strlen(tmpdir)) == 0 &&
	    strcmp(p, want) == 0;
	if (!r)
		printf("#   got:  '%s'\n#   want: 'FILE%s'\n", err, want);
	free(want);
	return r;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

static const char sample[] =
    "; cxkit sample\n"
    "# comments both ways\n"
    "[defaults]\n"
    "lang = zh-CN # inline comment\n"
    "\n"
    "[provider twilio-main]\n"
    "type = twilio\n"
    "  account_sid = AC123   \n"
    "auth_token = env:CX_TEST_TOKEN\n"
    "rate = 2.5 ; per second\n"
    "\n"
    "[provider aliyun]\n"
    "type = ali#yun\n"
    "access_key_id = LTAI\n"
    "access_key_secret = file:secret.txt\n"
    "[template csat_ask]\n"
    "[provider tencent]\n"
    "secret_key = file:missing.txt\n"
    "password = env:CX_TEST_EMPTY\n"
    "token =\n";

static void
test_sections(void)
{
	const struct cx_section *s, *t;
	struct cx_config *cfg;
	char *path, *err = NULL, *v;
	double d;
	int n;
	static const char *const allowed[] = { "type", "account_sid",
	    "auth_token", NULL };

	path = write_conf(sample, 0600);
	cfg = cx_config_load(path, &err);
	ok(cfg != NULL && err == NULL, "sample loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		exit(1);
	}
	is_str(cfg->path, path, "path recorded");
	is_str(cfg->dir, tmpdir, "dir is the file's directory");
	ok(cfg->private, "0600 file is private");
	is_int(cfg->nsec, 5, "five sections");

	s = cx_config_get(cfg, "defaults", NULL);
	ok(s != NULL && s->name == NULL && s->line == 3, "[defaults] line 3");
	is_str(cx_section_get(s, "lang"), "zh-CN", "defaults lang");
	ok(cx_config_get(cfg, "provider", NULL) == NULL,
	    "no unnamed [provider]");

	s = cx_config_get(cfg, "provider", "twilio-main");
	ok(s != NULL && s->cfg == cfg, "[provider twilio-main] found");
	is_str(cx_section_get(s, "account_sid"), "AC123",
	    "indented key, value trimmed");
	is_str(cx_section_get(s, "rate"), "2.5", "inline comment dropped");
	is_int(cx_section_line(s, "auth_token"), 9, "line of a key");
	is_int(cx_section_line(s, "nope"), 6, "absent key: section line");
	ok(cx_section_get(s, "nope") == NULL, "absent key is NULL");

	n = 0;
	for (t = cx_config_next(cfg, "provider", NULL); t != NULL;
	    t = cx_config_next(cfg, "provider", t))
		n++;
	is_int(n, 3, "iterate three providers");
	t = cx_config_next(cfg, "provider", NULL);
	t = cx_config_next(cfg, "provider", t);
	is_str(t ? t->name : NULL, "aliyun", "second provider in file order");
	ok(cx_config_next(cfg, "queue", NULL) == NULL, "no [queue]");
	s = cx_config_get(cfg, "template", "csat_ask");
	ok(s != NULL && s->nkv == 0 && s->line == 16,
	    "section without keys kept");

	/* cx_section_check */
	s = cx_config_get(cfg, "provider", "twilio-main");
	ok(cx_section_check(s, allowed, &err) == -1, "unknown key refused");
	ok(err_at(err, 10, "unknown key 'rate' in [provider twilio-main]"),
	    "unknown key message names file, line, key");
	free(err);
	{
		static const char *const all[] = { "type", "account_sid",
		    "auth_token", "rate", NULL };

		ok(cx_section_check(s, all, &err) == 0 && err == NULL,
		    "all keys allowed");
	}

	/* cx_section_double */
	d = -1;
	ok(cx_section_double(s, "rate", 0, 10, &d, &err) == 0 && d == 2.5,
	    "rate = 2.5");
	d = -1;
	ok(cx_section_double(s, "absent", 0, 10, &d, &err) == 0 && d == -1,
	    "absent number leaves *out alone");
	ok(cx_section_double(s, "rate", 0, 1, &d, &err) == -1 &&
	    err_at(err, 10, "rate: out of range [0, 1]"), "out of range");
	free(err);
	ok(cx_section_double(s, "type", 0, 10, &d, &err) == -1 &&
	    err_at(err, 7, "type: not a number"), "not a number");
	free(err);

	/* secrets */
	setenv("CX_TEST_TOKEN", "tok-123", 1);
	v = cx_section_secret(s, "auth_token", &err);
	is_str(v, "tok-123", "env: secret");
	free(v);
	unsetenv("CX_TEST_TOKEN");
	v = cx_section_secret(s, "auth_token", &err);
	ok(v == NULL && err_at(err, 9, "auth_token: environment variable "
	    "CX_TEST_TOKEN is not set"), "unset env: secret");
	free(err);
	v = cx_section_secret(s, "account_sid", &err);
	is_str(v, "AC123", "literal value");
	free(v);
	v = cx_section_secret(s, "api_secret", &err);
	ok(v == NULL && err_at(err, 6,
	    "[provider twilio-main] needs api_secret"), "absent secret");
	free(err);

	s = cx_config_get(cfg, "provider", "aliyun");
	is_str(cx_section_get(s, "type"), "ali#yun", "'#' inside a value kept");
	write_at("secret.txt", "s3cr3t\r\nsecond line\n");
	v = cx_section_secret(s, "access_key_secret", &err);
	is_str(v, "s3cr3t", "file: secret, relative, first line, CR dropped");
	free(v);
	s = cx_config_get(cfg, "provider", "tencent");
	v = cx_section_secret(s, "secret_key", &err);
	ok(v == NULL && err != NULL && strstr(err, ":18: secret_key: ") &&
	    strstr(err, "missing.txt: No such file or directory"),
	    "file: secret missing");
	free(err);
	setenv("CX_TEST_EMPTY", "", 1);
	v = cx_section_secret(s, "password", &err);
	ok(v == NULL && err_at(err, 19, "password: environment variable "
	    "CX_TEST_EMPTY is empty"), "empty env: secret");
	free(err);
	v = cx_section_secret(s, "token", &err);
	ok(v == NULL && err_at(err, 20, "token: empty value"),
	    "empty secret");
	free(err);

	cx_config_free(cfg);
	free(path);
}

static void
test_errors(void)
{
	char *err;

	err = load_err("[provider a]\nx = 1\n[nonsense b]\n");
	ok(err_at(err, 3, "unknown section kind [nonsense]"), "unknown kind");
	free(err);
	err = load_err("# top\nkey = v\n[defaults]\n");
	ok(err_at(err, 2, "key 'key' before any [section]"),
	    "key before section");
	free(err);
	err = load_err("[defaults]\na = 1\nb = 2\na = 3\n");
	ok(err_at(err, 4, "duplicate key 'a' in [defaults] "
	    "(first at line 2)"), "duplicate key");
	free(err);
	err = load_err("[provider x]\n[queue q]\n[provider  x ]\n");
	ok(err_at(err, 3, "duplicate section [provider x] "
	    "(first at line 1)"), "duplicate section");
	free(err);
	err = load_err("[defaults]\njust words\n");
	ok(err_at(err, 2, "expected [kind name] or key = value"),
	    "line without '='");
	free(err);
	err = load_err("[defaults\n");
	ok(err_at(err, 1, "section header without ']'"), "unclosed header");
	free(err);
	err = load_err("[provider a b]\n");
	ok(err_at(err, 1, "section name 'a b' has blanks in it"),
	    "name with blanks");
	free(err);
	err = load_err("\xEF\xBB\xBF[defaults]\r\nlang = en\r\n");
	ok(err == NULL, "BOM and CRLF accepted");
	free(err);
}

static void
test_literal_secret(void)
{
	static const char text[] =
	    "[defaults]\nlang = en\n[provider x]\napi_key = AK\n"
	    "api_secret = hunter2\n";
	struct cx_config *cfg;
	char *path, *err = NULL, *want;

	path = write_conf(text, 0644);
	cfg = cx_config_load(path, &err);
	want = cx_xasprintf("%s: holds a literal secret (api_secret in "
	    "[provider x], line 5) and is readable by group or others; "
	    "chmod 600 %s or use env:NAME / file:PATH", path, path);
	ok(cfg == NULL, "literal secret in a 0644 file refused");
	is_str(err, want, "refusal message");
	ok(err && strstr(err, "hunter2") == NULL, "message hides the secret");
	free(want);
	free(err);
	err = NULL;

	chmod(path, 0600);
	cfg = cx_config_load(path, &err);
	ok(cfg != NULL && err == NULL, "same file at 0600 accepted");
	cx_config_free(cfg);
	free(path);

	path = write_conf("[provider x]\napi_key = AK\naccount_sid = A\n"
	    "token = env:X\nsecret = file:/x\n", 0644);
	cfg = cx_config_load(path, &err);
	ok(cfg != NULL && !cfg->private,
	    "0644 with references and identifiers only is accepted");
	cx_config_free(cfg);
	free(path);
}

static void
test_search(void)
{
	struct cx_config *cfg;
	char *err = NULL, *missing, *xdg, *dir;

	missing = cx_xasprintf("%s/nope", tmpdir);
	cfg = cx_config_load(missing, &err);
	{
		char *want = cx_xasprintf("%s: No such file or directory",
		    missing);

		ok(cfg == NULL, "missing explicit file is an error");
		is_str(err, want, "missing file message");
		free(want);
	}
	free(err);

	unsetenv("CXKIT_CONFIG");
	xdg = cx_xasprintf("%s/xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	cfg = cx_config_load(NULL, &err);
	ok(cfg != NULL && err == NULL && cfg->path == NULL &&
	    cfg->nsec == 0, "no default file: empty config");
	ok(cx_config_get(cfg, "defaults", NULL) == NULL &&
	    cx_config_next(cfg, NULL, NULL) == NULL, "empty config is empty");
	unsetenv("CXKIT_TEMPLATES");
	dir = cx_config_template_dir(cfg);
	{
		char *want = cx_xasprintf("%s/cxkit/templates", xdg);

		is_str(dir, want, "template dir from XDG");
		free(want);
	}
	free(dir);
	cx_config_free(cfg);

	setenv("CXKIT_CONFIG", missing, 1);
	cfg = cx_config_load(NULL, &err);
	ok(cfg == NULL && err && strstr(err, "No such file"),
	    "$CXKIT_CONFIG must exist");
	free(err);

	/* $XDG_CONFIG_HOME/cxkit/config is found */
	unsetenv("CXKIT_CONFIG");
	free(missing);
	missing = cx_xasprintf("%s/cxkit", xdg);
	if (mkdir(xdg, 0700) == -1 || mkdir(missing, 0700) == -1)
		perror("mkdir");
	write_at("xdg/cxkit/config", "[defaults]\nlang = fr\n");
	cfg = cx_config_load(NULL, &err);
	ok(cfg != NULL && cx_config_get(cfg, "defaults", NULL) != NULL,
	    "XDG config found");
	dir = cx_config_template_dir(cfg);
	{
		char *want = cx_xasprintf("%s/templates", missing);

		is_str(dir, want, "template dir next to the config");
		free(want);
	}
	free(dir);
	setenv("CXKIT_TEMPLATES", "/srv/tmpl", 1);
	dir = cx_config_template_dir(cfg);
	is_str(dir, "/srv/tmpl", "template dir from $CXKIT_TEMPLATES");
	free(dir);
	unsetenv("CXKIT_TEMPLATES");
	cx_config_free(cfg);

	/* $CXKIT_CONFIG wins over XDG, explicit over both */
	{
		char *p = write_conf("[queue q1]\n", 0600);

		setenv("CXKIT_CONFIG", p, 1);
		cfg = cx_config_load(NULL, &err);
		ok(cfg && cx_config_get(cfg, "queue", "q1"),
		    "$CXKIT_CONFIG used");
		cx_config_free(cfg);
		cfg = cx_config_load(missing, &err);
		ok(cfg == NULL && err && strstr(err, "Is a directory"),
		    "explicit path wins (a directory is refused)");
		free(err);
		unsetenv("CXKIT_CONFIG");
		free(p);
	}
	free(missing);
	free(xdg);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	unsetenv("CXKIT_CONFIG");
	unsetenv("CXKIT_TEMPLATES");
	test_sections();
	test_errors();
	test_literal_secret();
	test_search();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
