#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make clean: remove the build directories and the overlaid tree; the
# unpacked base and ccache stay, so the next build is warm.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
rm -rf "$OUT" "$SRC"
