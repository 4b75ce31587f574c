/* dispatch.c - the sending engine: concurrency, pacing, retries, timeouts
 *
 * SPDX-License-Identifier: MIT
 * A job is always in exactly one place, linked through job->next:
 *   - its pacer's queue: ready, waiting for a free slot, the pacer's next
 *     token or the end of its hold (FIFO per pacer; the dispatcher keeps
 *     the pacers with queued jobs on its active list and serves them in
 *     turn, so a held pacer never blocks another);
 *   - d->timers: waiting out a backoff, sorted by due time;
 *   - in flight: on the multi handle, found from its easy handle (owner);
 *   - d->fin: over, waiting for done().  done() is only ever called from
 *     flush_done(), when no list is being walked, so it may add jobs (or
 *     free its own).
 */
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dispatch.h"
#include "log.h"
#include "record.h"
#include "xwrap.h"

#define BACKOFF_BASE_MS	500LL
#define BACKOFF_CAP_MS	30000LL
#define QUOTE_MAX	200	/* body bytes quoted in a message */

struct cx_pacer {
	double interval_ms;		/* 1000 / rate; 0 when unpaced */
	double next_ms;			/* no start before this */
	double hold_ms;			/* rate limited until this */
	struct cx_job *head, *tail;	/* ready jobs, FIFO */
	struct cx_pacer *anext;		/* on the dispatcher's active list */
	int active;
};

struct cx_dispatch {
	CURLM *multi;
	int concurrency;
	int inflight;			/* transfers on the multi handle */
	int busy;			/* jobs added and not yet done */
	struct cx_pacer unpaced;	/* for jobs with no pacer */
	struct cx_pacer *active, *active_tail;
	struct cx_job *timers;		/* sorted by due_ms */
	struct cx_job *fin, *fin_tail;
	struct cx_http_easy *easies;	/* concurrency of them */
	struct cx_http_easy *pool;	/* the idle ones */
	uint64_t rng;
};

/* Milliseconds on the monotonic clock, with a fraction. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64*: jitter needs no more. */
static uint64_t
rnd(struct cx_dispatch *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 0x2545F4914F6CDD1DULL;
}

/* Full jitter: a random wait in [0, 500 ms · 2^(attempt-1)], at most
 * 30 s. */
static long long
backoff_ms(struct cx_dispatch *d, int attempt)
{
	long long top = BACKOFF_CAP_MS;

	if (attempt < 1)
		attempt = 1;
	if (attempt <= 7)
		top = BACKOFF_BASE_MS << (attempt - 1);
	if (top > BACKOFF_CAP_MS)
		top = BACKOFF_CAP_MS;
	return (long long)(rnd(d) % (uint64_t)(top + 1));
}

void
cx_result_set(struct cx_result *r, enum cx_outcome o, const char *code,
    int retryable, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;
	int n;

	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(NULL, 0, fmt, ap);
		va_end(ap);
		m = cx_xmalloc(n > 0 ? (size_t)n + 1 : 1);
		va_start(ap, fmt);
		vsnprintf(m, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
		va_end(ap);
	}
	free(r->message);
	r->message = m;
	r->outcome = o;
	r->code = code;
	r->retryable = retryable;
}

void
cx_result_clear(struct cx_result *r)
{
	free(r->message);
	free(r->provider_id);
	json_decref(r->extra);
	memset(r, 0, sizeof(*r));
	r->outcome = CX_OUT_OK;
	r->retry_after_s = -1;
}

/* At most QUOTE_MAX bytes of the body, control characters as spaces, not
 * cutting a UTF-8 sequence in two. */
static char *
quote_body(const char *s, size_t n)
{
	char *q;
	size_t i;

	if (n > QUOTE_MAX) {
		n = QUOTE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' '))
		n--;
	q = cx_xstrndup(s, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = ' ';
	return q;
}

void
cx_result_from_http(struct cx_result *r, const struct cx_http_resp *resp)
{
	long st = resp->status;
	enum cx_outcome o;
	const char *code;
	int retry = 0;
	char *q;

	r->retry_after_s = resp->retry_after_s;
	if (st >= 200 && st <= 299) {
		free(r->message);
		r->message = NULL;
		r->outcome = CX_OUT_OK;
		r->code = NULL;
		r->retryable = 0;
		return;
	}
	if (st == 429) {
		o = CX_OUT_RETRY, code = CX_E_RATE_LIMITED, retry = 1;
	} else if (st == 500 || st == 502 || st == 503 || st == 504) {
		o = CX_OUT_RETRY, code = CX_E_PROVIDER_ERROR, retry = 1;
	} else if (st == 401 || st == 403) {
		o = CX_OUT_FAIL, code = CX_E_AUTH_FAILED;
	} else if (st == 413) {
		o = CX_OUT_FAIL, code = CX_E_TOO_LONG;
	} else if (st >= 500) {
		o = CX_OUT_FAIL, code = CX_E_PROVIDER_ERROR;
	} else {
		/* Other 4xx, and a redirect or 1xx we did not ask for. */
		o = CX_OUT_FAIL, code = CX_E_PROVIDER_REJECTED;
	}
	q = quote_body(resp->body != NULL ? resp->body : "", resp->body_len);
	if (*q != '\0')
		cx_result_set(r, o, code, retry, "HTTP %ld: %s", st, q);
	else
		cx_result_set(r, o, code, retry, "HTTP %ld", st);
	free(q);
}

struct cx_pacer *
cx_pacer_new(double rate)
{
	struct cx_pacer *p = cx_xcalloc(1, sizeof(*p));

	p->interval_ms = rate > 0 ? 1e3 / rate : 0;
	return p;
}

void
cx_pacer_free(struct cx_pacer *p)
{
	free(p);
}

struct cx_dispatch *
cx_dispatch_new(int concurrency)
{
	struct cx_dispatch *d;
	struct timespec ts;
	int i;

	if (concurrency < 1)
		concurrency = 1;
	cx_http_global_init();
	d = cx_xcalloc(1, sizeof(*d));
	if ((d->multi = curl_multi_init()) == NULL)
		cx_die("curl", "cannot create a transfer handle");
	curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(d->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)concurrency);
	curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)concurrency);
	d->concurrency = concurrency;
	d->easies = cx_xcalloc((size_t)concurrency, sizeof(*d->easies));
	for (i = concurrency - 1; i >= 0; i--) {
		d->easies[i].next = d->pool;
		d->pool = &d->easies[i];
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	d->rng = ((uint64_t)ts.tv_sec << 32 ^ (uint64_t)ts.tv_nsec ^
	    (uint64_t)getpid() << 16 ^ (uintptr_t)d) | 1;
	return d;
}

/* Frees what the engine holds for a job that will never finish. */
static void
drop(struct cx_job *j)
{
	cx_http_req_free(&j->req);
	cx_buf_free(&j->rbody);
	free(j->rctype);
	j->rctype = NULL;
	j->easy = NULL;
	j->next = NULL;
}

void
cx_dispatch_free(struct cx_dispatch *d)
{
	struct cx_pacer *p;
	struct cx_job *j;
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->concurrency; i++) {
		struct cx_http_easy *e = &d->easies[i];

		if (e->owner != NULL) {
			curl_multi_remove_handle(d->multi, e->curl);
			drop(e->owner);
		}
		cx_http_easy_free(e);
	}
	while ((j = d->timers) != NULL) {
		d->timers = j->next;
		drop(j);
	}
	while ((p = d->active) != NULL) {
		while ((j = p->head) != NULL) {
			p->head = j->next;
			drop(j);
		}
		d->active = p->anext;
		p->tail = NULL;
		p->anext = NULL;
		p->active = 0;
	}
	while ((j = d->fin) != NULL) {
		d->fin = j->next;
		drop(j);
	}
	curl_multi_cleanup(d->multi);
	free(d->easies);
	free(d);
}

/* Appends j to its pacer's queue, putting the pacer on the active list. */
static void
enqueue(struct cx_dispatch *d, struct cx_job *j)
{
	struct cx_pacer *p = j->pacer != NULL ? j->pacer : &d->unpaced;

	j->next = NULL;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	if (!p->active) {
		p->active = 1;
		p->anext = NULL;
		if (d->active_tail != NULL)
			d->active_tail->anext = p;
		else
			d->active = p;
		d->active_tail = p;
	}
}

void
cx_dispatch_add(struct cx_dispatch *d, struct cx_job *j)
{
	memset(&j->result, 0, sizeof(j->result));
	j->result.retry_after_s = -1;
	j->attempts = 0;
	j->due_ms = 0;
	j->easy = NULL;
	memset(&j->req, 0, sizeof(j->req));
	memset(&j->rbody, 0, sizeof(j->rbody));
	j->rctype = NULL;
	j->rretry = -1;
	d->busy++;
	enqueue(d, j);
}

int
cx_dispatch_busy(const struct cx_dispatch *d)
{
	return d->busy;
}

/* The job is over: done() will be called by flush_done(). */
static void
finish(struct cx_dispatch *d, struct cx_job *j)
{
	drop(j);
	if (d->fin_tail != NULL)
		d->fin_tail->next = j;
	else
		d->fin = j;
	d->fin_tail = j;
}

static int
flush_done(struct cx_dispatch *d)
{
	struct cx_job *j;
	int n = 0;

	while ((j = d->fin) != NULL) {
		d->fin = j->next;
		if (d->fin == NULL)
			d->fin_tail = NULL;
		j->next = NULL;
		d->busy--;
		n++;
		j->done(j);	/* may add jobs, or free j */
	}
	return n;
}

static void
timer_add(struct cx_dispatch *d, struct cx_job *j)
{
	struct cx_job **pp = &d->timers;

	while (*pp != NULL && (*pp)->due_ms <= j->due_ms)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
}

static void
release_timers(struct cx_dispatch *d, double now)
{
	struct cx_job *j;

	while ((j = d->timers) != NULL && (double)j->due_ms <= now) {
		d->timers = j->next;
		enqueue(d, j);
	}
}

static double
ready_at(const struct cx_pacer *p)
{
	return p->next_ms > p->hold_ms ? p->next_ms : p->hold_ms;
}

/* Builds the request for one attempt and puts it on the multi handle;
 * a job whose build() fails goes to d->fin. */
static void
start(struct cx_dispatch *d, struct cx_pacer *p, struct cx_job *j,
    double now)
{
	struct cx_http_easy *e;
	CURLMcode mc;

	cx_result_clear(&j->result);
	cx_http_req_free(&j->req);
	if (j->build(j, &j->req, &j->result) == -1) {
		finish(d, j);
		return;
	}
	e = d->pool;
	d->pool = e->next;
	e->next = NULL;
	e->owner = j;
	j->easy = e;
	cx_http_easy_setup(e, &j->req, j->timeout_ms, j->proxy, &j->rbody,
	    &j->rctype, &j->rretry);
	if ((mc = curl_multi_add_handle(d->multi, e->curl)) != CURLM_OK)
		cx_die("curl", "%s", curl_multi_strerror(mc));
	d->inflight++;
	j->attempts++;
	p->next_ms = now + p->interval_ms;
}

/* Starts what may start: one job per ready pacer in turn, while slots
 * are free. */
static void
start_ready(struct cx_dispatch *d, double now)
{
	struct cx_pacer *p, **pp, *prev;
	struct cx_job *j;
	int started;

	do {
		started = 0;
		prev = NULL;
		for (pp = &d->active; (p = *pp) != NULL; ) {
			if (p->head == NULL) {
				/* Drained: off the active list. */
				*pp = p->anext;
				if (d->active_tail == p)
					d->active_tail = prev;
				p->anext = NULL;
				p->active = 0;
				continue;
			}
			if (d->inflight >= d->concurrency)
				return;
			if (ready_at(p) <= now) {
				j = p->head;
				if ((p->head = j->next) == NULL)
					p->tail = NULL;
				j->next = NULL;
				start(d, p, j, now);
				started = 1;
			}
			prev = p;
			pp = &p->anext;
		}
	} while (started);
}

/* Sets the result of an attempt that got no response. */
static void
judge_transport(struct cx_job *j, enum cx_xfer x,
    const struct cx_http_resp *resp)
{
	struct cx_result *r = &j->result;
	const char *code = resp->transport == CURLE_OPERATION_TIMEDOUT ?
	    CX_E_TIMEOUT : CX_E_NETWORK;

	switch (x) {
	case CX_XFER_BROKEN:
		cx_result_set(r, CX_OUT_FAIL, code, 0, "%s",
		    resp->transport_msg);
		break;
	case CX_XFER_NOT_SENT:
		cx_result_set(r, CX_OUT_RETRY, code, 1, "%s",
		    resp->transport_msg);
		break;
	default:
		cx_result_set(r, j->idempotent ? CX_OUT_RETRY : CX_OUT_UNKNOWN,
		    code, j->idempotent, "%s; the request may have been "
		    "delivered", resp->transport_msg);
		break;
	}
}

/* After an attempt: retry later, or finish. */
static void
settle(struct cx_dispatch *d, struct cx_job *j)
{
	struct cx_result *r = &j->result;
	struct cx_pacer *p = j->pacer;
	long long delay;
	double now;
	char *m;

	cx_http_req_free(&j->req);
	if (r->outcome == CX_OUT_RETRY) {
		now = now_ms();
		if (r->retry_after_s >= 0)
			delay = (r->retry_after_s < 86400L * 365 ?
			    r->retry_after_s : 86400L * 365) * 1000LL;
		else
			delay = backoff_ms(d, j->attempts);
		/* A rate limit holds every job of the pacer, unless the
		 * wait is too long to sleep through (then each job fails
		 * on its own answer, and the run ends, retryable). */
		if (p != NULL && r->retry_after_s <= CX_RETRY_AFTER_MAX &&
		    (r->retry_after_s >= 0 || (r->code != NULL &&
		    strcmp(r->code, CX_E_RATE_LIMITED) == 0)) &&
		    p->hold_ms < now + (double)delay)
			p->hold_ms = now + (double)delay;
		/* A wait longer than CX_RETRY_AFTER_MAX is not slept through:
		 * the job fails, retryable, for a later run to try again. */
		if (j->attempts <= j->max_retries &&
		    r->retry_after_s <= CX_RETRY_AFTER_MAX) {
			j->due_ms = (long long)ceil(now + (double)delay);
			timer_add(d, j);
			return;
		}
		r->outcome = CX_OUT_FAIL;
		m = cx_xasprintf("%s (after %d attempt%s)", r->message != NULL ?
		    r->message : "not accepted", j->attempts,
		    j->attempts == 1 ? "" : "s");
		free(r->message);
		r->message = m;
	}
	finish(d, j);
}

/* Collects finished transfers.  Returns how many. */
static int
collect(struct cx_dispatch *d)
{
	struct cx_http_resp resp;
	struct cx_http_easy *e;
	struct cx_job *j;
	enum cx_xfer x;
	CURLMsg *m;
	CURLcode rc;
	char *priv;
	CURL *c;
	int left, n = 0;

	while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		c = m->easy_handle;
		rc = m->data.result;	/* m dies with remove_handle */
		curl_multi_remove_handle(d->multi, c);
		curl_easy_getinfo(c, CURLINFO_PRIVATE, &priv);
		e = (struct cx_http_easy *)(void *)priv;
		j = e->owner;
		d->inflight--;
		x = cx_http_easy_result(e, rc, &resp);
		if (x == CX_XFER_RESPONSE)
			j->parse(j, &resp, &j->result);
		else
			judge_transport(j, x, &resp);
		e->owner = NULL;
		e->next = d->pool;
		d->pool = e;
		j->easy = NULL;
		settle(d, j);
		n++;
	}
	return n;
}

/* Runs everything that is ready now, done() callbacks included, until
 * nothing more happens at once. */
static void
run(struct cx_dispatch *d)
{
	int i, running, n;

	for (i = 0; i < 16; i++) {
		double now = now_ms();

		release_timers(d, now);
		start_ready(d, now);
		curl_multi_perform(d->multi, &running);
		n = collect(d);
		n += flush_done(d);
		if (n == 0)
			break;
	}
}

/* Milliseconds until a timer (a backoff, a pacer's token or hold) may
 * start something, or -1 when none is pending. */
static long
next_timer(const struct cx_dispatch *d)
{
	const struct cx_pacer *p;
	double now = now_ms(), t = -1;

	if (d->timers != NULL)
		t = (double)d->timers->due_ms;
	/* With every slot taken only a finished transfer can start a job. */
	if (d->inflight < d->concurrency)
		for (p = d->active; p != NULL; p = p->anext)
			if (p->head != NULL && (t < 0 || ready_at(p) < t))
				t = ready_at(p);
	if (t < 0)
		return -1;
	if (t <= now)
		return 0;
	/* At most a day: the caller loops again anyway. */
	return t - now > 86400e3 ? 86400000L : (long)ceil(t - now);
}

static int
readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	/* A closed pipe shows POLLHUP alone, which curl does not pass on:
	 * the caller's read() must see its EOF. */
	return poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int
cx_dispatch_step(struct cx_dispatch *d, int fd, long wait_ms)
{
	struct curl_waitfd wfd = { .fd = fd, .events = CURL_WAIT_POLLIN };
	long w = wait_ms < 0 ? INT_MAX : wait_ms, t, ct = -1;

	run(d);
	if (fd >= 0 && readable(fd))
		return 1;
	t = next_timer(d);
	if (fd < 0 && d->inflight == 0 && t < 0)
		return 0;	/* nothing could happen */
	if (t >= 0 && t < w)
		w = t;
	curl_multi_timeout(d->multi, &ct);
	if (ct >= 0 && ct < w)
		w = ct;
	if (w > INT_MAX)
		w = INT_MAX;
	curl_multi_poll(d->multi, fd >= 0 ? &wfd : NULL, fd >= 0 ? 1 : 0,
	    (int)w, NULL);
	run(d);
	return fd >= 0 && readable(fd);
}

void
cx_result_ok(struct cx_result *r, const char *id, json_t *extra)
{
	r->outcome = CX_OUT_OK;
	r->code = NULL;
	r->retryable = 0;
	free(r->message);
	r->message = NULL;
	free(r->provider_id);
	r->provider_id = id ? cx_xstrdup(id) : NULL;
	json_decref(r->extra);
	r->extra = extra;
}
