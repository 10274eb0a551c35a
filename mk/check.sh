#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: the whole test suite, set-up included. Runs every stage even
# when one fails, then prints "N passed, N failed, N skipped" and exits
# non-zero on any failure.
#   patches       the series applies with git am and reproduces the overlay
#   compile-test  every shmem user and msm, x86_64 and arm64
#   lint          checkpatch, kernel-doc, sparse, W=1 on the diff
#   kunit         the DRM KUnit suites under lockdep (each case a test)
#   kunit-kasan   the GEM suites (drm_gem*) again on a KASAN kernel
#   guest-test    userspace tests in a QEMU guest (each case a test)
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES sparse gcc-aarch64-linux-gnu

export GEM_RESULTS
GEM_RESULTS=$(mktemp)
start=$SECONDS
stage() {
	local name=$1 t=$SECONDS
	shift
	msg "stage $name"
	if ! "$@"; then
		grep -q "^$name " "$GEM_RESULTS" || report "$name" 0 1 0 > /dev/null
	fi
	msg "stage $name took $((SECONDS - t)) s"
}
patches_stage() {
	if VERIFY=1 PATCH_DIR=$OUT/check-patches bash "$REPO/mk/patches.sh"; then
		report patches 1 0 0
	else
		report patches 0 1 0
		return 1
	fi
}
stage patches patches_stage
stage compile-test bash "$REPO/mk/compile-test.sh"
stage lint bash "$REPO/mk/lint.sh"
stage kunit bash "$REPO/mk/kunit.sh"
stage kunit-kasan env KUNIT_NAME=kunit-kasan KUNIT_CONFIGS=mk/configs/kasan.config \
	KUNIT_GLOB='drm_gem*' bash "$REPO/mk/kunit.sh"
stage guest-test bash "$REPO/mk/guest.sh"

echo
echo "stage          passed failed skipped"
awk '{ printf "%-14s %6d %6d %7d\n", $1, $2, $3, $4 }' "$GEM_RESULTS"
read -r p f s < <(awk '{ p += $2; f += $3; s += $4 } END { print p + 0, f + 0, s + 0 }' "$GEM_RESULTS")
rm -f "$GEM_RESULTS"
echo "make check took $((SECONDS - start)) s"
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
