#!/usr/bin/env bats
# cx-report on a generated stream of 1,000,000 records: its counts and
# averages equal what one jq program computes on the same data, its
# quantiles are within the sketch's 1 % of the exact ones (sort -n), and
# --jobs 2 gives the same report.  About 40 s.

load lib

setup_file() {
	export BIG=$BATS_FILE_TMPDIR/big.ndjson
	python3 "$TOP/bench/cx-report-gen.py" 1000000 11 > "$BIG"
}

setup() { setup_tmp; }
teardown() { teardown_tmp; }

@test "1,000,000 records: counts and averages equal jq's, quantiles within 1 %" {
	cx-report -f json < "$BIG" > "$T/r.json"
	jq -n -c '
	    reduce inputs as $r ({answered: 0, abandoned: 0, short: 0,
	        overflow: 0, ans_wait: 0, wait: 0, wn: 0, st: {}, seg: 0,
	        dlr: {delivered: 0, undelivered: 0, failed: 0}, c9: 0, c9s: 0,
	        talk: 0, tn: 0};
	      if $r.event == "connect" then .answered += 1
	        | .ans_wait += $r.wait_s | .wait += $r.wait_s | .wn += 1
	      elif $r.event == "abandon" then .abandoned += 1
	        | .short += (if $r.wait_s <= 5 then 1 else 0 end)
	        | .wait += $r.wait_s | .wn += 1
	      elif $r.event == "timeout" then .overflow += 1
	        | .wait += $r.wait_s | .wn += 1
	      elif $r.event == "complete" then .talk += $r.talk_s | .tn += 1
	      elif $r.event == "delivery" then .dlr[$r.status] += 1
	      elif ($r.sms // $r.im) then ($r.sms // $r.im) as $m
	        | .st[$m.status] += 1 | .seg += ($m.segments // $m.parts)
	      elif $r.intent.name == "csat" and $r.intent.entities.scale == 9
	        then .c9 += 1 | .c9s += $r.intent.entities.score
	      else . end)
	    | {answered, abandoned, short_abandoned: .short, overflow,
	       asa_s: (.ans_wait / .answered), avg_wait_s: (.wait / .wn),
	       avg_talk_s: (.talk / .tn),
	       sent: .st.sent, failed: .st.failed, outbox: .st.outbox,
	       segments: .seg, delivered: .dlr.delivered,
	       delivery_rate: (.dlr.delivered / (.dlr | add)),
	       csat_avg_9: (.c9s / .c9)}' < "$BIG" > "$T/jq.json"
	jq -c '{answered: .hotline.total.answered,
	    abandoned: .hotline.total.abandoned,
	    short_abandoned: .hotline.total.short_abandoned,
	    overflow: .hotline.total.overflow, asa_s: .wait.total.asa_s,
	    avg_wait_s: .wait.total.avg_wait_s,
	    avg_talk_s: .wait.total.avg_talk_s, sent: .messaging.total.sent,
	    failed: .messaging.total.failed, outbox: .messaging.total.outbox,
	    segments: .messaging.total.segments,
	    delivered: .messaging.total.delivered,
	    delivery_rate: .messaging.total.delivery_rate,
	    csat_avg_9: .outcomes.total.csat_avg_9}' "$T/r.json" > "$T/cx.json"
	cat "$T/jq.json" >&3
	jq -n -e --slurpfile a "$T/jq.json" --slurpfile b "$T/cx.json" '
	    $a[0] as $a | $b[0] as $b | [$a | keys[] as $k |
	      (($a[$k] - $b[$k]) | fabs) <= 1e-9 * ([1, ($a[$k] | fabs)] | max)]
	    | all' > /dev/null || { cat "$T/jq.json" "$T/cx.json" >&2; false; }
	[ "$(jq .answered "$T/jq.json")" -gt 200000 ]
	# exact quantiles of every queue wait: rank floor(q (n - 1)), 0-based
	# (only connect, abandon and timeout carry wait_s in this stream)
	grep -o '"wait_s":[0-9.]*' "$BIG" | cut -d: -f2 | sort -g > "$T/waits"
	n=$(wc -l < "$T/waits")
	for q in 0.5 0.9 0.99; do
		exact=$(awk -v q=$q -v n=$n 'NR == int(q * (n - 1)) + 1 { print; exit }' "$T/waits")
		got=$(jq ".wait.total.p$(printf '%s' "$q" | sed 's/^0\.//; s/^5$/50/; s/^9$/90/')_wait_s" "$T/r.json")
		printf '# p%s: exact %s, sketch %s\n' "$q" "$exact" "$got" >&3
		awk -v e="$exact" -v g="$got" 'BEGIN { d = g - e; if (d < 0) d = -d; exit !(d <= 0.01 * e + 1e-9) }'
	done
}

@test "1,000,000 records: --jobs 2 gives the same report as one job" {
	cx-report -f json --by channel,hour < "$BIG" > "$T/a"
	cx-report -f json --by channel,hour -j 2 < "$BIG" > "$T/b"
	cmp "$T/a" "$T/b"
}
