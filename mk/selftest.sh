#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make selftest: the harness's own tests (mk/selftests/cases). Recorded good
# and bad logs go through mk/results.py and mk/logcheck.py; each case is a
# test that passes when the scripts give the verdict it expects. Seconds,
# no kernel build.
. "$(dirname "$0")/lib.sh"
need_packages python3

out=$(python3 "$REPO/mk/selftests/run.py") || die "mk/selftests/run.py failed"
printf '%s\n' "$out" | sed '$d' | grep -v '^ok ' || true
read -r passed failed < <(printf '%s\n' "$out" | tail -n 1)
report harness "$passed" "$failed" 0
[ "$failed" -eq 0 ]
