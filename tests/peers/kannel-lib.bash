# kannel-lib.bash - a real Kannel on loopback, for the peers tests
#
# SPDX-License-Identifier: MIT
# Sourced by kannel.sh (sms-send through Kannel) and kannel-recv.sh (Kannel's
# MO and DLR callbacks into msg-recv).  Gives:
#   skip REASON            TAP "1..0 # SKIP REASON", exit 0
#   kannel_need PROG...    skip unless the programs, jq, Kannel, fakesmsc
#                          and stdbuf are there
#   kannel_setup NAME      $tmp (a scratch directory), pids=() and the trap
#                          that stops every pid in it and removes $tmp
#                          (kept with KEEP=1)
#   free_ports N           N distinct free loopback TCP ports
#   wait_for SECONDS CMD.. until CMD succeeds
#   kannel_ports           picks admin_port box_port smsc_port send_port,
#                          and spare_port for the test's own server
#   kannel_conf [SMSBOX-LINES [GROUPS]]
#                          writes $tmp/kannel.conf: core, a fake SMSC,
#                          smsbox (plus SMSBOX-LINES), the sendsms-user
#                          cxkit / s3cret-kannel (plus GROUPS at the end)
#   kannel_start           bearerbox, fakesmsc reading MOs from a FIFO held
#                          open on fd 3, smsbox; waits until all are on
#                          line (SKIP when Kannel does not come up)

BEARERBOX=/usr/sbin/bearerbox
SMSBOX=/usr/sbin/smsbox
FAKESMSC=/usr/lib/kannel/test/fakesmsc
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

skip() { echo "1..0 # SKIP $*"; exit 0; }

kannel_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip "$p not built"
	done
	command -v jq >/dev/null 2>&1 || skip "jq missing"
	[ -x "$BEARERBOX" ] && [ -x "$SMSBOX" ] || skip "kannel not installed"
	[ -x "$FAKESMSC" ] || skip "kannel-extras (fakesmsc) not installed"
	command -v stdbuf >/dev/null 2>&1 || skip "stdbuf missing"
}

kannel_stop() {
	local p
	{ exec 3>&-; } 2>/dev/null
	# the last started first: smsbox, fakesmsc, then bearerbox (which ends
	# fakesmsc's connection), then what the test started before Kannel
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

kannel_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-$1.XXXXXX") || exit 2
	pids=()
	trap kannel_stop EXIT
	trap 'exit 1' INT TERM HUP
}

free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
}

wait_for() {
	local t=$1
	shift
	for _ in $(seq $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

kannel_ports() {
	read -r admin_port box_port smsc_port send_port spare_port \
	    <<<"$(free_ports 5)"
}

kannel_conf() {
	cat > "$tmp/kannel.conf" <<EOF
group = core
admin-port = $admin_port
admin-interface = 127.0.0.1
admin-password = cxkit-admin
admin-allow-ip = 127.0.0.1
smsbox-port = $box_port
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = $tmp/bearerbox.log
log-level = 1
access-log = $tmp/bearerbox-access.log

group = smsc
smsc = fake
smsc-id = fake
port = $smsc_port
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $box_port
sendsms-port = $send_port
sendsms-interface = 127.0.0.1
${1:+$1
}log-file = $tmp/smsbox.log
log-level = 1
access-log = $tmp/smsbox-access.log

group = sendsms-user
username = cxkit
password = s3cret-kannel
max-messages = 10
concatenation = true
${2:+
$2}
EOF
}

kannel_ready() {
	local st
	st=$(curl -sf "http://127.0.0.1:$admin_port/status.txt?password=cxkit-admin") || return 1
	grep -q 'fake\[fake\].*online' <<<"$st" || return 1
	grep -q 'smsbox:.*on-line' <<<"$st" || return 1
	# the sendsms port answers (any HTTP status)
	curl -s -o /dev/null "http://127.0.0.1:$send_port/"
}

kannel_start() {
	cd "$tmp" || exit 2
	"$BEARERBOX" "$tmp/kannel.conf" > "$tmp/bearerbox.out" 2>&1 &
	pids=($! "${pids[@]}")
	wait_for 10 curl -sf -o /dev/null \
	    "http://127.0.0.1:$admin_port/status.txt?password=cxkit-admin" ||
	    skip "bearerbox did not start (see $tmp/bearerbox.out)"
	# fakesmsc dies when its stdin ends: it reads MOs from a FIFO this
	# shell keeps open for writing on fd 3.
	mkfifo "$tmp/mo"
	exec 3<>"$tmp/mo"
	stdbuf -i0 -o0 -e0 "$FAKESMSC" -H 127.0.0.1 -r "$smsc_port" -i 0 \
	    < "$tmp/mo" > "$tmp/fakesmsc.log" 2>&1 &
	pids=($! "${pids[@]}")
	"$SMSBOX" "$tmp/kannel.conf" > "$tmp/smsbox.out" 2>&1 &
	pids=($! "${pids[@]}")
	wait_for 15 kannel_ready || skip "Kannel did not become ready (see $tmp)"
}
