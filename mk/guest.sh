#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make guest-test: build the test kernel (mk/lib.sh test_kernel: allnoconfig
# + mk/configs/guest.config + mk/configs/test.config, which must cover the
# selftests' config file; the KUnit stage boots the same kernel), the DRM
# selftests (tools/testing/selftests/drm, static, with
# the overlaid tree's uapi headers) and an initramfs with
# busybox, then boot it in QEMU (TCG) with a virtio-gpu device and vgem, and
# zram swap, KUnit off and kmemleak on. Every kselftest result counts; so
# does any kernel report (WARN, lockdep, KASAN, BUG, OOM kill, kmemleak, ...)
# in the guest's log that mk/guest-expected-warnings does not allow, and a
# guest that crashes or times out. The test programs and DRM devices of
# mk/required-results must be there, and only the skips it lists may skip.
#
# GUEST_MEM      guest RAM (default 256M)
# GUEST_SMP      guest CPUs (default 2)
# GUEST_ZRAM     zram swap size in the guest (default 384M, 0: none)
# GUEST_HOSTMEM  virtio-gpu max_hostmem (default 1G)
# GUEST_TIMEOUT  seconds before the guest is killed (default 900)
# GUEST_FILTER   kselftest harness options for every test program, with
#                commas for spaces (e.g. "-v,vgem" or "-t,many_alive")
# GUEST_CMDLINE  more kernel parameters (e.g. initcall_blacklist=vgem_init)
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-lib.sh"
with_build_lock "$0" "$@"
# shellcheck disable=SC2086 # a list of packages
need_packages $GUEST_PACKAGES

name=guest-test
build=$OUT/guest
kernel=$TEST_KERNEL
log=$OUT/guest.log
dmesg_log=$OUT/guest-dmesg.log
build_log=$OUT/guest-build.log
zram=$guest_zram
guest_timeout=${GUEST_TIMEOUT:-900}
selftests=tools/testing/selftests/drm

fail() {
	msg "$*"
	report "$name" 0 1 0
	exit 1
}

# step LABEL CMD...: run a build step with its output in $build_log.
step() {
	local label=$1
	shift
	echo "==> $label" >> "$build_log"
	"$@" >> "$build_log" 2>&1 || {
		tail -n 40 "$build_log" >&2
		fail "$label failed; log: $build_log"
	}
}

mkdir -p "$OUT"
lay_overlay
: > "$build_log"
start=$SECONDS

msg "building the test kernel ($kernel)"
step "test kernel" test_kernel
kernel_time=$((SECONDS - start))
# The configuration must cover what the selftests ask for in their config.
while read -r opt; do
	case "$opt" in CONFIG_*) ;; *) continue ;; esac
	grep -qx "$opt" "$kernel/.config" ||
		fail "$opt ($selftests/config) is missing from mk/configs/guest.config"
done < "$SRC/$selftests/config"

msg "building the DRM selftests"
rm -rf "$build/selftests"
mkdir -p "$build/selftests"
step "make -C $selftests" make -C "$SRC/$selftests" OUTPUT="$build/selftests" \
	KHDR_INCLUDES="-isystem $kernel/hdr/include"

msg "packing the initramfs"
root=$build/initramfs
guest_initramfs_root "$root" "$REPO/mk/guest/init"
mkdir -p "$root/tests"
find "$build/selftests" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/tests/" \;
[ -n "$(ls -A "$root/tests")" ] || fail "no test programs in $build/selftests"
guest_pack_initramfs "$root" "$build/initramfs.cpio.gz"
build_time=$((SECONDS - start))

msg "booting the guest (log: $log)"
cmdline="kunit.enable=0 kmemleak=on oops=panic guesttest.zram=$zram"
[ -n "${GUEST_FILTER:-}" ] && cmdline+=" guesttest.filter=$GUEST_FILTER"
cmdline+=" ${GUEST_CMDLINE:-}"
boot=$SECONDS
rc=0
guest_run "$kernel/arch/x86/boot/bzImage" "$build/initramfs.cpio.gz" \
	"$cmdline" "$log" "$guest_timeout" || rc=$?
run_time=$((SECONDS - boot))
msg "build $build_time s (kernel $kernel_time s), guest $run_time s"
[ $rc -eq 124 ] && msg "the guest did not finish within $guest_timeout s"
[ $rc -ne 0 ] && [ $rc -ne 124 ] && msg "qemu exited with $rc"

counts=$(python3 "$REPO/mk/results.py" guest "$log" "$dmesg_log" \
	"$REPO/mk/required-results") ||
	fail "cannot parse $log"
printf '%s\n' "$counts" | sed '$d'
read -r passed failed skipped < <(printf '%s\n' "$counts" | tail -n 1)
if [ "$zram" != 0 ] && grep -q "GUEST TESTS BEGIN" "$log" &&
   ! grep -q "^guest: swap on zram0" "$log"; then
	msg "no zram swap in the guest"
	failed=$((failed + 1))
fi

report_with_log "$name" "$passed" "$failed" "$skipped" "$dmesg_log" \
	"$REPO/mk/guest-expected-warnings"
