#!/usr/bin/env python3
"""The Linux reference for `scons bench`: Linux 6.1 on the same emulated machine.

Boots Debian's armhf kernel (linux-image-6.1.0-NN-armmp) in
`qemu-system-arm -M virt -cpu cortex-a15 -m 1024 -icount shift=0` with a
static benchmark (bench/linux/bench.c, built by arm-linux-gnueabihf-gcc) as
/init of a newc cpio initramfs written here, and reads back its figures.
Under -icount shift=0 one tick of the 62.5 MHz virtual counter is 16
instructions. See docs/linux-reference.md.

For site_scons/bench.py:

    import linux_bench
    figures = linux_bench.run('build', timeout=600,   # {name: instructions, or
                              traces=[atr, ...])      #  permille for frag_*, trace_*_peak/end}
    linux_bench.REFERENCE                             # the mission README's figures
    linux_bench.LAST                                  # kernel, clock, ticks, console log,
                                                      # samples {trace: [(op, live, ram)]}

run() raises LinuxBenchError (message says what to do) when the kernel cannot
be had, the toolchain is missing, QEMU fails or times out, or a figure is
missing. The kernel package and its vmlinuz are cached in <build>/linux/: a
second run does no network access and no apt look-up.

Alone:  python3 site_scons/linux_bench.py [--build-dir build] [--timeout 600]
"""
import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIR = os.path.join(ROOT, 'bench', 'linux')
CC = 'arm-linux-gnueabihf-gcc'
CFLAGS = ['-static', '-O2', '-Wall', '-Wextra']
TICK_INSTRUCTIONS = 16          # 62.5 MHz counter, 1 instruction = 1 ns
PKG_RE = re.compile(r'^linux-image-6\.1\.0-(\d+)-armmp$')

# (name, what it measures, per what), in the order bench.c prints them.
FIGURES = [
    ('anon_fault', 'anonymous first-touch page fault, 32 MiB', 'page'),
    ('uffd_fault', 'userfaultfd fault handled by a user thread (UFFDIO_COPY)', 'page'),
    ('sigsegv_mprotect', 'SIGSEGV handler + mprotect per page', 'page'),
    ('malloc_free', 'glibc malloc+free at once, sizes 16..512 cycling', 'pair'),
    ('malloc_free_pool', 'glibc free+malloc in a pool of 256 live blocks, 8..512 B', 'pair'),
    ('pipe_rtt', 'pipe round trip between two processes', 'round trip'),
    ('fork_exec_wait', 'fork + exec + wait of a static "hello", small parent', 'run'),
    ('pipe_rtt_cross_cpu', 'pipe round trip, the two processes pinned to CPUs 0 and 1', 'round trip'),
    ('fork_exec_wait_other_cpu', 'fork + exec + wait of "hello", the child pinned to CPU 1', 'run'),
    ('malloc_touch_64k', 'glibc malloc + touch 64 MiB in 64 KiB blocks', 'page'),
    ('fork_exec_wait_64m', 'fork + exec + wait of "hello", parent holds 64 MiB heap', 'run'),
    # not times: resident RAM the heap added x 1000 / bytes live (fragbench.c)
    ('frag_small_ram_per_live', 'heap fragmentation, small: RAM / live', 'permille'),
    ('frag_mixed_ram_per_live', 'heap fragmentation, mixed: RAM / live', 'permille'),
    ('frag_phase_ram_per_live', 'heap fragmentation, phase: RAM / live', 'permille'),
]

# The mission README's table (../shared/mission/README.md), in instructions
# (ticks x 16), for comparison only: run() returns what it measured. Its
# fork + exec + wait figure (461,300 ticks) is reproduced by
# fork_exec_wait_64m, not by the small-parent fork_exec_wait (see
# docs/linux-reference.md); malloc_free_pool has no README counterpart.
REFERENCE = {
    'anon_fault': 265 * 16,
    'uffd_fault': 1170 * 16,
    'sigsegv_mprotect': 847 * 16,
    'fork_exec_wait_64m': 461300 * 16,
    'pipe_rtt': 1021 * 16,
    'malloc_free': 9.8 * 16,
    'malloc_touch_64k': 268 * 16,
}

# Filled by run(): package, kernel release, clock, ticks per figure, log path.
LAST = {}


class LinuxBenchError(RuntimeError):
    pass


def _say(msg):
    print('linux-bench: ' + msg, flush=True)


def _out(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


# ---- the kernel ----------------------------------------------------------

def _find_package():
    """Newest linux-image-6.1.0-NN-armmp with an armhf candidate: (name, version) or None."""
    r = _out(['apt-cache', 'pkgnames', 'linux-image-6.1.0-'])
    found = []
    for name in r.stdout.split():
        m = PKG_RE.match(name.split(':')[0])
        if m:
            found.append((int(m.group(1)), m.group(0)))
    for _, name in sorted(set(found), reverse=True):
        pol = _out(['apt-cache', 'policy', name + ':armhf']).stdout
        m = re.search(r'Candidate:\s*(\S+)', pol)
        if m and m.group(1) != '(none)':
            return name, m.group(1)
    return None


def _need_root(cmds):
    lines = '\n'.join('    sudo ' + c for c in cmds)
    raise LinuxBenchError(
        "Debian's armhf package index is needed to fetch the Linux kernel, and setting it\n"
        'up needs root. Run this, then try again:\n' + lines)


def _armhf_package():
    foreign = _out(['dpkg', '--print-foreign-architectures']).stdout.split()
    root = os.geteuid() == 0
    if 'armhf' not in foreign:
        if not root:
            _need_root(['dpkg --add-architecture armhf', 'apt-get update'])
        _say('adding the armhf architecture to dpkg (dpkg --add-architecture armhf)')
        subprocess.run(['dpkg', '--add-architecture', 'armhf'], check=True)
    else:
        pkg = _find_package()
        if pkg:
            return pkg
        if not root:
            _need_root(['apt-get update'])
    # The index update can fail transiently for one architecture: retry
    # until the package shows up.
    for attempt in range(1, 4):
        _say('apt-get update (attempt %d)' % attempt)
        subprocess.run(['apt-get', 'update', '-q'], stdout=subprocess.DEVNULL)
        pkg = _find_package()
        if pkg:
            return pkg
    raise LinuxBenchError('no linux-image-6.1.0-*-armmp package for armhf after apt-get update; '
                          'is the Debian bookworm archive reachable?')


def kernel(build_dir):
    """Path of the cached vmlinuz, fetching and extracting the package once."""
    cache = os.path.join(build_dir, 'linux')
    os.makedirs(cache, exist_ok=True)
    stamp = os.path.join(cache, 'kernel.txt')
    if os.path.exists(stamp):
        with open(stamp) as f:
            fields = dict(line.split('=', 1) for line in f.read().splitlines() if '=' in line)
        vmlinuz = os.path.join(cache, fields.get('vmlinuz', ''))
        if fields.get('vmlinuz') and os.path.isfile(vmlinuz):
            LAST['package'] = '%s %s' % (fields.get('package'), fields.get('version'))
            return vmlinuz

    name, version = _armhf_package()
    _say('fetching %s %s (armhf) with apt-get download' % (name, version))
    debs = lambda: [f for f in os.listdir(cache) if f.startswith(name + '_') and f.endswith('_armhf.deb')]
    cmd = ['apt-get', 'download', '-q', '%s:armhf=%s' % (name, version)]
    if os.geteuid() == 0:
        cmd[2:2] = ['-o', 'APT::Sandbox::User=root']  # _apt cannot write into build/
    for attempt in range(1, 4):
        if subprocess.run(cmd, cwd=cache).returncode == 0 and debs():
            break
        _say('apt-get download failed (attempt %d)' % attempt)
    else:
        raise LinuxBenchError('apt-get download %s:armhf=%s failed' % (name, version))
    deb = sorted(debs())[-1]

    tmp = tempfile.mkdtemp(dir=cache)
    try:
        subprocess.run(['dpkg-deb', '-x', os.path.join(cache, deb), tmp], check=True)
        boot = os.path.join(tmp, 'boot')
        images = [f for f in os.listdir(boot) if f.startswith('vmlinuz-')]
        if len(images) != 1:
            raise LinuxBenchError('%s holds no single boot/vmlinuz-*' % deb)
        for f in os.listdir(boot):
            if f.startswith(('vmlinuz-', 'config-')):
                shutil.copy(os.path.join(boot, f), os.path.join(cache, f))
    finally:
        shutil.rmtree(tmp)
    with open(stamp, 'w') as f:
        f.write('package=%s\nversion=%s\ndeb=%s\nvmlinuz=%s\n' % (name, version, deb, images[0]))
    LAST['package'] = '%s %s' % (name, version)
    return os.path.join(cache, images[0])


# ---- the initramfs -------------------------------------------------------

def _compile(cache):
    if not shutil.which(CC):
        raise LinuxBenchError('%s not found: run  sh site_scons/ensure-deps.sh bench' % CC)
    out = {}
    frag = ['fragbench.c', 'heap_ram.c', '../frag/frag_workloads.c']
    replay = ['tracereplay.c', 'heap_ram.c', '../trace/trace_replay.c', '../trace/trace_lz.c',
              '../trace/trace_read.c']
    headers = [os.path.join(ROOT, 'bench', d, h) for d, h in
               (('frag', 'frag_workloads.h'), ('linux', 'heap_ram.h'),
                ('trace', 'trace_format.h'), ('trace', 'trace_replay.h'))]
    for prog, srcs, libs in (('init', ['bench.c'], ['-lpthread']), ('hello', ['hello.c'], []),
                             ('fragbench', frag, []), ('tracereplay', replay, [])):
        srcs = [os.path.normpath(os.path.join(SRC_DIR, s)) for s in srcs]
        deps = srcs + headers
        exe = os.path.join(cache, prog)
        if not os.path.exists(exe) or any(os.path.getmtime(s) > os.path.getmtime(exe) for s in deps):
            r = _out([CC] + CFLAGS + ['-o', exe] + srcs + libs)
            if r.returncode != 0:
                raise LinuxBenchError('compiling %s failed:\n%s' % (prog, r.stderr))
        out[prog] = exe
    return out


def _newc(entries):
    """A newc ("070701") cpio archive of (name, mode, data, rdev_major, rdev_minor)."""
    blob = bytearray()

    def pad4():
        blob.extend(b'\0' * (-len(blob) % 4))

    for ino, (name, mode, data, rmaj, rmin) in enumerate(entries + [('TRAILER!!!', 0, b'', 0, 0)], 1):
        fields = [ino if name != 'TRAILER!!!' else 0, mode, 0, 0,
                  2 if stat.S_ISDIR(mode) else 1, 0, len(data), 0, 0, rmaj, rmin,
                  len(name) + 1, 0]
        blob.extend(b'070701' + b''.join(b'%08X' % v for v in fields))
        blob.extend(name.encode() + b'\0')
        pad4()
        blob.extend(data)
        pad4()
    blob.extend(b'\0' * (-len(blob) % 512))
    return bytes(blob)


def initramfs(build_dir, traces=()):
    """The initramfs: the programs, and each trace module as /traces/<file>."""
    cache = os.path.join(build_dir, 'linux')
    os.makedirs(cache, exist_ok=True)
    progs = _compile(cache)
    entries = [
        ('dev', stat.S_IFDIR | 0o755, b'', 0, 0),
        ('dev/console', stat.S_IFCHR | 0o600, b'', 5, 1),   # init's stdin/out/err
        ('traces', stat.S_IFDIR | 0o755, b'', 0, 0),
    ]
    for name in ('init', 'hello', 'fragbench', 'tracereplay'):
        with open(progs[name], 'rb') as f:
            entries.append((name, stat.S_IFREG | 0o755, f.read(), 0, 0))
    for path in traces:
        with open(path, 'rb') as f:
            entries.append(('traces/' + os.path.basename(path), stat.S_IFREG | 0o644,
                            f.read(), 0, 0))
    path = os.path.join(cache, 'initrd.cpio')
    with open(path, 'wb') as f:
        f.write(_newc(entries))
    return path


# ---- the run -------------------------------------------------------------

SMP = 4     # boot.DEFAULT_SMP: Autarky's benchmark boots use the same machine

def qemu_command(vmlinuz, initrd, smp=SMP):
    # panic=-1 with -no-reboot: should init die, QEMU exits at once instead
    # of waiting for the timeout. Neither changes what is measured. The
    # same cores as Autarky's boots (boot.DEFAULT_SMP), but only CPU 0 is
    # brought up at boot (maxcpus=1): under -icount an SMP boot livelocks in
    # stop_machine. /init pins itself to CPU 0 and brings CPU 1 up just
    # before the *_cross_cpu / *_other_cpu figures (bench.c, online_cpu).
    return ['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15', '-m', '1024',
            '-smp', str(smp), '-icount', 'shift=0', '-nographic', '-no-reboot',
            '-kernel', vmlinuz, '-initrd', initrd,
            '-append', 'console=ttyAMA0 quiet panic=-1 maxcpus=1']


def trace_figures(atr):
    """The figure names the Linux replay of trace module `atr` prints."""
    name = os.path.basename(atr)[:-len('.atr')]
    return ['trace_%s_%s' % (name, k) for k in ('peak', 'end', 'ops')]


def parse_samples(lines, prefix):
    """{trace: [(records done, live bytes, heap RAM bytes)]} from `<prefix> NAME op live ram`."""
    samples = {}
    for line in lines:
        m = re.match(r'^%s (\S+) (\d+) (\d+) (\d+)\s*$' % re.escape(prefix), line.strip())
        if m:
            samples.setdefault(m.group(1), []).append(tuple(int(m.group(i)) for i in (2, 3, 4)))
    return samples


def parse(console):
    """Figures from the console output: ({name: ticks}, {name: value}, clock line, kernel,
    errors, done). Values (`LINUX-VALUE name n`) are figures that are not times."""
    ticks, values, errors, clock, release, done = {}, {}, [], None, None, False
    for line in console.splitlines():
        line = line.strip('\r\n ')
        v = re.match(r'^LINUX-VALUE (\S+) (\d+)$', line)
        if v:
            values[v.group(1)] = int(v.group(2))
            continue
        m = re.match(r'^LINUX (\S+)(?: (.*))?$', line)
        if not m:
            continue
        key, rest = m.group(1), m.group(2) or ''
        if key == 'clock':
            clock = rest
        elif key == 'kernel':
            release = rest
        elif key == 'error':
            errors.append(rest)
        elif key == 'done':
            done = True
        elif re.match(r'^[0-9.]+$', rest):
            ticks[key] = float(rest)
    return ticks, values, clock, release, errors, done


def run(build_dir, timeout, traces=()):
    """Boot Linux with the benchmark; return {name: instructions per operation}.

    build_dir: the build directory ('build'); the kernel, binaries, initramfs
    and console log go to <build_dir>/linux/. timeout: seconds for the QEMU
    run (the one-time download has its own). traces: trace modules (.atr,
    bench/trace/trace_format.h) to replay too; their figures are
    trace_<NAME>_{peak,end,ops}, NAME the file name without .atr. Raises
    LinuxBenchError.
    """
    LAST.clear()
    vmlinuz = kernel(build_dir)
    initrd = initramfs(build_dir, traces)
    if not shutil.which('qemu-system-arm'):
        raise LinuxBenchError('qemu-system-arm not found: run  sh site_scons/ensure-deps.sh bench')
    cmd = qemu_command(vmlinuz, initrd)
    log_path = os.path.join(build_dir, 'linux', 'console.log')
    _say('booting %s (%s)' % (os.path.basename(vmlinuz), LAST.get('package', '?')))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        console, rc = r.stdout.decode('utf-8', 'replace'), r.returncode
    except subprocess.TimeoutExpired as e:
        console = (e.stdout or b'').decode('utf-8', 'replace')
        rc = 'timeout after %ss' % timeout
    with open(log_path, 'w') as f:
        f.write(console)
    ticks, values, clock, release, errors, done = parse(console)
    LAST.update(kernel=release, clock=clock, ticks=ticks, log=log_path,
                samples=parse_samples(console.splitlines(), 'LINUX-SAMPLE'))

    tail = '\n'.join(console.splitlines()[-15:])
    if errors:
        raise LinuxBenchError('benchmark errors: %s (console: %s)' % ('; '.join(errors), log_path))
    wanted = [n for n, _, _ in FIGURES] + [f for t in traces for f in trace_figures(t)]
    missing = [n for n in wanted if n not in ticks and n not in values]
    if not done or missing or rc != 0:
        raise LinuxBenchError('Linux run incomplete (qemu status %s, missing %s); last lines of %s:\n%s'
                              % (rc, ', '.join(missing) or 'none', log_path, tail))
    if not clock or not clock.startswith('cntvct'):
        _say('WARNING: CNTVCT was not readable from user space; figures timed with %s' % clock)
    else:
        _say('timed with the virtual counter (%s); kernel %s' % (clock, release))
    figures = {n: int(round(t * TICK_INSTRUCTIONS)) for n, t in ticks.items()}
    figures.update(values)
    return figures


def _fmt(v):
    return '{:,}'.format(int(round(v)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--timeout', type=float, default=600)
    a = ap.parse_args(argv)
    try:
        figs = run(a.build_dir, a.timeout)
    except LinuxBenchError as e:
        print('linux-bench: FAILED: %s' % e, file=sys.stderr)
        return 1
    print('%-19s %12s %14s %14s %8s' % ('figure', 'ticks', 'instructions', 'README', 'diff'))
    for name, what, per in FIGURES:
        ref = REFERENCE.get(name)
        t = LAST['ticks'].get(name)
        print('%-19s %12s %14s %14s %8s  per %s: %s'
              % (name, '%.2f' % t if t is not None else '-', _fmt(figs[name]),
                 _fmt(ref) if ref else '-',
                 '%+.1f%%' % (100.0 * (figs[name] - ref) / ref) if ref else '',
                 per, what))
    return 0


if __name__ == '__main__':
    sys.exit(main())
