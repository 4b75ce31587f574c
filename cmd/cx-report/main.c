/* cx-report - the numbers that show whether SMS and IM relieve the hotline
 *
 * SPDX-License-Identifier: MIT
 * Reads any mix of cxkit records (queue events, sms/im results, inbound
 * messages with intents, delivery receipts, ticket events) and writes one
 * report: a table, JSON, CSV, Markdown or a self-contained HTML page with
 * SVG charts.  --partial writes the sums instead (partial.c) and --merge
 * adds such partials up, so shards of a month of logs give the report of
 * the whole month.  See cx-report(1) and cxkit(7).
 *
 * Input is read in blocks of whole lines; with --jobs N, N - 1 threads
 * (and this one, when it would wait) parse and classify blocks and count
 * their lines (scan.c reads the fields
 * without a tree; jansson reads the few lines it is not sure of) while
 * this thread adds the classified events up in input order, so the report
 * does not depend on N.  jansson's allocator is process-wide: each thread
 * bumps through its own arena, reset after every record (--alloc=arena,
 * the default).
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

enum { F_TABLE, F_JSON, F_CSV, F_MD, F_HTML };
static const char *const fmt_names[] = {
	"table", "json", "csv", "markdown", "html", NULL
};

struct opts {
	struct cx_common common;
	struct rp_conf conf;
	int format, partial, merge, jobs, libc_alloc;
	const char *by, *from, *to, *tz;
	double short_ab, sl_t, repeat_days, conv_gap;
	int sl_formula, timeout_as, delivery, resolution, top, replies;
};

enum {
	OPT_FROM = CX_OPT_BASE + 0x40, OPT_TO, OPT_TZ, OPT_SHOW_PII,
	OPT_PARTIAL, OPT_MERGE, OPT_SHORT, OPT_SLT, OPT_SLF, OPT_TIMEOUT,
	OPT_REPEAT, OPT_UNCENSORED, OPT_DELIVERY, OPT_RESOLUTION, OPT_TOP,
	OPT_ALLOC, OPT_REPLIES, OPT_CONV_GAP, OPT_DEDUP,
};

static const char doc[] =
    "Report on any mix of cxkit records read on stdin: the hotline's "
    "abandon and busy rates, wait and service level, messages sent, "
    "delivered and their cost, reply and resolution times, repeat "
    "contacts, CSAT and opt-outs.\v"
    "See cx-report(1) for every metric's formula and convention.";

static const struct argp_option options[] = {
	{ "alloc", OPT_ALLOC, "arena|libc", 0,
	  "jansson's allocator: a per-thread arena reset after each record "
	  "(default), or malloc", 0 },
	{ "by", 'b', "KEYS", 0,
	  "Group by channel, queue, provider, intent, agent, template, day, "
	  "hour, week (comma-separated)", 0 },
	{ "conversation-gap", OPT_CONV_GAP, "H", 0,
	  "An inbound message opens a new conversation after H hours "
	  "without one (default 24)", 0 },
	{ "dedup", OPT_DEDUP, NULL, 0,
	  "Count a queue event once when its call_id, event and ts repeat",
	  0 },
	{ "delivery-base", OPT_DELIVERY, "receipts|sent", 0,
	  "Delivery rate over delivery receipts (default) or over messages "
	  "sent", 0 },
	{ "format", 'f', "FMT", 0,
	  "table, json, csv, markdown or html (default: table on a terminal, "
	  "else json)", 0 },
	{ "from", OPT_FROM, "TIME", 0,
	  "Only records at or after TIME (RFC 3339, or a date in --tz)", 0 },
	{ "jobs", 'j', "N", 0, "Use N threads in all (default 1)", 0 },
	{ "merge", OPT_MERGE, NULL, 0,
	  "Read partial results (from --partial) instead of records and "
	  "combine them", 0 },
	{ "partial", OPT_PARTIAL, NULL, 0,
	  "Write mergeable partial results instead of the report", 0 },
	{ "replies", OPT_REPLIES, "agent|any", 0,
	  "Sends that answer a customer: not queue notices or templated "
	  "sends (agent, the default), or any", 0 },
	{ "repeat-days", OPT_REPEAT, "N", 0,
	  "Repeat-contact window in days (default 7)", 0 },
	{ "resolution", OPT_RESOLUTION, "first|full", 0,
	  "Resolution time to the first solve (default) or the latest", 0 },
	{ "short-abandon", OPT_SHORT, "S", 0,
	  "Abandons within S seconds are short and left out of the abandon "
	  "rate (default 5; 0: none)", 0 },
	{ "show-pii", OPT_SHOW_PII, NULL, 0,
	  "Show phone numbers and agents' names unmasked", 0 },
	{ "sl-formula", OPT_SLF, "NAME", 0,
	  "Service level: icmi (default), answered, offered, neutral or "
	  "short", 0 },
	{ "sl-threshold", OPT_SLT, "T", 0,
	  "Service level counts calls answered within T seconds (default "
	  "20)", 0 },
	{ "timeout-as", OPT_TIMEOUT, "overflow|abandon", 0,
	  "Count queue timeouts as overflow (default) or as abandons", 0 },
	{ "to", OPT_TO, "TIME", 0,
	  "Only records before TIME (RFC 3339, or a date in --tz)", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "Rows of the ranked failure reasons and intents (default 10)", 0 },
	{ "tz", OPT_TZ, "ZONE", 0,
	  "Time zone of days, hours and weeks (default: [report] tz, "
	  "[defaults] tz, else UTC)", 0 },
	{ "uncensored", OPT_UNCENSORED, NULL, 0,
	  "Count contacts whose repeat window has not ended yet", 0 },
	{ 0 }
};

static int
pick(struct argp_state *state, const char *opt, const char *arg,
    const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	argp_error(state, "%s: unknown value '%s'", opt, arg);
	return -1;
}

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	static const char *const tmo[] = { "overflow", "abandon", NULL };
	static const char *const dlv[] = { "receipts", "sent", NULL };
	static const char *const res[] = { "first", "full", NULL };
	static const char *const alc[] = { "arena", "libc", NULL };
	static const char *const rpl[] = { "agent", "any", NULL };
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		break;
	case 'b':
		o->by = arg;
		break;
	case 'f':
		o->format = pick(state, "--format", arg, fmt_names);
		break;
	case 'j':
		o->jobs = (int)cx_opt_long(state, "--jobs", arg, 1, 64);
		break;
	case OPT_FROM:
		o->from = arg;
		break;
	case OPT_TO:
		o->to = arg;
		break;
	case OPT_TZ:
		if (!cx_tz_valid(arg))
			argp_error(state, "--tz: '%s' is not a known time "
			    "zone", arg);
		o->tz = arg;
		break;
	case OPT_SHOW_PII:
		o->conf.show_pii = 1;
		break;
	case OPT_PARTIAL:
		o->partial = 1;
		break;
	case OPT_MERGE:
		o->merge = 1;
		break;
	case OPT_SHORT:
		o->short_ab = cx_opt_double(state, "--short-abandon", arg, 0,
		    3600);
		break;
	case OPT_SLT:
		o->sl_t = cx_opt_double(state, "--sl-threshold", arg, 0,
		    86400);
		break;
	case OPT_SLF:
		o->sl_formula = pick(state, "--sl-formula", arg, rp_sl_names);
		if (o->sl_formula == 0)
			argp_error(state, "--sl-formula: unknown value ''");
		break;
	case OPT_TIMEOUT:
		o->timeout_as = pick(state, "--timeout-as", arg, tmo) + 1;
		break;
	case OPT_REPEAT:
		o->repeat_days = cx_opt_double(state, "--repeat-days", arg,
		    0.001, 366);
		break;
	case OPT_UNCENSORED:
		o->conf.uncensored = 1;
		break;
	case OPT_DELIVERY:
		o->delivery = pick(state, "--delivery-base", arg, dlv) + 1;
		break;
	case OPT_RESOLUTION:
		o->resolution = pick(state, "--resolution", arg, res) + 1;
		break;
	case OPT_TOP:
		o->top = (int)cx_opt_long(state, "--top", arg, 1, 100000);
		break;
	case OPT_DEDUP:
		o->conf.dedup = 1;
		break;
	case OPT_REPLIES:
		o->replies = pick(state, "--replies", arg, rpl) + 1;
		break;
	case OPT_CONV_GAP:
		o->conv_gap = cx_opt_double(state, "--conversation-gap", arg,
		    0.001, 24 * 366);
		break;
	case OPT_ALLOC:
		o->libc_alloc = pick(state, "--alloc", arg, alc);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': records are read "
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

/* ---- jansson's allocator: a bump arena per thread ---- */

#define ARENA_CAP (4u << 20)
#define HDR 16
struct arena {
	char *p;
	size_t used;
	int on;
};
static __thread struct arena arena;

static void *
ar_malloc(size_t n)
{
	char *p;

	n = (n + HDR - 1) & ~(size_t)(HDR - 1);
	if (arena.on && arena.used + n + HDR <= ARENA_CAP) {
		p = arena.p + arena.used;
		arena.used += n + HDR;
		p[0] = 1;
		return p + HDR;
	}
	p = malloc(n + HDR);
	if (p == NULL)
		return NULL;
	p[0] = 2;
	return p + HDR;
}

static void
ar_free(void *v)
{
	char *p = v;

	if (p && p[-HDR] == 2)
		free(p - HDR);
}

static void
arena_free(void)
{
	free(arena.p);
	arena.p = NULL;
	arena.on = 0;
}

static void
arena_on(void)
{
	if (arena.p == NULL)
		arena.p = cx_xmalloc(ARENA_CAP);
	arena.on = 1;
}

/* ---- chunks of input ---- */

struct bad {
	unsigned long line;
	const char *why;	/* in the chunk's strings */
	size_t off, len;	/* the line in buf */
};

struct chunk {
	char *buf;
	size_t len, cap;
	unsigned long nlines;	/* lines in buf (parse_chunk counts them) */
	struct rp_ev *ev;
	int nev, capev;
	struct bad *bad;
	int nbad, capbad;
	uint64_t unknown;
	unsigned long first_unknown;
	struct rp_strs st;
	char *scratch;		/* rp_scan()'s */
	size_t scap;
	int state;		/* 0 free, 1 to parse, 2 parsing, 3 parsed */
	int eof;
};

static void
add_bad(struct chunk *c, unsigned long line, const char *why, size_t off,
    size_t len)
{
	if (c->nbad == c->capbad) {
		c->capbad = c->capbad ? 2 * c->capbad : 16;
		c->bad = cx_xrealloc(c->bad, (size_t)c->capbad *
		    sizeof *c->bad);
	}
	c->bad[c->nbad++] = (struct bad){ line, rp_strs_dup(&c->st, why,
	    strlen(why)), off, len };
}

/* Adds what rp_classify_fields() made of the record at line. */
static void
classified(struct chunk *c, int kind, const char *err, unsigned long line,
    size_t off, size_t len)
{
	if (kind < 0) {
		char why[200];

		snprintf(why, sizeof why, "record skipped: %s", err);
		add_bad(c, line, why, off, len);
	} else if (kind == K_UNKNOWN) {
		if (c->unknown++ == 0)
			c->first_unknown = line;
	} else {
		c->ev[c->nev++].line = line;
	}
}

/* Each line is read by rp_scan() (scan.c), without a tree; the few it
 * is not sure of are read by jansson, which also words the errors. */
static void
parse_chunk(struct chunk *c, int use_arena)
{
	unsigned long line = 0;	/* numbers within the chunk: the thread
				 * that applies it adds the lines before */
	size_t off = 0;

	if (use_arena)
		arena_on();
	while (off < c->len) {
		char *nl = memchr(c->buf + off, '\n', c->len - off);
		size_t end = nl ? (size_t)(nl - c->buf) : c->len, k;
		json_error_t jerr;
		json_t *rec;
		const char *err = NULL;
		struct rp_fields f;
		int kind;

		line++;
		for (k = off; k < end && strchr(" \t\r", c->buf[k]); k++)
			;
		if (k == end) {
			off = end + 1;
			continue;
		}
		if (c->nev == c->capev) {
			c->capev = c->capev ? 2 * c->capev : 1024;
			c->ev = cx_xrealloc(c->ev, (size_t)c->capev *
			    sizeof *c->ev);
		}
		if (c->scap < 2 * (end - off) + 64) {
			c->scap = 2 * (end - off) + 64;
			free(c->scratch);
			c->scratch = cx_xmalloc(c->scap);
		}
		if (rp_scan(c->buf + off, end - off, &f, c->scratch)) {
			kind = rp_classify_fields(&f, &c->ev[c->nev], &c->st,
			    &err);
			classified(c, kind, err, line, off, end - off);
			off = end + 1;
			continue;
		}
		rec = json_loadb(c->buf + off, end - off, 0, &jerr);
		if (rec == NULL || !json_is_object(rec)) {
			char why[200];

			if (rec == NULL)
				snprintf(why, sizeof why, "not JSON: %s",
				    jerr.text);
			else
				snprintf(why, sizeof why, "not a JSON object");
			add_bad(c, line, why, off, end - off);
		} else {
			kind = rp_classify(rec, &c->ev[c->nev], &c->st, &err);
			classified(c, kind, err, line, off, end - off);
		}
		json_decref(rec);
		arena.used = 0;
		off = end + 1;
	}
	c->nlines = line;
}

/* ---- the run ---- */

struct run {
	struct opts *o;
	struct rp_agg agg;
	FILE *rejects;
	uint64_t bad;
	unsigned long line;	/* lines of the chunks applied */
	/* threads */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *ring;
	int nring, stop;
	unsigned long next_parse;	/* sequence numbers */
	unsigned long seq_of[64];
};

static void
apply_chunk(struct run *run, struct chunk *c)
{
	for (int i = 0; i < c->nbad; i++) {
		struct bad *b = &c->bad[i];

		cx_err(NULL, "<stdin>:%lu: %s", run->line + b->line, b->why);
		cx_status_fail();
		run->bad++;
		if (run->rejects) {
			fwrite(c->buf + b->off, 1, b->len, run->rejects);
			fputc('\n', run->rejects);
		}
	}
	for (int i = 0; i < c->nev; i++) {
		c->ev[i].line += run->line;
		rp_apply(&run->agg, &c->ev[i]);
	}
	if (c->unknown && run->agg.unknown == 0)
		run->agg.first_unknown = run->line + c->first_unknown;
	run->line += c->nlines;
	run->agg.unknown += c->unknown;
	run->agg.records += c->unknown + (uint64_t)c->nbad;
	run->agg.bad += (uint64_t)c->nbad;
	c->nev = c->nbad = 0;
	c->unknown = 0;
	rp_strs_reset(&c->st);
}

#define BLOCK (1u << 20)

/* Fills c with whole lines: the carry (a partial line) first, then reads
 * until BLOCK bytes or the end.  Returns 0 at the end of input with
 * nothing read. */
static int
fill_chunk(struct chunk *c, struct cx_buf *carry)
{
	size_t last;
	ssize_t n;
	int eof = 0;
	char *nl;

	if (c->cap < BLOCK + carry->len) {
		c->cap = BLOCK + carry->len;
		c->buf = cx_xrealloc(c->buf, c->cap);
	}
	if (carry->len)
		memcpy(c->buf, carry->s, carry->len);
	c->len = carry->len;
	carry->len = 0;
	for (;;) {
		if (c->len == c->cap) {
			c->cap *= 2;
			c->buf = cx_xrealloc(c->buf, c->cap);
		}
		n = read(0, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cx_die("<stdin>", "%s", strerror(errno));
		if (n == 0) {
			eof = 1;
			break;
		}
		c->len += (size_t)n;
		if (c->len >= BLOCK && memrchr(c->buf, '\n', c->len))
			break;
	}
	/* Cut after the last newline; the rest is carried (at the end of
	 * input a last line without a newline is taken whole). */
	last = c->len;
	if (!eof) {
		nl = memrchr(c->buf, '\n', c->len);
		last = (size_t)(nl - c->buf) + 1;
	}
	cx_buf_add(carry, c->buf + last, c->len - last);
	c->len = last;
	c->eof = eof;
	return !(eof && c->len == 0);
}

/* The unparsed block that came first, or NULL (under run->mu). */
static struct chunk *
next_unparsed(struct run *run)
{
	struct chunk *c = NULL;

	for (int i = 0; i < run->nring; i++)
		if (run->ring[i].state == 1 && (c == NULL ||
		    run->seq_of[i] < run->seq_of[c - run->ring]))
			c = &run->ring[i];
	return c;
}

/* Parses c, taken from the ring under run->mu (released meanwhile). */
static void
parse_taken(struct run *run, struct chunk *c)
{
	c->state = 2;
	pthread_mutex_unlock(&run->mu);
	parse_chunk(c, !run->o->libc_alloc);
	pthread_mutex_lock(&run->mu);
	c->state = 3;
	pthread_cond_broadcast(&run->cv);
}

static void *
worker(void *v)
{
	struct run *run = v;

	pthread_mutex_lock(&run->mu);
	for (;;) {
		struct chunk *c = next_unparsed(run);

		if (c == NULL) {
			if (run->stop)
				break;
			pthread_cond_wait(&run->cv, &run->mu);
			continue;
		}
		parse_taken(run, c);
	}
	pthread_mutex_unlock(&run->mu);
	arena_free();
	return NULL;
}

static void
read_records(struct run *run)
{
	struct cx_buf carry = { 0 };
	unsigned long seq = 0, applied = 0;
	int jobs = run->o->jobs, more = 1;
	pthread_t th[64];

	if (jobs <= 1) {
		struct chunk c = { 0 };

		while (more) {
			more = fill_chunk(&c, &carry) && !c.eof;
			parse_chunk(&c, !run->o->libc_alloc);
			apply_chunk(run, &c);
		}
		free(c.buf);
		free(c.ev);
		free(c.bad);
		free(c.scratch);
		cx_buf_free(&carry);
		return;
	}
	/* N threads in all: N - 1 parse, and this one reads, adds up in
	 * order and, rather than wait for the next block, parses one. */
	run->nring = 2 * jobs + 2;
	run->ring = cx_xcalloc((size_t)run->nring, sizeof *run->ring);
	pthread_mutex_init(&run->mu, NULL);
	pthread_cond_init(&run->cv, NULL);
	for (int i = 0; i < jobs - 1; i++)
		if (pthread_create(&th[i], NULL, worker, run) != 0)
			cx_die(NULL, "cannot start a thread");
	while (more || applied < seq) {
		struct chunk *c;
		int slot;

		if (more && seq - applied < (unsigned long)run->nring) {
			slot = (int)(seq % (unsigned long)run->nring);
			c = &run->ring[slot];
			more = fill_chunk(c, &carry) && !c->eof;
			pthread_mutex_lock(&run->mu);
			run->seq_of[slot] = seq++;
			c->state = 1;
			pthread_cond_broadcast(&run->cv);
			pthread_mutex_unlock(&run->mu);
			continue;
		}
		slot = (int)(applied % (unsigned long)run->nring);
		c = &run->ring[slot];
		pthread_mutex_lock(&run->mu);
		while (c->state != 3) {
			struct chunk *u = next_unparsed(run);

			if (u != NULL)
				parse_taken(run, u);
			else
				pthread_cond_wait(&run->cv, &run->mu);
		}
		pthread_mutex_unlock(&run->mu);
		apply_chunk(run, c);
		/* Free for the next block: the workers read states locked. */
		pthread_mutex_lock(&run->mu);
		c->state = 0;
		pthread_mutex_unlock(&run->mu);
		applied++;
	}
	pthread_mutex_lock(&run->mu);
	run->stop = 1;
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->mu);
	for (int i = 0; i < jobs - 1; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < run->nring; i++) {
		free(run->ring[i].buf);
		free(run->ring[i].ev);
		free(run->ring[i].bad);
		free(run->ring[i].scratch);
	}
	free(run->ring);
	cx_buf_free(&carry);
}

/* A partial read by --merge, with where it began. */
struct part {
	json_t *j;
	int64_t tmin;		/* INT64_MIN: no time */
	unsigned long line;
};

static int
cmp_part(const void *x, const void *y)
{
	const struct part *a = x, *b = y;

	if (a->tmin != b->tmin)
		return a->tmin < b->tmin ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* Partials are merged in the order of their first record's time, not
 * the order they come in: a customer's reply and repeat figures need the
 * earlier part first, and parallel(1) without -k, or a shell glob, may
 * give them in any order.  So they are all read first (a partial holds
 * sums, not records: memory grows with customers and tickets, as one
 * run's does, times the number of partials). */
static void
read_partials(struct run *run)
{
	struct cx_ndjson_in in;
	struct part *v = NULL;
	int n = 0, cap = 0;
	json_t *j;
	const char *err;

	cx_ndjson_open(&in, &run->o->common);
	while ((j = cx_ndjson_next(&in)) != NULL) {
		struct rp_agg scratch;
		json_t *t;
		int bad;

		/* Checked whole on a scratch copy first, so that a bad
		 * partial adds nothing at all. */
		rp_agg_init(&scratch, &run->o->conf);
		bad = rp_partial_merge(&scratch, j, &err);
		rp_agg_free(&scratch);
		if (bad) {
			cx_err(cx_ndjson_where(&in), "not a partial result of "
			    "cx-report: %s", err);
			cx_status_fail();
			json_decref(j);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = cx_xrealloc(v, (size_t)cap * sizeof *v);
		}
		t = json_object_get(j, "tmin");
		v[n].j = j;
		v[n].tmin = json_is_integer(t) ? json_integer_value(t) :
		    INT64_MIN;
		v[n++].line = in.lineno;
	}
	cx_ndjson_close(&in);
	qsort(v, (size_t)n, sizeof *v, cmp_part);
	for (int i = 0; i < n; i++) {
		if (rp_partial_merge(&run->agg, v[i].j, &err) != 0) {
			cx_err(NULL, "<stdin>:%lu: not a partial result of "
			    "cx-report: %s", v[i].line, err);
			cx_status_fail();
		}
		json_decref(v[i].j);
	}
	free(v);
}

/* ---- configuration ---- */

static double
conf_num(const struct cx_section *s, const char *key, double min,
    double max, double def)
{
	char *err = NULL;
	double v = def;

	if (s && cx_section_double(s, key, min, max, &v, &err) != 0)
		cx_die(NULL, "%s", err);
	return v;
}

static int
conf_hhmm(const struct cx_section *s, const char *key, int def)
{
	const char *v = s ? cx_section_get(s, key) : NULL;
	int h, m;
	char c;

	if (v == NULL)
		return def;
	if (sscanf(v, "%d:%d%c", &h, &m, &c) != 2 || h < 0 || h > 24 ||
	    m < 0 || m > 59)
		cx_die(NULL, "%s", cx_section_err(s, key, "'%s' is not a time "
		    "HH:MM", v));
	return h * 60 + m;
}

/* RFC 3339, or a date YYYY-MM-DD at midnight in the report's zone. */
static int64_t
time_arg(const char *opt, const char *s)
{
	cx_ms t;
	struct tm tm = { 0 };
	char *end;

	if (cx_time_parse(s, &t) == 0)
		return t;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0') {
		cx_err(NULL, "%s: '%s' is not an RFC 3339 time or a date "
		    "YYYY-MM-DD", opt, s);
		exit(CX_EXIT_USAGE);
	}
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static void
configure(struct opts *o, struct cx_config *cfg)
{
	static const char *const sla_keys[] = {
		"phone_answer_s", "online_reply_s", "ticket_accept_s",
		"workday_end", NULL
	};
	static const char *const report_keys[] = {
		"tz", "currency", "price", "short_abandon_s",
		"sl_threshold_s", "sl_formula", "repeat_days", "secret", NULL
	};
	const struct cx_section *rep = cx_config_get(cfg, "report", NULL),
	    *sla = cx_config_get(cfg, "sla", NULL),
	    *def = cx_config_get(cfg, "defaults", NULL);
	struct rp_conf *c = &o->conf;
	char *err = NULL;
	const char *tz, *v;

	if (sla && cx_section_check(sla, sla_keys, &err) != 0)
		cx_die(NULL, "%s", err);
	for (int i = 0; rep && i < rep->nkv; i++) {
		const char *k = rep->kv[i].key;
		int known = strncmp(k, "price_", 6) == 0 && k[6];

		for (int j = 0; report_keys[j] && !known; j++)
			known = strcmp(k, report_keys[j]) == 0;
		if (!known)
			cx_die(NULL, "%s", cx_section_err(rep, k, "unknown key "
			    "(see cx-report(1), CONFIGURATION)"));
		if (strncmp(k, "price_", 6) == 0) {
			c->prices = cx_xrealloc(c->prices, (size_t)(c->nprices
			    + 1) * sizeof *c->prices);
			c->prices[c->nprices].name = cx_xstrdup(k + 6);
			c->prices[c->nprices++].price = conf_num(rep, k, 0,
			    1e6, 0);
		}
	}
	if (rep && cx_section_get(rep, "secret")) {
		char *sec = cx_section_secret(rep, "secret", &err);

		if (sec == NULL)
			cx_die(NULL, "%s", err);
		if (*sec == '\0')
			cx_die(NULL, "%s", cx_section_err(rep, "secret",
			    "empty"));
		rp_hash_key(sec);
		cx_secret_free(sec);
	}
	c->price = conf_num(rep, "price", 0, 1e6, 0);
	c->currency = rep ? cx_section_get(rep, "currency") : NULL;
	tz = o->tz ? o->tz : rep && cx_section_get(rep, "tz") ?
	    cx_section_get(rep, "tz") : def ? cx_section_get(def, "tz") : NULL;
	if (tz == NULL)
		tz = "UTC";
	if (!cx_tz_valid(tz))
		cx_die(NULL, "tz: '%s' is not a known time zone", tz);
	c->tz = tz;
	setenv("TZ", tz, 1);
	tzset();
	c->short_abandon = o->short_ab >= 0 ? o->short_ab :
	    conf_num(rep, "short_abandon_s", 0, 3600, 5);
	c->sl_t = o->sl_t >= 0 ? o->sl_t :
	    conf_num(rep, "sl_threshold_s", 0, 86400, 20);
	c->sl_formula = o->sl_formula;
	if (c->sl_formula == 0 && rep &&
	    (v = cx_section_get(rep, "sl_formula")) != NULL) {
		for (int i = 1; i <= SL_SHORT; i++)
			if (strcmp(v, rp_sl_names[i]) == 0)
				c->sl_formula = i;
		if (c->sl_formula == 0)
			cx_die(NULL, "%s", cx_section_err(rep, "sl_formula",
			    "'%s' is not icmi, answered, offered, neutral or "
			    "short", v));
	}
	if (c->sl_formula == 0)
		c->sl_formula = SL_ICMI;
	c->repeat_s = 86400 * (o->repeat_days > 0 ? o->repeat_days :
	    conf_num(rep, "repeat_days", 0.001, 366, 7));
	c->timeout_abandon = o->timeout_as == 2;
	c->delivery_sent = o->delivery == 2;
	c->resolution_full = o->resolution == 2;
	c->replies_any = o->replies == 2;
	c->conv_gap = 3600 * (o->conv_gap > 0 ? o->conv_gap : 24);
	c->top = o->top ? o->top : 10;
	c->sla_phone = conf_num(sla, "phone_answer_s", 0, 86400, 15);
	c->sla_online = conf_num(sla, "online_reply_s", 0, 86400 * 7, 30);
	c->sla_ticket = conf_num(sla, "ticket_accept_s", 0, 86400 * 30, 7200);
	c->work_end = conf_hhmm(sla, "workday_end", 18 * 60);
	c->from = o->from ? time_arg("--from", o->from) : INT64_MIN;
	c->to = o->to ? time_arg("--to", o->to) : INT64_MAX;
	if (c->from >= c->to && o->from && o->to)
		cx_die(NULL, "--from must come before --to");
	if (o->by) {
		for (const char *p = o->by; *p; ) {
			size_t k = strcspn(p, ",");
			int found = -1;

			for (int i = 0; i < BY_N; i++)
				if (strlen(rp_by_names[i]) == k &&
				    strncmp(rp_by_names[i], p, k) == 0)
					found = i;
			if (found < 0) {
				cx_err(NULL, "--by: unknown key '%.*s' "
				    "(channel, queue, provider, intent, agent, "
				    "template, day, hour, week)", (int)k, p);
				exit(CX_EXIT_USAGE);
			}
			for (int i = 0; i < c->nby; i++)
				if (c->by[i] == found) {
					cx_err(NULL, "--by: '%s' given twice",
					    rp_by_names[found]);
					exit(CX_EXIT_USAGE);
				}
			c->by[c->nby++] = found;
			p += k + (p[k] == ',');
		}
	}
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run run = { .o = &o };
	struct cx_config *cfg;
	char *err = NULL;

	json_set_alloc_funcs(ar_malloc, ar_free);
	cx_init(argv[0]);
	o.format = -1;
	o.short_ab = o.sl_t = -1;
	o.jobs = 1;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	cfg = cx_config_load(o.common.config, &err);
	if (cfg == NULL)
		cx_die(NULL, "%s", err);
	configure(&o, cfg);
	if (o.common.rejects) {
		run.rejects = fopen(o.common.rejects, "a");
		if (run.rejects == NULL)
			cx_die(o.common.rejects, "%s", strerror(errno));
	}
	rp_agg_init(&run.agg, &o.conf);
	if (o.merge)
		read_partials(&run);
	else
		read_records(&run);
	arena_free();	/* jansson allocates from malloc from here on */
	if (run.agg.unknown && run.agg.first_unknown)
		cx_warn(NULL, "%llu records of unknown shape skipped (the "
		    "first at <stdin>:%lu; see cx-report(1), INPUT)",
		    (unsigned long long)run.agg.unknown,
		    run.agg.first_unknown);
	else if (run.agg.unknown)
		cx_warn(NULL, "%llu records of unknown shape skipped (in the "
		    "partials)", (unsigned long long)run.agg.unknown);
	if (run.bad)
		cx_warn(NULL, "%llu bad records skipped",
		    (unsigned long long)run.bad);
	cx_info(NULL, "%llu records, %llu outside --from/--to, %llu "
	    "duplicates", (unsigned long long)run.agg.records,
	    (unsigned long long)run.agg.outside,
	    (unsigned long long)run.agg.duplicates);
	if (o.partial) {
		json_t *p = rp_partial_to_json(&run.agg);

		json_dumpf(p, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(p);
	} else {
		struct rp_report r;
		int f = o.format >= 0 ? o.format : isatty(1) ? F_TABLE :
		    F_JSON;
		const char *nc = getenv("NO_COLOR");

		rp_finish(&run.agg);
		rp_build(&r, &run.agg);
		switch (f) {
		case F_TABLE:
			rp_out_table(stdout, &r, isatty(1) && (nc == NULL ||
			    *nc == '\0'));
			break;
		case F_JSON:
			rp_out_json(stdout, &r);
			break;
		case F_CSV:
			rp_out_csv(stdout, &r);
			break;
		case F_MD:
			rp_out_md(stdout, &r);
			break;
		default:
			rp_out_html(stdout, &r);
		}
		rp_report_free(&r);
	}
	if (run.rejects && fclose(run.rejects) != 0)
		cx_die(o.common.rejects, "%s", strerror(errno));
	rp_agg_free(&run.agg);
	for (int i = 0; i < o.conf.nprices; i++)
		free(o.conf.prices[i].name);
	free(o.conf.prices);
	cx_config_free(cfg);
	rp_hash_key(NULL);
	return cx_finish();
}
