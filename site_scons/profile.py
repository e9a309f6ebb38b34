#!/usr/bin/env python3
"""Where the instructions go: a flat profile of one boot, by domain and function.

    python3 site_scons/profile.py build/autarky.elf --boot "procbench" \
        [--per 55] [--from DOMAIN:FUNCTION] [--top 40] [--keep-trace FILE]

Boots the image once under `qemu-system-arm -icount shift=0` with
`-d in_asm,exec,nochain` (every translated block is listed once with its
instructions, every execution of a block is logged), then charges each
executed block's instructions to the function holding its first
instruction, in the kernel (addresses at or above 2 GiB, symbols of the
image) or in the domain whose ELF has exactly those instruction words at
that address (domains are all linked at the same addresses, so the words
tell them apart; a block no ELF matches is charged to '?'). Blocks that
QEMU ends early (an exception, an interrupt) are charged whole: the figures
are exact to within a few per cent, not to the instruction.

--from DOMAIN:FUNCTION starts counting at the first block of that function
(e.g. procbench:main, so the boot is left out); --per N divides by N (the
number of operations the program timed). The trace of a run of 20 million
instructions is about 350 MB; it is written to a temporary file and deleted
unless --keep-trace is given. A developer tool, not a test or a benchmark:
docs/benchmarks.md ("Profiling") shows what it found.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (image_modules: the image's boot modules)
import boot  # noqa: E402  (kernel_cmdline: what QEMU passes as -append)

QEMU = ['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15', '-m', '1024',
        '-nographic', '-no-reboot', '-icount', 'shift=0']
KERNEL_BASE = 0x80000000
RE_INSN = re.compile(r'^0x([0-9a-f]+):\s+([0-9a-f]{8})')
RE_EXEC = re.compile(r'^Trace \d+: (0x[0-9a-f]+) \[[0-9a-f]+/([0-9a-f]+)/')


def symbols(elf):
    """Sorted (address, name) of the functions of `elf`."""
    out = subprocess.run(['arm-none-eabi-nm', '-n', '--defined-only', elf],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in 'tTwW':
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def text_words(elf):
    """{address: instruction word} of the .text of `elf`."""
    out = subprocess.run(['arm-none-eabi-objdump', '-d', '--section=.text', elf],
                         capture_output=True, text=True, check=True).stdout
    words = {}
    for line in out.splitlines():
        m = re.match(r'^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s', line)
        if m:
            words[int(m.group(1), 16)] = int(m.group(2), 16)
    return words


class Image:
    """The kernel's and every boot module's symbols and code words (the
    modules' ELFs from the first of `domain_dirs` that has them)."""

    def __init__(self, image, domain_dirs):
        self.syms = {'kernel': symbols(image)}
        self.words = {}
        for name in bench.image_modules(image):
            for d in domain_dirs:
                path = os.path.join(d, name)
                if os.path.isfile(path):
                    self.syms[name] = symbols(path)
                    self.words[name] = text_words(path)
                    break

    def owner(self, block):
        """Who a translated block [(address, word), ...] belongs to."""
        if block[0][0] >= KERNEL_BASE:
            return 'kernel'
        for name, words in self.words.items():
            if all(words.get(a) == w for a, w in block[:4]):
                return name
        return '?'

    def function(self, owner, pc):
        syms = self.syms.get(owner)
        if not syms:
            return hex(pc)
        i = bisect.bisect_right(syms, (pc, '\uffff')) - 1
        return syms[i][1] if i >= 0 else hex(pc)


def profile(trace, img, start):
    """{(owner, function): instructions} from a trace; counting begins at
    the first block of `start` (owner, function), or at once if None."""
    blocks = {}                 # host block pointer -> (owner, function, length)
    counts = collections.Counter()
    pending, listing = None, None
    active = start is None
    with open(trace, errors='replace') as f:
        for line in f:
            if line.startswith('IN:'):
                listing = []
                continue
            if listing is not None:
                m = RE_INSN.match(line)
                if m:
                    listing.append((int(m.group(1), 16), int(m.group(2), 16)))
                    continue
                if not line.strip():
                    pending, listing = listing, None
                continue
            m = RE_EXEC.match(line)
            if not m:
                continue
            host, pc = m.group(1), int(m.group(2), 16)
            if pending and pending[0][0] == pc:      # the block just translated
                owner = img.owner(pending)
                blocks[host] = (owner, img.function(owner, pc), len(pending))
                pending = None
            b = blocks.get(host)
            if b is None:
                continue
            if not active and (b[0], b[1]) == start:
                active = True
            if active:
                counts[(b[0], b[1])] += b[2]
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('image')
    ap.add_argument('--boot', required=True, help='the boot command list (BOOT=)')
    ap.add_argument('--from', dest='start', help='DOMAIN:FUNCTION where counting starts')
    ap.add_argument('--per', type=float, default=1.0, help='divide the figures by this')
    ap.add_argument('--top', type=int, default=40)
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--keep-trace', help='write the trace here and keep it')
    ap.add_argument('--smp', default=str(boot.DEFAULT_SMP), help='cores (1..8)')
    a = ap.parse_args()
    start = tuple(a.start.split(':', 1)) if a.start else None
    # the domains' ELFs; trace replayers (tr_*) live beside their trace
    # modules; the bench image (build/bench/) has the boot image's domains
    build = os.path.dirname(os.path.abspath(a.image))
    if os.path.basename(build) == 'bench':
        build = os.path.dirname(build)
    img = Image(a.image, [os.path.join(build, d) for d in
                          ('domains', 'test_traces', os.path.join('bench', 'traces'))])
    trace = a.keep_trace or tempfile.mktemp(prefix='autarky-trace-', suffix='.log')
    try:
        subprocess.run(QEMU + ['-smp', a.smp, '-kernel', a.image, '-append', boot.kernel_cmdline(a.boot),
                               '-d', 'in_asm,exec,nochain', '-D', trace],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=a.timeout, check=False)
        counts = profile(trace, img, start)
    finally:
        if not a.keep_trace and os.path.exists(trace):
            os.unlink(trace)
    total = sum(counts.values())
    if total == 0:
        sys.exit('profile: nothing counted (is --from right? is the domain in the image?)')
    by_owner = collections.Counter()
    for (owner, _), n in counts.items():
        by_owner[owner] += n
    print('instructions%s: %s' % (' per %g' % a.per if a.per != 1 else '',
                                  '{:,.0f}'.format(total / a.per)))
    print('by domain: ' + ', '.join('%s %s' % (o, '{:,.0f}'.format(n / a.per))
                                    for o, n in by_owner.most_common()))
    print('%12s %6s  %-10s %s' % ('instructions', '%', 'where', 'function'))
    for (owner, fn), n in counts.most_common(a.top):
        print('%12s %5.1f%%  %-10s %s' % ('{:,.0f}'.format(n / a.per), 100.0 * n / total,
                                          owner, fn))


if __name__ == '__main__':
    main()
