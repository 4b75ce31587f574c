#!/bin/bash
# cx-report.sh - cx-report's speed beside jq, mlr, datamash and jansson
#
# SPDX-License-Identifier: MIT
# Usage: bench/cx-report.sh      (from `make bench`)
# Environment: N (default 1000000) and N10 (default 10 x N) records;
# PEERS10=1 also runs jq's reduce program at N10 (minutes); KEEP=1 keeps
# the temporary directory.
#
# bench/cx-report-gen.py writes N mixed records (queue events, sms/im
# results, receipts, inbound messages, ticket events); the N10 file is the
# N file repeated.  Every tool reads the file and computes the same
# per-channel figures of the send results (count, sent, segments); cx-report
# computes its whole report (--by channel) besides.  Timed by the wall
# clock, one after the other:
#   cx-report        bin/cx-report --by channel -f csv, 1 job
#   cx-report -j2    the same with --jobs 2
#   cx-report libc   1 job, --alloc=libc (jansson on malloc, no arena)
#   jq reduce        jq -n 'reduce inputs ...' (jq's fastest program)
#   jq group_by      jq -s '... group_by(.c) ...' (the obvious one)
#   mlr stats1       mlr --ijsonl filter, put, stats1 -g
#   datamash         datamash -s -g 1 count/sum over a TSV of the two
#                    columns, extracted beforehand (not timed): a much
#                    easier task, shown for scale
#   jansson parse    json_loadb + json_decref a line: the ceiling of any
#                    jansson reader (built from this script)
#   jansson-loop     bench/jansson-loop.c: parse, add a key, dump
# The figures of cx-report, jq and mlr are checked to agree.  Then the
# ratios to the issue's aims, and cx-report's peak RSS at N and N10.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000000}
N10=${N10:-$((10 * N))}
CR=$top/bin/cx-report

die() { echo "bench: $*" >&2; exit 1; }
for c in jq mlr datamash bc cc pkg-config python3; do
	command -v "$c" >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/deps bench)"
[ -x "$CR" ] || die "$CR is not built (make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench-cr.XXXXXX")
cleanup() {
	if [ -n "${KEEP:-}" ]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_CONFIG CXKIT_STATE CXKIT_TEMPLATES CXKIT_NOW
export LC_ALL=C.UTF-8

cat > "$tmp/parse.c" <<'C'
/* json_loadb + json_decref of each line: the ceiling of a jansson reader */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
int main(void) {
	char *line = NULL; size_t cap = 0; ssize_t len; unsigned long n = 0;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_t *r = json_loadb(line, (size_t)len, JSON_DISABLE_EOF_CHECK, NULL);
		n += json_is_object(r);
		json_decref(r);
	}
	fprintf(stderr, "%lu\n", n);
	return 0;
}
C
# shellcheck disable=SC2046
cc -O2 -o "$tmp/jansson-parse" "$tmp/parse.c" $(pkg-config --cflags --libs jansson)
# shellcheck disable=SC2046
cc -O2 -o "$tmp/jansson-loop" "$top/bench/jansson-loop.c" $(pkg-config --cflags --libs jansson)

echo "bench: generating $N records" >&2
python3 "$top/bench/cx-report-gen.py" "$N" 11 > "$tmp/in"
jq -r 'select(.sms or .im) | [(.channel // "sms"), ((.sms // .im) | .segments // .parts)] | @tsv' \
    "$tmp/in" > "$tmp/in.tsv"

JQ_REDUCE='reduce (inputs | select(.sms or .im)) as $r ({};
    ($r.sms // $r.im) as $m | ($r.channel // "sms") as $c
    | .[$c].n += 1 | .[$c].sent += (if $m.status == "sent" then 1 else 0 end)
    | .[$c].seg += ($m.segments // $m.parts))'
JQ_GROUP='map(select(.sms or .im) | {c: (.channel // "sms"), m: (.sms // .im)})
    | group_by(.c) | map({(.[0].c): {n: length,
      sent: (map(select(.m.status == "sent")) | length),
      seg: (map(.m.segments // .m.parts) | add)}}) | add'
MLR_PUT='if (is_present($sms)) { $seg = $sms["segments"]; $st = $sms["status"] }
    else { $seg = $im["parts"]; $st = $im["status"] }
    $ch = is_present($channel) ? $channel : "sms"; $sent = $st == "sent" ? 1 : 0'

declare -A secs cpu rss
# run NAME FILE CMD...: wall seconds, CPU seconds (user + system) and peak
# RSS (kB) of CMD < FILE
run() {
	local name=$1 file=$2 t0 t1
	shift 2
	echo "bench: $name" >&2
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" < "$file" > "$tmp/out.$name" 2>/dev/null
	t1=$(date +%s.%N)
	secs[$name]=$(echo "$t1 - $t0" | bc -l)
	read -r rss[$name] u s < <(tail -1 "$tmp/rss")
	cpu[$name]=$(echo "$u + $s" | bc -l)
}

run cx-report "$tmp/in" "$CR" --by channel -f csv
run cx-report-j2 "$tmp/in" "$CR" --by channel -f csv -j 2
run cx-report-libc "$tmp/in" "$CR" --by channel -f csv --alloc libc
run jansson-parse "$tmp/in" "$tmp/jansson-parse"
run jansson-loop "$tmp/in" "$tmp/jansson-loop"
run jq-reduce "$tmp/in" jq -n -c "$JQ_REDUCE"
run jq-group_by "$tmp/in" jq -s -c "$JQ_GROUP"
run mlr-stats1 "$tmp/in" mlr --ijsonl --ojson filter 'is_present($sms) || is_present($im)' \
    then put "$MLR_PUT" then stats1 -a count,sum -f sent,seg -g ch
run datamash "$tmp/in.tsv" datamash -s -g 1 count 1 sum 2

# The figures agree: channel -> [count, sent, segments]
awk -F, '$1 == "messaging" && $2 != "total" {
    n = 0; for (i = 3; i <= 9; i++) n += $i
    printf "%s %d %d %d\n", $2, n, $3, $14 }' "$tmp/out.cx-report" | sort > "$tmp/f.cx"
jq -r 'to_entries[] | "\(.key) \(.value.n) \(.value.sent) \(.value.seg)"' \
    "$tmp/out.jq-reduce" | sort > "$tmp/f.jq"
jq -r 'to_entries[] | "\(.key) \(.value.n) \(.value.sent) \(.value.seg)"' \
    "$tmp/out.jq-group_by" | sort > "$tmp/f.jqg"
jq -r '.[] | "\(.ch) \(.seg_count) \(.sent_sum) \(.seg_sum)"' \
    "$tmp/out.mlr-stats1" | sort > "$tmp/f.mlr"
awk '{ print $1, $2, $4 }' "$tmp/f.cx" > "$tmp/f.cx3"
awk '{ print $1, $2, $3 }' "$tmp/out.datamash" | sort > "$tmp/f.dm"
cmp -s "$tmp/f.cx" "$tmp/f.jq" && cmp -s "$tmp/f.cx" "$tmp/f.jqg" &&
    cmp -s "$tmp/f.cx" "$tmp/f.mlr" && cmp -s "$tmp/f.cx3" "$tmp/f.dm" ||
    { paste "$tmp/f.cx" "$tmp/f.jq" "$tmp/f.mlr" "$tmp/f.dm" >&2; die "the figures differ"; }
echo "bench: the per-channel figures agree (cx-report, jq x2, mlr, datamash)" >&2

N1=$N
rate() { echo "$N / ${secs[$1]}" | bc -l; }
printf '\n%d records (%s MB), one run each (2 cores, shared with others:\n' \
    "$N" "$(( $(stat -c %s "$tmp/in") / 1000000 ))"
printf 'CPU seconds are the steadier measure of one core)\n\n'
printf '%-16s %8s %8s %12s %8s %10s\n' tool wall_s cpu_s records/s RSS_MB "cpu / cx"
for t in cx-report cx-report-j2 cx-report-libc jansson-parse jansson-loop \
    jq-reduce jq-group_by mlr-stats1 datamash; do
	printf '%-16s %8.2f %8.2f %12.0f %8.1f %10.2f\n' "$t" "${secs[$t]}" \
	    "${cpu[$t]}" "$(rate "$t")" "$(echo "${rss[$t]} / 1024" | bc -l)" \
	    "$(echo "${cpu[$t]} / ${cpu[cx-report]}" | bc -l)"
done
r() { echo "$1" | bc -l; }
printf '\naims (issue 7), 1 core by CPU time, 2 jobs by wall clock:\n'
printf '  0.8 of a jansson parse loop, 1 core:  %.2f\n' \
    "$(r "${cpu[jansson-parse]} / ${cpu[cx-report]}")"
printf '  --jobs 2 scaling (1.8):               %.2f\n' \
    "$(r "${secs[cx-report]} / ${secs[cx-report-j2]}")"
printf '  x jq fastest, 1 core (3.5):           %.2f\n' \
    "$(r "${cpu[jq-reduce]} / ${cpu[cx-report]}")"
printf '  x jq fastest, 2 jobs (6):             %.2f\n' \
    "$(r "${secs[jq-reduce]} / ${secs[cx-report-j2]}")"
printf '  x mlr, 1 core (6):                    %.2f\n' \
    "$(r "${cpu[mlr-stats1]} / ${cpu[cx-report]}")"
printf '  arena over libc (CPU):                %.2f\n' \
    "$(r "${cpu[cx-report-libc]} / ${cpu[cx-report]}")"

echo "bench: $N10 records (the file $((N10 / N)) times)" >&2
for i in $(seq 1 $((N10 / N))); do cat "$tmp/in"; done > "$tmp/in10"
rm -f "$tmp/in.tsv"
N=$N10
run cx-report-10 "$tmp/in10" "$CR" --by channel -f csv
run cx-report-10-j2 "$tmp/in10" "$CR" --by channel -f csv -j 2
run jansson-parse-10 "$tmp/in10" "$tmp/jansson-parse"
[ -n "${PEERS10:-}" ] && run jq-reduce-10 "$tmp/in10" jq -n -c "$JQ_REDUCE"
printf '\n%d records\n\n' "$N10"
printf '%-16s %8s %8s %12s %8s\n' tool wall_s cpu_s records/s RSS_MB
for t in cx-report-10 cx-report-10-j2 jansson-parse-10 ${PEERS10:+jq-reduce-10}; do
	printf '%-16s %8.2f %8.2f %12.0f %8.1f\n' "$t" "${secs[$t]}" \
	    "${cpu[$t]}" "$(rate "$t")" "$(echo "${rss[$t]} / 1024" | bc -l)"
done
printf '\n--jobs 2 scaling at %d records (1.8): %.2f (the 1M run above is about a second: its start and end weigh more)\n' \
    "$N10" "$(r "${secs[cx-report-10]} / ${secs[cx-report-10-j2]}")"
printf 'peak RSS of cx-report: %.1f MB at %d records, %.1f MB at %d (aim: flat, < 100 MB)\n' \
    "$(echo "${rss[cx-report]} / 1024" | bc -l)" "$N1" \
    "$(echo "${rss[cx-report-10]} / 1024" | bc -l)" "$N10"
