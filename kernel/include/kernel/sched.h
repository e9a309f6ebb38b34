/*
 * Scheduler and dispatch (kernel/sched.c). See kernel/dispatcher.h for the
 * run-queue primitives shared with the dispatcher object.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/dispatcher.h>

void sched_init(uint32_t slice_us);
/* A doorbell interrupt was taken: count it (the core's count is written
 * into each dispatched domain's frame, core_doorbell_irqs); the running
 * domain's frame shows it at once, not only at its next dispatch. */
void sched_doorbell_irq_taken(void);
/* Store the interrupted/yielding current domain's registers. */
void sched_save_current(const struct arch_registers *regs);
void sched_save_current_in_syscall(const struct arch_registers *regs);
/* Resume the current domain with `regs`, or run another if it is gone. */
void sched_resume_current(struct arch_registers *regs) __attribute__((noreturn));
/* Deliver a fault upcall to an enabled domain (trap_area already saved). */
void sched_upcall_fault(struct dcb *dcb, const struct fault_info *fault)
    __attribute__((noreturn));
/* The current domain went away during this trap: never write back to it. */
void sched_forget_current(struct dcb *dcb);

/* True when the domain counts as disabled: its flag is set or `pc` lies in
 * its critical resume section. */
static inline bool dispatcher_is_disabled(const struct dispatcher_shared *disp,
                                          uint32_t pc)
{
    return disp->disabled
        || (pc >= disp->crit_pc_low && pc < disp->crit_pc_high);
}

#endif
