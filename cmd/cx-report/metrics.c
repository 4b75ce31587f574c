/* metrics.c - the report's figures from the aggregates, as tables
 *
 * SPDX-License-Identifier: MIT
 * Every formula here is written out in cx-report(1), METRICS; a ratio
 * whose denominator is 0 is null (NAN here), never 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *const rp_sl_names[] = {
	"", "icmi", "answered", "offered", "neutral", "short", NULL
};

static double
ratio(double n, double d)
{
	return d > 0 ? n / d : NAN;
}

static struct rp_table *
table(struct rp_report *r, const char *id, const char *title,
    const struct rp_col *cols, int ncol, int keyed)
{
	struct rp_table *t = &r->t[r->nt++];
	int nby = keyed ? r->conf->nby : 0;

	t->id = id;
	t->title = title;
	t->ncol = nby + ncol;
	t->cols = cx_xcalloc((size_t)t->ncol, sizeof *t->cols);
	for (int i = 0; i < nby; i++) {
		t->cols[i].id = rp_by_names[r->conf->by[i]];
		t->cols[i].title = rp_by_names[r->conf->by[i]];
		t->cols[i].fmt = F_TXT;
	}
	memcpy(t->cols + nby, cols, (size_t)ncol * sizeof *cols);
	return t;
}

/* A new row: its key cells filled from the group key (or "total"). */
static struct rp_cell *
row(struct rp_report *r, struct rp_table *t, const struct rp_group *g,
    int keyed)
{
	struct rp_cell *c;
	int nby = keyed ? r->conf->nby : 0;

	if (t->nrow == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = cx_xrealloc(t->cells, (size_t)t->cap *
		    (size_t)t->ncol * sizeof *t->cells);
	}
	c = &t->cells[(size_t)t->nrow++ * (size_t)t->ncol];
	for (int i = 0; i < t->ncol; i++) {
		c[i].s = NULL;
		c[i].v = NAN;
	}
	if (g == &r->agg->g[0] || g == NULL) {
		for (int i = 0; i < nby; i++)
			c[i].s = cx_xstrdup(i == 0 ? "total" : "");
		return c + nby;
	}
	for (int i = 0; i < nby; i++) {
		const char *k = g->key;

		for (int j = 0; j < i && k; j++) {
			k = strchr(k, '\x1f');
			k = k ? k + 1 : NULL;
		}
		c[i].s = rp_mask(r->conf, rp_by_names[r->conf->by[i]],
		    k ? k : "(none)");
		if (strchr(c[i].s, '\x1f'))
			*strchr(c[i].s, '\x1f') = '\0';
	}
	return c + nby;
}

char *
rp_mask(const struct rp_conf *c, const char *by, const char *s)
{
	if (c->show_pii)
		return cx_xstrdup(s);
	if (by && strcmp(by, "agent") == 0 && strcmp(s, "(none)") != 0) {
		/* A person's name: its first character and "***". */
		size_t n = 1;

		while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
		return cx_xasprintf("%.*s***", (int)n, s);
	}
	return cx_log_mask(s);
}

const char *
rp_fmt_num(int fmt, double v, char *buf, size_t n)
{
	if (isnan(v))
		return "";
	switch (fmt) {
	case F_INT:
		snprintf(buf, n, "%.0f", v);
		break;
	case F_PCT:
		snprintf(buf, n, "%.1f%%", 100 * v);
		break;
	case F_SEC:
		snprintf(buf, n, "%.1f", v);
		break;
	default:
		snprintf(buf, n, "%.2f", v);
	}
	return buf;
}

/* Groups sorted by key, then the total (only the total without --by). */
static int
cmp_group(const void *x, const void *y)
{
	const struct rp_group *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key);
}

#define HOT_COLS 11
static const struct rp_col hot_cols[HOT_COLS] = {
	{ "offered", "offered", F_INT }, { "answered", "answered", F_INT },
	{ "abandoned", "abandoned", F_INT },
	{ "short_abandoned", "short ab.", F_INT },
	{ "abandon_rate", "abandon %", F_PCT },
	{ "overflow", "overflow", F_INT }, { "missed", "missed", F_INT },
	{ "callbacks", "callbacks", F_INT },
	{ "busy_rate", "busy %", F_PCT },
	{ "service_level", "SL", F_PCT },
	{ "phone_sla", "phone SLA", F_PCT },
};

static int
hotline(struct rp_report *r, struct rp_table *t, const struct rp_group *g)
{
	const struct rp_conf *cf = r->conf;
	double ans = (double)g->answered, ab = (double)g->abandoned,
	    sh = (double)g->short_ab, off = ans + ab, sl, le = (double)g->ans_le_t;
	struct rp_cell *c;

	if (g != &r->agg->g[0] && off + g->overflow + g->missed +
	    g->callback + g->q[Q_ENTER] + g->q[Q_COMPLETE] == 0)
		return 0;
	switch (cf->sl_formula) {
	case SL_ANSWERED:
		sl = ratio(le, ans);
		break;
	case SL_OFFERED:
		sl = ratio(le, off);
		break;
	case SL_NEUTRAL:
		sl = ratio(le, ans + (double)g->ab_gt_t);
		break;
	case SL_SHORT:
		sl = ratio(le, off - sh);
		break;
	default:
		sl = ratio(le + (double)g->ab_le_t, off);
	}
	c = row(r, t, g, 1);
	c[0].v = off;
	c[1].v = ans;
	c[2].v = ab;
	c[3].v = sh;
	c[4].v = ratio(ab - sh, off - sh);
	c[5].v = (double)g->overflow;
	c[6].v = (double)g->missed;
	c[7].v = (double)g->callback;
	c[8].v = ratio((double)(g->overflow + g->missed),
	    off + (double)(g->overflow + g->missed + g->callback));
	c[9].v = sl;
	c[10].v = ratio((double)g->ans_le_phone, ans - (double)g->ans_unknown);
	return 1;
}

#define WAIT_COLS 7
static const struct rp_col wait_cols[WAIT_COLS] = {
	{ "asa_s", "ASA s", F_SEC }, { "avg_wait_s", "avg wait s", F_SEC },
	{ "p50_wait_s", "p50 s", F_SEC }, { "p90_wait_s", "p90 s", F_SEC },
	{ "p99_wait_s", "p99 s", F_SEC },
	{ "avg_abandon_s", "avg abandon s", F_SEC },
	{ "avg_talk_s", "avg talk s", F_SEC },
};

static int
waits(struct rp_report *r, struct rp_table *t, const struct rp_group *g)
{
	struct rp_cell *c;

	if (g != &r->agg->g[0] && g->wait_n + g->talk_n + g->answered == 0)
		return 0;
	c = row(r, t, g, 1);
	c[0].v = ratio(g->wait_ans_sum, (double)(g->answered -
	    g->ans_unknown));
	c[1].v = ratio(g->wait_sum, (double)g->wait_n);
	c[2].v = rp_sketch_quantile(&g->wait, 0.5);
	c[3].v = rp_sketch_quantile(&g->wait, 0.9);
	c[4].v = rp_sketch_quantile(&g->wait, 0.99);
	c[5].v = ratio(g->wait_ab_sum, (double)g->wait_ab_n);
	c[6].v = ratio(g->talk_sum, (double)g->talk_n);
	return 1;
}

#define NOTE_COLS 5
static const struct rp_col note_cols[NOTE_COLS] = {
	{ "notified", "notified", F_INT },
	{ "answered_later", "answered later", F_INT },
	{ "moved_to_messaging", "moved to msg", F_INT },
	{ "answered_later_rate", "answered later %", F_PCT },
	{ "moved_rate", "moved %", F_PCT },
};

static int
notices(struct rp_report *r, struct rp_table *t, const struct rp_group *g)
{
	struct rp_cell *c;
	double n = (double)g->notified;

	if (g != &r->agg->g[0] && g->notified + g->answered_later +
	    g->moved == 0)
		return 0;
	c = row(r, t, g, 1);
	c[0].v = n;
	c[1].v = (double)g->answered_later;
	c[2].v = (double)g->moved;
	c[3].v = ratio((double)g->answered_later, n);
	c[4].v = ratio((double)g->moved, n);
	return 1;
}

#define MSG_COLS 14
static const struct rp_col msg_cols[MSG_COLS] = {
	{ "sent", "sent", F_INT }, { "outbox", "outbox", F_INT },
	{ "failed", "failed", F_INT }, { "unknown", "unknown", F_INT },
	{ "suppressed", "suppressed", F_INT },
	{ "deferred", "deferred", F_INT },
	{ "duplicate", "duplicate", F_INT },
	{ "delivered", "delivered", F_INT },
	{ "undelivered", "undelivered", F_INT },
	{ "delivery_failed", "dlr failed", F_INT },
	{ "delivery_rate", "delivery %", F_PCT },
	{ "segments", "segments", F_INT },
	{ "sent_segments", "sent segments", F_INT },
	{ "cost", "cost", F_MONEY },
};

static double
delivery_rate(const struct rp_conf *cf, const struct rp_group *g)
{
	if (cf->delivery_sent)
		return ratio((double)g->dlr[D_DELIVERED], (double)g->st[S_SENT]);
	return ratio((double)g->dlr[D_DELIVERED], (double)(g->dlr[0] +
	    g->dlr[1] + g->dlr[2]));
}

static int
messaging(struct rp_report *r, struct rp_table *t, const struct rp_group *g)
{
	struct rp_cell *c;
	uint64_t n = 0;

	for (int i = 0; i < S_N; i++)
		n += g->st[i];
	n += g->dlr[0] + g->dlr[1] + g->dlr[2];
	if (g != &r->agg->g[0] && n == 0)
		return 0;
	c = row(r, t, g, 1);
	for (int i = 0; i < 7; i++)
		c[i].v = (double)g->st[i];
	for (int i = 0; i < 3; i++)
		c[7 + i].v = (double)g->dlr[i];
	c[10].v = delivery_rate(r->conf, g);
	c[11].v = (double)g->segments;
	c[12].v = (double)g->sent_segments;
	c[13].v = g->cost;
	return 1;
}

#define RESP_COLS 19
static const struct rp_col resp_cols[RESP_COLS] = {
	{ "inbound", "inbound", F_INT },
	{ "conversations", "conversations", F_INT },
	{ "replied", "replied", F_INT },
	{ "unanswered", "unanswered", F_INT },
	{ "avg_first_response_s", "avg 1st resp s", F_SEC },
	{ "p90_first_response_s", "p90 1st resp s", F_SEC },
	{ "online_sla", "online SLA", F_PCT },
	{ "waits_replied", "waits replied", F_INT },
	{ "avg_reply_s", "avg reply s", F_SEC },
	{ "inbound_sms", "inbound SMS", F_INT },
	{ "sms_same_day", "SMS same day %", F_PCT },
	{ "tickets", "tickets", F_INT },
	{ "avg_ticket_first_reply_s", "avg ticket reply s", F_SEC },
	{ "ticket_accept_sla", "ticket SLA", F_PCT },
	{ "solved", "solved", F_INT },
	{ "avg_resolution_s", "avg resolution s", F_SEC },
	{ "p90_resolution_s", "p90 resolution s", F_SEC },
	{ "resolution_unknown", "no created_at", F_INT },
	{ "reopened", "reopened", F_INT },
};

static int
responsiveness(struct rp_report *r, struct rp_table *t,
    const struct rp_group *g)
{
	struct rp_cell *c;

	if (g != &r->agg->g[0] && g->inbound + g->resp_n + g->fr_n +
	    g->unanswered + g->tickets + g->solved + g->reopened == 0)
		return 0;
	c = row(r, t, g, 1);
	c[0].v = (double)g->inbound;
	c[1].v = (double)g->convs;
	c[2].v = (double)g->fr_n;
	c[3].v = (double)g->unanswered;
	c[4].v = ratio(g->fr_sum, (double)g->fr_n);
	c[5].v = rp_sketch_quantile(&g->fr, 0.9);
	c[6].v = ratio((double)g->fr_le_online, (double)g->fr_n);
	c[7].v = (double)g->resp_n;
	c[8].v = ratio(g->resp_sum, (double)g->resp_n);
	c += 3;
	c[6].v = (double)g->inbound_sms;
	c[7].v = ratio((double)g->sms_sameday, (double)g->sms_timed);
	c[8].v = (double)g->tickets;
	c[9].v = ratio(g->reply_sum, (double)g->replied);
	c[10].v = ratio((double)g->accepted_le, (double)g->accepted);
	c[11].v = (double)g->solved;
	c[12].v = ratio(g->solve_sum, (double)(g->solved -
	    g->solved_unknown));
	c[13].v = rp_sketch_quantile(&g->solve, 0.9);
	c[14].v = (double)g->solved_unknown;
	c[15].v = (double)g->reopened;
	return 1;
}

#define OUT_COLS 14
static const struct rp_col out_cols[OUT_COLS] = {
	{ "contacts", "contacts", F_INT },
	{ "repeat_contacts", "repeats", F_INT },
	{ "repeat_rate", "repeat %", F_PCT },
	{ "fcr", "FCR", F_PCT },
	{ "open_windows", "open", F_INT },
	{ "csat_responses", "CSAT n", F_INT },
	{ "csat_avg_5", "avg /5", F_NUM },
	{ "csat_ge4_of5", ">=4 of 5", F_PCT },
	{ "csat_avg_9", "avg /9", F_NUM },
	{ "csat_ge7_of9", ">=7 of 9", F_PCT },
	{ "csat_avg_10", "avg /10", F_NUM },
	{ "satisfied", "satisfied", F_PCT },
	{ "optouts", "opt-outs", F_INT },
	{ "optout_rate", "opt-out %", F_PCT },
};

/* n, sum and count at or above good, of scale s. */
static void
csat_of(const struct rp_group *g, int s, int good, double *n, double *sum,
    double *ge)
{
	*n = *sum = *ge = 0;
	for (int k = 1; k <= s; k++) {
		*n += (double)g->csat[s][k];
		*sum += (double)k * (double)g->csat[s][k];
		if (k >= good)
			*ge += (double)g->csat[s][k];
	}
}

static int
outcomes(struct rp_report *r, struct rp_table *t, const struct rp_group *g)
{
	struct rp_cell *c;
	double n5, s5, g5, n9, s9, g9, n10, s10, g10, nw, all;

	csat_of(g, 5, 4, &n5, &s5, &g5);
	csat_of(g, 9, 7, &n9, &s9, &g9);
	csat_of(g, 10, 8, &n10, &s10, &g10);
	nw = (double)(g->csat[0][0] + g->csat[0][1]);
	all = n5 + n9 + n10 + nw;
	if (g != &r->agg->g[0] && g->contacts + g->censored + g->optouts +
	    all == 0)
		return 0;
	c = row(r, t, g, 1);
	c[0].v = (double)g->contacts;
	c[1].v = (double)g->repeats;
	c[2].v = ratio((double)g->repeats, (double)g->contacts);
	c[3].v = 1 - c[2].v;
	c[4].v = (double)g->censored;
	c[5].v = all;
	c[6].v = ratio(s5, n5);
	c[7].v = ratio(g5, n5);
	c[8].v = ratio(s9, n9);
	c[9].v = ratio(g9, n9);
	c[10].v = ratio(s10, n10);
	c[11].v = ratio(g5 + g9 + g10 + (double)g->csat[0][1], all);
	c[12].v = (double)g->optouts;
	c[13].v = ratio((double)g->optouts, (double)(g->st[S_SENT] +
	    g->st[S_OUTBOX]));
	return 1;
}

static int
cmp_count(const void *x, const void *y)
{
	const struct rp_count *a = x, *b = y;

	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return strcmp(a->name, b->name);
}

static void
ranked(struct rp_report *r, const char *id, const char *title,
    const char *what, struct rp_count *v, int n)
{
	struct rp_col cols[3] = {
		{ what, what, F_TXT }, { "count", "count", F_INT },
		{ "share", "share", F_PCT },
	};
	struct rp_table *t = table(r, id, title, cols, 3, 0);
	double all = 0;

	if (n > 0)
		qsort(v, (size_t)n, sizeof *v, cmp_count);
	for (int i = 0; i < n; i++)
		all += (double)v[i].n;
	for (int i = 0; i < n && i < r->conf->top; i++) {
		struct rp_cell *c = row(r, t, NULL, 0);

		c[0].s = cx_xstrdup(v[i].name);
		c[1].v = (double)v[i].n;
		c[2].v = ratio((double)v[i].n, all);
	}
}

static void
series(struct rp_report *r, const char *id, const char *title,
    const char *unit, int n)
{
	struct rp_series *s = &r->s[r->ns++];

	s->id = id;
	s->title = title;
	s->unit = unit;
	s->none = "no data";
	s->n = n;
	s->labels = cx_xcalloc((size_t)n + 1, sizeof *s->labels);
	s->v = cx_xcalloc((size_t)n + 1, sizeof *s->v);
}

static int
cmp_side(const void *x, const void *y)
{
	return strcmp(((const struct rp_group *)x)->key,
	    ((const struct rp_group *)y)->key);
}

static void
charts(struct rp_report *r, const struct rp_agg *a)
{
	const struct rp_group *g = &a->g[0];
	struct rp_series *s;

	series(r, "volume_by_hour", "Contacts and messages by hour", "", 24);
	s = &r->s[r->ns - 1];
	for (int h = 0; h < 24; h++) {
		s->labels[h] = cx_xasprintf("%02d", h);
		s->v[h] = (double)a->hour_vol[h];
	}
	series(r, "wait_by_hour", "Average queue wait by hour", "s", 24);
	s = &r->s[r->ns - 1];
	for (int h = 0; h < 24; h++) {
		s->labels[h] = cx_xasprintf("%02d", h);
		s->v[h] = ratio(a->hour_wait[h], (double)a->hour_wait_n[h]);
	}
	if (a->nchans > 0)
		qsort(a->chans, (size_t)a->nchans, sizeof *a->chans,
		    cmp_side);
	series(r, "delivery_by_channel", "Delivery rate by channel", "%",
	    a->nchans);
	s = &r->s[r->ns - 1];
	s->none = r->conf->delivery_sent ? "none sent" : "no receipts";
	for (int i = 0; i < a->nchans; i++) {
		s->labels[i] = cx_xstrdup(a->chans[i].key);
		s->v[i] = delivery_rate(r->conf, &a->chans[i]);
	}
	series(r, "csat_distribution", "CSAT replies", "", 0);
	s = &r->s[r->ns - 1];
	s->labels = cx_xrealloc(s->labels, 40 * sizeof *s->labels);
	s->v = cx_xrealloc(s->v, 40 * sizeof *s->v);
	for (int sc = 5; sc <= 10; sc++) {
		double tot = 0;

		if (sc != 5 && sc != 9 && sc != 10)
			continue;
		for (int k = 1; k <= sc; k++)
			tot += (double)g->csat[sc][k];
		for (int k = 1; tot > 0 && k <= sc; k++) {
			s->labels[s->n] = cx_xasprintf("%d/%d", k, sc);
			s->v[s->n++] = (double)g->csat[sc][k];
		}
	}
	if (g->csat[0][0] + g->csat[0][1]) {
		s->labels[s->n] = cx_xstrdup("unsatisfied");
		s->v[s->n++] = (double)g->csat[0][0];
		s->labels[s->n] = cx_xstrdup("satisfied");
		s->v[s->n++] = (double)g->csat[0][1];
	}
	if (a->ndays > 0)
		qsort(a->days, (size_t)a->ndays, sizeof *a->days,
		    cmp_side);
	series(r, "abandon_by_day", "Abandon rate by day", "%", a->ndays);
	s = &r->s[r->ns - 1];
	for (int i = 0; i < a->ndays; i++) {
		const struct rp_group *d = &a->days[i];
		double off = (double)(d->answered + d->abandoned),
		    sh = (double)d->short_ab;

		s->labels[i] = cx_xstrdup(d->key);
		s->v[i] = ratio((double)d->abandoned - sh, off - sh);
	}
}

void
rp_build(struct rp_report *r, const struct rp_agg *a)
{
	static const struct {
		const char *id, *title;
		const struct rp_col *cols;
		int ncol;
		int (*row)(struct rp_report *, struct rp_table *,
		    const struct rp_group *);
	} secs[] = {
		{ "hotline", "Hotline", hot_cols, HOT_COLS, hotline },
		{ "wait", "Queue wait", wait_cols, WAIT_COLS, waits },
		{ "notices", "Queue notices (queue-notify)", note_cols,
		  NOTE_COLS, notices },
		{ "messaging", "Messaging", msg_cols, MSG_COLS, messaging },
		{ "responsiveness", "Responsiveness", resp_cols, RESP_COLS,
		  responsiveness },
		{ "outcomes", "Outcomes", out_cols, OUT_COLS, outcomes },
	};
	const struct rp_group **order;
	struct rp_group *g0 = (struct rp_group *)&a->g[0];
	int n = 0;

	memset(r, 0, sizeof *r);
	r->conf = a->conf;
	r->agg = a;
	order = cx_xcalloc((size_t)a->ng, sizeof *order);
	for (int i = 1; i < a->ng; i++)
		order[n++] = &a->g[i];
	if (n > 0)
		qsort(order, (size_t)n, sizeof *order, cmp_group);
	for (size_t k = 0; k < sizeof secs / sizeof secs[0]; k++) {
		struct rp_table *t = table(r, secs[k].id, secs[k].title,
		    secs[k].cols, secs[k].ncol, 1);

		for (int i = 0; i < n; i++)
			secs[k].row(r, t, order[i]);
		secs[k].row(r, t, &a->g[0]);
	}
	free(order);
	ranked(r, "failures", "Failure reasons", "reason", g0->fail,
	    g0->nfail);
	ranked(r, "intents", "Intents", "intent", g0->intents, g0->nintents);
	charts(r, a);
}

void
rp_report_free(struct rp_report *r)
{
	for (int i = 0; i < r->nt; i++) {
		struct rp_table *t = &r->t[i];

		for (int k = 0; k < t->nrow * t->ncol; k++)
			free(t->cells[k].s);
		free(t->cells);
		free(t->cols);
	}
	for (int i = 0; i < r->ns; i++) {
		for (int k = 0; k < r->s[i].n; k++)
			free(r->s[i].labels[k]);
		free(r->s[i].labels);
		free(r->s[i].v);
	}
}
