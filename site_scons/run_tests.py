#!/usr/bin/env python3
"""`scons test`: every test of Autarky, with one verdict at the end.

1. the host unit tests (CUnit: capability layer, page tables, device tree...)
2. every QEMU boot test in BOOT_TESTS, each through boot.py

Ends with one line "N passed, N failed" (test cases summed over all suites)
and exits non-zero if any case failed or any suite did not report.
To add a QEMU test, add an entry to BOOT_TESTS.
"""

import argparse
import re
import subprocess
import sys
import time

import boot

# (name, boot command list for init, domains allowed to be killed, timeout s)
# Each boot's init checks after every command that the memory server got
# all of the program's RAM back (see domains/init/commands.h).
BOOT_TESTS = [
    ('init-kernel-checks', 'kernel-tests', {'expect-kill'}, 180),
    ('spawn', 'argtest one "two words" three; hello; expect-status 3 hello --exit 3; '
              'repeat 200 hello', set(), 300),
    ('rpc', 'rpctest', set(), 180),
    ('threads', 'threadtest', set(), 180),
    ('faults', 'expect-status 1 faulter null; expect-status 1 faulter thread; '
               'expect-status killed faulter disabled; faulter handled; '
               'expect-status 1 faulter overflow; expect-status 1 faulter wild; '
               'expect-status 1 faulter readonly; hello',
     {'faulter'}, 120),
    ('vspace', 'vmtest; pager 32', set(), 300),
    ('proc', 'proctest', {'faulter'}, 300),
]

RE_CUNIT_TESTS = re.compile(r'^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', re.M)
RE_CUNIT_ASSERTS = re.compile(r'^\s*asserts\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', re.M)


def run_host_tests(binary):
    """Run the CUnit binary; returns (passed, failed, ok)."""
    print('=== host unit tests: %s' % binary, flush=True)
    proc = subprocess.run([binary], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    print(proc.stdout, flush=True)
    m = RE_CUNIT_TESTS.search(proc.stdout)
    if not m:
        print('host unit tests: no CUnit summary (crash?)', flush=True)
        return 0, 1, False
    ran, passed, failed = int(m.group(2)), int(m.group(3)), int(m.group(4))
    ok = proc.returncode == 0 and failed == 0 and ran > 0
    return passed, failed, ok


def run_boot_test(image, name, cmds, allowed, timeout):
    """One QEMU boot; returns (passed, failed, ok)."""
    print('=== QEMU boot test %s' % name, flush=True)
    status, verdict = boot.run(image, cmds, timeout, allowed, False, None)
    passed = sum(p for p, _ in verdict.summaries)
    failed = sum(f for _, f in verdict.summaries)
    if not verdict.summaries:
        print('boot test %s: no "N passed, N failed" line' % name, flush=True)
        return passed, failed + 1, False
    if status != 0 and failed == 0:
        failed = 1   # the boot itself failed: count it
    return passed, failed, status == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--image', required=True)
    ap.add_argument('--host-tests', required=True, nargs='+',
                    help='CUnit test binaries')
    args = ap.parse_args()

    start = time.monotonic()
    results = [(binary.split('/')[-1],) + run_host_tests(binary)
               for binary in args.host_tests]
    for name, cmds, allowed, timeout in BOOT_TESTS:
        results.append((name,) + run_boot_test(args.image, name, cmds, allowed, timeout))

    print('=== summary (%.0f s)' % (time.monotonic() - start))
    total_pass = total_fail = 0
    all_ok = True
    for name, passed, failed, ok in results:
        print('  %-24s %5d passed %5d failed  %s' % (name, passed, failed,
                                                    'ok' if ok else 'FAILED'))
        total_pass += passed
        total_fail += failed
        all_ok = all_ok and ok
    print('%d passed, %d failed' % (total_pass, total_fail), flush=True)
    sys.exit(0 if all_ok and total_fail == 0 else 1)


if __name__ == '__main__':
    main()
