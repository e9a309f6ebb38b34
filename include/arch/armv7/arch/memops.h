/*
 * Block memory operations shared by the kernel and the domain runtime
 * (ARMv7): zeroing eight registers per store (new objects; a reused heap
 * page must read zero again) and the word-wise core of memcpy. Each side
 * defines memcpy/memset around these (kernel/lib/string.c,
 * lib/arch/armv7/memops.c).
 */
#ifndef ARCH_ARMV7_MEMOPS_H
#define ARCH_ARMV7_MEMOPS_H

#include <stddef.h>
#include <stdint.h>

/* Zero `bytes` (a multiple of 32) at the word-aligned `dst`: 256 bytes
 * per round while they last (a 4 KiB frame: 16 rounds of 8 stores and a
 * compare and two branches), then 32. */
static inline void arch_zero_32s(void *dst, size_t bytes)
{
    uint32_t *p = dst, *end = (uint32_t *)((char *)dst + bytes);
    uint32_t *end256 = (uint32_t *)((char *)dst + (bytes & ~(size_t)255));

    __asm__ volatile(
        "mov r2, #0\n\t"
        "mov r3, #0\n\t"
        "mov r4, #0\n\t"
        "mov r5, #0\n\t"
        "mov r6, #0\n\t"
        "mov r7, #0\n\t"
        "mov r8, #0\n\t"
        "mov r9, #0\n\t"
        "0: cmp %[p], %[end256]\n\t"
        "bhs 1f\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "b 0b\n"
        "1: cmp %[p], %[end]\n\t"
        "bhs 2f\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "b 1b\n"
        "2:"
        : [p] "+r"(p)
        : [end] "r"(end), [end256] "r"(end256)
        : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "cc", "memory");
}

/*
 * Copy the word-aligned part of a copy: four words per round, then single
 * words. Advances *dst and *src and returns the bytes left (< 4).
 * Both pointers must be word aligned.
 */
static inline size_t arch_copy_words(unsigned char **dst, const unsigned char **src,
                                     size_t n)
{
    uint32_t *wd = (uint32_t *)*dst;
    const uint32_t *ws = (const uint32_t *)*src;

    for (; n >= 16; n -= 16, wd += 4, ws += 4) {
        uint32_t a = ws[0], b = ws[1], c = ws[2], e = ws[3];
        wd[0] = a; wd[1] = b; wd[2] = c; wd[3] = e;
    }
    for (; n >= 4; n -= 4) {
        *wd++ = *ws++;
    }
    *dst = (unsigned char *)wd;
    *src = (const unsigned char *)ws;
    return n;
}

/*
 * memset and memcpy themselves, for the kernel (kernel/lib/string.c) and
 * for domains (lib/arch/armv7/memops.c), each of which defines the
 * symbols around these. (A file including this needs
 * `#pragma GCC optimize("no-tree-loop-distribute-patterns")`, or GCC turns
 * the loops back into calls to memset/memcpy.)
 */
static inline void *arch_memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst, byte = (unsigned char)c;
    uint32_t word = byte * 0x01010101u, *w;

    while (n > 0 && ((uintptr_t)d & 3u) != 0) {
        *d++ = byte;
        n--;
    }
    if (word == 0 && n >= 32) {             /* zeroing new objects: the hot case */
        size_t bulk = n & ~(size_t)31;
        arch_zero_32s(d, bulk);
        d += bulk;
        n -= bulk;
    }
    for (w = (uint32_t *)d; n >= 16; n -= 16, w += 4) {
        w[0] = word; w[1] = word; w[2] = word; w[3] = word;
    }
    for (; n >= 4; n -= 4) {
        *w++ = word;
    }
    for (d = (unsigned char *)w; n > 0; n--) {
        *d++ = byte;
    }
    return dst;
}

static inline void *arch_memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        n = arch_copy_words(&d, &s, n);
    }
    while (n-- > 0) {
        *d++ = *s++;
    }
    return dst;
}

#endif
