#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel reports (WARN, lockdep, KASAN, BUG, Oops, ...) in a test log.

Usage: logcheck.py LOG [ALLOWLIST]

Each report is tied to the test that was running: the KTAP/TAP result line
that follows it names the case, the last "# Subtest:" line above the case's
level names the suite. A report is expected only when ALLOWLIST has a line
"SUITE.CASE FUNCTION" (fnmatch patterns) matching its test and the function
named in the report. Prints one line per report and exits 1 if any report
is unexpected.
"""

import fnmatch
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
REPORT = re.compile(
    r'(WARNING:|BUG:|Oops|Kernel panic|general protection fault|'
    r'kernel BUG at|UBSAN:|INFO: task .* blocked|DEBUG_LOCKS_WARN_ON|'
    r'Out of memory: Killed|invoked oom-killer|RCU stall|watchdog: BUG)')
# "WARNING: CPU: 1 PID: 42 at drivers/gpu/drm/drm_rect.c:200 fn+0x1/0x2 [mod]"
WARN_AT = re.compile(r'WARNING: CPU: \d+ PID: \d+ at (\S+) (\S+?)\+0x')
RIP = re.compile(r'RIP: \d+:(\S+?)\+0x')
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
RESULT = re.compile(r'^(\s*)(?:not )?ok \d+ ([^#]+)')


def strip(line):
    return TIMESTAMP.sub('', line.rstrip('\n'))


def find_reports(lines):
    """Yield (index, kind, function) for every report in the log."""
    for i, raw in enumerate(lines):
        line = strip(raw)
        m = REPORT.search(line)
        if not m:
            continue
        func = '?'
        w = WARN_AT.search(line)
        if w:
            func = w.group(2)
        else:
            for nxt in lines[i + 1:i + 40]:
                r = RIP.search(nxt)
                if r:
                    func = r.group(1)
                    break
        yield i, line.strip(), func


def context(lines, index):
    """The test running at line index, as SUITE.CASE[.PARAM].

    The first result line after the report names the test; the nearest
    "# Subtest:" headers above it, one per nesting level, name what
    contains it (a case's result line shares its suite header's indent).
    """
    name = '-'
    level = 0
    for raw in lines[index:]:
        m = RESULT.match(strip(raw))
        if m:
            name = m.group(2).strip()
            level = len(m.group(1))
            break
    parents = []
    for raw in reversed(lines[:index]):
        m = SUBTEST.match(strip(raw))
        if m and len(m.group(1)) <= level:
            parents.insert(0, m.group(2))
            level = len(m.group(1)) - 1
            if level < 0:
                break
    return '.'.join(parents + [name]).replace(' ', '_')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], errors='replace') as f:
        lines = f.readlines()
    allow = []
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            for line in f:
                line = line.split('#', 1)[0].split()
                if len(line) == 2:
                    allow.append(line)
    unexpected = 0
    for index, text, func in find_reports(lines):
        where = context(lines, index)
        ok = any(fnmatch.fnmatch(where, t) and fnmatch.fnmatch(func, fn)
                 for t, fn in allow)
        unexpected += not ok
        print('%s: %s [%s in %s]' % ('expected' if ok else 'UNEXPECTED',
                                      text, func, where))
    sys.exit(1 if unexpected else 0)


if __name__ == '__main__':
    main()
