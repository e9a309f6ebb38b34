/*
 * CP15 system-register accessors and barriers for the ARMv7 CPU driver
 * (private to kernel/arch/armv7). One inline function per register so
 * that the C code reads as the ARM ARM names.
 */
#ifndef ARCH_ARMV7_CP15_H
#define ARCH_ARMV7_CP15_H

#include <stdint.h>

#define CP15_READ(name, op1, crn, crm, op2)                                  \
    static inline uint32_t cp15_read_##name(void)                           \
    {                                                                       \
        uint32_t v;                                                         \
        __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 \
                         : "=r"(v));                                        \
        return v;                                                           \
    }
#define CP15_WRITE(name, op1, crn, crm, op2)                                 \
    static inline void cp15_write_##name(uint32_t v)                        \
    {                                                                       \
        __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 \
                         : : "r"(v) : "memory");                            \
    }
#define CP15_RW(name, op1, crn, crm, op2) \
    CP15_READ(name, op1, crn, crm, op2) CP15_WRITE(name, op1, crn, crm, op2)

CP15_RW(sctlr,   0, c1,  c0, 0)
CP15_RW(ttbr0,   0, c2,  c0, 0)
CP15_RW(ttbr1,   0, c2,  c0, 1)
CP15_RW(ttbcr,   0, c2,  c0, 2)
CP15_RW(dacr,    0, c3,  c0, 0)
CP15_READ(dfsr,  0, c5,  c0, 0)
CP15_READ(ifsr,  0, c5,  c0, 1)
CP15_READ(dfar,  0, c6,  c0, 0)
CP15_READ(ifar,  0, c6,  c0, 2)
CP15_READ(par,   0, c7,  c4, 0)
CP15_WRITE(ats1cur,  0, c7, c8, 2)   /* stage 1, PL0 read: result in PAR */
CP15_WRITE(iciallu,  0, c7, c5, 0)
CP15_WRITE(bpiall,   0, c7, c5, 6)
CP15_WRITE(dccmvau,  0, c7, c11, 1)  /* clean data cache line to PoU by MVA */
CP15_WRITE(dccimvac, 0, c7, c14, 1)  /* clean and invalidate line to PoC by MVA */
CP15_WRITE(tlbiall,  0, c8, c7, 0)
CP15_WRITE(tlbimvaa, 0, c8, c7, 3)
CP15_RW(vbar,    0, c12, c0, 0)
CP15_READ(ctr,   0, c0,  c0, 1)
/* Generic timer */
CP15_READ(cntfrq,   0, c14, c0, 0)
CP15_RW(cntkctl,    0, c14, c1, 0)
CP15_RW(cntv_tval,  0, c14, c3, 0)
CP15_RW(cntv_ctl,   0, c14, c3, 1)
CP15_RW(tpidruro,   0, c13, c0, 3)   /* user read-only thread ID: TLS pointer */
CP15_RW(tpidrurw,   0, c13, c0, 2)   /* user read/write thread ID: the domain's own */
CP15_RW(cpacr,      0, c1,  c0, 2)   /* coprocessor access: VFP/NEON stay off */
CP15_RW(pmuserenr,  0, c9,  c14, 0)  /* user access to the performance monitors: none */

static inline uint64_t cp15_read_cntvct(void)
{
    uint32_t lo, hi;
    __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void dsb(void) { __asm__ volatile("dsb" : : : "memory"); }
static inline void isb(void) { __asm__ volatile("isb" : : : "memory"); }
static inline void dmb(void) { __asm__ volatile("dmb" : : : "memory"); }

#endif
