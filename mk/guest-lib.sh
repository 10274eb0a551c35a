# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # variables for the sourcing scripts
# The QEMU guest shared by make guest-test (mk/guest.sh) and make demo
# (mk/demo.sh): its kernel configuration, a busybox initramfs and the QEMU
# command line. Sourced after mk/lib.sh, not executed.
#
# GUEST_MEM      guest RAM (default 256M)
# GUEST_SMP      guest CPUs (default 2)
# GUEST_ZRAM     zram swap size in the guest (default 384M, 0: none)
# GUEST_HOSTMEM  virtio-gpu max_hostmem (default 1G)

GUEST_PACKAGES="$HOST_PACKAGES gzip"
GUEST_CONFIG=$REPO/mk/configs/guest.config
guest_mem=${GUEST_MEM:-256M}
guest_smp=${GUEST_SMP:-2}
guest_zram=${GUEST_ZRAM:-384M}
guest_hostmem=${GUEST_HOSTMEM:-1G}
# More properties of the virtio-gpu device (",name=value...")
guest_gpu_opts=

# guest_configure DIR [FRAGMENT]: DIR/.config for the guest kernel, from
# FRAGMENT (default mk/configs/guest.config). With KSRC set (another tree,
# e.g. the base), use that tree's kmake.
guest_configure() {
	merge_config "$1" "${2:-$GUEST_CONFIG}"
}

# guest_build_kernel DIR: the guest's bzImage and its uapi headers, installed
# into DIR/hdr for the programs that run in the guest.
guest_build_kernel() {
	# Run in a || list, where set -e is off: return on failure
	kmake "$1" bzImage || return
	kmake "$1" headers_install INSTALL_HDR_PATH="$1/hdr"
}

# guest_initramfs_root ROOT INIT: a fresh initramfs tree in ROOT with
# busybox-static and INIT as /init. The caller adds its programs.
guest_initramfs_root() {
	local root=$1 init=$2
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev"
	cp /bin/busybox "$root/bin/busybox"
	install -m 0755 "$init" "$root/init"
}

# guest_pack_initramfs ROOT IMAGE: pack ROOT into a gzipped cpio archive,
# reproducibly.
guest_pack_initramfs() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --reproducible --quiet -o -H newc -R 0:0) |
		gzip -9n > "$2"
}

# guest_run KERNEL INITRD CMDLINE LOG TIMEOUT: boot the guest in QEMU (TCG)
# with virtio-gpu, its serial console in LOG, killed after TIMEOUT seconds.
# The kernel command line gets the console and panic settings first.
# Returns QEMU's exit status (124 on timeout).
guest_run() {
	local kernel=$1 initrd=$2 cmdline=$3 log=$4 timeout=$5 rc=0
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-m "$guest_mem" -smp "$guest_smp" -nodefaults -nographic -no-reboot \
		-bios qboot.rom -serial stdio \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 printk.devkmsg=on $cmdline" \
		-device virtio-gpu-pci,max_hostmem="$guest_hostmem$guest_gpu_opts" \
		< /dev/null > "$log" 2>&1 || rc=$?
	return $rc
}
