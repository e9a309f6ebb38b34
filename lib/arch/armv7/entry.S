/*
 * Upcall entry points and the user-level resume sequence (ARMv7).
 * See include/autarky/dispatcher.h and docs/dispatchers.md.
 *
 * Both upcalls arrive disabled, with r0 = this domain's dispatcher frame
 * and sp = its upcall stack (8-byte aligned); they never return.
 */
    .syntax unified
    .arm

    .section .text.entry, "ax"
/*
 * _start: the run upcall (ELF entry). The first run sets the runtime up
 * and calls main; every later one goes to the user-level scheduler.
 */
    .global _start
    .type _start, %function
_start:
    ldr     r1, =dispatch_started
    ldr     r1, [r1]
    cmp     r1, #0
    beq     dispatch_first_run          /* C, never returns */
    b       dispatch_run                /* C, never returns */
    .size _start, . - _start

/* Fault upcall: r1 = type, r2 = address, r3 = access. */
    .global dispatch_fault_entry
    .type dispatch_fault_entry, %function
dispatch_fault_entry:
    b       dispatch_fault              /* C, never returns */
    .size dispatch_fault_entry, . - dispatch_fault_entry

    .text
/*
 * void dispatch_resume_user(const struct arch_registers *regs,
 *                           volatile uint32_t *disabled)   -- noreturn
 *
 * Restores the flags, then clears `disabled` and loads r0-r15 in one
 * instruction. The two instructions between dispatch_crit_start and
 * dispatch_crit_end are the critical section: a preemption there is
 * treated as disabled by the kernel, which resumes it here rather than
 * upcalling. `regs->pc` carries bit 0 set for a Thumb target.
 * The IT bits cannot be restored from user mode: callers use SYS_RESUME
 * for contexts that have them.
 */
    .global dispatch_resume_user
    .type dispatch_resume_user, %function
dispatch_resume_user:
    ldr     r2, [r0, #64]               /* cpsr */
    msr     APSR_nzcvqg, r2
    mov     r2, #0
    .global dispatch_crit_start
dispatch_crit_start:
    str     r2, [r1]                    /* disabled = 0 */
    ldm     r0, {r0-r15}                /* everything; pc last */
    .global dispatch_crit_end
dispatch_crit_end:
    .size dispatch_resume_user, . - dispatch_resume_user
