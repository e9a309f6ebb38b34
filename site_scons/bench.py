#!/usr/bin/env python3
"""`scons bench`: benchmarks in instructions under -icount shift=0.

    python3 site_scons/bench.py build/autarky.elf [--timeout S] [--scale PCT]

Builds nothing (SCons built the image). Boots it through boot.py's run()
with -icount shift=0 and BOOT="rpcbench" (domains/rpcbench/), collects the
program's `BENCH <name> <instructions> <unit>` lines and prints them as a
table beside the Linux reference figures. See docs/benchmarks.md.

A benchmark, not a test: no figure is compared against a threshold.
Exit status: 0 if the boot was clean and every expected BENCH line came;
otherwise boot.py's failure status (or 1 if the boot was clean but a
figure is missing).
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

# Linux 6.1 (Debian linux-image-6.1.0-50-armmp, armhf) on the same emulated
# machine (qemu-system-arm -M virt -cpu cortex-a15 -m 1024 -icount shift=0),
# timed with CNTVCT (1 tick = 16 instructions). Source: the project's mission
# material, shared/mission/README.md, "Reference figures: Linux 6.1 on the
# same emulated machine" (kept here so that a fresh clone runs on its own).
LINUX_PIPE_ROUNDTRIP = 16300       # "pipe round trip between two processes", 1,021 ticks
LINUX_UFFD_FAULT = 18700           # "userfaultfd fault handled by a user thread", 1,170 ticks
LINUX_FIRST_TOUCH_FAULT = 4240     # "anonymous first-touch page fault", 265 ticks

# Every figure rpcbench prints: name -> what it is.
FIGURES = [
    ('rpc_roundtrip', 'RPC round trip (aos_rpc_send_number), mean'),
    ('rpc_roundtrip_min', 'RPC round trip, best single call'),
    ('ram_cap_request', 'RAM cap 4 KiB: get_ram_cap + cap_delete + slot_free'),
    ('ram_cap_rpc_only', 'RAM cap 4 KiB: get_ram_cap alone'),
    ('string_64k_per_kib', '64 KiB aos_rpc_send_string, per KiB'),
    ('string_64k', '64 KiB aos_rpc_send_string, whole call'),
    ('counter_read_pair_min', 'two back-to-back counter reads (resolution)'),
]

RE_BENCH = re.compile(r'^BENCH (\S+) (\d+) (\S+)\s*$')


class Collector:
    """Stands in for boot.run's log file: keeps the console lines."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text.rstrip('\n'))


def parse(lines):
    figures = {}
    for text in lines:
        m = RE_BENCH.match(text.strip())
        if m:
            figures[m.group(1)] = (int(m.group(2)), m.group(3))
    return figures


def fmt(n):
    return '{:,}'.format(n)


def table(figures):
    rt = figures['rpc_roundtrip'][0]
    rt_min = figures['rpc_roundtrip_min'][0]
    ram = figures['ram_cap_request'][0]
    rows = [
        ('RPC round trip (send_number to init)', fmt(rt) + ' instr/op',
         'pipe round trip, 2 processes', fmt(LINUX_PIPE_ROUNDTRIP),
         '%.1fx cheaper' % (LINUX_PIPE_ROUNDTRIP / rt)),
        ('  best single round trip', fmt(rt_min) + ' instr/op',
         'pipe round trip, 2 processes', fmt(LINUX_PIPE_ROUNDTRIP),
         '%.1fx cheaper' % (LINUX_PIPE_ROUNDTRIP / rt_min)),
        ('RAM cap 4 KiB (RPC + delete + free)', fmt(ram) + ' instr/op',
         '(no equivalent; see note)', '-', '-'),
        ('  of which get_ram_cap alone', fmt(figures['ram_cap_rpc_only'][0]) + ' instr/op',
         '', '', ''),
        ('64 KiB string to init', fmt(figures['string_64k_per_kib'][0]) + ' instr/KiB',
         '(no reference figure)', '-', '-'),
        ('  whole 64 KiB call', fmt(figures['string_64k'][0]) + ' instr/op', '', '', ''),
    ]
    heads = ('Autarky', 'instructions', 'Linux 6.1 reference', 'instructions', 'ratio')
    widths = [max(len(r[i]) for r in rows + [heads]) for i in range(5)]
    out = []
    line = '  '.join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()
    out.append(line)
    out.append('-' * len(line))
    for r in rows:
        out.append('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    goal = LINUX_PIPE_ROUNDTRIP / 10
    out.append('')
    out.append('RPC round trip: %s instructions vs Linux pipe round trip %s: %.1fx cheaper '
               '(goal: at least 10x, i.e. <= %s instructions; %s).'
               % (fmt(rt), fmt(LINUX_PIPE_ROUNDTRIP), LINUX_PIPE_ROUNDTRIP / rt,
                  fmt(int(goal)), 'reached' if rt <= goal else 'not reached'))
    out.append('RAM cap request: Linux has no user-level way to be handed physical memory; '
               'the nearest figures,')
    out.append('  first-touch page fault (%s, kernel allocates and maps a page) and a '
               'userfaultfd fault (%s),' % (fmt(LINUX_FIRST_TOUCH_FAULT), fmt(LINUX_UFFD_FAULT)))
    out.append('  also map the page, which ours does not: for orientation only, not a '
               'comparison.')
    out.append('All figures: instructions under -icount shift=0 (counter ticks x 16), '
               'exact and repeatable.')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('image')
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--scale', type=int, default=None,
                    help='iteration counts in percent (quick runs); default 100')
    args = ap.parse_args()

    cmd = 'rpcbench' if args.scale is None else 'rpcbench %d' % args.scale
    print('=== bench: booting %s with -icount shift=0, BOOT="%s"' % (args.image, cmd),
          flush=True)
    log = Collector()
    status, _ = boot.run(args.image, cmd, args.timeout, set(), True, log)
    figures = parse(log.lines)
    missing = [name for name, _ in FIGURES if name not in figures]

    print('=== bench: results', flush=True)
    if status != 0:
        print('bench: the boot failed (status %d); no table' % status, flush=True)
        sys.exit(status)
    if missing:
        print('bench: missing BENCH line(s): %s' % ', '.join(missing), flush=True)
        sys.exit(1)
    for name, what in FIGURES:
        value, unit = figures[name]
        print('  %-22s %12s %-10s %s' % (name, fmt(value), unit, what))
    print()
    print(table(figures), flush=True)
    sys.exit(0)


if __name__ == '__main__':
    main()
