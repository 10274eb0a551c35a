#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel reports (WARN, lockdep, KASAN, BUG, Oops, ...) in a test log.

Usage: logcheck.py LOG [ALLOWLIST]

Each report has a kind (WARNING, LOCKDEP, KASAN, OOPS, ...; see KINDS) and
is tied to the test that was running: the KTAP/TAP result line that follows
it names the case, the last "# Subtest:" line above the case's level names
the suite. A report is expected only when ALLOWLIST has a line

    TEST FUNCTION [KIND[?]]

(TEST and FUNCTION are fnmatch patterns, KIND defaults to WARNING) that
matches its test, the function named in the report and its kind. So an Oops
or a KASAN report in a test whose WARN is expected is still unexpected. The
function is the one a WARN names, else the RIP of the report, else, for an
allocation failure, the first caller of the allocator in its call trace.

Every allowlist entry is also a claim: when a test matching its TEST ran
(a result line names it) but no report matched the entry, the expected
report is missing, and that fails the run too. Only an entry whose KIND
ends in "?" may be missing: a report that depends on timing, such as an
allocation failure under memory pressure.

Prints one line per report and per missing report; exits 1 if any report
is unexpected or missing.
"""

import fnmatch
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')

# (kind, pattern), first match wins. A WARN() is "WARNING: CPU: ... at";
# lockdep's and RCU's reports are other "WARNING:" lines.
KINDS = [
    ('KASAN', re.compile(r'BUG: KASAN:')),
    ('WARNING', re.compile(r'WARNING: CPU: \d+ PID: \d+ at ')),
    ('LOCKDEP', re.compile(
        r'WARNING: (possible|inconsistent|suspicious|bad unlock|nested lock|'
        r'held lock|lock held|circular|Nested|\S+ lock)|'
        r'INFO: trying to register non-static key|'
        r'turning off the locking correctness validator|'
        r'DEBUG_LOCKS_WARN_ON|BUG: MAX_LOCK|BUG: looking up invalid subclass')),
    ('RCU_STALL', re.compile(r'rcu: INFO: .*detected stalls?|self-detected stall')),
    ('HUNG_TASK', re.compile(r'INFO: task .* blocked for more than')),
    ('LIST', re.compile(r'list_(add|del) corruption')),
    ('BAD_PAGE', re.compile(r'BUG: Bad page (state|map)')),
    ('OOM_LEAK', re.compile(r'VM_FAULT_OOM leaked out')),
    ('ALLOC_FAIL', re.compile(r'page allocation failure')),
    ('KMEMLEAK', re.compile(r'kmemleak: \d+ new suspected memory leaks?|'
                            r'^unreferenced object 0x')),
    ('OOM', re.compile(r'invoked oom-killer|Out of memory: Killed')),
    ('UBSAN', re.compile(r'UBSAN:')),
    ('PANIC', re.compile(r'Kernel panic')),
    ('OOPS', re.compile(r'BUG: |Oops|general protection fault|kernel BUG at|'
                        r'watchdog: BUG')),
    ('WARNING', re.compile(r'WARNING:')),
]
# "WARNING: CPU: 1 PID: 42 at drivers/gpu/drm/drm_rect.c:200 fn+0x1/0x2 [mod]"
WARN_AT = re.compile(r'WARNING: CPU: \d+ PID: \d+ at (\S+) (\S+?)\+0x')
RIP = re.compile(r'RIP: \d+:(\S+?)\+0x')
# A call trace frame, "[<...>] " or " ? " (unreliable) excluded.
FRAME = re.compile(r'^\s+([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
# The allocator's own frames: an allocation failure is the caller's.
ALLOCATOR = re.compile(r'^(dump_stack\w*|warn_alloc|_*alloc_pages\w*|'
                       r'_*folio_alloc\w*|alloc_slab_page|allocate_slab|'
                       r'new_slab|_*slab_alloc\w*|kmem_cache_alloc\w*|'
                       r'_*kmalloc\w*|__alloc_frozen_pages\w*)$')
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
RESULT = re.compile(r'^(\s*)(?:not )?ok \d+ ([^#]+)')
# A report ends where the next one begins, or after this many lines.
REPORT_LINES = 40


def strip(line):
    return TIMESTAMP.sub('', line.rstrip('\n'))


def kind_of(line):
    for kind, pattern in KINDS:
        if pattern.search(line):
            return kind
    return None


def find_reports(lines):
    """Yield (index, kind, text, function) for every report in the log.

    The function is the one a WARN names, else the first RIP within the
    report's own lines (up to the next report).
    """
    stripped = [strip(raw) for raw in lines]
    kinds = [kind_of(line) for line in stripped]
    # "BUG: unable to handle ..." is followed by "Oops: ..." a line or two
    # later: one report, whose RIP comes after both.
    for i, line in enumerate(stripped):
        if line.lstrip().startswith('Oops:') and any(kinds[max(0, i - 5):i]):
            kinds[i] = None
    for i, kind in enumerate(kinds):
        if not kind:
            continue
        line = stripped[i]
        func = '?'
        w = WARN_AT.search(line)
        if w:
            func = w.group(2)
        else:
            for j in range(i + 1, min(i + 1 + REPORT_LINES, len(lines))):
                if kinds[j]:
                    break
                r = RIP.search(stripped[j])
                if r:
                    func = r.group(1)
                    break
                f = FRAME.match(stripped[j])
                if kind == 'ALLOC_FAIL' and f and \
                        not ALLOCATOR.match(f.group(1).split('.')[0]):
                    # No RIP: the first caller of the allocator.
                    func = f.group(1)
                    break
        yield i, kind, line.strip(), func


def context(lines, index):
    """The test running at line index, as SUITE.CASE[.PARAM].

    The first result line after the report names the test; the nearest
    "# Subtest:" headers above it, one per nesting level, name what
    contains it (a case's result line shares its suite header's indent).
    """
    name = None
    level = 0
    for raw in lines[index:]:
        m = RESULT.match(strip(raw))
        if m:
            name = m.group(2).strip()
            level = len(m.group(1))
            break
    if name is None:
        # No result after it (the kernel died): the innermost test that
        # had begun, with "?" for the case.
        name = '?'
        level = 1 << 16
    parents = []
    for raw in reversed(lines[:index]):
        m = SUBTEST.match(strip(raw))
        if m and len(m.group(1)) <= level:
            parents.insert(0, m.group(2))
            level = len(m.group(1)) - 1
            if level < 0:
                break
    return '.'.join(parents + [name]).replace(' ', '_')


def tests_run(lines):
    """The names (as context() gives them) of every test with a result."""
    names = set()
    for i, raw in enumerate(lines):
        if RESULT.match(strip(raw)):
            names.add(context(lines, i))
    return names


def read_allowlist(path):
    allow = []
    with open(path) as f:
        for line in f:
            words = line.split('#', 1)[0].split()
            if not words:
                continue
            if len(words) not in (2, 3):
                sys.exit('%s: bad line: %s' % (path, line.rstrip()))
            test, func = words[:2]
            kind = words[2] if len(words) == 3 else 'WARNING'
            optional = kind.endswith('?')
            kind = kind.rstrip('?')
            if kind not in {k for k, _ in KINDS}:
                sys.exit('%s: unknown report kind %s' % (path, kind))
            allow.append((test, func, kind, optional))
    return allow


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], errors='replace') as f:
        lines = f.readlines()
    allow = read_allowlist(sys.argv[2]) if len(sys.argv) > 2 else []
    seen = set()
    bad = 0
    for index, kind, text, func in find_reports(lines):
        where = context(lines, index)
        match = [e for e in allow
                 if e[2] == kind and fnmatch.fnmatch(where, e[0]) and
                 fnmatch.fnmatch(func, e[1])]
        seen.update(match)
        bad += not match
        print('%s: %s %s [%s in %s]' % ('expected' if match else 'UNEXPECTED',
                                         kind, text, func, where))
    ran = tests_run(lines)
    for entry in allow:
        test, func, kind, optional = entry
        if entry in seen or optional or \
                not any(fnmatch.fnmatch(t, test) for t in ran):
            continue
        bad += 1
        print('MISSING: %s ran but gave no %s report in %s' % (test, kind, func))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
