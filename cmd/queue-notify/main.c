/* queue-notify - turn a call queue's events into message requests
 *
 * SPDX-License-Identifier: MIT
 * Reads queue events (cxkit NDJSON, Asterisk queue_log lines with --from
 * asterisk, FreeSWITCH mod_callcenter JSON with --from freeswitch) and
 * writes message requests for sms-send / im-send: wait notices, follow-ups
 * after abandoned and timed-out calls, missed-call notices.  See
 * queue-notify(1) and cxkit(7).
 *
 * The clock is the events' own time (never earlier than the latest seen);
 * while the input is idle it runs on with the monotonic clock, so a
 * follow-up falls due behind `tail -F` with no new line.  State (pending
 * follow-ups, cooldowns) is committed before the requests it implies are
 * written: a crash may lose a message, never send one twice.
 */
#include <argp.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "qn.h"

enum { FROM_CXKIT, FROM_ASTERISK, FROM_FREESWITCH };
enum { R_WAIT, R_ABANDON, R_TIMEOUT, R_MISSED, R_POSITION, NREASON };
static const char *const reason_names[] = { "wait", "abandon", "timeout",
	"missed", "position" };

struct opts {
	struct cx_common common;
	int from;
	const char *events, *skipped, *region;
};

enum {
	OPT_FROM = CX_OPT_BASE + 0x40,
	OPT_EVENTS,
	OPT_SKIPPED,
	OPT_NOW,
	OPT_REGION,
};

static const char doc[] =
    "Read a call queue's events on stdin and write message requests (wait "
    "notices, follow-ups after abandoned or timed-out calls, missed-call "
    "notices) for sms-send or im-send.\v"
    "Policies come from the [queue] and [queue NAME] sections of the "
    "configuration.  See queue-notify(1) and cxkit(7).";

static const struct argp_option options[] = {
	{ "events", OPT_EVENTS, "FILE", 0,
	  "Also write every queue event, normalised, to FILE", 0 },
	{ "from", OPT_FROM, "FORMAT", 0,
	  "Input format: cxkit (NDJSON, default), asterisk (queue_log), "
	  "freeswitch (mod_callcenter JSON)", 0 },
	{ "now", OPT_NOW, "TIME", 0,
	  "Take TIME (RFC 3339) as the time of events that carry none", 0 },
	{ "region", OPT_REGION, "CC", 0,
	  "Country (ISO 3166, e.g. CN) of caller numbers written without a "
	  "country code", 0 },
	{ "skipped", OPT_SKIPPED, "FILE", 0,
	  "Write a record to FILE for each message not made, saying why", 0 },
	{ 0 }
};

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	cx_ms t;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		break;
	case OPT_FROM:
		if (strcmp(arg, "cxkit") == 0 || strcmp(arg, "ndjson") == 0)
			o->from = FROM_CXKIT;
		else if (strcmp(arg, "asterisk") == 0)
			o->from = FROM_ASTERISK;
		else if (strcmp(arg, "freeswitch") == 0)
			o->from = FROM_FREESWITCH;
		else
			argp_error(state, "--from: '%s' is not cxkit, asterisk "
			    "or freeswitch", arg);
		break;
	case OPT_EVENTS:
		o->events = arg;
		break;
	case OPT_SKIPPED:
		o->skipped = arg;
		break;
	case OPT_NOW:
		if (cx_time_parse(arg, &t) != 0)
			argp_error(state, "--now: '%s' is not an RFC 3339 "
			    "time", arg);
		setenv("CXKIT_NOW", arg, 1);
		break;
	case OPT_REGION:
		if (cx_phone_cc(arg) == 0)
			argp_error(state, "--region: '%s' is not a known "
			    "country code (ISO 3166, e.g. CN)", arg);
		o->region = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': events are read "
		    "from stdin", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL, doc, cx_common_children, NULL, NULL
};

/* --- a small string hash table ------------------------------------------ */

struct ent {
	char *key;
	void *val;
	struct ent *next;
};

struct ht {
	struct ent **b;
	size_t nb, n;
};

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void *
ht_get(const struct ht *t, const char *key)
{
	if (t->nb == 0)
		return NULL;
	for (struct ent *e = t->b[hash(key) % t->nb]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e->val;
	return NULL;
}

static void
ht_put(struct ht *t, const char *key, void *val)
{
	struct ent *e;
	size_t i;

	if (t->n >= t->nb) {
		size_t nb = t->nb ? t->nb * 2 : 64;
		struct ent **b = cx_xcalloc(nb, sizeof *b);

		for (i = 0; i < t->nb; i++)
			while ((e = t->b[i]) != NULL) {
				t->b[i] = e->next;
				e->next = b[hash(e->key) % nb];
				b[hash(e->key) % nb] = e;
			}
		free(t->b);
		t->b = b;
		t->nb = nb;
	}
	i = hash(key) % t->nb;
	for (e = t->b[i]; e; e = e->next)
		if (strcmp(e->key, key) == 0) {
			e->val = val;
			return;
		}
	e = cx_xmalloc(sizeof *e);
	e->key = cx_xstrdup(key);
	e->val = val;
	e->next = t->b[i];
	t->b[i] = e;
	t->n++;
}

/* Removes key; returns its value (NULL when absent). */
static void *
ht_del(struct ht *t, const char *key)
{
	struct ent **p, *e;
	void *v;

	if (t->nb == 0)
		return NULL;
	for (p = &t->b[hash(key) % t->nb]; (e = *p) != NULL; p = &e->next)
		if (strcmp(e->key, key) == 0) {
			*p = e->next;
			v = e->val;
			free(e->key);
			free(e);
			t->n--;
			return v;
		}
	return NULL;
}

static void
ht_free(struct ht *t, void (*fn)(void *))
{
	for (size_t i = 0; i < t->nb; i++)
		while (t->b[i]) {
			struct ent *e = t->b[i];

			t->b[i] = e->next;
			if (fn)
				fn(e->val);
			free(e->key);
			free(e);
		}
	free(t->b);
	memset(t, 0, sizeof *t);
}

/* --- policies ------------------------------------------------------------ */

struct policy {
	long wait_position, wait_min, wait_margin;	/* minutes */
	long wait_interval;				/* s */
	long delay[NREASON];				/* seconds */
	long cooldown, callback_within, aht;		/* s, min, s */
	long sl_pct, sl_t;		/* service level: sl_pct % in sl_t s */
	int agents, notify[NREASON];
	int have_open, have_quiet;
	struct cx_window closed, quiet;
	const char *tz, *lang, *via, *topic, *internal;
	const char *chan;		/* of via: "sms" or "im" */
	const char *callback_key;	/* EXITWITHKEY's digit for a callback */
	const char *dnn_path;		/* do_not_notify, and its section */
	const struct cx_section *dnn_sec;
	const char *tmpl[NREASON];
};

static const char *const queue_keys[] = {
	"agents", "aht", "abandon_delay", "callback_key", "callback_within",
	"cooldown", "do_not_notify", "internal", "lang", "missed_delay",
	"notify", "open_hours", "quiet_hours", "region", "service_level",
	"template_abandon",
	"template_missed", "template_position", "template_timeout",
	"template_wait", "timeout_delay", "topic", "tz", "via",
	"wait_interval", "wait_margin", "wait_minutes", "wait_position", NULL
};

struct run {
	struct opts *o;
	struct cx_config *cfg;
	const struct cx_section *qdef, *def;
	struct cx_state *st;
	sqlite3 *db;
	sqlite3_stmt *ins, *del, *cins, *cdel, *kins;
	/* BEGIN and COMMIT run once an event that writes: prepared once,
	 * as sqlite3_exec() parses its SQL anew each time. */
	sqlite3_stmt *begin, *commit;
	int in_tx;
	const char *region, *home_lang;
	FILE *events, *skipped, *rejects;
	struct ht queues, calls, agents, pending, cool, tzc;
	struct ht dnnf;		/* do_not_notify path -> set of numbers */
	char *out;		/* requests made since the last commit */
	size_t olen, capout, nout;
	char *js;		/* a pending request's JSON, for the store */
	size_t capjs;
	struct call **fresh;	/* waiting calls not yet in queue_calls */
	size_t nfresh, capfresh;
	cx_ms clock, mono_at, next_due;
	cx_ms swept;		/* the clock at the last sweep() */
	unsigned long agents_gen;	/* bumped by every agent change */
	unsigned long synced;		/* lineno at the last commit */
	int wal_pages;			/* in the WAL since its checkpoint */
	unsigned long lineno, nevents, nreq, nskip, nrej;
};

/* A key's value: [queue NAME], else [queue], else [defaults] (for the
 * keys it shares), else NULL. */
static const char *
qget(const struct run *run, const struct cx_section *s, const char *key)
{
	const char *v = s ? cx_section_get(s, key) : NULL;

	if (v == NULL && run->qdef)
		v = cx_section_get(run->qdef, key);
	if (v == NULL && run->def && (strcmp(key, "tz") == 0 ||
	    strcmp(key, "quiet_hours") == 0 || strcmp(key, "via") == 0 ||
	    strcmp(key, "region") == 0))
		v = cx_section_get(run->def, key);
	return v;
}

/* The section where key was found, for messages. */
static const struct cx_section *
qsec(const struct run *run, const struct cx_section *s, const char *key)
{
	if (s && cx_section_get(s, key))
		return s;
	if (run->qdef && cx_section_get(run->qdef, key))
		return run->qdef;
	return run->def;
}

static long
qnum(const struct run *run, const struct cx_section *s, const char *key,
    long dflt, long max)
{
	const char *v = qget(run, s, key);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > max) {
		char *err = cx_section_err(qsec(run, s, key), key,
		    "'%s' is not a whole number from 0 to %ld", v, max);

		cx_die(NULL, "%s", err);
	}
	return n;
}

static void
policy_load(const struct run *run, const struct cx_section *s,
    struct policy *p)
{
	static const char *const dflt_tmpl[NREASON] = { "queue_wait",
	    "queue_abandon", "queue_timeout", "queue_missed",
	    "queue_position" };
	static const char *const tkeys[NREASON] = { "template_wait",
	    "template_abandon", "template_timeout", "template_missed",
	    "template_position" };
	const char *v;
	char *err;

	memset(p, 0, sizeof *p);
	p->wait_position = qnum(run, s, "wait_position", 5, 100000);
	p->wait_min = qnum(run, s, "wait_minutes", 10, 100000);
	p->wait_margin = qnum(run, s, "wait_margin", 5, 100000);
	p->wait_interval = qnum(run, s, "wait_interval", 5, 1440) * 60;
	p->delay[R_ABANDON] = qnum(run, s, "abandon_delay", 120, 86400 * 7);
	p->delay[R_TIMEOUT] = qnum(run, s, "timeout_delay", 60, 86400 * 7);
	p->delay[R_MISSED] = qnum(run, s, "missed_delay", 0, 86400 * 7);
	p->cooldown = qnum(run, s, "cooldown", 30, 525600) * 60;
	p->callback_within = qnum(run, s, "callback_within", 60, 10080);
	p->aht = qnum(run, s, "aht", 180, 86400);
	p->agents = (int)qnum(run, s, "agents", 0, 100000);
	if (p->aht == 0)
		p->aht = 1;
	for (int i = 0; i < NREASON; i++) {
		p->tmpl[i] = qget(run, s, tkeys[i]);
		if (p->tmpl[i] == NULL)
			p->tmpl[i] = dflt_tmpl[i];
	}
	v = qget(run, s, "notify");
	for (int i = 0; i < R_POSITION; i++)
		p->notify[i] = v == NULL;
	if (v) {
		char *copy = cx_xstrdup(v), *save = NULL;

		for (char *w = strtok_r(copy, ", ", &save); w;
		    w = strtok_r(NULL, ", ", &save)) {
			int i;

			for (i = 0; i < R_POSITION; i++)
				if (strcmp(w, reason_names[i]) == 0)
					break;
			if (i == R_POSITION && strcmp(w, "none") != 0) {
				err = cx_section_err(qsec(run, s, "notify"),
				    "notify", "'%s' is not wait, abandon, "
				    "timeout, missed or none", w);
				cx_die(NULL, "%s", err);
			}
			if (i < R_POSITION)
				p->notify[i] = 1;
		}
		free(copy);
	}
	p->notify[R_POSITION] = p->notify[R_WAIT];
	v = qget(run, s, "service_level");
	p->sl_pct = 80;
	p->sl_t = 20;
	if (v) {
		char *end;

		errno = 0;
		p->sl_pct = strtol(v, &end, 10);
		if (*end == '/')
			p->sl_t = strtol(end + 1, &end, 10);
		if (errno || *end || strchr(v, '/') == NULL || p->sl_pct < 1 ||
		    p->sl_pct > 100 || p->sl_t < 1 || p->sl_t > 86400) {
			err = cx_section_err(qsec(run, s, "service_level"),
			    "service_level", "'%s' is not PERCENT/SECONDS "
			    "(e.g. 80/20)", v);
			cx_die(NULL, "%s", err);
		}
	}
	if ((v = qget(run, s, "open_hours")) != NULL) {
		struct cx_window w;

		if (cx_window_parse(v, &w) != 0) {
			err = cx_section_err(qsec(run, s, "open_hours"),
			    "open_hours", "'%s' is not HH:MM-HH:MM", v);
			cx_die(NULL, "%s", err);
		}
		/* Closed is the complement: from the end to the start. */
		p->closed.start_min = w.end_min;
		p->closed.end_min = w.start_min;
		p->have_open = 1;
	}
	v = qget(run, s, "quiet_hours");
	if (v == NULL)
		v = "21:00-08:00";
	if (strcmp(v, "none") != 0) {
		if (cx_window_parse(v, &p->quiet) != 0) {
			err = cx_section_err(qsec(run, s, "quiet_hours"),
			    "quiet_hours", "'%s' is not HH:MM-HH:MM", v);
			cx_die(NULL, "%s", err);
		}
		p->have_quiet = 1;
	}
	p->tz = qget(run, s, "tz");
	if (p->tz && !cx_tz_valid(p->tz)) {
		err = cx_section_err(qsec(run, s, "tz"), "tz",
		    "'%s' is not a known time zone", p->tz);
		cx_die(NULL, "%s", err);
	}
	p->lang = qget(run, s, "lang");
	p->via = qget(run, s, "via");
	/* The channel of the opt-outs that apply: the via's provider's. */
	p->chan = "sms";
	if (p->via) {
		const struct cx_section *ps = cx_config_get(run->cfg,
		    "provider", p->via);
		const char *type = ps ? cx_section_get(ps, "type") : NULL;

		if (type && cx_provider_channel(type))
			p->chan = cx_provider_channel(type);
	}
	p->callback_key = qget(run, s, "callback_key");
	if (p->callback_key == NULL)
		p->callback_key = "1";
	p->dnn_path = qget(run, s, "do_not_notify");
	p->dnn_sec = p->dnn_path ? qsec(run, s, "do_not_notify") : NULL;
	p->topic = qget(run, s, "topic");
	p->internal = qget(run, s, "internal");
}

/* --- the queue model ----------------------------------------------------- */

struct agent {
	int present, paused;
};

struct call;

struct queue {
	char *name;
	struct policy pol;
	struct call **wait;
	size_t nwait, capwait;
	struct ht members;	/* agent name -> struct agent * */
	int avail;		/* members present and not paused ... */
	unsigned long avail_gen;/* ... as of this agents_gen */
	int staffed;		/* the last non-zero avail */
	int busy;
	unsigned long naht;	/* talk times seen */
	long aht, holdtime;
	cx_ms arr[32];		/* recent arrivals, for λ */
	unsigned narr;
	struct qn_qstats sl_in;	/* service_memo(): made of these, */
	json_t *sl_json;	/* ... this (NULL: unknown) */
	int sl_made;
};

struct call {
	char *id;
	struct queue *q;
	char caller[QN_FIELD], e164[CX_PHONE_MAX], topic[QN_FIELD];
	const char *skip;	/* why this caller is never messaged */
	cx_ms enter;
	long position, pbx_ewt, notified_ewt;
	long held_ewt;		/* the last growth held by wait_interval */
	int nnotice, waiting, connected, skip_said;
	int stored;		/* its queue_calls row is in the state store */
	long fresh;		/* 1 + its index in run->fresh, else 0 */
};

struct pend {
	char caller[CX_PHONE_MAX];
	int reason;
	cx_ms due;
	json_t *req;
};

static struct queue *
queue_get(struct run *run, const char *name)
{
	struct queue *q = ht_get(&run->queues, name);

	if (q == NULL) {
		q = cx_xcalloc(1, sizeof *q);
		q->name = cx_xstrdup(name);
		policy_load(run, cx_config_get(run->cfg, "queue", name),
		    &q->pol);
		q->aht = q->pol.aht;
		q->holdtime = -1;
		ht_put(&run->queues, name, q);
	}
	return q;
}

static void
queue_free(void *p)
{
	struct queue *q = p;

	ht_free(&q->members, NULL);
	json_decref(q->sl_json);
	free(q->wait);
	free(q->name);
	free(q);
}

static void
stats_of(const struct run *run, struct queue *q, struct qn_qstats *s)
{
	if (q->avail_gen != run->agents_gen + 1) {
		/* Counted again only after an agent changed. */
		q->avail = 0;
		for (size_t i = 0; i < q->members.nb; i++)
			for (struct ent *e = q->members.b[i]; e; e = e->next) {
				struct agent *a = e->val;

				q->avail += a->present && !a->paused;
			}
		q->avail_gen = run->agents_gen + 1;
		if (q->avail > 0)
			q->staffed = q->avail;
	}
	s->agents = q->members.n > 0 ? q->avail : -1;
	s->staffed = q->staffed;
	s->busy = q->busy;
	s->aht = q->aht;
	s->holdtime = q->holdtime;
	s->cfg_agents = q->pol.agents;
	s->lambda = 0;
	if (q->narr >= 2) {
		unsigned n = q->narr < 32 ? q->narr : 32;
		cx_ms first = q->arr[(q->narr - n) % 32];

		/* n - 1 gaps from the first to now: a queue that has gone
		 * quiet since its last caller slows down. */
		if (run->clock > first)
			s->lambda = (double)(n - 1) * 1000 / (double)(run->clock -
			    first);
	}
}

static struct agent *
agent_get(struct run *run, const char *name)
{
	struct agent *a = ht_get(&run->agents, name);

	if (a == NULL) {
		a = cx_xcalloc(1, sizeof *a);
		a->present = 1;
		ht_put(&run->agents, name, a);
	}
	return a;
}

static void
wait_remove(struct call *c)
{
	struct queue *q = c->q;
	size_t i, j;

	if (!c->waiting)
		return;
	c->waiting = 0;
	for (i = j = 0; i < q->nwait; i++) {
		struct call *o = q->wait[i];

		if (o == c)
			continue;
		if (c->position > 0 && o->position > c->position)
			o->position--;
		q->wait[j++] = o;
	}
	q->nwait = j;
}

static void
call_free(void *p)
{
	struct call *c = p;

	free(c->id);
	free(c);
}

static void state_fail(struct run *run, const char *what);
static void tx_open(struct run *run);
static const char *classify(struct run *run, const struct policy *p,
    const char *caller, char e164[CX_PHONE_MAX]);
static struct ht *dnn_of(struct run *run, const struct policy *p);

/* The call context in the state store: a restart still knows who is
 * waiting (only ENTERQUEUE names the caller).  A call that enters is
 * written with the commit that precedes the next output (calls_store()),
 * so the many calls that enter and leave between two commits cost no
 * write at all; what leaves the process is never ahead of the state. */
static void
call_db_put(struct run *run, struct call *c)
{
	if (run->db == NULL || c->fresh)
		return;
	if (run->nfresh == run->capfresh) {
		run->capfresh = run->capfresh ? run->capfresh * 2 : 256;
		run->fresh = cx_xrealloc(run->fresh, run->capfresh *
		    sizeof *run->fresh);
	}
	run->fresh[run->nfresh++] = c;
	c->fresh = (long)run->nfresh;
}

static void
call_db_write(struct run *run, struct call *c)
{
	sqlite3_stmt *s = run->cins;

	tx_open(run);
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->caller, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->q->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, c->enter);
	sqlite3_bind_int64(s, 6, c->position);
	if (sqlite3_step(s) != SQLITE_DONE)
		state_fail(run, "INSERT queue_calls");
	sqlite3_reset(s);
	c->stored = 1;
}

/* Writes the calls that entered since the last commit and still wait. */
static void
calls_store(struct run *run)
{
	for (size_t i = 0; i < run->nfresh; i++) {
		struct call *c = run->fresh[i];

		if (c == NULL)
			continue;
		c->fresh = 0;
		if (c->waiting)
			call_db_write(run, c);
	}
	run->nfresh = 0;
}

static void
call_db_del(struct run *run, struct call *c)
{
	if (c->fresh) {
		run->fresh[c->fresh - 1] = NULL;
		c->fresh = 0;
	}
	if (run->db == NULL || !c->stored)
		return;
	tx_open(run);
	sqlite3_bind_text(run->cdel, 1, c->id, -1, SQLITE_STATIC);
	if (sqlite3_step(run->cdel) != SQLITE_DONE)
		state_fail(run, "DELETE queue_calls");
	sqlite3_reset(run->cdel);
	c->stored = 0;
}

static void
call_end(struct run *run, struct call *c)
{
	call_db_del(run, c);
	wait_remove(c);
	ht_del(&run->calls, c->id);
	call_free(c);
}

/* --- state: pending follow-ups, cooldowns ------------------------------- */

static void
state_fail(struct run *run, const char *what)
{
	cx_die(NULL, "state store %s: %s: %s", cx_state_path(run->st), what,
	    sqlite3_errmsg(run->db));
}

static void
tx_open(struct run *run)
{
	if (run->db == NULL || run->in_tx)
		return;
	if (sqlite3_step(run->begin) != SQLITE_DONE) {
		sqlite3_reset(run->begin);
		state_fail(run, "BEGIN");
	}
	sqlite3_reset(run->begin);
	run->in_tx = 1;
}

/* Commits the state, then writes the requests it implies. */
static void
sync_out(struct run *run)
{
	calls_store(run);
	if (run->in_tx) {
		if (sqlite3_step(run->commit) != SQLITE_DONE) {
			sqlite3_reset(run->commit);
			state_fail(run, "COMMIT");
		}
		sqlite3_reset(run->commit);
		run->in_tx = 0;
	}
	if (run->olen > 0 && !cx_ndjson_closed())
		cx_ndjson_write_lines(run->out, run->olen);
	run->olen = 0;
	run->nout = 0;
}

/* Queues rec (consumed) for the next sync_out(): dumped now, as the
 * writer would, so that a batch waits as one block of text, not as
 * thousands of jansson blocks gone cold by the time they are written. */
static void
out_push(struct run *run, json_t *rec)
{
	size_t n;

	if (run->capout == 0) {
		run->capout = 1 << 16;
		run->out = cx_xmalloc(run->capout);
	}
	for (;;) {
		n = json_dumpb(rec, run->out + run->olen, run->capout -
		    run->olen, JSON_COMPACT);
		if (n < run->capout - run->olen)	/* and the newline */
			break;
		run->capout = 2 * run->capout + n + 1;
		run->out = cx_xrealloc(run->out, run->capout);
	}
	run->out[run->olen + n] = '\n';
	run->olen += n + 1;
	run->nout++;
	run->nreq++;
	json_decref(rec);
}

static void
pend_key(char *out, size_t n, int reason, const char *caller)
{
	snprintf(out, n, "%s|%s", reason_names[reason], caller);
}

static void
pend_free(void *p)
{
	struct pend *pd = p;

	json_decref(pd->req);
	free(pd);
}

static void
pend_db_del(struct run *run, const char *caller, int reason)
{
	if (run->db == NULL)
		return;
	tx_open(run);
	sqlite3_bind_text(run->del, 1, caller, -1, SQLITE_STATIC);
	sqlite3_bind_text(run->del, 2, reason_names[reason], -1,
	    SQLITE_STATIC);
	if (sqlite3_step(run->del) != SQLITE_DONE)
		state_fail(run, "DELETE queue_pending");
	sqlite3_reset(run->del);
}

static void
pend_add(struct run *run, int reason, const char *caller, cx_ms due,
    json_t *req)
{
	char key[64];
	struct pend *pd;

	pend_key(key, sizeof key, reason, caller);
	pd = ht_get(&run->pending, key);
	if (pd == NULL) {
		pd = cx_xcalloc(1, sizeof *pd);
		snprintf(pd->caller, sizeof pd->caller, "%s", caller);
		pd->reason = reason;
		ht_put(&run->pending, key, pd);
	} else {
		json_decref(pd->req);
	}
	pd->due = due;
	pd->req = req;
	if (run->next_due == 0 || due < run->next_due)
		run->next_due = due;
	if (run->db) {
		/* Dumped into a buffer kept for the next one. */
		size_t n = json_dumpb(req, run->js, run->capjs, JSON_COMPACT);
		const char *cid = cx_rec_str(req, "queue.call_id");
		const char *qn = cx_rec_str(req, "queue.queue");

		tx_open(run);
		sqlite3_bind_text(run->ins, 1, caller, -1, SQLITE_STATIC);
		sqlite3_bind_text(run->ins, 2, reason_names[reason], -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(run->ins, 3, due);
		sqlite3_bind_text(run->ins, 4, cid, -1, SQLITE_STATIC);
		sqlite3_bind_text(run->ins, 5, qn, -1, SQLITE_STATIC);
		if (n >= run->capjs) {
			run->capjs = n + 1024;
			run->js = cx_xrealloc(run->js, run->capjs);
			n = json_dumpb(req, run->js, run->capjs, JSON_COMPACT);
		}
		sqlite3_bind_text(run->ins, 6, run->js, (int)n, SQLITE_STATIC);
		sqlite3_bind_int64(run->ins, 7, run->clock);
		if (sqlite3_step(run->ins) != SQLITE_DONE)
			state_fail(run, "INSERT queue_pending");
		sqlite3_reset(run->ins);
	}
}

/* Cancels the pending follow-ups of caller (answered, or a callback). */
static void
pend_cancel(struct run *run, const char *caller, const char *why)
{
	char key[64];

	for (int r = R_ABANDON; r <= R_MISSED; r++) {
		struct pend *pd;

		pend_key(key, sizeof key, r, caller);
		if ((pd = ht_del(&run->pending, key)) == NULL)
			continue;
		cx_info(NULL, "%s follow-up for %s cancelled: %s",
		    reason_names[r], caller, why);
		pend_free(pd);
		pend_db_del(run, caller, r);
	}
}

static void
pend_load(struct run *run)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(cx_state_db(run->st), "SELECT caller, "
	    "reason, due, request"
	    " FROM queue_pending", -1, &s, NULL) != SQLITE_OK)
		state_fail(run, "SELECT queue_pending");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *caller = (const char *)sqlite3_column_text(s, 0);
		const char *rs = (const char *)sqlite3_column_text(s, 1);
		const char *js = (const char *)sqlite3_column_text(s, 3);
		json_t *req = js ? json_loads(js, 0, NULL) : NULL;
		char key[64];
		struct pend *pd;
		int r;

		for (r = R_ABANDON; r <= R_MISSED; r++)
			if (rs && strcmp(rs, reason_names[r]) == 0)
				break;
		if (caller == NULL || r > R_MISSED || req == NULL ||
		    strlen(caller) >= CX_PHONE_MAX) {
			json_decref(req);
			continue;
		}
		pd = cx_xcalloc(1, sizeof *pd);
		snprintf(pd->caller, sizeof pd->caller, "%s", caller);
		pd->reason = r;
		pd->due = sqlite3_column_int64(s, 2);
		pd->req = req;
		pend_key(key, sizeof key, r, caller);
		ht_put(&run->pending, key, pd);
		if (run->next_due == 0 || pd->due < run->next_due)
			run->next_due = pd->due;
	}
	sqlite3_finalize(s);
	if (run->pending.n)
		cx_info(NULL, "%zu pending follow-ups from the state store",
		    run->pending.n);
}

/* The calls left waiting by the last run, back in their queues. */
static void
calls_load(struct run *run)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(cx_state_db(run->st), "SELECT call_id, caller,"
	    " queue, topic, entered, position FROM queue_calls"
	    " ORDER BY queue, entered, position", -1, &s, NULL) != SQLITE_OK)
		state_fail(run, "SELECT queue_calls");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *caller = (const char *)sqlite3_column_text(s, 1);
		const char *qn = (const char *)sqlite3_column_text(s, 2);
		const char *topic = (const char *)sqlite3_column_text(s, 3);
		struct queue *q;
		struct call *c;

		if (id == NULL || caller == NULL || qn == NULL ||
		    ht_get(&run->calls, id))
			continue;
		q = queue_get(run, qn);
		c = cx_xcalloc(1, sizeof *c);
		c->id = cx_xstrdup(id);
		c->q = q;
		snprintf(c->caller, sizeof c->caller, "%s", caller);
		snprintf(c->topic, sizeof c->topic, "%s", topic ? topic : "");
		c->skip = classify(run, &q->pol, c->caller, c->e164);
		c->enter = sqlite3_column_int64(s, 4);
		/* Those ahead have left since, or are here: renumber. */
		c->position = (long)q->nwait + 1;
		c->pbx_ewt = -1;
		c->notified_ewt = -1;
		c->waiting = 1;
		c->stored = 1;
		if (q->nwait == q->capwait) {
			q->capwait = q->capwait ? q->capwait * 2 : 16;
			q->wait = cx_xrealloc(q->wait, q->capwait *
			    sizeof *q->wait);
		}
		q->wait[q->nwait++] = c;
		ht_put(&run->calls, c->id, c);
	}
	sqlite3_finalize(s);
}

/* 1 when caller had a message of this kind within the cooldown. */
static int
cooled(struct run *run, int reason, const char *caller, long cooldown)
{
	char key[64];
	cx_ms *last;

	if (cooldown <= 0)
		return 0;
	pend_key(key, sizeof key, reason == R_POSITION ? R_WAIT : reason,
	    caller);
	/* All of them were read at start (cool_load): this run is the
	 * table's only writer. */
	last = ht_get(&run->cool, key);
	return last && run->clock - *last < cooldown * 1000;
}

/* The table queue_cooldown holds a row for each message, in the order
 * made: a key's last row is its time (rows that expired are gone). */
static void
cool_load(struct run *run)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(cx_state_db(run->st), "SELECT key, at FROM"
	    " queue_cooldown WHERE expires IS NULL OR expires > ?1"
	    " ORDER BY rowid", -1, &s, NULL) != SQLITE_OK)
		state_fail(run, "SELECT queue_cooldown");
	sqlite3_bind_int64(s, 1, cx_now() / 1000);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		cx_ms *last;

		if (key == NULL)
			continue;
		if ((last = ht_get(&run->cool, key)) == NULL) {
			last = cx_xmalloc(sizeof *last);
			ht_put(&run->cool, key, last);
		}
		*last = sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		state_fail(run, "SELECT queue_cooldown");
	sqlite3_finalize(s);
}

static void
cool_set(struct run *run, int reason, const char *caller, long cooldown)
{
	char key[64];
	cx_ms *last, wall;

	pend_key(key, sizeof key, reason == R_POSITION ? R_WAIT : reason,
	    caller);
	last = ht_get(&run->cool, key);
	if (last == NULL) {
		last = cx_xmalloc(sizeof *last);
		ht_put(&run->cool, key, last);
	}
	*last = run->clock;
	if (run->db == NULL || cooldown <= 0)
		return;
	tx_open(run);
	/* Expires in wall time too, so that sweep() tidies the table. */
	wall = cx_now();
	sqlite3_bind_text(run->kins, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(run->kins, 2, run->clock);
	sqlite3_bind_int64(run->kins, 3, (wall > run->clock ? wall :
	    run->clock) / 1000 + cooldown);
	if (sqlite3_step(run->kins) != SQLITE_DONE)
		state_fail(run, "INSERT queue_cooldown");
	sqlite3_reset(run->kins);
}

/* --- callers -------------------------------------------------------------- */

static int
anonymous(const char *s)
{
	static const char *const words[] = { "anonymous", "unknown",
	    "restricted", "private", "withheld", "unavailable", "<unknown>",
	    "none", "0", "" };

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* Checks caller; fills e164; returns why it is never messaged, or NULL. */
static const char *
classify(struct run *run, const struct policy *p, const char *caller,
    char e164[CX_PHONE_MAX])
{
	const char *why;
	size_t n = strlen(caller);
	struct ht *dnn;

	e164[0] = '\0';
	if (anonymous(caller))
		return "anonymous";
	if (p->internal) {
		char *copy = cx_xstrdup(p->internal), *save = NULL;
		int hit = 0;

		for (char *g = strtok_r(copy, ", ", &save); g && !hit;
		    g = strtok_r(NULL, ", ", &save))
			hit = fnmatch(g, caller, 0) == 0;
		free(copy);
		if (hit)
			return "internal";
	}
	if (n <= 6 && strspn(caller, "0123456789*#") == n)
		return "internal";
	if (cx_phone_e164(caller, run->region, e164, &why) != 0) {
		e164[0] = '\0';
		return "invalid_number";
	}
	if ((dnn = dnn_of(run, p)) != NULL && ht_get(dnn, e164))
		return "do_not_notify";
	return NULL;
}

/* Reads a do_not_notify file (numbers, one a line, # comments) into t. */
static void
load_dnn(struct run *run, const struct cx_section *sec, const char *path,
    struct ht *t)
{
	char *line = NULL, e164[CX_PHONE_MAX];
	const char *why;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		cx_die(NULL, "%s:%d: do_not_notify: %s: %s", run->cfg->path,
		    cx_section_line(sec, "do_not_notify"), path,
		    strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		char *s = line + strspn(line, " \t");

		lineno++;
		s[strcspn(s, "#\r\n")] = '\0';
		for (char *e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t'); )
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (cx_phone_e164(s, run->region, e164, &why) != 0)
			cx_die(NULL, "%s:%d: not a phone number: %s", path,
			    lineno, why);
		ht_put(t, e164, run);
	}
	free(line);
	fclose(f);
}

/* The queue's do-not-notify list ([queue NAME]'s own, else [queue]'s),
 * read once for each file; NULL when it has none. */
static struct ht *
dnn_of(struct run *run, const struct policy *p)
{
	struct ht *t;

	if (p->dnn_path == NULL)
		return NULL;
	if ((t = ht_get(&run->dnnf, p->dnn_path)) == NULL) {
		t = cx_xcalloc(1, sizeof *t);
		load_dnn(run, p->dnn_sec, p->dnn_path, t);
		ht_put(&run->dnnf, p->dnn_path, t);
	}
	return t;
}

static void
dnn_free(void *p)
{
	ht_free(p, NULL);
	free(p);
}

/* The language of the message: the caller's recorded choice, else the
 * queue's language for callers of the home region, else "mul" (a
 * bilingual template; falls back to the default file). */
static char *
lang_of(struct run *run, const struct policy *p, const char *e164)
{
	char *l = run->st ? cx_kv_get(run->st, "lang", e164) : NULL;
	const char *r;

	if (l)
		return l;
	r = cx_phone_region(e164);
	if (run->region == NULL || (r && strcmp(r, run->region) == 0))
		return cx_xstrdup(p->lang ? p->lang : run->home_lang);
	return cx_xstrdup("mul");
}

static const char *
tz_of(const struct policy *p, const char *e164)
{
	const char *tz = cx_phone_tz(e164);

	return tz ? tz : p->tz;
}

/* A zone's UTC offset (minutes) at t, from a cache of one entry per
 * zone and hour: glibc reads the zone's file each time TZ changes, which
 * cost a busy day more than everything else a follow-up needs. */
struct tzoff {
	cx_ms hour;
	int off;
};

static int
tz_offset(struct run *run, const char *tz, cx_ms t)
{
	char key[80], buf[40];
	struct tzoff *c;
	const char *z;
	int off = 0;

	snprintf(key, sizeof key, "%s", tz ? tz : "UTC");
	c = ht_get(&run->tzc, key);
	if (c && c->hour == t / 3600000)
		return c->off;
	if (tz && cx_time_format_tz(t, tz, buf) != NULL) {
		/* ...T14:00:00+08:00, ...T14:00:00.123-03:30, or ...Z */
		z = buf + strlen(buf) - 6;
		if (z > buf && (z[0] == '+' || z[0] == '-'))
			off = (z[0] == '-' ? -1 : 1) * ((z[1] - '0') * 600 +
			    (z[2] - '0') * 60 + (z[4] - '0') * 10 + (z[5] - '0'));
	}
	if (c == NULL) {
		c = cx_xmalloc(sizeof *c);
		ht_put(&run->tzc, key, c);
	}
	c->hour = t / 3600000;
	c->off = off;
	return off;
}

/* "HH:MM" of t in tz into out[8]. */
static const char *
hhmm(struct run *run, cx_ms t, const char *tz, char out[8])
{
	long m = (long)(((t / 60000 + tz_offset(run, tz, t)) % 1440 + 1440) %
	    1440);

	snprintf(out, 8, "%02ld:%02ld", m / 60, m % 60);
	return out;
}

/* cx_window_until(), asked only when t falls in the window by the cached
 * offset (the exact, DST-aware end needs the zone). */
static cx_ms
window_until(struct run *run, const struct cx_window *w, const char *tz,
    cx_ms t)
{
	long m = (long)(((t / 60000 + tz_offset(run, tz, t)) % 1440 + 1440) %
	    1440);
	int in = w->start_min < w->end_min ?
	    m >= w->start_min && m < w->end_min :
	    m >= w->start_min || m < w->end_min;

	return in ? cx_window_until(w, tz, t) : 0;
}

/* --- output ---------------------------------------------------------------- */

static void
skip_write(struct run *run, int reason, const char *call_id,
    const char *queue, const char *event, const char *caller,
    const char *why)
{
	char ts[40], id[QN_FIELD + 64];
	json_t *r, *q;

	run->nskip++;
	cx_info(NULL, "%s %s: no %s message: %s", queue, call_id,
	    reason_names[reason], why);
	if (run->skipped == NULL)
		return;
	snprintf(id, sizeof id, "qn:%s:%s:skip", reason_names[reason], call_id);
	r = json_object();
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "ts", json_string(cx_time_format(run->clock,
	    ts)));
	json_object_set_new(r, "caller", json_string(caller));
	q = json_object();
	json_object_set_new(q, "reason", json_string(reason_names[reason]));
	json_object_set_new(q, "skipped", json_string(why));
	json_object_set_new(q, "call_id", json_string(call_id));
	json_object_set_new(q, "queue", json_string(queue));
	json_object_set_new(q, "event", json_string(event));
	json_object_set_new(r, "queue", q);
	if (json_dumpf(r, run->skipped, JSON_COMPACT) == 0)
		fputc('\n', run->skipped);
	json_decref(r);
}

/* The request for a message (new reference); vars is stolen. */
static json_t *
request(struct run *run, const struct queue *q, const struct call *c,
    int reason, const char *e164, json_t *vars, json_t *qobj)
{
	const struct policy *p = &q->pol;
	char ts[40], id[QN_FIELD + 64];
	const char *tz = tz_of(p, e164);
	char *lang = lang_of(run, p, e164);
	json_t *r = json_object(), *cust;

	if (reason == R_WAIT || reason == R_POSITION)
		snprintf(id, sizeof id, "qn:wait:%s:%d", c->id, c->nnotice);
	else
		snprintf(id, sizeof id, "qn:%s:%s", reason_names[reason],
		    cx_rec_str(qobj, "call_id"));
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "ts", json_string(cx_time_format(run->clock,
	    ts)));
	json_object_set_new(r, "to", json_string(e164));
	json_object_set_new(r, "template", json_string(p->tmpl[reason]));
	json_object_set_new(r, "lang", json_string(lang));
	json_object_set_new(r, "vars", vars);
	if (p->via)
		json_object_set_new(r, "via", json_string(p->via));
	cust = json_object();
	json_object_set_new(cust, "phone", json_string(e164));
	if (tz)
		json_object_set_new(cust, "tz", json_string(tz));
	json_object_set_new(r, "customer", cust);
	json_object_set_new(r, "queue", qobj);
	free(lang);
	return r;
}

static json_t *
qobj_new(int reason, const char *call_id, const char *queue,
    const char *event)
{
	json_t *q = json_object();

	json_object_set_new(q, "reason", json_string(reason == R_POSITION ?
	    "wait" : reason_names[reason]));
	json_object_set_new(q, "call_id", json_string(call_id));
	json_object_set_new(q, "queue", json_string(queue));
	json_object_set_new(q, "event", json_string(event));
	return q;
}

static const char *
topic_of(const struct queue *q, const char *topic)
{
	if (topic && *topic)
		return topic;
	return q->pol.topic ? q->pol.topic : q->name;
}

/* The queue's service level by Erlang C (queue-notify(1) Service
 * level), in whole numbers: jansson would print 0.1741 as
 * 0.17410000000000001.  NULL when it cannot be known. */
static json_t *
service_json(const struct policy *p, const struct qn_qstats *s)
{
	struct qn_service sv;
	char target[32];
	json_t *o;

	if (qn_service(s, p->sl_pct / 100.0, (double)p->sl_t, &sv) != 0)
		return NULL;
	snprintf(target, sizeof target, "%ld/%ld", p->sl_pct, p->sl_t);
	o = json_object();
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "arrivals_h", json_integer(lround(sv.lambda *
	    3600)));
	json_object_set_new(o, "aht_s", json_integer(s->aht));
	json_object_set_new(o, "agents", json_integer(sv.agents));
	json_object_set_new(o, "p_wait_pct", json_integer(lround(sv.p_wait *
	    100)));
	if (sv.asa >= 0)
		json_object_set_new(o, "asa_s", json_integer(lround(sv.asa)));
	/* Rounded down: met exactly when expected_pct >= the target. */
	json_object_set_new(o, "expected_pct", json_integer((json_int_t)
	    floor(sv.sl * 100 + 1e-9)));
	json_object_set_new(o, "met", json_boolean(sv.sl * 100 + 1e-9 >=
	    (double)p->sl_pct));
	if (sv.needed > 0)
		json_object_set_new(o, "agents_needed", json_integer(
		    sv.needed));
	return o;
}

/* service_json() of q, made again only when what it is made of changed
 * (a recheck of a queue's callers, notices at one instant): the object is
 * shared, never changed once made.  New reference, or NULL. */
static json_t *
service_memo(struct queue *q, const struct qn_qstats *s)
{
	if (!q->sl_made || s->lambda != q->sl_in.lambda || s->aht !=
	    q->sl_in.aht || s->agents != q->sl_in.agents ||
	    s->cfg_agents != q->sl_in.cfg_agents) {
		json_decref(q->sl_json);
		q->sl_json = service_json(&q->pol, s);
		q->sl_in = *s;
		q->sl_made = 1;
	}
	return json_incref(q->sl_json);
}

/* Wait notice: when the position or the estimate crosses the threshold,
 * once, and again when the estimate grew by the margin. */
static void
check_wait(struct run *run, struct call *c, const char *event)
{
	struct queue *q = c->q;
	const struct policy *p = &q->pol;
	struct qn_qstats s;
	enum qn_method m = QN_EST_PBX;
	long ewt = c->pbx_ewt;
	int reason;
	json_t *vars, *qo, *sl;

	if (!c->waiting || !p->notify[R_WAIT])
		return;
	stats_of(run, q, &s);
	if (ewt < 0)
		ewt = qn_estimate(&s, c->position, &m);
	if (!(c->position >= p->wait_position && p->wait_position > 0) &&
	    !(ewt >= 0 && ewt >= p->wait_min * 60))
		return;
	if (c->nnotice > 0 && !(ewt >= 0 && c->notified_ewt >= 0 &&
	    ewt >= c->notified_ewt + p->wait_margin * 60))
		return;
	reason = ewt >= 0 ? R_WAIT : R_POSITION;
	if (c->skip) {
		if (!c->skip_said)
			skip_write(run, R_WAIT, c->id, q->name, event,
			    c->caller, c->skip);
		c->skip_said = 1;
		return;
	}
	if (c->nnotice > 0) {
		/* Growth past the margin: the caller must hear of it, so
		 * not held by the cooldown, but never sooner than
		 * wait_interval after their last wait notice; tried again
		 * when the estimate is next made (a position event, an
		 * agent change). */
		if (cooled(run, R_WAIT, c->e164, p->wait_interval)) {
			if (ewt > c->held_ewt)
				skip_write(run, R_WAIT, c->id, q->name, event,
				    c->e164, "wait_interval");
			c->held_ewt = ewt;
			return;
		}
	} else if (cooled(run, reason, c->e164, p->cooldown)) {
		if (c->notified_ewt < 0 || ewt > c->notified_ewt) {
			skip_write(run, R_WAIT, c->id, q->name, event,
			    c->e164, "cooldown");
			/* Tried at this estimate: only growth tries again. */
			c->notified_ewt = ewt;
			c->nnotice += c->nnotice == 0;
		}
		return;
	}
	c->nnotice++;
	c->notified_ewt = ewt;
	vars = json_object();
	if (c->position > 0)
		json_object_set_new(vars, "position",
		    json_integer(c->position));
	if (ewt >= 0)
		json_object_set_new(vars, "ewt_min",
		    json_integer((ewt + 59) / 60));
	json_object_set_new(vars, "queue", json_string(q->name));
	json_object_set_new(vars, "topic", json_string(topic_of(q,
	    c->topic)));
	qo = qobj_new(reason, c->id, q->name, event);
	if (c->position > 0)
		json_object_set_new(qo, "position", json_integer(c->position));
	if (ewt >= 0) {
		json_object_set_new(qo, "ewt_s", json_integer(ewt));
		json_object_set_new(qo, "ewt_method",
		    json_string(qn_method_name(m)));
	}
	if ((sl = service_memo(q, &s)) != NULL)
		json_object_set_new(qo, "service_level", sl);
	cool_set(run, reason, c->e164, p->cooldown);
	out_push(run, request(run, q, c, reason, c->e164, vars, qo));
}

static void
recheck_queue(struct run *run, struct queue *q, const char *event)
{
	for (size_t i = 0; i < q->nwait; i++)
		check_wait(run, q->wait[i], event);
}

/* A follow-up (abandon, timeout, missed): scheduled, cancelled by an
 * answered call or a callback of the same caller before it is due. */
static void
follow_up(struct run *run, struct queue *q, struct call *c,
    const struct qn_event *ev, int reason, const char *caller,
    const char *e164, const char *skip)
{
	const struct policy *p = &q->pol;
	const char *tz, *event = qn_kind_name(ev->kind);
	char t1[8], t2[8], at[40];
	json_t *vars, *qo, *req;
	cx_ms due, open;
	long wait_s;

	if (!p->notify[reason])
		return;
	if (skip) {
		skip_write(run, reason, ev->call_id, q->name, event, caller,
		    skip);
		return;
	}
	tz = tz_of(p, e164);
	vars = json_object();
	json_object_set_new(vars, "queue", json_string(q->name));
	json_object_set_new(vars, "topic", json_string(topic_of(q,
	    c && c->topic[0] ? c->topic : ev->topic)));
	json_object_set_new(vars, "time", json_string(hhmm(run, run->clock, tz,
	    t1)));
	/* The wait: the event's, else from the call's entry. */
	wait_s = ev->wait_s;
	if (wait_s < 0 && c && c->enter > 0 && run->clock >= c->enter)
		wait_s = (long)((run->clock - c->enter) / 1000);
	if (wait_s >= 0)
		json_object_set_new(vars, "wait_min",
		    json_integer((wait_s + 59) / 60));
	if (reason == R_MISSED) {
		open = p->have_open ? window_until(run, &p->closed, p->tz,
		    run->clock) : 0;
		if (open == 0)
			open = run->clock + p->callback_within * 60000;
		/* When the line opens, in the caller's own time. */
		json_object_set_new(vars, "callback", json_string(hhmm(run, open,
		    tz, t2)));
		json_object_set_new(vars, "callback_at", json_string(
		    cx_time_format_tz(open, tz, at) ? at :
		    cx_time_format(open, at)));
	}
	qo = qobj_new(reason, ev->call_id, q->name, event);
	if (ev->wait_s >= 0)
		json_object_set_new(qo, "wait_s", json_integer(ev->wait_s));
	req = request(run, q, c, reason, e164, vars, qo);
	if (wait_s < 0 && reason == R_TIMEOUT) {
		/* Its template says how long the caller waited: one
		 * without that phrase, NAME_nowait. */
		char *t = cx_xasprintf("%s_nowait", p->tmpl[reason]);

		json_object_set_new(req, "template", json_string(t));
		free(t);
	}
	due = run->clock + p->delay[reason] * 1000;
	json_object_set_new(qo, "due", json_string(cx_time_format(due, at)));
	pend_add(run, reason, e164, due, req);
}

/* Writes the follow-ups due by the clock, in due order. */
static void
fire_due(struct run *run)
{
	if (run->next_due == 0 || run->next_due > run->clock)
		return;
	for (;;) {
		struct pend *best = NULL;
		char key[64];
		cx_ms next = 0;

		for (size_t i = 0; i < run->pending.nb; i++)
			for (struct ent *e = run->pending.b[i]; e; e = e->next) {
				struct pend *pd = e->val;

				if (pd->due <= run->clock && (best == NULL ||
				    pd->due < best->due || (pd->due ==
				    best->due && strcmp(pd->caller,
				    best->caller) < 0)))
					best = pd;
				else if (pd->due > run->clock && (next == 0 ||
				    pd->due < next))
					next = pd->due;
			}
		if (best == NULL) {
			run->next_due = next;
			return;
		}
		pend_key(key, sizeof key, best->reason, best->caller);
		ht_del(&run->pending, key);
		pend_db_del(run, best->caller, best->reason);
		{
			const char *qn = cx_rec_str(best->req, "queue.queue");
			struct queue *q = queue_get(run, qn ? qn : "");
			const struct policy *p = &q->pol;
			json_t *req = best->req;
			const char *cid = cx_rec_str(req, "queue.call_id");
			const char *event = cx_rec_str(req, "queue.event");
			const char *tz = cx_rec_str(req, "customer.tz");
			char buf[40];
			cx_ms until;

			if (cooled(run, best->reason, best->caller,
			    p->cooldown)) {
				skip_write(run, best->reason, cid ? cid : "",
				    q->name, event ? event : "",
				    best->caller, "cooldown");
			} else if (run->st && cx_optout_check(run->st,
			    best->caller, p->chan) == 1) {
				skip_write(run, best->reason, cid ? cid : "",
				    q->name, event ? event : "",
				    best->caller, "opted_out");
			} else {
				json_object_del(json_object_get(req, "queue"),
				    "due");
				json_object_set_new(req, "ts", json_string(
				    cx_time_format(run->clock, buf)));
				until = p->have_quiet ? window_until(run,
				    &p->quiet, tz, run->clock) : 0;
				if (until) {
					/* Keep "queue" last: drop, add, add. */
					json_t *qo = json_incref(
					    json_object_get(req, "queue"));

					json_object_del(req, "queue");
					json_object_set_new(req, "not_before",
					    json_string(cx_time_format_tz(
					    until, tz, buf) ? buf :
					    cx_time_format(until, buf)));
					json_object_set_new(req, "queue", qo);
				}
				cool_set(run, best->reason, best->caller,
				    p->cooldown);
				out_push(run, json_incref(req));
			}
		}
		pend_free(best);
	}
}

/* --- events ----------------------------------------------------------------- */

static void
agent_event(struct run *run, const struct qn_event *ev)
{
	struct agent *a = agent_get(run, ev->agent);
	struct queue *q = ev->queue[0] ? queue_get(run, ev->queue) : NULL;

	switch (ev->kind) {
	case QN_AGENT_ON:
		a->present = 1;
		a->paused = ev->paused;
		if (q)
			ht_put(&q->members, ev->agent, a);
		break;
	case QN_AGENT_OFF:
		if (q && strcmp(ev->source, "REMOVEMEMBER") == 0)
			ht_del(&q->members, ev->agent);
		else
			a->present = 0;
		break;
	case QN_AGENT_PAUSE:
		a->paused = 1;
		if (q)
			ht_put(&q->members, ev->agent, a);
		break;
	case QN_AGENT_UNPAUSE:
		a->paused = 0;
		a->present = 1;
		if (q)
			ht_put(&q->members, ev->agent, a);
		break;
	default:
		return;
	}
	run->agents_gen++;
	/* Fewer agents, longer waits: check the queues this agent is in. */
	for (size_t i = 0; i < run->queues.nb; i++)
		for (struct ent *e = run->queues.b[i]; e; e = e->next) {
			struct queue *qq = e->val;
			struct qn_qstats s;

			if (qq != q && !ht_get(&qq->members, ev->agent))
				continue;
			/* Counted at every change, so that the staffing
			 * before all agents left is known. */
			stats_of(run, qq, &s);
			recheck_queue(run, qq, "agent");
		}
}

static void sweep(struct run *run);

static void
handle(struct run *run, struct qn_event *ev)
{
	struct call *c;
	struct queue *q;
	const char *skip = NULL, *caller;
	char e164[CX_PHONE_MAX] = "";
	json_t *ej;
	int reason;

	if (ev->ts_ms == 0)
		ev->ts_ms = cx_now();
	if (ev->ts_ms > run->clock || run->clock == 0)
		run->clock = ev->ts_ms;
	run->mono_at = cx_mono();
	sweep(run);	/* before the look-up: it may end this very call */
	c = ev->call_id[0] ? ht_get(&run->calls, ev->call_id) : NULL;
	fire_due(run);
	if (ev->kind == QN_OTHER || ev->kind == QN_NONE)
		return;
	if (ev->kind >= QN_AGENT_ON) {
		agent_event(run, ev);
		return;
	}
	run->nevents++;
	if (ev->queue[0] == '\0' && c)
		snprintf(ev->queue, sizeof ev->queue, "%s", c->q->name);
	q = queue_get(run, ev->queue);
	if (run->o->from == FROM_ASTERISK && strcmp(ev->source,
	    "EXITWITHKEY") == 0)
		ev->kind = strcmp(ev->key, q->pol.callback_key) == 0 ?
		    QN_CALLBACK : QN_ABANDON;
	/* The caller: the event's, else the call's (ENTERQUEUE is the only
	 * queue_log line that carries it). */
	if (ev->caller[0] == '\0' && c)
		snprintf(ev->caller, sizeof ev->caller, "%s", c->caller);
	caller = ev->caller;
	if (c && strcmp(c->caller, caller) == 0) {
		skip = c->skip;
		memcpy(e164, c->e164, sizeof e164);
	} else {
		skip = classify(run, &q->pol, caller, e164);
	}
	if (ev->topic[0] == '\0' && c && c->topic[0])
		snprintf(ev->topic, sizeof ev->topic, "%s", c->topic);
	if (ev->topic[0] == '\0' && q->pol.topic)
		snprintf(ev->topic, sizeof ev->topic, "%s", q->pol.topic);

	switch (ev->kind) {
	case QN_ENTER:
		if (c == NULL) {
			c = cx_xcalloc(1, sizeof *c);
			c->id = cx_xstrdup(ev->call_id);
			ht_put(&run->calls, c->id, c);
		} else {
			wait_remove(c);
		}
		c->q = q;
		snprintf(c->caller, sizeof c->caller, "%s", caller);
		memcpy(c->e164, e164, sizeof c->e164);
		snprintf(c->topic, sizeof c->topic, "%s", ev->topic);
		c->skip = skip;
		c->enter = run->clock;
		c->position = ev->position > 0 ? ev->position :
		    (long)q->nwait + 1;
		c->pbx_ewt = ev->ewt_s;
		c->notified_ewt = -1;
		c->waiting = 1;
		if (q->nwait == q->capwait) {
			q->capwait = q->capwait ? q->capwait * 2 : 16;
			q->wait = cx_xrealloc(q->wait, q->capwait *
			    sizeof *q->wait);
		}
		q->wait[q->nwait++] = c;
		q->arr[q->narr++ % 32] = run->clock;
		call_db_put(run, c);
		if (ev->ewt_s < 0 && ev->position < 0)
			ev->position = c->position;
		check_wait(run, c, "enter");
		if (ev->ewt_s < 0) {
			/* --events carries the estimate made at entry. */
			struct qn_qstats s;
			enum qn_method m;

			stats_of(run, q, &s);
			ev->ewt_s = qn_estimate(&s, c->position, &m);
		}
		break;
	case QN_POSITION:
		if (c && c->waiting) {
			if (ev->position > 0)
				c->position = ev->position;
			if (ev->ewt_s >= 0)
				c->pbx_ewt = ev->ewt_s;
			check_wait(run, c, "position");
		}
		break;
	case QN_CONNECT:
		if (c == NULL) {
			/* Entered before the stream began: an agent is busy
			 * all the same, until its complete line. */
			c = cx_xcalloc(1, sizeof *c);
			c->id = cx_xstrdup(ev->call_id);
			c->q = q;
			c->enter = run->clock;
			snprintf(c->caller, sizeof c->caller, "%s", caller);
			ht_put(&run->calls, c->id, c);
		}
		{
			if (c->waiting)
				call_db_del(run, c);
			wait_remove(c);
			if (!c->connected)
				q->busy++;
			c->connected = 1;
		}
		if (ev->agent[0]) {
			struct agent *a = agent_get(run, ev->agent);

			if (!ht_get(&q->members, ev->agent)) {
				ht_put(&q->members, ev->agent, a);
				run->agents_gen++;
			}
		}
		if (ev->wait_s >= 0)
			q->holdtime = qn_ewma(q->holdtime, ev->wait_s);
		if (e164[0])
			pend_cancel(run, e164, "answered");
		break;
	case QN_COMPLETE:
		if (c && c->connected && q->busy > 0)
			q->busy--;
		if (ev->talk_s > 0)
			q->aht = qn_ewma(q->naht++ ? q->aht : -1, ev->talk_s);
		if (c)
			call_end(run, c);
		c = NULL;
		break;
	case QN_CALLBACK:
		if (e164[0])
			pend_cancel(run, e164, "callback");
		if (c)
			call_end(run, c);
		c = NULL;
		break;
	case QN_WITHDRAW:
		/* Taken out of the queue (AMI QueueWithdrawCaller), to be
		 * served elsewhere: it leaves the line, with no message. */
		if (c) {
			if (c->connected && q->busy > 0)
				q->busy--;
			call_end(run, c);
		}
		c = NULL;
		break;
	case QN_ABANDON:
	case QN_TIMEOUT:
	case QN_MISSED:
		reason = ev->kind == QN_ABANDON ? R_ABANDON :
		    ev->kind == QN_TIMEOUT ? R_TIMEOUT : R_MISSED;
		if (c && c->connected) {
			/* Hung up just as an agent answered (app_queue
			 * logs ABANDON then): no follow-up. */
			if (q->busy > 0)
				q->busy--;
		} else {
			follow_up(run, q, c, ev, reason, caller, e164, skip);
		}
		if (c)
			call_end(run, c);
		c = NULL;
		break;
	default:
		break;
	}
	if (run->events && (ej = qn_event_json(ev, e164[0] ? e164 :
	    NULL)) != NULL) {
		if (json_dumpf(ej, run->events, JSON_COMPACT) == 0)
			fputc('\n', run->events);
		json_decref(ej);
	}
	fire_due(run);	/* a follow-up with no delay goes now */
}

#define STALE_MS (12 * 3600 * 1000LL)	/* a call with no end line */
#define SWEEP_MS (10 * 60 * 1000LL)	/* how often to look for them */

/* Forgets calls with no end line for 12 hours (a lost line must not hold
 * memory or a queue position for ever); by the clock, every 10 minutes
 * of it, so a quiet stream sweeps as often as a busy one. */
static void
sweep(struct run *run)
{
	cx_ms old = run->clock - STALE_MS;

	if (run->swept && run->clock - run->swept < SWEEP_MS)
		return;
	run->swept = run->clock;

	if (run->db) {
		char *sql = cx_xasprintf("DELETE FROM queue_calls WHERE "
		    "entered < %lld", (long long)old);

		tx_open(run);
		if (sqlite3_exec(run->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			state_fail(run, "DELETE queue_calls");
		free(sql);
		/* Cooldowns past their expiry, by the index. */
		sql = cx_xasprintf("DELETE FROM queue_cooldown WHERE "
		    "expires <= %lld", (long long)(cx_now() / 1000));
		if (sqlite3_exec(run->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			state_fail(run, "DELETE queue_cooldown");
		free(sql);
	}

	for (size_t i = 0; i < run->calls.nb; i++) {
		struct ent *e = run->calls.b[i];

		while (e) {
			struct call *c = e->val;

			e = e->next;
			if (c->enter < old) {
				if (c->connected && c->q->busy > 0)
					c->q->busy--;
				call_end(run, c);
			}
		}
	}
}

/* --- input ------------------------------------------------------------------- */

static void
reject(struct run *run, const char *line, size_t len, const char *why)
{
	char where[64];

	snprintf(where, sizeof where, "<stdin>:%lu", run->lineno);
	cx_warn(where, "%s", why);
	cx_status_fail();
	run->nrej++;
	if (run->rejects) {
		fwrite(line, 1, len, run->rejects);
		fputc('\n', run->rejects);
	}
}

/* --- the reader thread ----------------------------------------------------- */

/* The second core reads stdin, splits it into lines and parses them (the
 * JSON too, which never leaves the thread: an event is plain fields);
 * the main thread gets the lines' results,
 * in order, in batches.  When the reader would wait for input it says so
 * (IT_PAUSE), and the main thread then commits and writes everything, as
 * when it read stdin itself. */
enum { IT_EVENT, IT_REJECT, IT_BLANK, IT_PAUSE, IT_EOF, IT_ERROR };

struct item {
	int type;
	int err;			/* IT_ERROR: errno */
	struct qn_event ev;		/* IT_EVENT */
	char *line;			/* IT_REJECT: the line, malloc'd */
	size_t len;
	char why[200];
};

#define BATCH 128	/* items a batch */
#define NBATCH 8	/* batches in flight at most */

struct batch {
	struct item it[BATCH];
	size_t n;
	struct batch *next;
};

struct reader {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a batch published, or taken */
	struct batch *head, *tail;	/* published, oldest first */
	struct batch *spare;		/* taken and done with */
	int nb;				/* published */
	int stop;			/* the main thread is gone */
	int from;
	struct batch *cur;		/* the reader's own */
};

/* Publishes the reader's batch; waits while NBATCH are in flight.
 * Returns -1 when the main thread has stopped. */
static int
publish(struct reader *r)
{
	struct batch *b = r->cur;

	pthread_mutex_lock(&r->mu);
	while (r->nb >= NBATCH && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->stop) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	b->next = NULL;
	if (r->tail)
		r->tail->next = b;
	else
		r->head = b;
	r->tail = b;
	r->nb++;
	if ((r->cur = r->spare) != NULL)
		r->spare = r->cur->next;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->cur == NULL)
		r->cur = cx_xmalloc(sizeof *r->cur);
	r->cur->n = 0;
	return 0;
}

/* The reader's next item, publishing a full batch first; NULL when the
 * main thread has stopped. */
static struct item *
next_item(struct reader *r, int type)
{
	struct item *it;

	if (r->cur->n == BATCH && publish(r) != 0)
		return NULL;
	it = &r->cur->it[r->cur->n++];
	it->type = type;
	return it;
}

/* One line (without its newline) into an item; -1 when stopped. */
static int
parse_line(struct reader *r, const char *line, size_t len)
{
	struct item *it;
	const char *why = NULL;
	json_error_t jerr;
	json_t *o;
	size_t k = len;
	int rc;

	while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t' ||
	    line[k - 1] == '\r'))
		k--;
	if ((it = next_item(r, k == 0 ? IT_BLANK : IT_EVENT)) == NULL)
		return -1;
	if (k == 0)
		return 0;
	if (r->from == FROM_ASTERISK) {
		/* EXITWITHKEY's key is matched in handle(), by the queue's
		 * callback_key: the parser makes every key an abandon. */
		rc = qn_asterisk_parse(line, len, NULL, &it->ev, &why);
	} else {
		o = json_loadb(line, len, 0, &jerr);
		if (o == NULL || !json_is_object(o)) {
			snprintf(it->why, sizeof it->why, "not a JSON "
			    "object%s%s", o ? "" : ": ", o ? "" : jerr.text);
			json_decref(o);
			goto rejected;
		}
		rc = r->from == FROM_FREESWITCH ?
		    qn_freeswitch_parse(o, &it->ev, &why) :
		    qn_cxkit_parse(o, &it->ev, &why);
		json_decref(o);
	}
	if (rc == 0)
		return 0;
	/* why may be a parser's static buffer: copied here. */
	snprintf(it->why, sizeof it->why, "%s", why);
rejected:
	it->type = IT_REJECT;
	it->line = cx_xmalloc(len + 1);
	memcpy(it->line, line, len);
	it->len = len;
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	size_t cap = 1 << 16, len = 0, off = 0;
	char *buf = cx_xmalloc(cap);
	struct item *it;
	int eof = 0;

	while (!eof) {
		struct pollfd pfd = { 0, POLLIN, 0 };
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf + off, '\n', len - off)) != NULL) {
			if (parse_line(r, buf + off, (size_t)(nl - (buf +
			    off))) != 0)
				goto out;
			off = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
		off = 0;
		/* About to wait: the main thread commits and writes. */
		if (poll(&pfd, 1, 0) <= 0 && (next_item(r, IT_PAUSE) ==
		    NULL || publish(r) != 0))
			goto out;
		if (len == cap) {
			cap *= 2;
			buf = cx_xrealloc(buf, cap);
		}
		n = read(0, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if ((it = next_item(r, IT_ERROR)) != NULL) {
				it->err = errno;
				publish(r);
			}
			goto out;
		}
		if (n == 0)
			eof = 1;
		len += (size_t)n;
	}
	if (len > 0 && parse_line(r, buf, len) != 0)	/* no newline */
		goto out;
	if (next_item(r, IT_EOF) != NULL)
		publish(r);
out:
	free(buf);
	return NULL;
}

static void
reader_start(struct reader *r, int from)
{
	memset(r, 0, sizeof *r);
	r->from = from;
	r->cur = cx_xmalloc(sizeof *r->cur);
	r->cur->n = 0;
	pthread_mutex_init(&r->mu, NULL);
	{
		/* Timed waits (the next follow-up) on the monotonic clock:
		 * a step of the wall clock must not delay them. */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if ((errno = pthread_create(&r->th, NULL, reader_main, r)) != 0)
		cx_die(NULL, "cannot start the reader thread: %s",
		    strerror(errno));
}

/* The oldest published batch; waits for one at most timeout ms (-1:
 * for ever).  NULL when none came. */
static struct batch *
reader_take(struct reader *r, int timeout)
{
	struct batch *b;
	struct timespec ts;

	pthread_mutex_lock(&r->mu);
	if (r->head == NULL && timeout != 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += timeout / 1000;
		ts.tv_nsec += (long)(timeout % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (r->head == NULL)
			if (timeout < 0)
				pthread_cond_wait(&r->cv, &r->mu);
			else if (pthread_cond_timedwait(&r->cv, &r->mu,
			    &ts) != 0)
				break;
	}
	if ((b = r->head) != NULL) {
		if ((r->head = b->next) == NULL)
			r->tail = NULL;
		r->nb--;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	return b;
}

static void
reader_done(struct reader *r, struct batch *b)
{
	pthread_mutex_lock(&r->mu);
	b->next = r->spare;
	r->spare = b;
	pthread_mutex_unlock(&r->mu);
}

/* Stops the reader: joined when it has ended (EOF); left to the process's
 * exit when it may be waiting on stdin (stdout closed): it touches nothing
 * but its own buffers and r, which must therefore outlive this call (r is
 * static in loop()). */
static void
reader_stop(struct reader *r, int ended)
{
	struct batch *b;

	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (!ended) {
		pthread_detach(r->th);
		return;
	}
	pthread_join(r->th, NULL);
	while ((b = reader_take(r, 0)) != NULL) {
		for (size_t i = 0; i < b->n; i++)
			if (b->it[i].type == IT_REJECT)
				free(b->it[i].line);
		free(b);
	}
	while ((b = r->spare) != NULL) {
		r->spare = b->next;
		free(b);
	}
	free(r->cur);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

/* SQLite's own checkpoints run inside a COMMIT, between an event and
 * its request; ours run when the input pauses, after the output is out
 * (or, in a bulk run, between batches). */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct run *run = arg;

	run->wal_pages = pages;
	return SQLITE_OK;
}

static void
checkpoint(struct run *run, int min_pages)
{
	if (run->db == NULL || run->wal_pages < min_pages)
		return;
	/* PASSIVE: never waits for the pipeline's other readers. */
	sqlite3_wal_checkpoint_v2(run->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	run->wal_pages = 0;
}

static void
flush_all(struct run *run)
{
	sync_out(run);
	cx_ndjson_flush();
	if (run->events)
		fflush(run->events);
	if (run->skipped)
		fflush(run->skipped);
	if (run->rejects)
		fflush(run->rejects);
}

/* Applies the items of a batch, in order; 1 at the end of input, -1
 * (errno set) when stdin failed. */
static int
apply(struct run *run, struct batch *b, int *paused)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];

		*paused = 0;
		switch (it->type) {
		case IT_EVENT:
			run->lineno++;
			handle(run, &it->ev);
			break;
		case IT_REJECT:
			run->lineno++;
			reject(run, it->line, it->len, it->why);
			free(it->line);
			break;
		case IT_BLANK:
			run->lineno++;
			break;
		case IT_PAUSE:
			*paused = 1;
			break;
		case IT_EOF:
			return 1;
		case IT_ERROR:
			errno = it->err;
			return -1;
		}
		/* A bulk run commits (and then writes) in large batches; a
		 * live one at every pause of its input, below. */
		if (run->lineno - run->synced >= 8192 || run->nout >= 4096) {
			sync_out(run);
			run->synced = run->lineno;
			checkpoint(run, 4000);
		}
	}
	return 0;
}

static void
loop(struct run *run)
{
	/* Static, not on the stack: when stdout closes, the reader is left
	 * running (it may be blocked reading stdin) and still uses r while
	 * this thread tidies up and exits. */
	static struct reader r;
	struct batch *b;
	int eof = 0, paused = 0;

	/* The reader converts times while this thread sets TZ for callers'
	 * zones: safe, as cx_init() made glibc read $TZ once already. */
	reader_start(&r, run->o->from);
	while (!eof && !cx_ndjson_closed()) {
		b = reader_take(&r, 0);
		while (b == NULL && paused) {
			int timeout = -1;

			/* About to wait: everything out, then sleep until
			 * input or the next follow-up. */
			flush_all(run);
			checkpoint(run, 1000);
			if (run->next_due && run->clock) {
				cx_ms now = run->clock + (cx_mono() -
				    run->mono_at);

				timeout = run->next_due <= now ? 0 :
				    (int)(run->next_due - now > 3600000 ?
				    3600000 : run->next_due - now);
			}
			if ((b = reader_take(&r, timeout)) != NULL)
				break;
			if (run->clock) {
				cx_ms m = cx_mono();

				run->clock += m - run->mono_at;
				run->mono_at = m;
				sweep(run);
				fire_due(run);
				sync_out(run);
			}
		}
		if (b == NULL)
			b = reader_take(&r, -1);
		eof = apply(run, b, &paused);
		reader_done(&r, b);
		if (eof < 0) {
			int e = errno;

			reader_stop(&r, 1);
			cx_die("<stdin>", "read: %s", strerror(e));
		}
	}
	sync_out(run);
	reader_stop(&r, eof);
}

static FILE *
open_out(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f == NULL)
		cx_die(NULL, "%s: %s", path, strerror(errno));
	return f;
}

static void
close_out(FILE *f, const char *path)
{
	if (f && (fflush(f) != 0 || ferror(f) || fclose(f) != 0)) {
		cx_err(NULL, "%s: write error", path);
		cx_status_fatal();
	}
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run run = { .o = &o };
	char *err = NULL;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	run.cfg = cx_config_load(o.common.config, &err);
	if (run.cfg == NULL)
		cx_die(NULL, "%s", err);
	run.def = cx_config_get(run.cfg, "defaults", NULL);
	if (run.def && cx_section_check(run.def, cx_config_defaults_keys,
	    &err) != 0)
		cx_die(NULL, "%s", err);
	run.qdef = cx_config_get(run.cfg, "queue", NULL);
	run.region = o.region;
	if (run.region == NULL)
		run.region = qget(&run, NULL, "region");
	if (run.region && cx_phone_cc(run.region) == 0)
		cx_die(NULL, "region: '%s' is not a known country code",
		    run.region);
	for (const struct cx_section *s = NULL; (s = cx_config_next(run.cfg,
	    "queue", s)) != NULL; ) {
		struct policy p;

		if (cx_section_check(s, queue_keys, &err) != 0)
			cx_die(NULL, "%s", err);
		policy_load(&run, s, &p);	/* dies on a bad value */
		dnn_of(&run, &p);		/* ... or a bad list */
	}
	run.home_lang = run.region == NULL ? "en" :
	    strcmp(run.region, "CN") == 0 ? "zh-CN" :
	    strcmp(run.region, "TW") == 0 ? "zh-TW" :
	    strcmp(run.region, "HK") == 0 ? "zh-HK" :
	    strcmp(run.region, "MO") == 0 ? "zh-MO" : "en";
	run.st = cx_state_open(o.common.state, &err);
	if (run.st == NULL)
		cx_die(NULL, "%s", err);
	if (!o.common.dry_run) {
		run.db = cx_state_db(run.st);
		if (sqlite3_prepare_v2(run.db, "INSERT OR REPLACE INTO "
		    "queue_pending (caller, reason, due, call_id, queue, "
		    "request, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		    -1, &run.ins, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "INSERT OR REPLACE INTO "
		    "queue_calls (call_id, caller, queue, topic, entered, "
		    "position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
		    &run.cins, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "DELETE FROM queue_calls "
		    "WHERE call_id = ?1", -1, &run.cdel, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "DELETE FROM queue_pending "
		    "WHERE caller = ?1 AND reason = ?2", -1, &run.del,
		    NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "INSERT INTO queue_cooldown "
		    "(key, at, expires) VALUES (?1, ?2, ?3)", -1, &run.kins,
		    NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "BEGIN IMMEDIATE", -1,
		    &run.begin, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(run.db, "COMMIT", -1, &run.commit,
		    NULL) != SQLITE_OK)
			state_fail(&run, "prepare");
	}
	if (run.db)
		sqlite3_wal_hook(run.db, wal_hook, &run);
	pend_load(&run);
	calls_load(&run);
	cool_load(&run);
	if (o.common.rejects)
		run.rejects = open_out(o.common.rejects);
	if (o.events)
		run.events = open_out(o.events);
	if (o.skipped)
		run.skipped = open_out(o.skipped);

	loop(&run);

	cx_info(NULL, "%lu lines, %lu queue events, %lu requests, %lu not "
	    "made, %lu rejected, %zu follow-ups pending", run.lineno,
	    run.nevents, run.nreq, run.nskip, run.nrej, run.pending.n);
	close_out(run.events, o.events);
	close_out(run.skipped, o.skipped);
	close_out(run.rejects, o.common.rejects);
	sqlite3_finalize(run.ins);
	sqlite3_finalize(run.del);
	sqlite3_finalize(run.cins);
	sqlite3_finalize(run.cdel);
	sqlite3_finalize(run.kins);
	sqlite3_finalize(run.begin);
	sqlite3_finalize(run.commit);
	ht_free(&run.calls, call_free);
	ht_free(&run.queues, queue_free);
	ht_free(&run.agents, free);
	ht_free(&run.pending, pend_free);
	ht_free(&run.cool, free);
	ht_free(&run.dnnf, dnn_free);
	ht_free(&run.tzc, free);
	free(run.out);
	free(run.fresh);
	free(run.js);
	cx_state_close(run.st);
	cx_config_free(run.cfg);
	return cx_finish();
}
