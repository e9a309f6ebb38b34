/*
 * Zeroing memory fast (ARMv7): eight registers stored per instruction.
 * Shared by the kernel (new objects: frames, CNodes, page tables) and the
 * runtime (a reused heap page must read zero again).
 */
#ifndef ARCH_ARMV7_ZERO_H
#define ARCH_ARMV7_ZERO_H

#include <stddef.h>
#include <stdint.h>

/* Zero `bytes` (a multiple of 32) at the word-aligned `dst`. */
static inline void arch_zero_32s(void *dst, size_t bytes)
{
    uint32_t *p = dst, *end = (uint32_t *)((char *)dst + bytes);

    __asm__ volatile(
        "mov r2, #0\n\t"
        "mov r3, #0\n\t"
        "mov r4, #0\n\t"
        "mov r5, #0\n\t"
        "mov r6, #0\n\t"
        "mov r7, #0\n\t"
        "mov r8, #0\n\t"
        "mov r9, #0\n\t"
        "1: cmp %[p], %[end]\n\t"
        "bhs 2f\n\t"
        "stmia %[p]!, {r2-r9}\n\t"
        "b 1b\n"
        "2:"
        : [p] "+r"(p)
        : [end] "r"(end)
        : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "cc", "memory");
}

#endif
