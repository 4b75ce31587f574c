/* partial.c - --partial writes the sums, --merge adds them up
 *
 * SPDX-License-Identifier: MIT
 * A partial result is one JSON object on one line:
 *   {"cx_report_partial": 1, "conventions": "...", "records": N, ...,
 *    "groups": [{"key": "...", "answered": N, ..., "wait": SKETCH}, ...],
 *    "days": [...], "channels": [...], "hours": {...},
 *    "customers": [[hash, open, open_g, first, first_g, waiting, wait_g,
 *                   wfd, out0, r0s, r0e, r0g, r0fd, notified, notify_g,
 *                   seen_in, seen_notice, orphan, wf, wt, sms_n, sms_d,
 *                   r0f, r0d, r0t, r0m, li, fo, fg, c0, c0g, f0e, f0u],
 *                  ...],
 *    "tickets": [[hash, created, reply, accept, first, last, g, solves]]}
 * Counts and sums add, sketches add bucket by bucket (exact), tickets
 * combine by earliest/latest times (exact).  A customer present in two
 * partials is met in the order they are merged (rp_cust_meet), which
 * main.c makes the order of their earliest time: exact when no customer
 * spans two partials or each partial is a stretch of time-ordered input.
 * Customers and tickets are written as 64-bit FNV-1a hashes, never as
 * phone numbers or ids; unsalted, so a number can be found again by
 * hashing candidates: a partial is personal data (cx-report(1) says so).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct field {
	const char *name;
	size_t off;
	int n;			/* number of values */
	int dbl;
};

#define U(f) { #f, offsetof(struct rp_group, f), \
	(int)(sizeof(((struct rp_group *)0)->f) / sizeof(uint64_t)), 0 }
#define D(f) { #f, offsetof(struct rp_group, f), 1, 1 }

static const struct field fields[] = {
	U(q), U(answered), U(abandoned), U(short_ab), U(overflow), U(missed),
	U(callback), U(ans_le_t), U(ab_le_t), U(ab_short_le_t), U(ab_gt_t),
	U(wait_unknown), U(ans_unknown), D(wait_ans_sum), D(wait_ab_sum),
	D(talk_sum), U(wait_ab_n), U(talk_n), D(wait_sum), U(wait_n),
	U(ans_le_phone), U(notified), U(answered_later), U(moved), U(st),
	U(segments), U(sent_segments), D(cost), U(dlr), U(resp_n),
	U(resp_le_online), U(inbound), U(inbound_sms), U(sms_timed),
	U(sms_sameday),
	U(unanswered), D(resp_sum), U(convs), U(fr_n), U(fr_le_online),
	D(fr_sum), U(tickets), U(solved), U(solved_unknown),
	U(reopened), U(accepted), U(accepted_le), U(replied), D(solve_sum),
	D(reply_sum), U(contacts), U(repeats), U(censored), U(csat),
	U(optouts),
};
#define NFIELDS (int)(sizeof fields / sizeof fields[0])

void
rp_group_merge(struct rp_group *into, const struct rp_group *from)
{
	for (int i = 0; i < NFIELDS; i++) {
		char *d = (char *)into + fields[i].off;
		const char *s = (const char *)from + fields[i].off;

		for (int k = 0; k < fields[i].n; k++)
			if (fields[i].dbl)
				((double *)d)[k] += ((const double *)s)[k];
			else
				((uint64_t *)d)[k] += ((const uint64_t *)s)[k];
	}
	rp_sketch_merge(&into->wait, &from->wait);
	rp_sketch_merge(&into->resp, &from->resp);
	rp_sketch_merge(&into->fr, &from->fr);
	rp_sketch_merge(&into->solve, &from->solve);
	for (int i = 0; i < from->nfail; i++)
		rp_count_add(&into->fail, &into->nfail, from->fail[i].name,
		    from->fail[i].n);
	for (int i = 0; i < from->nintents; i++)
		rp_count_add(&into->intents, &into->nintents,
		    from->intents[i].name, from->intents[i].n);
}

static json_t *
counts_json(const struct rp_count *v, int n)
{
	json_t *o = json_object();

	for (int i = 0; i < n; i++)
		json_object_set_new(o, v[i].name,
		    json_integer((json_int_t)v[i].n));
	return o;
}

static json_t *
group_json(const struct rp_group *g)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", json_string(g->key));
	for (int i = 0; i < NFIELDS; i++) {
		const char *p = (const char *)g + fields[i].off;
		json_t *v;

		if (fields[i].dbl)
			v = json_real(*(const double *)p);
		else if (fields[i].n == 1)
			v = json_integer((json_int_t)*(const uint64_t *)p);
		else {
			v = json_array();
			for (int k = 0; k < fields[i].n; k++)
				json_array_append_new(v, json_integer(
				    (json_int_t)((const uint64_t *)p)[k]));
		}
		json_object_set_new(o, fields[i].name, v);
	}
	json_object_set_new(o, "wait", rp_sketch_to_json(&g->wait));
	json_object_set_new(o, "resp", rp_sketch_to_json(&g->resp));
	json_object_set_new(o, "fr", rp_sketch_to_json(&g->fr));
	json_object_set_new(o, "solve", rp_sketch_to_json(&g->solve));
	json_object_set_new(o, "fail", counts_json(g->fail, g->nfail));
	json_object_set_new(o, "intents", counts_json(g->intents,
	    g->nintents));
	return o;
}

static int
group_from(struct rp_group *g, const json_t *o)
{
	const char *k;
	json_t *v;

	for (int i = 0; i < NFIELDS; i++) {
		char *p = (char *)g + fields[i].off;

		v = json_object_get(o, fields[i].name);
		if (fields[i].dbl) {
			if (!json_is_number(v))
				return -1;
			*(double *)p = json_number_value(v);
		} else if (fields[i].n == 1) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return -1;
			*(uint64_t *)p = (uint64_t)json_integer_value(v);
		} else {
			if (!json_is_array(v) || (int)json_array_size(v) !=
			    fields[i].n)
				return -1;
			for (int j = 0; j < fields[i].n; j++) {
				json_t *e = json_array_get(v, (size_t)j);

				if (!json_is_integer(e) ||
				    json_integer_value(e) < 0)
					return -1;
				((uint64_t *)p)[j] =
				    (uint64_t)json_integer_value(e);
			}
		}
	}
	if (rp_sketch_from_json(&g->wait, json_object_get(o, "wait")) ||
	    rp_sketch_from_json(&g->resp, json_object_get(o, "resp")) ||
	    rp_sketch_from_json(&g->fr, json_object_get(o, "fr")) ||
	    rp_sketch_from_json(&g->solve, json_object_get(o, "solve")))
		return -1;
	json_object_foreach((json_t *)json_object_get(o, "fail"), k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -1;
		rp_count_add(&g->fail, &g->nfail, k,
		    (uint64_t)json_integer_value(v));
	}
	json_object_foreach((json_t *)json_object_get(o, "intents"), k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -1;
		rp_count_add(&g->intents, &g->nintents, k,
		    (uint64_t)json_integer_value(v));
	}
	return 0;
}

static void
group_release(struct rp_group *g)
{
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

/* The conventions that change what is added up: partials made with
 * others do not merge. */
static char *
conventions(const struct rp_conf *c)
{
	struct cx_buf b = { 0 };

	cx_buf_printf(&b, "by=");
	for (int i = 0; i < c->nby; i++)
		cx_buf_printf(&b, "%s%s", i ? "," : "", rp_by_names[c->by[i]]);
	cx_buf_printf(&b, " tz=%s short=%g sl=%g timeout=%s repeat=%g "
	    "phone=%g online=%g workday_end=%d price=%g replies=%s "
	    "conversation_gap=%g", c->tz, c->short_abandon, c->sl_t,
	    c->timeout_abandon ? "abandon" : "overflow", c->repeat_s,
	    c->sla_phone, c->sla_online, c->work_end, c->price,
	    c->replies_any ? "any" : "agent", c->conv_gap);
	for (int i = 0; i < c->nprices; i++)
		cx_buf_printf(&b, " price_%s=%g", c->prices[i].name,
		    c->prices[i].price);
	if (c->dedup)
		cx_buf_printf(&b, " dedup=call_id,event,ts");
	if (rp_hash_key_id())
		cx_buf_printf(&b, " key=%s", rp_hash_key_id());
	if (c->from != INT64_MIN)
		cx_buf_printf(&b, " from=%lld", (long long)c->from);
	if (c->to != INT64_MAX)
		cx_buf_printf(&b, " to=%lld", (long long)c->to);
	return cx_buf_take(&b);
}

static json_t *
jint(int64_t v)
{
	return v == RP_NOTIME ? json_null() : json_integer(v);
}

json_t *
rp_partial_to_json(const struct rp_agg *a)
{
	json_t *o = json_object(), *v, *h, *e;
	char *conv = conventions(a->conf);

	json_object_set_new(o, "cx_report_partial", json_integer(1));
	json_object_set_new(o, "conventions", json_string(conv));
	free(conv);
	json_object_set_new(o, "records", json_integer((json_int_t)a->records));
	json_object_set_new(o, "unknown", json_integer((json_int_t)a->unknown));
	json_object_set_new(o, "bad", json_integer((json_int_t)a->bad));
	json_object_set_new(o, "outside", json_integer((json_int_t)a->outside));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)
	    a->duplicates));
	json_object_set_new(o, "tmin", a->tmin == INT64_MAX ? json_null() :
	    json_integer(a->tmin));
	json_object_set_new(o, "tmax", a->tmax == INT64_MIN ? json_null() :
	    json_integer(a->tmax));
	v = json_array();
	for (int i = 0; i < a->ng; i++)
		json_array_append_new(v, group_json(&a->g[i]));
	json_object_set_new(o, "groups", v);
	v = json_array();
	for (int i = 0; i < a->ndays; i++)
		json_array_append_new(v, group_json(&a->days[i]));
	json_object_set_new(o, "days", v);
	v = json_array();
	for (int i = 0; i < a->nchans; i++)
		json_array_append_new(v, group_json(&a->chans[i]));
	json_object_set_new(o, "channels", v);
	h = json_object();
	v = json_array();
	for (int i = 0; i < 24; i++)
		json_array_append_new(v, json_integer((json_int_t)
		    a->hour_vol[i]));
	json_object_set_new(h, "volume", v);
	v = json_array();
	for (int i = 0; i < 24; i++)
		json_array_append_new(v, json_integer((json_int_t)
		    a->hour_wait_n[i]));
	json_object_set_new(h, "wait_n", v);
	v = json_array();
	for (int i = 0; i < 24; i++)
		json_array_append_new(v, json_real(a->hour_wait[i]));
	json_object_set_new(h, "wait", v);
	json_object_set_new(o, "hours", h);
	v = json_array();
	for (size_t i = 0; i < a->cust.cap; i++) {
		const struct rp_cust *c = (const struct rp_cust *)a->cust.v + i;
		char hx[20];

		if (c->key == 0)
			continue;
		snprintf(hx, sizeof hx, "%016llx", (unsigned long long)c->key);
		e = json_pack("[s,o,i,o,i,o,i,i,o,o,o,i,i,i,i,i,i,i,o,I,I,o,o,"
		    "o,I,I,o,o,i,o,i,o,i]", hx, jint(c->open), c->open_g,
		    jint(c->first), c->first_g, jint(c->waiting), c->wait_g,
		    c->wfd, jint(c->out0), jint(c->r0s), jint(c->r0e), c->r0g,
		    c->r0fd, c->notified, c->notify_g, c->seen_in,
		    c->seen_notice, c->orphan, jint(c->wf), (json_int_t)c->wt,
		    (json_int_t)c->sms_n, jint(c->sms_d), jint(c->r0f),
		    jint(c->r0d), (json_int_t)c->r0t, (json_int_t)c->r0m,
		    jint(c->li), jint(c->fo), c->fg, jint(c->c0), c->c0g,
		    jint(c->f0e), c->f0u);
		json_array_append_new(v, e);
	}
	json_object_set_new(o, "customers", v);
	v = json_array();
	for (size_t i = 0; i < a->tick.cap; i++) {
		const struct rp_ticket *t = (const struct rp_ticket *)a->tick.v
		    + i;
		char hx[20];

		if (t->key == 0)
			continue;
		snprintf(hx, sizeof hx, "%016llx", (unsigned long long)t->key);
		json_array_append_new(v, json_pack("[s,o,o,o,o,o,i,i,o]", hx,
		    jint(t->created), jint(t->reply), jint(t->accept),
		    jint(t->first_solve), jint(t->last_solve), t->g,
		    (int)t->solves, t->gts == INT64_MAX ? json_null() :
		    json_integer(t->gts)));
	}
	json_object_set_new(o, "tickets", v);
	return o;
}

#define NCUST 33		/* values of a customer */

static int
jtime(const json_t *v, int64_t *out)
{
	if (json_is_null(v)) {
		*out = RP_NOTIME;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static uint64_t
jhash(const json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	unsigned long long h;

	if (s == NULL || strlen(s) != 16)
		return 0;
	h = strtoull(s, &end, 16);
	return *end ? 0 : h;
}

static int
side_merge(struct rp_group **v, int *n, const json_t *arr)
{
	size_t i;
	json_t *e;

	if (!json_is_array(arr))
		return -1;
	json_array_foreach(arr, i, e) {
		struct rp_group g = { 0 };
		const char *key = json_string_value(json_object_get(e, "key"));

		if (key == NULL || group_from(&g, e) != 0) {
			group_release(&g);
			return -1;
		}
		rp_group_merge(rp_side(v, n, key), &g);
		group_release(&g);
	}
	return 0;
}

int
rp_partial_merge(struct rp_agg *a, const json_t *j, const char **err)
{
	json_t *groups = json_object_get(j, "groups"), *e, *h;
	const char *conv = json_string_value(json_object_get(j,
	    "conventions"));
	char *mine = conventions(a->conf);
	int *map, ng, bad = 0;
	size_t i;
	int64_t t;

	*err = "bad or missing field";
	if (!json_is_integer(json_object_get(j, "cx_report_partial")) ||
	    !json_is_array(groups) || conv == NULL) {
		free(mine);
		return -1;
	}
	if (strcmp(conv, mine) != 0) {
		free(mine);
		*err = "made with other options or configuration (compare "
		    "its \"conventions\" with cx-report -v --partial)";
		return -1;
	}
	free(mine);
	ng = (int)json_array_size(groups);
	map = cx_xcalloc((size_t)ng + 1, sizeof *map);
	json_array_foreach(groups, i, e) {
		struct rp_group g = { 0 };
		const char *key = json_string_value(json_object_get(e, "key"));

		if (key == NULL || group_from(&g, e) != 0) {
			group_release(&g);
			bad = 1;
			break;
		}
		map[i] = i == 0 ? 0 : rp_group_of(a, key);
		if (i == 0 && key[0] != '\0')
			bad = 1;
		rp_group_merge(&a->g[map[i]], &g);
		group_release(&g);
	}
	if (bad || side_merge(&a->days, &a->ndays, json_object_get(j, "days"))
	    || side_merge(&a->chans, &a->nchans, json_object_get(j,
	    "channels")))
		goto fail;
	h = json_object_get(j, "hours");
	for (int k = 0; k < 24; k++) {
		json_t *vv = json_array_get(json_object_get(h, "volume"),
		    (size_t)k), *wn = json_array_get(json_object_get(h,
		    "wait_n"), (size_t)k), *w = json_array_get(
		    json_object_get(h, "wait"), (size_t)k);

		if (!json_is_integer(vv) || !json_is_integer(wn) ||
		    !json_is_number(w))
			goto fail;
		a->hour_vol[k] += (uint64_t)json_integer_value(vv);
		a->hour_wait_n[k] += (uint64_t)json_integer_value(wn);
		a->hour_wait[k] += json_number_value(w);
	}
	json_array_foreach(json_object_get(j, "customers"), i, e) {
		struct rp_cust in = { 0 }, *c;
		json_int_t x[NCUST];

		in.key = jhash(json_array_get(e, 0));
		if (in.key == 0 || json_array_size(e) != NCUST ||
		    jtime(json_array_get(e, 1), &in.open) ||
		    jtime(json_array_get(e, 3), &in.first) ||
		    jtime(json_array_get(e, 5), &in.waiting) ||
		    jtime(json_array_get(e, 8), &in.out0) ||
		    jtime(json_array_get(e, 9), &in.r0s) ||
		    jtime(json_array_get(e, 10), &in.r0e) ||
		    jtime(json_array_get(e, 18), &in.wf) ||
		    jtime(json_array_get(e, 21), &in.sms_d) ||
		    jtime(json_array_get(e, 22), &in.r0f) ||
		    jtime(json_array_get(e, 23), &in.r0d) ||
		    jtime(json_array_get(e, 26), &in.li) ||
		    jtime(json_array_get(e, 27), &in.fo) ||
		    jtime(json_array_get(e, 29), &in.c0) ||
		    jtime(json_array_get(e, 31), &in.f0e))
			goto fail;
		for (int k = 0; k < NCUST; k++) {
			x[k] = json_integer_value(json_array_get(e, (size_t)k));
			if ((k == 2 || k == 4 || k == 6 || k == 11 || k == 14 ||
			    k == 28 || k == 30) &&
			    (x[k] < 0 || x[k] >= ng))
				goto fail;
			if ((k == 19 || k == 20 || k == 24 || k == 25) &&
			    (x[k] < 0 || x[k] > UINT32_MAX))
				goto fail;
		}
		in.open_g = map[x[2]];
		in.first_g = map[x[4]];
		in.wait_g = map[x[6]];
		in.wfd = x[7] != 0;
		in.r0g = map[x[11]];
		in.r0fd = x[12] != 0;
		in.notified = x[13] != 0;
		in.notify_g = map[x[14]];
		in.seen_in = x[15] != 0;
		in.seen_notice = x[16] != 0;
		in.orphan = (uint8_t)(x[17] == 1 || x[17] == 2 ? x[17] : 0);
		in.wt = (uint32_t)x[19];
		in.sms_n = (uint32_t)x[20];
		in.r0t = (uint32_t)x[24];
		in.r0m = (uint32_t)x[25];
		in.fg = map[x[28]];
		in.c0g = map[x[30]];
		in.f0u = x[32] != 0;
		in.init = 1;
		c = rp_cust_get(a, in.key, 0);
		if (c == NULL) {
			c = rp_cust_get(a, in.key, 1);
			*c = in;
		} else
			rp_cust_meet(a, c, &in);
	}
	json_array_foreach(json_object_get(j, "tickets"), i, e) {
		struct rp_ticket in = { 0 }, *tk;
		json_int_t g;

		in.key = jhash(json_array_get(e, 0));
		g = json_integer_value(json_array_get(e, 6));
		if (in.key == 0 || json_array_size(e) != 9 ||
		    jtime(json_array_get(e, 8), &in.gts) ||
		    jtime(json_array_get(e, 1), &in.created) ||
		    jtime(json_array_get(e, 2), &in.reply) ||
		    jtime(json_array_get(e, 3), &in.accept) ||
		    jtime(json_array_get(e, 4), &in.first_solve) ||
		    jtime(json_array_get(e, 5), &in.last_solve) ||
		    g < -1 || g >= ng)
			goto fail;
		tk = rp_ticket_get(a, in.key, 1);
#define EARLY(f) if (in.f != RP_NOTIME && (tk->f == RP_NOTIME || \
	in.f < tk->f)) tk->f = in.f
		EARLY(created);
		EARLY(reply);
		EARLY(accept);
		EARLY(first_solve);
#undef EARLY
		if (in.last_solve != RP_NOTIME && (tk->last_solve ==
		    RP_NOTIME || in.last_solve > tk->last_solve))
			tk->last_solve = in.last_solve;
		tk->solves += (uint32_t)json_integer_value(json_array_get(e,
		    7));
		if (in.gts == RP_NOTIME)
			in.gts = INT64_MAX;
		if (g >= 0 && (tk->g < 0 || in.gts < tk->gts)) {
			tk->g = map[g];
			tk->gts = in.gts;
		}
	}
	a->records += (uint64_t)json_integer_value(json_object_get(j,
	    "records"));
	a->unknown += (uint64_t)json_integer_value(json_object_get(j,
	    "unknown"));
	a->bad += (uint64_t)json_integer_value(json_object_get(j, "bad"));
	a->outside += (uint64_t)json_integer_value(json_object_get(j,
	    "outside"));
	a->duplicates += (uint64_t)json_integer_value(json_object_get(j,
	    "duplicates"));
	if (jtime(json_object_get(j, "tmin"), &t) == 0 && t != RP_NOTIME &&
	    t < a->tmin)
		a->tmin = t;
	if (jtime(json_object_get(j, "tmax"), &t) == 0 && t != RP_NOTIME &&
	    t > a->tmax)
		a->tmax = t;
	free(map);
	return 0;
fail:
	free(map);
	*err = "bad or missing field";
	return -1;
}
