#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Record in base.manifest the base version of every carried file that
# replaces an upstream file. Entries already listed are kept as they are,
# unless named in UPDATE (after their upstream changes were ported). It
# builds nothing, so it does not wait for the build lock.
. "$(dirname "$0")/lib.sh"
ensure_base

declare -A keep=()
update=" ${UPDATE:-} "
tmp=$(mktemp)
if [ -f "$MANIFEST" ]; then
	while read -r sum f; do
		case "$sum" in ''|'#'*) continue ;; esac
		[ -f "$REPO/$f" ] || { msg "dropping $f (no longer carried)"; continue; }
		[[ "$update" == *" $f "* ]] && continue
		keep[$f]=$sum
	done < "$MANIFEST"
fi
{
	echo "# sha256 of the base ($BASE_PKG $BASE_VERSION) version of each carried"
	echo "# upstream file. Maintained by 'make manifest'; checked by every build."
	overlay_files | while read -r f; do
		[ -f "$BASE_DIR/$f" ] || continue
		if [ -n "${keep[$f]:-}" ]; then
			echo "${keep[$f]} $f"
		else
			msg "recording $f"
			echo "$(sha256sum "$BASE_DIR/$f" | cut -d' ' -f1) $f"
		fi
	done
} > "$tmp"
mv "$tmp" "$MANIFEST"
verify_manifest
