#!/bin/bash
# keyword-parse.sh - keyword-parse's speed beside jq, mlr and a jansson loop
#
# SPDX-License-Identifier: MIT
# Usage: bench/keyword-parse.sh      (from `make bench`)
# Environment: N (default 1000000) generated replies; NJ (default N) of
# them for jq's obvious program, the slowest by far (a run with NJ=100000
# takes a minute instead of ten: the rate is what is compared); NM (100000)
# for the small memory run; S (20000) for the agreement check; KEEP=1 keeps
# the temporary directory.
#
# bench/gen-replies.py writes N inbound replies (the mix of
# tests/data/keyword-parse/golden.ndjson).  Each tool reads them from a
# file and writes to /dev/null, one after the other, timed by the wall
# clock:
#   keyword-parse   bin/keyword-parse, built-in packs
#   jq obvious      bench/keyword-parse-obvious.jq, a chain of test() calls
#   jq fastest      bench/keyword-parse-fast.jq, a lookup table built once
#                   (jq -n, inputs) before a guarded chain
#   mlr             bench/keyword-parse.mlr, Miller 6: the same lookup
#                   table and chain (the full packs)
#   jansson-loop    bench/jansson-loop.c: json_loadb, add a constant intent,
#                   json_dumpb: the ceiling of any jansson filter
# The table gives each rate and keyword-parse's ratio to it, then the aims
# of issue 4 and keyword-parse's peak RSS for NM, N and 2N records (flat
# memory).  The jq and mlr programs implement the packs as regexes: their
# {name, entities} are compared with keyword-parse's on the first S
# records (with jq's obvious program when keyword-parse is not built).
# Without bin/keyword-parse the script says so and measures the rest.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000000}
NJ=${NJ:-$N}
NM=${NM:-100000}
S=${S:-20000}
PY=python3
KP=$top/bin/keyword-parse

die() { echo "bench: $*" >&2; exit 1; }
for c in jq mlr cc pkg-config $PY; do
	command -v "$c" >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/deps bench)"
pkg-config --exists jansson || die "jansson missing (scripts/deps build)"
[ "$NJ" -le "$N" ] || NJ=$N
[ "$NM" -le "$N" ] || NM=$N
[ "$S" -le "$N" ] || S=$N
have_kp=1
if [ ! -x "$KP" ]; then
	have_kp=0
	echo "bench: $KP is not built yet (make bin/keyword-parse): measuring the others only" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench-kp.XXXXXX")
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# keyword-parse must not read the user's configuration or state.
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_CONFIG CXKIT_STATE CXKIT_TEMPLATES CXKIT_NOW
export LC_ALL=C.UTF-8

# shellcheck disable=SC2046	# pkg-config's flags are words
cc -O2 -o "$tmp/jansson-loop" "$top/bench/jansson-loop.c" \
    $(pkg-config --cflags --libs jansson) || die "cannot build bench/jansson-loop.c"

echo "bench: generating $N replies" >&2
"$PY" "$top/bench/gen-replies.py" "$N" > "$tmp/in.ndjson"
[ "$(wc -l < "$tmp/in.ndjson")" -eq "$N" ] || die "gen-replies.py did not write $N lines"
if [ "$NJ" -lt "$N" ]; then
	head -n "$NJ" "$tmp/in.ndjson" > "$tmp/in-jq.ndjson"
else
	ln -s "$tmp/in.ndjson" "$tmp/in-jq.ndjson"
fi
head -n "$NM" "$tmp/in.ndjson" > "$tmp/in-mem.ndjson"
head -n "$S" "$tmp/in.ndjson" > "$tmp/in-sample.ndjson"
mb=$(awk -v b="$(wc -c < "$tmp/in.ndjson")" 'BEGIN { printf "%.1f", b / 1048576 }')

now() { date +%s.%N; }
declare -A secs nrec rps
# timed NAME RECORDS INPUT COMMAND...: runs COMMAND < INPUT > /dev/null,
# sets secs[NAME], nrec[NAME] and rps[NAME]; a failing command is reported.
timed() {
	local name=$1 n=$2 in=$3 t0 t1 rc=0
	shift 3
	echo "bench: $name ($n records)" >&2
	t0=$(now)
	"$@" < "$in" > /dev/null || rc=$?
	t1=$(now)
	[ $rc -eq 0 ] || echo "bench: $name exited $rc" >&2
	secs[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	nrec[$name]=$n
	rps[$name]=$(awk -v n="$n" -v s="${secs[$name]}" 'BEGIN { printf "%.0f", n / s }')
}

[ $have_kp = 1 ] && timed kp "$N" "$tmp/in.ndjson" "$KP"
timed jqobv "$NJ" "$tmp/in-jq.ndjson" jq -c -f "$top/bench/keyword-parse-obvious.jq"
timed jqfast "$N" "$tmp/in.ndjson" jq -nc -f "$top/bench/keyword-parse-fast.jq"
timed mlr "$N" "$tmp/in.ndjson" mlr -S --ijsonl --ojsonl put -f "$top/bench/keyword-parse.mlr"
timed jl "$N" "$tmp/in.ndjson" "$tmp/jansson-loop"

# Peak memory of keyword-parse for NM, N and 2N records.
rss() {	# rss INPUT: maximum resident set size in kB
	/usr/bin/time -f '%M' -o "$tmp/time.out" "$KP" < "$1" > /dev/null || true
	tail -n 1 "$tmp/time.out"
}
if [ $have_kp = 1 ]; then
	rss_small=$(rss "$tmp/in-mem.ndjson")
	rss_big=$(rss "$tmp/in.ndjson")
	# N records twice over: the memo of recent replies (16,384 slots)
	# is full long before N, so any growth from N to 2N is per record.
	cat "$tmp/in.ndjson" "$tmp/in.ndjson" > "$tmp/in-2n.ndjson"
	rss_2n=$(rss "$tmp/in-2n.ndjson")
	rm -f "$tmp/in-2n.ndjson"
fi

# Agreement on the first S records: {name, entities} of each program
# against keyword-parse's (or, without it, jq's obvious program's).
intents() { jq -cS '.intent | {name, entities}' > "$1"; }
jq -c -f "$top/bench/keyword-parse-obvious.jq" < "$tmp/in-sample.ndjson" | intents "$tmp/a-jqobv"
jq -nc -f "$top/bench/keyword-parse-fast.jq" < "$tmp/in-sample.ndjson" | intents "$tmp/a-jqfast"
mlr -S --ijsonl --ojsonl put -f "$top/bench/keyword-parse.mlr" < "$tmp/in-sample.ndjson" | intents "$tmp/a-mlr"
if [ $have_kp = 1 ]; then
	"$KP" < "$tmp/in-sample.ndjson" | intents "$tmp/a-kp" || true
	ref=kp refname=keyword-parse
else
	ref=jqobv refname="jq obvious"
fi
agree() {	# agree NAME: percentage of lines equal to the reference's
	paste -d '\t' "$tmp/a-$ref" "$tmp/a-$1" |
	    awk -F'\t' -v n="$S" '$1 == $2 { same++ } END { printf "%.2f%%", 100 * same / n }'
}

ratio() {	# keyword-parse's rate over this one's
	if [ $have_kp = 1 ]; then
		awk -v a="${rps[kp]}" -v b="${rps[$1]}" 'BEGIN { printf "%.2f", a / b }'
	else
		echo "-"
	fi
}
row() {	# row LABEL NAME
	printf '%-44s %9s %9s %11s %16s\n' "$1" "${nrec[$2]}" "${secs[$2]}" "${rps[$2]}" "$(ratio "$2")"
}

jqv=$(jq --version | sed 's/^jq-//')
mlrv=$(mlr --version | sed 's/^mlr //')
jv=$(pkg-config --modversion jansson)
echo
echo "keyword-parse bench: $N generated replies ($mb MB NDJSON), built-in packs, output to /dev/null; $(nproc) CPUs"
printf '%-44s %9s %9s %11s %16s\n' "tool" "records" "seconds" "records/s" "keyword-parse ÷"
if [ $have_kp = 1 ]; then
	row "keyword-parse (built-in packs)" kp
else
	printf '%-44s %9s %9s %11s %16s\n' "keyword-parse (not built yet)" "-" "-" "-" "-"
fi
row "jq $jqv obvious (test() chain)" jqobv
row "jq $jqv fastest (lookup table + chain)" jqfast
row "mlr $mlrv (lookup table + chain, full packs)" mlr
row "jansson-loop $jv (parse, add, dump)" jl
echo
echo "same {name, entities} as $refname on the first $S records:" \
    "jq obvious $(agree jqobv), jq fastest $(agree jqfast), mlr $(agree mlr)"
echo
if [ $have_kp = 1 ]; then
	printf 'keyword-parse peak memory: maximum RSS %s kB for %s records, %s kB for %s, %s kB for %s (the memo of recent replies, 16,384 slots, fills over the first few hundred thousand)\n' \
	    "$rss_small" "$NM" "$rss_big" "$N" "$rss_2n" "$((2 * N))"
	awk -v k="${rps[kp]}" -v j="${rps[jl]}" -v o="${rps[jqobv]}" -v f="${rps[jqfast]}" \
	    -v ms="$rss_big" -v mb="$rss_2n" 'BEGIN {
		printf "aims (issue 4): >= 0.7x jansson-loop: %s (%.2fx); >= 50x jq obvious: %s (%.1fx); >= 4x jq fastest: %s (%.1fx); flat memory: %s (%+.0f kB)\n",
		    (k >= 0.7 * j) ? "met" : "NOT met", k / j,
		    (k >= 50 * o) ? "met" : "NOT met", k / o,
		    (k >= 4 * f) ? "met" : "NOT met", k / f,
		    (mb <= ms * 1.1 + 1024) ? "met" : "NOT met", mb - ms
	}'
else
	echo "aims (issue 4): not measured: bin/keyword-parse is not built"
	awk -v j="${rps[jl]}" -v o="${rps[jqobv]}" -v f="${rps[jqfast]}" 'BEGIN {
		printf "for reference: 0.7x jansson-loop = %.0f records/s; 50x jq obvious = %.0f; 4x jq fastest = %.0f\n",
		    0.7 * j, 50 * o, 4 * f
	}'
fi
