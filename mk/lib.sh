# SPDX-License-Identifier: GPL-2.0
# Common functions for the project's make targets. Sourced, not executed.
#
# Layout outside the repository (BUILD_ROOT, default ~/.cache/gem-shrinker):
#   base/<version>/linux-source-6.12   pristine base, never written after unpacking
#   src/                               base + overlay, the tree every build uses
#   out/<name>/                        O= build directories, kept between runs
#   ccache/                            compiler cache
#   lock                               serializes kernel builds (2 cores)

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ROOT=${BUILD_ROOT:-$HOME/.cache/gem-shrinker}
BASE_PKG=${BASE_PKG:-linux-source-6.12}
BASE_VERSION=${BASE_VERSION:-6.12.117-1~deb12u1}
BASE_TARBALL=/usr/src/$BASE_PKG.tar.xz
BASE_DIR=$BUILD_ROOT/base/$BASE_VERSION/$BASE_PKG
SRC=$BUILD_ROOT/src
OUT=$BUILD_ROOT/out
MANIFEST=$REPO/base.manifest
JOBS=${JOBS:-$(nproc)}
# The directories of the repository that are laid onto the kernel tree.
OVERLAY_DIRS="drivers include Documentation tools"

export CCACHE_DIR=${CCACHE_DIR:-$BUILD_ROOT/ccache}
export CCACHE_BASEDIR=$BUILD_ROOT
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=gem-shrinker KBUILD_BUILD_HOST=build

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Packages every target needs; each target may add its own.
HOST_PACKAGES="make gcc libc6-dev flex bison bc libelf-dev libssl-dev python3
	perl rsync cpio xz-utils kmod ccache git qemu-system-x86 busybox-static"

# need_packages PKG...: install with apt the packages that are missing.
need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root or install them)"
	msg "installing ${missing[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
}

# ensure_base_package: the pinned linux-source package, installed with apt.
ensure_base_package() {
	local have
	have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
	[ "$have" = "$BASE_VERSION" ] && [ -f "$BASE_TARBALL" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "$BASE_PKG=$BASE_VERSION is not installed (have '${have:-none}')"
	msg "installing $BASE_PKG=$BASE_VERSION"
	apt-get update -qq >&2
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
		--no-install-recommends "$BASE_PKG=$BASE_VERSION" >&2; then
		cat >&2 <<EOF
error: apt cannot install $BASE_PKG=$BASE_VERSION.
  The pinned base version is gone from the archive. Available versions:
$(apt-cache madison "$BASE_PKG" 2>/dev/null | sed 's/^/    /')
  Retry with BASE_VERSION=<version> make ...: the overlay is then checked
  against that base (base.manifest), and the build stops naming every file
  the project carries whose upstream version changed.
EOF
		exit 1
	fi
}

# ensure_base: the pristine base tree, unpacked once per version.
ensure_base() {
	[ -f "$BASE_DIR/.unpacked" ] && return 0
	ensure_base_package
	msg "unpacking $BASE_TARBALL into $(dirname "$BASE_DIR")"
	rm -rf "$(dirname "$BASE_DIR")"
	mkdir -p "$(dirname "$BASE_DIR")"
	tar -xf "$BASE_TARBALL" -C "$(dirname "$BASE_DIR")"
	[ -f "$BASE_DIR/Makefile" ] || die "$BASE_TARBALL did not unpack to $BASE_DIR"
	touch "$BASE_DIR/.unpacked"
}

# overlay_files: the kernel files the repository carries, relative paths.
# Untracked files count too, so that work in progress builds.
overlay_files() {
	(cd "$REPO" && git ls-files -co --exclude-standard -- $OVERLAY_DIRS |
		while read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done | sort -u)
}

# verify_manifest: every carried file that replaces an upstream file must be
# listed in base.manifest with the checksum of the base version it was
# derived from, and the base must still have exactly that version.
verify_manifest() {
	local f sum want bad=() unlisted=() stale=()
	declare -A listed=()
	if [ -f "$MANIFEST" ]; then
		while read -r want f; do
			case "$want" in ''|'#'*) continue ;; esac
			listed[$f]=$want
			if [ ! -f "$BASE_DIR/$f" ]; then
				bad+=("$f (gone from the base)")
				continue
			fi
			[ -f "$REPO/$f" ] || stale+=("$f")
			sum=$(sha256sum "$BASE_DIR/$f" | cut -d' ' -f1)
			[ "$sum" = "$want" ] || bad+=("$f")
		done < "$MANIFEST"
	fi
	while read -r f; do
		[ -f "$BASE_DIR/$f" ] && [ -z "${listed[$f]:-}" ] && unlisted+=("$f")
	done < <(overlay_files)
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'error: the base (%s) differs from what the overlay was derived from:\n' \
			"$BASE_VERSION" >&2
		printf '  %s\n' "${bad[@]}" >&2
		printf 'Port the upstream changes of these files into the overlay, then\n' >&2
		printf 'record the new base with: make manifest UPDATE="<files>"\n' >&2
		exit 1
	fi
	if [ ${#unlisted[@]} -gt 0 ]; then
		printf 'carried files replace upstream files but are not in base.manifest:\n' >&2
		printf '  %s\n' "${unlisted[@]}" >&2
		# A developer's new copy was derived from the base at hand: record
		# it. In CI the manifest must come complete with the commit.
		[ -z "${CI:-}" ] || die "record them with 'make manifest' and commit base.manifest"
		bash "$REPO/mk/manifest.sh"
	fi
	if [ ${#stale[@]} -gt 0 ]; then
		printf 'error: base.manifest lists files the overlay no longer carries:\n' >&2
		printf '  %s\n' "${stale[@]}" >&2
		exit 1
	fi
}

# lay_overlay: make $SRC the base plus the overlay. Files are only rewritten
# when their content changes, so incremental builds stay incremental.
lay_overlay() {
	ensure_base
	verify_manifest
	if [ "$(cat "$SRC/.base-version" 2>/dev/null)" != "$BASE_VERSION" ]; then
		msg "copying the base into $SRC"
		rm -rf "$SRC"
		mkdir -p "$SRC"
		rsync -a --exclude=/.unpacked "$BASE_DIR/" "$SRC/"
		echo "$BASE_VERSION" > "$SRC/.base-version"
		: > "$SRC/.overlay-files"
	fi
	local now f
	now=$(mktemp)
	overlay_files > "$now"
	# Files carried before but not any more go back to their base version.
	comm -23 "$SRC/.overlay-files" "$now" | while read -r f; do
		if [ -f "$BASE_DIR/$f" ]; then
			cp "$BASE_DIR/$f" "$SRC/$f"
		else
			rm -f "$SRC/$f"
		fi
	done
	(cd "$REPO" && rsync -rc --files-from="$now" ./ "$SRC/")
	mv "$now" "$SRC/.overlay-files"
}

# with_build_lock "$0" "$@": re-run the calling script holding the build
# lock, so that builds started by different targets or developers on this
# machine never run at the same time (2 cores). Nested scripts inherit it.
with_build_lock() {
	[ -n "${GEM_BUILD_LOCKED:-}" ] && return 0
	mkdir -p "$BUILD_ROOT"
	export GEM_BUILD_LOCKED=1
	exec flock "$BUILD_ROOT/lock" bash "$@"
}

# report_with_log NAME PASSED FAILED SKIPPED LOG ALLOWLIST: count the kernel
# log as one more test (clean, or every report in ALLOWLIST), then report.
# Returns non-zero on any failure.
report_with_log() {
	local name=$1 passed=$2 failed=$3 skipped=$4 log=$5 allow=$6
	if python3 "$REPO/mk/logcheck.py" "$log" "$allow"; then
		passed=$((passed + 1))
	else
		msg "unexpected kernel reports in $log"
		failed=$((failed + 1))
	fi
	report "$name" "$passed" "$failed" "$skipped"
	[ "$failed" -eq 0 ]
}

# report NAME PASSED FAILED SKIPPED: print a target's result line and, under
# make check, record it for the summary.
report() {
	printf '%s: %d passed, %d failed, %d skipped\n' "$1" "$2" "$3" "$4"
	if [ -n "${GEM_RESULTS:-}" ]; then
		printf '%s %d %d %d\n' "$1" "$2" "$3" "$4" >> "$GEM_RESULTS"
	fi
}

# kmake DIR ARGS...: make in the overlaid tree (or KSRC) with build
# directory DIR (ARCH and CROSS_COMPILE from the environment).
kmake() {
	local dir=$1
	shift
	mkdir -p "$dir"
	make -C "${KSRC:-$SRC}" O="$dir" -j"$JOBS" ${ARCH:+ARCH=$ARCH} \
		${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} \
		CC="ccache ${CROSS_COMPILE:-}gcc" HOSTCC="ccache gcc" "$@"
}

# The x86_64 test kernel of make check (mk/configs/test.config): KUnit,
# guest and x86_64 compile-test in one build.
TEST_KERNEL=$OUT/test-kernel
TEST_CONFIGS="$REPO/mk/configs/guest.config $REPO/mk/configs/test.config"

# test_kernel: configure and build the test kernel, its modules and the uapi
# headers (TEST_KERNEL/hdr) for the guest's programs. A build of the same
# overlay and configuration is not started again (TEST_KERNEL/.built holds
# its hash): the stages of make check share one build.
test_kernel() {
	local hash
	# shellcheck disable=SC2086 # a list of files
	hash=$({ echo "$BASE_VERSION"; cat $TEST_CONFIGS; overlay_files |
		(cd "$REPO" && xargs sha256sum); } | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$TEST_KERNEL/.built" 2>/dev/null)" = "$hash" ] &&
	   [ -f "$TEST_KERNEL/arch/x86/boot/bzImage" ]; then
		return 0
	fi
	rm -f "$TEST_KERNEL/.built"
	# shellcheck disable=SC2086 # a list of files
	merge_config "$TEST_KERNEL" $TEST_CONFIGS
	# Explicit returns: callers run it in a || list, where set -e is off,
	# and a failed build must neither go on nor be recorded as built.
	kmake "$TEST_KERNEL" bzImage modules || return
	kmake "$TEST_KERNEL" headers_install INSTALL_HDR_PATH="$TEST_KERNEL/hdr" ||
		return
	echo "$hash" > "$TEST_KERNEL/.built"
}

# merge_config DIR FRAGMENT...: DIR/.config = allnoconfig + fragments, with a
# check that every requested option survived Kconfig. Rewriting an unchanged
# .config does not make kbuild rebuild anything.
merge_config() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cat "$@" > "$dir/.fragment"
	KCONFIG_ALLCONFIG=$dir/.fragment kmake "$dir" allnoconfig >/dev/null
	local line missing=0
	while read -r line; do
		case "$line" in
		CONFIG_*=n)
			! grep -q "^${line%=n}=" "$dir/.config" || { echo "  $line" >&2; missing=1; } ;;
		CONFIG_*)
			grep -qx "$line" "$dir/.config" || { echo "  $line" >&2; missing=1; } ;;
		esac
	done < "$dir/.fragment"
	[ $missing -eq 0 ] || die "the options above did not survive Kconfig in $dir"
}
