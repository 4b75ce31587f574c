# msg-recv.bash - helpers for msg-recv's CLI tests (load after lib)
#
# SPDX-License-Identifier: MIT
# mr_start ARGS...  starts msg-recv on a free port of 127.0.0.1 (stdout in
#                   $T/out, stderr in $T/err); sets MR_PORT, MR_URL, MR_PID
# mr_stop           SIGTERM, waits; sets MR_RC; $output = what it wrote
# post ARGS...      recv-client.py ARGS (URLs relative to MR_URL written
#                   as /path); $output "STATUS BODY"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CLIENT=$TOP/tests/cli/recv-client.py
# The tests' clock: signed timestamps are near it.
NOW=2025-10-01T06:00:00Z
NOW_S=1759298400

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mr_start() {
	local i
	MR_PORT=$(free_port)
	MR_URL=http://127.0.0.1:$MR_PORT
	CXKIT_NOW=${MR_NOW-$NOW} msg-recv --listen "127.0.0.1:$MR_PORT" "$@" \
	    > "${MR_OUT:-$T/out}" 2> "$T/err" &
	MR_PID=$!
	for i in $(seq 1 100); do
		grep -q 'listening on' "$T/err" 2>/dev/null && return 0
		kill -0 "$MR_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/err" >&2
	return 1
}

mr_stop() {
	[ -n "${MR_PID:-}" ] || return 0
	kill -TERM "$MR_PID" 2>/dev/null || true
	set +e
	wait "$MR_PID"
	MR_RC=$?
	set -e
	MR_PID=
	output=$(cat "$T/out")
}

post() {
	local cmd=$1 url=$2
	shift 2
	output=$("$PY" "$CLIENT" "$cmd" "$MR_URL$url" "$@")
}
