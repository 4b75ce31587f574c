/* ewt.c - estimated wait: Erlang C, Asterisk's moving average, per position
 *
 * SPDX-License-Identifier: MIT
 * The method, in the order tried (queue-notify(1) ESTIMATED WAIT):
 *  1. the PBX's own estimate, when the event carries one (ewt_s);
 *  2. agents: the stream shows N > 0 agents logged in and not paused, and
 *     how many talk; with f of them free, the caller at position k waits
 *     for k - f calls to end, each of N agents ending one every AHT
 *     seconds on average (exponential handle times): (k - f) * AHT / N;
 *  3. staffed: the stream shows the queue's agents, but none of them
 *     is available (all paused or logged off): the line moves again
 *     only when they come back, so the estimate is a floor, the k calls
 *     ahead at the last staffing seen (M > 0 agents, else [queue]
 *     agents): k * AHT / M.  With neither, no estimate (a notice by
 *     position only): Asterisk's hold-time average, made of calls that
 *     were answered, says nothing of a queue nobody answers;
 *  4. erlang: no agent lines but [queue] agents = N: the caller at a
 *     known position k waits k * AHT / N (all N are busy, or k would not
 *     wait); with no position, the mean wait of a caller who waits, by
 *     Erlang C, AHT / (N - A) with A = λ * AHT, λ the stream's recent
 *     arrival rate (saturated, A >= N: AHT);
 *  5. holdtime: Asterisk's moving average of answered calls' hold times.
 * AHT is the moving average ((3*old + sample) / 4, as app_queue.c) of the
 * calls' talk times, seeded by [queue] aht.
 */
#include <math.h>

#include "qn.h"

/* Erlang B by the stable recursion, then C = N*B / (N - A*(1 - B)). */
double
qn_erlang_c(double a, int n)
{
	double b = 1;

	if (n <= 0 || a >= n)
		return 1;
	if (a <= 0)
		return 0;
	for (int k = 1; k <= n; k++)
		b = a * b / (k + a * b);
	return n * b / (n - a * (1 - b));
}

double
qn_erlang_asa(double a, int n, double aht)
{
	if (n <= 0 || a >= n)
		return -1;
	return qn_erlang_c(a, n) * aht / (n - a);
}

double
qn_erlang_sl(double a, int n, double aht, double t)
{
	if (n <= 0 || a >= n)
		return 0;
	return 1 - qn_erlang_c(a, n) * exp(-(n - a) * t / aht);
}

int
qn_service(const struct qn_qstats *q, double target, double t,
    struct qn_service *sv)
{
	int n = q->agents >= 0 ? q->agents : q->cfg_agents;
	double a, b, c = 1;
	int k, last, cneed;

	if (q->lambda <= 0 || q->aht <= 0 || (q->agents < 0 &&
	    q->cfg_agents <= 0))
		return -1;
	sv->lambda = q->lambda;
	sv->load = a = q->lambda * q->aht;
	sv->agents = n;
	/* One Erlang B recursion serves both: C at N (qn_erlang_c's very
	 * steps, so the same bits), and the agents needed.  SL grows with
	 * N: the first N past the load that meets the target, one more step
	 * for each N, so O(A) in all (this runs for every wait notice).  A
	 * thousand agents past the load answer nearly everyone at once: a
	 * target that even they miss (100 %), or a load past 100000 E, has
	 * no answer. */
	sv->needed = -1;
	last = a < 100000 ? (int)a + 1000 : 0;
	cneed = a > 0 && a < n;
	if (n > 0 && a < n && a <= 0)
		c = 0;
	b = 1;
	for (k = 1; k <= last || (cneed && k <= n); k++) {
		b = a * b / (k + a * b);
		if (cneed && k == n)
			c = n * b / (n - a * (1 - b));
		if (sv->needed < 0 && k <= last && k > a &&
		    1 - k * b / (k - a * (1 - b)) * exp(-(k - a) * t /
		    q->aht) >= target)
			sv->needed = k;
		if ((sv->needed >= 0 || k >= last) && (!cneed || k >= n))
			break;
	}
	sv->p_wait = c;
	/* qn_erlang_asa() and qn_erlang_sl(), with C known. */
	if (n <= 0 || a >= n) {
		sv->asa = -1;
		sv->sl = 0;
	} else {
		sv->asa = c * q->aht / (n - a);
		sv->sl = 1 - c * exp(-(n - a) * t / q->aht);
	}
	return 0;
}

long
qn_ewma(long old, long sample)
{
	return old < 0 ? sample : (3 * old + sample) / 4;
}

const char *
qn_method_name(enum qn_method m)
{
	static const char *const n[] = { "none", "pbx", "agents", "erlang",
	    "holdtime", "staffed" };

	return n[m];
}

long
qn_estimate(const struct qn_qstats *q, long position, enum qn_method *method)
{
	long k = position < 1 ? 1 : position;

	if (q->agents > 0 && q->aht > 0) {
		long f = q->agents - q->busy;

		if (f < 0)
			f = 0;
		*method = QN_EST_AGENTS;
		return k > f ? (long)ceil((double)(k - f) * q->aht /
		    q->agents) : 0;
	}
	if (q->agents == 0) {
		int n = q->staffed > 0 ? q->staffed : q->cfg_agents;

		if (n > 0 && q->aht > 0) {
			*method = QN_EST_STAFFED;
			return (long)ceil((double)k * q->aht / n);
		}
		*method = QN_EST_NONE;
		return -1;
	}
	if (q->agents < 0 && q->cfg_agents > 0 && q->aht > 0) {
		double a = q->lambda * q->aht;
		int n = q->cfg_agents;

		*method = QN_EST_ERLANG;
		if (position >= 1)
			return (long)ceil((double)k * q->aht / n);
		if (a >= n)
			return q->aht;
		return (long)ceil(q->aht / (n - a));
	}
	if (q->holdtime >= 0) {
		*method = QN_EST_HOLDTIME;
		return q->holdtime;
	}
	*method = QN_EST_NONE;
	return -1;
}
