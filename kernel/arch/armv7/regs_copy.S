/*
 * void arch_regs_copy(struct arch_registers *dst, const struct arch_registers *src)
 *
 * Copies a 17-word register save area with two ldm/stm pairs. The kernel
 * does this on every context switch (saving the trap frame into the
 * dispatcher frame), where the generic memcpy costs ~90 instructions.
 * Both pointers are word aligned (struct arch_registers is all words).
 */
    .syntax unified
    .arm
    .text
    .global arch_regs_copy
    .type arch_regs_copy, %function
arch_regs_copy:
    push    {r4-r10}
    ldmia   r1!, {r2-r10, r12}          /* words 0..9 */
    stmia   r0!, {r2-r10, r12}
    ldmia   r1, {r2-r8}                 /* words 10..16 */
    stmia   r0, {r2-r8}
    pop     {r4-r10}
    bx      lr
    .size arch_regs_copy, . - arch_regs_copy
