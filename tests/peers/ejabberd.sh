#!/bin/bash
# ejabberd.sh - im-send's xmpp target through a real ejabberd, read back
# from the server
#
# SPDX-License-Identifier: MIT
# Starts Debian's ejabberd (23.01) with ejabberdctl and its own
# configuration, spool and logs in a temporary directory (never
# /etc/ejabberd or /var/lib/ejabberd): mod_http_api and a plain c2s
# listener on 127.0.0.1 ephemeral ports, api_permissions letting loopback
# call only register, send_message and get_offline_count, and the Erlang
# distribution pinned to 127.0.0.1 on an ephemeral ERL_DIST_PORT (no epmd),
# so nothing listens beyond loopback.  Registers alice@localhost, sends an
# English and a Chinese message through `im-send --via xm`, and reads them
# back from the server: the offline count through mod_http_api, then the
# bodies themselves with a small XMPP client (SASL PLAIN on the loopback
# c2s listener).  send_message answers 200 `0` even for a user that does not
# exist, so im-send can only say "sent": that is why this test reads what
# the server holds, and checks that a message to a user that does not exist
# is "sent" by im-send yet stored nowhere.  Also: a bad JID is refused (400)
# and a dead port fails with error code network.  Stopped with
# `ejabberdctl stop`, then by the pid ejabberd wrote.  Prints TAP.
#
# ejabberdctl runs ejabberd as the ejabberd user (through su when run as
# root) and refuses any other user, so this test needs root or ejabberd.
set -u

EJABBERDCTL=/usr/sbin/ejabberdctl
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v im-send >/dev/null 2>&1 || skip "im-send not built"
command -v jq >/dev/null 2>&1 || skip "jq missing"
command -v curl >/dev/null 2>&1 || skip "curl missing"
[ -x "$EJABBERDCTL" ] && command -v erl >/dev/null 2>&1 ||
    skip "ejabberd not installed (scripts/deps check)"
me=$(id -un)
[ "$me" = root ] || [ "$me" = ejabberd ] ||
    skip "ejabberdctl runs only as root or ejabberd (not $me)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-ejabberd.XXXXXX") || exit 2
ej=$tmp/ej	# ejabberd's own: config, spool, logs, pid file
mkdir -p "$ej/spool" "$ej/log"
# ejabberdctl on this test's node
ctl=("$EJABBERDCTL" --config-dir "$ej" --config "$ej/ejabberd.yml"
    --ctl-config "$ej/ejabberdctl.cfg" --spool "$ej/spool" --logs "$ej/log")
wrapper=	# ejabberdctl foreground (which waits for the node)
stop() {
	local bpid=
	if [ -n "$wrapper" ]; then
		[ -s "$ej/ejabberd.pid" ] && bpid=$(cat "$ej/ejabberd.pid")
		timeout 20 "${ctl[@]}" stop > "$tmp/stop.out" 2>&1
		for _ in $(seq 100); do
			kill -0 "$wrapper" 2>/dev/null || break
			sleep 0.1
		done
		if [ -n "$bpid" ] && kill -0 "$bpid" 2>/dev/null; then
			kill "$bpid" 2>/dev/null
			for _ in $(seq 50); do
				kill -0 "$bpid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$bpid" 2>/dev/null
		fi
		kill "$wrapper" 2>/dev/null
		wait "$wrapper" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

# n free loopback TCP ports, distinct (all bound at once, then released)
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
read -r api_port c2s_port dist_port dead_port <<<"$(free_ports 4)"

cat > "$ej/ejabberd.yml" <<EOF
loglevel: info
hosts:
  - localhost
listen:
  -
    port: $api_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
  -
    port: $c2s_port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
auth_method: internal
auth_password_format: plain
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
shaper_rules:
  max_user_offline_messages: 100
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
  "loopback http api":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.1/8
    what:
      - register
      - send_message
      - get_offline_count
modules:
  mod_admin_extra: {}
  mod_http_api: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_roster: {}
  mod_disco: {}
EOF
# The node: its own name, the distribution on loopback, no epmd.
cat > "$ej/ejabberdctl.cfg" <<EOF
ERLANG_NODE=cxkit$$@localhost
ERL_DIST_PORT=$dist_port
INET_DIST_INTERFACE=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$ej/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
EOF
printf '%s\n' '{lookup,["file","native"]}.' \
    '{host,{127,0,0,1}, ["localhost"]}.' > "$ej/inetrc"
if [ "$me" = root ]; then
	chmod 711 "$tmp"	# ejabberd reaches $ej, lists nothing else
	chown -R ejabberd: "$ej"
	if ! su -s /bin/sh ejabberd -c 'test -w "$0/spool"' "$ej"; then
		echo "1..1"
		echo "not ok 1 - the ejabberd user can reach $ej (set TMPDIR to a directory it can traverse)"
		exit 0
	fi
fi

api() {	# api COMMAND JSON: POST to mod_http_api, "STATUS BODY" on stdout
	curl -s -m 10 -o "$tmp/api.out" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -d "$2" \
	    "http://127.0.0.1:$api_port/api/$1"
	printf ' %s\n' "$(cat "$tmp/api.out" 2>/dev/null)"
}

"${ctl[@]}" foreground > "$tmp/ejabberd.out" 2>&1 &
wrapper=$!
up=
for _ in $(seq 300); do
	if [ "$(api get_offline_count '{"user":"nobody","host":"localhost"}')" = \
	    '200 {"value":0}' ]; then
		up=1
		break
	fi
	kill -0 "$wrapper" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$up" ]; then	# installed but broken: a failure, not a skip
	echo "1..1"
	echo "not ok 1 - ejabberd started and answered on 127.0.0.1:$api_port"
	tail -n 5 "$tmp/ejabberd.out" "$ej/log/ejabberd.log" 2>/dev/null | sed 's/^/# /'
	exit 0
fi

echo "1..10"
n=0
t() {	# t OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

# Only loopback: every socket the node listens on is bound to 127.0.0.1.
bpid=$(cat "$ej/ejabberd.pid" 2>/dev/null)
if command -v ss >/dev/null 2>&1 && [ -n "$bpid" ]; then
	socks=$(ss -Hltunp 2>/dev/null | grep "pid=$bpid," | awk '{ print $5 }' | sort)
	wide=$(grep -v '^127\.0\.0\.1:' <<<"$socks")
	t "$([ -n "$socks" ] && [ -z "$wide" ] && echo 0)" \
	    "ejabberd (pid $bpid) listens on loopback only: $(tr "\n" " " <<<"$socks")"
else
	echo "ok $((n += 1)) # SKIP ss or the pid file missing"
fi

got=$(api register '{"user":"alice","host":"localhost","password":"alice-s3cret"}')
t "$(grep -q '^200 .*successfully registered' <<<"$got" && echo 0)" \
    "register alice@localhost through mod_http_api (got '$got')"

export CXKIT_CONFIG=$tmp/config.ini CXKIT_STATE=$tmp/state.db
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_TEMPLATES CXKIT_NOW
cat > "$CXKIT_CONFIG" <<EOF
[provider xm]
type = xmpp
base_url = http://127.0.0.1:$api_port/api
from = admin@localhost
message_type = chat

[provider xm-dead]
type = xmpp
base_url = http://127.0.0.1:$dead_port/api
from = admin@localhost
EOF
chmod 600 "$CXKIT_CONFIG"

en='Queue overflow: reply 1 to continue on WeChat. <ok> & "thanks"'
zh='您好，您的维修单W20251001已由王工程师处理完毕。回复 1 满意 / 2 不满意 👍'
jq -cn --arg en "$en" --arg zh "$zh" \
    '{id:"x-en",to:"alice@localhost",text:$en},
     {id:"x-zh",to:"alice@localhost",title:"维修单",text:$zh}' > "$tmp/in.ndjson"
im-send --via xm --timeout 10 < "$tmp/in.ndjson" > "$tmp/out.ndjson" 2> "$tmp/err"
rc=$?
got=$(jq -r '.im.status' "$tmp/out.ndjson" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
t "$([ $rc = 0 ] && [ "$got" = " 2 sent;" ] && echo 0)" \
    "im-send --via xm: 2 records, im.status sent, exit 0 (got '$got', exit $rc)"
[ $rc = 0 ] && [ "$got" = " 2 sent;" ] ||
    { jq -c '{id, im}' "$tmp/out.ndjson"; sed 's/^/# /' "$tmp/err"; } | sed 's/^/# /'

got=$(api get_offline_count '{"user":"alice","host":"localhost"}')
t "$([ "$got" = '200 {"value":2}' ] && echo 0)" \
    "the server holds 2 messages for alice: get_offline_count (got '$got')"

# A small XMPP client: log in as alice on the plain loopback c2s listener,
# send the initial presence, and print each message delivered (ejabberd
# hands over the offline messages then) as a JSON line.
"$PY" - 127.0.0.1 "$c2s_port" alice@localhost alice-s3cret > "$tmp/recv.ndjson" \
    2> "$tmp/recv.err" <<'EOF'
import base64, json, select, socket, sys, time
import xml.etree.ElementTree as ET

host, port, jid, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
user, domain = jid.split("@")
S = "{http://etherx.jabber.org/streams}"
SASL = "{urn:ietf:params:xml:ns:xmpp-sasl}"
C = "{jabber:client}"
sock = socket.create_connection((host, port), timeout=10)
deadline = time.monotonic() + 20
depth = 0

def stream():
    """Opens a stream; a new parser for it."""
    global depth
    depth = 0
    sock.sendall(("<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
                  "xmlns='jabber:client' xmlns:stream="
                  "'http://etherx.jabber.org/streams'>" % domain).encode())
    return ET.XMLPullParser(events=("start", "end"))

def stanzas(p, idle=None):
    """Yields each child of the stream as it ends; with idle, stops after
    that many seconds without data."""
    global depth
    while True:
        for ev, el in p.read_events():
            depth += 1 if ev == "start" else -1
            if ev == "end" and depth == 1:
                yield el
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit("xmpp: timed out")
        if not select.select([sock], [], [], min(left, idle or left))[0]:
            return
        data = sock.recv(65536)
        if not data:
            sys.exit("xmpp: the server closed the stream")
        p.feed(data)

def want(p, tag):
    for el in stanzas(p):
        if el.tag == tag:
            return el
        if el.tag.startswith(SASL) or el.tag == S + "error" or \
                el.get("type") == "error":
            sys.exit("xmpp: " + ET.tostring(el, encoding="unicode"))

p = stream()
mechs = [m.text for m in want(p, S + "features").iter(SASL + "mechanism")]
if "PLAIN" not in mechs:
    sys.exit("xmpp: no SASL PLAIN offered: %s" % mechs)
cred = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
sock.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
              "mechanism='PLAIN'>%s</auth>" % cred).encode())
want(p, SASL + "success")
p = stream()
want(p, S + "features")
sock.sendall(b"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:"
             b"ns:xmpp-bind'><resource>cxkit-test</resource></bind></iq>")
want(p, C + "iq")
sock.sendall(b"<presence/>")
for el in stanzas(p, idle=1.5):
    if el.tag == C + "message":
        print(json.dumps({"from": el.get("from"), "type": el.get("type"),
                          "subject": el.findtext(C + "subject"),
                          "body": el.findtext(C + "body")},
                         ensure_ascii=False), flush=True)
sock.sendall(b"</stream:stream>")
sock.close()
EOF
rc=$?
nrecv=$(grep -c . "$tmp/recv.ndjson")
t "$([ $rc = 0 ] && [ "$nrecv" = 2 ] && echo 0)" \
    "an XMPP client logged in as alice receives 2 messages (got $nrecv, exit $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/recv.err"

# (in either order: im-send sends the two at once)
got=$(jq -r 'select(.body != null) | .body' "$tmp/recv.ndjson" | sort)
want=$(printf '%s\n%s\n' "$en" "$zh" | sort)
t "$([ "$got" = "$want" ] && echo 0)" \
    "the bodies are the texts sent, byte for byte (English with <&\", Chinese with emoji)"
[ "$got" = "$want" ] && [ "$nrecv" = 2 ] || sed 's/^/# received: /' "$tmp/recv.ndjson"

got=$(jq -r '"\(.from) \(.type) \(.subject // "")"' "$tmp/recv.ndjson" | sort | tr '\n' ';')
want="admin@localhost chat ;admin@localhost chat 维修单;"
t "$([ "$got" = "$want" ] && echo 0)" \
    "from admin@localhost, type chat, the record's title as the subject (got '$got')"

# A user that does not exist: send_message still answers 200 0, so
# im-send says sent; the server stores nothing for it.
printf '%s\n' '{"id":"x-ghost","to":"ghost@localhost","text":"anyone there?"}' |
    im-send --via xm --timeout 10 > "$tmp/out-ghost.ndjson" 2> "$tmp/err-ghost"
rc=$?
st=$(jq -r '.im.status' "$tmp/out-ghost.ndjson" 2>/dev/null)
got=$(api get_offline_count '{"user":"ghost","host":"localhost"}')
t "$([ "$st" = sent ] && [ $rc = 0 ] && [ "$got" = '200 {"value":0}' ] && echo 0)" \
    "ghost@localhost (no such user): im.status sent (got '$st', exit $rc) though the server holds nothing (got '$got'): why this test reads back"

# A bad JID: ejabberd refuses it with 400, the record fails.
printf '%s\n' '{"id":"x-badjid","to":"alice@@localhost","text":"hello"}' |
    im-send --via xm --retries 0 --timeout 10 > "$tmp/out-bad.ndjson" 2> "$tmp/err-bad"
rc=$?
got=$(jq -c '[.im.status, .im.error.code, .im.error.message]' "$tmp/out-bad.ndjson" 2>/dev/null)
t "$([ $rc = 1 ] && grep -q '^\["failed","provider_rejected","xmpp: HTTP 400 ' <<<"$got" && echo 0)" \
    "a bad JID: failed, provider_rejected, ejabberd's 400 (got $got, exit $rc)"

# Nothing listens on the port: the record fails with error code network.
printf '%s\n' '{"id":"x-dead","to":"alice@localhost","text":"hello"}' |
    im-send --via xm-dead --retries 0 --timeout 5 > "$tmp/out-dead.ndjson" 2> "$tmp/err-dead"
rc=$?
got=$(jq -c '[.im.status, .im.error.code]' "$tmp/out-dead.ndjson" 2>/dev/null)
t "$([ $rc = 1 ] && [ "$got" = '["failed","network"]' ] && echo 0)" \
    "a dead port: im.status failed, error code network, exit 1 (got $got, exit $rc)"
exit 0
