#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: the whole test suite, set-up included. Runs every stage even
# when one fails, prints a table of results and times per stage, then
# "N passed, N failed" as the last line, and exits non-zero on any failure.
#   harness       recorded logs through the result and log checks
#   patches       the series applies with git am and reproduces the overlay
#   compile-test  x86_64: the test kernel, which has every shmem user and
#                 msm as modules; arm64: drivers/gpu/drm/ cross-compiled
#   kunit         the DRM KUnit suites on the test kernel: lockdep, KASAN
#                 and the other debug options together (each case a test)
#   guest-test    userspace tests in a QEMU guest on the same kernel
#   guest-bounce  the virtio-gpu tests again, behind bounce buffers (swiotlb)
#   lint          checkpatch, kernel-doc, sparse, W=1 on the diff
# A skipped test counts as failed unless mk/required-results allows it.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES sparse gcc-aarch64-linux-gnu

export GEM_RESULTS
GEM_RESULTS=$(mktemp)
times=$(mktemp)
start=$SECONDS
stage() {
	local name=$1 t=$SECONDS
	shift
	msg "stage $name"
	if ! "$@"; then
		grep -q "^$name " "$GEM_RESULTS" || report "$name" 0 1 0 > /dev/null
	fi
	echo "$name $((SECONDS - t))" >> "$times"
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
stage harness bash "$REPO/mk/selftest.sh"
stage patches patches_stage
stage compile-test bash "$REPO/mk/compile-test.sh"
stage kunit bash "$REPO/mk/kunit.sh"
stage guest-test bash "$REPO/mk/guest.sh"
stage guest-bounce env GUEST_VARIANT=bounce bash "$REPO/mk/guest.sh"
stage lint bash "$REPO/mk/lint.sh"

echo
echo "stage          passed failed skipped  seconds"
awk 'NR == FNR { t[$1] = $2; next }
     { printf "%-14s %6d %6d %7d %8d\n", $1, $2, $3, $4, t[$1] }' \
	"$times" "$GEM_RESULTS"
read -r p f s < <(awk '{ p += $2; f += $3; s += $4 } END { print p + 0, f + 0, s + 0 }' "$GEM_RESULTS")
rm -f "$GEM_RESULTS" "$times"
echo "make check took $((SECONDS - start)) s ($s skipped, each allowed by mk/required-results)"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
