/* queue-notify.c - unit tests for queue-notify's estimate and parsers
 *
 * SPDX-License-Identifier: MIT
 * Erlang C against domain.md's worked example (callcentrehelper.com), the
 * per-position estimate against a simulated queue, Asterisk's moving
 * average, and the queue_log parser on the reference's sample lines and
 * its quirks.  The program's files are compiled in (they are not part of
 * libcommon).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/queue-notify/asterisk.c"
#include "../../cmd/queue-notify/ewt.c"
#include "tap.h"

static int
near(double got, double want, double tol)
{
	if (fabs(got - want) <= tol)
		return 1;
	printf("# got %.6f, want %.6f (+-%g)\n", got, want, tol);
	return 0;
}

static void
erlang(void)
{
	/* 100 calls / 30 min, AHT 180 s: A = 10 E; target 80 % in 20 s. */
	static const struct { int n; double pw, asa, sl; } t[] = {
		{ 11, 0.6821, 122.8, 0.3896 },
		{ 12, 0.4494, 40.4, 0.6402 },
		{ 13, 0.2853, 17.1, 0.7956 },
		{ 14, 0.1741, 7.8, 0.8884 },
		{ 15, 0.1020, 3.7, 0.9415 },
	};
	double a = 100.0 * 180 / 1800;
	int first = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ok(near(qn_erlang_c(a, t[i].n), t[i].pw, 0.00005),
		    "Erlang C: P(wait) for N=%d is %.4f", t[i].n, t[i].pw);
		ok(near(qn_erlang_asa(a, t[i].n, 180), t[i].asa, 0.05),
		    "Erlang C: ASA for N=%d is %.1f s", t[i].n, t[i].asa);
		ok(near(qn_erlang_sl(a, t[i].n, 180, 20), t[i].sl, 0.00005),
		    "Erlang C: SL(20 s) for N=%d is %.2f %%", t[i].n,
		    t[i].sl * 100);
	}
	for (int n = 11; n < 30 && !first; n++)
		if (qn_erlang_sl(a, n, 180, 20) >= 0.8)
			first = n;
	is_int(first, 14, "14 agents is the first N to meet 80/20");
	/* Second check: 360 calls / 30 min, AHT 240 s, N = 55 (A = 48). */
	a = 360.0 * 240 / 1800;
	ok(near(qn_erlang_c(a, 55), 0.2387, 0.00005), "A=48, N=55: P(wait)");
	ok(near(qn_erlang_asa(a, 55, 240), 8.18, 0.005), "A=48, N=55: ASA");
	ok(near(qn_erlang_sl(a, 55, 240, 15), 0.846, 0.0005),
	    "A=48, N=55: SL(15 s)");
	ok(qn_erlang_c(10, 10) == 1 && qn_erlang_asa(12, 10, 180) < 0,
	    "an unstable queue (A >= N): always waits, no finite ASA");
}

static void
ewma(void)
{
	static const long samples[] = { 60, 120, 30, 90 }, want[] = { 60, 75,
	    63, 69 };
	long h = -1;
	int good = 1;

	for (int i = 0; i < 4; i++) {
		h = qn_ewma(h, samples[i]);
		good &= h == want[i];
	}
	ok(good, "Asterisk's moving average: 60,120,30,90 -> 60,75,63,69");
}

/* N agents all busy, exponential handle times with mean AHT: the caller
 * at position k waits for the k-th call to end.  Simulated. */
static double
simulate(int n, double aht, int k, int trials)
{
	double sum = 0;

	srand48(42);
	for (int t = 0; t < trials; t++) {
		double rem[64], now = 0;

		for (int i = 0; i < n; i++)
			rem[i] = -aht * log(1 - drand48());
		for (int j = 0; j < k; j++) {
			int m = 0;

			for (int i = 1; i < n; i++)
				if (rem[i] < rem[m])
					m = i;
			now = rem[m];
			/* That agent takes the next caller in line. */
			rem[m] = now - aht * log(1 - drand48());
		}
		sum += now;
	}
	return sum / trials;
}

/* A FIFO queue with n agents, Poisson arrivals at lam a second and
 * exponential handle times of mean aht: each caller takes the agent
 * free first.  The share answered within t, and the mean wait. */
static void
simulate_mmn(int n, double lam, double aht, double t, int calls,
    double *sl, double *asa)
{
	double free_at[64] = { 0 }, now = 0, sum = 0;
	int within = 0;

	srand48(7);
	for (int c = 0; c < calls; c++) {
		int m = 0;
		double start, w;

		now += -log(1 - drand48()) / lam;
		for (int i = 1; i < n; i++)
			if (free_at[i] < free_at[m])
				m = i;
		start = free_at[m] > now ? free_at[m] : now;
		w = start - now;
		free_at[m] = start - aht * log(1 - drand48());
		sum += w;
		within += w <= t;
	}
	*sl = (double)within / calls;
	*asa = sum / calls;
}

static void
service(void)
{
	struct qn_qstats q = { .agents = -1, .aht = 180, .holdtime = -1,
	    .lambda = 100.0 / 1800, .cfg_agents = 14 };
	struct qn_service sv;
	double sl, asa;

	ok(qn_service(&q, 0.8, 20, &sv) == 0 && near(sv.load, 10, 1e-9) &&
	    sv.agents == 14 && near(sv.p_wait, 0.1741, 0.00005) &&
	    near(sv.asa, 7.8, 0.05) && near(sv.sl, 0.8884, 0.00005) &&
	    sv.needed == 14, "the queue's service: [queue] agents = 14, "
	    "100 calls / 30 min, AHT 180 s: 88.84 %% in 20 s, 14 needed");
	simulate_mmn(14, 100.0 / 1800, 180, 20, 400000, &sl, &asa);
	ok(near(sl, sv.sl, 0.01) && near(asa, sv.asa, 0.5), "a simulated "
	    "queue agrees: %.2f %% in 20 s, ASA %.1f s", sl * 100, asa);
	q.agents = 13;		/* the stream's agents win */
	ok(qn_service(&q, 0.8, 20, &sv) == 0 && sv.agents == 13 &&
	    near(sv.sl, 0.7956, 0.00005) && sv.needed == 14,
	    "13 agents on the stream: 79.56 %%, 14 needed");
	q.agents = 0;
	ok(qn_service(&q, 0.8, 20, &sv) == 0 && sv.p_wait == 1 &&
	    sv.asa < 0 && sv.sl == 0 && sv.needed == 14,
	    "everyone away: nothing answered");
	q.lambda = 0;
	ok(qn_service(&q, 0.8, 20, &sv) == -1, "no arrival rate: unknown");
	q.lambda = 0.1;
	q.agents = -1;
	q.cfg_agents = 0;
	ok(qn_service(&q, 0.8, 20, &sv) == -1, "no agents known: unknown");
}

static void
estimate(void)
{
	struct qn_qstats q = { .agents = 12, .busy = 12, .aht = 180,
	    .holdtime = -1 };
	enum qn_method m;
	double sim = simulate(12, 180, 5, 40000);

	is_int(qn_estimate(&q, 5, &m), 75, "N=12, AHT=180 s, 5th in line: "
	    "k*AHT/N = 75 s");
	is_str(qn_method_name(m), "agents", "method: agents");
	ok(near(sim, 75, 1.5), "a simulated queue agrees: %.1f s", sim);
	q.busy = 10;
	is_int(qn_estimate(&q, 5, &m), 45, "two agents free: (5-2)*180/12");
	is_int(qn_estimate(&q, 2, &m), 0, "as many free agents as callers "
	    "ahead: no wait");
	q.agents = -1;
	q.holdtime = 69;
	is_int(qn_estimate(&q, 5, &m), 69, "no agent lines: Asterisk's "
	    "queue-wide hold time");
	is_str(qn_method_name(m), "holdtime", "method: holdtime");
	q.cfg_agents = 4;
	q.aht = 120;
	is_int(qn_estimate(&q, 2, &m), 60, "[queue] agents = 4: 2*120/4");
	is_str(qn_method_name(m), "erlang", "method: erlang");
	q.lambda = 1.0 / 60;	/* A = 2 E */
	is_int(qn_estimate(&q, 0, &m), 60, "position unknown: Erlang C "
	    "conditional wait AHT/(N-A) = 60 s");
	q.agents = 0;		/* the queue's agents are all paused */
	q.staffed = 3;
	q.aht = 240;
	is_int(qn_estimate(&q, 3, &m), 240, "no agent available: the floor "
	    "at the last staffing, 3*240/3");
	is_str(qn_method_name(m), "staffed", "method: staffed");
	q.staffed = 0;
	is_int(qn_estimate(&q, 2, &m), 120, "never staffed: [queue] agents, "
	    "2*240/4");
	q.cfg_agents = 0;
	is_int(qn_estimate(&q, 2, &m), -1, "never staffed, no [queue] "
	    "agents: no estimate, not the hold-time average");
	is_str(qn_method_name(m), "none", "method: none");
	q.agents = -1;
	q.holdtime = -1;
	is_int(qn_estimate(&q, 3, &m), -1, "nothing known: no estimate");
	is_str(qn_method_name(m), "none", "method: none");
}

static int
parse(const char *line, struct qn_event *ev, const char **why)
{
	*why = NULL;
	return qn_asterisk_parse(line, strlen(line), "1", ev, why);
}

static void
queue_log(void)
{
	struct qn_event ev;
	const char *why;

	ok(parse("1700000600|1700000600.160|support|NONE|ENTERQUEUE||"
	    "13600000000|1|Alice Wong", &ev, &why) == 0 &&
	    ev.kind == QN_ENTER && ev.position == 1 &&
	    ev.ts_ms == 1700000600000LL, "ENTERQUEUE with the caller's name");
	is_str(ev.caller, "13600000000", "the caller is the 2nd data field");
	is_str(ev.agent, "", "NONE is no agent");
	ok(parse("1700000042|1700000000.101|support|PJSIP/1002|CONNECT|42|"
	    "1700000036.110|6", &ev, &why) == 0 && ev.kind == QN_CONNECT &&
	    ev.wait_s == 42, "CONNECT: hold time");
	ok(parse("1700000222|1700000000.101|support|PJSIP/1002|"
	    "COMPLETECALLER|42|180|1", &ev, &why) == 0 &&
	    ev.kind == QN_COMPLETE && ev.talk_s == 180, "COMPLETECALLER");
	ok(parse("1700000730|1700000600.160|support|PJSIP/1003|BLINDTRANSFER|"
	    "2000|from-internal|10|120|1", &ev, &why) == 0 &&
	    ev.kind == QN_COMPLETE && ev.wait_s == 10 && ev.talk_s == 120,
	    "BLINDTRANSFER: hold and call time");
	ok(parse("1700000730|1700000600.160|support|PJSIP/1003|"
	    "ATTENDEDTRANSFER|BRIDGE|1700000700.1|x|11|130|2", &ev, &why) == 0
	    && ev.wait_s == 11 && ev.talk_s == 130,
	    "ATTENDEDTRANSFER: times counted from the end");
	ok(parse("1700000135|1700000100.120|support|NONE|ABANDON|1|2|35", &ev,
	    &why) == 0 && ev.kind == QN_ABANDON && ev.position == 1 &&
	    ev.wait_s == 35, "ABANDON: position and wait");
	ok(parse("1700000361|1700000300.140|support|NONE|EXITWITHKEY|1|2|3|61",
	    &ev, &why) == 0 && ev.kind == QN_CALLBACK && ev.wait_s == 61,
	    "EXITWITHKEY with the callback key: callback");
	ok(parse("1700000361|1700000300.140|support|NONE|EXITWITHKEY|5|2|3|61",
	    &ev, &why) == 0 && ev.kind == QN_ABANDON,
	    "EXITWITHKEY with another key: abandon");
	ok(parse("1700000402|1700000400.150|support|NONE|EXITEMPTY|1|1|2",
	    &ev, &why) == 0 && ev.kind == QN_MISSED, "EXITEMPTY: missed");
	ok(parse("1700000500|1700000200.130|support|NONE|EXITWITHTIMEOUT|1|1|"
	    "300", &ev, &why) == 0 && ev.kind == QN_TIMEOUT &&
	    ev.wait_s == 300, "EXITWITHTIMEOUT");
	ok(parse("1700000500|1700000200.130|support|NONE|WITHDRAW|2|3|40|"
	    "moved to callback", &ev, &why) == 0 && ev.kind == QN_WITHDRAW &&
	    ev.position == 2 && ev.wait_s == 40, "WITHDRAW: the call leaves");
	ok(parse("1700000500|NONE|support|NONE|WITHDRAW|2|3|40", &ev, &why) ==
	    -1, "WITHDRAW without a call id is rejected");
	ok(parse("1699999990|NONE|NONE|NONE|QUEUESTART|", &ev, &why) == 0 &&
	    ev.kind == QN_OTHER, "QUEUESTART with a trailing '|' passes by");
	ok(parse("1700001000|NONE|NONE|PJSIP/1004|UNPAUSEALL|", &ev, &why) ==
	    0 && ev.kind == QN_AGENT_UNPAUSE && ev.queue[0] == '\0',
	    "UNPAUSEALL: every queue");
	ok(parse("1699999995|MANAGER|support|PJSIP/1004|ADDMEMBER|PAUSED",
	    &ev, &why) == 0 && ev.kind == QN_AGENT_ON && ev.paused,
	    "ADDMEMBER PAUSED");
	ok(parse("1700000020|1700000000.101|support|PJSIP/1001|RINGNOANSWER|"
	    "15000", &ev, &why) == 0 && ev.kind == QN_OTHER,
	    "RINGNOANSWER passes by");
	ok(parse("1700000020|1700000000.101|support|NONE|MYCUSTOMEVENT|a|b",
	    &ev, &why) == 0 && ev.kind == QN_OTHER, "a custom event passes by");
	ok(parse("2012-07-03 15:27:23.896208|1341329243.1|q|NONE|ENTERQUEUE||"
	    "8613800138000|1", &ev, &why) == 0 &&
	    ev.ts_ms == 1341329243896LL, "the realtime back-end's time");
	ok(parse("garbage", &ev, &why) == -1 && why != NULL,
	    "garbage: rejected (%s)", why ? why : "");
	ok(parse("1700000000|x|q|NONE", &ev, &why) == -1 &&
	    strstr(why, "field 5") != NULL, "no event field: rejected");
	ok(parse("17000x0000|x|q|NONE|ABANDON|1|1|1", &ev, &why) == -1 &&
	    strstr(why, "epoch") != NULL, "a bad epoch: rejected");
	ok(parse("1700000000|NONE|q|NONE|ABANDON|1|1|1", &ev, &why) == -1,
	    "a caller's event without a call id: rejected");
	ok(parse("1700000000|c|q|NONE|ENTERQUEUE||\xff\xfe|1", &ev, &why) ==
	    -1, "invalid UTF-8: rejected");
	ok(parse("1700000000|c|q|NONE|ENTERQUEUE", &ev, &why) == 0 &&
	    ev.caller[0] == '\0' && ev.position == -1,
	    "missing trailing fields are tolerated");
}

int
main(void)
{
	erlang();
	ewma();
	service();
	estimate();
	queue_log();
	return tap_done();
}
