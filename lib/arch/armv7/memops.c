/*
 * memset and memcpy for domains (ARMv7), replacing picolibc's size-optimised
 * byte loops: its malloc clears every block it hands out, so memset speed
 * is malloc speed. libaos.a is linked before libc, so these win.
 * Word-aligned bulk goes eight registers at a time (arch_zero_32s) or four
 * words per round; everything else byte by byte.
 */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arch/memops.h>

void *memset(void *dst, int c, size_t n)
{
    return arch_memset(dst, c, n);
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    return arch_memcpy(dst, src, n);
}
