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

#define ALIGNED4(p) ((((uintptr_t)(p)) & 3u) == 0)

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char byte = (unsigned char)c;

    while (n > 0 && !ALIGNED4(d)) {
        *d++ = byte;
        n--;
    }
    if (byte == 0 && n >= 32) {
        size_t bulk = n & ~(size_t)31;
        arch_zero_32s(d, bulk);
        d += bulk;
        n -= bulk;
    }
    uint32_t word = byte * 0x01010101u, *w = (uint32_t *)d;
    for (; n >= 16; n -= 16, w += 4) {
        w[0] = word; w[1] = word; w[2] = word; w[3] = word;
    }
    for (; n >= 4; n -= 4) {
        *w++ = word;
    }
    d = (unsigned char *)w;
    while (n-- > 0) {
        *d++ = byte;
    }
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (ALIGNED4(d) && ALIGNED4(s)) {
        n = arch_copy_words(&d, &s, n);
    }
    while (n-- > 0) {
        *d++ = *s++;
    }
    return dst;
}
