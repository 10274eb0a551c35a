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
# GUEST_VARIANT  another guest set-up, with its own lines in
#                mk/required-results (guest@VARIANT, device@VARIANT):
#                bounce   virtio-gpu behind bounce buffers (swiotlb=force,
#                         iommu_platform=on), as confidential guests have
#                         it, max_hostmem 128M and virtio_gpu's
#                         attach_at_create; only the virtgpu tests of
#                         drm_reclaim run
#                latency  the benchmark drm_reclaim_latency alone (make
#                         bench), without kmemleak
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-lib.sh"
with_build_lock "$0" "$@"
# shellcheck disable=SC2086 # a list of packages
need_packages $GUEST_PACKAGES

variant=${GUEST_VARIANT:-}
# Benchmarks, which only their variant runs
benchmarks="drm_reclaim_latency"
programs=
filter=${GUEST_FILTER:-}
kmemleak=on
extra_cmdline=
case "$variant" in
"") name=guest-test ;;
latency)
	name=guest-latency
	programs=drm_reclaim_latency
	kmemleak=off
	;;
bounce)
	name=guest-bounce
	programs=drm_reclaim
	filter=${GUEST_FILTER:--f,virtgpu}
	# and the host-compatibility mode of virtio_gpu (virtgpu.attach_mode)
	extra_cmdline="swiotlb=force virtio_gpu.attach_at_create=1"
	guest_gpu_opts=",iommu_platform=on"
	# virtgpu.purge_hostmem purges four times this
	guest_hostmem=${GUEST_HOSTMEM:-128M}
	;;
*) die "unknown GUEST_VARIANT $variant" ;;
esac
build=$OUT/guest${variant:+-$variant}
kernel=$TEST_KERNEL
log=$build.log
dmesg_log=$build-dmesg.log
build_log=$build-build.log
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
if [ -n "$programs" ]; then
	for p in $programs; do
		cp "$build/selftests/$p" "$root/tests/"
	done
else
	find "$build/selftests" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/tests/" \;
	for p in $benchmarks; do
		rm -f "$root/tests/$p"
	done
fi
[ -n "$(ls -A "$root/tests")" ] || fail "no test programs in $build/selftests"
# vgem is a module, so that the tests can unload and load it again.
mkdir -p "$root/lib/modules"
strip --strip-debug -o "$root/lib/modules/vgem.ko" \
	"$kernel/drivers/gpu/drm/vgem/vgem.ko" ||
	fail "no vgem.ko in $kernel (CONFIG_DRM_VGEM=m)"
guest_pack_initramfs "$root" "$build/initramfs.cpio.gz"
build_time=$((SECONDS - start))

msg "booting the guest (log: $log)"
cmdline="kunit.enable=0 kmemleak=$kmemleak oops=panic guesttest.zram=$zram"
[ -n "$filter" ] && cmdline+=" guesttest.filter=$filter"
cmdline+=" $extra_cmdline ${GUEST_CMDLINE:-}"
boot=$SECONDS
rc=0
guest_run "$kernel/arch/x86/boot/bzImage" "$build/initramfs.cpio.gz" \
	"$cmdline" "$log" "$guest_timeout" || rc=$?
run_time=$((SECONDS - boot))
msg "build $build_time s (kernel $kernel_time s), guest $run_time s"
[ $rc -eq 124 ] && msg "the guest did not finish within $guest_timeout s"
[ $rc -ne 0 ] && [ $rc -ne 124 ] && msg "qemu exited with $rc"

counts=$(python3 "$REPO/mk/results.py" guest "$log" "$dmesg_log" \
	"$REPO/mk/required-results" "$variant") ||
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
