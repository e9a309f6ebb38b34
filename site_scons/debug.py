#!/usr/bin/env python3
"""`scons debug`: boot the image halted, waiting for gdb on port 1234.

Writes build/gdbinit (symbols, connection, a breakpoint at the kernel's C
entry) and prints the gdb command to run in a second terminal.
"""

import subprocess
import sys

image = sys.argv[1]
GDBINIT = 'build/gdbinit'
with open(GDBINIT, 'w') as f:
    f.write('set architecture arm\n'
            'file %s\n'
            'target remote :1234\n'
            'break arch_init\n'
            'break kernel_main\n'
            'echo Autarky: halted at the reset vector; "continue" to boot.\\n\n'
            % image)
print('In another terminal run:\n    gdb-multiarch -x %s\n'
      '(QEMU waits; Ctrl-a x quits it.)' % GDBINIT, flush=True)
sys.exit(subprocess.call(['qemu-system-arm', '-M', 'virt', '-cpu', 'cortex-a15',
                          '-m', '1024', '-nographic', '-s', '-S',
                          '-kernel', image]))
