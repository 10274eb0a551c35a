#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make tree: lay the overlay onto the base and print where the tree is.
. "$(dirname "$0")/lib.sh"
with_build_lock "$0" "$@"
lay_overlay
echo "$SRC"
