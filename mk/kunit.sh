#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kunit: build the test kernel (mk/configs/test.config: lockdep, KASAN,
# list, object and hung-task debugging, fault injection) and boot it in QEMU,
# where the built-in DRM KUnit suites run. Every case counts as a test. The
# run fails on a failed or crashed case, on a required suite that is
# missing or short of cases, on a skip that mk/required-results does not
# allow, and on any kernel report (WARN, lockdep, KASAN, BUG, RCU stall,
# hung task, ...) that no test provokes on purpose, or on an expected one
# that did not appear (mk/kunit-expected-warnings).
#
# KUNIT_FILTER   KUnit attribute filter (default: everything but the opt-in
#                benchmarks, which are KUNIT_CASE_SLOW)
# KUNIT_GLOB     suites to run (kunit.filter_glob; the required list then
#                still applies: use it to debug, not to pass)
# KUNIT_CMDLINE  more kernel parameters (e.g. drm.gem_shrinker_evict=0)
# KUNIT_TIMEOUT  seconds before QEMU is killed (default 600)
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES

name=kunit
log=$OUT/kunit.log
filter=${KUNIT_FILTER-speed>slow}
mkdir -p "$OUT"
lay_overlay

msg "building the test kernel ($TEST_KERNEL)"
test_kernel > "$OUT/test-kernel.log" 2>&1 || {
	tail -n 40 "$OUT/test-kernel.log" >&2
	report "$name" 0 1 0
	die "the test kernel does not build; log: $OUT/test-kernel.log"
}

cmdline="console=ttyS0 panic=-1 oops=panic kunit_shutdown=reboot"
[ -n "$filter" ] && cmdline+=" kunit.filter=$filter"
[ -n "${KUNIT_GLOB:-}" ] && cmdline+=" kunit.filter_glob=$KUNIT_GLOB"
cmdline+=" ${KUNIT_CMDLINE:-}"
msg "booting the KUnit suites (log: $log)"
start=$SECONDS
rc=0
timeout -k 10 "${KUNIT_TIMEOUT:-600}" qemu-system-x86_64 -m 1G -smp 2 \
	-nodefaults -nographic -no-reboot -bios qboot.rom -serial stdio \
	-kernel "$TEST_KERNEL/arch/x86/boot/bzImage" -append "$cmdline" \
	< /dev/null > "$log" 2>&1 || rc=$?
msg "the KUnit boot took $((SECONDS - start)) s"
[ $rc -eq 124 ] && msg "QEMU did not finish within ${KUNIT_TIMEOUT:-600} s"

counts=$(python3 "$REPO/mk/results.py" kunit "$log" "$REPO/mk/required-results") ||
	die "cannot parse $log"
printf '%s\n' "$counts" | sed '$d'
read -r passed failed skipped < <(printf '%s\n' "$counts" | tail -n 1)
report_with_log "$name" "$passed" "$failed" "$skipped" "$log" \
	"$REPO/mk/kunit-expected-warnings"
