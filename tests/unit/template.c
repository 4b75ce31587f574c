/* template.c - unit tests for libcommon/template.c
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

#include <jansson.h>

#include "tap.h"
#include "template.h"
#include "xwrap.h"

static char tmpdir[] = "/tmp/cx-tmpl-XXXXXX";

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
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

/* Checks cx_tmpl_find(name, lang) finds file (NULL: none) in lang. */
static void
find_is(const char *name, const char *lang, const char *file,
    const char *want_lang)
{
	char *path, *used = (char *)"x", *want;

	errno = 0;
	path = cx_tmpl_find(tmpdir, name, lang, &used);
	want = file ? cx_xasprintf("%s/%s", tmpdir, file) : NULL;
	is_str(path, want, "find %s for %s", name, lang ? lang : "(null)");
	is_str(used, want_lang, "  used lang %s",
	    want_lang ? want_lang : "(default)");
	if (file == NULL)
		is_int(errno, ENOENT, "  errno ENOENT");
	free(path);
	free(used);
	free(want);
}

static void
test_find(void)
{
	static const char *const bad[] = { "../x", ".hidden", "a/b", "",
	    "a b", "x;y", NULL };
	const char *const *b;
	char *used = (char *)"x";

	write_at("csat_ask.txt", "Rate us 1-9\n");
	write_at("csat_ask.zh.txt", "请打分\n");
	write_at("csat_ask.en.txt", "Please rate us\n");
	write_at("csat_ask.zh-Hant.txt", "請評分\n");

	find_is("csat_ask", "zh-HK", "csat_ask.zh.txt", "zh");
	find_is("csat_ask", "zh-Hant-HK", "csat_ask.zh-Hant.txt", "zh-Hant");
	find_is("csat_ask", "zh", "csat_ask.zh.txt", "zh");
	find_is("csat_ask", "fr", "csat_ask.txt", NULL);
	find_is("csat_ask", "en-GB", "csat_ask.en.txt", "en");
	find_is("csat_ask", NULL, "csat_ask.txt", NULL);
	find_is("csat_ask", "", "csat_ask.txt", NULL);
	find_is("csat_ask", "../../etc", "csat_ask.txt", NULL);
	find_is("nope", "en", NULL, NULL);

	for (b = bad; *b != NULL; b++) {
		errno = 0;
		ok(cx_tmpl_find(tmpdir, *b, "en", &used) == NULL &&
		    errno == EINVAL && used == NULL,
		    "invalid name '%s': EINVAL", *b);
	}
	ok(cx_tmpl_find(tmpdir, NULL, NULL, NULL) == NULL && errno == EINVAL,
	    "NULL name: EINVAL");
}

static void
test_load(void)
{
	const char *t, *t2;
	char *path, *err = NULL;

	path = cx_xasprintf("%s/csat_ask.zh.txt", tmpdir);
	t = cx_tmpl_load(path, &err);
	is_str(t, "请打分", "load drops the trailing newline, keeps UTF-8");
	write_at("csat_ask.zh.txt", "changed\n");
	t2 = cx_tmpl_load(path, &err);
	ok(t2 == t, "second load comes from the cache");
	free(path);

	write_at("two.txt", "line 1\nline 2\n\n");
	path = cx_xasprintf("%s/two.txt", tmpdir);
	t = cx_tmpl_load(path, &err);
	is_str(t, "line 1\nline 2\n", "only one trailing newline dropped");
	free(path);

	write_at("crlf.txt", "hi\r\n");
	path = cx_xasprintf("%s/crlf.txt", tmpdir);
	is_str(cx_tmpl_load(path, &err), "hi", "CRLF dropped");
	free(path);

	path = cx_xasprintf("%s/absent.txt", tmpdir);
	t = cx_tmpl_load(path, &err);
	ok(t == NULL && err != NULL &&
	    strstr(err, "No such file or directory") != NULL,
	    "missing file: error");
	free(err);
	free(path);

	write_at("bad.txt", "caf\xe9\n");
	path = cx_xasprintf("%s/bad.txt", tmpdir);
	t = cx_tmpl_load(path, &err);
	ok(t == NULL && err != NULL && strstr(err, "UTF-8") != NULL,
	    "invalid UTF-8: error");
	free(err);
	free(path);
}

/* Renders src against the JSON text rec. */
static char *
render(const char *src, const char *rec, char **missing, char **err)
{
	json_t *r = json_loads(rec, 0, NULL);
	char *out;

	if (r == NULL) {
		printf("# bad test JSON: %s\n", rec);
		exit(2);
	}
	out = cx_tmpl_render(src, r, missing, err);
	json_decref(r);
	return out;
}

static void
render_is(const char *src, const char *rec, const char *want,
    const char *name)
{
	char *missing = NULL, *err = NULL, *out;

	out = render(src, rec, &missing, &err);
	is_str(out, want, "%s", name);
	if (out == NULL)
		printf("#   missing %s, err %s\n", missing ? missing : "-",
		    err ? err : "-");
	free(out);
	free(missing);
	free(err);
}

static void
missing_is(const char *src, const char *rec, const char *want,
    const char *name)
{
	char *missing = NULL, *err = NULL, *out;

	out = render(src, rec, &missing, &err);
	ok(out == NULL && err == NULL, "%s: fails", name);
	is_str(missing, want, "%s: missing path", name);
	free(out);
	free(missing);
	free(err);
}

static void
err_is(const char *src, const char *want, const char *name)
{
	char *missing = NULL, *err = NULL, *out;

	out = render(src, "{\"a\":1}", &missing, &err);
	ok(out == NULL && missing == NULL, "%s: fails", name);
	is_str(err, want, "%s: message", name);
	free(out);
	free(missing);
	free(err);
}

static void
test_render(void)
{
	static const char zh[] =
	    "您的工单{{ticket.id}}已完成，{{ name }}";
	json_t *r;

	render_is(zh, "{\"vars\":{\"name\":\"王先生\"},"
	    "\"ticket\":{\"id\":\"W20251001\"}}",
	    "您的工单W20251001已完成，王先生", "vars and record");
	render_is(zh, "{\"ticket\":{\"id\":\"W1\"},"
	    "\"customer\":{\"name\":\"Ms Li\"}}",
	    "您的工单W1已完成，Ms Li", "customer fallback");
	render_is(zh, "{\"vars\":{\"name\":\"A\",\"ticket\":{\"id\":\"V\"}},"
	    "\"name\":\"B\",\"ticket\":{\"id\":\"R\"},"
	    "\"customer\":{\"name\":\"C\"}}",
	    "您的工单V已完成，A", "vars come first");
	render_is(zh, "{\"name\":\"B\",\"ticket\":{\"id\":\"R\"},"
	    "\"customer\":{\"name\":\"C\"}}",
	    "您的工单R已完成，B", "record before customer");
	missing_is(zh, "{\"ticket\":{\"id\":\"W1\"}}", "name",
	    "missing var");
	missing_is(zh, "{\"name\":\"x\",\"ticket\":{}}", "ticket.id",
	    "missing nested var");
	missing_is("{{x}}", "{\"x\":null}", "x", "null");
	missing_is("{{x}}", "{\"x\":{\"a\":1}}", "x", "object");
	missing_is("{{x}}", "{\"x\":[1]}", "x", "array");

	render_is("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}}",
	    "{\"a\":12,\"b\":-3,\"c\":2.5,\"d\":0.1,\"e\":true,\"f\":false}",
	    "12 -3 2.5 0.1 true false", "numbers and booleans");
	render_is("{{a}}|{{b}}|{{c}}",
	    "{\"a\":1e21,\"b\":3.0,\"c\":9007199254740993}",
	    "1e+21|3|9007199254740993", "large and integral numbers");
	render_is("{{\tx\t}}", "{\"x\":\"tab\"}", "tab", "tabs around path");

	render_is("plain text, 中文 ✓", "{}", "plain text, 中文 ✓",
	    "no placeholders: unchanged");
	render_is("", "{}", "", "empty template");
	render_is("a { b } c }} d", "{}", "a { b } c }} d",
	    "single braces and '}}' are text");
	render_is("{{x}}{{x}}", "{\"x\":\"é\"}", "éé",
	    "adjacent placeholders");

	err_is("Hi {{name", "unterminated \"{{\" on line 1", "unterminated");
	err_is("a\nb {{a}} {{y\n", "unterminated \"{{\" on line 2",
	    "unterminated on line 2");
	err_is("{{}}", "malformed placeholder \"{{}}\" on line 1", "empty");
	err_is("{{a b}}", "malformed placeholder \"{{a b}}\" on line 1",
	    "blank inside");
	err_is("{{{{x}}}}", "malformed placeholder \"{{{{x}}\" on line 1",
	    "'{{{{' is not an escape");
	err_is("{{a..b}}", "malformed placeholder \"{{a..b}}\" on line 1",
	    "empty step");

	r = json_loads("{\"vars\":{\"x\":1},\"customer\":{\"y\":2}}", 0,
	    NULL);
	ok(json_integer_value(cx_tmpl_value(r, "x")) == 1 &&
	    json_integer_value(cx_tmpl_value(r, "y")) == 2 &&
	    cx_tmpl_value(r, "z") == NULL, "cx_tmpl_value");
	json_decref(r);
}

/* cx_tmpl_text: the three steps, their errors, .md before .txt. */
static void
test_text(void)
{
	static const char *const md_txt[] = { "md", "txt", NULL };
	static const char *const txt[] = { "txt", NULL };
	json_t *r = json_pack("{s:{s:s}}", "vars", "who", "王");
	const char *code, *ext = NULL;
	char *t, *msg;

	write_at("hi.md", "**{{who}}**");
	write_at("hi.txt", "hi {{who}}");
	write_at("need.txt", "{{nobody}}");
	t = cx_tmpl_text(tmpdir, "hi", "zh", md_txt, 0, r, &ext, &code, &msg);
	is_str(t, "**王**", "cx_tmpl_text prefers .md when asked");
	is_str(ext, "md", "  used .md");
	free(t);
	t = cx_tmpl_text(tmpdir, "hi", NULL, txt, 0, r, NULL, &code, &msg);
	is_str(t, "hi 王", "cx_tmpl_text .txt");
	free(t);
	t = cx_tmpl_text(tmpdir, "need", NULL, txt, 0, r, NULL, &code, &msg);
	ok(t == NULL && code && strcmp(code, "template_var_missing") == 0 &&
	    strstr(msg, "'nobody'") != NULL, "missing variable named: %s",
	    msg ? msg : "(null)");
	free(msg);
	t = cx_tmpl_text(tmpdir, "none", NULL, txt, 0, r, NULL, &code, &msg);
	ok(t == NULL && code && strcmp(code, "template_missing") == 0,
	    "missing template: %s", msg ? msg : "(null)");
	free(msg);
	t = cx_tmpl_text(tmpdir, "none", NULL, txt, 1, r, NULL, &code, &msg);
	ok(t == NULL && code == NULL && msg == NULL,
	    "missing template with missing_ok: no error");
	t = cx_tmpl_text(tmpdir, "../x", NULL, txt, 0, r, NULL, &code, &msg);
	ok(t == NULL && code && strcmp(code, "bad_field") == 0,
	    "bad template name: %s", msg ? msg : "(null)");
	free(msg);
	json_decref(r);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_find();
	test_load();
	test_render();
	test_text();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
