#!/usr/bin/env bats
# queue-notify: golden queue_log sessions, the cxkit and FreeSWITCH forms,
# bad input, restarts, the live timer, the pipe into sms-send

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

DATA=$TOP/tests/data/queue-notify

# golden NAME: runs tests/data/queue-notify/NAME.log with NAME.ini and
# compares stdout, --skipped and --events with the recorded files.
golden() {
	sed "s|DIR|$DATA|" "$DATA/$1.ini" > "$CXKIT_CONFIG"
	set +e
	queue-notify --from asterisk --skipped "$T/skipped" --events "$T/events" \
	    < "$DATA/$1.log" > "$T/out" 2>"$T/stderr"
	status=$?
	set -e
	touch "$T/skipped"
	diff -u "$DATA/$1.out.ndjson" "$T/out"
	diff -u "$DATA/$1.skipped.ndjson" "$T/skipped"
	diff -u "$DATA/$1.events.ndjson" "$T/events"
}

@test "golden: a busy morning (estimates from the agents the log shows)" {
	golden busy-morning
	expect_eq "$status" 0
	# 4th and 5th in line with 2 agents at AHT 300 s: 600 s, 750 s.
	expect_eq "$(jq -c '[.vars.position, .queue.ewt_s]' "$T/out" | head -2 | tr '\n' ' ')" \
	    '[4,600] [5,750] '
}

@test "golden: a burst of abandons (withheld, internal, do-not-notify, called back)" {
	golden abandon-burst
	expect_eq "$status" 1	# one garbage line
	[[ $(cat "$T/stderr") == *"<stdin>:20: not a queue_log line"* ]]
	expect_eq "$(jq -r 'select(.queue.reason=="abandon") | .to' "$T/out" | tr '\n' ' ')" \
	    '+8613911110001 +8613911110005 +8613911110003 '
	expect_eq "$(jq -r .queue.skipped "$T/skipped" | sort | uniq -c | awk '{print $2 $1}' | tr '\n' ' ')" \
	    'anonymous1 do_not_notify2 internal2 '
}

@test "golden: agents logging off make the estimate grow: notices again past the margin" {
	golden agents-logoff
	expect_eq "$status" 0
	expect_eq "$(jq -c '[.id, .queue.ewt_s]' "$T/out" | tr '\n' ' ')" \
	    '["qn:wait:1760007260.1:1",240] ["qn:wait:1760007250.1:1",240] ["qn:wait:1760007240.1:1",240] ["qn:wait:1760007250.1:2",480] ["qn:wait:1760007260.1:2",720] '
	# The last abandon's follow-up is not due at the end: it waits in
	# the state store.
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT caller, reason FROM queue_pending')" \
	    '+8613700001006|abandon'
}

@test "golden: a caller who calls back is not followed up; night calls wait for morning" {
	golden callback
	expect_eq "$status" 0
	expect_eq "$(jq -c '[.to, .template, .not_before, .vars.callback]' "$T/out" | tr '\n' ' ')" \
	    '["+8613600000003","queue_abandon",null,null] ["+8613600000005","queue_missed","2025-10-10T08:00:00+08:00","09:00"] ["+8613600000004","queue_abandon","2025-10-10T08:00:00+08:00",null] '
}

@test "cxkit events: the PBX's estimate wins; unknown events pass; bad fields are named" {
	config '[queue]
wait_position = 0
wait_minutes = 5
cooldown = 0
wait_interval = 0'
	run_in '{"ts":"2025-10-09T02:00:00Z","event":"enter","call_id":"c1","queue":"q","caller":"+8613800138000","position":3,"ewt_s":1200,"topic":"refund"}
{"ts":"2025-10-09T02:00:01Z","event":"ringing","call_id":"c1"}
{"ts":"2025-10-09T02:00:02Z","event":"enter","call_id":"c2","queue":"q","caller":"+8613800138001","position":"two"}
not json
[1,2]
{"ts":"2025-10-09T02:00:03Z","event":"position","call_id":"c1","position":2,"ewt_s":1800}
' queue-notify --rejects "$T/rej"
	expect_eq "$status" 1
	expect_eq "$(jqo -c '[.id, .vars.ewt_min, .vars.topic, .queue.ewt_method]' | tr '\n' ' ')" \
	    '["qn:wait:c1:1",20,"refund","pbx"] ["qn:wait:c1:2",30,"refund","pbx"] '
	[[ $stderr_out == *"<stdin>:3: 'position' is not a number"* ]]
	[[ $stderr_out == *"<stdin>:4: not a JSON object"* ]]
	[[ $stderr_out == *"<stdin>:5: not a JSON object"* ]]
	expect_eq "$(cat "$T/rej")" '{"ts":"2025-10-09T02:00:02Z","event":"enter","call_id":"c2","queue":"q","caller":"+8613800138001","position":"two"}
not json
[1,2]'
}

@test "agent events in the cxkit form feed the estimate; Erlang C when only [queue] agents is known" {
	config '[queue]
wait_position = 0
wait_minutes = 1
aht = 120
[queue erl]
agents = 4
wait_minutes = 1'
	run_in '{"ts":"2025-10-09T02:00:00Z","event":"agent","agent":"a1","queue":"q","state":"login"}
{"ts":"2025-10-09T02:00:01Z","event":"connect","call_id":"x","queue":"q","caller":"+8613800138000","agent":"a1"}
{"ts":"2025-10-09T02:00:02Z","event":"enter","call_id":"c1","queue":"q","caller":"+8613800138001","position":1}
{"ts":"2025-10-09T02:00:03Z","event":"enter","call_id":"e1","queue":"erl","caller":"+8613800138002","position":2}
' queue-notify
	expect_eq "$status" 0
	expect_eq "$(jqo -c '[.queue.queue, .queue.ewt_s, .queue.ewt_method]' | tr '\n' ' ')" \
	    '["q",120,"agents"] ["erl",60,"erlang"] '
}

@test "every agent paused or logged off: the estimate is the floor at the last staffing, never the hold-time average" {
	config '[queue]
aht = 300
quiet_hours = none'
	run_in '{"ts":"2025-10-09T02:00:00Z","event":"agent","agent":"a1","queue":"q","state":"login"}
{"ts":"2025-10-09T02:00:00Z","event":"agent","agent":"a2","queue":"q","state":"login"}
{"ts":"2025-10-09T02:00:00Z","event":"agent","agent":"a3","queue":"q","state":"login"}
{"ts":"2025-10-09T02:00:01Z","event":"connect","call_id":"x1","queue":"q","caller":"+8613800138000","agent":"a1","wait_s":1}
{"ts":"2025-10-09T02:01:00Z","event":"agent","agent":"a1","queue":"q","state":"pause"}
{"ts":"2025-10-09T02:01:00Z","event":"agent","agent":"a2","queue":"q","state":"logoff"}
{"ts":"2025-10-09T02:01:00Z","event":"agent","agent":"a3","queue":"q","state":"pause"}
{"ts":"2025-10-09T02:02:00Z","event":"enter","call_id":"c1","queue":"q","caller":"+8613800138001","position":1}
{"ts":"2025-10-09T02:02:01Z","event":"enter","call_id":"c2","queue":"q","caller":"+8613800138002","position":2}
{"ts":"2025-10-09T02:03:00Z","event":"agent","agent":"b1","queue":"p","state":"pause"}
{"ts":"2025-10-09T02:03:01Z","event":"connect","call_id":"y1","queue":"p","caller":"+8613800138003","wait_s":1}
{"ts":"2025-10-09T02:03:02Z","event":"enter","call_id":"c3","queue":"p","caller":"+8613800138004","position":5}
' queue-notify -n
	expect_eq "$status" 0
	# q: the last staffing seen was 1 agent (a3, before it paused): the
	# 2nd in line waits at least 2 * 300 / 1 s, which reaches the 10
	# minutes (the hold-time average, 1 s, would say nothing); the 1st,
	# 300 s, stays under them.  p: no agent was ever available and no
	# [queue] agents: no estimate, a notice by position only.
	expect_eq "$(jqo -c '[.id, .template, .vars.ewt_min, .queue.ewt_s, .queue.ewt_method]' | tr '\n' ' ')" \
	    '["qn:wait:c2:1","queue_wait",10,600,"staffed"] ["qn:wait:c3:1","queue_position",null,null,null] '
}

# enters N GAP QUEUE START: N cxkit enter events GAP seconds apart from
# Unix time START, each from its own caller.
enters() {
	for i in $(seq 0 $(($1 - 1))); do
		printf '{"ts":"%s","event":"enter","call_id":"%s%d","queue":"%s","caller":"+86138%08d"}\n' \
		    "$(date -u -d @$(($4 + i * $2)) +%FT%TZ)" "$3" "$i" "$3" \
		    $(($4 - 1760000000 + i))
	done
}

@test "service level by Erlang C, through the program: domain.md's worked example and its second check" {
	config '[queue]
wait_position = 1
quiet_hours = none
aht = 180
[queue q14]
agents = 14
[queue q13]
agents = 13
[queue big]
aht = 240
service_level = 80/15'
	# 100 calls in 30 minutes (one each 18 s), AHT 180 s: A = 10 E.
	{ enters 33 18 q14 1760000000; enters 33 18 q13 1760001000
	  # 360 calls in 30 minutes, AHT 240 s, 55 agents logged in: A = 48.
	  for i in $(seq 1 55); do
		printf '{"ts":"2025-10-09T09:00:00Z","event":"agent","agent":"a%d","queue":"big","state":"login"}\n' "$i"
	  done
	  enters 33 5 big 1760004000; } > "$T/in"
	run queue-notify -n < "$T/in"
	expect_eq "$status" 0
	# The last notice of each queue: the rate over its last 32 calls.
	expect_eq "$(jq -c 'select(.queue.call_id=="q1432") | .queue.service_level' <<< "$output")" \
	    '{"target":"80/20","arrivals_h":200,"aht_s":180,"agents":14,"p_wait_pct":17,"asa_s":8,"expected_pct":88,"met":true,"agents_needed":14}'
	expect_eq "$(jq -c 'select(.queue.call_id=="q1332") | .queue.service_level' <<< "$output")" \
	    '{"target":"80/20","arrivals_h":200,"aht_s":180,"agents":13,"p_wait_pct":29,"asa_s":17,"expected_pct":79,"met":false,"agents_needed":14}'
	expect_eq "$(jq -c 'select(.queue.call_id=="big32") | .queue.service_level' <<< "$output")" \
	    '{"target":"80/15","arrivals_h":720,"aht_s":240,"agents":55,"p_wait_pct":24,"asa_s":8,"expected_pct":84,"met":true,"agents_needed":55}'
	config '[queue]
service_level = 80'
	run_in '' queue-notify
	expect_eq "$status" 2
	[[ $stderr_out == *"service_level: '80' is not PERCENT/SECONDS (e.g. 80/20)"* ]]
}

@test "with the default cooldown, a growing estimate still notices again: past the margin, at most every wait_interval" {
	config '[queue]
quiet_hours = none'
	ag() { printf '{"ts":"2025-10-09T02:%s:00Z","event":"agent","agent":"a%d","queue":"q","state":"%s"}\n' "$1" "$2" "$3"; }
	{ for i in 1 2 3 4; do
		ag 00 $i login
		printf '{"ts":"2025-10-09T02:00:00Z","event":"connect","call_id":"x%d","queue":"q","caller":"+861380013810%d","agent":"a%d"}\n' $i $i $i
	  done
	  printf '{"ts":"2025-10-09T02:01:00Z","event":"enter","call_id":"c1","queue":"q","caller":"+8613800138001","position":14}\n'
	  ag 07 1 logoff; ag 07 2 logoff; ag 08 3 logoff
	  printf '{"ts":"2025-10-09T02:14:00Z","event":"position","call_id":"c1","position":14}\n'
	} > "$T/in"
	run queue-notify --skipped "$T/sk" < "$T/in"
	expect_eq "$status" 0
	# 14th with 4 agents busy at the default AHT 180 s: 630 s.  6 minutes
	# later 2 of them have gone: 1260 s, up by more than the 5-minute
	# margin, so a 2nd notice within the 30-minute cooldown.  A minute
	# later the last but one goes (2520 s): held, as 5 minutes have not
	# passed since the 2nd; the next event of the call, at 02:14, sends it.
	expect_eq "$(jq -c '[.id, .ts, .queue.ewt_s]' <<< "$output" | tr '\n' ' ')" \
	    '["qn:wait:c1:1","2025-10-09T02:01:00Z",630] ["qn:wait:c1:2","2025-10-09T02:07:00Z",1260] ["qn:wait:c1:3","2025-10-09T02:14:00Z",2520] '
	expect_eq "$(jq -c '[.ts, .queue.skipped]' "$T/sk")" '["2025-10-09T02:08:00Z","wait_interval"]'
}

@test "Asterisk WITHDRAW: the call leaves the queue, those behind move up, no message" {
	config '[defaults]
region = CN
[queue]
aht = 300
wait_position = 0
abandon_delay = 0
quiet_hours = none'
	printf '%s\n' '1760000000|MANAGER|support|PJSIP/1|ADDMEMBER|' \
	    '1760000000|MANAGER|support|PJSIP/2|ADDMEMBER|' \
	    '1760000001|x1|support|NONE|ENTERQUEUE||13800138091|1' \
	    '1760000002|x1|support|PJSIP/1|CONNECT|1|x1.b|1' \
	    '1760000003|x2|support|NONE|ENTERQUEUE||13800138092|1' \
	    '1760000004|x2|support|PJSIP/2|CONNECT|1|x2.b|1' \
	    '1760000010|c1|support|NONE|ENTERQUEUE||13800138001|1' \
	    '1760000011|c2|support|NONE|ENTERQUEUE||13800138002|2' \
	    '1760000012|c3|support|NONE|ENTERQUEUE||13800138003|3' \
	    '1760000030|c1|support|NONE|WITHDRAW|1|1|20|to-callback' \
	    '1760000040|NONE|support|PJSIP/2|PAUSE|Break' > "$T/log"
	queue-notify --from asterisk --skipped "$T/sk" < "$T/log" > "$T/out"
	# With 1 agent left at AHT 300 s: c2, now 1st, 300 s; c3, now 2nd,
	# 600 s, the 10 minutes.  Had c1 stayed, c2 and c3 would be 2nd and
	# 3rd (600 s, 900 s) and c1 would wait for ever.
	expect_eq "$(jq -c '[.id, .vars.position, .queue.ewt_s]' "$T/out")" '["qn:wait:c3:1",2,600]'
	expect_eq "$(cat "$T/sk")" ''
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT group_concat(call_id) FROM queue_calls')" 'c2,c3'
}

@test "a call with no end line is forgotten after 12 hours of the clock, however few lines came since" {
	config '[queue]
quiet_hours = none'
	run_in '{"ts":"2025-10-09T00:00:00Z","event":"enter","call_id":"lost","queue":"q","caller":"+8613800138001"}
{"ts":"2025-10-09T11:00:00Z","event":"enter","call_id":"a","queue":"q","caller":"+8613800138002"}
{"ts":"2025-10-09T13:00:00Z","event":"enter","call_id":"b","queue":"q","caller":"+8613800138003"}
' queue-notify --events "$T/ev"
	expect_eq "$status" 0
	# At 11:00 the lost call is still ahead; at 13:00 it is gone.
	expect_eq "$(jq -c '[.call_id, .position]' "$T/ev" | tr '\n' ' ')" \
	    '["lost",1] ["a",2] ["b",2] '
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT group_concat(call_id) FROM queue_calls')" 'a,b'
}

@test "a timeout's wait: the event's, else from the entry, else a template without it (sms-send renders every one)" {
	export CXKIT_TEMPLATES=$TOP/examples/templates
	config '[queue]
timeout_delay = 0
quiet_hours = none'
	run_in '{"ts":"2025-10-09T02:00:00Z","event":"enter","call_id":"c1","queue":"q","caller":"+8613800138001"}
{"ts":"2025-10-09T02:04:30Z","event":"timeout","call_id":"c1","queue":"q"}
{"ts":"2025-10-09T02:05:00Z","event":"timeout","call_id":"c2","queue":"q","caller":"+8613800138002"}
{"ts":"2025-10-09T02:06:00Z","event":"timeout","call_id":"c3","queue":"q","caller":"+8613800138003","wait_s":600}
' queue-notify
	expect_eq "$status" 0
	expect_eq "$(jqo -c '[.id, .template, .vars.wait_min]' | tr '\n' ' ')" \
	    '["qn:timeout:c1","queue_timeout",5] ["qn:timeout:c2","queue_timeout_nowait",null] ["qn:timeout:c3","queue_timeout",10] '
	printf '%s\n' "$output" | sms-send -q > "$T/res"
	expect_eq "$(jq -r .sms.status "$T/res" | sort -u)" outbox
}

@test "[queue NAME]: its own do_not_notify list and callback_key; opt-outs of the via's channel" {
	printf '+8613800138001\n' > "$T/dnn-all"
	printf '+8613800138002\n' > "$T/dnn-vip"
	config "[defaults]
region = CN
[provider wx]
type = wecom-robot
[queue]
abandon_delay = 0
quiet_hours = none
do_not_notify = $T/dnn-all
[queue vip]
do_not_notify = $T/dnn-vip
callback_key = 2
[queue im]
via = wx"
	printf '%s\n' '1760000000|a1|support|NONE|ENTERQUEUE||13800138002|1' \
	    '1760000001|a1|support|NONE|ABANDON|1|1|1' \
	    '1760000002|a2|vip|NONE|ENTERQUEUE||13800138002|1' \
	    '1760000003|a2|vip|NONE|ABANDON|1|1|1' \
	    '1760000004|a3|vip|NONE|ENTERQUEUE||13800138001|1' \
	    '1760000005|a3|vip|NONE|ABANDON|1|1|1' \
	    '1760000006|k1|vip|NONE|ENTERQUEUE||13800138003|1' \
	    '1760000007|k1|vip|NONE|EXITWITHKEY|1|1|1|1' \
	    '1760000008|k2|vip|NONE|ENTERQUEUE||13800138004|1' \
	    '1760000009|k2|vip|NONE|EXITWITHKEY|2|1|1|1' \
	    '1760000010|k3|support|NONE|ENTERQUEUE||13800138005|1' \
	    '1760000011|k3|support|NONE|EXITWITHKEY|1|1|1|1' > "$T/log"
	queue-notify --from asterisk --skipped "$T/sk" < "$T/log" > "$T/out"
	# support uses [queue]'s list (…001 is on it, …002 is not), vip its
	# own (…002 is on it, …001 is not); in vip key 2 asks for a callback
	# and key 1 is an abandon, in support key 1 is the callback.
	expect_eq "$(jq -c '[.id, .to]' "$T/out" | tr '\n' ' ')" \
	    '["qn:abandon:a1","+8613800138002"] ["qn:abandon:a3","+8613800138001"] ["qn:abandon:k1","+8613800138003"] '
	expect_eq "$(jq -c '[.queue.call_id, .queue.skipped]' "$T/sk")" '["a2","do_not_notify"]'
	# A caller who opted out of IM (and not of SMS) gets nothing from a
	# queue whose via is an IM provider.
	sqlite3 "$CXKIT_STATE" "INSERT INTO optout VALUES ('+8613800138006', 'im', 0, 'test')"
	printf '%s\n' '1760000020|i1|im|NONE|ENTERQUEUE||13800138006|1' \
	    '1760000021|i1|im|NONE|ABANDON|1|1|1' \
	    '1760000022|s1|support|NONE|ENTERQUEUE||13800138006|1' \
	    '1760000023|s1|support|NONE|ABANDON|1|1|1' > "$T/log2"
	queue-notify --from asterisk --skipped "$T/sk2" < "$T/log2" > "$T/out2"
	expect_eq "$(jq -c '[.id, .via]' "$T/out2")" '["qn:abandon:s1",null]'
	expect_eq "$(jq -c '[.queue.call_id, .queue.skipped]' "$T/sk2")" '["i1","opted_out"]'
}

@test "FreeSWITCH mod_callcenter: a caller who breaks out gets a follow-up after the delay" {
	config '[queue]
abandon_delay = 60
quiet_hours = none'
	run_in '{"Event-Subclass":"callcenter::info","CC-Action":"member-queue-start","CC-Queue":"support@default","CC-Member-Session-UUID":"u1","CC-Member-CID-Number":"+8613800138000","Event-Date-Timestamp":"1760000000000000"}
{"Event-Subclass":"callcenter::info","CC-Action":"member-queue-end","CC-Queue":"support@default","CC-Member-Session-UUID":"u1","CC-Cause":"Cancel","CC-Cancel-Reason":"BREAK_OUT","CC-Member-Joined-Time":"1760000000","CC-Member-Leaving-Time":"1760000045","Event-Date-Timestamp":"1760000045000000"}
{"Event-Subclass":"callcenter::info","CC-Action":"agent-status-change","CC-Agent":"1001@default","CC-Agent-Status":"Available","Event-Date-Timestamp":"1760000200000000"}
{"Event-Name":"HEARTBEAT"}
' queue-notify --from freeswitch
	expect_eq "$status" 0
	expect_eq "$(jqo -c '[.id, .to, .template, .vars.wait_min, .queue.wait_s, .ts]')" \
	    '["qn:abandon:u1","+8613800138000","queue_abandon",1,45,"2025-10-09T08:56:40Z"]'
}

@test "restart in the middle of a stream: pending follow-ups and cooldowns survive" {
	config '[defaults]
region = CN
[queue]
abandon_delay = 300
wait_position = 1
cooldown = 60
quiet_hours = none'
	head -3 "$DATA/restart.log" > "$T/a.log"
	tail -n +4 "$DATA/restart.log" > "$T/b.log"
	queue-notify --from asterisk < "$T/a.log" > "$T/out1"
	# Run 1 made the wait notice; the abandon's follow-up is pending.
	expect_eq "$(jq -r .id "$T/out1")" 'qn:wait:1760000000.1:1'
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT count(*) FROM queue_pending')" 1
	queue-notify --from asterisk --skipped "$T/sk" < "$T/b.log" > "$T/out2"
	# Run 2: the follow-up falls due; the caller's new call within the
	# cooldown gets no second wait notice, another caller does.
	expect_eq "$(jq -r .id "$T/out2" | tr '\n' ' ')" \
	    'qn:abandon:1760000000.1 qn:wait:1760000400.1:1 '
	expect_eq "$(jq -c '[.queue.call_id, .queue.skipped]' "$T/sk")" '["1760000330.1","cooldown"]'
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT count(*) FROM queue_pending')" 0
	# The same input again: nothing pending, everything cooled down.
	queue-notify --from asterisk < "$T/b.log" > "$T/out3"
	expect_eq "$(cat "$T/out3")" ''
}

@test "restart: a call that entered before it is still known (its caller, its place)" {
	config '[defaults]
region = CN
[queue]
abandon_delay = 10
quiet_hours = none'
	printf '%s\n' '1760000000|c1|support|NONE|ENTERQUEUE||13800138001|1' \
	    '1760000001|c2|support|NONE|ENTERQUEUE||13800138002|2' \
	    '1760000002|c3|support|NONE|ENTERQUEUE||13800138003|3' > "$T/a.log"
	printf '%s\n' '1760000030|c1|support|NONE|ABANDON|1|1|30' \
	    '1760000040|c2|support|PJSIP/1|CONNECT|39|x|1' \
	    '1760000050|NONE|NONE|NONE|QUEUESTART|' > "$T/b.log"
	queue-notify --from asterisk < "$T/a.log" > /dev/null
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT group_concat(call_id) FROM queue_calls')" 'c1,c2,c3'
	queue-notify --from asterisk --events "$T/ev" < "$T/b.log" > "$T/out"
	expect_eq "$(jq -c '[.id, .to]' "$T/out")" '["qn:abandon:c1","+8613800138001"]'
	expect_eq "$(jq -c '[.event, .caller]' "$T/ev" | tr '\n' ' ')" \
	    '["abandon","+8613800138001"] ["connect","+8613800138002"] '
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT call_id FROM queue_calls')" 'c3'
}

@test "behind tail -F: a follow-up falls due with no new line (the live timer)" {
	config '[queue]
abandon_delay = 1
quiet_hours = none'
	{
		printf '{"event":"enter","call_id":"c1","queue":"q","caller":"+8613800138000"}\n'
		printf '{"event":"abandon","call_id":"c1","queue":"q","wait_s":5}\n'
		sleep 4
	} | queue-notify > "$T/out" &
	# Written after about 1 s, long before the end of input (4 s).
	for i in $(seq 1 30); do
		[ -s "$T/out" ] && break
		sleep 0.1
	done
	[ -s "$T/out" ]
	expect_eq "$(jq -r .id "$T/out")" 'qn:abandon:c1'
	wait
}

@test "queue-notify | sms-send: the example templates render, in the caller's language" {
	export CXKIT_TEMPLATES=$TOP/examples/templates
	printf '{"id":"in1","channel":"sms","from":"+8613800138009","text":"EN"}\n' |
	    keyword-parse --record > /dev/null
	config '[defaults]
region = CN
[queue]
wait_position = 1
quiet_hours = none
[queue support]
topic = 退款'
	queue-notify --from asterisk < "$DATA/lang.log" > "$T/req"
	expect_eq "$(jq -r .lang "$T/req" | tr '\n' ' ')" 'zh-CN en mul zh-CN '
	set +e
	sms-send -q < "$T/req" > "$T/res"
	rc=$?
	set -e
	expect_eq "$rc" 0
	expect_eq "$(jq -r .sms.status "$T/res" | sort -u)" outbox
	expect_eq "$(jq -r .text "$T/outbox/sms.ndjson" | head -2 | tr '\n' '|')" \
	    '您目前排在第1位。回复1转微信客服，无需继续等待。|You are number 2 in line. Reply 1 to continue on WeChat instead of waiting.|'
}

@test "usage and configuration errors: exit 2 naming the option or file:line" {
	run_in '' queue-notify --from nonsense
	expect_eq "$status" 2
	[[ $stderr_out == *"--from: 'nonsense' is not cxkit, asterisk or freeswitch"* ]]
	config '[queue support]
wait_minutes = soon'
	run_in '' queue-notify
	expect_eq "$status" 2
	[[ $stderr_out == *"config.ini:2: [queue support] wait_minutes: 'soon' is not a whole number"* ]]
	config '[queue]
colour = red'
	run_in '' queue-notify
	expect_eq "$status" 2
	[[ $stderr_out == *"unknown key 'colour'"* ]]
	run_in '' queue-notify --now yesterday
	expect_eq "$status" 2
}

@test "cooldowns kept by an older version (the kv namespace) move to queue_cooldown" {
	config '[defaults]
region = CN
[queue]
abandon_delay = 300
wait_position = 1
cooldown = 60
quiet_hours = none'
	head -3 "$DATA/restart.log" > "$T/a.log"
	tail -n +4 "$DATA/restart.log" > "$T/b.log"
	queue-notify --from asterisk < "$T/a.log" > "$T/out1"
	# The store as the version before queue_cooldown left it.
	v=$(sqlite3 "$CXKIT_STATE" 'PRAGMA user_version')
	sqlite3 "$CXKIT_STATE" "INSERT INTO kv (ns, key, value, expires)
	    SELECT 'queue-notify.cooldown', key, at, expires FROM queue_cooldown;
	    DROP TABLE queue_cooldown; PRAGMA user_version = $((v - 1))"
	queue-notify --from asterisk --skipped "$T/sk" < "$T/b.log" > "$T/out2"
	expect_eq "$(jq -c '[.queue.call_id, .queue.skipped]' "$T/sk")" '["1760000330.1","cooldown"]'
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT count(*) FROM kv WHERE ns = 'queue-notify.cooldown'")" 0
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT key, at FROM queue_cooldown ORDER BY rowid' | tr '\n' ' ')" \
	    'wait|+8613800138000|1760000000000 abandon|+8613800138000|1760000370000 wait|+8613800138001|1760000400000 '
}

@test "-n: requests are written, nothing is kept in the state store" {
	config '[queue]
abandon_delay = 0
quiet_hours = none'
	run_in '{"ts":"2025-10-09T02:00:00Z","event":"abandon","call_id":"c1","queue":"q","caller":"+8613800138000"}
{"ts":"2025-10-09T02:00:01Z","event":"abandon","call_id":"c2","queue":"q","caller":"+8613800138000"}
' queue-notify -n
	expect_eq "$(jqo -r .id)" 'qn:abandon:c1'
	expect_eq "$(sqlite3 "$CXKIT_STATE" 'SELECT count(*) FROM queue_cooldown')" 0
}

@test "a simulated day of 100,000 calls through queue-notify | sms-send, restarted at noon" {
	export CXKIT_TEMPLATES=$TOP/examples/templates
	config '[defaults]
region = CN
[queue]
aht = 90
wait_position = 20
wait_minutes = 20
abandon_delay = 120
cooldown = 30
quiet_hours = none'
	python3 "$DATA/sim-day.py" gen 100000 7 > "$T/log"
	n=$(wc -l < "$T/log")
	head -n $((n / 2)) "$T/log" > "$T/a"
	tail -n +$((n / 2 + 1)) "$T/log" > "$T/b"
	# Stopped in the middle of the day and started again on the same
	# state: pending follow-ups, waiting calls and cooldowns carry over.
	{ queue-notify --from asterisk < "$T/a"
	  queue-notify --from asterisk < "$T/b"; } | sms-send -q > "$T/res"
	jq -c 'del(.sms)' "$T/res" > "$T/req"
	python3 "$DATA/sim-day.py" check "$T/log" "$T/req" "$T/res" \
	    "$T/outbox/sms.ndjson" 120 30 >&3
}

@test "the consumer goes away mid-stream (| head -n 1): exit 2, no crash, no hang, every time" {
	config '[defaults]
region = CN
[queue]
wait_position = 1
cooldown = 0
quiet_hours = none'
	python3 "$DATA/sim-day.py" gen 20000 3 > "$T/log"
	for i in 1 2 3 4 5 6 7 8; do
		rm -f "$CXKIT_STATE"*
		set +e
		timeout 60 queue-notify --from asterisk < "$T/log" 2> "$T/err" |
		    head -n 1 > "$T/first"
		rc=${PIPESTATUS[0]}
		set -e
		# 2: stdout closed (not a signal, not the timeout's 124)
		expect_eq "$rc" 2
		[ -s "$T/first" ]
		not_in 'AddressSanitizer\|runtime error' "$T/err"
	done
}
