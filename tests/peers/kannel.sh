#!/bin/bash
# kannel.sh - sms-send through a real Kannel gateway, read from the SMSC's side
#
# SPDX-License-Identifier: MIT
# Starts Debian's Kannel (bearerbox + smsbox) with its own configuration in a
# temporary directory and the fake SMSC from kannel-extras, all on loopback
# ephemeral ports; sends English, Chinese, mixed and long messages through
# `sms-send --via kn`, and checks what fakesmsc received, decoded (Kannel
# answers 202 even when it has mangled the text, so the 202 proves nothing).
# Also: a wrong password ends the record with sms.error.code auth_failed.
# Prints TAP.
set -u
. "$(dirname "$0")/kannel-lib.bash"
kannel_need sms-send
kannel_setup kannel
kannel_ports
kannel_conf
kannel_start

echo "1..10"
n=0
t() {	# t OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

export CXKIT_CONFIG=$tmp/config.ini CXKIT_STATE=$tmp/state.db
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_TEMPLATES CXKIT_NOW
write_config() {	# write_config PASSWORD
	cat > "$CXKIT_CONFIG" <<EOF
[provider kn]
type = kannel
base_url = http://127.0.0.1:$send_port
username = cxkit
password = $1
from = 10086
EOF
	chmod 600 "$CXKIT_CONFIG"
}
write_config s3cret-kannel

# One receiver a message, so that parts can be grouped by receiver.
long_zh='您好，您的维修单W20251001已由王工程师于10月8日14:00上门处理完毕，更换了主板和电源模块。如对本次服务满意请回复1，不满意请回复2，如需再次预约请回复3。感谢您的耐心等待，祝您生活愉快！'
long_en='Your repair W20251001 is done: engineer Wang replaced the main board and the power module on Oct 8 at 14:00. Reply 1 if you are satisfied, 2 if not, or 3 to book another visit. Thank you!'
"$PY" - "$long_zh" "$long_en" > "$tmp/in.ndjson" <<'EOF'
import json, sys
msgs = [
    ("k-en", "+8613800138001", "Your repair W20251001 is done (100% & free). Reply 1 to rate it, or call +86 400 800 8888?"),
    ("k-zh", "+8613800138002", "您好，您的维修单W20251001已完成"),
    ("k-mix", "+8613800138003", "Ticket W20251001: 已完成 / done. 回复 满意 or 不满意 (100% + &), STOP 退订"),
    ("k-long-zh", "+8613800138004", sys.argv[1]),
    ("k-long-en", "+8613800138005", sys.argv[2]),
]
for i, to, text in msgs:
    print(json.dumps({"id": i, "to": to, "text": text}, ensure_ascii=False))
EOF

sms-send --via kn --timeout 10 < "$tmp/in.ndjson" > "$tmp/out.ndjson" 2> "$tmp/err"
rc=$?
t "$([ $rc = 0 ] && echo 0)" "sms-send exits 0 (got $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/err"

got=$(jq -r '[.id, .sms.status, .sms.provider] | join(" ")' "$tmp/out.ndjson" 2>/dev/null | sort | tr '\n' ';')
want='k-en sent kn;k-long-en sent kn;k-long-zh sent kn;k-mix sent kn;k-zh sent kn;'
t "$([ "$got" = "$want" ] && echo 0)" "every record: sms.status sent through kn"
[ "$got" = "$want" ] || { echo "# got:  $got"; echo "# want: $want"; sed 's/^/# /' "$tmp/out.ndjson"; }

# Long texts come in several parts: wait until fakesmsc has them all
# (2 + 4 plain messages and 2 of each long one is 7 at least).
all_parts() { [ "$(grep -c 'Got message [0-9]*: <' "$tmp/fakesmsc.log")" -ge 7 ]; }
wait_for 10 all_parts
sleep 0.5	# let stragglers (an extra part would be a bug) arrive

# Reassemble what fakesmsc received and compare with what was sent: one TAP
# line a message, plus one that nothing else arrived.
"$PY" - "$tmp/fakesmsc.log" "$tmp/in.ndjson" "$n" <<'EOF'
import json, re, sys, urllib.parse

log, inp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = [json.loads(l) for l in open(inp, encoding="utf-8")]
# fakesmsc URL-encodes with "+" for a space (and %2B for a "+")
unq = lambda s: urllib.parse.unquote_to_bytes(s.replace("+", " "))

got = {}        # receiver -> [(kind, udh-bytes or None, data-bytes)]
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.search(r"Got message \d+: <(.*)>\s*$", line)
    if not m:
        continue
    f = m.group(1).split(" ", 3)
    sender, to, kind, rest = f[0], f[1], f[2], f[3] if len(f) > 3 else ""
    if kind == "udh":
        u, d = rest.split(" ", 1)
        if not d.startswith("data "):
            raise SystemExit("odd line: " + line)
        got.setdefault(to, []).append(("udh", unq(u), unq(d[5:]), sender))
    elif kind == "text":
        got.setdefault(to, []).append(("text", None, rest.encode(), sender))
    elif kind in ("ucs-2", "data"):
        got.setdefault(to, []).append((kind, None, unq(rest), sender))
    else:
        got.setdefault(to, []).append((kind, None, rest.encode(), sender))

def concat_info(udh):
    """(ref, total, seq) from a concatenation UDH, or None."""
    i, end = 1, 1 + udh[0]
    while i + 1 < end and i + 1 < len(udh):
        iei, ln = udh[i], udh[i + 1]
        v = udh[i + 2:i + 2 + ln]
        if iei == 0 and ln == 3:
            return v[0], v[1], v[2]
        if iei == 8 and ln == 4:
            return (v[0] << 8) | v[1], v[2], v[3]
        i += 2 + ln
    return None

def decode(parts, expect):
    """The text of one message from its parts, and a description."""
    kinds = sorted({p[0] for p in parts})
    senders = sorted({p[3] for p in parts})
    if kinds == ["udh"]:
        info = [concat_info(p[1]) for p in parts]
        if None in info or len({(r, t) for r, t, s in info}) != 1:
            return None, "parts without one concatenation UDH: %r" % info
        total = info[0][1]
        seqs = sorted(s for r, t, s in info)
        if seqs != list(range(1, total + 1)):
            return None, "parts %r of %d" % (seqs, total)
        data = b"".join(p[2] for i, p in sorted(zip(info, parts), key=lambda x: x[0][2]))
        # fakesmsc does not print the coding of UDH messages: UCS-2 is
        # expected for anything outside ASCII (GSM-7 would be unpacked)
        if all(ord(c) < 128 for c in expect):
            return data.decode("utf-8", "replace"), "%d parts, 7-bit, from %s" % (total, senders)
        return data.decode("utf-16-be", "replace"), "%d parts, UCS-2, from %s" % (total, senders)
    if len(parts) != 1:
        return None, "%d unconcatenated parts (%s)" % (len(parts), kinds)
    kind, _, data, _ = parts[0]
    if kind == "ucs-2":
        return data.decode("utf-16-be", "replace"), "ucs-2, from %s" % senders
    if kind == "text":
        return data.decode("utf-8", "replace"), "text, from %s" % senders
    return data.decode("latin-1"), "%s, from %s" % (kind, senders)

for r in want:
    n += 1
    parts = got.pop(r["to"], [])
    text, how = decode(parts, r["text"]) if parts else (None, "nothing arrived")
    senders = {p[3] for p in parts}
    ok = text == r["text"] and senders == {"10086"}
    print("%s %d - %s arrived at fakesmsc intact (%s)" % (
        "ok" if ok else "not ok", n, r["id"], how))
    if not ok:
        print("#   want: %s\n#   got:  %s" % (r["text"], text))
n += 1
print("%s %d - nothing else arrived at fakesmsc" % ("not ok" if got else "ok", n))
for to, parts in got.items():
    print("#   unexpected to %s: %r" % (to, parts))
EOF
n=$((n + 6))

# Chinese arrives as UCS-2 (a ?? in 7-bit would not have matched above,
# but say so explicitly): the short Chinese message is one ucs-2 line.
grep -q 'Got message [0-9]*: <10086 +8613800138002 ucs-2 ' "$tmp/fakesmsc.log"
t $? "Chinese is sent as UCS-2 (coding=2 with charset UTF-8)"

# A wrong password: Kannel's 403 "Authorization failed for sendsms".
write_config wrong-password
printf '%s\n' '{"id":"k-auth","to":"+8613800138006","text":"hello"}' |
    sms-send --via kn --timeout 10 > "$tmp/out-auth.ndjson" 2> "$tmp/err-auth"
rc=$?
got=$(jq -r '[.sms.status, .sms.error.code] | join(" ")' "$tmp/out-auth.ndjson" 2>/dev/null)
ok=1
[ "$rc" = 1 ] && [ "$got" = "failed auth_failed" ] && ok=0
t $ok "wrong password: sms.status failed, sms.error.code auth_failed, exit 1 (got '$got', exit $rc)"
[ $ok = 0 ] || sed 's/^/# /' "$tmp/out-auth.ndjson" "$tmp/err-auth"
exit 0
