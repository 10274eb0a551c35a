#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of a test boot and check them against the required list.

Usage: results.py kunit LOG REQUIRED
       results.py guest LOG DMESG_OUT REQUIRED [VARIANT]

kunit: LOG is the serial console of a KUnit boot (KTAP, with kernel
messages in between). Every test without subtests counts, a parameter of a
parameterized case too. A suite or case whose plan ("1..N") announces more
results than it gave crashed or hung, and fails.

guest: LOG is the console of a guest-test boot. Its /init (mk/guest/init)
prints the output of every test program between "===== GUEST TESTS
BEGIN/END =====" and the kernel log between "===== GUEST DMESG BEGIN/END
=====", which goes to DMESG_OUT (for mk/logcheck.py). A program counts as
one more failure when it reports fewer results than its plan, or exits
non-zero without a failed result. A missing marker (the guest crashed or
timed out) is one failure each; the kernel log is then everything after the
last marker seen, so that logcheck still finds the panic.

REQUIRED (mk/required-results) lists what must have run:

    kunit SUITE MIN_CASES      a suite with at least MIN_CASES top-level cases
    guest PROGRAM MIN_RESULTS  a guest test program with at least that many
    device DRIVER              a DRM device the guest must have
    guest@VARIANT ..., device@VARIANT ...
                               the same for a guest variant (make guest-test
                               GUEST_VARIANT=VARIANT); the lines without one
                               are for the default guest
    skip TEST REASON...        TEST (a shell pattern: SUITE.CASE[.PARAM] or a
                               kselftest name) may skip, for REASON

A required suite, program or device that is missing fails, naming it, and so
does every skipped test that no "skip" line allows. Prints every result that
is not a pass and every problem, then "PASSED FAILED SKIPPED" as the last
line.
"""

import fnmatch
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')


def read_required(path, variant=''):
    req = {'kunit': {}, 'guest': {}, 'device': [], 'skip': []}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split('#', 1)[0].split()
            if not words:
                continue
            what, _, cfg = words[0].partition('@')
            if not ((what in ('kunit', 'guest') and len(words) == 3) or
                    (what == 'device' and len(words) == 2) or
                    (what == 'skip' and len(words) >= 3)) or \
               (cfg and what not in ('guest', 'device')):
                sys.exit('%s:%d: bad line: %s' % (path, n, line.rstrip()))
            if what in ('guest', 'device') and cfg != variant:
                continue
            if what in ('kunit', 'guest'):
                req[what][words[1]] = int(words[2])
            elif what == 'device':
                req['device'].append(words[1])
            else:
                req['skip'].append(words[1])
    return req


def skip_allowed(req, name):
    return any(fnmatch.fnmatch(name, p) for p in req['skip'])


class Counter:
    def __init__(self, req):
        self.req = req
        self.passed = self.failed = self.skipped = 0
        self.problems = []

    def result(self, name, ok, directive, line):
        directive = (directive or '').upper()
        if not ok and directive != 'TODO' or directive == 'XPASS':
            self.failed += 1
            print(line)
        elif directive == 'SKIP':
            self.skipped += 1
            print(line)
            if not skip_allowed(self.req, name):
                self.problems.append('%s was skipped, and mk/required-results '
                                     'does not allow it' % name)
        else:
            self.passed += 1

    def finish(self):
        for p in self.problems:
            print('error: ' + p)
        self.failed += len(self.problems)
        print('%d %d %d' % (self.passed, self.failed, self.skipped))


# KTAP, indented by nesting level: a subtest's header, plan and children
# share one indent, its own result line is one level out.
K_VERSION = re.compile(r'^(\s*)(KTAP|TAP) version \d+\s*$')
K_SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
K_PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
K_RESULT = re.compile(r'^(\s*)(not ok|ok) (\d+) ([^#]*?)\s*(?:#\s*(\S+)(.*))?$')


class Level:
    def __init__(self, indent, name=None):
        self.indent, self.name = indent, name
        self.plan = None
        self.results = 0
        self.failed = 0


def kunit(log, required):
    req = read_required(required)
    count = Counter(req)
    with open(log, errors='replace') as f:
        lines = [TIMESTAMP.sub('', raw.rstrip('\r\n')) for raw in f]

    stack = []
    suites = {}		# suite -> top-level cases it reported

    def path(leaf):
        names = [lv.name for lv in stack[1:] if lv.name] + [leaf]
        return '.'.join(names).replace(' ', '_')

    def close(level, result):
        """Pop level; result is its own (ok, directive, line), or None."""
        stack.remove(level)
        name = path(level.name or '?')
        if level.plan is not None and level.results < level.plan:
            count.problems.append('%s: %d of %d results%s' % (
                name, level.results, level.plan,
                '' if result else ': the kernel crashed or hung'))
        elif result is None:
            count.problems.append('%s: no result: the kernel crashed or hung'
                                  % name)
        if len(stack) == 1:
            suites[level.name] = level.results
        if result is None:
            return
        ok, directive, line = result
        if level.results == 0:
            # Announced subtests, none ran (a suite skipped or failed as a
            # whole): the level is the test.
            count.result(name, ok, directive, line)
        elif not ok and not level.failed and \
                (directive or '').upper() not in ('SKIP', 'TODO'):
            count.problems.append('%s failed after its tests passed' % name)

    for line in lines:
        m = K_VERSION.match(line)
        if m:
            indent = len(m.group(1))
            if not stack or indent > stack[-1].indent:
                stack.append(Level(indent))
            continue
        if not stack:
            continue
        m = K_SUBTEST.match(line)
        if m:
            indent = len(m.group(1))
            while len(stack) > 1 and stack[-1].indent > indent:
                close(stack[-1], None)
            if stack[-1].indent == indent and stack[-1].name is None and \
                    len(stack) > 1:
                stack[-1].name = m.group(2)
            elif indent > stack[-1].indent:
                stack.append(Level(indent, m.group(2)))
            continue
        m = K_PLAN.match(line)
        if m:
            if stack[-1].indent == len(m.group(1)) and stack[-1].plan is None:
                stack[-1].plan = int(m.group(2))
            continue
        m = K_RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        ok, leaf, directive = m.group(2) == 'ok', m.group(4).strip(), m.group(5)
        closed = None
        while len(stack) > 1 and stack[-1].indent > indent:
            level = stack[-1]
            if closed is None and level.name == leaf.replace(' ', '_') or \
                    closed is None and level.name == leaf:
                closed = level
                close(level, (ok, directive, line.strip()))
            else:
                close(level, None)
        top = stack[-1]
        top.results += 1
        if not ok and (directive or '').upper() not in ('SKIP', 'TODO'):
            for lv in stack:
                lv.failed += 1
        if closed is None:
            count.result(path(leaf), ok, directive, line.strip())
    while len(stack) > 1:
        close(stack[-1], None)
    if not stack:
        count.problems.append('no KTAP output in %s: the kernel did not get '
                              'to the tests' % log)
    elif stack[0].plan is not None and stack[0].results < stack[0].plan:
        count.problems.append('%d of %d suites gave a result: the kernel '
                              'crashed or hung' % (stack[0].results,
                                                   stack[0].plan))

    for suite, minimum in sorted(req['kunit'].items()):
        if suite not in suites:
            count.problems.append('required suite %s did not run' % suite)
        elif suites[suite] < minimum:
            count.problems.append('suite %s ran %d cases, at least %d are '
                                  'required' % (suite, suites[suite], minimum))
    count.finish()


TESTS_BEGIN = '===== GUEST TESTS BEGIN ====='
TESTS_END = '===== GUEST TESTS END ====='
DMESG_BEGIN = '===== GUEST DMESG BEGIN ====='
DMESG_END = '===== GUEST DMESG END ====='
RUNNING = re.compile(r'^# guest: running (\S+)')
EXITED = re.compile(r'^# guest: (\S+) exited with (\d+)')
DEVICE = re.compile(r'^guest: drm device (\S+) (\S+)')
LOCKDEP = re.compile(r'^guest: lockdep debug_locks: (\d+)')
KMEMLEAK_SCANNED = re.compile(r'^guest: kmemleak: scanned after (\S+)')
PLAN = re.compile(r'^1\.\.(\d+)')
# Top-level TAP results only: kselftest nests nothing here, and indented
# lines are somebody else's.
RESULT = re.compile(r'^(not ok|ok) (\d+) ?([^#]*?)\s*(?:#\s*(\S+)(.*))?$')


def guest(log, dmesg_out, required, variant=''):
    req = read_required(required, variant)
    count = Counter(req)
    with open(log, errors='replace') as f:
        lines = [line.rstrip('\r\n').replace('\r', '') for line in f]

    def find(marker, start=0):
        for i in range(start, len(lines)):
            if lines[i] == marker:
                return i
        return None

    tb = find(TESTS_BEGIN)
    te = find(TESTS_END, tb + 1) if tb is not None else None
    if tb is None:
        count.problems.append('no "%s" in the log: the guest did not get to '
                              'the tests' % TESTS_BEGIN)
    elif te is None:
        count.problems.append('no "%s" in the log: the guest crashed or '
                              'timed out in the tests' % TESTS_END)

    devices = set()
    for line in lines[:tb if tb is not None else len(lines)]:
        m = DEVICE.match(line)
        if m:
            devices.add(m.group(2))
    for dev in req['device']:
        if tb is not None and dev not in devices:
            count.problems.append('required DRM device %s is missing from the '
                                  'guest (has: %s)' % (
                                      dev, ' '.join(sorted(devices)) or
                                      'none'))

    ran = {}
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
            ran[m.group(1)] = results
            if plan and results < plan:
                count.problems.append('%s: %d of %d results, exit code %d'
                                      % (m.group(1), results, plan, code))
            elif code and not prog_failed:
                count.problems.append('%s: exit code %d without a failed '
                                      'test' % (m.group(1), code))
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
        failed = count.failed
        count.result(m.group(3).strip(), m.group(1) == 'ok', m.group(4), line)
        prog_failed += count.failed - failed
    if prog is not None and te is not None:
        count.problems.append('%s: no exit status' % prog)
    for name, minimum in sorted(req['guest'].items()):
        if tb is None or te is None:
            break
        if name not in ran:
            count.problems.append('required test program %s did not run'
                                  % name)
        elif ran[name] < minimum:
            count.problems.append('%s gave %d results, at least %d are '
                                  'required' % (name, ran[name], minimum))

    if te is not None:
        locks = [m.group(1) for m in map(LOCKDEP.match, lines[te:]) if m]
        if locks != ['1']:
            count.problems.append('lockdep was not on at the end of the tests '
                                  '(debug_locks: %s)' % (locks or ['?'])[0])

    db = find(DMESG_BEGIN, te if te is not None else 0)
    de = find(DMESG_END, db + 1) if db is not None else None
    if te is not None and (db is None or de is None):
        count.problems.append('no complete kernel log section: the guest '
                              'crashed or timed out after the tests')
    if db is not None and de is not None:
        dmesg = lines[db + 1:de]
        if not any('Linux version' in line for line in dmesg[:5]):
            count.problems.append('the kernel log section does not start at '
                                  'boot: the log buffer wrapped')
        if any('Kernel memory leak detector disabled' in line
               for line in dmesg):
            scanned = [m.group(1) for m in map(KMEMLEAK_SCANNED.match,
                                                lines) if m]
            what = 'kmemleak switched itself off (scans after: %s)' % (
                ' '.join(scanned) or 'none')
            if skip_allowed(req, 'kmemleak'):
                count.skipped += 1
                print('skipped: ' + what)
            else:
                count.problems.append(what + ', and mk/required-results '
                                      'does not allow it')
    else:
        last = max(i for i in (tb, te, db, -1) if i is not None)
        dmesg = lines[last + 1:]
    with open(dmesg_out, 'w') as f:
        f.write(''.join(line + '\n' for line in dmesg))
    count.finish()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == 'kunit':
        kunit(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == 'guest':
        guest(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
