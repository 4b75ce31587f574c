/* sketch.c - a mergeable quantile sketch (DDSketch), written by hand
 *
 * SPDX-License-Identifier: MIT
 * After Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable
 * quantile sketch with relative-error guarantees" (VLDB 2019).  No Debian
 * library offers one, so this is our own small version: a value x > 0
 * goes to bucket i = ceil(log(x) / log(gamma)), gamma = (1 + a) / (1 - a);
 * the bucket's representative 2 gamma^i / (gamma + 1) is within a
 * relative error a = RP_SKETCH_ALPHA (1 %) of every value in it.  Values
 * at or below RP_SKETCH_MIN (1 ms) count as zero.  Buckets are one dense
 * array of counts, so two sketches merge by adding counts: the merge of
 * sketches equals the sketch of the union, exactly.  Waits, reply and
 * resolution times (0.001 s to years) need at most ~1,600 buckets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define RP_SKETCH_MIN 1e-3

static double
lgamma_(void)
{
	static double lg;

	if (lg == 0)
		lg = log((1 + RP_SKETCH_ALPHA) / (1 - RP_SKETCH_ALPHA));
	return lg;
}

static void
grow(struct rp_sketch *s, int i)
{
	int lo, hi, n;
	uint64_t *c;

	if (s->n == 0) {
		s->lo = i - 8;
		s->n = 64;
		s->c = cx_xcalloc((size_t)s->n, sizeof *s->c);
		return;
	}
	lo = i < s->lo ? i - 32 : s->lo;
	hi = i >= s->lo + s->n ? i + 32 : s->lo + s->n;
	n = hi - lo;
	c = cx_xcalloc((size_t)n, sizeof *c);
	memcpy(c + (s->lo - lo), s->c, (size_t)s->n * sizeof *c);
	free(s->c);
	s->c = c;
	s->lo = lo;
	s->n = n;
}

static void
add_bucket(struct rp_sketch *s, int i, int64_t w)
{
	if (s->n == 0 || i < s->lo || i >= s->lo + s->n)
		grow(s, i);
	s->c[i - s->lo] += (uint64_t)w;
}

void
rp_sketch_add(struct rp_sketch *s, double v, int64_t w)
{
	if (!(v > RP_SKETCH_MIN)) {	/* also NAN */
		s->zero += (uint64_t)w;
	} else {
		double i = ceil(log(v) / lgamma_());

		if (i > 1e6)
			i = 1e6;
		add_bucket(s, (int)i, w);
	}
	s->total += (uint64_t)w;
}

void
rp_sketch_merge(struct rp_sketch *into, const struct rp_sketch *from)
{
	for (int k = 0; k < from->n; k++)
		if (from->c[k])
			add_bucket(into, from->lo + k, (int64_t)from->c[k]);
	into->zero += from->zero;
	into->total += from->total;
}

/* The value of rank floor(q (n - 1)) (0-based), as DDSketch defines it. */
double
rp_sketch_quantile(const struct rp_sketch *s, double q)
{
	uint64_t rank, seen;

	if (s->total == 0)
		return NAN;
	rank = (uint64_t)(q * (double)(s->total - 1));
	seen = s->zero;
	if (rank < seen)
		return 0;
	for (int k = 0; k < s->n; k++) {
		seen += s->c[k];
		if (rank < seen) {
			double g = exp(lgamma_());

			return 2 * exp((s->lo + k) * lgamma_()) / (g + 1);
		}
	}
	return NAN;
}

void
rp_sketch_free(struct rp_sketch *s)
{
	free(s->c);
	memset(s, 0, sizeof *s);
}

/* {"lo": L, "zero": Z, "c": [counts from L, trailing zeros cut]} */
json_t *
rp_sketch_to_json(const struct rp_sketch *s)
{
	json_t *j = json_object(), *c = json_array();
	int first = 0, last = s->n - 1;

	while (first < s->n && s->c[first] == 0)
		first++;
	while (last >= first && s->c[last] == 0)
		last--;
	for (int k = first; k <= last; k++)
		json_array_append_new(c, json_integer((json_int_t)s->c[k]));
	json_object_set_new(j, "lo", json_integer(s->lo + first));
	json_object_set_new(j, "zero", json_integer((json_int_t)s->zero));
	json_object_set_new(j, "c", c);
	return j;
}

int
rp_sketch_from_json(struct rp_sketch *s, const json_t *j)
{
	json_t *c = json_object_get(j, "c"), *lo = json_object_get(j, "lo"),
	    *z = json_object_get(j, "zero");
	size_t k;
	json_t *v;

	if (!json_is_array(c) || !json_is_integer(lo) || !json_is_integer(z) ||
	    json_integer_value(z) < 0 || json_integer_value(lo) < -1000000 ||
	    json_integer_value(lo) > 1000000 || json_array_size(c) > 100000)
		return -1;
	json_array_foreach(c, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -1;
	}
	json_array_foreach(c, k, v) {
		if (json_integer_value(v) > 0) {
			add_bucket(s, (int)json_integer_value(lo) + (int)k,
			    json_integer_value(v));
			s->total += (uint64_t)json_integer_value(v);
		}
	}
	s->zero += (uint64_t)json_integer_value(z);
	s->total += (uint64_t)json_integer_value(z);
	return 0;
}
