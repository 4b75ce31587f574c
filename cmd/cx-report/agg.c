/* agg.c - classify cxkit records by shape and add them up
 *
 * SPDX-License-Identifier: MIT
 * rp_classify() turns one record into a struct rp_ev by its shape (the
 * rules are in cx-report(1), INPUT); rp_apply() adds an event to the total,
 * to its group (--by) and to the per-customer and per-ticket tables.
 * Memory grows with groups, customers and tickets, never with events:
 * per-group quantiles are sketches (sketch.c), a customer keeps only its
 * last open contact, its first unanswered message and whether a queue
 * notice waits for a follow-up.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

const char *const rp_by_names[BY_N] = {
	"channel", "queue", "provider", "intent", "agent", "template", "day",
	"hour", "week"
};

static const char *const qev_names[Q_N] = {
	"enter", "position", "abandon", "timeout", "connect", "complete",
	"missed", "callback"
};
static const char *const status_names[S_N] = {
	"sent", "outbox", "failed", "unknown", "suppressed", "deferred",
	"duplicate", "dry_run"
};
static const char *const dlr_names[D_N] = {
	"delivered", "undelivered", "failed"
};
static const char *const tev_names[T_N] = {
	"ticket.created", "ticket.updated", "ticket.solved", "ticket.reopened",
	"ticket.comment"
};

uint64_t
rp_hash64(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ? h : 1;
}

/* ---- the string store of a chunk ---- */

const char *
rp_strs_dup(struct rp_strs *st, const char *s, size_t n)
{
	char *p;

	if (st->nblk == 0 || st->used + n + 1 > st->cap) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;

		if (st->nblk == st->capblk) {
			st->capblk = st->capblk ? 2 * st->capblk : 8;
			st->blk = cx_xrealloc(st->blk,
			    (size_t)st->capblk * sizeof *st->blk);
		}
		st->blk[st->nblk++] = cx_xmalloc(cap);
		st->used = 0;
		st->cap = cap;
	}
	p = st->blk[st->nblk - 1] + st->used;
	memcpy(p, s, n);
	p[n] = '\0';
	st->used += n + 1;
	return p;
}

void
rp_strs_reset(struct rp_strs *st)
{
	for (int i = 0; i < st->nblk; i++)
		free(st->blk[i]);
	free(st->blk);
	memset(st, 0, sizeof *st);
}

/* ---- classification (of the fields read by scan.c) ---- */

static int
lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

#define FV(id) (&f->v[(id)])

/* The string v copied into st, or NULL when absent or not a non-empty
 * string. */
static const char *
sdup(struct rp_strs *st, const struct rp_fv *v)
{
	if (v->t != FT_STR || v->n == 0)
		return NULL;
	return rp_strs_dup(st, v->s, v->n);
}

static const char *
sval(const struct rp_fv *v)
{
	return v->t == FT_STR ? v->s : NULL;
}

/* [report] secret: set once by main() before the threads start. */
static char *hkey, hkey_id[9];

void
rp_hash_key(const char *key)
{
	unsigned char d[32];

	if (hkey)
		cx_secret_free(hkey);
	hkey = key ? cx_xstrdup(key) : NULL;
	if (hkey) {
		cx_hmac(CX_SHA256, hkey, strlen(hkey), "cx-report partial", 17,
		    d);
		cx_hex(d, 4, hkey_id);
	}
}

const char *
rp_hash_key_id(void)
{
	return hkey ? hkey_id : NULL;
}

static uint64_t
keyed(const char *s, size_t n)
{
	unsigned char d[32];
	uint64_t h;

	cx_hmac(CX_SHA256, hkey, strlen(hkey), s, n, d);
	memcpy(&h, d, sizeof h);
	return h ? h : 1;
}

/* A customer's or a ticket's identity: FNV-1a of the string (or a
 * multiplicative hash of the integer), or with [report] secret
 * HMAC-SHA256, so that a partial's hashes cannot be matched to numbers
 * without the key. */
static uint64_t
hash_of(const struct rp_fv *v)
{
	char b[32];

	if (v->t == FT_STR && v->n > 0)
		return hkey ? keyed(v->s, v->n) : rp_hash64(v->s, v->n);
	if (v->t == FT_INT && hkey)
		return keyed(b, (size_t)snprintf(b, sizeof b, "%lld",
		    (long long)v->i));
	if (v->t == FT_INT)
		return (uint64_t)v->i * 0x9E3779B97F4A7C15ULL | 1;
	return 0;
}

/* A number of seconds: 0 absent (*has = 0), -1 not a number or
 * negative, 1 ok. */
static int
secs(const struct rp_fv *v, double *out, uint8_t *has)
{
	if (has)
		*has = 0;
	if (v->t == FT_ABSENT || v->t == FT_NULL)
		return 0;
	if ((v->t != FT_INT && v->t != FT_REAL) || v->d < 0 ||
	    !isfinite(v->d))
		return -1;
	*out = v->d;
	if (has)
		*has = 1;
	return 1;
}

static int
time_of(const struct rp_fv *v, int64_t *out)
{
	*out = RP_NOTIME;
	if (v->t == FT_ABSENT || v->t == FT_NULL)
		return 0;
	if (v->t != FT_STR || cx_time_parse(v->s, out))
		return -1;
	return 1;
}

static int
classify_result(const struct rp_fields *f, int im, struct rp_ev *ev,
    struct rp_strs *st, const char **err)
{
	int r = im ? F_IM_STATUS : F_SMS_STATUS;
	const char *status = sval(FV(r + R_STATUS));
	const struct rp_fv *seg = FV(r + R_COUNT);
	int k = lookup(status, status_names, S_N);

	if (k < 0) {
		*err = im ? "'im.status' is not a known status" :
		    "'sms.status' is not a known status";
		return -1;
	}
	ev->kind = K_RESULT;
	ev->sub = (uint8_t)k;
	if (seg->t == FT_INT && seg->i >= 0 && seg->i < 1000)
		ev->segments = (int)seg->i;
	else if (seg->t != FT_ABSENT && seg->t != FT_NULL) {
		*err = im ? "'im.parts' is not a count" :
		    "'sms.segments' is not a count";
		return -1;
	} else
		ev->segments = k == S_SENT || k == S_OUTBOX || k == S_DRY_RUN;
	ev->key[BY_CHANNEL] = im ? sdup(st, FV(F_CHANNEL)) : "sms";
	if (ev->key[BY_CHANNEL] == NULL)
		ev->key[BY_CHANNEL] = "im";
	ev->key[BY_PROVIDER] = sdup(st, FV(r + R_PROVIDER));
	ev->key[BY_TEMPLATE] = sdup(st, FV(F_TEMPLATE));
	if (FV(r + R_ERROR)->t == FT_OBJ)
		ev->code = sdup(st, FV(r + R_ERROR_CODE));
	ev->cust = hash_of(FV(r + R_TO));
	if (ev->cust == 0)
		ev->cust = hash_of(FV(F_TO));
	if (FV(F_QUEUE)->t == FT_OBJ) {
		ev->notice = 1;
		ev->key[BY_QUEUE] = sdup(st, FV(F_QUEUE_QUEUE));
	}
	return K_RESULT;
}

static int
classify_queue(const struct rp_fields *f, int k, struct rp_ev *ev,
    struct rp_strs *st, const char **err)
{
	ev->kind = K_QUEUE;
	ev->sub = (uint8_t)k;
	if (secs(FV(F_WAIT_S), &ev->wait, &ev->has_wait) < 0) {
		*err = "'wait_s' is not a number of seconds";
		return -1;
	}
	ev->talk = -1;
	if (secs(FV(F_TALK_S), &ev->talk, NULL) < 0) {
		*err = "'talk_s' is not a number of seconds";
		return -1;
	}
	ev->key[BY_CHANNEL] = "phone";
	ev->key[BY_QUEUE] = sdup(st, FV(F_QUEUE));
	ev->key[BY_AGENT] = sdup(st, FV(F_AGENT));
	ev->cust = hash_of(FV(F_CALLER));
	if (ev->ts != RP_NOTIME && (ev->dup = hash_of(FV(F_CALL_ID))) != 0) {
		char b[48];
		int n = snprintf(b, sizeof b, "%llx %d %lld",
		    (unsigned long long)ev->dup, k, (long long)ev->ts);

		ev->dup = rp_hash64(b, (size_t)n);
	}
	ev->contact = k == Q_CONNECT || k == Q_ABANDON || k == Q_TIMEOUT ||
	    k == Q_MISSED || k == Q_CALLBACK;
	return K_QUEUE;
}

static int
classify_ticket(const struct rp_fields *f, int k, struct rp_ev *ev,
    struct rp_strs *st, const char **err)
{
	ev->kind = K_TICKET;
	ev->sub = (uint8_t)k;
	ev->ticket = hash_of(FV(F_T_ID));
	if (ev->ticket == 0) {
		*err = "'ticket.id' is missing";
		return -1;
	}
	if (time_of(FV(F_T_CREATED_AT), &ev->created) < 0) {
		*err = "'ticket.created_at' is not an RFC 3339 time";
		return -1;
	}
	ev->status = sdup(st, FV(F_T_STATUS));
	ev->key[BY_CHANNEL] = sdup(st, FV(F_T_CHANNEL));
	if (ev->key[BY_CHANNEL] == NULL)
		ev->key[BY_CHANNEL] = "ticket";
	if (FV(F_T_CUSTOMER)->t == FT_OBJ) {
		ev->cust = hash_of(FV(F_T_C_PHONE));
		if (ev->cust == 0)
			ev->cust = hash_of(FV(F_T_C_MEMBER_ID));
	}
	if (k == T_COMMENT && FV(F_COMMENT)->t == FT_OBJ) {
		ev->by_agent = FV(F_CM_BY_AGENT)->t == FT_TRUE;
		ev->public_ = FV(F_CM_PUBLIC)->t != FT_FALSE;
		if (ev->by_agent)
			ev->key[BY_AGENT] = sdup(st, FV(F_CM_AUTHOR));
	}
	return K_TICKET;
}

static int
classify_inbound(const struct rp_fields *f, struct rp_ev *ev,
    struct rp_strs *st, const char **err)
{
	const struct rp_fv *v;
	const char *name;

	ev->kind = K_INBOUND;
	ev->key[BY_CHANNEL] = sdup(st, FV(F_CHANNEL));
	ev->key[BY_PROVIDER] = sdup(st, FV(F_PROVIDER));
	ev->cust = hash_of(FV(F_FROM));
	ev->contact = 1;
	if (FV(F_INTENT)->t != FT_OBJ)
		return K_INBOUND;
	name = sval(FV(F_IN_NAME));
	if (name == NULL)
		return K_INBOUND;	/* keyword-parse found none: an error */
	ev->key[BY_INTENT] = rp_strs_dup(st, name, strlen(name));
	if (strcmp(name, "opt_out") == 0) {
		ev->optout = 1;
		ev->contact = 0;
	} else if (strcmp(name, "csat") == 0) {
		/* (the entities' fields are absent unless it is an
		 * object) */
		ev->contact = 0;
		if ((v = FV(F_IN_E_SATISFIED))->t != FT_ABSENT) {
			if (v->t != FT_TRUE && v->t != FT_FALSE) {
				*err = "'intent.entities.satisfied' is not "
				    "true or false";
				return -1;
			}
			ev->satisfied = v->t == FT_TRUE;
		} else {
			const struct rp_fv *sc = FV(F_IN_E_SCORE),
			    *sl = FV(F_IN_E_SCALE);
			int64_t s = sc->t == FT_INT ? sc->i : 0,
			    l = sl->t == FT_INT ? sl->i : 0;

			if (sc->t != FT_INT || sl->t != FT_INT ||
			    (l != 5 && l != 9 && l != 10) || s < 1 || s > l) {
				*err = "'intent.entities' of a csat reply needs "
				    "'score' 1 to 'scale' (5, 9 or 10)";
				return -1;
			}
			ev->csat_score = (int8_t)s;
			ev->csat_scale = (uint8_t)l;
		}
	} else if (strcmp(name, "opt_in") == 0) {
		ev->contact = 0;
	}
	return K_INBOUND;
}

int
rp_classify_fields(const struct rp_fields *f, struct rp_ev *ev,
    struct rp_strs *st, const char **err)
{
	const char *event = sval(FV(F_EVENT));
	int k;

	memset(ev, 0, sizeof *ev);
	ev->csat_score = -1;
	ev->satisfied = -1;
	ev->created = RP_NOTIME;
	if (time_of(FV(F_TS), &ev->ts) < 0) {
		*err = "'ts' is not an RFC 3339 time";
		return -1;
	}
	if (FV(F_SMS)->t == FT_OBJ && FV(F_SMS_STATUS)->t == FT_STR)
		return classify_result(f, 0, ev, st, err);
	if (FV(F_IM)->t == FT_OBJ && FV(F_IM_STATUS)->t == FT_STR)
		return classify_result(f, 1, ev, st, err);
	if (event && strcmp(event, "delivery") == 0) {
		const char *s = sval(FV(F_STATUS));

		if (s == NULL || (k = lookup(s, dlr_names, D_N)) < 0) {
			*err = "'status' of a delivery receipt is not "
			    "delivered, undelivered or failed";
			return -1;
		}
		ev->kind = K_RECEIPT;
		ev->sub = (uint8_t)k;
		ev->key[BY_CHANNEL] = sdup(st, FV(F_CHANNEL));
		ev->key[BY_PROVIDER] = sdup(st, FV(F_PROVIDER));
		ev->code = sdup(st, FV(F_ERROR_CODE));
		if (ev->code == NULL && FV(F_ERROR_CODE)->t == FT_INT) {
			char b[32];
			int n = snprintf(b, sizeof b, "%lld",
			    (long long)FV(F_ERROR_CODE)->i);

			ev->code = rp_strs_dup(st, b, (size_t)n);
		}
		return K_RECEIPT;
	}
	if (event && strncmp(event, "ticket.", 7) == 0 &&
	    FV(F_TICKET)->t == FT_OBJ) {
		if ((k = lookup(event, tev_names, T_N)) < 0) {
			*err = "'event' is not a known ticket event";
			return -1;
		}
		return classify_ticket(f, k, ev, st, err);
	}
	if (event && (k = lookup(event, qev_names, Q_N)) >= 0)
		return classify_queue(f, k, ev, st, err);
	if (event == NULL && FV(F_FROM)->t == FT_STR &&
	    (FV(F_TEXT)->t == FT_STR || FV(F_INTENT)->t == FT_OBJ))
		return classify_inbound(f, ev, st, err);
	ev->kind = K_UNKNOWN;
	return K_UNKNOWN;
}

int
rp_classify(const json_t *rec, struct rp_ev *ev, struct rp_strs *st,
    const char **err)
{
	struct rp_fields f;

	rp_fields_from_json(rec, &f);
	return rp_classify_fields(&f, ev, st, err);
}

/* ---- hash tables keyed by a 64-bit hash (0 = empty slot) ---- */

static void *
hget(struct rp_hash *h, uint64_t key, int create, size_t size)
{
	size_t mask, i;
	char *v;

	if (h->cap == 0) {
		if (!create)
			return NULL;
		h->cap = 1024;
		h->size = size;
		h->v = cx_xcalloc(h->cap, size);
	}
	if (create && 2 * (h->n + 1) > h->cap) {
		struct rp_hash n = { 0 };

		n.cap = 2 * h->cap;
		n.size = size;
		n.v = cx_xcalloc(n.cap, size);
		for (i = 0; i < h->cap; i++) {
			char *e = (char *)h->v + i * size;
			uint64_t k = *(uint64_t *)e;

			if (k)
				memcpy(hget(&n, k, 1, size), e, size);
		}
		free(h->v);
		*h = n;
	}
	mask = h->cap - 1;
	for (i = (size_t)(key ^ (key >> 29)) & mask;; i = (i + 1) & mask) {
		v = (char *)h->v + i * size;
		if (*(uint64_t *)v == key)
			return v;
		if (*(uint64_t *)v == 0) {
			if (!create)
				return NULL;
			memset(v, 0, size);
			*(uint64_t *)v = key;
			h->n++;
			return v;
		}
	}
}

struct rp_cust *
rp_cust_get(struct rp_agg *a, uint64_t key, int create)
{
	struct rp_cust *c = hget(&a->cust, key, create, sizeof *c);

	if (c && !c->init) {
		c->open = c->first = c->waiting = RP_NOTIME;
		c->out0 = c->r0s = c->r0e = RP_NOTIME;
		c->wf = c->sms_d = c->r0f = c->r0d = RP_NOTIME;
		c->li = c->fo = c->c0 = c->f0e = RP_NOTIME;
		c->init = 1;
	}
	return c;
}

struct rp_ticket *
rp_ticket_get(struct rp_agg *a, uint64_t key, int create)
{
	struct rp_ticket *t = hget(&a->tick, key, create, sizeof *t);

	if (t && create && t->g == 0 && t->gts == 0) {
		t->created = t->reply = t->accept = RP_NOTIME;
		t->first_solve = t->last_solve = RP_NOTIME;
		t->gts = INT64_MAX;
		t->g = -1;
	}
	return t;
}

struct gslot {
	uint64_t key;
	int idx;
};

int
rp_group_of(struct rp_agg *a, const char *key)
{
	uint64_t h = rp_hash64(key, strlen(key));
	struct gslot *s;

	/* Probe past slots of other keys with the same hash. */
	for (;;) {
		s = hget(&a->gidx, h, 1, sizeof *s);
		if (s->idx == 0 || strcmp(a->g[s->idx - 1].key, key) == 0)
			break;
		h = h * 31 + 7 ? h * 31 + 7 : 1;
	}
	if (s->idx == 0) {
		if (a->ng == a->capg) {
			a->capg *= 2;
			a->g = cx_xrealloc(a->g, (size_t)a->capg * sizeof *a->g);
		}
		memset(&a->g[a->ng], 0, sizeof a->g[0]);
		a->g[a->ng].key = cx_xstrdup(key);
		s->idx = ++a->ng;
	}
	return s->idx - 1;
}

struct rp_group *
rp_side(struct rp_group **v, int *n, const char *key)
{
	for (int i = *n - 1; i >= 0; i--)
		if (strcmp((*v)[i].key, key) == 0)
			return &(*v)[i];
	*v = cx_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].key = cx_xstrdup(key);
	return &(*v)[(*n)++];
}

void
rp_agg_init(struct rp_agg *a, const struct rp_conf *c)
{
	memset(a, 0, sizeof *a);
	a->conf = c;
	a->capg = 16;
	a->g = cx_xcalloc((size_t)a->capg, sizeof *a->g);
	a->g[0].key = cx_xstrdup("");
	a->ng = 1;
	a->tmin = INT64_MAX;
	a->tmax = INT64_MIN;
	a->lt_hour = INT64_MIN;
}

static void
group_free(struct rp_group *g)
{
	free(g->key);
	rp_sketch_free(&g->wait);
	rp_sketch_free(&g->resp);
	rp_sketch_free(&g->fr);
	rp_sketch_free(&g->solve);
	for (int i = 0; i < g->nfail; i++)
		free(g->fail[i].name);
	for (int i = 0; i < g->nintents; i++)
		free(g->intents[i].name);
	free(g->fail);
	free(g->intents);
}

void
rp_agg_free(struct rp_agg *a)
{
	for (int i = 0; i < a->ng; i++)
		group_free(&a->g[i]);
	for (int i = 0; i < a->ndays; i++)
		group_free(&a->days[i]);
	for (int i = 0; i < a->nchans; i++)
		group_free(&a->chans[i]);
	free(a->g);
	free(a->days);
	free(a->chans);
	free(a->gidx.v);
	free(a->cust.v);
	free(a->tick.v);
	free(a->seen.v);
}

void
rp_count_add(struct rp_count **v, int *n, const char *name, uint64_t k)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0) {
			(*v)[i].n += k;
			return;
		}
	*v = cx_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
	(*v)[*n].name = cx_xstrdup(name);
	(*v)[*n].n = k;
	(*n)++;
}

/* ---- local time: day, hour, week of an event (cached by 15 minutes,
 * the finest step of any zone's offset) ---- */

static void
local(struct rp_agg *a, int64_t ts)
{
	int64_t slot = ts >= 0 ? ts / 900000 : (ts - 899999) / 900000;
	time_t t;
	struct tm tm;

	if (slot == a->lt_hour)
		return;
	a->lt_hour = slot;
	t = (time_t)(slot * 900);
	localtime_r(&t, &tm);
	strftime(a->lt_day, sizeof a->lt_day, "%Y-%m-%d", &tm);
	strftime(a->lt_week, sizeof a->lt_week, "%G-W%V", &tm);
	a->lt_h = tm.tm_hour;
	a->lt_wday = tm.tm_wday;
	a->lt_min = tm.tm_hour * 60 + tm.tm_min;
}

/* The end of the working day an inbound message at ts (local day, wday,
 * minute from local()) must be answered by: today's end when it came on
 * a weekday before the end, else the next weekday's. */
static int64_t
workday_deadline(const struct rp_agg *a, int64_t ts)
{
	time_t t = (time_t)(ts / 1000);
	struct tm tm;
	int add = 0, wd;

	localtime_r(&t, &tm);
	wd = tm.tm_wday;
	if (wd == 0 || wd == 6 || tm.tm_hour * 60 + tm.tm_min >=
	    a->conf->work_end) {
		do {
			add++;
			wd = (wd + 1) % 7;
		} while (wd == 0 || wd == 6);
	}
	tm.tm_mday += add;
	tm.tm_hour = a->conf->work_end / 60;
	tm.tm_min = a->conf->work_end % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* ---- applying events ---- */

static double
price_of(const struct rp_conf *c, const char *provider, const char *channel)
{
	for (int i = 0; i < c->nprices; i++)
		if (provider && strcmp(c->prices[i].name, provider) == 0)
			return c->prices[i].price;
	for (int i = 0; i < c->nprices; i++)
		if (channel && strcmp(c->prices[i].name, channel) == 0)
			return c->prices[i].price;
	return c->price;
}

/* G(x): the same statement for the total and the event's group. */
#define G(stmt) do {							\
	struct rp_group *g = &a->g[0];					\
	stmt;								\
	if (gi > 0) {							\
		g = &a->g[gi];						\
		stmt;							\
	}								\
} while (0)

/* Counts the open contact of c (group og, at o) as followed, or not, by
 * a contact at t. */
static void
close_open(struct rp_agg *a, int64_t o, int og, int64_t t)
{
	int rep = (double)(t - o) <= a->conf->repeat_s * 1000;

	a->g[0].contacts++;
	a->g[0].repeats += rep;
	if (og > 0) {
		a->g[og].contacts++;
		a->g[og].repeats += rep;
	}
}

static void
contact(struct rp_agg *a, struct rp_cust *c, int64_t t, int gi)
{
	if (c->first == RP_NOTIME || t < c->first) {
		c->first = t;
		c->first_g = gi;
	}
	if (c->open != RP_NOTIME) {
		if (t < c->open) {
			/* Out of order: this contact came before the open
			 * one; it is a repeat when the open one follows it
			 * within the window. */
			close_open(a, t, gi, c->open);
			return;
		}
		close_open(a, c->open, c->open_g, t);
	}
	c->open = t;
	c->open_g = gi;
}

/* Adds (sign 1) or takes back (-1) the wait from start to end, which
 * answered nsame inbound SMS by their deadlines. */
static void
resp_add(struct rp_agg *a, int64_t start, int64_t end, int gi,
    uint32_t nsame, int sign)
{
	double d = (double)(end - start) / 1000;
	uint64_t k = (uint64_t)(int64_t)sign;

	G((g->resp_n += k, g->resp_sum += sign * d,
	    rp_sketch_add(&g->resp, d, sign),
	    g->resp_le_online += d <= a->conf->sla_online ? k : 0,
	    g->sms_sameday += k * nsame));
}

/* The inbound SMS of a run answered at t: all of them, when t is before
 * their (shared) deadline, else none. */
static uint32_t
same_day(uint32_t n, int64_t deadline, int64_t t)
{
	return n && t < deadline ? n : 0;
}

/* Moves k inbound SMS of a wait from group from to group to. */
static void
sms_move(struct rp_agg *a, uint32_t k, int from, int to)
{
	int gi;

	if (k == 0 || from == to)
		return;
	gi = from;
	G(g->sms_timed -= k);
	gi = to;
	G(g->sms_timed += k);
}

static void
wait_reset(struct rp_cust *c)
{
	c->waiting = c->wf = c->sms_d = RP_NOTIME;
	c->wt = c->sms_n = 0;
	c->wfd = 0;
}

static void
response(struct rp_agg *a, struct rp_cust *c, int64_t t)
{
	resp_add(a, c->waiting, t, c->wait_g, same_day(c->sms_n, c->sms_d, t),
	    1);
	if (c->r0s == RP_NOTIME) {
		c->r0s = c->waiting;
		c->r0e = t;
		c->r0g = c->wait_g;
		c->r0f = c->wf;
		c->r0d = c->sms_d;
		c->r0t = c->wt;
		c->r0m = c->sms_n;
		c->r0fd = c->wfd;
	}
	wait_reset(c);
}

/* An inbound SMS at ts joins c's wait.  Its deadline is the end of its
 * working day; deadlines only grow with ts, so the SMS waiting whose
 * deadline has passed by ts are late whatever comes, and all the others
 * share ts's deadline: one run (sms_n, sms_d) is enough. */
static void
sms_in(struct rp_agg *a, struct rp_cust *c, int64_t ts)
{
	int gi = c->wait_g;

	if (c->wf == RP_NOTIME) {
		c->wf = ts;
		c->wfd = 1;
	}
	if (c->sms_n && c->sms_d <= ts) {
		c->sms_n = 0;
		c->wfd = 0;
	}
	c->sms_d = workday_deadline(a, ts);
	c->sms_n++;
	c->wt++;
	G(g->sms_timed++);
}

/* c's wait goes on with the inbound SMS of a later part that came
 * before that part's first reply: f the first, fd whether they kept its
 * run, t how many, n and d the last run. */
static void
sms_join(struct rp_cust *c, int64_t f, int fd, uint32_t t, uint32_t n,
    int64_t d)
{
	int keep;

	if (f == RP_NOTIME)
		return;
	keep = c->sms_n && c->sms_d > f && fd;
	if (c->wf == RP_NOTIME) {
		c->wf = f;
		c->wfd = (uint8_t)fd;
	} else
		c->wfd = (uint8_t)(c->wfd && keep);
	c->sms_n = keep ? c->sms_n + n : n;
	c->sms_d = d;
	c->wt += t;
}

static void
follow_up(struct rp_agg *a, struct rp_cust *c, int moved)
{
	int ng = c->notify_g;

	if (!c->notified) {
		if (!c->seen_notice && !c->orphan)
			c->orphan = (uint8_t)(1 + moved);
		return;
	}
	if (moved) {
		a->g[0].moved++;
		if (ng > 0)
			a->g[ng].moved++;
	} else {
		a->g[0].answered_later++;
		if (ng > 0)
			a->g[ng].answered_later++;
	}
	c->notified = 0;
}

/* ---- conversations and their first response ----
 *
 * A conversation opens with an inbound contact when the customer's last
 * one is more than conv_gap earlier (or there is none); its first
 * response is the first reply after that message, counted in the group
 * of that message.  A conversation that gets none before the next one
 * opens, or before the end, is unanswered. */

static void
fr_add(struct rp_agg *a, int64_t start, int64_t end, int gi, int sign)
{
	double d = (double)(end - start) / 1000;
	uint64_t k = (uint64_t)(int64_t)sign;

	G((g->fr_n += k, g->fr_sum += sign * d,
	    rp_sketch_add(&g->fr, d, sign),
	    g->fr_le_online += d <= a->conf->sla_online ? k : 0));
}

static void
fr_none(struct rp_agg *a, int gi, int sign)
{
	G(g->unanswered += (uint64_t)(int64_t)sign);
}

/* This part's first conversation still waits for its first response. */
static int
first_open(const struct rp_cust *c)
{
	return c->c0 != RP_NOTIME && c->f0e == RP_NOTIME && !c->f0u;
}

/* c's waiting conversation is answered at t (t != RP_NOTIME) or, with
 * t == RP_NOTIME, closed without an answer. */
static void
fr_close(struct rp_agg *a, struct rp_cust *c, int64_t t)
{
	if (t != RP_NOTIME)
		fr_add(a, c->fo, t, c->fg, 1);
	else
		fr_none(a, c->fg, 1);
	if (first_open(c)) {
		if (t != RP_NOTIME)
			c->f0e = t;
		else
			c->f0u = 1;
	}
	c->fo = RP_NOTIME;
}

static void
conv_in(struct rp_agg *a, struct rp_cust *c, int64_t ts, int gi)
{
	if (c->li == RP_NOTIME || (double)(ts - c->li) >
	    a->conf->conv_gap * 1000) {
		if (c->fo != RP_NOTIME)
			fr_close(a, c, RP_NOTIME);
		c->fo = ts;
		c->fg = gi;
		if (c->c0 == RP_NOTIME) {
			c->c0 = ts;
			c->c0g = gi;
		}
		G(g->convs++);
	}
	if (c->li == RP_NOTIME || ts > c->li)
		c->li = ts;
}

static void
conv_out(struct rp_agg *a, struct rp_cust *c, int64_t t)
{
	if (c->fo != RP_NOTIME && t >= c->fo)
		fr_close(a, c, t);
}

/* The conversations of c, then of b, a later part. */
static void
conv_meet(struct rp_agg *a, struct rp_cust *c, const struct rp_cust *b)
{
	int cont = 0, gi;

	/* b's replies before its first message answer c's conversation. */
	if (c->fo != RP_NOTIME && b->out0 != RP_NOTIME && b->out0 >= c->fo)
		fr_close(a, c, b->out0);
	if (b->c0 != RP_NOTIME) {
		cont = c->li != RP_NOTIME && (double)(b->c0 - c->li) <=
		    a->conf->conv_gap * 1000;
		if (cont) {
			/* b's first conversation goes on c's: take back
			 * what b made of it, and end c's as it ended. */
			gi = b->c0g;
			G(g->convs--);
			if (b->f0e != RP_NOTIME)
				fr_add(a, b->c0, b->f0e, b->c0g, -1);
			if (b->f0u)
				fr_none(a, b->c0g, -1);
			if (c->fo != RP_NOTIME && (b->f0e != RP_NOTIME ||
			    b->f0u))
				fr_close(a, c, b->f0e);
		} else if (c->fo != RP_NOTIME)
			fr_close(a, c, RP_NOTIME);
		if (c->c0 == RP_NOTIME) {
			c->c0 = b->c0;
			c->c0g = b->c0g;
			c->f0e = b->f0e;
			c->f0u = b->f0u;
		}
	}
	if (b->fo != RP_NOTIME && !(cont && first_open(b))) {
		c->fo = b->fo;
		c->fg = b->fg;
	}
	if (b->li != RP_NOTIME && (c->li == RP_NOTIME || b->li > c->li))
		c->li = b->li;
}

/* c waits as b does at its end. */
static void
wait_from(struct rp_cust *c, const struct rp_cust *b)
{
	c->waiting = b->waiting;
	c->wait_g = b->wait_g;
	c->wf = b->wf;
	c->wfd = b->wfd;
	c->wt = b->wt;
	c->sms_n = b->sms_n;
	c->sms_d = b->sms_d;
}

void
rp_cust_meet(struct rp_agg *a, struct rp_cust *c, const struct rp_cust *b)
{
	conv_meet(a, c, b);
	/* b is what came after c, summed up: its first contact closes c's
	 * open one; its first reply answers c's wait (taking back the wait
	 * b measured from a later message); its first follow-up answers
	 * c's pending notice. */
	if (b->first != RP_NOTIME && c->open != RP_NOTIME) {
		if (b->first >= c->open)
			close_open(a, c->open, c->open_g, b->first);
		else
			close_open(a, b->first, b->first_g, c->open);
	}
	if (b->open != RP_NOTIME && (c->open == RP_NOTIME ||
	    b->open >= c->open)) {
		c->open = b->open;
		c->open_g = b->open_g;
	}
	if (c->first == RP_NOTIME && b->first != RP_NOTIME) {
		c->first = b->first;
		c->first_g = b->first_g;
	}
	if (c->waiting != RP_NOTIME) {
		int64_t end = RP_NOTIME;

		if (b->out0 != RP_NOTIME && b->out0 >= c->waiting)
			end = b->out0;
		else if (b->r0s != RP_NOTIME) {
			resp_add(a, b->r0s, b->r0e, b->r0g,
			    same_day(b->r0m, b->r0d, b->r0e), -1);
			sms_move(a, b->r0t, b->r0g, c->wait_g);
			sms_join(c, b->r0f, b->r0fd, b->r0t, b->r0m, b->r0d);
			end = b->r0e;
		}
		if (end != RP_NOTIME) {
			response(a, c, end);
			wait_from(c, b);
		} else {
			/* b never answered: its messages join c's wait. */
			sms_move(a, b->wt, b->wait_g, c->wait_g);
			sms_join(c, b->wf, b->wfd, b->wt, b->sms_n, b->sms_d);
		}
	} else {
		if (c->out0 == RP_NOTIME && !c->seen_in)
			c->out0 = b->out0;
		if (c->r0s == RP_NOTIME) {
			c->r0s = b->r0s;
			c->r0e = b->r0e;
			c->r0g = b->r0g;
			c->r0f = b->r0f;
			c->r0d = b->r0d;
			c->r0t = b->r0t;
			c->r0m = b->r0m;
			c->r0fd = b->r0fd;
		}
		wait_from(c, b);
	}
	if (c->notified && b->orphan)
		follow_up(a, c, b->orphan == 2);
	else if (!c->seen_notice && !c->orphan)
		c->orphan = b->orphan;
	if (b->notified) {
		c->notified = 1;
		c->notify_g = b->notify_g;
	}
	c->seen_in |= b->seen_in;
	c->seen_notice |= b->seen_notice;
}

static void
apply_queue(struct rp_agg *a, const struct rp_ev *ev, int gi,
    struct rp_cust *c, struct rp_group *day)
{
	const struct rp_conf *cf = a->conf;
	double w = ev->wait;
	int k = ev->sub, known = ev->has_wait;

	G(g->q[k]++);
	if (k == Q_TIMEOUT && cf->timeout_abandon)
		k = Q_ABANDON;
	if (known && (k == Q_CONNECT || k == Q_ABANDON || k == Q_TIMEOUT)) {
		G((g->wait_sum += w, g->wait_n++,
		    rp_sketch_add(&g->wait, w, 1)));
		if (ev->ts != RP_NOTIME) {
			a->hour_wait[a->lt_h] += w;
			a->hour_wait_n[a->lt_h]++;
		}
	}
	if (ev->contact && ev->ts != RP_NOTIME)
		a->hour_vol[a->lt_h]++;
	switch (k) {
	case Q_CONNECT:
		G(g->answered++);
		if (day)
			day->answered++;
		if (!known) {
			G(g->ans_unknown++);
			break;
		}
		G((g->wait_ans_sum += w, g->ans_le_t += w <= cf->sl_t,
		    g->ans_le_phone += w <= cf->sla_phone));
		break;
	case Q_ABANDON: {
		int sh = known && cf->short_abandon > 0 &&
		    w <= cf->short_abandon;

		G((g->abandoned++, g->short_ab += sh));
		if (day) {
			day->abandoned++;
			day->short_ab += sh;
		}
		if (!known) {
			G((g->wait_unknown++, g->ab_gt_t++));
			break;
		}
		G((g->wait_ab_sum += w, g->wait_ab_n++,
		    g->ab_le_t += w <= cf->sl_t, g->ab_gt_t += w > cf->sl_t,
		    g->ab_short_le_t += sh && w <= cf->sl_t));
		break;
	}
	case Q_TIMEOUT:
		G(g->overflow++);
		break;
	case Q_MISSED:
		G(g->missed++);
		break;
	case Q_CALLBACK:
		G(g->callback++);
		break;
	case Q_COMPLETE:
		if (ev->talk >= 0)
			G((g->talk_sum += ev->talk, g->talk_n++));
		break;
	}
	if (c && k == Q_CONNECT)
		follow_up(a, c, 0);
}

static void
apply_ticket(struct rp_agg *a, const struct rp_ev *ev, int gi)
{
	struct rp_ticket *t = rp_ticket_get(a, ev->ticket, 1);
	int64_t ts = ev->ts;

	if (t->g < 0 || (ts != RP_NOTIME && ts < t->gts)) {
		t->g = gi;
		t->gts = ts == RP_NOTIME ? INT64_MAX : ts;
	}
	if (ev->created != RP_NOTIME &&
	    (t->created == RP_NOTIME || ev->created < t->created))
		t->created = ev->created;
	if (ev->sub == T_CREATED && ev->created == RP_NOTIME && ts !=
	    RP_NOTIME && (t->created == RP_NOTIME || ts < t->created))
		t->created = ts;
	if (ts == RP_NOTIME)
		return;
	if (ev->sub == T_COMMENT && ev->by_agent && ev->public_ &&
	    (t->reply == RP_NOTIME || ts < t->reply))
		t->reply = ts;
	if (((ev->sub == T_COMMENT && ev->by_agent) ||
	    (ev->sub != T_CREATED && ev->status &&
	    strcmp(ev->status, "new") != 0)) &&
	    (t->accept == RP_NOTIME || ts < t->accept))
		t->accept = ts;
	if (ev->sub == T_SOLVED) {
		t->solves++;
		if (t->first_solve == RP_NOTIME || ts < t->first_solve)
			t->first_solve = ts;
		if (t->last_solve == RP_NOTIME || ts > t->last_solve)
			t->last_solve = ts;
	}
	if (ev->sub == T_REOPENED)
		G(g->reopened++);
}

static int
group_index(struct rp_agg *a, const struct rp_ev *ev)
{
	char key[1024];
	size_t n = 0;

	for (int i = 0; i < a->conf->nby; i++) {
		int b = a->conf->by[i];
		const char *v = ev->key[b];
		char hb[4];

		if (b == BY_DAY || b == BY_HOUR || b == BY_WEEK) {
			if (ev->ts == RP_NOTIME)
				v = "(none)";
			else if (b == BY_DAY)
				v = a->lt_day;
			else if (b == BY_WEEK)
				v = a->lt_week;
			else {
				snprintf(hb, sizeof hb, "%02d", a->lt_h);
				v = hb;
			}
		}
		if (v == NULL)
			v = "(none)";
		if (i > 0 && n < sizeof key - 1)
			key[n++] = '\x1f';
		for (; *v && n < sizeof key - 1; v++)
			key[n++] = *v == '\x1f' ? ' ' : *v;
	}
	key[n] = '\0';
	return rp_group_of(a, key);
}

void
rp_apply(struct rp_agg *a, const struct rp_ev *ev)
{
	const struct rp_conf *cf = a->conf;
	struct rp_cust *c = NULL;
	struct rp_group *day = NULL;
	int gi;

	a->records++;
	if (cf->dedup && ev->dup) {
		size_t n = a->seen.n;

		hget(&a->seen, ev->dup, 1, sizeof ev->dup);
		if (a->seen.n == n) {	/* seen before */
			a->duplicates++;
			return;
		}
	}
	if (ev->ts != RP_NOTIME) {
		if (ev->ts < cf->from || ev->ts >= cf->to) {
			a->outside++;
			return;
		}
		if (ev->ts < a->tmin)
			a->tmin = ev->ts;
		if (ev->ts > a->tmax)
			a->tmax = ev->ts;
		local(a, ev->ts);
		if (ev->kind == K_QUEUE)
			day = rp_side(&a->days, &a->ndays, a->lt_day);
	}
	gi = cf->nby ? group_index(a, ev) : 0;
	if (ev->cust && ev->ts != RP_NOTIME)
		c = rp_cust_get(a, ev->cust, 1);
	switch (ev->kind) {
	case K_QUEUE:
		apply_queue(a, ev, gi, c, day);
		break;
	case K_RESULT: {
		int s = ev->sub;
		double cost = 0;

		G((g->st[s]++, g->segments += (uint64_t)ev->segments));
		rp_side(&a->chans, &a->nchans,
		    ev->key[BY_CHANNEL])->st[s]++;
		if (s == S_SENT) {
			cost = ev->segments * price_of(cf,
			    ev->key[BY_PROVIDER], ev->key[BY_CHANNEL]);
			G((g->sent_segments += (uint64_t)ev->segments,
			    g->cost += cost));
		}
		if (ev->code && (s == S_FAILED || s == S_UNKNOWN ||
		    s == S_SUPPRESSED || s == S_DEFERRED))
			G(rp_count_add(&g->fail, &g->nfail, ev->code, 1));
		if (ev->ts != RP_NOTIME)
			a->hour_vol[a->lt_h]++;
		if (s != S_SENT && s != S_OUTBOX)
			break;
		if (ev->notice) {
			G(g->notified++);
			if (c) {
				c->notified = 1;
				c->notify_g = gi;
				c->seen_notice = 1;
			}
		}
		/* Queue notices and templated sends are automated: not a
		 * reply unless --replies any. */
		if (c == NULL || (!cf->replies_any && (ev->notice ||
		    ev->key[BY_TEMPLATE] != NULL)))
			break;
		conv_out(a, c, ev->ts);
		if (c->waiting != RP_NOTIME && ev->ts >= c->waiting)
			response(a, c, ev->ts);
		else if (!c->seen_in && c->out0 == RP_NOTIME)
			c->out0 = ev->ts;
		break;
	}
	case K_RECEIPT:
		G(g->dlr[ev->sub]++);
		rp_side(&a->chans, &a->nchans, ev->key[BY_CHANNEL] ?
		    ev->key[BY_CHANNEL] : "(none)")->dlr[ev->sub]++;
		if (ev->sub != D_DELIVERED) {
			char b[160];

			snprintf(b, sizeof b, "%s:%s", ev->key[BY_PROVIDER] ?
			    ev->key[BY_PROVIDER] : "receipt", ev->code ?
			    ev->code : ev->sub == D_FAILED ? "failed" :
			    "undelivered");
			G(rp_count_add(&g->fail, &g->nfail, b, 1));
		}
		break;
	case K_INBOUND: {
		int sms = ev->key[BY_CHANNEL] &&
		    strcmp(ev->key[BY_CHANNEL], "sms") == 0;

		if (ev->ts != RP_NOTIME)
			a->hour_vol[a->lt_h]++;
		if (ev->key[BY_INTENT])
			G(rp_count_add(&g->intents, &g->nintents,
			    ev->key[BY_INTENT], 1));
		if (ev->csat_scale)
			G(g->csat[ev->csat_scale][ev->csat_score]++);
		else if (ev->satisfied >= 0)
			G(g->csat[0][ev->satisfied]++);
		if (ev->optout)
			G(g->optouts++);
		if (!ev->contact)
			break;
		G(g->inbound++);
		if (c == NULL)
			break;	/* no customer or no time: no wait to measure */
		G(g->inbound_sms += sms);
		if (c->waiting == RP_NOTIME) {
			wait_reset(c);
			c->waiting = ev->ts;
			c->wait_g = gi;
		}
		if (sms)
			sms_in(a, c, ev->ts);
		conv_in(a, c, ev->ts, gi);
		c->seen_in = 1;
		follow_up(a, c, 1);
		break;
	}
	case K_TICKET:
		apply_ticket(a, ev, gi);
		break;
	}
	if (c && ev->contact)
		contact(a, c, ev->ts, gi);
}

void
rp_finish(struct rp_agg *a)
{
	const struct rp_conf *cf = a->conf;
	int64_t end = cf->to != INT64_MAX ? cf->to : a->tmax;
	double w = cf->repeat_s * 1000;

	for (size_t i = 0; i < a->cust.cap; i++) {
		struct rp_cust *c = (struct rp_cust *)a->cust.v + i;
		int gi;

		if (c->key == 0)
			continue;
		if (c->open != RP_NOTIME) {
			int done = (double)(end - c->open) >= w;

			gi = c->open_g;
			if (done || cf->uncensored)
				G(g->contacts++);
			else
				G(g->censored++);
		}
		if (c->fo != RP_NOTIME) {
			gi = c->fg;
			G(g->unanswered++);
		}
	}
	for (size_t i = 0; i < a->tick.cap; i++) {
		struct rp_ticket *t = (struct rp_ticket *)a->tick.v + i;
		int gi = t->g < 0 ? 0 : t->g;
		int64_t s = cf->resolution_full ? t->last_solve :
		    t->first_solve;

		if (t->key == 0)
			continue;
		G(g->tickets++);
		if (t->created != RP_NOTIME && t->reply != RP_NOTIME &&
		    t->reply >= t->created)
			G((g->replied++, g->reply_sum +=
			    (double)(t->reply - t->created) / 1000));
		if (t->created != RP_NOTIME && t->accept != RP_NOTIME &&
		    t->accept >= t->created)
			G((g->accepted++, g->accepted_le +=
			    (double)(t->accept - t->created) / 1000 <=
			    cf->sla_ticket));
		if (t->solves == 0)
			continue;
		if (t->created == RP_NOTIME || s < t->created) {
			G((g->solved++, g->solved_unknown++));
			continue;
		}
		G((g->solved++,
		    g->solve_sum += (double)(s - t->created) / 1000,
		    rp_sketch_add(&g->solve, (double)(s - t->created) / 1000,
		    1)));
	}
}
