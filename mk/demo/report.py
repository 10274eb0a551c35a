#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of make demo (mk/demo.sh), from the guests' console logs.

Usage:
  report.py --dir DIR --ram MIB --zram SIZE --smp N --target MIB
            [--times k=s,...] RUN...
  report.py --reach DIR/RUN.log

Each RUN (e.g. patched-bo, patched-anon-max, base-bo) has its console log in
DIR/RUN.log, written by mk/demo/init and gem-demo (mk/demo/gem_demo.c):
"demo: sample", "demo: event" and "demo: result" lines, and the guest's
kernel log between "===== GUEST DMESG BEGIN/END =====". The report goes to
stdout, the plot to DIR/demo.png (gnuplot), the samples of each run to
DIR/RUN.dat. Exits 0 when the patched-bo run read back every byte right (or
was not run), 1 otherwise.

--reach prints how many MiB of a run's working set were allocated when it
stopped (from its result, or from its last sample if the guest died).
"""

import argparse
import os
import re
import subprocess
import sys

KV = re.compile(r'(\w+)=(\S+)')
REPORTS = [
    ('panic', re.compile(r'Kernel panic - not syncing: (.*)')),
    ('oom', re.compile(r'invoked oom-killer')),
    ('fault-oom', re.compile(r'Huh VM_FAULT_OOM leaked out')),
    ('warning', re.compile(r'WARNING:|BUG:|Oops|general protection fault|'
                           r'kernel BUG at|DEBUG_LOCKS_WARN_ON|UBSAN:|'
                           r'INFO: task .* blocked|RCU stall')),
]
DMESG_BEGIN = '===== GUEST DMESG BEGIN ====='
DMESG_END = '===== GUEST DMESG END ====='


def number(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


class Run:
    """What one guest printed."""

    def __init__(self, directory, name):
        self.name = name
        self.path = os.path.join(directory, name + '.log')
        self.kernel = name.split('-')[0]
        self.max = name.endswith('-max')
        self.guest = {}
        self.start = {}
        self.result = None
        self.samples = []
        self.events = []
        self.reports = {k: [] for k, _ in REPORTS}
        self.ended = False
        try:
            with open(self.path, errors='replace') as f:
                lines = [l.rstrip('\r\n').replace('\r', '') for l in f]
        except OSError:
            lines = []
        self.found = bool(lines)
        for line in lines:
            i = line.find('demo: ')
            if i < 0 or (i > 0 and line.lstrip().startswith('[')):
                continue
            line = line[i:]
            kv = {k: number(v) for k, v in KV.findall(line)}
            if line.startswith('demo: sample'):
                self.samples.append(kv)
            elif line.startswith('demo: event'):
                self.events.append(kv)
            elif line.startswith('demo: result'):
                self.result = kv
            elif line.startswith('demo: start'):
                self.start = kv
            elif line.startswith('demo: guest'):
                self.guest = kv
        # The kernel log: the dmesg section if the guest got there, else
        # everything (a panic ends the console log instead).
        if DMESG_BEGIN in lines:
            b = lines.index(DMESG_BEGIN)
            e = lines.index(DMESG_END) if DMESG_END in lines else len(lines)
            klog = lines[b + 1:e]
            self.ended = DMESG_END in lines
        else:
            klog = lines
        for line in klog:
            for kind, regex in REPORTS:
                m = regex.search(line)
                if m:
                    self.reports[kind].append(
                        m.group(1) if m.groups() else line.strip())
                    break
        # The function a panic happened in: the first frame after panic.
        self.panic_where = None
        if self.reports['panic']:
            after = lines[[i for i, l in enumerate(lines)
                           if 'Kernel panic' in l][0]:]
            for l in after:
                m = re.search(r'Workqueue: (\S+ \S+)', l)
                if m:
                    self.panic_where = 'workqueue ' + m.group(1)
                    break

    def get(self, key, default=0):
        return self.result.get(key, default) if self.result else default

    def chunk(self):
        return self.start.get('chunk_mib', 4)

    def reach_mib(self):
        """MiB of working set allocated when the fill stopped."""
        if self.result:
            return self.result['kept_mib']
        kept = max([s.get('kept', 0) for s in self.samples] +
                   [e.get('kept', 0) for e in self.events] + [0])
        return kept * self.chunk()

    def stop(self):
        if self.result:
            stop = self.result['stop']
            if stop == 'killed:KILL' and self.reports['oom']:
                return 'OOM kill'
            if stop == 'target':
                return 'target reached'
            return stop
        if self.reports['panic']:
            return 'kernel panic'
        return 'guest died' if self.found else 'not run'

    def peak(self, key):
        return max([s.get(key, 0) for s in self.samples] + [0]) / 1024

    def zram_ratio(self):
        best = max(self.samples, key=lambda s: s.get('zram_orig_kib', 0),
                   default=None)
        if not best or not best.get('zram_compr_kib'):
            return None
        return best['zram_orig_kib'] / best['zram_compr_kib']

    def write_dat(self, path):
        cols = ['t', 'gem_resident_kib', 'shmem_kib', 'anon_kib',
                'unevictable_kib', 'swap_used_kib', 'zram_used_kib',
                'zram_orig_kib', 'kept', 'checked', 'memfree_kib']
        with open(path, 'w') as f:
            f.write('# ' + ' '.join(cols) + ' (KiB as MiB)\n')
            for s in self.samples:
                vals = []
                for c in cols:
                    v = s.get(c, 0)
                    if c.endswith('_kib'):
                        v = v / 1024
                    elif c in ('kept', 'checked'):
                        v = v * self.chunk()
                    vals.append('%.2f' % v)
                f.write(' '.join(vals) + '\n')

    def phase_time(self, what):
        for e in self.events:
            if e.get('what') == what:
                return e['t']
        return None


def fmt_mib(v):
    return '%.0f MiB' % v


def ratio(a, b):
    return a / b if b else None


def plot(directory, runs, ram, memtotal):
    """A PNG of memory over time for the runs that have samples."""
    order = {'patched-bo': 0, 'patched-anon': 1, 'base-bo': 2}
    panels = sorted([r for r in runs if r.samples and not r.max],
                    key=lambda r: order.get(r.name, 3))
    if not panels or not shutil_which('gnuplot'):
        return None
    png = os.path.join(directory, 'demo.png')
    gp = ['set terminal pngcairo size 1000,%d font "sans,9"' %
          (300 * len(panels) + 40),
          'set output "%s"' % png,
          'set multiplot layout %d,1' % len(panels),
          'set xlabel "time (s)"', 'set ylabel "MiB"', 'set grid',
          'set key outside right top']
    top = max([memtotal] + [r.reach_mib() for r in panels] +
              [r.peak('swap_used_kib') for r in panels])
    gp.append('set yrange [0:%d]' % (int(top / 50 + 1) * 50))
    end = max(r.samples[-1]['t'] for r in panels)
    gp.append('set xrange [0:%d]' % (int(end / 5 + 1) * 5))
    for r in panels:
        dat = os.path.join(directory, r.name + '.dat')
        r.write_dat(dat)
        what = {'bo': 'virtio-gpu buffers', 'anon': 'anonymous memory'}
        kind = r.start.get('kind', 'bo')
        title = '%s kernel, %s: %s' % (r.kernel, what.get(kind, kind),
                                       fmt_mib(r.reach_mib()))
        if r.result and r.result.get('verified') == 'yes':
            title += ', every byte verified'
        gp.append('unset arrow')
        filled = r.phase_time('filled')
        if filled is not None:
            gp.append('set arrow from %.2f, graph 0 to %.2f, graph 1 '
                      'nohead dt 2 lc rgb "gray40"' % (filled, filled))
            gp.append('set label 1 "read back" at %.2f, graph 0.95 '
                      'left offset 0.5,0' % filled)
        else:
            gp.append('unset label 1')
        gp.append('set title "%s"' % title)
        lines = ['"%s" using 1:9 with lines lw 2 lc rgb "black" '
                 'title "allocated (working set)"' % dat,
                 '"" using 1:10 with lines dt 2 lw 2 lc rgb "black" '
                 'title "read back so far"']
        if kind == 'bo' and r.kernel == 'patched':
            lines.append('"" using 1:2 with lines lw 2 lc rgb "red" '
                         'title "resident BOs (shrinker stats)"')
            lines.append('"" using 1:3 with lines lc rgb "orange" '
                         'title "Shmem (meminfo)"')
        elif kind == 'bo':
            lines.append('"" using 1:3 with lines lw 2 lc rgb "red" '
                         'title "Shmem (meminfo)"')
        else:
            lines.append('"" using 1:4 with lines lw 2 lc rgb "red" '
                         'title "AnonPages (meminfo)"')
        lines.append('"" using 1:6 with lines lw 2 lc rgb "blue" '
                     'title "swap used"')
        lines.append('"" using 1:7 with lines lc rgb "dark-cyan" '
                     'title "RAM used by zram"')
        lines.append('%.1f with lines dt 3 lc rgb "gray20" '
                     'title "guest MemTotal"' % memtotal)
        gp.append('plot ' + ', \\\n     '.join(lines))
    gp.append('unset multiplot')
    script = os.path.join(directory, 'demo.gnuplot')
    with open(script, 'w') as f:
        f.write('\n'.join(gp) + '\n')
    res = subprocess.run(['gnuplot', script], capture_output=True, text=True)
    if res.returncode:
        sys.stderr.write(res.stderr)
        return None
    return png


def shutil_which(cmd):
    import shutil
    return shutil.which(cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir')
    ap.add_argument('--ram', type=float)
    ap.add_argument('--zram')
    ap.add_argument('--smp')
    ap.add_argument('--target', type=float)
    ap.add_argument('--times', default='')
    ap.add_argument('--reach')
    ap.add_argument('runs', nargs='*')
    a = ap.parse_args()

    if a.reach:
        d, f = os.path.split(a.reach)
        r = Run(d, f[:-4] if f.endswith('.log') else f)
        print('%.0f' % r.reach_mib())
        return 0

    runs = {n: Run(a.dir, n) for n in a.runs}
    bo = runs.get('patched-bo')
    anon = runs.get('patched-anon')
    base = runs.get('base-bo')
    bo_max = runs.get('patched-bo-max')
    anon_max = runs.get('patched-anon-max')
    ram = a.ram
    any_run = next((r for r in runs.values() if r.guest), None)
    memtotal = any_run.guest.get('memtotal_kib', 0) / 1024 if any_run else 0
    swap = any_run.guest.get('swap', '?') if any_run else '?'
    times = dict(kv.split('=') for kv in a.times.split(',') if '=' in kv)
    run_times = {}
    try:
        with open(os.path.join(a.dir, 'times')) as f:
            for line in f:
                n, t = line.split()
                run_times[n] = int(t)
    except OSError:
        pass

    out = []
    p = out.append
    p('')
    p('make demo: the GEM shrinker on virtio-gpu buffers')
    p('=' * 50)
    p('Guest: QEMU TCG, %d CPUs, %s RAM (MemTotal %.0f MiB), swap on zram '
      '%s (%s)' % (int(a.smp), fmt_mib(ram), memtotal, a.zram,
                   swap.split(':')[-1]))
    chunk = bo.chunk() if bo else 4
    every = bo.start.get('dontneed_every', 0) if bo else 0
    p('Workload: %d MiB virtio-gpu dumb buffers, each filled through mmap '
      'with the' % chunk)
    p('  pattern of drm_reclaim (zram ratio %s), handed to the host '
      '(TRANSFER_TO_HOST),' %
      ('%.2f:1' % bo.zram_ratio() if bo and bo.zram_ratio() else '?'))
    p('  unmapped and kept; after every %d, one more marked DONTNEED; then '
      'every byte' % every)
    p('  read back through a new mapping and checked. Working-set target: '
      '%s.' % fmt_mib(a.target))
    p('')

    def kernel_notes(r):
        notes = []
        if r.reports['panic']:
            notes.append('KERNEL PANIC: %s%s' % (
                r.reports['panic'][0],
                ' (%s)' % r.panic_where if r.panic_where else ''))
        if r.reports['oom']:
            notes.append('%d OOM kill%s' % (len(r.reports['oom']),
                                            's' if len(r.reports['oom']) > 1 else ''))
        if r.reports['fault-oom']:
            notes.append('%d "Huh VM_FAULT_OOM leaked out to the #PF handler"'
                         % len(r.reports['fault-oom']))
        if r.reports['warning']:
            notes.append('%d warning%s: %s' % (
                len(r.reports['warning']),
                's' if len(r.reports['warning']) > 1 else '',
                r.reports['warning'][0][:70]))
        return notes

    def throughput(r):
        fill = r.get('fill_mibps', 0)
        read = r.get('read_mibps', 0)
        s = 'fill %.1f MiB/s (%.1f s' % (fill, r.get('fill_s', 0))
        if r.get('host_s', 0) >= 0.05:
            s += ', %.1f s of it host transfers' % r.get('host_s')
        s += ')'
        if r.get('checked', 0):
            s += ', read back %.1f MiB/s (%.1f s)' % (read, r.get('read_s'))
        return s

    def verified(r):
        if not r.result:
            return 'NOT VERIFIED (%s)' % r.stop()
        if r.get('verified') == 'yes':
            return 'every byte of %s verified' % fmt_mib(r.get('checked_mib'))
        if r.get('bad'):
            return 'WRONG CONTENTS in %d buffers (first: buffer %d, offset %d)' % (
                r.get('bad'), r.get('first_bad'), r.get('first_bad_offset'))
        return 'NOT VERIFIED (%s, %d of %d read back)' % (
            r.get('child'), r.get('checked'), r.get('kept'))

    def pages_mib(n):
        return n * 4096 / (1024 * 1024)

    if bo:
        p('Patched kernel, virtio-gpu buffers (%s):' % bo.name)
        if bo.result:
            alloc = bo.get('kept_mib') + bo.get('dontneed_mib')
            p('  allocated   %s = %s working set + %s DONTNEED = %.2fx guest RAM'
              % (fmt_mib(alloc), fmt_mib(bo.get('kept_mib')),
                 fmt_mib(bo.get('dontneed_mib')), alloc / ram))
            p('  stopped     %s' % bo.stop())
            if bo.get('gem_stats'):
                ev = bo.get('gem_evicted_fill') + bo.get('gem_evicted_read')
                pu = bo.get('gem_purged_fill') + bo.get('gem_purged_read')
                si = bo.get('gem_swapin_fill') + bo.get('gem_swapin_read')
                p('  shrinker    %s evicted, %s purged, %s swapped in '
                  '(gem_shrinker/stats)' % (fmt_mib(pages_mib(ev)),
                                            fmt_mib(pages_mib(pu)),
                                            fmt_mib(pages_mib(si))))
            sout = bo.get('pswpout_fill') + bo.get('pswpout_read')
            sin = bo.get('pswpin_fill') + bo.get('pswpin_read')
            p('  swap        %s written, %s read (/proc/vmstat pswpout, '
              'pswpin)' % (fmt_mib(pages_mib(sout)), fmt_mib(pages_mib(sin))))
            if bo.get('gem_stats') and si < sin / 2:
                p('              (swapin_pages misses the buffers that had no '
                  'CPU mapping when evicted)')
            if bo.get('dontneed'):
                p('  DONTNEED    %d buffers: %d purged, %d retained%s' % (
                    bo.get('dontneed'), bo.get('purged'), bo.get('retained'),
                    ' (contents right)' if bo.get('retained') and
                    not bo.get('retained_bad') else ''))
            p('  peak        %s resident BOs, %s swap used, zram %s in %s '
              'of RAM' % (fmt_mib(bo.peak('gem_resident_kib')),
                          fmt_mib(bo.peak('swap_used_kib')),
                          fmt_mib(bo.peak('zram_orig_kib')),
                          fmt_mib(bo.peak('zram_used_kib'))))
            p('  read back   %s' % verified(bo))
            p('  throughput  %s' % throughput(bo))
        else:
            p('  %s after %s' % (verified(bo), fmt_mib(bo.reach_mib())))
        if bo_max:
            p('  most held   %s = %.2fx guest RAM, then %s (%s: fill until '
              'it fails, no DONTNEED)' % (fmt_mib(bo_max.reach_mib()),
                                          bo_max.reach_mib() / ram,
                                          bo_max.stop(), bo_max.name))
        p('')

    if anon:
        p('Patched kernel, anonymous memory, same workload (%s):' % anon.name)
        if anon.result:
            p('  allocated   %s (%s)' % (fmt_mib(anon.get('kept_mib')),
                                        anon.stop()))
            p('  read back   %s' % verified(anon))
            p('  throughput  %s' % throughput(anon))
        else:
            p('  %s after %s' % (verified(anon), fmt_mib(anon.reach_mib())))
        if anon_max:
            p('  most held   %s = %.2fx guest RAM, then %s (%s: fill until '
              'it fails)' % (fmt_mib(anon_max.reach_mib()),
                             anon_max.reach_mib() / ram, anon_max.stop(),
                             anon_max.name))
        p('')

    if base:
        p('Base kernel (unpatched 6.12), virtio-gpu buffers (%s):' % base.name)
        p('  reached     %s = %.2fx guest RAM, then %s' % (
            fmt_mib(base.reach_mib()), base.reach_mib() / ram, base.stop()))
        if base.get('madvise_err'):
            p('  DONTNEED    no madvise ioctl (%s): every buffer kept' %
              os.strerror(base.get('madvise_err')))
        p('  read back   %s' % verified(base))
        if base.result:
            p('  throughput  %s' % throughput(base))
        p('')

    checks = []
    bo_ws = bo_max.reach_mib() if bo_max else (bo.reach_mib() if bo else 0)
    anon_ws = anon_max.reach_mib() if anon_max else (
        anon.reach_mib() if anon else 0)
    if bo and anon:
        checks.append(('most held, BO / anonymous memory',
                       ratio(bo_ws, anon_ws), 0.95,
                       '%s / %s' % (fmt_mib(bo_ws), fmt_mib(anon_ws))))
    if bo and base:
        checks.append(('most held, BO / base kernel BO',
                       ratio(bo_ws, base.reach_mib()), 1.0,
                       '%s / %s' % (fmt_mib(bo_ws),
                                    fmt_mib(base.reach_mib()))))
    if bo and anon and bo.result and anon.result:
        checks.append(('eviction (fill) throughput, BO / anon',
                       ratio(bo.get('fill_mibps'), anon.get('fill_mibps')),
                       0.9, '%.1f / %.1f MiB/s' % (bo.get('fill_mibps'),
                                                   anon.get('fill_mibps'))))
        checks.append(('swap-in (read-back) throughput, BO / anon',
                       ratio(bo.get('read_mibps'), anon.get('read_mibps')),
                       0.9, '%.1f / %.1f MiB/s' % (bo.get('read_mibps'),
                                                   anon.get('read_mibps'))))
    if checks:
        p('Ratios                                      measured  target')
        for name, value, want, detail in checks:
            if value is None:
                p('  %-42s %8s' % (name, 'n/a'))
                continue
            cmp = '>=' if want != 1.0 else '>'
            good = value >= want if want != 1.0 else value > want
            p('  %-42s %8.2f  %s %.2f  %-4s (%s)' % (
                name, value, cmp, want, 'ok' if good else 'MISS', detail))
        p('')

    png = plot(a.dir, [runs[n] for n in a.runs], ram, memtotal)
    if png:
        p('Plot: %s' % png)
        p('  (memory over time: allocated, resident, swap and zram)')
    p('Logs: %s/<run>.log' % a.dir)

    p('')
    p('Kernel logs:')
    for n in a.runs:
        r = runs[n]
        notes = kernel_notes(r)
        expected = r.max or r.kernel == 'base'
        p('  %-17s %s%s' % (n, '; '.join(notes) if notes else 'clean',
                            ' (OOM expected: it fills until it fails)'
                            if expected and r.reports['oom'] and
                            not r.reports['panic'] else ''))
    p('')
    if times or run_times:
        t = ['build %s s (patched kernel %s s, base kernel %s s)' % (
            times.get('build', '?'), times.get('kernel', '?'),
            times.get('base', '?'))]
        t.append('guests %s s (%s)' % (
            times.get('runs', '?'),
            ', '.join('%s %d s' % (n, s) for n, s in run_times.items())))
        if 'total' in times:
            t.append('total %s s' % times['total'])
        p('Time: ' + '; '.join(t))

    ok = True
    if bo:
        ok = bool(bo.result) and bo.get('verified') == 'yes'
    p('Result: %s' % ('PASS: the patched run read back every byte right'
                      if ok and bo else
                      'FAIL: the patched run did not read back every byte '
                      'right' if bo else 'no patched-bo run'))
    print('\n'.join(out))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
