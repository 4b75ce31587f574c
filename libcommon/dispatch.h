/* dispatch.h - the sending engine: concurrency, pacing, retries, timeouts
 *
 * SPDX-License-Identifier: MIT
 * Shared by sms-send and im-send.  One libcurl multi handle with
 * connection reuse (and HTTP/2 multiplexing where the server offers it)
 * runs up to `concurrency` transfers at once.  Each job belongs to a pacer
 * (one per configured provider): a pacer releases at most `rate` requests
 * a second, and after a 429 / rate-limit answer with a wait (Retry-After)
 * it holds all its jobs until the wait is over.
 *
 * A job's life: build() makes the request (called again for each attempt,
 * since signatures carry timestamps and nonces) → transfer → when a
 * response arrived, parse() sets job->result; on a transport error the
 * engine classifies it itself:
 *   - nothing reached the server (DNS, connect refused/timed out, TLS
 *     handshake, send error): CX_OUT_RETRY, code network, retryable;
 *   - the request may have been delivered (timeout or connection reset
 *     after sending, empty reply): CX_OUT_UNKNOWN, code timeout or
 *     network, unless job->idempotent, then CX_OUT_RETRY.
 * CX_OUT_RETRY is retried while attempts <= max_retries, after the
 * result's retry_after_s when given, else after exponential backoff with
 * full jitter (0.5 s · 2^n, capped at 30 s); when retries run out the
 * outcome becomes CX_OUT_FAIL with retryable kept true (so it does when
 * the provider asks for a wait longer than CX_RETRY_AFTER_MAX seconds:
 * that is not slept through, a later run retries).  Then done() is
 * called exactly once.  A per-attempt timeout (timeout_ms) bounds every
 * transfer.
 */
#ifndef CX_DISPATCH_H
#define CX_DISPATCH_H

#include <jansson.h>

#include "http.h"

#define CX_RETRY_AFTER_MAX 300	/* seconds */

enum cx_outcome {
	CX_OUT_OK,		/* the provider accepted the message */
	CX_OUT_FAIL,		/* definite failure */
	CX_OUT_RETRY,		/* not accepted, safe to try again */
	CX_OUT_UNKNOWN,		/* may or may not have been accepted */
};

struct cx_result {
	enum cx_outcome outcome;
	const char *code;	/* record.h code when not OK, else NULL */
	char *message;		/* malloc'd, no secrets; NULL when OK */
	int retryable;
	long retry_after_s;	/* the provider's wait, -1 when none */
	char *provider_id;	/* malloc'd provider message id, or NULL */
	json_t *extra;		/* fields to add to the result object
				 * (e.g. {"segments_billed":2}); new ref */
};

/* Sets outcome/code/retryable and a printf-formatted message (replacing
 * any earlier message). */
void cx_result_set(struct cx_result *r, enum cx_outcome o, const char *code,
    int retryable, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Marks r accepted: provider id id (copied; may be NULL) and extra
 * fields (the reference is stolen; may be NULL). */
void cx_result_ok(struct cx_result *r, const char *id, json_t *extra);
/* Frees message, provider_id and extra; resets to OK with no wait. */
void cx_result_clear(struct cx_result *r);
/* The usual meaning of an HTTP status when a provider has nothing more
 * specific: 2xx OK; 429 RETRY rate_limited; 500/502/503/504 RETRY
 * provider_error; 401/403 FAIL auth_failed; 413 FAIL too_long; other 4xx
 * FAIL provider_rejected.  The message quotes at most 200 bytes of the
 * body.  Copies resp->retry_after_s. */
void cx_result_from_http(struct cx_result *r, const struct cx_http_resp *resp);

struct cx_pacer;
/* rate: requests per second; 0 or less means unpaced.  A pacer serves
 * one dispatcher, and is freed after it (or when no job of it is
 * queued). */
struct cx_pacer *cx_pacer_new(double rate);
void cx_pacer_free(struct cx_pacer *p);

struct cx_job {
	/* Set by the caller before cx_dispatch_add(). */
	struct cx_pacer *pacer;	/* may be NULL (unpaced) */
	long timeout_ms;	/* per attempt; 0 = 30 s */
	int max_retries;	/* retries after the first attempt */
	int idempotent;		/* retrying a possibly-delivered request is
				 * safe (the server de-duplicates) */
	const char *proxy;	/* NULL: the environment's */
	/* Fills req for one attempt.  Returns 0, or -1 after setting
	 * result (usually CX_OUT_FAIL): the job then ends without a
	 * transfer. */
	int (*build)(struct cx_job *j, struct cx_http_req *req,
	    struct cx_result *result);
	/* Interprets a response that arrived (resp->status > 0). */
	void (*parse)(struct cx_job *j, const struct cx_http_resp *resp,
	    struct cx_result *result);
	/* Called once, when the job is over; result and attempts are final.
	 * The engine does not touch the job afterwards. */
	void (*done)(struct cx_job *j);
	void *udata;

	/* Read in done(). */
	struct cx_result result;
	int attempts;		/* transfers made (0 when build failed) */

	/* Engine-private. */
	struct cx_job *next;
	long long due_ms;
	void *easy;
	struct cx_http_req req;
	struct cx_buf rbody;
	char *rctype;
	long rretry;
};

struct cx_dispatch;
/* concurrency: transfers in flight at most (>= 1). */
struct cx_dispatch *cx_dispatch_new(int concurrency);
/* Jobs not yet done are dropped: transfers aborted, their requests freed,
 * done() not called. */
void cx_dispatch_free(struct cx_dispatch *d);
/* Queues a job (not started until cx_dispatch_step()).  Initialises
 * result, attempts and the engine-private fields. */
void cx_dispatch_add(struct cx_dispatch *d, struct cx_job *j);
/* Jobs added and not yet done. */
int cx_dispatch_busy(const struct cx_dispatch *d);
/* Runs transfers, timers and done() callbacks, waiting at most wait_ms
 * (-1: until something happens) for progress.  When fd >= 0 it is also
 * watched for reading, and the call returns 1 as soon as it is readable
 * (after running what was ready), else 0. */
int cx_dispatch_step(struct cx_dispatch *d, int fd, long wait_ms);

#endif
