"""The pattern the large test images carry (test/domains/bigimage).

Word i (32 bits, little endian) is PATTERN(i) = i * 0x9e3779b1 ^ 0x5a5ac3c3
(mod 2^32), the formula test/domains/bigimage/bigimage.c checks against:
every word differs from its neighbours, so a page mapped at the wrong offset,
a stale page or a zero page is caught. Written once per build (about a
second for 16 MiB); the assembler includes it with .incbin, which costs
nothing, where a C initializer of that size costs the compiler minutes.
"""

import array
import sys

PATTERN_BYTES = 16 << 20


def write_pattern(target, source, env):
    words = array.array('I', ((i * 0x9e3779b1 ^ 0x5a5ac3c3) & 0xffffffff
                              for i in range(PATTERN_BYTES // 4)))
    if sys.byteorder != 'little':
        words.byteswap()
    with open(str(target[0]), 'wb') as f:
        f.write(words.tobytes())
    return 0
