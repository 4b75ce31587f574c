/* http.c - HTTP requests with libcurl: the options every request shares
 *
 * SPDX-License-Identifier: MIT
 * One place sets up an easy handle (TLS verification on, HTTP/2 over TLS,
 * no "Expect: 100-continue", http and https only, no redirects), captures
 * the response, and says what a transport error means for the request:
 * never sent, maybe delivered, or broken for good.  The engine
 * (dispatch.c) and the blocking cx_http_do() both use it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "xwrap.h"

#define BODY_MAX	(1024 * 1024)	/* response bytes kept */
#define CONNECT_MAX_MS	10000L
#define DEFAULT_MS	30000L
#define USER_AGENT	"cxkit"

static void __attribute__((noreturn))
oom(void)
{
	/* As xwrap.c: no allocation on the way out. */
	fputs(cx_prog ? cx_prog : "cxkit", stderr);
	fputs(": out of memory\n", stderr);
	exit(CX_EXIT_USAGE);
}

void
cx_http_req_free(struct cx_http_req *r)
{
	free(r->url);
	curl_slist_free_all(r->headers);
	free(r->body);
	if (r->userpwd != NULL) {
		explicit_bzero(r->userpwd, strlen(r->userpwd));
		free(r->userpwd);
	}
	memset(r, 0, sizeof(*r));
}

void
cx_http_req_header(struct cx_http_req *r, const char *fmt, ...)
{
	struct curl_slist *l;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL || (l = curl_slist_append(r->headers, s)) == NULL)
		oom();
	r->headers = l;
	free(s);
}

void
cx_http_req_body(struct cx_http_req *r, char *body, size_t len)
{
	free(r->body);
	r->body = body;
	r->body_len = len;
}

void
cx_form_add(struct cx_buf *b, const char *k, const char *v)
{
	char *ek = cx_form_encode(k, strlen(k));
	char *ev = cx_form_encode(v, strlen(v));

	if (b->len > 0)
		cx_buf_addc(b, '&');
	cx_buf_adds(b, ek);
	cx_buf_addc(b, '=');
	cx_buf_adds(b, ev);
	free(ek);
	free(ev);
}

void
cx_http_global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

/* Seconds to wait from a Retry-After value (delta seconds or an HTTP
 * date), or -1 when it is neither. */
static long
retry_after(const char *v)
{
	time_t t, now;
	char *end;
	long n;

	if (isdigit((unsigned char)*v)) {
		n = strtol(v, &end, 10);
		return *end == '\0' && n >= 0 ? n : -1;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	now = time(NULL);
	return t > now ? (long)(t - now) : 0;
}

/* Returns the header's value (trimmed, NUL-terminated in buf) when line
 * is "name: value", else NULL. */
static const char *
header_value(const char *line, size_t n, const char *name, char *buf,
    size_t bufsz)
{
	size_t nl = strlen(name);

	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return NULL;
	line += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return buf;
}

static size_t
on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct cx_http_easy *e = arg;
	size_t n = size * nitems;
	const char *v;
	char buf[256];

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): start over. */
		free(*e->ctype);
		*e->ctype = NULL;
		*e->retry_after_s = -1;
	} else if ((v = header_value(p, n, "Content-Type", buf,
	    sizeof(buf))) != NULL) {
		free(*e->ctype);
		*e->ctype = cx_xstrdup(v);
	} else if ((v = header_value(p, n, "Retry-After", buf,
	    sizeof(buf))) != NULL)
		*e->retry_after_s = retry_after(v);
	return n;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cx_http_easy *e = arg;
	size_t n = size * nmemb;

	if (e->body->len < BODY_MAX)
		cx_buf_add(e->body, p, n < BODY_MAX - e->body->len ? n :
		    BODY_MAX - e->body->len);
	return n;
}

static void
add_header(struct cx_http_easy *e, const char *h)
{
	struct curl_slist *l = curl_slist_append(e->hdrs, h);

	if (l == NULL)
		oom();
	e->hdrs = l;
}

void
cx_http_easy_setup(struct cx_http_easy *e, const struct cx_http_req *req,
    long timeout_ms, const char *proxy, struct cx_buf *body, char **ctype,
    long *retry_after_s)
{
	const struct curl_slist *h;
	const char *method;
	CURL *c;

	cx_http_global_init();
	if (e->curl == NULL) {
		if ((e->curl = curl_easy_init()) == NULL)
			oom();
	} else
		curl_easy_reset(e->curl);
	c = e->curl;
	curl_slist_free_all(e->hdrs);
	e->hdrs = NULL;
	for (h = req->headers; h != NULL; h = h->next)
		add_header(e, h->data);
	add_header(e, "Expect:");

	e->body = body;
	e->ctype = ctype;
	e->retry_after_s = retry_after_s;
	body->len = 0;
	if (body->s != NULL)
		body->s[0] = '\0';
	free(*ctype);
	*ctype = NULL;
	*retry_after_s = -1;
	e->err[0] = '\0';

	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_MS;
	curl_easy_setopt(c, CURLOPT_PRIVATE, e);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < CONNECT_MAX_MS ? timeout_ms : CONNECT_MAX_MS);
	if (proxy != NULL)
		curl_easy_setopt(c, CURLOPT_PROXY, proxy);
	if (req->userpwd != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, e->err);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, e);

	method = req->method;
	if (method == NULL)
		method = req->body != NULL ? "POST" : "GET";
	if (req->body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body != NULL ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

/* Drops URL query strings ("?..." up to a space or quote) from curl's
 * message: they may hold secrets. */
static void
scrub(char *s)
{
	char *start = s, *w = s;

	while (*s != '\0') {
		if (*s == '?')
			while (*s != '\0' && !isspace((unsigned char)*s) &&
			    *s != '"' && *s != '\'')
				s++;
		else
			*w++ = *s++;
	}
	*w = '\0';
	while (w > start && isspace((unsigned char)w[-1]))
		*--w = '\0';
}

static enum cx_xfer
classify(CURL *c, CURLcode rc)
{
	long reqsize = 0;

	/* Bytes of request written: 0 means the server has nothing. */
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqsize);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return CX_XFER_BROKEN;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SEND_ERROR:
		return CX_XFER_NOT_SENT;
	case CURLE_OPERATION_TIMEDOUT:
		/* Connect or TLS handshake timed out: not one byte of the
		 * request was written, so the server cannot have it.  (A
		 * TCP connect time alone does not tell: the handshake may
		 * have been what timed out.) */
		if (reqsize == 0)
			return CX_XFER_NOT_SENT;
		return CX_XFER_MAYBE_SENT;
	default:
		/* Receive errors, an empty reply, a cut-off body, an HTTP/2
		 * stream reset and whatever else: delivered, perhaps,
		 * unless nothing was written. */
		return reqsize == 0 ? CX_XFER_NOT_SENT : CX_XFER_MAYBE_SENT;
	}
}

enum cx_xfer
cx_http_easy_result(struct cx_http_easy *e, CURLcode rc,
    struct cx_http_resp *resp)
{
	curl_off_t total_us = 0;
	enum cx_xfer x;
	long status = 0;

	memset(resp, 0, sizeof(*resp));
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e->curl, CURLINFO_TOTAL_TIME_T, &total_us);
	resp->elapsed_s = (double)total_us / 1e6;
	resp->retry_after_s = -1;
	resp->body = "";
	resp->transport_msg = "";
	if (rc == CURLE_OK && status > 0) {
		resp->status = status;
		if (e->body->s != NULL) {
			resp->body = e->body->s;
			resp->body_len = e->body->len;
		}
		resp->content_type = *e->ctype;
		resp->retry_after_s = *e->retry_after_s;
		return CX_XFER_RESPONSE;
	}
	if (rc == CURLE_OK) {
		/* Finished without a status line: as good as no reply. */
		rc = CURLE_GOT_NOTHING;
		e->err[0] = '\0';
	}
	if (e->err[0] == '\0')
		snprintf(e->err, sizeof(e->err), "%s", curl_easy_strerror(rc));
	scrub(e->err);
	x = classify(e->curl, rc);
	resp->transport = (int)rc;
	resp->transport_msg = e->err;
	resp->maybe_sent = x == CX_XFER_MAYBE_SENT;
	return x;
}

void
cx_http_easy_free(struct cx_http_easy *e)
{
	if (e->curl != NULL)
		curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->hdrs);
	e->curl = NULL;
	e->hdrs = NULL;
}

/* Performs the transfer e was set up for and copies the response into
 * one block (*bodyp), as cx_http_do() says; frees e, its body and its
 * type.  Returns 0 when a response arrived, else -1. */
static int
perform(struct cx_http_easy *e, struct cx_http_resp *resp, char **bodyp)
{
	struct cx_buf out = { 0 };
	size_t ct_off = 0, msg_off;
	enum cx_xfer x;
	CURLcode rc;

	rc = curl_easy_perform(e->curl);
	x = cx_http_easy_result(e, rc, resp);

	/* One block holds all resp points to: body, type, message. */
	cx_buf_add(&out, resp->body, resp->body_len);
	cx_buf_addc(&out, '\0');
	if (resp->content_type != NULL) {
		ct_off = out.len;
		cx_buf_adds(&out, resp->content_type);
		cx_buf_addc(&out, '\0');
	}
	msg_off = out.len;
	cx_buf_adds(&out, resp->transport_msg);
	*bodyp = cx_buf_take(&out);
	resp->body = *bodyp;
	if (resp->content_type != NULL)
		resp->content_type = *bodyp + ct_off;
	resp->transport_msg = *bodyp + msg_off;

	cx_http_easy_free(e);
	cx_buf_free(e->body);
	free(*e->ctype);
	*e->ctype = NULL;
	return x == CX_XFER_RESPONSE ? 0 : -1;
}

int
cx_http_do(const struct cx_http_req *req, long timeout_ms,
    const char *proxy, struct cx_http_resp *resp, char **bodyp)
{
	struct cx_http_easy e = { 0 };
	struct cx_buf body = { 0 };
	char *ctype = NULL;
	long ra = -1;

	cx_http_easy_setup(&e, req, timeout_ms, proxy, &body, &ctype, &ra);
	return perform(&e, resp, bodyp);
}

int
cx_http_upload(const struct cx_http_req *req, const char *field,
    const char *path, long timeout_ms, const char *proxy,
    struct cx_http_resp *resp, char **bodyp)
{
	struct cx_http_easy e = { 0 };
	struct cx_http_req r = *req;
	struct cx_buf body = { 0 };
	curl_mimepart *part;
	curl_mime *mime;
	char *ctype = NULL;
	long ra = -1;
	int rv;

	/* The form is the body: POST comes from CURLOPT_MIMEPOST. */
	r.method = NULL;
	r.body = NULL;
	r.body_len = 0;
	cx_http_easy_setup(&e, &r, timeout_ms, proxy, &body, &ctype, &ra);
	if ((mime = curl_mime_init(e.curl)) == NULL ||
	    (part = curl_mime_addpart(mime)) == NULL ||
	    curl_mime_name(part, field) != CURLE_OK ||
	    curl_mime_filedata(part, path) != CURLE_OK)
		oom();
	curl_easy_setopt(e.curl, CURLOPT_MIMEPOST, mime);
	rv = perform(&e, resp, bodyp);
	curl_mime_free(mime);
	return rv;
}

int
cx_http_excerpt(const struct cx_http_resp *resp)
{
	size_t n = resp->body ? strnlen(resp->body, resp->body_len) : 0;

	if (n <= 200)
		return (int)n;
	n = 200;
	while (n > 0 && ((unsigned char)resp->body[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* For cx_http_do_header(): the engine's header callback, plus one
 * header's value captured. */
struct hdr_capture {
	struct cx_http_easy *e;
	const char *name;
	char **value;
};

static size_t
on_header_capture(char *p, size_t size, size_t nitems, void *arg)
{
	struct hdr_capture *h = arg;
	size_t n = size * nitems;
	const char *v;
	char buf[256];

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(*h->value);
		*h->value = NULL;
	} else if ((v = header_value(p, n, h->name, buf, sizeof(buf))) !=
	    NULL) {
		free(*h->value);
		*h->value = cx_xstrdup(v);
	}
	return on_header(p, size, nitems, h->e);
}

int
cx_http_do_header(const struct cx_http_req *req, long timeout_ms,
    const char *proxy, const char *name, char **value,
    struct cx_http_resp *resp, char **bodyp)
{
	struct cx_http_easy e = { 0 };
	struct cx_buf body = { 0 };
	struct hdr_capture h = { &e, name, value };
	char *ctype = NULL;
	long ra = -1;

	*value = NULL;
	cx_http_easy_setup(&e, req, timeout_ms, proxy, &body, &ctype, &ra);
	curl_easy_setopt(e.curl, CURLOPT_HEADERFUNCTION, on_header_capture);
	curl_easy_setopt(e.curl, CURLOPT_HEADERDATA, &h);
	return perform(&e, resp, bodyp);
}
