#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: static gates on the overlay's diff against the base.
#   checkpatch --strict  on each patch of the series (make patches)
#   kernel-doc -none -Wall on every changed .c and .h
#   sparse (C=2) and W=1 on every changed .c built by the test kernel
#   (the x86_64 compile-test configuration)
# A finding fails only if it is new: kernel-doc, sparse and W=1 findings are
# compared, without line numbers, with those of the base version of the file.
# checkpatch types that the project does not apply are in mk/checkpatch-ignore.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
need_packages $HOST_PACKAGES sparse
lay_overlay

LINT=$OUT/lint
rm -rf "$LINT/findings"
mkdir -p "$LINT/findings"
passed=0 failed=0
gate() {	# gate NAME FINDINGS-FILE
	if [ -s "$2" ]; then
		failed=$((failed + 1))
		msg "$1: new findings:"
		sed 's/^/    /' "$2" >&2
	else
		passed=$((passed + 1))
		msg "$1: clean"
	fi
}

mapfile -t files < <(overlay_files)
changed=()
for f in "${files[@]}"; do
	cmp -s "$BASE_DIR/$f" "$REPO/$f" || changed+=("$f")
done

# checkpatch on the patch series, as a maintainer would run it.
PATCH_DIR=$LINT/patches bash "$REPO/mk/patches.sh" > "$LINT/patches.log" 2>&1 || {
	cat "$LINT/patches.log" >&2
	die "make patches failed"
}
ignore=$(grep -v '^#' "$REPO/mk/checkpatch-ignore" | awk '{print $1}' | paste -sd, -)
: > "$LINT/findings/checkpatch"
for p in "$LINT"/patches/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	(cd "$SRC" && scripts/checkpatch.pl --strict --quiet --color=never --show-types \
		${ignore:+--ignore "$ignore"} "$p") > "$LINT/cp.out" 2>&1 && continue
	echo "$(basename "$p"):" >> "$LINT/findings/checkpatch"
	cat "$LINT/cp.out" >> "$LINT/findings/checkpatch"
done
gate checkpatch "$LINT/findings/checkpatch"

# new_findings BASE-OUTPUT OVERLAY-OUTPUT: overlay findings the base lacks,
# compared without paths and line numbers.
normalize() {
	sed -E -e "s|$SRC/||g; s|$BASE_DIR/||g; s|$REPO/||g" \
		-e 's/^([^:]+):[0-9]+(:[0-9]+)?:/\1:/' "$1" | sort
}
new_findings() {
	comm -13 <(normalize "$1") <(normalize "$2")
}

# kernel-doc on changed C sources and headers.
: > "$LINT/findings/kernel-doc"
for f in "${changed[@]}"; do
	case "$f" in *.c|*.h) ;; *) continue ;; esac
	: > "$LINT/kd.base"
	[ -f "$BASE_DIR/$f" ] &&
		(cd "$BASE_DIR" && scripts/kernel-doc -none -Wall "$f" > "$LINT/kd.base" 2>&1 || true)
	(cd "$SRC" && scripts/kernel-doc -none -Wall "$f" > "$LINT/kd.new" 2>&1 || true)
	new_findings "$LINT/kd.base" "$LINT/kd.new" >> "$LINT/findings/kernel-doc"
done
gate kernel-doc "$LINT/findings/kernel-doc"

# sparse and W=1 on the changed .c files that the test kernel builds (the
# compile-test configuration), against the same objects built from the
# base. The objects are rebuilt in the test kernel's build directory and
# put back afterwards, with their times, so the next build has nothing to
# redo; the base tree is only prepared when a file has findings to compare.
cdir=$TEST_KERNEL
bdir=$OUT/lint-base
test_kernel > "$LINT/build.log" 2>&1 || {
	tail -n 30 "$LINT/build.log" >&2
	die "the test kernel does not build; see make compile-test"
}
base_ready=
base_prepare() {
	[ -n "$base_ready" ] && return 0
	if [ ! -f "$bdir/.config" ] || ! cmp -s "$cdir/.config" "$bdir/.config"; then
		mkdir -p "$bdir"
		cp "$cdir/.config" "$bdir/.config"
		KSRC=$BASE_DIR kmake "$bdir" olddefconfig > "$LINT/base-config.log" 2>&1
	fi
	KSRC=$BASE_DIR kmake "$bdir" modules_prepare > "$LINT/base-prepare.log" 2>&1
	base_ready=1
}
: > "$LINT/findings/sparse-w1"
skipped=()
for f in "${changed[@]}"; do
	case "$f" in *.c) ;; *) continue ;; esac
	o=${f%.c}.o
	cmd=$(dirname "$o")/.$(basename "$o").cmd
	if [ ! -f "$cdir/$cmd" ]; then
		skipped+=("$f")
		continue
	fi
	mkdir -p "$LINT/keep"
	cp -p "$cdir/$o" "$LINT/keep/o" && cp -p "$cdir/$cmd" "$LINT/keep/cmd"
	rm -f "$cdir/$o"
	built=0
	kmake "$cdir" C=2 W=1 "$o" > "$LINT/new.log" 2>&1 || built=1
	mv "$LINT/keep/o" "$cdir/$o" && mv "$LINT/keep/cmd" "$cdir/$cmd"
	if [ $built -ne 0 ]; then
		echo "$f: does not build with C=2 W=1" >> "$LINT/findings/sparse-w1"
		grep -E 'error' "$LINT/new.log" >> "$LINT/findings/sparse-w1" || true
		continue
	fi
	grep -E 'warning:|error:' "$LINT/new.log" > "$LINT/sw.new" || true
	[ -s "$LINT/sw.new" ] || continue
	: > "$LINT/sw.base"
	if [ -f "$BASE_DIR/$f" ]; then
		base_prepare
		rm -f "$bdir/$o"
		KSRC=$BASE_DIR kmake "$bdir" C=2 W=1 "$o" > "$LINT/base.log" 2>&1 || true
		grep -E 'warning:|error:' "$LINT/base.log" > "$LINT/sw.base" || true
	fi
	new_findings "$LINT/sw.base" "$LINT/sw.new" >> "$LINT/findings/sparse-w1"
done
[ ${#skipped[@]} -eq 0 ] || msg "not built by the x86_64 configuration: ${skipped[*]}"
gate "sparse+W=1" "$LINT/findings/sparse-w1"

report lint $passed $failed 0
[ $failed -eq 0 ]
