/* http.h - HTTP requests and responses as the sending engine sees them
 *
 * SPDX-License-Identifier: MIT
 * A provider fills a struct cx_http_req; the engine (dispatch.h) performs
 * it with libcurl and hands back a struct cx_http_resp.  TLS verification
 * is always on; proxies come from the environment (http_proxy,
 * https_proxy, no_proxy) unless a provider's `proxy` key names one.
 */
#ifndef CX_HTTP_H
#define CX_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "xwrap.h"

struct cx_http_req {
	const char *method;		/* "GET", "POST", "PUT", "PATCH"; NULL:
					 * POST when there is a body, else GET */
	char *url;			/* malloc'd */
	struct curl_slist *headers;	/* owned; "Name: value" lines */
	char *body;			/* malloc'd, may be NULL */
	size_t body_len;
	char *userpwd;			/* "user:password" for HTTP Basic auth,
					 * malloc'd; a secret: never logged */
};

/* Frees every member and zeroes the struct. */
void cx_http_req_free(struct cx_http_req *r);
/* Appends a header line formatted like printf ("Content-Type: %s"). */
void cx_http_req_header(struct cx_http_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets the body (takes ownership of body). */
void cx_http_req_body(struct cx_http_req *r, char *body, size_t len);

/* Appends "k=v" to an application/x-www-form-urlencoded body in b,
 * with '&' between pairs; k and v are encoded. */
void cx_form_add(struct cx_buf *b, const char *k, const char *v);

struct cx_http_resp {
	long status;		/* HTTP status; 0 when no response arrived */
	const char *body;	/* NUL-terminated (may contain NULs) */
	size_t body_len;
	const char *content_type;	/* or NULL */
	long retry_after_s;	/* Retry-After in seconds (delta or date),
				 * -1 when absent */
	int transport;		/* CURLcode; 0 when a response arrived */
	const char *transport_msg;	/* curl's message, or "" */
	int maybe_sent;		/* 1 when the request may have reached the
				 * server (it cannot be retried blindly) */
	double elapsed_s;	/* total time of this attempt */
};

/* How many bytes of a response body an error message may quote: at most
 * 200, never ending inside a UTF-8 sequence.  Use as "%.*s", n, body. */
int cx_http_excerpt(const struct cx_http_resp *resp);

/* Blocking one-shot request, for callers outside the engine (a token
 * fetch, a ticket lookup).  Fills resp (body malloc'd into *bodyp, which
 * the caller frees).  timeout_ms 0 means 30 s.  Returns 0 when a response
 * arrived (any status), -1 on a transport error (resp->transport set).
 * Every string resp points to (body, content_type, transport_msg) lives
 * in the *bodyp block, so it stays valid until the caller frees that. */
int cx_http_do(const struct cx_http_req *req, long timeout_ms,
    const char *proxy, struct cx_http_resp *resp, char **bodyp);

/* As cx_http_do(), and *value receives the value of the response header
 * name (malloc'd, the last one of the final response), or NULL when the
 * response has none (ETag for an If-Match update, say). */
int cx_http_do_header(const struct cx_http_req *req, long timeout_ms,
    const char *proxy, const char *name, char **value,
    struct cx_http_resp *resp, char **bodyp);

/* As cx_http_do(), but POSTs a multipart/form-data body of one part
 * named field holding the file at path (filename: its basename, read
 * while sending).  req gives the URL and headers; its method and body
 * are ignored. */
int cx_http_upload(const struct cx_http_req *req, const char *field,
    const char *path, long timeout_ms, const char *proxy,
    struct cx_http_resp *resp, char **bodyp);

/*
 * Private to libcommon (http.c and dispatch.c): one libcurl easy handle
 * set up with the options every cxkit request shares.
 */
enum cx_xfer {
	CX_XFER_RESPONSE,	/* a response arrived */
	CX_XFER_NOT_SENT,	/* nothing reached the server: retry is safe */
	CX_XFER_MAYBE_SENT,	/* the request may have been delivered */
	CX_XFER_BROKEN,		/* nothing sent, and retrying cannot help
				 * (bad certificate, malformed URL) */
};

struct cx_http_easy {
	CURL *curl;			/* created by cx_http_easy_setup() */
	struct curl_slist *hdrs;	/* the request's headers + ours */
	struct cx_buf *body;		/* response body goes here (1 MiB
					 * kept at most) */
	char **ctype;			/* Content-Type goes here (malloc'd) */
	long *retry_after_s;		/* Retry-After goes here, or -1 */
	char err[CURL_ERROR_SIZE];	/* curl's message, then ours */
	void *owner;			/* the engine's job */
	struct cx_http_easy *next;	/* the engine's free list */
};

/* curl_global_init(CURL_GLOBAL_DEFAULT), once per process. */
void cx_http_global_init(void);
/* Sets e up for req (creating or resetting e->curl); body, ctype and
 * retry_after_s receive the response and are reset here.  req must stay
 * valid until the transfer is over. */
void cx_http_easy_setup(struct cx_http_easy *e, const struct cx_http_req *req,
    long timeout_ms, const char *proxy, struct cx_buf *body, char **ctype,
    long *retry_after_s);
/* Fills resp from a finished transfer whose result was rc; resp's
 * strings point into e and the buffers given to setup.  Returns what
 * happened to the request. */
enum cx_xfer cx_http_easy_result(struct cx_http_easy *e, CURLcode rc,
    struct cx_http_resp *resp);
/* Frees the handle and the header list (not the buffers). */
void cx_http_easy_free(struct cx_http_easy *e);

#endif
