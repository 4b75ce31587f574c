# lib.bash - helpers for cxkit's CLI tests (bats)
#
# SPDX-License-Identifier: MIT
# Each test gets its own temporary directory with its own config, state and
# templates; nothing reads the user's files.  Binaries come from bin/ on
# PATH (scripts/check puts it there).

TOP=${CXKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PATH=$TOP/bin:$PATH

setup_tmp() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/cxkit.XXXXXX")
	export XDG_CONFIG_HOME=$T/config XDG_STATE_HOME=$T/state
	export CXKIT_STATE=$T/state.db CXKIT_CONFIG=$T/config.ini
	export CXKIT_TEMPLATES=$T/templates
	unset CXKIT_NOW
	mkdir -p "$T/templates" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
	: > "$CXKIT_CONFIG"
	chmod 600 "$CXKIT_CONFIG"
}

teardown_tmp() {
	mock_stop
	[ -n "${T:-}" ] && rm -rf "$T"
}

# config 'INI text': writes the config file (mode 600).
config() {
	printf '%s\n' "$1" > "$CXKIT_CONFIG"
	chmod 600 "$CXKIT_CONFIG"
}

# tmpl NAME.LANG 'text': writes a template file.
tmpl() {
	printf '%s\n' "$2" > "$T/templates/$1.txt"
}

# run_in 'stdin' cmd args...: runs cmd with stdin, stdout in $output,
# stderr in $stderr_out (bats' run merges them; we keep them apart).
run_in() {
	local input=$1
	shift
	set +e
	output=$(printf '%s' "$input" | "$@" 2>"$T/stderr")
	status=$?
	set -e
	stderr_out=$(cat "$T/stderr")
}

# jqo FILTER: applies jq -c to $output.
jqo() {
	printf '%s\n' "$output" | jq -c "$@"
}

# not_in PATTERN FILE: fails when grep finds PATTERN in FILE.  (A bare
# `! grep …` asserts nothing in the middle of a bats test: bash's set -e
# ignores a negated command.)
not_in() {
	if grep -q -- "$1" "$2"; then
		printf 'found %s in %s:\n' "$1" "$2" >&2
		grep -- "$1" "$2" >&2
		return 1
	fi
}

# expect_eq GOT WANT: fails with both shown.
expect_eq() {
	if [ "$1" != "$2" ]; then
		printf 'got:  %s\nwant: %s\n' "$1" "$2" >&2
		return 1
	fi
}

# mock_start: starts the provider mock on an ephemeral port of 127.0.0.1;
# sets MOCK_PORT, MOCK_URL, MOCK_REC (the record file).
mock_start() {
	MOCK_REC=$T/mock.ndjson
	: > "$MOCK_REC"
	# shellcheck disable=SC2086
	"$TOP/tests/mock/provider-mock" --port 0 --record "$MOCK_REC" ${MOCK_ARGS:-} \
	    --port-file "$T/mock.port" --pid-file "$T/mock.pid" \
	    >/dev/null 2>"$T/mock.err" &
	local i
	for i in $(seq 1 100); do
		[ -s "$T/mock.port" ] && break
		sleep 0.05
	done
	MOCK_PORT=$(cat "$T/mock.port")
	MOCK_URL=http://127.0.0.1:$MOCK_PORT
	[ -n "$MOCK_PORT" ]
}

mock_stop() {
	if [ -n "${T:-}" ] && [ -s "$T/mock.pid" ]; then
		kill "$(cat "$T/mock.pid")" 2>/dev/null || true
		rm -f "$T/mock.pid"
	fi
}

# mock_count FILTER: how many recorded requests match the jq filter.
mock_count() {
	jq -c "select($1)" "$MOCK_REC" | wc -l | tr -d ' '
}
