#!/usr/bin/env python3
"""`scons debug`: boot the image halted, waiting for gdb on port 1234.

Writes build/gdbinit (symbols, connection, a breakpoint at the kernel's C
entry) and prints the gdb command to run in a second terminal. Every core
is a gdb thread ("info threads"); another core's CPU driver runs at the
same addresses as core 0's (docs/multikernel.md).

    python3 site_scons/debug.py IMAGE [--smp N]
"""

import subprocess
import sys

image = sys.argv[1]
smp = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--smp' else '4'
GDBINIT = 'build/gdbinit'
with open(GDBINIT, 'w') as f:
    f.write('set architecture arm\n'
            'file %s\n'
            'target remote :1234\n'
            'break arch_init\n'
            'break kernel_main\n'
            'break arch_init_secondary\n'
            'echo Autarky: halted at the reset vector; "continue" to boot.\\n\n'
            % image)
print('In another terminal run:\n    gdb-multiarch -x %s\n'
      '(QEMU waits; Ctrl-a x quits it.)' % GDBINIT, flush=True)
sys.exit(subprocess.call(['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15',
                          '-m', '1024', '-smp', smp, '-nographic', '-s', '-S',
                          '-kernel', image]))
