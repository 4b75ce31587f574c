/* msg-recv - provider webhooks (replies, delivery receipts) into NDJSON
 *
 * SPDX-License-Identifier: MIT
 * One small HTTP server (libmicrohttpd, one internal polling thread) with
 * one path prefix per [recv NAME] source.  A source checks the request's
 * signature and turns it into records (inbound messages, delivery
 * receipts); this file de-duplicates them by (source, id) and hands them
 * to the writer: a bounded queue drained by a writer thread onto stdout,
 * the request suspended until its lines are written (a full queue
 * answers 503 + Retry-After, so nothing accepted is ever dropped), or
 * with --spool, appended to a file (under flock, reopened when renamed)
 * and fsync'd before the 200.  SIGHUP: reopen the spool.
 * SIGTERM/SIGINT: stop listening, finish the requests in flight, drain
 * the queue, flush, exit 0.  See msg-recv(1) and cxkit(7).
 *
 * Threads: the MHD thread runs every handler, the de-duplication set and
 * the state store handle (so both are single-threaded); the writer thread
 * writes lines and resumes the requests they came from; the main thread
 * waits for a signal and cuts requests over --timeout.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mr.h"

struct opts {
	struct cx_common common;
	const char *listen, *spool, *tls_cert, *tls_key;
	long max_body, max_conn, max_per_ip, rate, queue, timeout,
	    dedup_window;
};

enum {
	OPT_LISTEN = CX_OPT_BASE + 0x40,
	OPT_SPOOL,
	OPT_MAX_BODY,
	OPT_MAX_CONN,
	OPT_MAX_PER_IP,
	OPT_RATE,
	OPT_QUEUE,
	OPT_TIMEOUT,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_DEDUP,
};

static const char doc[] =
    "Receive customers' replies and delivery receipts from provider "
    "webhooks and write them on stdout as NDJSON.\v"
    "Sources are the [recv NAME] sections of the configuration (type "
    "twilio, vonage, aliyun, tencent, kannel, wecom, slack, telegram or "
    "webhook), each under its own path, /NAME by default.  See "
    "msg-recv(1).";

static const struct argp_option options[] = {
	{ "dedup-window", OPT_DEDUP, "SECONDS", 0,
	  "Remember message ids this long in the state store, across "
	  "restarts (default 86400; 0: in memory only)", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Listen on ADDR:PORT (default 127.0.0.1:8080)", 0 },
	{ "max-body", OPT_MAX_BODY, "BYTES", 0,
	  "Refuse larger request bodies with 413 (default 65536)", 0 },
	{ "max-connections", OPT_MAX_CONN, "N", 0,
	  "At most N connections at once (default 256)", 0 },
	{ "max-per-address", OPT_MAX_PER_IP, "N", 0,
	  "At most N connections at once from one address (default 32; "
	  "0: no limit)", 0 },
	{ "queue", OPT_QUEUE, "N", 0,
	  "Hold at most N records for a slow stdout, then answer 503 "
	  "(default 1024)", 0 },
	{ "rate", OPT_RATE, "N", 0,
	  "At most N requests a second from one address, then 429 "
	  "(default 100; 0: no limit)", 0 },
	{ "spool", OPT_SPOOL, "FILE", 0,
	  "Append records to FILE, fsync'd before the answer, instead of "
	  "stdout", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0,
	  "Close a connection idle this long, or whose request is not "
	  "answered this long after it began (default 10)", 0 },
	{ "tls-cert", OPT_TLS_CERT, "FILE", 0,
	  "Serve HTTPS with this PEM certificate (with --tls-key)", 0 },
	{ "tls-key", OPT_TLS_KEY, "FILE", 0,
	  "The PEM private key of --tls-cert", 0 },
	{ 0 }
};

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		break;
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_SPOOL:
		o->spool = arg;
		break;
	case OPT_MAX_BODY:
		o->max_body = cx_opt_long(state, "--max-body", arg, 1,
		    64L << 20);
		break;
	case OPT_MAX_CONN:
		o->max_conn = cx_opt_long(state, "--max-connections", arg, 1,
		    60000);
		break;
	case OPT_MAX_PER_IP:
		o->max_per_ip = cx_opt_long(state, "--max-per-address", arg, 0,
		    60000);
		break;
	case OPT_RATE:
		o->rate = cx_opt_long(state, "--rate", arg, 0, 1000000);
		break;
	case OPT_QUEUE:
		o->queue = cx_opt_long(state, "--queue", arg, 1, 1000000);
		break;
	case OPT_TIMEOUT:
		o->timeout = cx_opt_long(state, "--timeout", arg, 1, 3600);
		break;
	case OPT_TLS_CERT:
		o->tls_cert = arg;
		break;
	case OPT_TLS_KEY:
		o->tls_key = arg;
		break;
	case OPT_DEDUP:
		o->dedup_window = cx_opt_long(state, "--dedup-window", arg, 0,
		    366L * 86400);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if ((o->tls_cert == NULL) != (o->tls_key == NULL))
			argp_error(state, "--tls-cert and --tls-key go "
			    "together");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL, doc, cx_common_children, NULL, NULL
};

static const struct mr_type *const types[] = {
	&mr_twilio, &mr_vonage, &mr_aliyun, &mr_tencent, &mr_kannel,
	&mr_wecom, &mr_slack, &mr_telegram, &mr_webhook, NULL
};

static const char *const common_keys[] = {
	"type", "path", "public_url", "window", "region", NULL
};

/*
 * The seen set: a bounded FIFO of "source:id" keys with a hash index.
 */
struct seen_ent {
	char *key;
	int pending;		/* queued, not yet written */
	struct seen_ent *next;
};

struct seen {
	struct seen_ent **tab, **ring;
	size_t nb, cap, pos, n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
seen_init(struct seen *s, size_t cap)
{
	s->cap = cap;
	s->nb = cap * 2;
	s->tab = cx_xcalloc(s->nb, sizeof *s->tab);
	s->ring = cx_xcalloc(cap, sizeof *s->ring);
}

static struct seen_ent *
seen_find(const struct seen *s, const char *key)
{
	for (struct seen_ent *e = s->tab[hash_str(key) % s->nb]; e;
	    e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
seen_add(struct seen *s, const char *key, int pending)
{
	struct seen_ent *e, **pp;

	if (s->n == s->cap) {
		struct seen_ent *old = s->ring[s->pos];

		for (pp = &s->tab[hash_str(old->key) % s->nb]; *pp != old;
		    pp = &(*pp)->next)
			;
		*pp = old->next;
		free(old->key);
		free(old);
		s->n--;
	}
	e = cx_xmalloc(sizeof *e);
	e->key = cx_xstrdup(key);
	e->pending = pending;
	pp = &s->tab[hash_str(key) % s->nb];
	e->next = *pp;
	*pp = e;
	s->ring[s->pos] = e;
	s->pos = (s->pos + 1) % s->cap;
	s->n++;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->nb; i++)
		for (struct seen_ent *e = s->tab[i], *nx; e; e = nx) {
			nx = e->next;
			free(e->key);
			free(e);
		}
	free(s->tab);
	free(s->ring);
}

/*
 * Per-address request rate: a token bucket per address in a small
 * table (4-way buckets, the stalest entry replaced).
 */
#define RATE_SLOTS 4096
struct rate_ent {
	char ip[48];
	double tokens;
	cx_ms last;
};

static struct rate_ent *rate_tab;

static int
rate_allow(const char *ip, long rate, cx_ms now)
{
	size_t b = (hash_str(ip) % (RATE_SLOTS / 4)) * 4, victim = b;
	struct rate_ent *e = NULL;

	if (rate <= 0)
		return 1;
	for (size_t i = b; i < b + 4; i++) {
		if (strcmp(rate_tab[i].ip, ip) == 0) {
			e = &rate_tab[i];
			break;
		}
		if (rate_tab[i].last < rate_tab[victim].last)
			victim = i;
	}
	if (e == NULL) {
		e = &rate_tab[victim];
		snprintf(e->ip, sizeof e->ip, "%s", ip);
		e->tokens = (double)rate;
		e->last = now;
	}
	e->tokens += (double)(now - e->last) * (double)rate / 1000.0;
	if (e->tokens > (double)rate)
		e->tokens = (double)rate;	/* burst: one second's worth */
	e->last = now;
	if (e->tokens < 1.0)
		return 0;
	e->tokens -= 1.0;
	return 1;
}

/*
 * The queue between the MHD thread and the writer thread.  A request's
 * connection is suspended while its lines are queued; the writer resumes
 * it after writing its last line, telling whether all went out, and only
 * then is the request answered 200 and its ids remembered.
 */
struct conn;

struct qitem {
	char *line;
	struct MHD_Connection *c;	/* on a request's last line */
	struct conn *cn;
};

struct queue {
	struct qitem *item;
	size_t cap, head, n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static struct {
	struct opts *o;
	struct cx_config *cfg;
	struct mr_source *src;
	int nsrc;
	struct cx_state *st;
	struct seen seen;
	struct queue q;
	struct sock *socks;
	pthread_mutex_t socks_mu;
	int spool_fd;
	int tls;
	atomic_int inflight, closing, writer_dead, reopen, held;
	atomic_ulong accepted, rejected, dups, busy;
	cx_ms busy_logged;		/* the last 429/503 logged */
	unsigned long busy_quiet;	/* and those not logged since */
} g;

static void conn_written(struct conn *cn, int ok);

static void *
writer_main(void *arg)
{
	struct queue *q = &g.q;

	for (;;) {
		struct qitem it;

		pthread_mutex_lock(&q->mu);
		while (q->n == 0 && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->n == 0) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		it = q->item[q->head];
		pthread_mutex_unlock(&q->mu);
		/* The slot is freed only once written: a full queue means
		 * the consumer is slow, whatever the writer holds. */
		if (!g.writer_dead && (fputs(it.line, stdout) == EOF ||
		    fflush(stdout) == EOF)) {
			if (errno != EPIPE)
				cx_err(NULL, "stdout: %s", strerror(errno));
			g.writer_dead = 1;
			kill(getpid(), SIGTERM);
		}
		free(it.line);
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		pthread_mutex_unlock(&q->mu);
		if (it.c) {
			conn_written(it.cn, !g.writer_dead);
			MHD_resume_connection(it.c);
		}
	}
	return NULL;
}

/* Appends the n lines of connection c's request to the queue, all or
 * none, and suspends c until the writer has written them: 0, or -1 when
 * full (or shutting down). */
static int
queue_push(char **lines, size_t n, struct MHD_Connection *c,
    struct conn *cn)
{
	struct queue *q = &g.q;

	pthread_mutex_lock(&q->mu);
	if (q->cap - q->n < n || g.writer_dead || q->done) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	MHD_suspend_connection(c);
	g.held++;
	for (size_t i = 0; i < n; i++)
		q->item[(q->head + q->n + i) % q->cap] = (struct qitem){
		    lines[i], i == n - 1 ? c : NULL, cn };
	q->n += n;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/*
 * The spool.  Each write takes an exclusive flock(2) on it and checks,
 * under the lock, that the descriptor is still the file named --spool;
 * when it is not (renamed or removed), or after SIGHUP, the name is
 * opened afresh.  So a consumer that renames the spool and then takes
 * the lock itself (mv spool batch && flock batch true) knows that no
 * write to batch is under way nor will come: nothing is lost, nothing
 * goes to both files.
 */
static int
spool_open(void)
{
	int fd = open(g.o->spool, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600), dfd;
	char *dir, *slash;

	if (fd < 0)
		return -1;
	/* A file just made is durable once its directory entry is too:
	 * fdatasync of the file alone does not write that. */
	dir = cx_xstrdup(g.o->spool);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	if (g.spool_fd >= 0)
		close(g.spool_fd);
	g.spool_fd = fd;
	return 0;
}

/* Locks the file named --spool, reopening it if need be: its size, or
 * -1 (errno set). */
static off_t
spool_lock(void)
{
	struct stat fs, ps;
	int e;

	for (;;) {
		if (g.reopen) {
			if (spool_open() != 0) {
				/* The old file may be locked still (renamed
				 * under us): a consumer's flock must not wait
				 * for the next request.  Tried again then. */
				e = errno;
				if (g.spool_fd >= 0)
					flock(g.spool_fd, LOCK_UN);
				errno = e;
				return -1;
			}
			g.reopen = 0;
		}
		if (flock(g.spool_fd, LOCK_EX) != 0)
			return -1;
		if (fstat(g.spool_fd, &fs) != 0)
			goto fail;
		if (stat(g.o->spool, &ps) == 0) {
			if (ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino)
				return fs.st_size;
		} else if (errno != ENOENT) {
			goto fail;
		}
		cx_info(g.o->spool, "renamed or removed: reopening");
		g.reopen = 1;	/* closing the old one unlocks it */
	}
fail:
	e = errno;
	flock(g.spool_fd, LOCK_UN);
	errno = e;
	return -1;
}

/* Appends n lines to the spool file and fsyncs it: 0 or -1.  On failure
 * the file is cut back to its size before, so no half line stays. */
static int
spool_write(char **lines, size_t n)
{
	struct cx_buf b = { 0 };
	size_t off = 0;
	off_t size;
	int rc = 0, e;

	for (size_t i = 0; i < n; i++)
		cx_buf_adds(&b, lines[i]);
	if ((size = spool_lock()) < 0) {
		cx_err(g.o->spool, "%s", strerror(errno));
		cx_buf_free(&b);
		return -1;
	}
	while (off < b.len) {
		ssize_t w = write(g.spool_fd, b.s + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fdatasync(g.spool_fd) != 0)
		rc = -1;
	if (rc != 0) {
		e = errno;
		if (off > 0 && ftruncate(g.spool_fd, size) != 0)
			cx_err(g.o->spool, "cannot cut back a partial write: "
			    "%s", strerror(errno));
		cx_err(g.o->spool, "%s", strerror(e));
	}
	flock(g.spool_fd, LOCK_UN);
	cx_buf_free(&b);
	return rc;
}

/*
 * Helpers for the sources (mr.h).
 */
const char *
mr_header(const struct mr_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void
mr_reject(struct mr_resp *rs, int status, const char *fmt, ...)
{
	va_list ap;

	rs->status = status;
	va_start(ap, fmt);
	vsnprintf(rs->reason, sizeof rs->reason, fmt, ap);
	va_end(ap);
}

void
mr_answer(struct mr_resp *rs, const char *ctype, const char *body)
{
	rs->ctype = ctype;
	free(rs->body);
	rs->body = cx_xstrdup(body);
}

char *
mr_phone(const struct mr_source *s, const char *num)
{
	char e164[CX_PHONE_MAX];
	const char *why;

	if (num == NULL)
		return NULL;
	if (cx_phone_e164(num, s->region, e164, &why) == 0)
		return cx_xstrdup(e164);
	return cx_xstrdup(num);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
	if (v && json_is_null(json_object_get(o, k)))
		json_object_set_new(o, k, json_null());	/* not UTF-8 */
}

static void
set_ts(json_t *o, cx_ms t)
{
	char buf[40];

	json_object_set_new(o, "ts", json_string(cx_time_format(t, buf)));
}

json_t *
mr_inbound(const struct mr_source *s, const char *channel, const char *id,
    cx_ms ts, const char *from, const char *to, const char *text)
{
	json_t *r = json_object();
	char *f = strcmp(channel, "sms") == 0 ? mr_phone(s, from) :
	    (from ? cx_xstrdup(from) : NULL);
	char *t = strcmp(channel, "sms") == 0 ? mr_phone(s, to) :
	    (to ? cx_xstrdup(to) : NULL);

	set_str(r, "id", id);
	set_ts(r, ts);
	set_str(r, "channel", channel);
	set_str(r, "provider", s->name);
	set_str(r, "from", f);
	set_str(r, "to", t && *t ? t : NULL);
	set_str(r, "text", text ? text : "");
	free(f);
	free(t);
	return r;
}

json_t *
mr_delivery(const struct mr_source *s, const char *channel,
    const char *provider_id, const char *record_id, const char *status,
    const char *error_code, const char *to, cx_ms ts)
{
	json_t *r = json_object();
	char *id = cx_xasprintf("%s:%s", provider_id ? provider_id :
	    record_id ? record_id : "-", status);
	char *t = strcmp(channel, "sms") == 0 ? mr_phone(s, to) :
	    (to ? cx_xstrdup(to) : NULL);

	set_str(r, "id", id);
	set_ts(r, ts);
	set_str(r, "event", "delivery");
	set_str(r, "channel", channel);
	set_str(r, "provider", s->name);
	set_str(r, "provider_id", provider_id);
	set_str(r, "record_id", record_id && *record_id ? record_id : NULL);
	set_str(r, "status", status);
	set_str(r, "error_code", error_code && *error_code ? error_code :
	    NULL);
	set_str(r, "to", t);
	free(id);
	free(t);
	return r;
}

int
mr_fresh(const struct mr_source *s, const struct mr_req *r, const char *ts,
    struct mr_resp *rs)
{
	char *end;
	long long t;

	if (ts == NULL || *ts == '\0') {
		mr_reject(rs, 401, "no timestamp");
		return -1;
	}
	errno = 0;
	t = strtoll(ts, &end, 10);
	if (errno || *end != '\0') {
		mr_reject(rs, 400, "timestamp is not a number");
		return -1;
	}
	if (s->window > 0 && llabs(t - r->now / 1000) > s->window) {
		mr_reject(rs, 401, "timestamp outside the %lds replay window",
		    s->window);
		return -1;
	}
	return 0;
}

char *
mr_secret(const struct mr_source *s, const char *key, int need, char **err)
{
	if (!need && cx_section_get(s->sec, key) == NULL)
		return NULL;
	return cx_section_secret(s->sec, key, err);
}

int
mr_token_check(const char *token, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct mr_form q;
	const char *got;
	int good;

	if (mr_form_parse(r->query, strlen(r->query), &q) != 0) {
		mr_reject(rs, 400, "bad query string");
		return -1;
	}
	got = mr_form_get(&q, "token");
	good = got != NULL && cx_str_equal_ct(got, token);
	mr_form_free(&q);
	if (!good) {
		mr_reject(rs, 401, got ? "wrong token" : "no token");
		return -1;
	}
	return 0;
}

/*
 * Sources from the configuration.
 */
static void
load_sources(void)
{
	const struct cx_section *sec = NULL, *def;
	const char *region = NULL;
	char *err = NULL;

	def = cx_config_get(g.cfg, "defaults", NULL);
	if (def && cx_section_check(def, cx_config_defaults_keys, &err) != 0)
		cx_die(NULL, "%s", err);
	if (def)
		region = cx_section_get(def, "region");
	while ((sec = cx_config_next(g.cfg, "recv", sec)) != NULL) {
		struct mr_source *s;
		const char *type, *path, *keys[64];
		double w = 300;
		int nk = 0;

		if (sec->name == NULL)
			cx_die(NULL, "%s:%d: [recv] needs a name: [recv NAME]",
			    g.cfg->path, sec->line);
		g.src = cx_xrealloc(g.src, (size_t)(g.nsrc + 1) *
		    sizeof *g.src);
		s = &g.src[g.nsrc++];
		memset(s, 0, sizeof *s);
		s->name = sec->name;
		s->sec = sec;
		if ((type = cx_section_need(sec, "type", &err)) == NULL)
			cx_die(NULL, "%s", err);
		for (int i = 0; types[i]; i++)
			if (strcmp(types[i]->name, type) == 0)
				s->type = types[i];
		if (s->type == NULL)
			cx_die(NULL, "%s", cx_section_err(sec, "type",
			    "unknown type '%s' (twilio, vonage, aliyun, "
			    "tencent, kannel, wecom, slack, telegram, "
			    "webhook)", type));
		for (int i = 0; common_keys[i]; i++)
			keys[nk++] = common_keys[i];
		for (int i = 0; s->type->keys[i] && nk < 63; i++)
			keys[nk++] = s->type->keys[i];
		keys[nk] = NULL;
		if (cx_section_check(sec, keys, &err) != 0)
			cx_die(NULL, "%s", err);
		path = cx_section_get(sec, "path");
		if (path == NULL)
			s->path = cx_xasprintf("/%s", s->name);
		else if (path[0] != '/' || strpbrk(path, "?# ") != NULL)
			cx_die(NULL, "%s", cx_section_err(sec, "path",
			    "'%s' is not an absolute path", path));
		else
			s->path = cx_xstrndup(path, strlen(path) -
			    (strlen(path) > 1 && path[strlen(path) - 1] == '/'));
		for (int i = 0; i < g.nsrc - 1; i++)
			if (strcmp(g.src[i].path, s->path) == 0)
				cx_die(NULL, "%s", cx_section_err(sec, "path",
				    "'%s' is also the path of [recv %s]",
				    s->path, g.src[i].name));
		s->public_url = cx_section_get(sec, "public_url");
		if (s->public_url && strncmp(s->public_url, "http://", 7) &&
		    strncmp(s->public_url, "https://", 8))
			cx_die(NULL, "%s", cx_section_err(sec, "public_url",
			    "not an http:// or https:// URL"));
		if (cx_section_double(sec, "window", 0, 86400 * 7, &w,
		    &err) != 0)
			cx_die(NULL, "%s", err);
		s->window = (long)w;
		s->region = cx_section_get(sec, "region");
		if (s->region == NULL)
			s->region = region;
		if (s->region && cx_phone_cc(s->region) == 0)
			cx_die(NULL, "%s", cx_section_err(sec, "region",
			    "'%s' is not a known country code", s->region));
		if (s->type->init(s, &err) != 0)
			cx_die(NULL, "%s", err);
	}
}

/* The source whose path is a prefix of path (at a '/' boundary). */
static struct mr_source *
find_source(const char *path, const char **sub)
{
	struct mr_source *best = NULL;
	size_t bl = 0;

	for (int i = 0; i < g.nsrc; i++) {
		size_t n = strlen(g.src[i].path);

		if (strcmp(g.src[i].path, "/") == 0)
			n = 0;
		if (strncmp(path, g.src[i].path, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/') &&
		    (best == NULL || n > bl)) {
			best = &g.src[i];
			bl = n;
		}
	}
	if (best)
		*sub = path + bl;
	return best;
}

/*
 * The whole-request deadline.  libmicrohttpd's connection timeout is
 * reset by every byte, so a client that sends one byte a second would
 * hold its connection for ever.  Each connection is tracked from its
 * opening and from the end of each answer; the main thread shuts down
 * (shutdown(2): libmicrohttpd then sees the end and closes it) one whose
 * request has taken over --timeout.  libmicrohttpd calls the CLOSED
 * notification before it closes the descriptor, and the list is locked,
 * so the main thread never touches a descriptor that is gone.
 */
struct sock {
	MHD_socket fd;
	cx_ms start;		/* of the request under way */
	int cut;
	char ip[48];		/* masked, for the log */
	struct sock *prev, *next;
};

static void client_ip(struct MHD_Connection *c, char out[48]);
static void mask_ip(const char *ip, char out[48]);

static void
sock_notify(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct sock *sk = *ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		char ip[48];

		if (ci == NULL)
			return;
		sk = cx_xcalloc(1, sizeof *sk);
		sk->fd = ci->connect_fd;
		sk->start = cx_mono();
		client_ip(c, ip);
		mask_ip(ip, sk->ip);
		pthread_mutex_lock(&g.socks_mu);
		sk->next = g.socks;
		if (g.socks)
			g.socks->prev = sk;
		g.socks = sk;
		pthread_mutex_unlock(&g.socks_mu);
		*ctx = sk;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && sk != NULL) {
		pthread_mutex_lock(&g.socks_mu);
		if (sk->prev)
			sk->prev->next = sk->next;
		else
			g.socks = sk->next;
		if (sk->next)
			sk->next->prev = sk->prev;
		pthread_mutex_unlock(&g.socks_mu);
		free(sk);
		*ctx = NULL;
	}
}

/* A request was answered: the next one's clock starts now. */
static void
sock_restart(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct sock *sk = ci ? ci->socket_context : NULL;

	if (sk == NULL)
		return;
	pthread_mutex_lock(&g.socks_mu);
	sk->start = cx_mono();
	pthread_mutex_unlock(&g.socks_mu);
}

/* Cuts the connections whose request has taken over limit ms. */
static void
sock_sweep(cx_ms limit)
{
	cx_ms now = cx_mono();

	pthread_mutex_lock(&g.socks_mu);
	for (struct sock *sk = g.socks; sk; sk = sk->next)
		if (!sk->cut && now - sk->start > limit) {
			sk->cut = 1;
			shutdown(sk->fd, SHUT_RDWR);
			cx_warn(sk->ip, "request not done in %llds: "
			    "connection closed", (long long)limit / 1000);
			g.rejected++;
		}
	pthread_mutex_unlock(&g.socks_mu);
}

/*
 * HTTP.
 */
struct conn {
	char *uri;
	struct cx_buf body;
	int started, too_big;
	char ip[48];
	/* While held (suspended for the writer): the answer to give, and
	 * the ids to remember once written. */
	int held, written;
	const char *who, *ctype;
	int status;
	char *answer;
	char **keys;
	size_t nkeys;
};

static void settle(struct conn *cn);

/* The writer thread: cn's lines are written (ok 1) or not (stdout
 * closed).  The resume that follows orders this before the MHD thread
 * reads it. */
static void
conn_written(struct conn *cn, int ok)
{
	cn->written = ok;
}

static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *cn = cx_xcalloc(1, sizeof *cn);

	cn->uri = cx_xstrdup(uri);
	g.inflight++;
	return cn;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	if (cn == NULL)
		return;
	if (cn->held)
		settle(cn);	/* closed before it could be answered */
	free(cn->answer);
	free(cn->uri);
	cx_buf_free(&cn->body);
	free(cn);
	*con_cls = NULL;
	g.inflight--;
	sock_restart(c);
}

static enum MHD_Result
respond(struct MHD_Connection *c, int status, const char *ctype,
    const char *body, int retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (body == NULL)
		body = "";
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype ? ctype :
	    "text/plain; charset=utf-8");
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", "1");
	if (g.closing)
		MHD_add_response_header(r, "Connection", "close");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "bad request\n";
	case 401: return "unauthorized\n";
	case 403: return "forbidden\n";
	case 404: return "not found\n";
	case 405: return "method not allowed\n";
	case 413: return "payload too large\n";
	case 415: return "unsupported media type\n";
	case 429: return "too many requests\n";
	case 500: return "internal error\n";
	case 503: return "busy, retry\n";
	default: return "";
	}
}

static enum MHD_Result
refuse(struct MHD_Connection *c, struct conn *cn, const char *method,
    const char *who, int status, const char *reason)
{
	char ctx[128], ip[48];
	const char *q = strchr(cn->uri, '?');

	/* The path only: a query string may carry a token. */
	mask_ip(cn->ip, ip);
	snprintf(ctx, sizeof ctx, "%s %s %.*s", ip, method,
	    (int)(q ? q - cn->uri : (int)strlen(cn->uri)), cn->uri);
	if (status == 503 || status == 429) {
		/* They come in floods (a slow consumer, a client over its
		 * rate): one a second is logged, with a count of the rest. */
		cx_ms now = cx_mono();

		if (g.busy_logged != 0 && now - g.busy_logged < 1000) {
			g.busy_quiet++;
			cx_info(ctx, "%s%s%d: %s", who ? who : "", who ? ": " :
			    "", status, reason);
		} else {
			if (g.busy_quiet)
				cx_warn(NULL, "%lu more 429/503 answers (-v "
				    "logs each)", g.busy_quiet);
			cx_warn(ctx, "%s%s%d: %s", who ? who : "", who ?
			    ": " : "", status, reason);
			g.busy_logged = now;
			g.busy_quiet = 0;
		}
	} else {
		cx_warn(ctx, "%s%s%d: %s", who ? who : "", who ? ": " : "",
		    status, reason);
	}
	g.rejected++;
	return respond(c, status, NULL, status_text(status), status == 503 ||
	    status == 429);
}

static void
client_ip(struct MHD_Connection *c, char out[48])
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	strcpy(out, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, 48);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 48);
}

/* ip with its last octet (IPv4) or its last 64 bits (IPv6) masked, for
 * the log: "192.0.2.x", "2001:db8:0:1::x". */
static void
mask_ip(const char *ip, char out[48])
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		snprintf(out, 48, "%u.%u.%u.x", a[0], a[1], a[2]);
	else if (inet_pton(AF_INET6, ip, a) == 1)
		snprintf(out, 48, "%x:%x:%x:%x::x", a[0] << 8 | a[1],
		    a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7]);
	else
		snprintf(out, 48, "?");
}

/* The URL as the provider requested it: public_url + the rest of the
 * path, else scheme://Host/path; with the raw query string. */
static char *
public_url(const struct mr_source *s, struct MHD_Connection *c,
    const char *uri, const char *sub)
{
	const char *host;

	if (s->public_url) {
		size_t n = strlen(s->public_url);

		n -= n > 0 && s->public_url[n - 1] == '/' && *sub == '/';
		return cx_xasprintf("%.*s%s", (int)n, s->public_url, sub);
	}
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	return cx_xasprintf("%s://%s%s", g.tls ? "https" : "http",
	    host ? host : "localhost", uri);
}

/* An id is written: remember it, in memory and in the state store. */
static void
remember(const char *key)
{
	struct seen_ent *e = seen_find(&g.seen, key);

	if (e)
		e->pending = 0;
	else
		seen_add(&g.seen, key, 0);
	if (g.st && g.o->dedup_window > 0 && !g.o->common.dry_run)
		cx_kv_put(g.st, "msg-recv.seen", key, "1",
		    (int64_t)time(NULL) + g.o->dedup_window);
	g.accepted++;
}

/* A held request is over: its ids are remembered when its lines were
 * written.  When they were not (stdout closed, msg-recv is stopping)
 * they stay pending, so a retry is answered 503 until the exit. */
static void
settle(struct conn *cn)
{
	for (size_t i = 0; i < cn->nkeys; i++) {
		if (cn->written)
			remember(cn->keys[i]);
		free(cn->keys[i]);
	}
	free(cn->keys);
	cn->keys = NULL;
	cn->nkeys = 0;
	cn->held = 0;
	g.held--;
}

/* De-duplicates and writes the records of one request.  Returns 0 (answer
 * now), 1 (held: c is suspended until the writer has written the lines),
 * or the HTTP status to answer instead (503: queue full, or a copy still
 * being written; 500: spool) with *why. */
static int
deliver(struct MHD_Connection *c, struct conn *cn, struct mr_source *s,
    json_t *recs, unsigned long *ndup, const char **why)
{
	size_t n = json_array_size(recs), nl = 0;
	char **lines = cx_xcalloc(n + 1, sizeof *lines);
	char **keys = cx_xcalloc(n + 1, sizeof *keys);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *r = json_array_get(recs, i);
		const char *id = json_string_value(json_object_get(r, "id"));
		char *key = cx_xasprintf("%s:%s", s->name, id ? id : "");
		struct seen_ent *e = seen_find(&g.seen, key);
		char *v;
		int dup = e != NULL;

		if (e && e->pending) {
			/* The provider retried before the first copy was
			 * written: it may yet fail. */
			rc = 503;
			*why = "a copy is still being written";
			free(key);
			break;
		}
		for (size_t k = 0; !dup && k < nl; k++)
			dup = strcmp(keys[k], key) == 0;
		if (!dup && g.st && g.o->dedup_window > 0 &&
		    (v = cx_kv_get(g.st, "msg-recv.seen", key)) != NULL) {
			free(v);
			seen_add(&g.seen, key, 0);
			dup = 1;
		}
		if (dup) {
			(*ndup)++;
			free(key);
			continue;
		}
		v = json_dumps(r, JSON_COMPACT);
		lines[nl] = cx_xasprintf("%s\n", v);
		free(v);
		keys[nl++] = key;
	}
	if (rc == 0 && nl > 0) {
		if (g.spool_fd >= 0) {
			if (spool_write(lines, nl) != 0) {
				rc = 500;
				*why = "cannot write the spool";
			}
			for (size_t i = 0; i < nl; i++)
				free(lines[i]);
		} else if (queue_push(lines, nl, c, cn) != 0) {
			rc = 503;
			*why = "queue full (slow consumer)";
			for (size_t i = 0; i < nl; i++)
				free(lines[i]);
		} else {
			for (size_t i = 0; i < nl; i++)
				seen_add(&g.seen, keys[i], 1);
			cn->keys = keys;
			cn->nkeys = nl;
			cn->held = 1;
			free(lines);
			return 1;
		}
	}
	for (size_t i = 0; i < nl; i++) {
		if (rc == 0)
			remember(keys[i]);
		free(keys[i]);
	}
	free(lines);
	free(keys);
	return rc;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct conn *cn = *con_cls;
	struct mr_source *s;
	struct mr_req r = { 0 };
	struct mr_resp rs = { .status = 200 };
	const char *sub = "", *q;
	char *path, *pub;
	unsigned long ndup = 0;
	enum MHD_Result ret;
	const char *why = NULL;
	int rc;

	if (cn->held) {
		/* Resumed by the writer. */
		int ok = cn->written;

		settle(cn);
		if (!ok)
			return refuse(c, cn, method, cn->who, 503,
			    "standard output closed");
		return respond(c, cn->status, cn->ctype, cn->answer, 0);
	}
	if (!cn->started) {
		const char *cl;

		cn->started = 1;
		client_ip(c, cn->ip);
		if (!rate_allow(cn->ip, g.o->rate, cx_mono()))
			return refuse(c, cn, method, NULL, 429,
			    "over the per-address rate");
		if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
			return refuse(c, cn, method, NULL, 405,
			    "method not allowed");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > (unsigned long long)
		    g.o->max_body)
			return refuse(c, cn, method, NULL, 413,
			    "body over --max-body");
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (cn->body.len + *upload_size > (size_t)g.o->max_body)
			cn->too_big = 1;
		else
			cx_buf_add(&cn->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (cn->too_big)
		return refuse(c, cn, method, NULL, 413, "body over --max-body");
	if (cn->body.s == NULL)
		cx_buf_adds(&cn->body, "");
	q = strchr(cn->uri, '?');
	path = cx_xstrndup(cn->uri, q ? (size_t)(q - cn->uri) :
	    strlen(cn->uri));
	s = find_source(path, &sub);
	if (s == NULL) {
		free(path);
		return refuse(c, cn, method, NULL, 404, "no source here");
	}
	pub = public_url(s, c, cn->uri, cn->uri + (sub - path));
	r.method = method;
	r.path = path;
	r.sub = sub;
	r.query = q ? q + 1 : "";
	r.url = pub;
	r.ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type");
	r.body = cn->body.s;
	r.blen = cn->body.len;
	r.ip = cn->ip;
	r.now = cx_now();
	r.conn = c;
	rs.recs = json_array();
	s->type->handle(s, &r, &rs);
	if (rs.status >= 300) {
		ret = refuse(c, cn, method, s->name, rs.status, rs.reason);
	} else if ((rc = deliver(c, cn, s, rs.recs, &ndup, &why)) > 1) {
		ret = refuse(c, cn, method, s->name, rc, why);
		if (rc == 503)
			g.busy++;
	} else {
		if (ndup) {
			g.dups += ndup;
			cx_info(s->name, "%lu duplicate%s not written", ndup,
			    ndup > 1 ? "s" : "");
		}
		if (rc == 1) {
			/* Answered once written (see writer_main). */
			cn->who = s->name;
			cn->status = rs.status;
			cn->ctype = rs.ctype;
			cn->answer = rs.body;
			rs.body = NULL;
			ret = MHD_YES;
		} else {
			ret = respond(c, rs.status, rs.ctype, rs.body, 0);
		}
	}
	json_decref(rs.recs);
	free(rs.body);
	free(pub);
	free(path);
	return ret;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof buf, fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '.'))
		buf[--n] = '\0';
	cx_info("microhttpd", "%s", buf);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct cx_buf b = { 0 };
	char buf[8192];
	size_t n;

	if (f == NULL)
		cx_die(path, "%s", strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		cx_buf_add(&b, buf, n);
	fclose(f);
	if (b.s == NULL)
		cx_die(path, "empty file");
	return cx_buf_take(&b);
}

/* Parses ADDR:PORT ("127.0.0.1:8080", "[::1]:8080", ":8080" for every
 * address) into ss. */
static void
parse_listen(const char *spec, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	    .ai_socktype = SOCK_STREAM }, *ai;
	size_t hl;
	int e;

	if (colon == NULL || colon[1] == '\0' ||
	    colon[strspn(colon + 1, "0123456789") + 1] != '\0' ||
	    strlen(colon + 1) > 5 || atol(colon + 1) > 65535)
		cx_die(NULL, "--listen: '%s' is not ADDR:PORT (a port from 0 "
		    "to 65535)", spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof host)
		cx_die(NULL, "--listen: address too long");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	e = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai);
	if (e != 0)
		cx_die(NULL, "--listen: %s: %s", spec, gai_strerror(e));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .listen = "127.0.0.1:8080", .max_body = 65536,
	    .max_conn = 256, .max_per_ip = 32, .rate = 100, .queue = 1024, .timeout = 10,
	    .dedup_window = 86400 };
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	char *err = NULL, *cert = NULL, *key = NULL;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	pthread_t writer;
	sigset_t sigs;
	cx_ms t0;
	int sig;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	g.o = &o;
	g.spool_fd = -1;
	g.cfg = cx_config_load(o.common.config, &err);
	if (g.cfg == NULL)
		cx_die(NULL, "%s", err);
	load_sources();
	if (g.nsrc == 0)
		cx_die(NULL, "no [recv NAME] section in %s: nothing to "
		    "receive (see msg-recv(1))", g.cfg->path ? g.cfg->path :
		    "the configuration (none found)");
	parse_listen(o.listen, &ss);
	if (o.dedup_window > 0) {
		g.st = cx_state_open(o.common.state, &err);
		if (g.st == NULL)
			cx_die(NULL, "%s", err);
	}
	if (o.spool && spool_open() != 0)
		cx_die(o.spool, "%s", strerror(errno));
	if (o.tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			cx_die(NULL, "--tls-cert: this libmicrohttpd has no "
			    "TLS");
		cert = read_file(o.tls_cert);
		key = read_file(o.tls_key);
		flags |= MHD_USE_TLS;
		g.tls = 1;
	}
	seen_init(&g.seen, 65536);
	rate_tab = cx_xcalloc(RATE_SLOTS, sizeof *rate_tab);
	g.q.cap = (size_t)o.queue;
	g.q.item = cx_xcalloc(g.q.cap, sizeof *g.q.item);
	pthread_mutex_init(&g.q.mu, NULL);
	pthread_cond_init(&g.q.cv, NULL);
	pthread_mutex_init(&g.socks_mu, NULL);

	/* Every thread inherits the blocked signals; the main thread
	 * takes them with sigtimedwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (g.spool_fd < 0 && pthread_create(&writer, NULL, writer_main,
	    NULL) != 0)
		cx_die(NULL, "cannot start the writer thread");

	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, sock_notify, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o.max_conn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o.max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o.timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_END);
	if (d == NULL)
		cx_die(NULL, "cannot listen on %s: %s", o.listen,
		    strerror(errno));
	{
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d,
		    MHD_DAEMON_INFO_BIND_PORT);

		cx_notice(NULL, "listening on %s (port %u), %d source%s%s",
		    o.listen, di ? di->port : 0, g.nsrc, g.nsrc > 1 ? "s" :
		    "", o.spool ? ", spooling" : "");
	}
	for (;;) {
		struct timespec ts = { 0, 200 * 1000000L };

		sig = sigtimedwait(&sigs, NULL, &ts);
		sock_sweep(o.timeout * 1000L);
		if (sig == SIGHUP) {
			/* The MHD thread reopens it before its next write. */
			if (o.spool)
				g.reopen = 1;
			cx_info(NULL, "SIGHUP: %s", o.spool ? "reopening the "
			    "spool" : "nothing to reopen");
			continue;
		}
		if (sig > 0 || g.writer_dead)
			break;
	}

	/* Shutdown: stop listening, let the requests in flight finish
	 * (answered with Connection: close), then stop MHD. */
	g.closing = 1;
	{
		MHD_socket ls = MHD_quiesce_daemon(d);

		if (ls != MHD_INVALID_SOCKET)
			close(ls);
	}
	t0 = cx_mono();
	while (g.inflight > 0 && cx_mono() - t0 < o.timeout * 1000L) {
		struct timespec ts = { 0, 20 * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (g.spool_fd < 0) {
		/* The writer drains the queue and resumes every held
		 * request; those are answered before MHD stops (it must
		 * not stop with a connection suspended). */
		pthread_mutex_lock(&g.q.mu);
		g.q.done = 1;
		pthread_cond_signal(&g.q.cv);
		pthread_mutex_unlock(&g.q.mu);
		pthread_join(writer, NULL);
		t0 = cx_mono();
		while (g.held > 0 && cx_mono() - t0 < o.timeout * 1000L) {
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	MHD_stop_daemon(d);
	if (g.spool_fd >= 0 && close(g.spool_fd) != 0) {
		cx_err(o.spool, "%s", strerror(errno));
		cx_status_fatal();
	}
	cx_info(NULL, "%lu records written, %lu duplicates, %lu requests "
	    "refused (%lu busy)", (unsigned long)g.accepted,
	    (unsigned long)g.dups, (unsigned long)g.rejected,
	    (unsigned long)g.busy);
	if (g.writer_dead) {
		/* The writer reported it (quietly for EPIPE): cx_finish()
		 * must not report it again with a stale errno. */
		clearerr(stdout);
		cx_status_fatal();
	}
	for (int i = 0; i < g.nsrc; i++) {
		if (g.src[i].type->free)
			g.src[i].type->free(&g.src[i]);
		free(g.src[i].path);
	}
	free(g.src);
	free(g.q.item);
	free(rate_tab);
	seen_free(&g.seen);
	free(cert);
	free(key);
	cx_state_close(g.st);
	cx_config_free(g.cfg);
	return cx_finish();
}
