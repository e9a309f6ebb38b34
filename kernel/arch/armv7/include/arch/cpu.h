/*
 * Registers the kernel touches on every system call or domain switch,
 * as inline functions (kernel/include/kernel/arch.h lists what every
 * architecture provides): the counter for the masked-time accounting and
 * the user thread registers.
 *
 * TPIDRURO: user mode can read it but not write it; GCC and picolibc read
 * the TLS pointer from it. The kernel loads it with the running domain's
 * value on every dispatch and when the domain asks (SYS_SET_TLS).
 * TPIDRURW: user mode reads and writes it freely, so it is part of a
 * domain's state like r0-r15: saved when the domain leaves the CPU and
 * loaded when it comes back (docs/safety.md, rule 4).
 */
#ifndef ARCH_ARMV7_CPU_H
#define ARCH_ARMV7_CPU_H

#include <stdint.h>

/* Low word of the virtual counter, unordered (no ISB): for measuring
 * stretches far shorter than 2^32 ticks. */
static inline uint32_t arch_counter_low(void)
{
    uint32_t lo, hi;
    __asm__ volatile("mrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return lo;
}

static inline void arch_set_user_tls(uint32_t value)
{
    __asm__ volatile("mcr p15, 0, %0, c13, c0, 3" : : "r"(value));   /* TPIDRURO */
}

static inline uint32_t arch_get_user_rw_tls(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 2" : "=r"(v));         /* TPIDRURW */
    return v;
}

static inline void arch_set_user_rw_tls(uint32_t value)
{
    __asm__ volatile("mcr p15, 0, %0, c13, c0, 2" : : "r"(value));
}

/*
 * A spin lock between cores (the console's, in memory every CPU driver
 * shares): LDREX/STREX, with the barriers the ARMv7 memory model needs so
 * that what the holder wrote is seen by the next holder. Interrupts are
 * masked in the kernel, so a holder is never preempted.
 */
static inline void arch_spin_lock(volatile uint32_t *lock)
{
    uint32_t busy, failed;

    do {
        __asm__ volatile("ldrex %0, [%2]\n\t"
                         "cmp %0, #0\n\t"
                         "strexeq %1, %3, [%2]\n\t"
                         "movne %1, #1"
                         : "=&r"(busy), "=&r"(failed)
                         : "r"(lock), "r"(1u) : "cc", "memory");
    } while (failed);
    __asm__ volatile("dmb" : : : "memory");
}

static inline void arch_spin_unlock(volatile uint32_t *lock)
{
    __asm__ volatile("dmb" : : : "memory");
    *lock = 0;
    __asm__ volatile("dsb\n\tsev" : : : "memory");
}

#endif
