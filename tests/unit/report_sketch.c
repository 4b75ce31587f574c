/* report_sketch.c - cx-report's quantile sketch (DDSketch): the stated 1 %
 * relative error on known distributions, exact merges, JSON round trip,
 * and removal (the merge of partials takes a wait back)
 *
 * SPDX-License-Identifier: MIT
 * cx-report's sources are not in libcommon: the file is included whole.
 */
#include <math.h>
#include <stdlib.h>

#include "../../cmd/cx-report/sketch.c"
#include "tap.h"

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Every quantile of v within RP_SKETCH_ALPHA of the exact one. */
static int
within(const struct rp_sketch *s, double *v, int n)
{
	static const double qs[] = { 0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1 };
	int good = 1;

	qsort(v, (size_t)n, sizeof *v, cmp_d);
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		double e = v[(int)(qs[i] * (n - 1))], g = rp_sketch_quantile(s,
		    qs[i]);

		if (!(fabs(g - e) <= RP_SKETCH_ALPHA * e + 1e-3)) {
			printf("# q %g: exact %g, sketch %g\n", qs[i], e, g);
			good = 0;
		}
	}
	return good;
}

int
main(void)
{
	enum { N = 200000 };
	double *v = malloc(N * sizeof *v);
	struct rp_sketch s = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
	json_t *j;

	ok(isnan(rp_sketch_quantile(&s, 0.5)), "an empty sketch has no "
	    "quantile");
	srand(7);
	for (int i = 0; i < N; i++) {
		v[i] = rand() % 600000 / 1000.0;	/* uniform 0-600 s */
		rp_sketch_add(&s, v[i], 1);
		rp_sketch_add(i % 2 ? &a : &b, v[i], 1);
	}
	ok(s.total == N, "counts every value");
	ok(within(&s, v, N), "uniform waits: quantiles within 1 %%");
	rp_sketch_merge(&a, &b);
	ok(a.total == s.total && a.zero == s.zero, "a merge keeps counts");
	ok(rp_sketch_quantile(&a, 0.9) == rp_sketch_quantile(&s, 0.9) &&
	    rp_sketch_quantile(&a, 0.5) == rp_sketch_quantile(&s, 0.5),
	    "two halves merged give the whole's quantiles exactly");
	rp_sketch_free(&s);
	for (int i = 0; i < N; i++) {
		/* heavy tail: 1 ms to about a day */
		v[i] = exp((rand() % 100000) / 100000.0 * 11.4) / 1000;
		rp_sketch_add(&s, v[i], 1);
	}
	ok(within(&s, v, N), "log-uniform 1 ms to a day: within 1 %%");
	j = rp_sketch_to_json(&s);
	ok(rp_sketch_from_json(&c, j) == 0 && c.total == s.total &&
	    rp_sketch_quantile(&c, 0.99) == rp_sketch_quantile(&s, 0.99),
	    "JSON round trip");
	json_decref(j);
	rp_sketch_add(&c, 1234.5, 1);
	rp_sketch_add(&c, 1234.5, -1);
	ok(c.total == s.total && rp_sketch_quantile(&c, 0.999) ==
	    rp_sketch_quantile(&s, 0.999), "a value added and taken back "
	    "leaves the sketch as it was");
	j = json_pack("{s:i,s:i,s:[i,i]}", "lo", 3, "zero", -1, "c", 1, 2);
	rp_sketch_free(&c);
	ok(rp_sketch_from_json(&c, j) == -1, "a negative count is refused");
	json_decref(j);
	rp_sketch_add(&c, 0, 3);
	rp_sketch_add(&c, NAN, 1);
	ok(c.zero == 4 && rp_sketch_quantile(&c, 1) == 0, "0 and NAN count "
	    "as zero");
	rp_sketch_free(&s);
	rp_sketch_free(&a);
	rp_sketch_free(&b);
	rp_sketch_free(&c);
	free(v);
	return tap_done();
}
