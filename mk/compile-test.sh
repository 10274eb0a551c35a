#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make compile-test: one test per architecture.
#   x86_64  the test kernel (mk/configs/test.config), which builds every
#           in-tree drm_gem_shmem user and msm as modules with COMPILE_TEST
#           and CONFIG_DRM_WERROR; modpost checks every symbol they use
#           against the vmlinux the other stages boot. The kunit and
#           guest-test stages reuse this build.
#   arm64   the Arm GPU drivers on the shmem helper and msm, with the cross
#           compiler: drivers/gpu/drm/ only (modules_prepare, then the
#           directory), since their symbols are checked on x86_64 already.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES gcc-aarch64-linux-gnu
lay_overlay

passed=0 failed=0
result() {	# result ARCH LOG START: count the build that just ended
	if [ "$4" -eq 0 ]; then
		passed=$((passed + 1))
		msg "compile-test $1: ok ($((SECONDS - $3)) s)"
	else
		failed=$((failed + 1))
		grep -E 'error|Error|ERROR|warning:' "$2" | head -n 40 >&2 || tail -n 40 "$2" >&2
		msg "compile-test $1: FAILED, log: $2"
	fi
}

start=$SECONDS rc=0
msg "compile-test x86_64 ($TEST_KERNEL)"
test_kernel > "$OUT/test-kernel.log" 2>&1 || rc=$?
result x86_64 "$OUT/test-kernel.log" $start $rc

arm64() {
	local dir=$OUT/compile-arm64
	merge_config "$dir" "$REPO/mk/configs/compile-arm64.config" &&
		kmake "$dir" modules_prepare && kmake "$dir" drivers/gpu/drm/
}
start=$SECONDS rc=0
msg "compile-test arm64 ($OUT/compile-arm64)"
ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- arm64 > "$OUT/compile-arm64.log" 2>&1 || rc=$?
result arm64 "$OUT/compile-arm64.log" $start $rc

report compile-test $passed $failed 0
[ $failed -eq 0 ]
