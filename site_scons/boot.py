#!/usr/bin/env python3
"""Boot an Autarky image headless in QEMU and judge the run.

    python3 site_scons/boot.py build/autarky.elf [--boot "cmd1; cmd2"]
        [--timeout S] [--allow-kill NAME,...] [--icount] [--log FILE]

Streams the serial console to stdout and returns when the system powers
itself off (PSCI SYSTEM_OFF ends QEMU). The boot command list reaches init
through the device tree (/chosen/bootargs, QEMU's -append).

Exit status (the first failure seen wins):
  0    clean power-off with status 0 and nothing below
  1    a test summary line reported failures ("N passed, M failed", M > 0)
  2    kernel panic
  3    a domain was killed that --allow-kill does not name
  4    init powered off with a non-zero status
  5    QEMU ended without the kernel's power-off line
  124  timeout (QEMU is killed)
"""

import argparse
import os
import re
import select
import subprocess
import sys
import time

QEMU = ['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15', '-m', '1024',
        '-nographic', '-no-reboot']

RE_PANIC = re.compile(r'kernel panic:')
RE_KILLED = re.compile(r"killed domain '([^']*)'")
RE_SUMMARY = re.compile(r'^\s*(\d+) passed, (\d+) failed')
RE_POWEROFF = re.compile(r'autarky: power off, status (-?\d+)')


class Verdict:
    """Reads console lines and remembers the first reason to fail."""

    def __init__(self, allowed_kills):
        self.allowed = allowed_kills
        self.status = None          # first failure code
        self.reason = None
        self.poweroff = None        # status from the power-off line
        self.summaries = []         # (passed, failed) per summary line

    def fail(self, code, reason):
        if self.status is None:
            self.status, self.reason = code, reason

    def line(self, text):
        if RE_PANIC.search(text):
            self.fail(2, 'kernel panic')
        m = RE_KILLED.search(text)
        if m and m.group(1) not in self.allowed:
            self.fail(3, "domain '%s' was killed" % m.group(1))
        m = RE_SUMMARY.match(text)
        if m:
            passed, failed = int(m.group(1)), int(m.group(2))
            self.summaries.append((passed, failed))
            if failed:
                self.fail(1, '%d test(s) failed' % failed)
        m = RE_POWEROFF.search(text)
        if m:
            self.poweroff = int(m.group(1))
            if self.poweroff != 0:
                self.fail(4, 'power off with status %d' % self.poweroff)

    def finish(self):
        if self.status is None and self.poweroff is None:
            self.fail(5, 'QEMU ended without the power-off line')
        return self.status or 0


def run(image, boot, timeout, allowed, icount, log):
    cmd = QEMU + ['-kernel', image]
    if icount:
        cmd += ['-icount', 'shift=0']
    if boot:
        cmd += ['-append', boot]
    verdict = Verdict(allowed)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    buf = b''
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                verdict.fail(124, 'timeout after %s s' % timeout)
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                text = raw.decode('utf-8', 'replace').rstrip('\r')
                print(text, flush=True)
                if log:
                    log.write(text + '\n')
                verdict.line(text)
        if buf:
            text = buf.decode('utf-8', 'replace')
            print(text, flush=True)
            verdict.line(text)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    status = verdict.finish()
    if status:
        print('boot: FAILED (%s), exit status %d' % (verdict.reason, status),
              flush=True)
    else:
        print('boot: ok', flush=True)
    return status, verdict


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('image')
    ap.add_argument('--boot', default='', help='boot command list for init')
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('--allow-kill', default='',
                    help='comma-separated domain names that may be killed')
    ap.add_argument('--icount', action='store_true',
                    help='-icount shift=0: one instruction = 1 ns')
    ap.add_argument('--log', help='also write the console to this file')
    args = ap.parse_args()
    allowed = {n.strip() for n in args.allow_kill.split(',') if n.strip()}
    log = open(args.log, 'w') if args.log else None
    status, _ = run(args.image, args.boot, args.timeout, allowed, args.icount, log)
    sys.exit(status)


if __name__ == '__main__':
    main()
