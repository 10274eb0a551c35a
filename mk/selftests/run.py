#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the harness self-tests listed in mk/selftests/cases.

Usage: run.py

Each case runs the real mk/results.py or mk/logcheck.py on a recorded log
and compares the verdict (and a message the output must contain) with the
one the case expects. Prints every case and "PASSED FAILED" last.
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MK = os.path.dirname(HERE)
RESULTS = os.path.join(MK, 'results.py')
LOGCHECK = os.path.join(MK, 'logcheck.py')
REQUIRED = os.path.join(HERE, 'required')
ALLOWLIST = os.path.join(HERE, 'allowlist')


def run(*argv):
    p = subprocess.run([sys.executable] + list(argv), capture_output=True,
                       text=True)
    return p.returncode, p.stdout + p.stderr


def counted(rc, out):
    """results.py: failed when it exits non-zero or counts a failure."""
    last = out.strip().splitlines()[-1:] or ['']
    words = last[0].split()
    if rc or len(words) != 3 or not all(w.isdigit() for w in words):
        return 'fail'
    return 'fail' if int(words[1]) else 'pass'


def check(kind, log):
    if kind == 'kunit':
        rc, out = run(RESULTS, 'kunit', log, REQUIRED)
        return counted(rc, out), out
    if kind == 'logcheck':
        rc, out = run(LOGCHECK, log, ALLOWLIST)
        return 'fail' if rc else 'pass', out
    with tempfile.NamedTemporaryFile('r', suffix='.dmesg') as dmesg:
        rc, out = run(RESULTS, 'guest', log, dmesg.name, REQUIRED)
        if kind == 'guest':
            return counted(rc, out), out
        if kind == 'guestlog':
            rc, out = run(LOGCHECK, dmesg.name, ALLOWLIST)
            return 'fail' if rc else 'pass', out
    sys.exit('unknown check %s' % kind)


def main():
    passed = failed = 0
    with open(os.path.join(HERE, 'cases')) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith('#'):
                continue
            words = line.split(None, 3)
            if len(words) < 3 or words[2] not in ('pass', 'fail'):
                sys.exit('cases:%d: bad line: %s' % (n, line.rstrip()))
            log, kind, want = words[:3]
            message = words[3].strip() if len(words) > 3 else None
            got, out = check(kind, os.path.join(HERE, log))
            problem = None
            if got != want:
                problem = 'verdict %s, expected %s' % (got, want)
            elif message and not re.search(message, out):
                problem = 'the output does not say /%s/' % message
            name = '%s %s (%s)' % (log, kind, want)
            if problem:
                failed += 1
                print('not ok %s: %s' % (name, problem))
                print(''.join('    ' + l + '\n' for l in out.splitlines()))
            else:
                passed += 1
                print('ok %s' % name)
    for name, problem in build_cases():
        if problem:
            failed += 1
            print('not ok %s: %s' % (name, problem))
        else:
            passed += 1
            print('ok %s' % name)
    print('%d %d' % (passed, failed))


def build_cases():
    """The build steps of mk/lib.sh fail, and record nothing, when make
    fails: they run in || lists, where set -e does not apply."""
    with tempfile.TemporaryDirectory() as tmp:
        script = '''
            . "$MK/lib.sh"
            TEST_KERNEL=$TMP/kernel
            TEST_CONFIGS=/dev/null
            overlay_files() { :; }
            merge_config() { :; }
            kmake() { case "$2" in bzImage) return 2 ;; esac; }
            mkdir -p "$TEST_KERNEL"
            if test_kernel; then echo built; fi
            [ -e "$TEST_KERNEL/.built" ] && echo recorded
            . "$MK/guest-lib.sh"
            if guest_build_kernel "$TEST_KERNEL"; then echo guest-built; fi
            exit 0
        '''
        env = dict(os.environ, MK=MK, TMP=tmp, BUILD_ROOT=tmp)
        p = subprocess.run(['bash', '-c', script], capture_output=True,
                           text=True, env=env)
        out = p.stdout.split()
        yield ('test_kernel fails when make fails',
               'it succeeded' if 'built' in out else
               ('exit %d: %s' % (p.returncode, p.stderr.strip())
                if p.returncode else None))
        yield ('test_kernel records no build when make fails',
               'it recorded one' if 'recorded' in out else None)
        yield ('guest_build_kernel fails when make fails',
               'it succeeded' if 'guest-built' in out else None)


if __name__ == '__main__':
    main()
