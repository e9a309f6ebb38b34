/*
 * Saving a thread's context at user level (ARMv7, ARM state).
 * See lib/threads.c and docs/threads.md.
 */
    .syntax unified
    .arm
    .text

/*
 * int thread_save_context(struct arch_registers *regs)   -- returns twice
 *
 * Stores the caller's registers into *regs (layout of
 * include/arch/armv7/arch/registers.h) so that resuming *regs (with
 * dispatch_resume_context) returns from this call a second time, with 1.
 * The first return gives 0. Only callee-saved state matters (r4-r11, sp,
 * lr); r0 is saved as 1, pc as the second return, cpsr as plain USR/ARM
 * (the flags are not preserved across a call anyway).
 * Called disabled: the caller then runs another context and never returns
 * to this frame except through the resume.
 */
    .global thread_save_context
    .type thread_save_context, %function
thread_save_context:
    stm     r0, {r0-r12}                /* r0 is the base, stored unchanged */
    mov     r1, #1
    str     r1, [r0]                    /* resumed: r0 = 1 */
    str     sp, [r0, #52]
    str     lr, [r0, #56]
    adr     r1, 1f
    str     r1, [r0, #60]
    mov     r1, #0x10                   /* ARM_MODE_USR, ARM state, no IT */
    str     r1, [r0, #64]
    mov     r0, #0
    bx      lr
1:  bx      lr                          /* the resume lands here with r0 = 1 */
    .size thread_save_context, . - thread_save_context
