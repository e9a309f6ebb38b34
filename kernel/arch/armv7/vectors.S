/*
 * Exception vectors, kernel entry and exit (user <-> kernel).
 *
 * Entry: every vector saves the interrupted state into the one kernel-owned
 * save area `arch_trap_regs` (struct arch_registers, exn.c):
 *   r0-r12, sp_usr, lr_usr   stm {r0-r14}^ (user-bank sp/lr)
 *   pc                       the return address for this exception type
 *   cpsr                     SPSR of the exception mode
 * The exception mode's own sp is only a scratch pointer to that area
 * (reloaded on every entry), so no exception-mode stack exists. Then
 * exception_common switches to SVC mode, resets sp to the top of the single
 * kernel stack and calls C (exn.c) with IRQs still masked. The kernel
 * keeps nothing on its stack between traps: each trap ends in
 * arch_resume_user() or in a scheduler that resumes some saved state,
 * so the next entry can start from an empty stack.
 *
 * Preferred return addresses (ARM ARM B1.8.3), lr on entry minus:
 *   SVC: 0 (next instruction)   UNDEF: 4 (ARM) / 2 (Thumb)
 *   PABT: 4   DABT: 8   IRQ/FIQ: 4 (the interrupted instruction)
 */
#include <arch/armv7_asm.h>

#define REG_PC   60
#define REG_CPSR 64

    .syntax unified
    .arm

    .section .text.vectors, "ax"
    .balign 32
    .global exception_vectors
exception_vectors:
    b       vec_reset
    b       vec_undef
    b       vec_svc
    b       vec_pabt
    b       vec_dabt
    b       vec_reset           /* unused (hyp trap) */
    b       vec_irq
    b       vec_fiq

/*
 * SAVE_STATE lr_adjust, kind: in the exception mode, save the state and
 * branch to exception_common with r0 = saved CPSR, r1 = kind.
 */
.macro SAVE_STATE lr_adjust, kind
    ldr     sp, =arch_trap_regs
    stmia   sp, {r0-r14}^
    mrs     r0, spsr
    str     r0, [sp, #REG_CPSR]
    sub     lr, lr, #\lr_adjust
    str     lr, [sp, #REG_PC]
    mov     r1, #\kind
    b       exception_common
.endm

vec_reset:
    SAVE_STATE 0, EXC_RESET
vec_svc:
    SAVE_STATE 0, EXC_SVC
vec_pabt:
    SAVE_STATE 4, EXC_PABT
vec_dabt:
    SAVE_STATE 8, EXC_DABT
vec_irq:
    SAVE_STATE 4, EXC_IRQ
vec_fiq:
    SAVE_STATE 4, EXC_FIQ

/* Undefined instruction: lr is 4 past it in ARM state, 2 in Thumb. */
vec_undef:
    ldr     sp, =arch_trap_regs
    stmia   sp, {r0-r14}^
    mrs     r0, spsr
    str     r0, [sp, #REG_CPSR]
    tst     r0, #0x20           /* CPSR.T */
    subeq   lr, lr, #4
    subne   lr, lr, #2
    str     lr, [sp, #REG_PC]
    mov     r1, #EXC_UNDEF
    b       exception_common

/*
 * r0 = interrupted CPSR, r1 = exception kind; in the exception mode.
 * Switch to SVC mode (IRQs stay masked), note the SVC-mode sp/lr for a
 * possible kernel panic report, reset the kernel stack, and call C.
 */
exception_common:
    cps     #ARM_MODE_SVC_ASM
    mov     r2, sp
    mov     r3, lr
    ldr     sp, =KERNEL_STACK_VTOP      /* the guarded window, armv7_asm.h */
    mov     fp, #0
    and     r12, r0, #0x1f
    cmp     r12, #ARM_MODE_USR_ASM
    bne     1f
    mov     r0, r1
    bl      arch_user_exception         /* (kind), never returns */
    b       .
1:  mov     r0, r1
    mov     r1, r2
    mov     r2, r3
    bl      arch_kernel_exception       /* (kind, sp_svc, lr_svc), never returns */
    b       .

    .ltorg

/*
 * void arch_resume_user(const struct arch_registers *regs)
 * Load a user state and drop to user mode. The CPSR is sanitized:
 * (cpsr & ARM_CPSR_USER_MASK) | USR mode, so IRQs/FIQs are enabled and the
 * mode is always USR whatever the (possibly user-written) save area says.
 * Must be called in SVC mode with IRQs masked.
 */
    .text
    .global arch_resume_user
    .type   arch_resume_user, %function
arch_resume_user:
    ldr     r1, [r0, #REG_CPSR]
    ldr     r2, =0xfe0ffc20             /* ARM_CPSR_USER_MASK */
    and     r1, r1, r2
    orr     r1, r1, #ARM_MODE_USR_ASM
    msr     spsr_cxsf, r1
    ldr     lr, [r0, #REG_PC]
    clrex                               /* no exclusive monitor across domains */
    ldmia   r0, {r0-r14}^
    nop
    movs    pc, lr                      /* pc = lr, cpsr = spsr */
    .size   arch_resume_user, . - arch_resume_user
    .ltorg
