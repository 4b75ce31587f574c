/* out-json.c - the report as one JSON document
 *
 * SPDX-License-Identifier: MIT
 *   {"report": {from, to, tz, by, records, unknown, bad, outside,
 *               conventions...},
 *    "hotline": {"total": {...}, "groups": [{...}, ...]}, ... ,
 *    "failures": [{reason, count, share}], "intents": [...],
 *    "series": {"volume_by_hour": {"labels": [...], "values": [...]}}}
 * Rates are fractions (0.83, not 83); an empty denominator is null.
 */
#include <math.h>
#include <string.h>

#include "report.h"

static json_t *
num(double v, int fmt)
{
	if (isnan(v))
		return json_null();
	if (fmt == F_INT && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *
row_json(const struct rp_table *t, int i)
{
	json_t *o = json_object();

	for (int c = 0; c < t->ncol; c++) {
		const struct rp_cell *x = &t->cells[(size_t)i *
		    (size_t)t->ncol + (size_t)c];

		json_object_set_new(o, t->cols[c].id, t->cols[c].fmt ==
		    F_TXT ? json_string(x->s ? x->s : "") :
		    num(x->v, t->cols[c].fmt));
	}
	return o;
}

void
rp_out_json(FILE *f, const struct rp_report *r)
{
	const struct rp_conf *c = r->conf;
	const struct rp_agg *a = r->agg;
	json_t *o = json_object(), *m = json_object(), *by = json_array(),
	    *s = json_object(), *p;
	char t0[40];

	for (int i = 0; i < c->nby; i++)
		json_array_append_new(by, json_string(rp_by_names[c->by[i]]));
	json_object_set_new(m, "from", a->tmin == INT64_MAX ? json_null() :
	    json_string(cx_time_format_tz(a->tmin, c->tz, t0)));
	json_object_set_new(m, "to", a->tmax == INT64_MIN ? json_null() :
	    json_string(cx_time_format_tz(a->tmax, c->tz, t0)));
	json_object_set_new(m, "tz", json_string(c->tz));
	json_object_set_new(m, "by", by);
	json_object_set_new(m, "records", json_integer((json_int_t)a->records));
	json_object_set_new(m, "unknown", json_integer((json_int_t)a->unknown));
	json_object_set_new(m, "bad", json_integer((json_int_t)a->bad));
	json_object_set_new(m, "outside", json_integer((json_int_t)a->outside));
	json_object_set_new(m, "duplicates", json_integer((json_int_t)
	    a->duplicates));
	json_object_set_new(m, "short_abandon_s", json_real(c->short_abandon));
	json_object_set_new(m, "sl_threshold_s", json_real(c->sl_t));
	json_object_set_new(m, "sl_formula",
	    json_string(rp_sl_names[c->sl_formula]));
	json_object_set_new(m, "repeat_days", json_real(c->repeat_s / 86400));
	json_object_set_new(m, "uncensored", json_boolean(c->uncensored));
	json_object_set_new(m, "timeout_as", json_string(c->timeout_abandon ?
	    "abandon" : "overflow"));
	json_object_set_new(m, "delivery_base", json_string(c->delivery_sent ?
	    "sent" : "receipts"));
	json_object_set_new(m, "resolution", json_string(c->resolution_full ?
	    "full" : "first"));
	json_object_set_new(m, "replies", json_string(c->replies_any ? "any" :
	    "agent"));
	json_object_set_new(m, "conversation_gap_h",
	    json_real(c->conv_gap / 3600));
	json_object_set_new(m, "dedup", json_boolean(c->dedup));
	json_object_set_new(m, "phone_answer_s", json_real(c->sla_phone));
	json_object_set_new(m, "online_reply_s", json_real(c->sla_online));
	json_object_set_new(m, "ticket_accept_s", json_real(c->sla_ticket));
	json_object_set_new(m, "workday_end", json_sprintf("%02d:%02d",
	    c->work_end / 60, c->work_end % 60));
	json_object_set_new(m, "currency", c->currency ?
	    json_string(c->currency) : json_null());
	json_object_set_new(m, "price", json_real(c->price));
	p = json_object();
	for (int i = 0; i < c->nprices; i++)
		json_object_set_new(p, c->prices[i].name,
		    json_real(c->prices[i].price));
	json_object_set_new(m, "prices", p);
	json_object_set_new(o, "report", m);
	for (int k = 0; k < r->nt; k++) {
		const struct rp_table *t = &r->t[k];
		json_t *v;

		if (strcmp(t->id, "failures") == 0 ||
		    strcmp(t->id, "intents") == 0) {
			v = json_array();
			for (int i = 0; i < t->nrow; i++)
				json_array_append_new(v, row_json(t, i));
		} else {
			json_t *g = json_array();

			v = json_object();
			for (int i = 0; i + 1 < t->nrow; i++)
				json_array_append_new(g, row_json(t, i));
			if (t->nrow > 0) {
				json_t *tot = row_json(t, t->nrow - 1);

				for (int i = 0; i < c->nby; i++)
					json_object_del(tot,
					    rp_by_names[c->by[i]]);
				json_object_set_new(v, "total", tot);
			}
			json_object_set_new(v, "groups", g);
		}
		json_object_set_new(o, t->id, v);
	}
	for (int k = 0; k < r->ns; k++) {
		json_t *e = json_object(), *l = json_array(), *v = json_array();

		for (int i = 0; i < r->s[k].n; i++) {
			json_array_append_new(l, json_string(r->s[k].labels[i]));
			json_array_append_new(v, num(r->s[k].v[i], F_NUM));
		}
		json_object_set_new(e, "labels", l);
		json_object_set_new(e, "values", v);
		json_object_set_new(s, r->s[k].id, e);
	}
	json_object_set_new(o, "series", s);
	json_dumpf(o, f, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	fputc('\n', f);
	json_decref(o);
}
