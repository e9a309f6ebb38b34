/*
 * ARMv7 register save area: the layout the kernel writes when it saves a
 * domain's user state, and user-level resume code reads back.
 * Shared between kernel/arch/armv7 and lib/arch/armv7; keep the offsets in
 * sync with the assembly (REG_OFFSET_* below are checked by static asserts).
 */
#ifndef ARCH_ARMV7_REGISTERS_H
#define ARCH_ARMV7_REGISTERS_H

#include <stdint.h>

#define ARCH_NUM_REGS 17

struct arch_registers {
    uint32_t r[13];   /* r0..r12        offsets 0..48 */
    uint32_t sp;      /* r13            offset 52 */
    uint32_t lr;      /* r14            offset 56 */
    uint32_t pc;      /* r15            offset 60 */
    uint32_t cpsr;    /*                offset 64 */
};

#define REG_OFFSET_SP   52
#define REG_OFFSET_LR   56
#define REG_OFFSET_PC   60
#define REG_OFFSET_CPSR 64

#define ARM_MODE_USR 0x10u
#define ARM_MODE_MASK 0x1fu
#define ARM_CPSR_T   (1u << 5)   /* Thumb */
#define ARM_CPSR_F   (1u << 6)
#define ARM_CPSR_I   (1u << 7)
#define ARM_CPSR_A   (1u << 8)
#define ARM_CPSR_E   (1u << 9)
/* Bits of a user CPSR the kernel keeps when it resumes a domain:
 * flags NZCVQ, GE, IT and T. Everything else is forced (USR mode, IRQs on). */
#define ARM_CPSR_USER_MASK 0xfe0ffc20u   /* NZCVQ [31:27], IT[1:0] [26:25], GE [19:16], IT[7:2] [15:10], T [5] */

/*
 * Copy a register save area with two ldm/stm pairs (~10 instructions; a
 * structure assignment compiles to a generic memcpy, which in picolibc is
 * a byte loop). Used wherever a context is saved or restored: the
 * kernel's context switch, the user-level thread scheduler.
 */
static inline void arch_regs_copy(struct arch_registers *dst,
                                  const struct arch_registers *src)
{
    __asm__ volatile(
        "ldmia %[s]!, {r2-r9}\n\t"
        "stmia %[d]!, {r2-r9}\n\t"
        "ldmia %[s]!, {r2-r9}\n\t"
        "stmia %[d]!, {r2-r9}\n\t"
        "ldr   r2, [%[s]]\n\t"
        "str   r2, [%[d]]"
        : [d] "+r"(dst), [s] "+r"(src)
        :
        : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory");
}

_Static_assert(sizeof(struct arch_registers) == 17 * sizeof(uint32_t),
               "arch_regs_copy copies exactly 17 words");

#endif
