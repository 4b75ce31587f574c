/* sendq.c - the loop every sender shares: read, prepare, send, write in order
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cxtime.h"
#include "log.h"
#include "sendq.h"
#include "xwrap.h"

enum {
	OPT_VIA = CX_OPT_BASE + 0x20,
	OPT_RATE,
	OPT_CONCURRENCY,
	OPT_RETRIES,
	OPT_TIMEOUT,
	OPT_ALLOW_SENSITIVE,
	OPT_RESEND_UNKNOWN,
};

static const struct argp_option send_options[] = {
	{ "allow-sensitive", OPT_ALLOW_SENSITIVE, NULL, 0,
	  "Send texts that contain a payment card or resident ID number "
	  "(to targets that reach customers)", 0 },
	{ "concurrency", OPT_CONCURRENCY, "N", 0,
	  "Requests in flight at once (default 8)", 0 },
	{ "rate", OPT_RATE, "N", 0,
	  "At most N messages a second per provider (default: the "
	  "provider's 'rate', else the platform's pace or none)", 0 },
	{ "resend-unknown", OPT_RESEND_UNKNOWN, NULL, 0,
	  "Send again ids an earlier run left with an unknown outcome", 0 },
	{ "retries", OPT_RETRIES, "N", 0,
	  "Retries of a request that certainly did not get through "
	  "(default 3)", 0 },
	{ "template", 't', "NAME", 0,
	  "Render the text from template NAME for records with no "
	  "'template'", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0,
	  "Time limit of one request (default: the provider's 'timeout', "
	  "else 30)", 0 },
	{ "via", OPT_VIA, "NAME", 0,
	  "Send through the provider configured as [provider NAME]", 0 },
	{ 0 }
};

static error_t
send_parse(int key, char *arg, struct argp_state *state)
{
	struct cx_send_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		o->concurrency = 8;
		o->retries = 3;
		break;
	case 't':
		o->tmpl = arg;
		break;
	case OPT_VIA:
		o->via = arg;
		break;
	case OPT_RATE:
		o->rate = cx_opt_double(state, "--rate", arg, 0.001, 1e6);
		break;
	case OPT_CONCURRENCY:
		o->concurrency = cx_opt_long(state, "--concurrency", arg, 1,
		    1024);
		break;
	case OPT_RETRIES:
		o->retries = cx_opt_long(state, "--retries", arg, 0, 100);
		break;
	case OPT_TIMEOUT:
		o->timeout_s = cx_opt_double(state, "--timeout", arg, 0.001,
		    3600);
		break;
	case OPT_ALLOW_SENSITIVE:
		o->allow_sensitive = 1;
		break;
	case OPT_RESEND_UNKNOWN:
		o->resend_unknown = 1;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cx_send_argp = {
	send_options, send_parse, NULL, NULL, NULL, NULL, NULL
};

const struct argp_child cx_send_children[] = {
	{ &cx_send_argp, 0, "Sending options:", 5 },
	{ &cx_common_argp, 0, "Common options:", 10 },
	{ 0 }
};

static const char *
cfg_path(const struct cx_config *cfg)
{
	return cfg->path ? cfg->path : "config";
}

const struct cx_section *
cx_send_next(const struct cx_config *cfg, const char *chan,
    const struct cx_section *prev)
{
	const struct cx_section *s = prev;

	while ((s = cx_config_next(cfg, "provider", s)) != NULL) {
		const char *type = cx_section_get(s, "type");

		if (s->name == NULL)
			cx_die(NULL, "%s:%d: [provider] needs a name, as in "
			    "[provider twilio-main]", cfg_path(cfg), s->line);
		if (type == NULL)
			cx_die(NULL, "%s:%d: [provider %s] needs 'type'",
			    cfg_path(cfg), s->line, s->name);
		if (cx_provider_channel(type) == NULL)
			cx_die(NULL, "%s:%d: [provider %s]: unknown type '%s'",
			    cfg_path(cfg), cx_section_line(s, "type"),
			    s->name, type);
		if (strcmp(cx_provider_channel(type), chan) == 0)
			return s;
	}
	return NULL;
}

void
cx_send_conf(const struct cx_section *s, const char *const *common,
    const char *const *own, const struct cx_send_opts *so,
    struct cx_send_conf *c)
{
	const char *allowed[64];
	double timeout = 30;
	char *err = NULL;
	int n = 0;

	for (int i = 0; common[i] && n < 62; i++)
		allowed[n++] = common[i];
	for (int i = 0; own && own[i] && n < 62; i++)
		allowed[n++] = own[i];
	allowed[n] = NULL;
	memset(c, 0, sizeof *c);
	c->rate = -1;
	if (cx_section_check(s, allowed, &err) != 0 ||
	    cx_section_double(s, "rate", 0, 1e6, &c->rate, &err) != 0 ||
	    cx_section_double(s, "timeout", 0.001, 3600, &timeout,
	    &err) != 0)
		cx_die(NULL, "%s", err);
	c->name = s->name;
	c->type = cx_section_get(s, "type");
	c->base_url = cx_section_get(s, "base_url");
	c->from = cx_section_get(s, "from");
	c->to = cx_section_get(s, "to");
	c->proxy = cx_section_get(s, "proxy");
	if (so && so->rate > 0)
		c->rate = so->rate;
	if (so && so->timeout_s > 0)
		timeout = so->timeout_s;
	c->timeout_ms = (long)(timeout * 1000);
}

void
cx_send_check_via(const struct cx_config *cfg, const char *chan,
    const char *via)
{
	const struct cx_section *s = NULL;

	if (via == NULL || strcmp(via, "outbox") == 0)
		return;
	while ((s = cx_send_next(cfg, chan, s)) != NULL)
		if (strcmp(s->name, via) == 0)
			return;
	cx_die(NULL, "--via: no [provider %s] for %s in %s", via,
	    strcmp(chan, "sms") == 0 ? "SMS" : "IM", cfg_path(cfg));
}

struct cx_jrow {
	char *key;
	const char *status;	/* NULL until cx_sendq_journal_end() */
	char *provider_id;
	int open;		/* begun here, not yet made final */
};

struct outbox {
	struct outbox *next;
	char *path;
	FILE *f;
};

struct cx_sendq {
	const struct cx_sendq_ops *ops;
	void *arg;
	struct cx_state *st;
	struct cx_dispatch *d;
	struct cx_ndjson_in *in;
	struct cx_sendq_item *head, *tail;
	int nitems, window, queue, eof;
	struct outbox *outboxes;
	int outbox_told;
	unsigned long n_sent, n_failed, n_other;
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	if (stopping)
		_exit(128 + sig);
	stopping = 1;
}

struct cx_sendq *
cx_sendq_new(const struct cx_sendq_ops *ops, void *arg, struct cx_state *st,
    struct cx_dispatch *d, int concurrency)
{
	struct cx_sendq *q = cx_xcalloc(1, sizeof *q);

	q->ops = ops;
	q->arg = arg;
	q->st = st;
	q->d = d;
	/* Records waiting to be written in order: enough to keep every
	 * connection busy while a slow one holds the head. */
	q->window = concurrency * 4 + 16;
	/* Jobs waiting in the engine: a crash leaves at most these (and
	 * those in flight) pending, never sent twice. */
	q->queue = concurrency * 2;
	return q;
}

const char *
cx_sendq_where(const struct cx_sendq_item *it)
{
	static char where[48];

	snprintf(where, sizeof where, "<stdin>:%lu", it->lineno);
	return where;
}

void
cx_sendq_finish(struct cx_sendq_item *it, const char *status,
    const char *code, int retryable, const char *fmt, ...)
{
	int bad = strcmp(status, "failed") == 0 ||
	    strcmp(status, "unknown") == 0;

	cx_rec_set(it->res, "status", json_string(status));
	if (code) {
		char *msg = NULL;
		va_list ap;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		json_object_set_new(it->res, "error", cx_rec_error(code,
		    msg ? msg : code, retryable));
		cx_log(bad ? CX_LOG_WARN : CX_LOG_INFO, cx_sendq_where(it),
		    "%s: %s", it->id, msg ? msg : code);
		free(msg);
	}
	if (bad) {
		cx_status_fail();
		it->q->n_failed++;
	} else if (strcmp(status, "sent") == 0 ||
	    strcmp(status, "outbox") == 0) {
		it->q->n_sent++;
	} else {
		it->q->n_other++;
	}
	it->done = 1;
}

int
cx_sendq_journal_begin(struct cx_sendq_item *it, const char *key,
    const char *to, const char *provider, int resend_unknown, char **prev)
{
	int j = cx_journal_begin(it->q->st, it->q->ops->chan, key, to,
	    provider, resend_unknown, prev);

	if (j == CX_J_NEW) {
		struct cx_jrow *r;

		it->rows = cx_xrealloc(it->rows,
		    (size_t)(it->nrows + 1) * sizeof *it->rows);
		r = &it->rows[it->nrows++];
		memset(r, 0, sizeof *r);
		r->key = cx_xstrdup(key);
		r->open = 1;
	}
	return j;
}

void
cx_sendq_journal_end(struct cx_sendq_item *it, const char *key,
    const char *status, const char *provider_id)
{
	for (int i = 0; i < it->nrows; i++) {
		struct cx_jrow *r = &it->rows[i];

		if (r->open && strcmp(r->key, key) == 0) {
			r->status = status;
			free(r->provider_id);
			r->provider_id = provider_id ?
			    cx_xstrdup(provider_id) : NULL;
			return;
		}
	}
}

int
cx_sendq_duplicate(const struct cx_sendq_item *it)
{
	for (const struct cx_sendq_item *x = it->q->head; x; x = x->next)
		if (x != it && strcmp(x->id, it->id) == 0)
			return 1;
	return 0;
}

int
cx_sendq_outbox(struct cx_sendq *q, const char *path, int tell,
    const json_t *line)
{
	struct outbox *ob;
	char *want, *s;
	int r;

	if (path) {
		want = cx_xstrdup(path);
	} else {
		char *dir = cx_xasprintf("%s/outbox", cx_state_dir(q->st));

		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			cx_die(dir, "%s", strerror(errno));
		want = cx_xasprintf("%s/%s.ndjson", dir, q->ops->chan);
		free(dir);
	}
	/* One open file a path: several outbox sections may name several
	 * files. */
	for (ob = q->outboxes; ob && strcmp(ob->path, want) != 0;
	    ob = ob->next)
		continue;
	if (ob == NULL) {
		ob = cx_xcalloc(1, sizeof *ob);
		ob->path = want;
		ob->f = fopen(want, "a");
		if (ob->f == NULL)
			cx_die(want, "%s", strerror(errno));
		ob->next = q->outboxes;
		q->outboxes = ob;
	} else {
		free(want);
	}
	if (tell && !q->outbox_told) {
		cx_notice(NULL, "no %s provider configured: writing messages "
		    "to the outbox %s (see %s(1) to configure one)",
		    strcmp(q->ops->chan, "sms") == 0 ? "SMS" : "IM",
		    ob->path, cx_prog);
		q->outbox_told = 1;
	}
	s = json_dumps(line, JSON_COMPACT);
	r = s == NULL || fprintf(ob->f, "%s\n", s) < 0 ||
	    fflush(ob->f) != 0 ? -1 : 0;
	free(s);
	return r;
}

/* --- the loop ------------------------------------------------------------ */

static int
journal_ends(struct cx_state *st, void *arg)
{
	struct cx_sendq *q = arg;

	for (struct cx_sendq_item *it = q->head; it && it->done;
	    it = it->next) {
		for (int i = 0; i < it->nrows; i++) {
			struct cx_jrow *r = &it->rows[i];

			if (!r->open)
				continue;
			if (cx_journal_end(st, q->ops->chan, r->key,
			    r->status ? r->status : "failed",
			    r->provider_id) != 0)
				return -1;
			r->open = 0;
		}
	}
	return 0;
}

static void
item_free(struct cx_sendq *q, struct cx_sendq_item *it)
{
	if (q->ops->release)
		q->ops->release(it, q->arg);
	for (int i = 0; i < it->nrows; i++) {
		free(it->rows[i].key);
		free(it->rows[i].provider_id);
	}
	free(it->rows);
	json_decref(it->rec);
	json_decref(it->res);
	free(it);
}

/* Writes finished records from the head, in input order, after their
 * journal rows are final.  Returns 1 when something was written. */
static int
write_ready(struct cx_sendq *q)
{
	int wrote = 0;

	if (q->head && q->head->done &&
	    cx_state_tx(q->st, journal_ends, q) != 0)
		cx_die(cx_state_path(q->st), "cannot update the send journal");
	while (q->head && q->head->done) {
		struct cx_sendq_item *it = q->head;

		cx_rec_set(it->rec, q->ops->chan, json_incref(it->res));
		cx_ndjson_write(it->rec);
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->nitems--;
		item_free(q, it);
		wrote = 1;
	}
	return wrote;
}

static int
admit_more(const struct cx_sendq *q)
{
	return !q->eof && !stopping && q->nitems < q->window &&
	    cx_dispatch_busy(q->d) < q->queue && !cx_ndjson_closed();
}

/* Reads and prepares what fits, inside one transaction (state.c joins
 * the journal's statements to it). */
static int
admit(struct cx_state *st, void *arg)
{
	struct cx_sendq *q = arg;
	int more = 1;
	json_t *rec;

	(void)st;
	while (admit_more(q)) {
		struct cx_sendq_item *it;

		rec = cx_ndjson_try(q->in, &more);
		if (rec == NULL) {
			if (!more)
				q->eof = 1;
			break;
		}
		it = cx_xcalloc(1, sizeof *it);
		it->q = q;
		it->rec = rec;
		it->lineno = q->in->lineno;
		cx_rec_id(rec, it->id);
		it->res = json_object();
		if (q->tail)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		q->nitems++;
		q->ops->prepare(it, q->arg);
	}
	return 0;
}

void
cx_sendq_run(struct cx_sendq *q, struct cx_ndjson_in *in)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int dirty = 0;

	q->in = in;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		int readable, want;

		if (admit_more(q) && cx_ndjson_ready(in) &&
		    cx_state_tx(q->st, admit, q) != 0)
			cx_die(cx_state_path(q->st), "cannot write the send "
			    "journal");
		dirty |= write_ready(q);
		if (stopping && !q->eof) {
			cx_err(NULL, "stopped by a signal: finishing the %d "
			    "requests in flight; the rest of the input is not "
			    "read", cx_dispatch_busy(q->d));
			cx_status_fatal();
			q->eof = 1;
		}
		if (q->head == NULL && (q->eof || cx_ndjson_closed()))
			break;
		want = admit_more(q);
		if (dirty) {
			/* Flush before waiting, unless input is already
			 * there (bulk runs keep writing in large blocks). */
			struct pollfd p = { .fd = in->fd, .events = POLLIN };

			if (!want || poll(&p, 1, 0) == 0) {
				cx_ndjson_flush();
				dirty = 0;
			}
		}
		if (want && cx_ndjson_ready(in))
			continue;	/* lines are buffered: no read */
		if (want && cx_dispatch_busy(q->d) == 0) {
			/* Only input can make progress: block on it. */
			if (cx_ndjson_fill(in) < 0)
				q->eof = 1;
			continue;
		}
		readable = cx_dispatch_step(q->d, want ? in->fd : -1, -1);
		if (readable && cx_ndjson_fill(in) < 0)
			q->eof = 1;
	}
}

void
cx_sendq_counts(const struct cx_sendq *q, unsigned long *sent,
    unsigned long *failed, unsigned long *other)
{
	*sent = q->n_sent;
	*failed = q->n_failed;
	*other = q->n_other;
}

void
cx_sendq_free(struct cx_sendq *q)
{
	if (q == NULL)
		return;
	while (q->head) {
		struct cx_sendq_item *it = q->head;

		q->head = it->next;
		item_free(q, it);
	}
	while (q->outboxes) {
		struct outbox *ob = q->outboxes;

		q->outboxes = ob->next;
		if (fclose(ob->f) != 0)
			cx_err(ob->path, "%s", strerror(errno));
		free(ob->path);
		free(ob);
	}
	free(q);
}
