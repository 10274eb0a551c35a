#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make compile-test: build every in-tree drm_gem_shmem user and msm as
# modules (x86_64, COMPILE_TEST, CONFIG_DRM_WERROR), and the Arm GPU drivers
# and msm for arm64 with the cross compiler, vmlinux included so that
# modpost checks every symbol the modules use. One test per architecture.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES gcc-aarch64-linux-gnu
lay_overlay

passed=0 failed=0
build() {
	local arch=$1 dir=$OUT/compile-$1 log=$OUT/compile-$1.log start=$SECONDS
	msg "compile-test $arch ($dir)"
	if merge_config "$dir" "$REPO/mk/configs/compile-$arch.config" > "$log" 2>&1 &&
		kmake "$dir" vmlinux modules >> "$log" 2>&1; then
		passed=$((passed + 1))
		msg "compile-test $arch: ok ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		grep -E 'error|Error|ERROR|warning:' "$log" | head -n 40 >&2 || tail -n 40 "$log" >&2
		msg "compile-test $arch: FAILED, log: $log"
	fi
}
ARCH=x86_64 CROSS_COMPILE= build x86_64
ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- build arm64
report compile-test $passed $failed 0
[ $failed -eq 0 ]
