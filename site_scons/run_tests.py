#!/usr/bin/env python3
"""`scons test`: every test of Autarky, with one verdict at the end.

1. the host unit tests (CUnit: capability layer, page tables, device tree...)
2. every QEMU boot test in BOOT_TESTS, each through boot.py

Ends with one line "N passed, N failed" (test cases summed over all suites)
and exits non-zero if any case failed or any suite did not report.
To add a QEMU test, add an entry to BOOT_TESTS.
"""

import argparse
import os
import re
import subprocess
import sys
import time

import boot



def shell_output(command, line):
    """A regex for boot.py's --expect: the shell's echo of `command` after
    its prompt, then (before the next prompt) a whole line matching `line`.
    Lines of other domains may come in between."""
    return (r'^autarky> %s$(?:\n(?!autarky> ).*)*?\n%s$'
            % (re.escape(command), line))


# The interactive shell driven by scripted input (docs/shell.md). init's
# boot command runner (pid 1) runs `shell` as its boot command (pid 2), so
# the pids are known: hello 3, spinner 4, hello 5, hello 6, spinner 7. Each
# line is typed after a new prompt. The runner's verdict on `shell`
# (TEST CMD shell) adds that it exited with status 0 and that all RAM came
# back, killed spinners too.
SHELL_INPUT = (
    'help\n'
    'run hello a b\n'
    'run spinner &\n'
    'ps\n'
    'vmmap 4\n'
    'kill 4\n'
    'wait 4\n'
    'kill 4\n'
    'wait 3\n'
    'run hello --exit 3 &\n'
    'wait 5\n'
    'run hello xy\x7fz ab\x08c\n'
    'free\n'
    'bogus\n'
    'kill abc\n'
    'run spinner &\n'
    'run nosuch\n'
    'exit\n'
)
SHELL_EXPECT = [
    ('SHELL_HELP', r'^autarky> help\ncommands:\n  help .*\n  ps .*\n  run .*\n'
                   r'  kill .*\n  wait .*\n  free .*\n  vmmap .*\n  exit .*$'),
    ('SHELL_RUN_ARGS', shell_output('run hello a b', r'hello: \[hello\] \[a\] \[b\]')),
    ('SHELL_RUN_STATUS', shell_output('run hello a b', r'\[3\] exited with status 0')),
    ('SHELL_RUN_BACKGROUND', shell_output('run spinner &', r'\[4\] started')),
    ('SHELL_PS_SPINNER', shell_output('ps', r' +4  running +0 +\d+ +\d+  spinner')),
    ('SHELL_PS_SELF', shell_output('ps', r' +2  running +0 +\d+ +\d+  shell')),
    ('SHELL_VMMAP', shell_output('vmmap 4', r'  address space by buddy tag.*')),
    ('SHELL_VMMAP_STACK', r'^    STACK +[1-9]\d* blocks +\d+ KiB$'),
    ('SHELL_VMMAP_BLOCKS', r'^  blocks \(start-end, size, tag\):\n    0x00000000-0x000fffff +1024 KiB  GUARD$'),
    ('SHELL_VMMAP_BLOCK_STACK', r'^    0x[0-9a-f]{8}-0x[0-9a-f]{8} +\d+ KiB  STACK$'),
    ('SHELL_KILL', shell_output('kill 4', r'\[4\] killed')),
    ('SHELL_WAIT_KILLED', shell_output('wait 4', r'\[4\] killed')),
    ('SHELL_KILL_TWICE', shell_output('kill 4', r'kill: cannot kill pid 4: [A-Z_]+ \(.*')),
    ('SHELL_WAIT_EXITED', shell_output('wait 3', r'\[3\] exited with status 0')),
    ('SHELL_BACKGROUND_STATUS', r'^\[5\] exited with status 3$'),
    ('SHELL_LINE_EDITING', r'^hello: \[hello\] \[xz\] \[ac\]$'),
    ('SHELL_FREE', shell_output('free', r'core 0: \d+\.\d MiB free of \d+\.\d MiB .*')),
    ('SHELL_FREE_TOTAL', shell_output('free', r'total: \d+\.\d MiB free of \d+\.\d MiB .*')),
    ('SHELL_UNKNOWN_COMMAND', shell_output('bogus', r"unknown command 'bogus' \(try help\)")),
    ('SHELL_BAD_PID', shell_output('kill abc', r"kill: 'abc' is not a pid")),
    ('SHELL_NO_MODULE', shell_output('run nosuch', r"run: cannot start 'nosuch': [A-Z_]+ \(.*")),
    ('SHELL_EXIT_KILLS_JOBS', shell_output('exit', r'\[7\] killed \(the shell is leaving\)')),
    ('SHELL_EXIT', shell_output('exit', r'shell: bye')),
]


def fault_report(mode, kind, access, note, pc_is_addr=False):
    """A regex for faulter's line "faulter: MODE at 0xADDR" followed at once
    by the domain's one-line report of a fatal fault at that same address
    (and pc, for an execute), of `kind` and `access`, whose reason starts
    with `note` (vspace/fault.c)."""
    pc = '(?P=addr)' if pc_is_addr else '[0-9a-f]{8}'
    return (r"^faulter: %s at 0x(?P<addr>[0-9a-f]{8})\n"
            r"autarky: killed domain 'faulter' \(thread \d+\): unhandled %s "
            r"at pc 0x%s addr 0x(?P=addr) \(%s\), %s"
            % (re.escape(mode), kind, pc, access, re.escape(note)))


# Faults the page-fault handler must not "resolve" (issue 9, item 6): each
# faulter mode must end the domain (status 1, checked by init) with the
# report naming the address, the access and the reason.
EXEC_FROM_HEAP = 'execute from the heap or a stack'
FAULT_EXEC_EXPECT = [
    ('FAULT_EXEC_HEAP', fault_report('exec-heap', 'prefetch abort', 'exec', EXEC_FROM_HEAP,
                                     True)),
    ('FAULT_EXEC_UNTOUCHED_HEAP', fault_report('exec-fresh', 'prefetch abort', 'exec',
                                               EXEC_FROM_HEAP, True)),
    ('FAULT_EXEC_STACK', fault_report('exec-stack', 'prefetch abort', 'exec', EXEC_FROM_HEAP,
                                      True)),
    ('FAULT_EXEC_DATA', fault_report('exec-data', 'prefetch abort', 'exec',
                                     'execute from a non-executable page', True)),
]
WRITE_READ_ONLY = 'write to a read-only page'
FAULT_PERM_EXPECT = [
    ('FAULT_WRITE_TEXT', fault_report('write-text', 'data abort', 'write', WRITE_READ_ONLY)),
    ('FAULT_WRITE_READONLY_MAPPING', fault_report('write-map', 'data abort', 'write',
                                                  WRITE_READ_ONLY)),
    ('FAULT_LOST_FRAME', fault_report('lost-page', 'data abort', 'read',
                                      'a mapped page lost its frame')),
]

# (name, boot command list for init, domains allowed to be killed, timeout s
#  [, options]) -- options: a dict with 'input' (typed into the console, a
# line per prompt) and 'expect' ((NAME, regex) cases judged on the
# console), both passed to boot.run (see boot.py); 'input-prompt': the
# prompt the input waits for (default the shell's); 'status': the exit
# status boot.py must report (default 0; 2 = a kernel panic the test wants);
# 'icount': run QEMU with -icount shift=0 (exact, repeatable timing);
# 'smp': cores of the machine whatever SMP= says (the MP_ suites need 2+); and
# 'image': 'test' to boot the test image (--test-image: every domain plus
# the large test programs of test/domains, which the normal image does not
# carry).
# Each boot's init checks after every command that the memory server got
# all of the program's RAM back (see domains/init/commands.h).
# The shell on four cores: a program run on core 3, ps showing it there,
# free per core (docs/shell.md, docs/multikernel.md).
MP_SHELL_INPUT = (
    'run -c 3 hello c3\n'
    'run -c 2 spinner &\n'
    'ps\n'
    'free\n'
    'run -c 4 hello\n'
    'run -c x hello\n'
    'run -c 1 shell\n'
    'run hello inner\n'
    'exit\n'
    'exit\n'
)
MP_SHELL_EXPECT = [
    ('SHELL_RUN_ON_CORE', shell_output('run -c 3 hello c3', r'hello: \[hello\] \[c3\]')),
    ('SHELL_RUN_ON_CORE_STATUS', shell_output('run -c 3 hello c3',
                                              r'\[3000001\] exited with status 0')),
    ('SHELL_PS_CORE', shell_output('ps', r' *2000001  running +2 +\d+ +\d+  spinner')),
    ('SHELL_PS_OTHER_INIT', shell_output('ps', r' *1000000  running +1 +\d+ +\d+  init')),
    ('SHELL_FREE_PER_CORE', shell_output('free', r'core 3: \d+\.\d MiB free of \d+\.\d MiB .*')),
    ('SHELL_RUN_NO_CORE', shell_output('run -c 4 hello',
                                       r"run: cannot start 'hello': INIT_ERR_NO_SUCH_CORE .*")),
    ('SHELL_RUN_BAD_CORE', shell_output('run -c x hello', r'run: -c wants a core number.*')),
    # a shell on core 1 reads the console through its monitor and core 0's
    # init: the lines reach *it*, so it ends only at the `exit` typed after
    # `run hello inner` (had its GETCHAR failed it would have ended at once,
    # and the outer shell would have run the line)
    ('SHELL_INPUT_ON_OTHER_CORE', shell_output('run hello inner', r'hello: \[hello\] \[inner\]')),
    ('SHELL_INPUT_READ_BY_OTHER_CORE',
     r'^hello: \[hello\] \[inner\]\n(?:.*\n)*?^shell: bye\n\[1000001\] exited with status 0$'),
    ('SHELL_OTHER_CORE_SHELL_EXITS', r'^shell: bye\n(?:.*\n)*?\[1000001\] exited with status 0$'),
]

# Every core comes up and says so, before init runs its first command
# (domains/init/cores.c, docs/multikernel.md).
MP_EXPECT = [
    ('MP_EVERY_CORE_UP',
     r'^init: core 1 up, \d+ MiB free\n(?:.*\n)*?^init: core 2 up, \d+ MiB free\n'
     r'(?:.*\n)*?^init: core 3 up, \d+ MiB free\n(?:.*\n)*?^init: 4 cores up, '
     r'\d+ MiB free on core 0\n(?:.*\n)*?^hello: \[hello\]'),
    ('MP_EVERY_CPU_DRIVER_UP',
     r'(?:^autarky: core [123] up: CPU driver at 0x[0-9a-f]{8}, \d+ MiB of RAM\n(?:.*\n)*?){3}'),
    # a prompt (no newline) before a call routed to the monitor is printed
    # before that call's child on core 1 prints (mptest binding_cases.c)
    ('MP_PROMPT_BEFORE_ROUTED_CALL',
     r'mptest: prompt before a routed call> (?:.*\n)*?.*hello: \[hello\] \[routed-prompt-check\]'),
]

BOOT_TESTS = [
    ('init-kernel-checks', 'kernel-tests', {'expect-kill'}, 180),
    # starting another core, and what its memory becomes (test/kernel/test_core.c)
    ('mp-kernel', 'kernel-cores', set(), 60, {'smp': 4}),
    # processes across cores (test/domains/mptest)
    ('mp', 'hello; mptest', {'busy'}, 240, {'smp': 4, 'expect': MP_EXPECT}),
    # core 3's init killed (by its kernel, on init's debug request): calls
    # for core 3 fail with INIT_ERR_CORE_DEAD, also one pending when it died
    # (mptest deadwait), the other cores carry on
    # channels to it from core 1 (xchantest deadchan) close
    ('mp-dead', 'mptest deadwait 3; xchantest deadchan 3; kill-core-init 3; mptest dead 3; '
                'xchantest dead 3',
     {'init'}, 120,
     {'smp': 4}),
    # two cores, the other one's init dead: get_all_pids lists this core's
    # pids only (the monitor has no other core to ask: an empty part)
    # and a byte of input is never spent on a reader that cannot take it:
    # one killed while it waits (mptest readkilled), one on the dead core
    # (mptest readon: its answer cannot go out); the last line has no Enter
    ('mp-dead-2', 'mptest readkilled; mptest readon 1; kill-core-init 1; mptest alone',
     {'init'}, 60, {'smp': 2, 'input': 'y\nx', 'input-prompt': 'mptest: type> '}),
    # channels between domains on different cores, RPC over them
    # (domains/xchantest; the servers and clients it kills are xchantest too)
    ('mp-xchan', 'xchantest', {'xchantest', 'spinner'}, 180, {'smp': 4}),
    ('mp-shell', 'shell', {'spinner'}, 120,
     {'smp': 4, 'input': MP_SHELL_INPUT, 'expect': MP_SHELL_EXPECT}),
    # no kernel entry keeps interrupts masked past 100 us, for the largest
    # things a domain can ask (docs/safety.md rule 9), timed exactly
    ('bounds', 'kernel-bounds', {'expect-kill'}, 300, {'icount': True}),
    ('spawn', 'argtest one "two words" three; hello; expect-status 3 hello --exit 3; '
              'repeat 200 hello', set(), 300),
    ('rpc', 'rpctest', set(), 180),
    ('threads', 'threadtest', set(), 180),
    ('faults', 'expect-status 1 faulter null; expect-status 1 faulter thread; '
               'expect-status killed faulter disabled; faulter handled; '
               'expect-status 1 faulter overflow; expect-status 1 faulter wild; '
               'expect-status 1 faulter readonly; hello',
     {'faulter'}, 120),
    ('faults-exec', 'expect-status 1 faulter exec-heap; expect-status 1 faulter exec-fresh; '
                    'expect-status 1 faulter exec-stack; expect-status 1 faulter exec-data; '
                    'hello',
     {'faulter'}, 120, {'expect': FAULT_EXEC_EXPECT}),
    ('faults-perm', 'expect-status 1 faulter write-text; expect-status 1 faulter write-map; '
                    'expect-status 1 faulter lost-page; expect-status 1 faulter readonly; hello',
     {'faulter'}, 120, {'expect': FAULT_PERM_EXPECT}),
    ('vspace', 'vmtest; pager 32', set(), 300),
    # giving RAM back (test/domains/heaptest): 256 MiB filled and emptied four
    # times, RAM held back where it started after each; RAM back while running
    ('heap', 'heaptest', set(), 300),
    # trace replay (bench/trace/): a synthetic trace with every object's
    # bytes checked, and a trace that runs out of memory on its line 2
    ('traces', 'tr_churn verify; expect-status 1 tr_oom; hello', set(), 180,
     {'expect': [('HEAP_TRACE_REPLAY_KEEPS_BYTES', r'^trace churn: every object kept its bytes$'),
                 ('HEAP_TRACE_OUT_OF_MEMORY_LINE',
                  r'^trace oom: line 2: out of memory: malloc returned NULL$')]}),
    ('proc', 'proctest', {'faulter'}, 300),
    # fairness: CPU shares beside RPC ping-pong, calls beside streaming
    # clients (test/domains/schedtest, docs/safety.md rule 8), timed exactly
    ('sched', 'schedtest', {'busy'}, 180, {'icount': True}),
    # how domains end, or refuse to (test/domains/endtest, docs/safety.md rules 6-7)
    ('endings', 'endtest', {'busy'}, 120),
    # a child that stops itself while init waits for it: the kernel idles
    # (and boot.py's timeout ends the run); it must never power off
    ('idle', 'busy stop', set(), 8,
     {'status': 124,
      'expect': [('SCHED_IDLE_NOT_POWER_OFF',
                  r'\A(?![\s\S]*power off)[\s\S]*^autarky: core 0: idle: no domain is runnable$')]}),
    # random system calls, invocations and RPCs, and sequences judged by
    # oracles (test/domains/fuzzer): four short fixed seeds; long campaigns are
    # `scons fuzz SEEDS=N ROUNDS=M` (site_scons/fuzz.py). PROC_FUZZ_LIFE's
    # children (busy life) end badly on purpose.
    ('fuzz', 'fuzzer 1; fuzzer 1001; fuzzer 65537; fuzzer 424243; hello', {'busy'}, 300),
    ('shell', 'shell', {'spinner'}, 120, {'input': SHELL_INPUT, 'expect': SHELL_EXPECT}),
    # the kernel stack's guard page turns an overflow into a clean panic
    ('stack-guard', 'kernel-stack-guard', set(), 60,
     {'status': 2,
      'expect': [('KERNEL_STACK_GUARD',
                  r'^kernel panic: kernel stack overflow at pc 0x[0-9a-f]{8} '
                  r'\(sp 0xffe00[0-9a-f]{3}, guard page 0xffe00000\)$')]}),
    # large images (issue 13): the SPAWN_ cases of bigspawn, then init's own
    # free-RAM check after each of the big programs and hello in turn
    ('bigimages', 'bigspawn; bigconst; hello; bigdata; hello; bigbss; hello; bigconst',
     set(), 300, {'image': 'test'}),
]

RE_CUNIT_TESTS = re.compile(r'^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', re.M)
RE_CUNIT_ASSERTS = re.compile(r'^\s*asserts\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', re.M)


def run_layer_check():
    """The runtime's include layering (site_scons/check_layers.py): the tree
    must have no upward include, and the check must catch planted ones.
    Returns (passed, failed, ok), one case each."""
    print('=== runtime layers (site_scons/check_layers.py)', flush=True)
    here = os.path.dirname(os.path.abspath(__file__))
    passed = failed = 0
    for argv in ([], ['--selftest']):
        proc = subprocess.run([sys.executable, os.path.join(here, 'check_layers.py')] + argv,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(proc.stdout, end='', flush=True)
        if proc.returncode == 0:
            passed += 1
        else:
            failed += 1
    return passed, failed, failed == 0


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


def run_boot_test(images, smp, name, cmds, allowed, timeout, options=None):
    """One QEMU boot on `smp` cores; returns (passed, failed, ok)."""
    print('=== QEMU boot test %s' % name, flush=True)
    options = options or {}
    image = images[options.get('image', 'normal')]
    status, verdict = boot.run(image, cmds, timeout, allowed, options.get('icount', False),
                               None,
                               input_text=options.get('input'),
                               input_prompt=options.get('input-prompt', boot.DEFAULT_PROMPT),
                               expect=options.get('expect'),
                               smp=options.get('smp', smp))
    passed = sum(p for p, _ in verdict.summaries)
    failed = sum(f for _, f in verdict.summaries)
    if not verdict.summaries:
        print('boot test %s: no "N passed, N failed" line' % name, flush=True)
        return passed, failed + 1, False
    want = options.get('status', 0)
    if status != want:
        print('boot test %s: exit status %d, expected %d' % (name, status, want), flush=True)
        if failed == 0:
            failed = 1   # the boot itself failed: count it
    return passed, failed, status == want


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--image', required=True)
    ap.add_argument('--test-image', required=True,
                    help='the image with the large test programs')
    ap.add_argument('--host-tests', required=True, nargs='+',
                    help='CUnit test binaries')
    ap.add_argument('--smp', type=int, default=boot.DEFAULT_SMP, choices=range(1, 9),
                    metavar='N', help='cores of every boot (1..8)')
    args = ap.parse_args()

    start = time.monotonic()
    results = [('runtime layers',) + run_layer_check()]
    results += [(binary.split('/')[-1],) + run_host_tests(binary)
                for binary in args.host_tests]
    for name, cmds, allowed, timeout, *options in BOOT_TESTS:
        results.append((name,) + run_boot_test({'normal': args.image, 'test': args.test_image},
                                               args.smp, name, cmds, allowed, timeout,
                                               *options))

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
