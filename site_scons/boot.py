#!/usr/bin/env python3
"""Boot an Autarky image headless in QEMU and judge the run.

    python3 site_scons/boot.py build/autarky.elf [--boot "cmd1; cmd2"]
        [--timeout S] [--allow-kill NAME,...] [--icount] [--smp N] [--log FILE]
        [--input TEXT [--input-prompt PROMPT]] [--expect NAME=REGEX ...]

Streams the serial console to stdout and returns when the system powers
itself off (PSCI SYSTEM_OFF ends QEMU). The boot command list reaches init
through the device tree (/chosen/bootargs, QEMU's -append).

Scripted input (docs/shell.md): --input TEXT is typed into the serial
console (QEMU's stdin), one line at a time: each line once a new PROMPT
(default "autarky> ", the shell's) has appeared on the console, so the
first line waits for the first prompt and every next one for the prompt
after the previous command. Characters go 5 ms apart; a newline in TEXT
is typed as Enter (CR). On the command line TEXT takes backslash escapes
(\\n, \\r, \\x7f, \\\\). With --input-prompt '' the whole TEXT is typed at
once after init's "memory server up" line.

Expected output: each --expect NAME=REGEX is one test case, judged when
QEMU has ended: "TEST NAME ... PASS" if REGEX (Python re, flag re.M) is
found in the console text, else "TEST NAME ... FAIL: ...". ^ and $ match
at each line; a regex may span lines (run_tests.py's shell_output()
ties a line to the command it must follow);
then one "N passed, N failed" line for them, which counts like any other
summary line (exit status 1 if one failed).

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
import codecs
import os
import re
import select
import subprocess
import sys
import time

QEMU = ['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15', '-m', '1024',
        '-nographic', '-no-reboot']
DEFAULT_SMP = 4         # cores of the machine (SMP=N, 1..8; docs/multikernel.md)

RE_PANIC = re.compile(r'kernel panic:')
RE_KILLED = re.compile(r"killed domain '([^']*)'")
RE_SUMMARY = re.compile(r'^\s*(\d+) passed, (\d+) failed')
RE_POWEROFF = re.compile(r'autarky: power off, status (-?\d+)')
RE_MEMSERVER = re.compile(r'init: memory server up')

DEFAULT_PROMPT = 'autarky> '
TYPING_DELAY = 0.005    # seconds between two typed characters


class Typist:
    """Types scripted input into QEMU's stdin, one line per new prompt."""

    def __init__(self, text, prompt):
        # every line ends with Enter (CR) but a last one without a newline
        parts = text.split('\n')
        self.lines = [p + '\r' for p in parts[:-1]]
        if parts[-1]:
            self.lines.append(parts[-1])
        self.prompt = prompt
        self.tail = ''          # end of the output, to find a split prompt
        self.prompts = 0        # prompts seen so far
        self.sent = 0           # lines typed so far
        self.started = False    # --input-prompt '': the memory server is up

    def output(self, text):
        """Count the prompts in a piece of console output."""
        if not self.prompt:
            return
        scan = self.tail + text
        self.prompts += scan.count(self.prompt)
        # keep less than one prompt's length: no prompt is counted twice
        self.tail = scan[-(len(self.prompt) - 1):] if len(self.prompt) > 1 else ''

    def line(self, text):
        if not self.prompt and RE_MEMSERVER.search(text):
            self.started = True

    def pump(self, stdin):
        """Type every line that is due; False if QEMU no longer reads."""
        while self.sent < len(self.lines):
            if self.prompt and self.prompts <= self.sent:
                return True
            if not self.prompt and not self.started:
                return True
            try:
                for ch in self.lines[self.sent]:
                    stdin.write(ch.encode('latin-1'))
                    stdin.flush()
                    time.sleep(TYPING_DELAY)
            except (BrokenPipeError, OSError):
                return False
            self.sent += 1
        return True


def check_expectations(expect, lines, emit):
    """One TEST line per (name, regex) and a summary; returns (pass, fail).
    Each regex is searched in the whole console (lines joined by newlines)
    with re.M: ^ and $ match at every line, and a regex may span lines."""
    passed = failed = 0
    console = '\n'.join(lines)
    for name, regex in expect:
        if re.search(regex, console, re.M):
            emit('TEST %s ... PASS' % name)
            passed += 1
        else:
            emit('TEST %s ... FAIL: the console does not match /%s/' % (name, regex))
            failed += 1
    emit('%d passed, %d failed' % (passed, failed))
    return passed, failed


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


def kernel_cmdline(boot):
    """The command line QEMU passes (-append) for a boot command list.
    The kernel's own tests (`kernel-tests`, `kernel-bounds`,
    `kernel-stack-guard`) run in their own first domain, the boot module
    kerneltest (test/kernel), which the kernel starts instead of init when
    the line begins with root=kerneltest."""
    if boot.split(None, 1)[0:1] and boot.split(None, 1)[0].startswith('kernel-'):
        return 'root=kerneltest ' + boot
    return boot


def qemu_command(image, smp=None):
    """QEMU booting `image` on a machine of `smp` cores (default DEFAULT_SMP)."""
    return QEMU + ['-smp', str(smp or DEFAULT_SMP), '-kernel', image]


def run(image, boot, timeout, allowed, icount, log, input_text=None,
        expect=None, input_prompt=DEFAULT_PROMPT, smp=None):
    """Boot once. input_text: typed as described in the module's doc;
    expect: a list of (name, regex) judged on the console at the end."""
    cmd = qemu_command(image, smp)
    if icount:
        cmd += ['-icount', 'shift=0']
    if boot:
        cmd += ['-append', kernel_cmdline(boot)]
    verdict = Verdict(allowed)
    typist = Typist(input_text, input_prompt) if input_text else None
    lines = []                  # the whole console, for the expectations

    def emit(text):
        print(text, flush=True)
        if log:
            log.write(text + '\n')
        lines.append(text)
        verdict.line(text)
        if typist:
            typist.line(text)

    proc = subprocess.Popen(cmd,
                            stdin=subprocess.PIPE if typist else subprocess.DEVNULL,
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
            if typist:
                typist.output(chunk.decode('latin-1'))
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                emit(raw.decode('utf-8', 'replace').rstrip('\r'))
            if typist and not typist.pump(proc.stdin):
                typist = None   # QEMU is gone; its end is read next
        if buf:
            emit(buf.decode('utf-8', 'replace'))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass
    if expect:
        check_expectations(expect, lines, emit)
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
    ap.add_argument('--smp', type=int, default=DEFAULT_SMP, choices=range(1, 9),
                    metavar='N', help='cores (1..8, default %d)' % DEFAULT_SMP)
    ap.add_argument('--input', metavar='TEXT',
                    help='type TEXT into the console, a line per prompt '
                         '(backslash escapes: \\n is Enter)')
    ap.add_argument('--input-prompt', metavar='PROMPT', default=DEFAULT_PROMPT,
                    help="the prompt each line waits for (default %(default)r; "
                         "'': type all after init's memory server line)")
    ap.add_argument('--expect', metavar='NAME=REGEX', action='append', default=[],
                    help='a test case: some console line must match REGEX')
    args = ap.parse_args()
    allowed = {n.strip() for n in args.allow_kill.split(',') if n.strip()}
    text = None
    if args.input:
        text = codecs.decode(args.input.encode('latin-1', 'backslashreplace'),
                             'unicode_escape')
    expect = []
    for e in args.expect:
        name, sep, regex = e.partition('=')
        if not sep or not name:
            ap.error('--expect wants NAME=REGEX, got %r' % e)
        expect.append((name, regex))
    log = open(args.log, 'w') if args.log else None
    status, _ = run(args.image, args.boot, args.timeout, allowed, args.icount, log,
                    input_text=text, expect=expect, input_prompt=args.input_prompt,
                    smp=args.smp)
    sys.exit(status)


if __name__ == '__main__':
    main()
