/* dispatch.c - unit tests for the sending engine (dispatch.h, http.h)
 *
 * SPDX-License-Identifier: MIT
 * Forks a small HTTP/1.1 server on 127.0.0.1 (one process a connection,
 * keep-alive, counters in shared memory) that behaves by path:
 *   /ok      200 {"id":"N"}            /count  200, requests seen so far
 *   /429*    429 + Retry-After: 1 the first time (per path), then 200
 *   /500     always 500                /conns  200, connections accepted
 *   /slow    answers after 3 s         /reset  reads, then RST
 *   /date    503 + Retry-After as an HTTP date 5 s ahead
 *   /echo    200, "METHOD\nAuthorization\nUser-Agent\nExpect\nbody"
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "record.h"
#include "tap.h"

struct shared {
	int reqs, conns, ids;
	int hits429[16];
};

static struct shared *sh;
static pid_t srv_pid;
static int port, closed_port;

/* Server side ------------------------------------------------------- */

static void
reply(int c, int status, const char *extra, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "%s\r\n", status, strlen(body), extra);
	if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
		_exit(0);
}

/* The value of header name in the request head h, or "-". */
static void
req_header(const char *h, const char *name, char *out, size_t outsz)
{
	const char *p = h;
	size_t nl = strlen(name), n;

	snprintf(out, outsz, "-");
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			n = strcspn(p, "\r");
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
	}
}

static void
serve(int c)
{
	char buf[16384], path[256], method[16], body[2048], tmp[256];
	char auth[128], ua[128], expect[64], *end;
	size_t len = 0, hlen, clen, blen;
	struct linger lg = { 1, 0 };
	unsigned h;
	ssize_t n;
	time_t t;
	char *q;

	for (;;) {
		while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
			if (len == sizeof(buf) - 1 || (n = read(c, buf + len,
			    sizeof(buf) - 1 - len)) <= 0)
				return;
			len += (size_t)n;
		}
		hlen = (size_t)(end - buf) + 4;
		buf[len] = '\0';
		req_header(buf, "Content-Length", tmp, sizeof(tmp));
		clen = strcmp(tmp, "-") == 0 ? 0 : strtoul(tmp, NULL, 10);
		if (hlen + clen >= sizeof(buf))
			return;
		while (len < hlen + clen) {
			n = read(c, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				return;
			len += (size_t)n;
		}
		buf[len] = '\0';
		if (sscanf(buf, "%15s %255s", method, path) != 2)
			return;
		if ((q = strchr(path, '?')) != NULL)
			*q = '\0';
		__atomic_add_fetch(&sh->reqs, 1, __ATOMIC_SEQ_CST);

		if (strcmp(path, "/ok") == 0) {
			snprintf(body, sizeof(body), "{\"id\":\"%d\"}",
			    __atomic_add_fetch(&sh->ids, 1, __ATOMIC_SEQ_CST));
			reply(c, 200, "", body);
		} else if (strncmp(path, "/429", 4) == 0) {
			for (h = 0, q = path; *q != '\0'; q++)
				h = h * 31 + (unsigned char)*q;
			if (__atomic_fetch_add(&sh->hits429[h % 16], 1,
			    __ATOMIC_SEQ_CST) == 0)
				reply(c, 429, "Retry-After: 1\r\n",
				    "{\"error\":\"slow down\"}");
			else
				reply(c, 200, "", "{\"id\":\"429ok\"}");
		} else if (strcmp(path, "/500") == 0) {
			reply(c, 500, "", "{\"error\":\"boom\"}");
		} else if (strcmp(path, "/slow") == 0) {
			sleep(3);
			reply(c, 200, "", "{\"id\":\"slow\"}");
		} else if (strcmp(path, "/reset") == 0) {
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c);
			_exit(0);
		} else if (strcmp(path, "/count") == 0) {
			snprintf(body, sizeof(body), "%d",
			    __atomic_load_n(&sh->reqs, __ATOMIC_SEQ_CST));
			reply(c, 200, "", body);
		} else if (strcmp(path, "/conns") == 0) {
			snprintf(body, sizeof(body), "%d",
			    __atomic_load_n(&sh->conns, __ATOMIC_SEQ_CST));
			reply(c, 200, "", body);
		} else if (strcmp(path, "/date") == 0) {
			t = time(NULL) + 5;
			strftime(tmp, sizeof(tmp), "Retry-After: %a, %d %b %Y "
			    "%H:%M:%S GMT\r\n", gmtime(&t));
			reply(c, 503, tmp, "");
		} else if (strcmp(path, "/echo") == 0) {
			req_header(buf, "Authorization", auth, sizeof(auth));
			req_header(buf, "User-Agent", ua, sizeof(ua));
			req_header(buf, "Expect", expect, sizeof(expect));
			blen = clen < 1024 ? clen : 1024;
			snprintf(body, sizeof(body), "%s\n%s\n%s\n%s\n%.*s",
			    method, auth, ua, expect, (int)blen, buf + hlen);
			reply(c, 200, "", body);
		} else
			reply(c, 404, "", "{\"error\":\"no such path\"}");
		memmove(buf, buf + hlen + clen, len - hlen - clen);
		len -= hlen + clen;
	}
}

static void
kill_server(void)
{
	if (srv_pid > 0) {
		kill(-srv_pid, SIGKILL);
		waitpid(srv_pid, NULL, 0);
		srv_pid = 0;
	}
}

static int
listen_any(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int s, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockname(s, (struct sockaddr *)&a, &al) == -1) {
		perror("socket");
		exit(1);
	}
	port = ntohs(a.sin_port);
	return s;
}

static void
start_server(void)
{
	int s, c, p;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(sh, 0, sizeof(*sh));

	/* A port that was free a moment ago and has no listener. */
	s = listen_any();
	closed_port = port;
	close(s);

	s = listen_any();
	if (listen(s, 128) == -1) {
		perror("listen");
		exit(1);
	}
	fflush(stdout);
	if ((srv_pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (srv_pid == 0) {
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			if ((c = accept(s, NULL, NULL)) == -1)
				continue;
			__atomic_add_fetch(&sh->conns, 1, __ATOMIC_SEQ_CST);
			if ((p = fork()) == 0) {
				close(s);
				serve(c);
				_exit(0);
			}
			close(c);
		}
	}
	setpgid(srv_pid, srv_pid);
	close(s);
	atexit(kill_server);
}

/* Client side ------------------------------------------------------- */

struct tjob {
	struct cx_job job;
	const char *path;
	int bad_port;		/* use closed_port */
	int fail_build;
	int ndone;
	double t_done;
	enum cx_outcome outcome;
	const char *code;
	int retryable, attempts;
	char *message, *provider_id;
	struct tjob *follow;	/* added from done() */
	struct cx_dispatch *d;
	int wfd;		/* written to from done(), or -1 */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
t_build(struct cx_job *j, struct cx_http_req *req, struct cx_result *r)
{
	struct tjob *t = j->udata;

	if (t->fail_build) {
		cx_result_set(r, CX_OUT_FAIL, CX_E_BAD_FIELD, 0, "no way");
		return -1;
	}
	req->url = cx_xasprintf("http://127.0.0.1:%d%s?token=secret",
	    t->bad_port ? closed_port : port, t->path);
	cx_http_req_header(req, "Accept: %s", "application/json");
	return 0;
}

static void
t_parse(struct cx_job *j, const struct cx_http_resp *resp,
    struct cx_result *r)
{
	json_t *o;

	cx_result_from_http(r, resp);
	if (r->outcome == CX_OUT_OK &&
	    (o = json_loadb(resp->body, resp->body_len, 0, NULL)) != NULL) {
		if (json_is_string(json_object_get(o, "id")))
			r->provider_id = cx_xstrdup(json_string_value(
			    json_object_get(o, "id")));
		json_decref(o);
	}
}

static void
t_done(struct cx_job *j)
{
	struct tjob *t = j->udata;

	t->ndone++;
	t->t_done = now_s();
	t->outcome = j->result.outcome;
	t->code = j->result.code;
	t->retryable = j->result.retryable;
	t->attempts = j->attempts;
	free(t->message);
	free(t->provider_id);
	t->message = j->result.message ? cx_xstrdup(j->result.message) : NULL;
	t->provider_id = j->result.provider_id ?
	    cx_xstrdup(j->result.provider_id) : NULL;
	cx_result_clear(&j->result);
	if (t->follow != NULL)
		cx_dispatch_add(t->d, &t->follow->job);
	if (t->wfd >= 0 && write(t->wfd, "x", 1) != 1)
		perror("write");
}

static void
tinit(struct tjob *t, const char *path, struct cx_pacer *p, long timeout_ms,
    int max_retries)
{
	memset(t, 0, sizeof(*t));
	t->path = path;
	t->wfd = -1;
	t->job.pacer = p;
	t->job.timeout_ms = timeout_ms;
	t->job.max_retries = max_retries;
	t->job.build = t_build;
	t->job.parse = t_parse;
	t->job.done = t_done;
	t->job.udata = t;
}

static void
tfree(struct tjob *t)
{
	free(t->message);
	free(t->provider_id);
	t->message = t->provider_id = NULL;
}

/* Runs d until every job is done (or 20 s pass); returns seconds. */
static double
drain(struct cx_dispatch *d)
{
	double t0 = now_s();

	while (cx_dispatch_busy(d) > 0 && now_s() - t0 < 20)
		cx_dispatch_step(d, -1, -1);
	return now_s() - t0;
}

/* One job through its own dispatcher. */
static double
run_one(struct tjob *t, int concurrency)
{
	struct cx_dispatch *d = cx_dispatch_new(concurrency);
	double s;

	t->d = d;
	cx_dispatch_add(d, &t->job);
	s = drain(d);
	cx_dispatch_free(d);
	return s;
}

static long
server_number(const char *path)
{
	struct cx_http_req req = { 0 };
	struct cx_http_resp resp;
	char *body = NULL;
	long n = -1;

	req.url = cx_xasprintf("http://127.0.0.1:%d%s", port, path);
	if (cx_http_do(&req, 5000, NULL, &resp, &body) == 0 &&
	    resp.status == 200)
		n = strtol(resp.body, NULL, 10);
	free(body);
	cx_http_req_free(&req);
	return n;
}

/* Tests ------------------------------------------------------------- */

static void
test_result(void)
{
	static const struct {
		long status;
		enum cx_outcome o;
		const char *code;
		int retryable;
	} m[] = {
		{ 200, CX_OUT_OK, NULL, 0 },
		{ 201, CX_OUT_OK, NULL, 0 },
		{ 401, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0 },
		{ 403, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0 },
		{ 413, CX_OUT_FAIL, CX_E_TOO_LONG, 0 },
		{ 422, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0 },
		{ 429, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1 },
		{ 500, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1 },
		{ 503, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1 },
		{ 501, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0 },
	};
	struct cx_http_resp resp = { 0 };
	struct cx_result r = { 0 };
	char big[600];
	size_t i;

	cx_result_clear(&r);
	is_int(r.retry_after_s, -1, "cleared result has no wait");
	resp.body = "{\"error\":\"x\"}\n";
	resp.body_len = strlen(resp.body);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		resp.status = m[i].status;
		resp.retry_after_s = m[i].status == 429 ? 7 : -1;
		cx_result_from_http(&r, &resp);
		ok(r.outcome == m[i].o && (m[i].code ? r.code &&
		    strcmp(r.code, m[i].code) == 0 : r.code == NULL) &&
		    r.retryable == m[i].retryable,
		    "HTTP %ld -> outcome %d code %s retryable %d", m[i].status,
		    (int)r.outcome, r.code ? r.code : "-", r.retryable);
		if (m[i].o == CX_OUT_OK)
			ok(r.message == NULL, "HTTP %ld: no message",
			    m[i].status);
	}
	is_int(r.retry_after_s, -1, "retry_after copied (none)");
	resp.status = 429;
	resp.retry_after_s = 7;
	cx_result_from_http(&r, &resp);
	is_int(r.retry_after_s, 7, "retry_after copied");
	is_str(r.message, "HTTP 429: {\"error\":\"x\"}", "message quotes body");

	/* Long bodies with control characters and UTF-8: 200 bytes at
	 * most, no control characters, no half character. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "line\none\ttab", 12);
	memcpy(big + 199, "\xc3\xa9", 2);	/* é across byte 200 */
	resp.body = big;
	resp.body_len = sizeof(big);
	resp.status = 400;
	cx_result_from_http(&r, &resp);
	ok(r.message != NULL && strncmp(r.message, "HTTP 400: line one tab",
	    22) == 0, "control characters become spaces: %.30s",
	    r.message);
	is_int(strlen(r.message), strlen("HTTP 400: ") + 199,
	    "quote cut at 200 bytes, before a split character");
	resp.body = "";
	resp.body_len = 0;
	resp.status = 404;
	cx_result_from_http(&r, &resp);
	is_str(r.message, "HTTP 404", "no body: status only");

	cx_result_set(&r, CX_OUT_UNKNOWN, CX_E_TIMEOUT, 0, "after %d ms", 5);
	is_str(r.message, "after 5 ms", "cx_result_set formats");
	r.provider_id = cx_xstrdup("SM1");
	r.extra = json_pack("{s:i}", "segments_billed", 2);
	cx_result_clear(&r);
	ok(r.outcome == CX_OUT_OK && r.message == NULL && r.code == NULL &&
	    r.provider_id == NULL && r.extra == NULL, "cx_result_clear");
}

static void
test_req(void)
{
	struct cx_http_req req = { 0 };
	struct cx_buf b = { 0 };

	cx_form_add(&b, "To", "+86 138");
	cx_form_add(&b, "Body", "a&b=c 你");
	is_str(b.s, "To=%2B86+138&Body=a%26b%3Dc+%E4%BD%A0", "cx_form_add");
	cx_http_req_header(&req, "X-N: %d", 5);
	ok(req.headers != NULL && strcmp(req.headers->data, "X-N: 5") == 0,
	    "cx_http_req_header");
	cx_http_req_body(&req, cx_buf_take(&b), 4);
	is_int(req.body_len, 4, "cx_http_req_body");
	req.userpwd = cx_xstrdup("u:p");
	cx_http_req_free(&req);
	ok(req.body == NULL && req.headers == NULL && req.userpwd == NULL,
	    "cx_http_req_free zeroes");
}

static void
test_http_do(void)
{
	struct cx_http_req req = { 0 };
	struct cx_http_resp resp;
	struct cx_buf b = { 0 };
	char *body = NULL;
	int rc;

	req.url = cx_xasprintf("http://127.0.0.1:%d/ok", port);
	rc = cx_http_do(&req, 0, NULL, &resp, &body);
	ok(rc == 0 && resp.status == 200, "cx_http_do /ok: 200");
	ok(resp.body_len > 0 && strstr(resp.body, "\"id\"") != NULL,
	    "cx_http_do body: %s", resp.body);
	is_str(resp.content_type, "application/json", "content type");
	is_int(resp.retry_after_s, -1, "no Retry-After");
	ok(resp.transport == 0 && resp.maybe_sent == 0, "no transport error");
	free(body);
	cx_http_req_free(&req);

	/* A POST with a form body and Basic auth, echoed back. */
	req.url = cx_xasprintf("http://127.0.0.1:%d/echo", port);
	cx_form_add(&b, "To", "+1555");
	rc = (int)b.len;
	cx_http_req_body(&req, cx_buf_take(&b), (size_t)rc);
	req.userpwd = cx_xstrdup("AC1:tok");
	rc = cx_http_do(&req, 0, NULL, &resp, &body);
	ok(rc == 0, "cx_http_do /echo");
	is_str(resp.body, "POST\nBasic QUMxOnRvaw==\ncxkit\n-\nTo=%2B1555",
	    "POST: method, auth, agent, no Expect, body");
	free(body);
	req.method = "PUT";
	rc = cx_http_do(&req, 0, NULL, &resp, &body);
	ok(rc == 0 && strncmp(resp.body, "PUT\n", 4) == 0, "PUT");
	free(body);
	cx_http_req_free(&req);

	req.url = cx_xasprintf("http://127.0.0.1:%d/429do", port);
	rc = cx_http_do(&req, 0, NULL, &resp, &body);
	ok(rc == 0 && resp.status == 429 && resp.retry_after_s == 1,
	    "429 with Retry-After: 1 (got %ld, %ld)", resp.status,
	    resp.retry_after_s);
	free(body);
	cx_http_req_free(&req);

	req.url = cx_xasprintf("http://127.0.0.1:%d/date", port);
	rc = cx_http_do(&req, 0, NULL, &resp, &body);
	ok(rc == 0 && resp.status == 503 && resp.retry_after_s >= 3 &&
	    resp.retry_after_s <= 5, "Retry-After as an HTTP date: %ld s",
	    resp.retry_after_s);
	free(body);
	cx_http_req_free(&req);

	req.url = cx_xasprintf("http://127.0.0.1:%d/x?key=secret",
	    closed_port);
	rc = cx_http_do(&req, 2000, NULL, &resp, &body);
	ok(rc == -1 && resp.status == 0 &&
	    resp.transport == CURLE_COULDNT_CONNECT && !resp.maybe_sent,
	    "closed port: transport error %d, not sent", resp.transport);
	ok(*resp.transport_msg != '\0' &&
	    strstr(resp.transport_msg, "secret") == NULL,
	    "message: %s", resp.transport_msg);
	free(body);
	cx_http_req_free(&req);
}

static void
test_many(void)
{
	enum { N = 50, CONC = 8 };
	static struct tjob t[N], extra;
	struct cx_dispatch *d = cx_dispatch_new(CONC);
	long before, after;
	int i, good = 0, once = 0, ids = 1;
	double s;

	before = server_number("/conns");
	for (i = 0; i < N; i++) {
		tinit(&t[i], "/ok", NULL, 5000, 0);
		t[i].d = d;
		cx_dispatch_add(d, &t[i].job);
	}
	tinit(&extra, "/ok", NULL, 5000, 0);
	t[3].follow = &extra;	/* added from a done() callback */
	is_int(cx_dispatch_busy(d), N, "%d jobs busy", N);
	s = drain(d);
	after = server_number("/conns");
	for (i = 0; i < N; i++) {
		good += t[i].outcome == CX_OUT_OK && t[i].attempts == 1;
		once += t[i].ndone == 1;
		ids &= t[i].provider_id != NULL;
		tfree(&t[i]);
	}
	is_int(good, N, "%d jobs OK in %.3f s", N, s);
	is_int(once, N, "done() called once each");
	ok(ids, "provider ids parsed");
	ok(extra.ndone == 1 && extra.outcome == CX_OUT_OK,
	    "job added from done() ran");
	tfree(&extra);
	is_int(cx_dispatch_busy(d), 0, "nothing busy");
	ok(after - before - 1 <= CONC && after - before - 1 >= 1,
	    "connections reused: %ld new for %d requests",
	    after - before - 1, N + 1);
	cx_dispatch_free(d);
}

static void
test_pacing(void)
{
	enum { N = 10 };
	static struct tjob t[N];
	struct cx_pacer *p = cx_pacer_new(20);
	struct cx_dispatch *d = cx_dispatch_new(8);
	int i, good = 0;
	double s;

	for (i = 0; i < N; i++) {
		tinit(&t[i], "/ok", p, 5000, 0);
		cx_dispatch_add(d, &t[i].job);
	}
	s = drain(d);
	for (i = 0; i < N; i++) {
		good += t[i].outcome == CX_OUT_OK;
		if (i > 0 && t[i].t_done < t[i - 1].t_done)
			good = -100;	/* FIFO within a pacer */
		tfree(&t[i]);
	}
	is_int(good, N, "paced jobs OK, in order");
	ok(s >= 0.4 && s < 2, "10 jobs at 20/s took %.3f s", s);
	cx_dispatch_free(d);
	cx_pacer_free(p);
}

static void
test_429(void)
{
	struct tjob t;
	struct cx_pacer *p = cx_pacer_new(0);
	double s;

	tinit(&t, "/429", p, 5000, 3);
	s = run_one(&t, 4);
	ok(t.outcome == CX_OUT_OK && t.attempts == 2,
	    "429 then OK on attempt %d", t.attempts);
	ok(s >= 1.0, "Retry-After waited: %.3f s", s);
	is_str(t.provider_id, "429ok", "second answer parsed");
	tfree(&t);
	cx_pacer_free(p);
}

static void
test_hold(void)
{
	struct tjob a1, a2, b1;
	struct cx_pacer *pa = cx_pacer_new(0), *pb = cx_pacer_new(0);
	struct cx_dispatch *d = cx_dispatch_new(1);
	double t0 = now_s();

	tinit(&a1, "/429hold", pa, 5000, 2);
	tinit(&a2, "/ok", pa, 5000, 0);
	tinit(&b1, "/ok", pb, 5000, 0);
	cx_dispatch_add(d, &a1.job);
	cx_dispatch_add(d, &a2.job);
	cx_dispatch_add(d, &b1.job);
	drain(d);
	ok(b1.outcome == CX_OUT_OK && b1.t_done - t0 < 0.6,
	    "a held pacer does not block another: %.3f s", b1.t_done - t0);
	ok(a2.outcome == CX_OUT_OK && a2.t_done - t0 >= 1.0,
	    "the held pacer's next job waited: %.3f s", a2.t_done - t0);
	ok(a1.outcome == CX_OUT_OK && a1.attempts == 2,
	    "rate-limited job retried: attempts %d", a1.attempts);
	tfree(&a1);
	tfree(&a2);
	tfree(&b1);
	cx_dispatch_free(d);
	cx_pacer_free(pa);
	cx_pacer_free(pb);
}

static void
test_failures(void)
{
	struct tjob t;
	double s;
	long n0, n1;

	tinit(&t, "/500", NULL, 5000, 2);
	n0 = server_number("/count");
	run_one(&t, 2);
	n1 = server_number("/count");
	ok(t.outcome == CX_OUT_FAIL && t.code &&
	    strcmp(t.code, CX_E_PROVIDER_ERROR) == 0 && t.retryable &&
	    t.attempts == 3, "/500: FAIL %s retryable %d attempts %d",
	    t.code, t.retryable, t.attempts);
	ok(t.message && strstr(t.message, "(after 3 attempts)"),
	    "message: %s", t.message);
	is_int(n1 - n0 - 1, 3, "the server saw 3 requests");
	tfree(&t);

	tinit(&t, "/slow", NULL, 500, 3);
	s = run_one(&t, 2);
	ok(t.outcome == CX_OUT_UNKNOWN && t.code &&
	    strcmp(t.code, CX_E_TIMEOUT) == 0 && !t.retryable &&
	    t.attempts == 1, "/slow: UNKNOWN %s attempts %d in %.3f s",
	    t.code, t.attempts, s);
	ok(t.message && strstr(t.message, "secret") == NULL,
	    "message: %s", t.message);
	tfree(&t);

	tinit(&t, "/slow", NULL, 500, 1);
	t.job.idempotent = 1;
	run_one(&t, 2);
	ok(t.outcome == CX_OUT_FAIL && t.code &&
	    strcmp(t.code, CX_E_TIMEOUT) == 0 && t.retryable &&
	    t.attempts == 2, "/slow idempotent: FAIL %s attempts %d",
	    t.code, t.attempts);
	tfree(&t);

	tinit(&t, "/reset", NULL, 5000, 3);
	run_one(&t, 2);
	ok(t.outcome == CX_OUT_UNKNOWN && t.code &&
	    strcmp(t.code, CX_E_NETWORK) == 0 && !t.retryable &&
	    t.attempts == 1, "/reset: UNKNOWN %s attempts %d (%s)", t.code,
	    t.attempts, t.message);
	tfree(&t);

	tinit(&t, "/x", NULL, 5000, 2);
	t.bad_port = 1;
	s = run_one(&t, 2);
	ok(t.outcome == CX_OUT_FAIL && t.code &&
	    strcmp(t.code, CX_E_NETWORK) == 0 && t.retryable &&
	    t.attempts == 3, "refused: FAIL %s retryable %d attempts %d "
	    "in %.3f s", t.code, t.retryable, t.attempts, s);
	ok(t.message && strstr(t.message, "(after 3 attempts)") &&
	    strstr(t.message, "secret") == NULL, "message: %s", t.message);
	tfree(&t);

	tinit(&t, "/ok", NULL, 5000, 2);
	t.fail_build = 1;
	run_one(&t, 2);
	ok(t.ndone == 1 && t.outcome == CX_OUT_FAIL && t.attempts == 0 &&
	    t.code && strcmp(t.code, CX_E_BAD_FIELD) == 0,
	    "build() -1: done, attempts %d", t.attempts);
	tfree(&t);
}

static void
test_fd(void)
{
	struct cx_dispatch *d = cx_dispatch_new(2);
	int pfd[2], r, got = 0;
	struct tjob t;
	double t0;
	pid_t w;
	char c;

	t0 = now_s();
	r = cx_dispatch_step(d, -1, -1);
	ok(r == 0 && now_s() - t0 < 0.05, "idle, no fd: returns at once");

	if (pipe(pfd) == -1) {
		perror("pipe");
		exit(1);
	}
	t0 = now_s();
	r = cx_dispatch_step(d, pfd[0], 100);
	ok(r == 0 && now_s() - t0 >= 0.09, "idle, quiet fd: waited %.3f s",
	    now_s() - t0);

	/* Written by another process while a transfer runs. */
	tinit(&t, "/slow", NULL, 800, 0);
	cx_dispatch_add(d, &t.job);
	fflush(stdout);
	if ((w = fork()) == 0) {
		usleep(150000);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	t0 = now_s();
	while (now_s() - t0 < 5 && (r = cx_dispatch_step(d, pfd[0], -1)) == 0)
		;
	ok(r == 1 && cx_dispatch_busy(d) == 1 && now_s() - t0 < 0.6,
	    "pipe written during a transfer: step returns 1 after %.3f s",
	    now_s() - t0);
	waitpid(w, NULL, 0);
	got = read(pfd[0], &c, 1) == 1;
	ok(got, "the byte is there");
	drain(d);
	ok(t.outcome == CX_OUT_UNKNOWN, "the transfer still finished");
	tfree(&t);

	/* Written from done(). */
	tinit(&t, "/ok", NULL, 5000, 0);
	t.wfd = pfd[1];
	cx_dispatch_add(d, &t.job);
	t0 = now_s();
	while (now_s() - t0 < 5 && (r = cx_dispatch_step(d, pfd[0], 1000)) == 0)
		;
	ok(r == 1 && t.ndone == 1, "pipe written from done(): step returns 1");
	tfree(&t);

	/* End of input: a closed pipe must wake the caller for its EOF. */
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		ok(0, "drain pipe");
	t0 = now_s();
	r = cx_dispatch_step(d, pfd[0], 1000);
	ok(r == 1 && now_s() - t0 < 0.5, "hang-up reported as readable");
	close(pfd[0]);
	cx_dispatch_free(d);
}

static void
test_free_busy(void)
{
	struct cx_dispatch *d = cx_dispatch_new(1);
	struct tjob a, b;

	/* Freed with a job in flight and one queued: no leak, no done(). */
	tinit(&a, "/slow", NULL, 5000, 0);
	tinit(&b, "/ok", NULL, 5000, 0);
	cx_dispatch_add(d, &a.job);
	cx_dispatch_add(d, &b.job);
	cx_dispatch_step(d, -1, 50);
	cx_dispatch_free(d);
	ok(a.ndone == 0 && b.ndone == 0, "free while busy: no done()");
}

int
main(void)
{
	/* Talk to 127.0.0.1 directly whatever proxy the environment has. */
	setenv("no_proxy", "127.0.0.1", 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	signal(SIGPIPE, SIG_IGN);
	start_server();

	test_result();
	test_req();
	test_http_do();
	test_many();
	test_pacing();
	test_429();
	test_hold();
	test_failures();
	test_fd();
	test_free_busy();

	kill_server();
	curl_global_cleanup();
	return tap_done();
}
