#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the main job. Not there yet: say what it will do, and fail.
cat <<'TXT'
make demo will boot the patched kernel in QEMU with virtio-gpu and zram
swap, run a GPU buffer workload larger than the guest's RAM, and report how
much buffer memory was allocated against guest RAM, how much was evicted,
purged and swapped back in, whether every byte was verified, and the same
workload on the unpatched base kernel, which cannot reclaim buffer memory.

It needs the shrinker and the virtio-gpu glue, which are not in this tree
yet. Until then, 'make guest-test' boots the guest and runs the buffer
tests that exist.
TXT
exit 2
