#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the main job. Builds the patched guest kernel (allnoconfig plus
# mk/configs/guest.config, without the test kernel's debug options, in
# out/demo-patched), the unpatched base kernel with that configuration (from the pristine base
# tree, in out/demo-base), the workload mk/demo/gem_demo.c and an initramfs
# (mk/demo/init), then boots one QEMU guest (TCG, virtio-gpu, zram swap) per
# run:
#
#   patched-bo-max    patched kernel: virtio-gpu dumb buffers until the OOM
#                     killer (or a failed allocation) stops the fill
#   patched-anon-max  the same with anonymous memory
#   base-bo           base kernel: buffers until they fail, then read back
#   patched-bo        patched kernel: buffers up to the working-set target,
#                     plus a few marked DONTNEED, then every byte read back
#   patched-anon      the same with anonymous memory
#
# and prints a report (mk/demo/report.py): how much buffer memory survived,
# against guest RAM, anonymous memory and the base kernel, how much the GEM
# shrinker evicted, purged and swapped back in, whether every byte came back,
# the throughputs and their ratios, the kernel reports of each guest, and a
# plot of memory over time (out/demo/demo.png). Exits 0 when the patched-bo
# run read back every byte right.
#
# GUEST_MEM, GUEST_SMP, GUEST_ZRAM as for make guest-test (mk/guest-lib.sh).
# DEMO_HOSTMEM   virtio-gpu max_hostmem (default GUEST_HOSTMEM, else 2G)
# DEMO_TARGET    working set of patched-bo and patched-anon in MiB (default
#                1.25x GUEST_MEM, or 95% of the smaller *-max result if less)
# DEMO_ARGS      more gem-demo options, commas for spaces (e.g. "-d,8")
# DEMO_RUNS      the runs, in this order (default: all five above)
# DEMO_TIMEOUT   seconds before a guest is killed (default 600)
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-lib.sh"
with_build_lock "$0" "$@"
# shellcheck disable=SC2086 # a list of packages
need_packages $GUEST_PACKAGES gnuplot-nox

guest_hostmem=${DEMO_HOSTMEM:-${GUEST_HOSTMEM:-2G}}
build=$OUT/demo-patched
base_build=$OUT/demo-base
demo=$OUT/demo
log=$demo/build.log
runs=${DEMO_RUNS:-patched-bo-max patched-anon-max patched-bo patched-anon base-bo}
timeout=${DEMO_TIMEOUT:-600}

# The guest's RAM in MiB, from a QEMU size (256M, 1G, or plain MiB).
mem_mib() {
	case "$1" in
	*[Gg]) echo $((${1%[Gg]} * 1024)) ;;
	*[Mm]) echo "${1%[Mm]}" ;;
	*) echo "$1" ;;
	esac
}
ram_mib=$(mem_mib "$guest_mem")
target=${DEMO_TARGET:-$((ram_mib * 5 / 4))}

# step LABEL CMD...: run a build step with its output in $log.
step() {
	local label=$1 t=$SECONDS
	shift
	msg "$label"
	echo "==> $label" >> "$log"
	"$@" >> "$log" 2>&1 || {
		tail -n 40 "$log" >&2
		die "$label failed; log: $log"
	}
	echo "    $((SECONDS - t)) s" >> "$log"
}

# base_fragment: the guest configuration without the options the base's
# Kconfig does not know (the project's own, e.g. DRM_GEM_SHRINKER_EVICT).
base_fragment() {
	local known line sym
	known=$(find "$BASE_DIR" -name 'Kconfig*' -type f -exec \
		grep -ohE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' {} + |
		awk '{ print $2 }' | sort -u)
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*)
			sym=${line%%=*}
			sym=${sym#CONFIG_}
			if ! grep -qx "$sym" <<< "$known"; then
				echo "# $line: not in the base" >&2
				continue
			fi ;;
		esac
		printf '%s\n' "$line"
	done < "$GUEST_CONFIG"
}

# The base kernel, built from the pristine base tree (KSRC) with the same
# configuration, in its own build directory.
base_configure() {
	KSRC=$BASE_DIR guest_configure "$base_build" "$demo/base.config"
}
base_kernel() {
	KSRC=$BASE_DIR kmake "$base_build" bzImage
}

rm -rf "$demo"
mkdir -p "$demo"
: > "$log"
start=$SECONDS

lay_overlay
step "configuring the patched guest kernel ($build)" guest_configure "$build"
step "building the patched guest kernel" guest_build_kernel "$build"
cp "$build/arch/x86/boot/bzImage" "$demo/bzImage-patched"
kernel_time=$((SECONDS - start))

case "$runs" in
*base*)
	base_fragment 2>> "$log" > "$demo/base.config"
	step "configuring the base guest kernel ($base_build)" base_configure
	step "building the base guest kernel" base_kernel
	cp "$base_build/arch/x86/boot/bzImage" "$demo/bzImage-base"
	;;
esac
base_time=$((SECONDS - start - kernel_time))

step "building the workload" gcc -static -O2 -Wall \
	-isystem "$build/hdr/include" -I "$SRC/tools/testing/selftests/drm" \
	-o "$demo/gem-demo" "$REPO/mk/demo/gem_demo.c"
guest_initramfs_root "$demo/initramfs" "$REPO/mk/demo/init"
cp "$demo/gem-demo" "$demo/initramfs/gem-demo"
guest_pack_initramfs "$demo/initramfs" "$demo/initramfs.cpio.gz"
build_time=$((SECONDS - start))

# run NAME ARGS: boot the kernel of run NAME (KERNEL-WORKLOAD[-max]) with
# gem-demo options ARGS (commas for spaces), console log in $demo/NAME.log.
run() {
	local name=$1 args=$2 kernel=${1%%-*} workload rc=0 t=$SECONDS
	workload=${name#*-}
	workload=${workload%-max}
	msg "booting the $kernel kernel: $name (log: $demo/$name.log)"
	guest_run "$demo/bzImage-$kernel" "$demo/initramfs.cpio.gz" \
		"demo.runs=$workload demo.zram=$guest_zram demo.args=$args${DEMO_ARGS:+,$DEMO_ARGS}" \
		"$demo/$name.log" "$timeout" || rc=$?
	[ $rc -eq 124 ] && msg "the guest did not finish within $timeout s"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && msg "qemu exited with $rc"
	echo "$name $((SECONDS - t))" >> "$demo/times"
}

# The *-max runs fill until the OOM killer stops them (no read-back, no
# DONTNEED extras); base-bo fills until its buffers fail (ENOMEM), then reads
# back what it got. patched-bo and patched-anon fill the working-set target,
# then read back. The target is below what the guest holds at most (2:1 data
# in 256 MiB RAM and zram: about 1.35x RAM), or the read-back, which needs
# room to swap buffers back in, would end in the OOM killer: 1.25x the
# guest's RAM, less if that is more than 95% of what a *-max run reached.
unlimited=$((ram_mib * 3))
for name in $runs; do
	case "$name" in
	*-max) run "$name" "-n,-d,0,-t,$unlimited" ;;
	base-*) run "$name" "-t,$unlimited" ;;
	esac
done
if [ -z "${DEMO_TARGET:-}" ]; then
	for name in $runs; do
		case "$name" in
		*-max)
			reach=$(python3 "$REPO/mk/demo/report.py" --reach "$demo/$name.log")
			if [ "$reach" -gt 0 ] && [ $((reach * 95 / 100)) -lt "$target" ]; then
				target=$((reach * 95 / 100 / 4 * 4))
			fi
			;;
		esac
	done
fi
for name in $runs; do
	case "$name" in
	*-max|base-*) ;;
	*) run "$name" "-t,$target" ;;
	esac
done
run_time=$((SECONDS - start - build_time))

# shellcheck disable=SC2086 # a list of runs
python3 "$REPO/mk/demo/report.py" --dir "$demo" --ram "$ram_mib" \
	--zram "$guest_zram" --smp "$guest_smp" --target "$target" \
	--times "build=$build_time,kernel=$kernel_time,base=$base_time,runs=$run_time,total=$SECONDS" \
	$runs
