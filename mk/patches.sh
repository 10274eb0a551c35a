#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make patches: write the overlay's change against the base as a git
# format-patch series (one patch per area, in the order of mk/series) with a
# cover letter, into PATCH_DIR (default: $BUILD_ROOT/patches).
# make patches VERIFY=1 also applies the series with git am to a fresh copy
# of the base and checks that the result is exactly base + overlay.
# It builds no kernel, so it does not wait for the build lock.
. "$(dirname "$0")/lib.sh"
need_packages $HOST_PACKAGES
ensure_base
verify_manifest

PATCH_DIR=${PATCH_DIR:-$BUILD_ROOT/patches}
BASE_GIT=$BUILD_ROOT/base/$BASE_VERSION/git
WORK=$BUILD_ROOT/patches-work
SERIES=$REPO/mk/series
ident=$(cd "$REPO" && git var GIT_AUTHOR_IDENT | sed -E 's/ [0-9]+ [-+][0-9]{4}$//')
export GIT_AUTHOR_NAME=${ident% <*} GIT_AUTHOR_EMAIL=${ident##*<}
GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL%>}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
git_base() { git -C "$BASE_GIT" "$@"; }

# The base as a git repository, made once per base version.
if [ ! -f "$BASE_GIT/.done" ]; then
	msg "making a git repository of the base in $BASE_GIT (once)"
	rm -rf "$BASE_GIT"
	git init -q "$BASE_GIT"
	rsync -a --exclude=/.unpacked "$BASE_DIR/" "$BASE_GIT/"
	git_base add -A -f .
	git_base commit -q -m "Linux $BASE_VERSION (Debian $BASE_PKG)"
	git_base tag base
	touch "$BASE_GIT/.done"
fi

# Parse mk/series: "%% subject", "paths: glob...", body lines, per patch;
# the first entry, "%% cover: subject", holds the cover letter text.
declare -a subjects=() bodies=() globs=() snaps=()
cover_subject='' cover_body=''
cur=-1
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	'#'*) continue ;;
	'%% cover: '*) cur=cover; cover_subject=${line#%% cover: } ;;
	'%% '*) subjects+=("${line#%% }"); bodies+=(''); globs+=(''); snaps+=('')
		cur=$((${#subjects[@]} - 1)) ;;
	'paths: '*) globs[$cur]="${globs[$cur]} ${line#paths: }" ;;
	'paths@'*': '*)
		rev=${line#paths@}; rev=${rev%%: *}
		git -C "$REPO" rev-parse -q --verify "$rev^{commit}" > /dev/null ||
			die "mk/series: unknown revision $rev"
		for g in ${line#*: }; do snaps[$cur]+=" $rev:$g"; done ;;
	*)
		if [ "$cur" = cover ]; then
			cover_body+="$line"$'\n'
		elif [ "$cur" -ge 0 ]; then
			bodies[$cur]+="$line"$'\n'
		fi ;;
	esac
done < "$SERIES"

# Assign every carried file to the first area whose glob matches it.
declare -A area_of=()
unassigned=()
set -f	# the globs are patterns for [[ ]], not for the file system
while read -r f; do
	cmp -s "$BASE_DIR/$f" "$REPO/$f" && continue
	for i in "${!subjects[@]}"; do
		for g in ${globs[$i]}; do
			# shellcheck disable=SC2053
			if [[ $f == $g ]]; then area_of[$f]=$i; break 2; fi
		done
	done
	[ -n "${area_of[$f]:-}" ] || unassigned+=("$f")
done < <(overlay_files)
set +f
if [ ${#unassigned[@]} -gt 0 ]; then
	printf 'error: no patch in mk/series covers:\n' >&2
	printf '  %s\n' "${unassigned[@]}" >&2
	exit 1
fi

# sparse_clone DIR: a clone of the base with only the carried files checked
# out (a full checkout of the tree takes minutes on a busy machine).
sparse_clone() {
	rm -rf "$1"
	git clone -q --shared --no-checkout "$BASE_GIT" "$1"
	overlay_files | sed 's|^|/|' | git -C "$1" sparse-checkout set --no-cone --stdin
	git -C "$1" checkout -q
}

sparse_clone "$WORK"
n=0
for i in "${!subjects[@]}"; do
	files=()
	for f in "${!area_of[@]}"; do
		[ "${area_of[$f]}" = "$i" ] && files+=("$f")
	done
	# Files as they were at an earlier revision of the repository, for
	# patches that come before the one with their final version.
	snapped=0
	set -f
	for s in ${snaps[$i]}; do
		rev=${s%%:*} g=${s#*:}
		set +f
		while read -r f; do
			# shellcheck disable=SC2053
			[[ $f == $g ]] || continue
			mkdir -p "$WORK/$(dirname "$f")"
			git -C "$REPO" show "$rev:$f" > "$WORK/$f"
			git -C "$WORK" add -f "$f"
			snapped=1
		done < <(git -C "$REPO" ls-tree -r --name-only "$rev" -- drivers include Documentation tools)
		set -f
	done
	set +f
	[ ${#files[@]} -gt 0 ] || [ $snapped -eq 1 ] || continue
	for f in "${files[@]}"; do
		mkdir -p "$WORK/$(dirname "$f")"
		cp "$REPO/$f" "$WORK/$f"
		git -C "$WORK" add -f "$f"
	done
	git -C "$WORK" diff --cached --quiet &&
		die "mk/series: \"${subjects[$i]}\" changes nothing"
	printf '%s\n\n%sSigned-off-by: %s <%s>\n' "${subjects[$i]}" "${bodies[$i]}" \
		"$GIT_AUTHOR_NAME" "$GIT_AUTHOR_EMAIL" | git -C "$WORK" commit -q -F -
	n=$((n + 1))
done
[ $n -gt 0 ] || die "the overlay does not change the base"

rm -rf "$PATCH_DIR"
mkdir -p "$PATCH_DIR"
git -C "$WORK" format-patch -q --cover-letter --no-signature -o "$PATCH_DIR" base
cover=$(ls "$PATCH_DIR"/0000-*.patch)
python3 - "$cover" "$cover_subject" "$cover_body" <<'EOF'
import sys
path, subject, body = sys.argv[1:4]
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject)
text = text.replace('*** BLURB HERE ***', body.rstrip('\n'))
open(path, 'w').write(text)
EOF
msg "$n patches and a cover letter in $PATCH_DIR"
ls "$PATCH_DIR" | sed "s|^|  |"

if [ -n "${VERIFY:-}" ]; then
	check=$BUILD_ROOT/patches-check
	sparse_clone "$check"
	if ! git -C "$check" am -q $(ls "$PATCH_DIR"/0*.patch | grep -v /0000-cover-letter) \
		> "$check.log" 2>&1; then
		tail -n 20 "$check.log" >&2
		die "git am failed on a fresh copy of the base"
	fi
	[ "$(git -C "$check" rev-list --count base..HEAD)" = "$n" ] ||
		die "git am did not apply all $n patches"
	bad=0
	while read -r f; do
		cmp -s "$REPO/$f" "$check/$f" || { echo "differs after git am: $f" >&2; bad=1; }
	done < <(overlay_files)
	[ $bad -eq 0 ] || die "the series does not reproduce the overlay"
	msg "git am applied the series cleanly; the result equals base + overlay"
fi
