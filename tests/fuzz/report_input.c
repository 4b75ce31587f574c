/* report_input.c - fuzz cx-report's input path (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Each input is NDJSON: every line that parses as an object goes through
 * the classifier and the aggregates; then the report is built and written
 * in every format, and the partial written and merged back.  Built by
 * `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 *
 * Each line is also read by rp_scan() (scan.c), differentially: when it
 * is sure of a line, jansson must read the line as an object with the
 * very same fields, and the two must classify it the same.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/cx-report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_fields(const struct rp_fields *a, const struct rp_fields *b)
{
	for (int i = 0; i < F_N; i++) {
		const struct rp_fv *x = &a->v[i], *y = &b->v[i];

		if (x->t != y->t)
			abort();
		if (x->t == FT_INT && x->i != y->i)
			abort();
		if ((x->t == FT_INT || x->t == FT_REAL) &&
		    memcmp(&x->d, &y->d, sizeof x->d) != 0)
			abort();
		if (x->t == FT_STR && (x->n != y->n ||
		    memcmp(x->s, y->s, x->n) != 0 || x->s[x->n] != '\0'))
			abort();
	}
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void
same_ev(const struct rp_ev *a, const struct rp_ev *b)
{
	if (a->kind != b->kind || a->sub != b->sub ||
	    a->by_agent != b->by_agent || a->public_ != b->public_ ||
	    a->notice != b->notice || a->has_wait != b->has_wait ||
	    a->csat_scale != b->csat_scale ||
	    a->csat_score != b->csat_score || a->satisfied != b->satisfied ||
	    a->optout != b->optout || a->contact != b->contact ||
	    a->ts != b->ts || a->created != b->created ||
	    memcmp(&a->wait, &b->wait, sizeof a->wait) != 0 ||
	    memcmp(&a->talk, &b->talk, sizeof a->talk) != 0 ||
	    a->segments != b->segments || a->cust != b->cust ||
	    a->ticket != b->ticket || !str_eq(a->code, b->code) ||
	    !str_eq(a->status, b->status))
		abort();
	for (int i = 0; i < BY_N; i++)
		if (!str_eq(a->key[i], b->key[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_conf cf = { 0 };
	struct rp_agg a, m;
	struct rp_strs st = { 0 };
	struct rp_report r;
	const char *p = (const char *)data, *end = p + size, *err;
	json_t *part;
	FILE *f;

	cf.from = INT64_MIN;
	cf.to = INT64_MAX;
	cf.tz = "UTC";
	cf.short_abandon = 5;
	cf.sl_t = 20;
	cf.sl_formula = size % 5 + 1;
	cf.repeat_s = 7 * 86400;
	cf.top = 10;
	cf.sla_phone = 15;
	cf.sla_online = 30;
	cf.sla_ticket = 7200;
	cf.work_end = 18 * 60;
	cf.conv_gap = 86400;
	cf.replies_any = size % 2;
	cf.dedup = size % 3 == 0;
	cf.by[0] = BY_CHANNEL;
	cf.by[1] = BY_DAY;
	cf.by[2] = BY_AGENT;
	cf.nby = size % 4;
	rp_agg_init(&a, &cf);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *rec = json_loadb(p, n, 0, NULL);
		struct rp_ev ev, ev2;
		struct rp_fields f1, f2;
		char *scratch = malloc(2 * n + 64);
		int k1, k2;
		const char *err2 = NULL;

		if (rp_scan(p, n, &f1, scratch)) {
			/* sure: jansson agrees, field by field */
			if (!json_is_object(rec))
				abort();
			rp_fields_from_json(rec, &f2);
			same_fields(&f1, &f2);
			err = NULL;
			k1 = rp_classify_fields(&f1, &ev, &st, &err);
			k2 = rp_classify(rec, &ev2, &st, &err2);
			if (k1 != k2 || !str_eq(err, err2))
				abort();
			if (k1 >= 0)
				same_ev(&ev, &ev2);
		}
		free(scratch);
		if (json_is_object(rec) && rp_classify(rec, &ev, &st, &err) >
		    K_NONE && ev.kind != K_UNKNOWN)
			rp_apply(&a, &ev);
		json_decref(rec);
		p += n + 1;
	}
	rp_strs_reset(&st);
	part = rp_partial_to_json(&a);
	rp_agg_init(&m, &cf);
	if (rp_partial_merge(&m, part, &err) != 0)
		abort();	/* our own partial must merge */
	json_decref(part);
	rp_finish(&a);
	rp_build(&r, &a);
	f = fopen("/dev/null", "w");
	rp_out_table(f, &r, 1);
	rp_out_csv(f, &r);
	rp_out_json(f, &r);
	rp_out_md(f, &r);
	rp_out_html(f, &r);
	fclose(f);
	rp_report_free(&r);
	rp_agg_free(&a);
	rp_agg_free(&m);
	return 0;
}
