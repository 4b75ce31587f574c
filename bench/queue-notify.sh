#!/bin/bash
# queue-notify.sh - queue-notify's throughput beside a jansson loop, and
# its pipe latency
#
# SPDX-License-Identifier: MIT
# Usage: bench/queue-notify.sh      (from `make bench`)
# Environment: N (default 1000000) queue_log lines, about N/3 calls of a
# simulated day (tests/data/queue-notify/sim-day.py); L (default 5000)
# events for the latency run; KEEP=1 keeps the temporary directory.
#
# Throughput, each reading a file and writing to /dev/null, wall clock:
#   queue-notify asterisk   --from asterisk on the queue_log
#   queue-notify cxkit      the same day as cxkit queue events (NDJSON,
#                           written by --events)
#   jansson-loop            bench/jansson-loop.c on those NDJSON events:
#                           json_loadb, add an object, json_dumpb: the
#                           ceiling of any jansson filter
# Each queue-notify run starts on an empty state store and keeps its
# pending follow-ups, waiting calls and cooldowns in it, as in production.
# Latency: bench/qn-latency.py writes one enter event at a time into
# queue-notify's stdin pipe and times the request line coming out.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000000}
L=${L:-5000}
QN=$top/bin/queue-notify

die() { echo "bench: $*" >&2; exit 1; }
for c in cc pkg-config python3; do
	command -v "$c" >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x "$QN" ] || die "$QN is not built (make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench-qn.XXXXXX")
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_STATE CXKIT_TEMPLATES CXKIT_NOW
export LC_ALL=C.UTF-8 CXKIT_CONFIG=$tmp/config
printf '[defaults]\nregion = CN\n[queue]\naht = 90\n' > "$CXKIT_CONFIG"
chmod 600 "$CXKIT_CONFIG"

# shellcheck disable=SC2046	# pkg-config's flags are words
cc -O2 -o "$tmp/jansson-loop" "$top/bench/jansson-loop.c" \
    $(pkg-config --cflags --libs jansson) || die "cannot build bench/jansson-loop.c"

echo "bench: generating a day of about $N queue_log lines" >&2
python3 "$top/tests/data/queue-notify/sim-day.py" gen $((N * 34 / 100)) 1 |
    head -n "$N" > "$tmp/queue_log"
CXKIT_STATE=$tmp/gen.db "$QN" --from asterisk -n --events "$tmp/events.ndjson" \
    < "$tmp/queue_log" > /dev/null
lines=$(wc -l < "$tmp/queue_log")
nev=$(wc -l < "$tmp/events.ndjson")

now() { date +%s.%N; }
# timeit NAME cmd...: times cmd by the wall clock into secs[NAME].
declare -A secs
timeit() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	"$@"
	t1=$(now)
	secs[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
}
timeit asterisk sh -c "CXKIT_STATE=$tmp/a.db '$QN' --from asterisk < '$tmp/queue_log' > '$tmp/a.out'"
timeit cxkit sh -c "CXKIT_STATE=$tmp/c.db '$QN' < '$tmp/events.ndjson' > /dev/null"
timeit jansson sh -c "'$tmp/jansson-loop' < '$tmp/events.ndjson' > /dev/null"
reqs=$(wc -l < "$tmp/a.out")

rate() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
ra=$(rate "$lines" "${secs[asterisk]}")
rc=$(rate "$nev" "${secs[cxkit]}")
rj=$(rate "$nev" "${secs[jansson]}")
printf '\nqueue-notify: %d queue_log lines (%d queue events), %d requests\n' \
    "$lines" "$nev" "$reqs"
printf '%-24s %10s %14s %10s\n' tool seconds lines/s "vs jansson"
printf '%-24s %10.2f %14.0f %10.2f\n' "queue-notify asterisk" "${secs[asterisk]}" "$ra" \
    "$(rate "$ra" "$rj")"
printf '%-24s %10.2f %14.0f %10.2f\n' "queue-notify cxkit" "${secs[cxkit]}" "$rc" \
    "$(rate "$rc" "$rj")"
printf '%-24s %10.2f %14.0f %10s\n' "jansson-loop" "${secs[jansson]}" "$rj" 1.00

printf '[queue]\nwait_position = 1\ncooldown = 0\n' > "$CXKIT_CONFIG"
read -r p50 p99 max < <(CXKIT_STATE=$tmp/l.db python3 "$top/bench/qn-latency.py" "$QN" "$L")
printf '\npipe latency, event line written -> request line read (%d events):\n' "$L"
printf '  p50 %d us   p99 %d us   max %d us\n' "$p50" "$p99" "$max"
# aim NAME OK TEXT: one aim's line, met or NOT met.
aim() { printf 'aims (issue 5): %s: %s %s\n' "$1" "$([ "$2" = 1 ] && echo met || echo 'NOT met')" "$3"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
xa=$(rate "$ra" "$rj")
xc=$(rate "$rc" "$rj")
echo
aim "throughput, --from asterisk >= 0.5 of jansson" "$(ge "$xa" 0.5)" \
    "$(printf '(%.2f)' "$xa")"
aim "throughput, cxkit events >= 0.5 of jansson" "$(ge "$xc" 0.5)" \
    "$(printf '(%.2f)' "$xc")"
aim "pipe latency p99 < 1000 us" "$([ "$p99" -lt 1000 ] && echo 1 || echo 0)" \
    "($p99 us)"
