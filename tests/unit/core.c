/* core.c - unit tests of log masking, records, the NDJSON reader and writer
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx.h"
#include "tap.h"

static void
test_mask(void)
{
	char *m;

	m = cx_log_mask("to +8613800138000 failed");
	is_str(m, "to +86*******8000 failed", "mask keeps +CC and last 4");
	free(m);
	m = cx_log_mask("13800138000");
	is_str(m, "*******8000", "mask a national number");
	free(m);
	m = cx_log_mask("line 12, id 123456, order W20251001");
	is_str(m, "line 12, id 123456, order W20251001",
	    "short runs and ids after letters are kept");
	free(m);
	m = cx_log_mask("until 2025-10-02T08:00:00+08:00");
	is_str(m, "until 2025-10-02T08:00:00+08:00", "dates are not masked");
	free(m);
	m = cx_log_mask("call 138-0013-8000 now");
	is_str(m, "call ***-****-8000 now", "grouped digits are masked");
	free(m);
}

static void
test_record(void)
{
	char id[CX_ID_MAX], id2[CX_ID_MAX];
	json_t *a = json_loads("{\"to\":\"+1\",\"text\":\"x\"}", 0, NULL);
	json_t *b = json_loads("{\"text\":\"x\",\"to\":\"+1\"}", 0, NULL);
	json_t *c = json_loads("{\"id\":42,\"a\":{\"b\":{\"c\":\"deep\"}}}", 0,
	    NULL);

	cx_rec_id(a, id);
	cx_rec_id(b, id2);
	ok(strncmp(id, "h:", 2) == 0 && strlen(id) == 34,
	    "derived id is h: + 32 hex (%s)", id);
	is_str(id, id2, "derived id ignores key order");
	is_str(cx_rec_id(c, id), "42", "integer id");
	is_str(cx_rec_str(c, "a.b.c"), "deep", "dotted path");
	ok(cx_rec_path(c, "a.x.c") == NULL, "missing path is NULL");
	ok(cx_rec_path(c, "a..b") == NULL, "empty path step is NULL");
	is_str(cx_provider_channel("twilio"), "sms", "twilio is sms");
	is_str(cx_provider_channel("dingtalk"), "im", "dingtalk is im");
	ok(cx_provider_channel("twillio") == NULL, "misspelt type is unknown");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* Feeds text to the reader through a pipe and collects what it returns. */
static char *
read_all(const char *text, size_t len, unsigned long *nrej,
    const char *rejects)
{
	struct cx_ndjson_in in;
	struct cx_common c = { .rejects = rejects };
	struct cx_buf out = { 0 };
	char path[] = "/tmp/cx-core-XXXXXX";
	int fd = mkstemp(path);
	json_t *v;

	if (write(fd, text, len) != (ssize_t)len)
		return NULL;
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	cx_ndjson_open(&in, &c);
	in.fd = fd;
	while ((v = cx_ndjson_next(&in)) != NULL) {
		cx_buf_printf(&out, "%lu:%s;", in.lineno,
		    json_string_value(json_object_get(v, "k")));
		json_decref(v);
	}
	*nrej = in.nrejected;
	cx_ndjson_close(&in);
	close(fd);
	return cx_buf_take(&out);
}

static void
test_reader(void)
{
	const char text[] = "{\"k\":\"a\"}\n\n  \nnot json\n[1]\n"
	    "{\"k\":\"\xff\"}\n{\"k\":\"b\"}\r\n{\"k\":\"c\"}";
	char rej[] = "/tmp/cx-rej-XXXXXX";
	unsigned long n;
	char *got, buf[256];
	int fd = mkstemp(rej);
	FILE *f;
	size_t r;

	close(fd);
	/* The reader reports each bad line on stderr: keep the TAP clean. */
	int err2 = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	got = read_all(text, sizeof text - 1, &n, rej);
	dup2(err2, 2);
	close(err2);
	close(null);
	is_str(got, "1:a;7:b;8:c;", "records with line numbers, blanks "
	    "skipped, CRLF and a last line without newline");
	is_int(n, 3, "three lines rejected");
	f = fopen(rej, "r");
	r = fread(buf, 1, sizeof buf - 1, f);
	buf[r] = '\0';
	fclose(f);
	unlink(rej);
	is_str(buf, "not json\n[1]\n{\"k\":\"\xff\"}\n",
	    "rejects kept byte for byte");
	free(got);

	/* A line far larger than the read chunk. */
	size_t big = 3 * 1000 * 1000;
	char *s = cx_xmalloc(big + 32);
	memcpy(s, "{\"k\":\"", 6);
	memset(s + 6, 'x', big);
	memcpy(s + 6 + big, "\"}\n", 3);
	got = read_all(s, big + 9, &n, NULL);
	ok(got && strlen(got) == big + 3 && n == 0, "a 3 MB line is read whole");
	free(got);
	free(s);
	cx_status_fail();	/* the rejects above made the status 1 */
	is_int(cx_status(), 1, "sticky failure status");
}

static void
test_writer(void)
{
	char path[] = "/tmp/cx-out-XXXXXX";
	int fd = mkstemp(path), saved = dup(1);
	json_t *v = json_loads("{\"b\":1,\"a\":\"中\\n\",\"c\":[true,null]}", 0,
	    NULL);
	char buf[128];
	ssize_t r;

	fflush(stdout);
	dup2(fd, 1);
	cx_ndjson_write(v);
	cx_ndjson_flush();
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	r = read(fd, buf, sizeof buf - 1);
	buf[r > 0 ? r : 0] = '\0';
	close(fd);
	unlink(path);
	is_str(buf, "{\"b\":1,\"a\":\"中\\n\",\"c\":[true,null]}\n",
	    "compact, key order kept, UTF-8 unescaped");
	json_decref(v);
}

/* cx_ndjson_write_add() writes what set-then-write would, byte for byte,
 * whether or not it can reuse the line as read. */
static void
test_write_add(void)
{
	static const char *const lines[] = {
		"{\"k\":\"a\"}", "{}", "{\"a\":1,\"a\":2}",
		"{\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1}]}",
		"{\"a\":-0}", "{\"a\":-5,\"b\":0,\"c\":12}", "{\"a\":1.5}",
		"{\"a\":1e5}", "{ \"a\":1}", "{\"a\":1} ", "{\"a\":\"\\u00e9\"}",
		"{\"a\":\"\\/\"}", "{\"a\":\"q\\\"b\\\\c\\n\\t\\r\\b\\f\"}",
		"{\"a\":\"x\\u0000y\"}", "{\"a\":\"\\u001f\"}",
		"{\"intent\":1,\"b\":2}", "{\"b\":2,\"intent\":{}}",
		"{\"a\":[true,false,null,[],{}],\"t\":\"true, no\"}",
		"{\"a\":\"中文 😀\",\"n\":[1,-2,{\"e\":\"E\"}]}",
		"{\"k\":\"crlf\"}\r", "{\"a\":9223372036854775807}",
	};
	size_t n = sizeof lines / sizeof lines[0], i;
	char in_path[] = "/tmp/cx-wa-in-XXXXXX", out_path[] = "/tmp/cx-wa-XXXXXX";
	int in_fd = mkstemp(in_path), fd = mkstemp(out_path), saved = dup(1);
	struct cx_buf want = { 0 }, got = { 0 };
	struct cx_ndjson_in in;
	static const char vtext[] = "{\"name\":\"x\",\"e\":{\"n\":1}}";
	json_t *v, *val = json_loads(vtext, 0, NULL);
	char buf[4096];
	ssize_t r;

	for (i = 0; i < n; i++)
		if (write(in_fd, lines[i], strlen(lines[i])) < 0 ||
		    write(in_fd, "\n", 1) != 1)
			break;
	lseek(in_fd, 0, SEEK_SET);
	unlink(in_path);
	cx_ndjson_open(&in, NULL);
	in.fd = in_fd;
	fflush(stdout);
	dup2(fd, 1);
	for (i = 0; (v = cx_ndjson_next(&in)) != NULL; i++) {
		json_t *copy = json_deep_copy(v);
		char *d;

		json_object_set(copy, "intent", val);
		d = json_dumps(copy, JSON_COMPACT);
		cx_buf_printf(&want, "%s\n", d);
		free(d);
		json_decref(copy);
		if (i % 2)
			cx_ndjson_write_add(&in, v, "intent", json_incref(val),
			    NULL, 0);
		else
			cx_ndjson_write_add(&in, v, "intent", json_incref(val),
			    vtext, sizeof vtext - 1);
		json_decref(v);
	}
	cx_ndjson_flush();
	dup2(saved, 1);
	close(saved);
	cx_ndjson_close(&in);
	close(in_fd);
	lseek(fd, 0, SEEK_SET);
	while ((r = read(fd, buf, sizeof buf)) > 0)
		cx_buf_add(&got, buf, (size_t)r);
	close(fd);
	unlink(out_path);
	is_int(i, n, "every test line read");
	ok(got.len == want.len && memcmp(got.s, want.s, got.len) == 0,
	    "write_add gives set-then-write's bytes for %zu lines", n);
	if (got.len != want.len || memcmp(got.s, want.s, got.len) != 0)
		fprintf(stderr, "# got:\n%.*s# want:\n%.*s", (int)got.len, got.s,
		    (int)want.len, want.s);
	cx_buf_free(&want);
	cx_buf_free(&got);
	json_decref(val);
}

int
main(void)
{
	cx_init("core");
	cx_log_setup(CX_LOG_TEXT, -1);
	test_mask();
	test_record();
	test_reader();
	test_writer();
	test_write_add();
	return tap_done();
}
