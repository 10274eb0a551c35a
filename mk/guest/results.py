#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of a make guest-test run from the guest's console log.

Usage: results.py LOG DMESG_OUT

The guest's /init (mk/guest/init) prints the output of every test program
between "===== GUEST TESTS BEGIN/END =====" and the kernel log between
"===== GUEST DMESG BEGIN/END =====". This prints every result that is not a
pass, writes the kernel log section to DMESG_OUT (for mk/logcheck.py) and,
as its last line, "PASSED FAILED SKIPPED".

A test program counts as one more failure when it reports fewer results than
its plan ("1..N"), or exits non-zero without a failed result: it crashed or
bailed out. Missing markers (the guest crashed or timed out) count as one
failure each; the kernel log is then everything after the last marker seen,
so that logcheck still finds the panic.
"""

import re
import sys

TESTS_BEGIN = '===== GUEST TESTS BEGIN ====='
TESTS_END = '===== GUEST TESTS END ====='
DMESG_BEGIN = '===== GUEST DMESG BEGIN ====='
DMESG_END = '===== GUEST DMESG END ====='

RUNNING = re.compile(r'^# guest: running (\S+)')
EXITED = re.compile(r'^# guest: (\S+) exited with (\d+)')
PLAN = re.compile(r'^1\.\.(\d+)')
# Top-level TAP results only: kselftest nests nothing here, and indented
# lines are somebody else's.
RESULT = re.compile(r'^(not ok|ok) (\d+)( [^#]*)?(?:#\s*(\S+)(.*))?$')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], errors='replace') as f:
        lines = [line.rstrip('\r\n').replace('\r', '') for line in f]

    def find(marker, start=0):
        for i in range(start, len(lines)):
            if lines[i] == marker:
                return i
        return None

    passed = failed = skipped = 0
    problems = []

    tb = find(TESTS_BEGIN)
    te = find(TESTS_END, tb + 1) if tb is not None else None
    if tb is None:
        problems.append('no "%s" in the log: the guest did not get to the tests'
                        % TESTS_BEGIN)
    elif te is None:
        problems.append('no "%s" in the log: the guest crashed or timed out '
                        'in the tests' % TESTS_END)

    prog = None
    plan = results = prog_failed = 0
    for line in lines[tb + 1 if tb is not None else len(lines):
                      te if te is not None else len(lines)]:
        m = RUNNING.match(line)
        if m:
            prog, plan, results, prog_failed = m.group(1), 0, 0, 0
            continue
        m = EXITED.match(line)
        if m:
            code = int(m.group(2))
            if plan and results < plan:
                problems.append('%s: %d of %d results, exit code %d'
                                % (m.group(1), results, plan, code))
            elif code and not prog_failed:
                problems.append('%s: exit code %d without a failed test'
                                % (m.group(1), code))
            prog = None
            continue
        m = PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        results += 1
        directive = (m.group(4) or '').upper()
        if m.group(1) == 'not ok' and directive != 'TODO':
            failed += 1
            prog_failed += 1
            print(line)
        elif directive == 'SKIP':
            skipped += 1
            print(line)
        elif directive == 'XPASS':
            failed += 1
            prog_failed += 1
            print(line)
        else:
            passed += 1
    if prog is not None and te is not None:
        problems.append('%s: no exit status' % prog)

    db = find(DMESG_BEGIN, te if te is not None else 0)
    de = find(DMESG_END, db + 1) if db is not None else None
    if te is not None and (db is None or de is None):
        problems.append('no complete kernel log section: the guest crashed '
                        'or timed out after the tests')
    if db is not None and de is not None:
        dmesg = lines[db + 1:de]
    else:
        last = max(i for i in (tb, te, db, -1) if i is not None)
        dmesg = lines[last + 1:]
    with open(sys.argv[2], 'w') as f:
        f.write(''.join(line + '\n' for line in dmesg))

    for p in problems:
        print('error: ' + p)
    failed += len(problems)
    print('%d %d %d' % (passed, failed, skipped))


if __name__ == '__main__':
    main()
