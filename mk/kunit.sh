#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kunit: build an x86_64 KUnit kernel from the overlaid tree and run the
# DRM KUnit suites under QEMU, with lockdep. A test fails the run, and so
# does any kernel report (WARN, lockdep, KASAN, BUG) that no test provokes
# on purpose (mk/kunit-expected-warnings).
#
# KUNIT_FILTER: kunit.py attribute filter (default: everything but the
#               opt-in benchmarks, which are KUNIT_CASE_SLOW).
# KUNIT_CONFIGS: extra Kconfig fragments (e.g. mk/configs/kasan.config).
# KUNIT_NAME:   name of the build directory and of the result line.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES

name=${KUNIT_NAME:-kunit}
filter=${KUNIT_FILTER-speed>slow}
build=$OUT/$name
log=$OUT/$name.log
mkdir -p "$OUT"
lay_overlay

args=(--arch=x86_64 --build_dir="$build" --jobs="$JOBS"
	--kunitconfig=drivers/gpu/drm/tests
	--make_options "CC=ccache gcc" --make_options "HOSTCC=ccache gcc"
	--qemu_args "-smp 2" --timeout 600)
for c in ${KUNIT_CONFIGS:-}; do
	args+=(--kunitconfig="$REPO/$c")
done
[ -n "$filter" ] && args+=(--filter "$filter")
[ -n "${KUNIT_GLOB:-}" ] && args+=("$KUNIT_GLOB")

cd "$SRC"
msg "building and running the KUnit kernel ($build)"
start=$SECONDS
python3 tools/testing/kunit/kunit.py run "${args[@]}" --raw_output=all > "$log" 2> "$log.err" || {
	cat "$log.err" >&2
	tail -n 50 "$log" >&2
	report "$name" 0 1 0
	exit 1
}
msg "kunit.py run took $((SECONDS - start)) s; log: $log"

summary=$(python3 tools/testing/kunit/kunit.py parse "$log" 2>&1) && rc=0 || rc=$?
printf '%s\n' "$summary" | grep -E '^\[..:..:..\] (=+ |.*(FAILED|CRASHED|ERROR)|Testing complete)' |
	sed -E 's/^\[..:..:..\] //' | grep -vE '^=+ \[PASSED\]' || true
line=$(printf '%s\n' "$summary" | grep 'Testing complete' | tail -n1)
num() { printf '%s\n' "$line" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
passed=$(num passed)
failed=$(num failed)
skipped=$(num skipped)
crashed=$(num crashed)
errors=$(num errors)
failed=$((failed + crashed + errors))
if [ -z "$line" ] || [ "$passed" -eq 0 ]; then
	msg "no test results in $log"
	failed=$((failed + 1))
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi

report_with_log "$name" "$passed" "$failed" "$skipped" "$log" \
	"$REPO/mk/kunit-expected-warnings"
