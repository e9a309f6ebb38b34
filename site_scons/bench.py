#!/usr/bin/env python3
"""`scons bench`: Autarky and Linux 6.1 in instructions under -icount shift=0, in one run.

    python3 site_scons/bench.py build/bench/autarky.elf [--timeout S] [--scale PCT]
        [--build-dir DIR] [--linux-timeout S] [--traces a.atr,b.atr]

Builds nothing (SCons built the image). In one run it
  1. checks that every program in PROGRAMS is a boot module of the image;
  2. measures Linux: site_scons/linux_bench.py's run() boots Debian's armhf
     Linux 6.1 on the same emulated machine with its static benchmark as
     /init (bench/linux/; docs/linux-reference.md);
  3. boots the image once per program in PROGRAMS through boot.py's run()
     with -icount shift=0 and BOOT="<program>" (BOOT="<program> <PCT>" with
     --scale) and collects its `BENCH <name> <instructions> <unit>` lines;
  4. replays each trace module of --traces (bench/trace/) on both: the
     Autarky boot module tr_<NAME> (BOOT="tr_<NAME>"), and on Linux
     bench/linux/tracereplay in the same Linux run as everything else;
  5. prints the contract lines, one per row of PAIRS, AUTARKY_ONLY and
     LINUX_ONLY (see print_lines), then a readable table;
  6. writes a plot per trace and fragbench workload, RAM held and live
     bytes over the run on both systems, as <image dir>/plot_NAME.svg
     (site_scons/bench_plots.py, python3-matplotlib).

The contract (issues 3, 4 and 5), one line each:

    bench: LABEL autarky=N linux=N ratio=R      a pair; R = linux / autarky, one decimal
    bench: NAME autarky=N                       an Autarky figure without a Linux counterpart
    bench: NAME linux=N (no autarky figure yet) a pair's Linux figure while the Autarky
                                                one is not measured yet (NAME: the Linux name)

and per trace (issue 11), in PAIRS' place among the pairs:

    bench: trace_NAME_peak autarky=N linux=N ratio=R   heap RAM / live at the live peak, permille
    bench: trace_NAME_end  autarky=N linux=N ratio=R   the same after the last record
    bench: trace_NAME_ops  autarky=N linux=N ratio=R   instructions per record

To add a benchmark: put its program (a domain printing BENCH lines, taking
an optional iteration scale in percent as its first argument) in PROGRAMS,
and its figures in PAIRS (or AUTARKY_ONLY). A PAIRS row whose Autarky figure
no program printed gives the linux-only line, not an error.

A benchmark, not a test: no figure is compared against a threshold (GOALS
are printed, never enforced). Exit status: 0 if everything was measured;
1 if a listed program is not in the image, the Linux run failed (its message
says what to do), a required figure is missing or two programs print the
same figure; boot.py's failure status if a boot failed. See docs/benchmarks.md.
"""

import argparse
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autarky_traces  # noqa: E402
import bench_plots  # noqa: E402
import boot  # noqa: E402
import linux_bench  # noqa: E402

# ---- what is measured ----------------------------------------------------

# Every Autarky benchmark program (a boot module of the image), booted in
# this order, one boot each. A listed program missing from the image is an
# error, as is a failed boot.
PROGRAMS = ['rpcbench', 'faultbench', 'fragbench', 'procbench', 'xchanbench']

# Figures a program must print (a missing one is an error). A program not
# named here must print at least one BENCH line.
REQUIRED = {
    'rpcbench': ['rpc_roundtrip', 'rpc_roundtrip_min', 'ram_cap_request',
                 'ram_cap_rpc_only', 'string_64k_per_kib', 'string_64k',
                 'counter_read_pair_min'],
    'faultbench': ['fault_first_touch', 'fault_first_touch_min', 'touch_mapped_page',
                   'malloc_touch_64k', 'malloc_free'],
}

# The comparisons: (Autarky BENCH name, linux_bench figure name, label).
# The label is the NAME of the `bench: NAME autarky=N linux=N ratio=R` line.
# A row whose Autarky figure no program printed gives
# `bench: <linux name> linux=N (no autarky figure yet)` instead.
PAIRS = [
    ('rpc_roundtrip', 'pipe_rtt', 'rpc_roundtrip'),                     # issue 3
    ('fault_first_touch', 'anon_fault', 'fault_vs_anon_fault'),         # issue 4
    ('fault_first_touch', 'uffd_fault', 'fault_vs_uffd_fault'),
    ('fault_first_touch', 'sigsegv_mprotect', 'fault_vs_sigsegv_mprotect'),
    ('malloc_touch_64k', 'malloc_touch_64k', 'malloc_touch_64k'),
    ('malloc_free', 'malloc_free', 'malloc_free'),
    ('spawn_exit', 'fork_exec_wait', 'spawn'),                          # issue 5
    ('rpc_roundtrip_cross_core', 'pipe_rtt_cross_cpu', 'rpc_roundtrip_cross_core'),  # issue 12
    ('spawn_remote_core', 'fork_exec_wait_other_cpu', 'spawn_remote_core'),
    ('spawn_exit', 'fork_exec_wait_64m', 'spawn_vs_fork_64m_parent'),   # the README's figure
    # RAM mapped x 1000 / bytes live, the same workloads (bench/frag/) over
    # glibc: not instructions, but the ratio reads the same way (above 1:
    # Autarky needs less RAM for the same live bytes)
    ('frag_small_ram_per_live', 'frag_small_ram_per_live', 'frag_small_ram_per_live'),
    ('frag_mixed_ram_per_live', 'frag_mixed_ram_per_live', 'frag_mixed_ram_per_live'),
    ('frag_phase_ram_per_live', 'frag_phase_ram_per_live', 'frag_phase_ram_per_live'),
]

# Goals from the issues, as a minimum ratio linux/autarky, by label: shown
# in the table, never enforced.
GOALS = {
    'rpc_roundtrip': 10.0,
    'rpc_roundtrip_cross_core': 10.0,
    'fault_vs_anon_fault': 1.0,
    'fault_vs_uffd_fault': 5.0,
    'fault_vs_sigsegv_mprotect': 5.0,
    'malloc_free': 1.0,
    'spawn': 10.0,
}

# Goals on the Autarky figure itself, as a maximum, by label (issue 4: RAM
# mapped within 10 % of bytes live): shown in the table, never enforced.
MAXIMUM_GOALS = {
    'frag_small_ram_per_live': 1100,
    'frag_mixed_ram_per_live': 1100,
    'frag_phase_ram_per_live': 1100,
}

# Autarky figures with no Linux counterpart: `bench: NAME autarky=N`.
AUTARKY_ONLY = ['ram_cap_request', 'string_64k_per_kib']

# Autarky figures that refine another one (shown in the table only). Any
# BENCH figure in none of PAIRS, AUTARKY_ONLY and DETAILS also gets a
# `bench: NAME autarky=N` line, so a new figure is never dropped silently.
DETAILS = ['spawn_exit_min', 'spawn_remote_core_min', 'rpc_roundtrip_cross_core_min', 'rpc_roundtrip_min', 'ram_cap_rpc_only', 'string_64k', 'counter_read_pair_min']

# What each Autarky figure is, for the table (unknown names print bare).
DESCRIPTIONS = {
    'rpc_roundtrip': 'RPC round trip (aos_rpc_send_number to init), mean',
    'rpc_roundtrip_min': 'RPC round trip, best single call',
    'ram_cap_request': 'RAM cap 4 KiB: get_ram_cap + cap_delete + slot_free',
    'ram_cap_rpc_only': 'RAM cap 4 KiB: get_ram_cap alone',
    'string_64k_per_kib': '64 KiB aos_rpc_send_string, per KiB',
    'string_64k': '64 KiB aos_rpc_send_string, whole call',
    'counter_read_pair_min': 'two back-to-back counter reads (resolution)',
    'rpc_roundtrip_cross_core': 'RPC round trip to a domain on core 1 (UMP channel, doorbells), mean',
    'rpc_roundtrip_cross_core_min': 'RPC round trip to another core, best single call',
    'spawn_remote_core': 'spawn + wait of nop on core 1 (through core 1\'s init), mean',
    'spawn_remote_core_min': 'spawn + wait on core 1, best single run',
}

RE_BENCH = re.compile(r'^BENCH (\S+) (\d+) (\S+)\s*$')


class BenchError(Exception):
    """A failure that makes the run worthless; .status is the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


# ---- the image's boot modules ----------------------------------------------

MODULE_TABLE_MAGIC = 0x4d4f4455     # site_scons/autarky_modules.py
MODULE_NAME_LEN = 32


def image_modules(image):
    """Names of the boot modules packed into the image (its .modules section)."""
    with open(image, 'rb') as f:
        elf = f.read()
    if elf[:4] != b'\x7fELF' or elf[4] != 1 or elf[5] != 1:
        raise BenchError('%s is not a 32-bit little-endian ELF' % image)
    shoff, = struct.unpack_from('<I', elf, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', elf, 0x2e)

    def section(i):
        # name, type, flags, addr, offset, size
        return struct.unpack_from('<IIIIII', elf, shoff + i * shentsize)

    strtab = section(shstrndx)
    for i in range(shnum):
        sec = section(i)
        start = strtab[4] + sec[0]
        name = elf[start:elf.index(b'\0', start)].decode()
        if name != '.modules':
            continue
        off = sec[4]
        magic, count = struct.unpack_from('<II', elf, off)
        if magic != MODULE_TABLE_MAGIC:
            raise BenchError('%s: .modules does not start with the module table' % image)
        names = []
        for k in range(count):
            raw = elf[off + 8 + k * (MODULE_NAME_LEN + 8):][:MODULE_NAME_LEN]
            names.append(raw.split(b'\0', 1)[0].decode())
        return names
    raise BenchError('%s has no .modules section (no boot modules)' % image)


# ---- Autarky ---------------------------------------------------------------

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


def trace_name(atr):
    return os.path.basename(atr)[:-len('.atr')]


def trace_pairs(traces):
    """The PAIRS rows of the trace replays: the same figure names on both sides."""
    return [('trace_%s_%s' % (trace_name(t), k),) * 3 for t in traces
            for k in ('peak', 'end', 'ops')]


def trace_goals(traces):
    """(minimum ratio, maximum Autarky figure) by label (issue 11): RAM within 10 %
    of live and no worse than glibc; no more instructions per record than glibc."""
    goals, maxima = {}, {}
    for t in traces:
        for k in ('peak', 'end', 'ops'):
            goals['trace_%s_%s' % (trace_name(t), k)] = 1.0
        for k in ('peak', 'end'):
            maxima['trace_%s_%s' % (trace_name(t), k)] = 1100
    return goals, maxima


def run_autarky(image, timeout, scale, traces=(), samples=None):
    """Boot each program of PROGRAMS and each trace's replayer;
    {name: (instructions, unit, program)}; a trace's TRACE-SAMPLE lines go
    into samples[NAME] (if given)."""
    figures = {}
    programs = [(p, p if scale is None else '%s %d' % (p, scale)) for p in PROGRAMS]
    programs += [(autarky_traces.module_name(trace_name(t)),) * 2 for t in traces]
    for prog, cmd in programs:
        print('=== bench: booting %s with -icount shift=0, BOOT="%s"' % (image, cmd),
              flush=True)
        log = Collector()
        status, _ = boot.run(image, cmd, timeout, set(), True, log)
        if status != 0:
            raise BenchError('the boot of %s failed (boot.py status %d)' % (prog, status),
                             status)
        got = parse(log.lines)
        if samples is not None:
            samples.update(linux_bench.parse_samples(log.lines, 'TRACE-SAMPLE'))
            samples.update(linux_bench.parse_samples(log.lines, 'FRAG-SAMPLE'))
        required = REQUIRED.get(prog, [])
        missing = [n for n in required if n not in got]
        if missing:
            raise BenchError('%s printed no BENCH line for: %s' % (prog, ', '.join(missing)))
        if not got:
            raise BenchError('%s printed no BENCH line at all' % prog)
        for name, (value, unit) in got.items():
            if name in figures:
                raise BenchError('figure %s printed by both %s and %s'
                                 % (name, figures[name][2], prog))
            figures[name] = (value, unit, prog)
    return figures


# ---- output ----------------------------------------------------------------

def fmt(n):
    return '{:,}'.format(int(round(n)))


def ratio(autarky, linux):
    return '%.1f' % (linux / autarky) if autarky else 'inf'


def contract_lines(aut, lin, pairs):
    """The `bench:` lines, in the order pairs, AUTARKY_ONLY, others, LINUX_ONLY."""
    out, linux_only = [], []
    for a_name, l_name, label in pairs:
        if a_name in aut:
            a = aut[a_name][0]
            out.append('bench: %s autarky=%d linux=%d ratio=%s'
                       % (label, a, lin[l_name], ratio(a, lin[l_name])))
        elif l_name not in linux_only:
            linux_only.append(l_name)
    paired = {p[0] for p in pairs}
    known = paired | set(AUTARKY_ONLY) | set(DETAILS)
    extra = [n for n in aut if n not in known]
    for name in AUTARKY_ONLY + extra:
        if name in aut:
            out.append('bench: %s autarky=%d' % (name, aut[name][0]))
    for name in linux_only:
        out.append('bench: %s linux=%d (no autarky figure yet)' % (name, lin[name]))
    return out


def grid(heads, rows):
    widths = [max(len(r[i]) for r in rows + [heads]) for i in range(len(heads))]
    out = ['  '.join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    out.append('-' * len(out[0]))
    for r in rows:
        out.append('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return out


def tables(aut, lin, pairs, goals, maxima):
    out = ['Autarky figures (instructions under -icount shift=0; frag_* in their own units):']
    rows = [(name, fmt(v), unit, prog, DESCRIPTIONS.get(name, ''))
            for name, (v, unit, prog) in aut.items()]
    out += ['  ' + l for l in grid(('figure', 'value', 'unit', 'program', 'what'), rows)]

    out.append('')
    out.append('Linux 6.1 figures, measured in this run (mission README figure as a cross-check):')
    rows = []
    for name, what, per in linux_bench.FIGURES:
        ref = linux_bench.REFERENCE.get(name)
        rows.append((name, fmt(lin[name]), per, fmt(ref) if ref else '-',
                     '%+.1f%%' % (100.0 * (lin[name] - ref) / ref) if ref else '', what))
    out += ['  ' + l for l in grid(('figure', 'value', 'per', 'README', 'diff', 'what'),
                                   rows)]

    out.append('')
    out.append('Pairs (ratio = Linux / Autarky; above 1 means Autarky is cheaper):')
    rows = []
    for a_name, l_name, label in pairs:
        goal, most = goals.get(label), maxima.get(label)
        goal_s = ' and '.join(g for g in ('>= %.1fx' % goal if goal else '',
                                           'autarky <= %d' % most if most else '') if g)
        if a_name in aut:
            a = aut[a_name][0]
            r = lin[l_name] / a if a else float('inf')
            met = (goal is None or r >= goal) and (most is None or a <= most)
            verdict = ('reached' if met else 'not reached') if goal_s else ''
            rows.append((label, a_name, fmt(a), l_name, fmt(lin[l_name]),
                         '%.1fx' % r, goal_s, verdict))
        else:
            rows.append((label, a_name, '(not yet)', l_name, fmt(lin[l_name]), '-',
                         goal_s, ''))
    out += ['  ' + l for l in grid(('label', 'autarky figure', 'autarky', 'linux figure',
                                    'linux', 'ratio', 'goal', ''), rows)]
    info = linux_bench.LAST
    out.append('')
    out.append('Linux: %s, kernel %s, clock %s; console in %s.'
               % (info.get('package', '?'), info.get('kernel', '?'), info.get('clock', '?'),
                  info.get('log', '?')))
    out.append('All figures but frag_* and trace_*_peak/end (permille of live bytes): instructions under -icount '
               'shift=0 (counter ticks x 16). Autarky\'s repeat to within a tick')
    out.append("per interval; Linux's vary by about 0.1 % between runs (fork_exec_wait by up "
               'to 2 %: 20 runs).')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('image')
    ap.add_argument('--timeout', type=float, default=300,
                    help='seconds for each Autarky boot (default 300)')
    ap.add_argument('--scale', type=int, default=None,
                    help='Autarky iteration counts in percent (quick runs); default 100')
    ap.add_argument('--build-dir', default=None,
                    help="Linux kernel cache and console log go to <dir>/linux "
                         "(default: the image's directory)")
    ap.add_argument('--linux-timeout', type=float, default=600,
                    help='seconds for the Linux boot (default 600)')
    ap.add_argument('--traces', default='',
                    help='trace modules to replay on both systems, comma separated '
                         '(build/bench/traces/NAME.atr; the image has tr_NAME)')
    args = ap.parse_args()
    traces = [t for t in args.traces.split(',') if t]
    pairs = PAIRS + trace_pairs(traces)
    goals, maxima = trace_goals(traces)
    goals.update(GOALS)
    maxima.update(MAXIMUM_GOALS)
    unknown = [p[1] for p in PAIRS if p[1] not in {f[0] for f in linux_bench.FIGURES}]
    if unknown:
        sys.exit('bench: PAIRS names Linux figure(s) linux_bench does not measure: %s'
                 % ', '.join(unknown))
    build_dir = args.build_dir or os.path.dirname(os.path.abspath(args.image))

    try:
        modules = image_modules(args.image)
        absent = [p for p in PROGRAMS if p not in modules]
        absent += [autarky_traces.module_name(trace_name(t)) for t in traces
                   if autarky_traces.module_name(trace_name(t)) not in modules]
        if absent:
            raise BenchError('benchmark program(s) not in %s: %s (its modules: %s)'
                             % (args.image, ', '.join(absent), ', '.join(modules)))

        print('=== bench: Linux 6.1 reference (site_scons/linux_bench.py)', flush=True)
        try:
            lin = linux_bench.run(build_dir, args.linux_timeout, traces)
        except linux_bench.LinuxBenchError as e:
            raise BenchError('the Linux reference run failed:\n%s' % e)

        samples = {}
        aut = run_autarky(args.image, args.timeout, args.scale, traces, samples)
    except BenchError as e:
        print('=== bench: FAILED', flush=True)
        print('bench: FAILED: %s' % e, flush=True)
        sys.exit(e.status)

    print('=== bench: results', flush=True)
    for line in contract_lines(aut, lin, pairs):
        print(line)
    print()
    print('\n'.join(tables(aut, lin, pairs, goals, maxima)), flush=True)
    plots = bench_plots.plot_all(samples, linux_bench.LAST.get('samples', {}),
                                 os.path.dirname(os.path.abspath(args.image)))
    if plots:
        print('\nPlots (RAM held and live bytes over the run, both systems): %s'
              % ', '.join(os.path.relpath(p) for p in plots), flush=True)
    sys.exit(0)


if __name__ == '__main__':
    main()
