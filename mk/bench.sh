#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the opt-in KUnit benchmarks (KUNIT_CASE_SLOW) on an x86_64
# KUnit kernel without lockdep or KASAN (mk/configs/bench.kunitconfig, its
# own build directory), with kunit.py run under QEMU, then the guest
# benchmark drm_reclaim_latency (mk/guest.sh GUEST_VARIANT=latency, on the
# test kernel). They print numbers; only a crash or a failed sanity check
# fails.
#
# KUNIT_GLOB: suites to run (default: *benchmark*). BENCH_GUEST=0: no guest
# benchmark. BENCH_LATENCY_ARGS: options of drm_reclaim_latency, with commas
# for spaces (e.g. "-t,30").
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES

build=$OUT/bench
log=$OUT/bench.log
mkdir -p "$OUT"
lay_overlay

cd "$SRC"
msg "building and running the benchmark kernel ($build)"
python3 tools/testing/kunit/kunit.py run --arch=x86_64 --build_dir="$build" \
	--jobs="$JOBS" --kunitconfig="$REPO/mk/configs/bench.kunitconfig" \
	--make_options "CC=ccache gcc" --make_options "HOSTCC=ccache gcc" \
	--qemu_args "-smp 2" --timeout 1200 --filter "speed<=slow" \
	--raw_output=all "${KUNIT_GLOB:-*benchmark*}" > "$log" 2> "$log.err" || {
	cat "$log.err" >&2
	tail -n 50 "$log" >&2
	die "the benchmark kernel did not build or boot; log: $log"
}
grep -E '^\s*# |^\s*(not )?ok ' "$log" | grep -vE '^\s*# (Subtest|module):' || true
python3 tools/testing/kunit/kunit.py parse "$log" | grep 'Testing complete' ||
	die "the benchmarks failed; log: $log"

[ "${BENCH_GUEST:-1}" = 0 ] && exit 0
msg "the guest benchmark drm_reclaim_latency"
GUEST_VARIANT=latency GUEST_FILTER=${BENCH_LATENCY_ARGS:-} \
	bash "$REPO/mk/guest.sh" || die "drm_reclaim_latency failed; log: $OUT/guest-latency.log"
grep -E '^# (idle|anon|bo|bo-kswapd|p99|p50|MemTotal|probe)' "$OUT/guest-latency.log" || true
