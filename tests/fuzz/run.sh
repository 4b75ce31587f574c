#!/bin/sh
# run.sh - run each libFuzzer target for a while and report TAP
#
# SPDX-License-Identifier: MIT
# FUZZ_TIME seconds each (default 5: `make check`; `make fuzz` passes
# more).  Seeds come from tests/fuzz/corpus/NAME/; what the fuzzer finds
# stays in a scratch corpus under build-fuzz/, crashes are reported with
# the input that caused them.
set -u
top=${CXKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# `make check` (no FUZZ_TIME) runs a short, seeded pass, so that CI is
# repeatable; `make fuzz` explores with a new seed each run.
if [ -z "${FUZZ_TIME:-}" ]; then
	seed="-seed=${FUZZ_SEED:-1}"
else
	seed=${FUZZ_SEED:+-seed=$FUZZ_SEED}
fi
t=${FUZZ_TIME:-5}
n=0
fail=0
targets=$(find "$top/build-fuzz" -maxdepth 1 -type f -perm -u+x ! -name '*.*' 2>/dev/null | sort)
set -- $targets
if [ $# -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets built (make fuzz-build)"
	exit 0
fi
echo "1..$#"
for bin; do
	name=$(basename "$bin")
	n=$((n + 1))
	work=$top/build-fuzz/corpus/$name
	mkdir -p "$work"
	log=$top/build-fuzz/$name.log
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$t" -rss_limit_mb=2048 -timeout=10 $seed \
	    -artifact_prefix="$top/build-fuzz/$name-" \
	    "$work" "$top/tests/fuzz/corpus/$name" > "$log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1)
		echo "ok $n - $name: ${runs:-done} in ${t}s"
	else
		echo "not ok $n - $name: see $log"
		tail -20 "$log" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
