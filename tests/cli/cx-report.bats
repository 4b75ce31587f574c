#!/usr/bin/env bats
# cx-report: the golden set (hand-checked figures for every metric), the
# edge cases, the service-level variants, formats, masking, --by, --jobs,
# --partial/--merge, bad input

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

D=$TOP/tests/data/cx-report
GEN=$TOP/bench/cx-report-gen.py

# check_expect FILE JSON: every "PATH<TAB>VALUE" line of FILE holds in JSON
# (numbers equal within 1e-9 relative).
check_expect() {
	local n=0 bad=0 p v g
	while IFS='	' read -r p v; do
		case $p in '#'* | '') continue ;; esac
		n=$((n + 1))
		g=$(jq -c "$p" "$2")
		if ! jq -n --argjson g "$g" --argjson w "$v" '
		    def eq(a; b): if (a|type) == "number" and (b|type) == "number"
		      then ((a - b) | fabs) <= 1e-9 * ([1, (b|fabs)] | max)
		      elif (a|type) == "array" and (b|type) == "array" then
		        (a|length) == (b|length) and
		        ([range(a|length) as $i | eq(a[$i]; b[$i])] | all)
		      elif (a|type) == "object" and (b|type) == "object" then
		        (a|keys) == (b|keys) and ([a|keys[] as $k | eq(a[$k]; b[$k])] | all)
		      else a == b end;
		    eq($g; $w)' | grep -qx true; then
			printf 'mismatch %s: got %s want %s\n' "$p" "$g" "$v" >&2
			bad=$((bad + 1))
		fi
	done < "$1"
	printf '# %s figures checked\n' "$n" >&3
	[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
}

@test "golden set: every metric equals its hand-checked figure" {
	cp "$D/golden.ini" "$CXKIT_CONFIG"
	cx-report -f json < "$D/golden.ndjson" > "$T/out.json" 2> "$T/err" || status=$?
	expect_eq "${status:-0}" 1
	check_expect "$D/golden.expect" "$T/out.json"
}

@test "bad input: the line and the field are named, unknown shapes summed up, the rest counted" {
	run_in "$(cat "$D/golden.ndjson")
" cx-report -f json
	expect_eq "$status" 1
	[[ $stderr_out == *"<stdin>:25: not JSON"* ]]
	[[ $stderr_out == *"<stdin>:26: record skipped: 'wait_s' is not a number of seconds"* ]]
	[[ $stderr_out == *"1 records of unknown shape skipped (the first at <stdin>:24"* ]]
	expect_eq "$(jqo '.hotline.total.answered')" 2
}

@test "--rejects keeps the bad lines byte for byte" {
	cx-report -f json --rejects "$T/rej" < "$D/golden.ndjson" > /dev/null 2>&1 || true
	expect_eq "$(cat "$T/rej")" 'not json
{"id":"x","event":"connect","call_id":"c9","wait_s":"ten"}'
}

@test "unknown shapes alone: exit 0, summary on stderr" {
	run_in '{"a":1}
{"event":"lunch"}
' cx-report -f json
	expect_eq "$status" 0
	[[ $stderr_out == *"2 records of unknown shape skipped"* ]]
	expect_eq "$(jqo -c '[.report.records, .report.unknown]')" '[2,2]'
}

@test "no events: zeros, and null for every rate" {
	run_in '' cx-report -f json
	expect_eq "$status" 0
	expect_eq "$(jqo -c '.hotline.total | [.offered, .abandon_rate, .service_level]')" '[0,null,null]'
	expect_eq "$(jqo -c '[.wait.total.p90_wait_s, .messaging.total.delivery_rate, .outcomes.total.repeat_rate, .report.from]')" '[null,null,null,null]'
}

@test "one event: one answered call" {
	run_in '{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"c1","caller":"+8613800000001","wait_s":12}
' cx-report -f json
	expect_eq "$(jqo -c '.hotline.total | [.offered, .answered, .abandon_rate, .service_level]')" '[1,1,0,1]'
	expect_eq "$(jqo -c '.wait.total | [.asa_s, .avg_wait_s]')" '[12,12]'
	# the quantile is within the sketch's 1 %
	jqo -e '.wait.total.p50_wait_s | . >= 11.88 and . <= 12.12'
}

@test "events out of order: the same counts and averages" {
	grep '^{"id"' "$D/golden.ndjson" | grep -v '"ten"' > "$T/in"
	cp "$D/golden.ini" "$CXKIT_CONFIG"
	cx-report -f json < "$T/in" > "$T/a.json"
	tac "$T/in" | cx-report -f json > "$T/b.json"
	for s in hotline wait messaging; do
		expect_eq "$(jq -c ".$s" "$T/b.json")" "$(jq -c ".$s" "$T/a.json")"
	done
	expect_eq "$(jq -c '.responsiveness.total | [.tickets, .solved, .avg_resolution_s, .avg_ticket_first_reply_s]' "$T/b.json")" '[2,2,14400,3600]'
	# the caller who called, then wrote: still one repeat contact
	expect_eq "$(jq -c '.outcomes.total | [.contacts, .repeat_contacts]' "$T/b.json")" '[1,1]'
}

@test "golden set 2: CSAT of 5 and of 10, answered later, --to, --by provider/intent/template/week" {
	F=$D/golden2.ndjson
	# +..21 abandoned, was sent a (templated) notice, called back in and
	# was answered; CSAT 5, 4, 2 of 5 and 9, 6 of 10; a query; a call a
	# week later
	run_in "$(cat "$F")" cx-report -f json
	# of 5: avg 11 / 3, >= 4: 2 of 3; of 10: avg 7.5; satisfied: 5, 4
	# of 5 and 9 of 10 of the 5 replies
	expect_eq "$(jqo -c '.outcomes.total | [.csat_responses, .csat_avg_5, .csat_ge4_of5, .csat_avg_10, .csat_avg_9, .satisfied]')" '[5,3.666666667,0.6666666667,7.5,null,0.6]'
	expect_eq "$(jqo -c '.notices.total | [.notified, .answered_later, .moved_to_messaging, .answered_later_rate]')" '[1,1,0,1]'
	expect_eq "$(jqo -c '[.hotline.total.offered, .report.outside]')" '[3,0]'
	run_in "$(cat "$F")" cx-report -f json --to 2026-10-12
	expect_eq "$(jqo -c '[.hotline.total.offered, .report.outside, .report.records]')" '[2,1,10]'
	run_in "$(cat "$F")" cx-report -f json --by week
	expect_eq "$(jqo -c '[.hotline.groups[] | [.week, .offered]]')" '[["2026-W41",2],["2026-W42",1]]'
	run_in "$(cat "$F")" cx-report -f json --by provider
	expect_eq "$(jqo -c '[.outcomes.groups[] | [.provider, .csat_responses, .csat_avg_5]]')" '[["(none)",0,null],["aliyun",3,3.666666667],["twilio-main",2,null]]'
	expect_eq "$(jqo -c '[.messaging.groups[] | [.provider, .sent]]')" '[["twilio-main",1]]'
	run_in "$(cat "$F")" cx-report -f json --by intent
	expect_eq "$(jqo -c '[.outcomes.groups[] | select(.csat_responses > 0) | [.intent, .csat_responses]]')" '[["csat",5]]'
	expect_eq "$(jqo -c '[.responsiveness.groups[] | [.intent, .inbound]]')" '[["order_query",1]]'
	run_in "$(cat "$F")" cx-report -f json --by template
	expect_eq "$(jqo -c '[.notices.groups[] | [.template, .notified, .answered_later]]')" '[["missed_call",1,1]]'
}

@test "time-zone day boundaries: --tz decides the day" {
	in='{"ts":"2026-10-01T15:59:59Z","event":"connect","call_id":"a","wait_s":1}
{"ts":"2026-10-01T16:00:00Z","event":"abandon","call_id":"b","wait_s":30}
'
	run_in "$in" cx-report -f json --by day
	expect_eq "$(jqo -c '[.hotline.groups[] | [.day, .offered]]')" '[["2026-10-01",2]]'
	run_in "$in" cx-report -f json --by day --tz Asia/Shanghai
	expect_eq "$(jqo -c '[.hotline.groups[] | [.day, .offered, .abandon_rate]]')" '[["2026-10-01",1,0],["2026-10-02",1,1]]'
	expect_eq "$(jqo -c '.series.abandon_by_day.labels')" '["2026-10-01","2026-10-02"]'
	run_in "$in" cx-report -f json --by hour --tz Asia/Shanghai
	expect_eq "$(jqo -c '[.hotline.groups[].hour]')" '["00","23"]'
	run_in "$in" cx-report -f json --from 2026-10-02 --tz Asia/Shanghai
	expect_eq "$(jqo -c '[.hotline.total.offered, .report.outside]')" '[1,1]'
}

# domain.md 3.3's worked example: 1000 answered, 860 within 20 s; 60
# abandoned, 20 within 20 s, 10 within 5 s.
sl_input() {
	awk 'BEGIN {
	    for (i = 0; i < 1000; i++) printf "{\"event\":\"connect\",\"call_id\":\"a%d\",\"wait_s\":%d}\n", i, i < 860 ? 10 : 40
	    for (i = 0; i < 60; i++) printf "{\"event\":\"abandon\",\"call_id\":\"b%d\",\"wait_s\":%d}\n", i, i < 10 ? 3 : i < 20 ? 15 : 60 }'
}

@test "service level: the five formulas and the abandon rate, short abandons in or out" {
	sl_input > "$T/in"
	for f in icmi:0.8301886792 answered:0.86 offered:0.8113207547 neutral:0.8269230769 short:0.819047619; do
		got=$(cx-report -f json --sl-formula "${f%%:*}" < "$T/in" | jq '.hotline.total.service_level')
		jq -en "($got - ${f#*:}) | fabs < 1e-9" > /dev/null || { echo "${f%%:*}: $got" >&2; false; }
	done
	expect_eq "$(cx-report -f json --short-abandon 0 < "$T/in" | jq -c '.hotline.total | [.short_abandoned, (.abandon_rate * 1e6 | round)]')" '[0,56604]'
	expect_eq "$(cx-report -f json < "$T/in" | jq -c '.hotline.total | [.short_abandoned, (.abandon_rate * 1e6 | round)]')" '[10,47619]'
	expect_eq "$(cx-report -f json --sl-threshold 5 --sl-formula answered < "$T/in" | jq '.hotline.total.service_level')" 0
}

@test "conventions: timeouts as abandons, repeat window, uncensored, delivery base, full resolution" {
	cp "$D/golden.ini" "$CXKIT_CONFIG"
	grep '^{"id"' "$D/golden.ndjson" | grep -v '"ten"' > "$T/in"
	expect_eq "$(cx-report -f json --timeout-as abandon < "$T/in" | jq -c '.hotline.total | [.offered, .abandoned, .overflow]')" '[5,3,0]'
	expect_eq "$(cx-report -f json --uncensored < "$T/in" | jq -c '.outcomes.total | [.contacts, .repeat_contacts, .open_windows]')" '[8,1,0]'
	# 86.4 s: the call and the message 600 s later are two contacts, no repeat
	expect_eq "$(cx-report -f json --repeat-days 0.001 < "$T/in" | jq -c '.outcomes.total | [.contacts, .repeat_contacts]')" '[8,0]'
	expect_eq "$(cx-report -f json --delivery-base sent < "$T/in" | jq -c '.messaging.total.delivery_rate * 3 | round')" 1
	run_in '{"ts":"2026-10-01T10:00:00Z","event":"ticket.solved","ticket":{"id":"T","created_at":"2026-10-01T09:00:00Z"}}
{"ts":"2026-10-01T11:00:00Z","event":"ticket.reopened","ticket":{"id":"T","created_at":"2026-10-01T09:00:00Z"}}
{"ts":"2026-10-01T12:00:00Z","event":"ticket.solved","ticket":{"id":"T","created_at":"2026-10-01T09:00:00Z"}}
' cx-report -f json
	expect_eq "$(jqo -c '.responsiveness.total | [.solved, .avg_resolution_s, .reopened]')" '[1,3600,1]'
	expect_eq "$(printf '%s\n' '{"ts":"2026-10-01T10:00:00Z","event":"ticket.solved","ticket":{"id":"T","created_at":"2026-10-01T09:00:00Z"}}' '{"ts":"2026-10-01T12:00:00Z","event":"ticket.solved","ticket":{"id":"T","created_at":"2026-10-01T09:00:00Z"}}' | cx-report -f json --resolution full | jq .responsiveness.total.avg_resolution_s)" 10800
}

@test "JSON: the report object names every convention the figures depend on" {
	config '[report]
currency = CNY
price = 0.05
price_ops-wecom = 0
[sla]
phone_answer_s = 10
online_reply_s = 60
ticket_accept_s = 3600
workday_end = 17:30'
	run_in '' cx-report -f json --short-abandon 8 --sl-threshold 30 --sl-formula neutral --repeat-days 3 --uncensored --timeout-as abandon --delivery-base sent --resolution full --replies any --conversation-gap 12 --dedup --tz Asia/Shanghai
	expect_eq "$(jqo -c '.report | del(.from, .to, .by, .records, .unknown, .bad, .outside, .duplicates)')" '{"tz":"Asia/Shanghai","short_abandon_s":8,"sl_threshold_s":30,"sl_formula":"neutral","repeat_days":3,"uncensored":true,"timeout_as":"abandon","delivery_base":"sent","resolution":"full","replies":"any","conversation_gap_h":12,"dedup":true,"phone_answer_s":10,"online_reply_s":60,"ticket_accept_s":3600,"workday_end":"17:30","currency":"CNY","price":0.05,"prices":{"ops-wecom":0}}'
}

@test "--dedup: a queue event repeated with its call_id, event and ts counts once" {
	in='{"ts":"2026-10-01T09:00:00Z","event":"abandon","call_id":"a","wait_s":30}
{"ts":"2026-10-01T09:00:00Z","event":"abandon","call_id":"a","wait_s":30}
{"ts":"2026-10-01T09:00:01Z","event":"abandon","call_id":"a","wait_s":30}
{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":30}
{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"b","wait_s":30}
{"event":"connect","call_id":"b","wait_s":30}
{"event":"connect","call_id":"b","wait_s":30}
'
	run_in "$in" cx-report -f json
	expect_eq "$(jqo -c '[.hotline.total.offered, .hotline.total.abandoned, .report.duplicates]')" '[7,3,0]'
	# only line 2 repeats line 1; another second, event or call is
	# another event; without ts there is nothing to compare
	run_in "$in" cx-report -f json --dedup
	expect_eq "$(jqo -c '[.hotline.total.offered, .hotline.total.abandoned, .report.duplicates, .report.records, .report.dedup]')" '[6,2,1,7,true]'
	# a partial made with --dedup merges only with --dedup
	printf '%s' "$in" | cx-report --partial --dedup > "$T/p"
	run_in "$(cat "$T/p")" cx-report --merge -f json --dedup
	expect_eq "$(jqo -c '[.hotline.total.offered, .report.duplicates]')" '[6,1]'
	run_in "$(cat "$T/p")" cx-report --merge -f json
	expect_eq "$status" 1
}

@test "SMS answered the same working day: after hours and at weekends it is the next weekday" {
	config '[sla]
workday_end = 18:00'
	# Thursday 17:00 answered 17:30: same day; Friday 19:00 answered
	# Monday 10:00: same working day; Tuesday 09:00 answered Wednesday: not
	run_in '{"ts":"2026-10-01T17:00:00Z","channel":"sms","from":"+8613800000001","text":"a"}
{"ts":"2026-10-01T17:30:00Z","to":"+8613800000001","sms":{"status":"sent","segments":1}}
{"ts":"2026-10-02T19:00:00Z","channel":"sms","from":"+8613800000002","text":"b"}
{"ts":"2026-10-05T10:00:00Z","to":"+8613800000002","sms":{"status":"sent","segments":1}}
{"ts":"2026-10-06T09:00:00Z","channel":"sms","from":"+8613800000003","text":"c"}
{"ts":"2026-10-07T09:00:00Z","to":"+8613800000003","sms":{"status":"sent","segments":1}}
' cx-report -f json
	expect_eq "$(jqo -c '.responsiveness.total | [.inbound_sms, .replied, (.sms_same_day * 3 | round), .online_sla]')" '[3,3,2,0]'
}

@test "SMS answered the same working day: counted per inbound SMS, a burst as its texts" {
	config '[sla]
workday_end = 18:00'
	# +..01: two texts at 17:00 and 17:10, one reply at 17:30: 2 of 2.
	# +..02: Friday 17:50 (due Friday 18:00) and 18:30 (due Monday),
	# answered Monday 10:00: 1 of 2.  +..03: Monday 11:00 and 11:20 by
	# SMS (a WeCom text between), answered Tuesday: 0 of 2.
	run_in "$(cat "$D/burst.ndjson")" cx-report -f json
	expect_eq "$(jqo -c '.responsiveness.total | [.inbound, .inbound_sms, .replied, .sms_same_day]')" '[7,6,3,0.5]'
	run_in "$(cat "$D/burst.ndjson")" cx-report -f json --by channel
	expect_eq "$(jqo -c '[.responsiveness.groups[] | [.channel, .inbound_sms, .sms_same_day]]')" '[["sms",6,0.5],["wecom",0,null]]'
	# cut anywhere, the two partials merge to the same figures
	cx-report -f json < "$D/burst.ndjson" | jq -c .responsiveness > "$T/one"
	for k in 1 2 3 4 5 6 7 8 9; do
		head -n $k "$D/burst.ndjson" | cx-report --partial > "$T/p1"
		tail -n +$((k + 1)) "$D/burst.ndjson" | cx-report --partial > "$T/p2"
		for order in "$T/p1 $T/p2" "$T/p2 $T/p1"; do
			cat $order | cx-report --merge -f json | jq -c .responsiveness > "$T/merged"
			cmp "$T/one" "$T/merged" || { echo "cut after line $k: $order" >&2; diff "$T/one" "$T/merged" >&2; false; }
		done
	done
}

@test "first response: the first agent reply after the message that opens a conversation" {
	F=$D/first-response.ndjson
	q='.responsiveness.total | [.conversations, .replied, .unanswered, .avg_first_response_s, .online_sla, .waits_replied, .avg_reply_s]'
	# +..11: 09:00, a templated auto-ack at 09:00:05, an agent at 09:10:
	# 600 s.  +..12: a queue notice, then 09:01, answered 09:03: 120 s.
	# +..13: 10:00 answered 10:02 (120 s); 11:00 answered 11:30 is the
	# same conversation (a reply time, not a first response); two days
	# later a new one, never answered.  Reply times: 600, 120, 120, 1800.
	run_in "$(cat "$F")" cx-report -f json
	expect_eq "$(jqo -c "$q")" '[4,3,1,280,0,4,660]'
	# automated sends count: the auto-ack answers +..11 in 5 s
	run_in "$(cat "$F")" cx-report -f json --replies any
	expect_eq "$(jqo -c "$q")" '[4,3,1,81.66666667,0.3333333333,4,511.25]'
	# after 30 minutes of silence 11:00 opens a conversation of its own
	run_in "$(cat "$F")" cx-report -f json --conversation-gap 0.5
	expect_eq "$(jqo -c "$q")" '[5,4,1,660,0,4,660]'
	run_in "$(cat "$F")" cx-report -f json --by channel
	expect_eq "$(jqo -c '[.responsiveness.groups[] | [.channel, .conversations, .replied, .avg_first_response_s]]')" '[["sms",4,3,280]]'
	# cut anywhere, the two partials merge (in either order) to one run
	for opts in "" "--replies any" "--conversation-gap 0.5"; do
		cx-report -f json $opts < "$F" | jq -c .responsiveness > "$T/one"
		for k in 1 2 3 4 5 6 7 8 9 10; do
			head -n $k "$F" | cx-report --partial $opts > "$T/p1"
			tail -n +$((k + 1)) "$F" | cx-report --partial $opts > "$T/p2"
			for order in "$T/p1 $T/p2" "$T/p2 $T/p1"; do
				cat $order | cx-report --merge -f json $opts | jq -c .responsiveness > "$T/merged"
				cmp "$T/one" "$T/merged" || { echo "$opts: cut after line $k: $order" >&2; diff "$T/one" "$T/merged" >&2; false; }
			done
		done
	done
}

@test "--by channel,queue: one row a group, then the total" {
	grep '^{"id"' "$D/golden.ndjson" | grep -v '"ten"' > "$T/in"
	run_in "$(cat "$T/in")" cx-report -f json --by channel,queue
	expect_eq "$(jqo -c '[.hotline.groups[] | [.channel, .queue, .offered]]')" '[["phone","sales",1],["phone","support",3]]'
	expect_eq "$(jqo -c '.hotline.total.offered')" 4
	expect_eq "$(jqo -c '[.messaging.groups[] | [.channel, .queue, .sent]]')" '[["sms","(none)",1],["sms","sales",1],["wecom","(none)",1]]'
}

@test "names and numbers are masked unless --show-pii" {
	in='{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1,"agent":"Wang Fang","queue":"+8613800138000"}
'
	run_in "$in" cx-report -f json --by agent,queue
	expect_eq "$(jqo -c '.hotline.groups[0] | [.agent, .queue]')" '["W***","+86*******8000"]'
	run_in "$in" cx-report -f json --by agent,queue --show-pii
	expect_eq "$(jqo -c '.hotline.groups[0] | [.agent, .queue]')" '["Wang Fang","+8613800138000"]'
}

@test "table: CJK counts two cells, numbers right-aligned, no colour when not a terminal" {
	run_in '{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1,"agent":"王芳"}
{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"b","wait_s":100,"agent":"Li"}
' cx-report -f table --by agent --show-pii
	expect_eq "$status" 0
	[[ $output != *$'\033'* ]]
	# every line of the Hotline table is as wide, in cells, as its header
	printf '%s\n' "$output" | sed -n '/^Hotline$/,/^$/p' | sed '1d;/^$/d' > "$T/t"
	python3 -c '
import sys, unicodedata
w = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip("\n")) for l in open(sys.argv[1])]
assert len(w) == 4 and len(set(w)) == 1, w' "$T/t"
	grep -q '^王芳 ' "$T/t"
}

@test "table: control characters from the data are shown as \\xHH, never sent to the terminal" {
	run_in '{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1,"queue":"q\u001b]0;pwned\u0007\u001b[2J\u009b","agent":"Al\r\u007f"}
' cx-report -f table --by queue,agent --show-pii
	expect_eq "$status" 0
	# no ESC, BEL, CR, DEL or C1 CSI byte anywhere in the output
	if printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2\x9b'; then
		printf '%s' "$output" | od -c | head >&2
		false
	fi
	printf '%s\n' "$output" | grep -qF 'q\x1B]0;pwned\x07\x1B[2J\x9B  Al\x0D\x7F'
}

@test "table on a terminal: bold titles, none with NO_COLOR" {
	command -v script > /dev/null || skip "script(1) is not installed"
	printf '%s\n' '{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1}' > "$T/in"
	# script(1) gives cx-report a pty: no -f, so a table, in colour
	env -u NO_COLOR script -qec "cx-report < '$T/in'" /dev/null > "$T/tty" < /dev/null
	grep -q $'\033\\[1mHotline\033\\[0m' "$T/tty"
	NO_COLOR=1 script -qec "cx-report < '$T/in'" /dev/null > "$T/tty" < /dev/null
	grep -q '^Hotline' "$T/tty"
	if grep -q $'\033' "$T/tty"; then false; fi
	# an empty NO_COLOR is as if unset (no-color.org)
	NO_COLOR= script -qec "cx-report < '$T/in'" /dev/null > "$T/tty" < /dev/null
	grep -q $'\033\\[1mHotline' "$T/tty"
}

@test "CSV: cells starting with + - @ tab or CR are quoted with a leading '" {
	for q in '+1 555' '-2+3' '@SUM(A1)' '\tcmd' '\r=x'; do
		printf '{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1,"queue":"%s"}\n' "$q"
	done > "$T/in"
	cx-report -f csv --by queue < "$T/in" | grep '^hotline,' | cut -d, -f2 > "$T/cells"
	expect_eq "$(cat -A "$T/cells")" "\"'^Icmd\"$
\"'^M=x\"$
\"'+1 555\"$
\"'-2+3\"$
\"'@SUM(A1)\"$
total$"
}

@test "CSV: formulas escaped, quotes doubled; Markdown and HTML escape what they print" {
	in='{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"a","wait_s":1,"queue":"=HYPERLINK(\"x\")"}
{"ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"b","wait_s":1,"queue":"<script>alert(1)</script>|x"}
'
	run_in "$in" cx-report -f csv --by queue
	[[ $output == *"hotline,\"'=HYPERLINK(\"\"x\"\")\",1,"* ]]
	run_in "$in" cx-report -f html --by queue
	[[ $output != *"<script>"* ]]
	[[ $output == *"&lt;script&gt;alert(1)&lt;/script&gt;|x"* ]]
	run_in "$in" cx-report -f markdown --by queue
	[[ $output == *'&lt;script&gt;alert(1)&lt;/script&gt;\|x'* ]]
}

@test "HTML: one self-contained page with five SVG charts, no script, nothing fetched" {
	grep '^{"id"' "$D/golden.ndjson" | grep -v '"ten"' | cx-report -f html > "$T/r.html"
	expect_eq "$(grep -c '<svg ' "$T/r.html")" 5
	if grep -iE '<script|src=|href=|@import|url\(' "$T/r.html"; then false; fi
}

@test "HTML: a channel with no delivery receipts says so, not a bar that reads 0 %" {
	in='{"ts":"2026-10-01T09:00:00Z","to":"+8613800000001","sms":{"status":"sent","segments":1}}
{"ts":"2026-10-01T09:00:00Z","channel":"wecom","to":"u1","im":{"status":"sent","parts":1}}
{"ts":"2026-10-01T09:00:05Z","event":"delivery","channel":"sms","status":"delivered"}
'
	run_in "$in" cx-report -f html
	printf '%s\n' "$output" | sed -n '/id="delivery_by_channel"/,/<\/figure>/p' > "$T/fig"
	expect_eq "$(grep -c '<rect class="bar"' "$T/fig")" 1
	grep -q '<rect class="bar"[^>]*><title>sms: 100.0%</title>' "$T/fig"
	grep -q '<text class="none"[^>]*>no receipts<title>wecom: no receipts</title>' "$T/fig"
	# over messages sent, WeCom's 0 of 1 is a real 0 %: a bar of height 0
	run_in "$in" cx-report -f html --delivery-base sent
	printf '%s\n' "$output" | sed -n '/id="delivery_by_channel"/,/<\/figure>/p' > "$T/fig"
	grep -q 'height="0.0"><title>wecom: 0.0%</title>' "$T/fig"
	if grep -q 'class="none"' "$T/fig"; then false; fi
}

@test "--jobs 2 and --alloc libc give the same report as one job" {
	python3 "$GEN" 30000 7 > "$T/in"
	cx-report -f json < "$T/in" > "$T/a"
	cx-report -f json -j 2 < "$T/in" > "$T/b"
	cx-report -f json -j 3 --alloc libc < "$T/in" > "$T/c"
	cmp "$T/a" "$T/b"
	cmp "$T/a" "$T/c"
}

@test "--partial/--merge over 4 shards equals one run" {
	python3 "$GEN" 40000 3 > "$T/in"
	cx-report -f json --by channel,day < "$T/in" > "$T/one"
	# shards in time order, as split(1) cuts a log
	split -n l/4 "$T/in" "$T/s."
	for s in "$T"/s.*; do cx-report --partial --by channel,day < "$s"; done > "$T/parts"
	expect_eq "$(wc -l < "$T/parts")" 4
	cx-report --merge -f json --by channel,day < "$T/parts" > "$T/merged"
	cmp "$T/one" "$T/merged"
	# in any order (parallel without -k): merged by their first time
	tac "$T/parts" | cx-report --merge -f json --by channel,day > "$T/merged"
	cmp "$T/one" "$T/merged"
	sed -n '3p;1p;4p;2p' "$T/parts" | cx-report --merge -f json --by channel,day > "$T/merged"
	cmp "$T/one" "$T/merged"
	# the generator's sends are templated: with --replies any they answer
	# waits and conversations, which then span shards too
	cx-report -f json --replies any < "$T/in" > "$T/one-any"
	[ "$(jq .responsiveness.total.replied "$T/one-any")" -gt 0 ]
	for s in "$T"/s.*; do cx-report --partial --replies any < "$s"; done |
	    tac | cx-report --merge -f json --replies any | cmp - "$T/one-any"
	# shards by customer (hashing the number), as a map-reduce would key them
	for k in 0 1 2 3; do
		awk -v k=$k '{ match($0, /"(caller|from|to|phone)":"[^"]*"/); s = substr($0, RSTART, RLENGTH); h = 0
		    for (i = 1; i <= length(s); i++) h = (h * 31 + index("0123456789+", substr(s, i, 1))) % 4
		    if (h == k) print }' "$T/in" | cx-report --partial --by channel,day
	done | cx-report --merge -f json --by channel,day > "$T/merged2"
	cmp "$T/one" "$T/merged2"
	# a tree of merges
	head -2 "$T/parts" | cx-report --merge --partial --by channel,day > "$T/p12"
	{ cat "$T/p12"; tail -2 "$T/parts"; } | cx-report --merge -f json --by channel,day | cmp - "$T/one"
}

@test "--partial: customers are unsalted FNV-1a hashes of their numbers, as the man page warns" {
	echo '{"ts":"2026-10-01T09:00:00Z","channel":"sms","from":"+8613800000001","text":"hi"}' |
	    cx-report --partial > "$T/p"
	if grep -q '8613800000001' "$T/p"; then false; fi
	h=$(python3 -c '
h = 1469598103934665603
for b in b"+8613800000001":
    h = ((h ^ b) * 1099511628211) % 2**64
print("%016x" % h)')
	expect_eq "$(jq -r '.customers[0][0]' "$T/p")" "$h"
	grep -q 'the hashes are not salted' "$TOP/man/cx-report.1"
}

@test "[report] secret: customers hashed with HMAC-SHA256, shards with one key merge, others do not" {
	F=$D/first-response.ndjson
	config '[report]
secret = env:CX_REPORT_TEST_KEY'
	export CX_REPORT_TEST_KEY=k1
	head -n 1 "$F" | cx-report --partial > "$T/p"
	h=$(python3 -c '
import hashlib, hmac
print(hmac.new(b"k1", b"+8613800000012", hashlib.sha256).digest()[:8][::-1].hex())')
	expect_eq "$(jq -r '.customers[0][0]' "$T/p")" "$h"
	# the figures do not change; shards made with the key merge
	cx-report -f json < "$F" | jq -c .responsiveness > "$T/one"
	{ head -n 5 "$F" | cx-report --partial; tail -n +6 "$F" | cx-report --partial; } > "$T/parts"
	cx-report --merge -f json < "$T/parts" | jq -c .responsiveness | cmp - "$T/one"
	: > "$CXKIT_CONFIG"
	cx-report -f json < "$F" | jq -c .responsiveness | cmp - "$T/one"
	# without it, or with another key, they do not
	run_in "$(cat "$T/parts")" cx-report --merge -f json
	expect_eq "$status" 1
	config '[report]
secret = env:CX_REPORT_TEST_KEY'
	CX_REPORT_TEST_KEY=k2 run_in "$(cat "$T/parts")" cx-report --merge -f json
	expect_eq "$status" 1
	[[ $stderr_out == *"made with other options or configuration"* ]]
	[[ $stderr_out != *k1* && $stderr_out != *k2* ]]
}

@test "--merge refuses a partial made with other conventions, and junk" {
	echo '{"event":"connect","call_id":"a","wait_s":1}' | cx-report --partial > "$T/p"
	run_in "$(cat "$T/p")
" cx-report --merge --by channel -f json
	expect_eq "$status" 1
	[[ $stderr_out == *"<stdin>:1: not a partial result of cx-report: made with other options"* ]]
	run_in '{"cx_report_partial":1}
' cx-report --merge -f json
	expect_eq "$status" 1
	# a partial broken at its end adds nothing, not its first half
	jq -c '.tickets = [["x"]]' "$T/p" > "$T/broken"
	run_in "$(cat "$T/p" "$T/broken")
" cx-report --merge -f json
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.hotline.total.answered')" 1
}

@test "usage errors exit 2" {
	for a in "--by colour" "--format xml" "--tz Mars/Base" "--sl-formula best" "--from yesterday" "--jobs 0" "extra" "--replies bots" "--conversation-gap 0"; do
		run_in '' cx-report $a
		expect_eq "$status" 2
	done
	config '[report]
nonsense = 1'
	run_in '' cx-report
	expect_eq "$status" 2
	[[ $stderr_out == *"nonsense"* ]]
}

@test "bench/cx-report.sh: every tool it runs is checked and in scripts/deps bench" {
	b=$TOP/bench/cx-report.sh
	# the packages of scripts/deps bench (its variable assignments only)
	deps=$(sh -c "$(sed -n '/^build=/,/^bench="\$bench /p' "$TOP/scripts/deps"); echo \$bench")
	checked=$(sed -n 's/^for c in \(.*\); do$/\1/p' "$b")
	for tool in jq mlr datamash bc; do
		grep -qE "(^|[|(\$ ])$tool " "$b" || continue
		[[ " $checked " == *" $tool "* ]] || { echo "$tool not checked" >&2; false; }
		pkg=$tool
		[ "$tool" = mlr ] && pkg=miller
		[[ " $(echo $deps) " == *" $pkg "* ]] || { echo "$pkg not in deps bench" >&2; false; }
	done
}

@test "html: a day with no abandon rate is a gap in its line, not a fall to 0" {
	# day 2 has only a short abandon (left out): its rate is unknown
	in='{"id":"a1","ts":"2026-10-01T09:00:00Z","event":"connect","call_id":"c1","queue":"q","caller":"+8613800000001","wait_s":10}
{"id":"a2","ts":"2026-10-01T09:05:00Z","event":"abandon","call_id":"c2","queue":"q","caller":"+8613800000002","wait_s":60}
{"id":"a5","ts":"2026-10-02T09:00:00Z","event":"abandon","call_id":"c5","queue":"q","caller":"+8613800000003","wait_s":3}
{"id":"a3","ts":"2026-10-03T09:00:00Z","event":"abandon","call_id":"c3","queue":"q","caller":"+8613800000004","wait_s":60}
{"id":"a4","ts":"2026-10-03T09:01:00Z","event":"abandon","call_id":"c4","queue":"q","caller":"+8613800000005","wait_s":60}'
	run_in "$in" cx-report -f html --tz UTC
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | sed -n '/<svg[^>]*Abandon rate by day/,/<\/svg>/p' > "$T/fig"
	grep -q '>2026-10-02<' "$T/fig"
	# day 1 and day 3 each a line of its own, two dots, none for day 2
	expect_eq "$(grep -c '<polyline class="line"' "$T/fig")" 2
	expect_eq "$(grep -c '<circle class="dot"' "$T/fig")" 2
	if grep -q '2026-10-02:' "$T/fig"; then false; fi
}
