#!/usr/bin/env python3
"""`scons fuzz SEEDS=N ROUNDS=M`: a fuzzing campaign by hand.

Runs the fuzzer (test/domains/fuzzer, docs/testing.md) with N distinct seeds,
each with every count M times that of the short run `scons test` makes,
a few seeds per QEMU boot (a boot command list holds at most 255
characters), each seed in a fresh domain whose RAM init checks when it
exits. The seeds are a fixed function of their number, so a campaign
repeats, and FIRST=K starts at seed number K (to continue one).

The console goes to build/fuzz.log; this prints one line per boot and, at
the end, the seeds that failed (with the command that repeats each),
the calls made and the time. Exit status 0 only if every seed passed.
"""

import argparse
import contextlib
import io
import re
import sys
import time

import boot

BOOT_CMDLINE_MAX = 255
ALLOWED_KILLS = {'busy'}        # PROC_FUZZ_LIFE's children end badly on purpose
RE_CALLS = re.compile(r'^fuzzer: seed (\d+), rounds (\d+): (\d+) calls$', re.M)
RE_VERDICT = re.compile(r'^TEST CMD fuzzer (\d+) \d+ \.\.\. (PASS|FAIL.*)$', re.M)
RE_FINDING = re.compile(r'^TEST ([A-Z_]+) \.\.\. FAIL: (.*)$', re.M)


def seed_of(number):
    """The seed of campaign seed `number` (1, 2, ...): distinct for distinct
    numbers below 2^31 (an odd multiplier is a bijection modulo 2^31), and
    odd (the fuzzer makes every seed odd)."""
    return ((number * 2654435761) % (1 << 31)) * 2 + 1


def batches(seeds, rounds):
    """Groups of seeds whose command list fits the kernel's bootargs."""
    group, length = [], 0
    for s in seeds:
        cmd = 'fuzzer %d %d' % (s, rounds)
        if group and length + 2 + len(cmd) > BOOT_CMDLINE_MAX:
            yield group
            group, length = [], 0
        length += (2 if group else 0) + len(cmd)
        group.append(s)
    if group:
        yield group


def run_batch(image, seeds, rounds, log, smp):
    """One boot on `smp` cores; returns {seed: (verdict, calls, findings)},
    boot status."""
    cmds = '; '.join('fuzzer %d %d' % (s, rounds) for s in seeds)
    timeout = 60 + 60 * rounds * len(seeds)
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        status, _ = boot.run(image, cmds, timeout, ALLOWED_KILLS, False, log, smp=smp)
    text = console.getvalue()
    results = {}
    calls = {int(m.group(1)): int(m.group(3)) for m in RE_CALLS.finditer(text)}
    start = 0
    for m in RE_VERDICT.finditer(text):
        seed = int(m.group(1))
        findings = RE_FINDING.findall(text, start, m.start())
        results[seed] = (m.group(2), calls.get(seed, 0), findings)
        start = m.end()
    return results, status


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--image', required=True)
    ap.add_argument('--seeds', type=int, default=10)
    ap.add_argument('--rounds', type=int, default=1)
    ap.add_argument('--first', type=int, default=1, help='number of the first seed')
    ap.add_argument('--log', default='build/fuzz.log')
    ap.add_argument('--smp', type=int, default=boot.DEFAULT_SMP, choices=range(1, 9),
                    help='cores of the machine (the fuzzer runs on core 0)')
    args = ap.parse_args()

    seeds = [seed_of(n) for n in range(args.first, args.first + args.seeds)]
    print('fuzz: %d seeds (numbers %d..%d) x %d rounds, console in %s'
          % (len(seeds), args.first, args.first + len(seeds) - 1, args.rounds, args.log),
          flush=True)
    start = time.monotonic()
    total_calls, failed = 0, []
    with open(args.log, 'w') as log:
        for group in batches(seeds, args.rounds):
            results, status = run_batch(args.image, group, args.rounds, log, args.smp)
            calls, before = 0, len(failed)
            for s in group:
                verdict, n, findings = results.get(s, ('no verdict (the boot ended first)',
                                                       0, []))
                calls += n
                if verdict != 'PASS':
                    failed.append((s, verdict, findings))
            if status != 0 and len(failed) == before:
                failed.append((group[0], 'the boot failed (status %d, a panic, a kill or '
                               'a timeout), see %s' % (status, args.log), []))
            total_calls += calls
            print('  seeds %s: %s, %d calls (%.0f s so far)'
                  % (' '.join(str(s) for s in group),
                     'ok' if status == 0 else 'FAILED (boot status %d)' % status,
                     calls, time.monotonic() - start), flush=True)
    elapsed = time.monotonic() - start
    for s, verdict, findings in failed:
        print('FAILED seed %d: %s' % (s, verdict))
        for case, why in findings:
            print('    %s: %s' % (case, why))
        print('    repeat: scons boot BOOT="fuzzer %d %d" ALLOW_KILL=busy' % (s, args.rounds))
    print('fuzz: %d seeds x %d rounds, %d calls, %d failed, %.0f s'
          % (len(seeds), args.rounds, total_calls, len(failed), elapsed), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
