#!/bin/bash
# ticket-sync.sh - ticket-sync's local backend: push, pull and lookup rates,
# beside a shell + sqlite3 + jq loop doing the lookup the obvious way
#
# SPDX-License-Identifier: MIT
# Usage: bench/ticket-sync.sh      (from `make bench`)
# Environment: N (default 20000) inbound messages from C (default 2000)
# customers; NS (default 100) records for the shell loop, the slow one
# (its rate is what is compared); KEEP=1 keeps the temporary directory.
#
# Each step reads a file and writes to a file, timed by the wall clock, on
# a fresh state store in the temporary directory:
#   push     N messages: identity lookups, the first message of a customer
#            opens a ticket, the others are correspondence on it
#   pull     every change since the start (C created events)
#   lookup   N records, each naming its customer (latest ticket's status)
#   shell    NS lookups by a loop of sqlite3 and jq calls on the same
#            store (what a script without ticket-sync would do)
# Then the peak RSS of push for N/10 and N messages (flat memory).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-20000}
C=${C:-2000}
NS=${NS:-100}
TS=$top/bin/ticket-sync
die() { echo "bench: $*" >&2; exit 1; }
for c in jq sqlite3; do
	command -v "$c" >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/deps bench)"
[ -x "$TS" ] || die "$TS is not built (make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench-ts.XXXXXX")
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
export CXKIT_CONFIG=/dev/null CXKIT_STATE=$tmp/state.db
unset CXKIT_NOW

gen() {	# gen COUNT: COUNT inbound SMS from C customers
	awk -v n="$1" -v c="$C" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"id\":\"m%d\",\"channel\":\"sms\",\"from\":\"+86138%08d\",\"text\":\"message %d about my repair\",\"intent\":{\"name\":\"other\",\"entities\":{}}}\n", i, i % c, i
	}'
}
gen "$N" > "$tmp/in.ndjson"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

t0=$(now)
"$TS" push -q < "$tmp/in.ndjson" > "$tmp/push.out"
t1=$(now)
"$TS" pull > "$tmp/pull.out"
t2=$(now)
"$TS" lookup -q < "$tmp/in.ndjson" > "$tmp/lookup.out"
t3=$(now)
[ "$(wc -l < "$tmp/push.out")" -eq "$N" ] || die "push wrote $(wc -l < "$tmp/push.out") lines"
[ "$(wc -l < "$tmp/pull.out")" -eq "$C" ] || die "pull wrote $(wc -l < "$tmp/pull.out") events, not $C"

# The shell loop: for each record, find the customer, their latest
# ticket, its status, and add it to the record.
head -n "$NS" "$tmp/in.ndjson" > "$tmp/shell.in"
t4=$(now)
while IFS= read -r line; do
	from=$(printf '%s' "$line" | jq -r .from)
	st=$(sqlite3 "$CXKIT_STATE" "SELECT t.id || ' ' || t.status FROM ts_identity i
	    JOIN ts_ticket t ON t.customer = i.customer
	    WHERE i.kind = 'phone' AND i.value = '$from' ORDER BY t.id DESC LIMIT 1")
	printf '%s' "$line" | jq -c --arg id "${st% *}" --arg s "${st#* }" \
	    '.ticket = {id: $id, status: $s}'
done < "$tmp/shell.in" > "$tmp/shell.out"
t5=$(now)
# Both give the same ticket ids.
want=$(head -n "$NS" "$tmp/lookup.out" | jq -r .ticket.id | md5sum)
got=$(jq -r .ticket.id "$tmp/shell.out" | md5sum)
[ "$want" = "$got" ] || die "the shell loop and ticket-sync lookup disagree"

rss() {	# rss COUNT: peak RSS (KiB) of a push of COUNT new messages
	rm -f "$tmp/rss.db"*
	gen "$1" | CXKIT_STATE=$tmp/rss.db /usr/bin/time -f %M "$TS" push -q \
	    2>&1 >/dev/null | tail -1
}

printf '\nticket-sync, local backend (%s messages, %s customers, %s)\n' "$N" "$C" "$(nproc) cores"
printf '%-10s %10s %12s\n' step records rec/s
printf '%-10s %10s %12s\n' push "$N" "$(rate "$N" "$t0" "$t1")"
printf '%-10s %10s %12s\n' pull "$C" "$(rate "$C" "$t1" "$t2")"
printf '%-10s %10s %12s\n' lookup "$N" "$(rate "$N" "$t2" "$t3")"
printf '%-10s %10s %12s\n' shell "$NS" "$(rate "$NS" "$t4" "$t5")"
printf 'lookup is %sx the shell loop\n' \
    "$(awk -v a="$(rate "$N" "$t2" "$t3")" -v b="$(rate "$NS" "$t4" "$t5")" 'BEGIN { printf "%.0f", a / b }')"
printf 'peak RSS of push: %s KiB for %s messages, %s KiB for %s\n' \
    "$(rss $((N / 10)))" $((N / 10)) "$(rss "$N")" "$N"
