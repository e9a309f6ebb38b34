/*
 * What the kernel does on each trap from user space: system calls, user
 * exceptions (delivered to the domain as upcalls, never resolved here) and
 * interrupts (preemption).
 *
 * Each entry point runs on the kernel stack with interrupts masked; `regs`
 * is the kernel's trap frame holding the current domain's user registers.
 * None of them returns: they end in arch_resume_user() via the scheduler.
 */
#include <kernel/arch.h>
#include <kernel/cap.h>
#include <kernel/dispatcher.h>
#include <kernel/sched.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <kernel/lmp.h>
#include <kernel/preempt.h>
#include <autarky/syscall.h>
#include <autarky/errors.h>

/* A system call: decode, run, put the error code in r0, resume. */
void trap_syscall(struct arch_registers *regs)
{
    struct dcb *dcb = dcb_current();
    errval_t err;

    preempt_entered(PREEMPT_WHAT_SYSCALL(regs->r[0], regs->r[2]));
    if (dcb->sendq_head != NULL) {
        lmp_sendq_drain(dcb);       /* it may have emptied its ring: let the line in */
    }
    switch (regs->r[0]) {
    case SYS_INVOKE:
        err = sys_invoke(&dcb->ctes[DCB_CTE_CSPACE], regs);
        break;
    case SYS_YIELD:
        dispatcher_retry_kill_notices();
        regs->r[0] = SYS_ERR_OK;
        sched_save_current(regs);
        sched_run_next();
    case SYS_LMP_SEND:
        err = sys_lmp_send(&dcb->ctes[DCB_CTE_CSPACE], regs);
        break;
    case SYS_WAIT:
        err = sys_wait(dcb, regs);
        break;
    case SYS_SET_TLS:
        dcb->user_tls = regs->r[1];     /* any value: only the domain reads it */
        arch_set_user_tls(dcb->user_tls);
        err = SYS_ERR_OK;
        break;
    case SYS_PRINT:
        err = sys_print(regs->r[1], regs->r[2]);
        break;
    case SYS_GETCHAR:
        regs->r[1] = (uint32_t)serial_getchar_nonblock();
        err = SYS_ERR_OK;
        break;
    case SYS_RESUME: {
        /* Full-state resume: user mode cannot restore the Thumb IT bits. */
        struct dispatcher_shared *disp = dcb_shared(dcb);
        struct arch_registers resume = disp->enabled_area;
        disp->disabled = 0;
        preempt_leaving();
        arch_resume_user(&resume);
    }
    case SYS_COUNTER: {
        uint64_t now = timer_now();
        regs->r[1] = (uint32_t)now;
        regs->r[2] = (uint32_t)(now >> 32);
        err = SYS_ERR_OK;
        break;
    }
    default:
        err = SYS_ERR_ILLEGAL_SYSCALL;
        break;
    }
    if (err_no(err) == SYS_ERR_RESTART) {
        /* Paused at a safe point (rule 9): run the svc again, registers
         * untouched, after any pending interrupt has been taken. */
        regs->pc -= (regs->cpsr & ARM_CPSR_T) ? 2 : 4;
        sched_resume_current(regs);
    }
    regs->r[0] = err_no(err);
    sched_resume_current(regs);
}

/*
 * A user exception. Enabled domains get an upcall with the registers in
 * trap_area; a domain that faults while disabled cannot handle it and is
 * killed.
 */
void trap_user_fault(struct arch_registers *regs, enum fault_type type,
                     lvaddr_t addr, uint32_t access, uint32_t fsr)
{
    struct dcb *dcb = dcb_current();
    struct dispatcher_shared *disp = dcb_shared(dcb);
    struct fault_info fault = {
        .type = type, .addr = addr, .access = access, .fsr = fsr, .pc = regs->pc,
    };
    const char *what = fault_type_name(type);

    preempt_entered(PREEMPT_WHAT_FAULT);
    if (dispatcher_is_disabled(disp, regs->pc)) {
        dispatcher_kill(dcb, what, regs->pc, addr);
        printk("autarky:   (the domain was disabled: in its scheduler or fault handler)\n");
        sched_run_next();
    }
    if (disp->entry_fault == 0) {
        dispatcher_kill(dcb, what, regs->pc, addr);
        printk("autarky:   (the domain has no fault entry point)\n");
        sched_run_next();
    }
    arch_regs_copy(&disp->trap_area, regs);     /* not memcpy: ~10 instructions */
    sched_upcall_fault(dcb, &fault);
}

/* An interrupt: only the preemption timer is enabled for now. */
void trap_irq(struct arch_registers *regs)
{
    preempt_entered(PREEMPT_WHAT_IRQ);
    if (arch_irq_handle()) {
        sched_save_current(regs);
        sched_run_next();
    }
    sched_resume_current(regs);
}
