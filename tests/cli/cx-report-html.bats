#!/usr/bin/env bats
# cx-report -f html in a real browser: Debian's chromium, headless, loads
# the page (from a file, with no network), and its DOM holds the five
# charts as SVG with their bars, lines and points.  A screenshot is kept
# under build/artefacts/ (not in git).  Skipped only when chromium cannot
# start here.

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

browser() {
	timeout 90 chromium --headless=new --no-sandbox --disable-gpu \
	    --user-data-dir="$T/chromium" --no-first-run --hide-scrollbars \
	    --enable-logging=stderr --v=0 "$@"
}

@test "the HTML report renders its charts in headless Chromium" {
	command -v chromium >/dev/null || skip "chromium is not installed (scripts/deps check)"
	browser --dump-dom about:blank > "$T/probe" 2>/dev/null ||
	    skip "chromium cannot start here"
	python3 "$TOP/bench/cx-report-gen.py" 20000 5 |
	    cx-report -f html --by channel --tz Asia/Shanghai > "$T/report.html"
	# Console messages and uncaught errors reach --enable-logging's stderr
	# as ":CONSOLE" lines: first a page with both shows that they do.
	printf '%s' '<!doctype html><title>bad</title><script>console.error("boom");' \
	    'throw new Error("bad")</script>' > "$T/bad.html"
	browser --dump-dom "file://$T/bad.html" > /dev/null 2> "$T/bad.console"
	grep -q ':CONSOLE.*"boom"' "$T/bad.console"
	grep -q ':CONSOLE.*Uncaught Error: bad' "$T/bad.console"
	browser --dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/console"
	# loaded without errors: no console message, page error or failed load
	if grep -E ':CONSOLE|Uncaught|net::ERR' "$T/console"; then
		echo "the report's page logged errors" >&2
		false
	fi
	expect_eq "$(grep -o '<svg ' "$T/dom.html" | wc -l)" 5
	for id in volume_by_hour wait_by_hour delivery_by_channel csat_distribution abandon_by_day; do
		grep -q "<figure class=\"chart\" id=\"$id\">" "$T/dom.html"
	done
	# 24 hour bars + bars by channel and CSAT score; lines with points
	[ "$(grep -o '<rect class="bar"' "$T/dom.html" | wc -l)" -ge 40 ]
	[ "$(grep -o '<polyline class="line"' "$T/dom.html" | wc -l)" -eq 2 ]
	[ "$(grep -o '<circle class="dot"' "$T/dom.html" | wc -l)" -ge 48 ]
	grep -q '<h2 id="hotline">Hotline</h2>' "$T/dom.html"
	mkdir -p "$TOP/build/artefacts"
	browser --window-size=1200,1600 \
	    --screenshot="$TOP/build/artefacts/cx-report.png" \
	    "file://$T/report.html" 2>/dev/null
	[ -s "$TOP/build/artefacts/cx-report.png" ]
}
