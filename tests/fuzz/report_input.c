/* report_input.c - fuzz cx-report's input path (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Each input is NDJSON: every line that parses as an object goes through
 * the classifier and the aggregates; then the report is built and written
 * in every format, and the partial written and merged back.  Built by
 * `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/cx-report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	cf.by[0] = BY_CHANNEL;
	cf.by[1] = BY_DAY;
	cf.by[2] = BY_AGENT;
	cf.nby = size % 4;
	rp_agg_init(&a, &cf);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *rec = json_loadb(p, n, 0, NULL);
		struct rp_ev ev;

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
