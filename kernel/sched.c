/*
 * Round-robin scheduling of dispatchers, and dispatching one.
 *
 * The run queue is a circular doubly-linked list of runnable DCBs
 * (state DCB_RUNNABLE). `current` is the DCB whose user state sits in the
 * trap frame while the kernel runs, or NULL when that domain is gone (it
 * stopped itself, was killed or its DCB was destroyed during this trap):
 * then nothing must be written back for it.
 *
 * Dispatching follows Barrelfish (see include/autarky/dispatcher.h):
 *   disabled == 1  -> resume disabled_area where it stopped
 *   disabled == 0  -> upcall entry_run with disabled = 1
 *
 * Invariant: interrupts are masked whenever the kernel runs; the kernel
 * stack holds no state across arch_resume_user(). No path here recurses:
 * a DCB that cannot be dispatched is killed and the loop in
 * sched_run_next() picks the next one (docs/safety.md, bounded kernel
 * work), so the stack depth never depends on how many such DCBs a domain
 * made.
 */
#include <kernel/dispatcher.h>
#include <kernel/sched.h>
#include <kernel/core.h>
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <kernel/preempt.h>
#include <arch/memory.h>

static struct dcb *run_queue;      /* any runnable DCB, the "next" pointer walks on */
struct dcb *sched_current;         /* DCB whose state is in the trap frame, or NULL */
static uint32_t timeslice_ticks;   /* counter ticks per time slice */
static uint64_t slice_end;         /* counter value at which the running slice ends */

void sched_forget_current(struct dcb *dcb)
{
    if (sched_current == dcb) {
        /* it leaves the CPU without sched_save_current (it stopped itself,
         * blocked or died): keep the register it may write all the same */
        dcb->user_rw_tls = arch_get_user_rw_tls();
        sched_current = NULL;
    }
}

void sched_init(uint32_t slice_us)
{
    uint64_t ticks = (uint64_t)timer_frequency() * slice_us / 1000000u;
    timeslice_ticks = ticks ? (uint32_t)ticks : 1;
}

/* Append `dcb` to the run queue (before run_queue, i.e. last in turn). */
void sched_make_runnable(struct dcb *dcb)
{
    if (dcb->state == DCB_RUNNABLE) {
        return;
    }
    dcb->state = DCB_RUNNABLE;
    if (run_queue == NULL) {
        dcb->rq_next = dcb->rq_prev = dcb;
        run_queue = dcb;
        return;
    }
    dcb->rq_next = run_queue;
    dcb->rq_prev = run_queue->rq_prev;
    run_queue->rq_prev->rq_next = dcb;
    run_queue->rq_prev = dcb;
}

/* Take `dcb` out of the run queue (no-op if it is not in it). The caller
 * sets the new state. */
void sched_remove(struct dcb *dcb)
{
    if (dcb->state != DCB_RUNNABLE) {
        return;
    }
    if (dcb->rq_next == dcb) {
        run_queue = NULL;
    } else {
        dcb->rq_prev->rq_next = dcb->rq_next;
        dcb->rq_next->rq_prev = dcb->rq_prev;
        if (run_queue == dcb) {
            run_queue = dcb->rq_next;
        }
    }
    dcb->rq_next = dcb->rq_prev = NULL;
    dcb->state = DCB_STOPPED;
}

/* Enter `dcb`'s upcall `entry` with disabled = 1. */
static void __attribute__((noreturn))
dispatch_upcall(struct dcb *dcb, lvaddr_t entry, uint32_t a1, uint32_t a2,
                uint32_t a3)
{
    struct dispatcher_shared *disp = dcb_shared(dcb);
    struct arch_registers regs = { 0 };

    disp->disabled = 1;
    regs.r[0] = dcb->disp_uva;
    regs.r[1] = a1;
    regs.r[2] = a2;
    regs.r[3] = a3;
    regs.sp = disp->upcall_sp;
    regs.pc = entry & ~1u;
    regs.cpsr = ARM_MODE_USR | ((entry & 1u) ? ARM_CPSR_T : 0);
    preempt_leaving();
    arch_resume_user(&regs);
}

static uint32_t core_dispatches;    /* of any domain on this core, since boot */
static uint32_t core_doorbell_irqs; /* doorbell interrupts this core took, since boot */

void sched_doorbell_irq_taken(void)
{
    core_doorbell_irqs++;
    if (sched_current != NULL) {
        dcb_shared(sched_current)->core_doorbell_irqs = core_doorbell_irqs;
    }
}

/*
 * Run `dcb` (already at the head of the run queue): switch address space,
 * arm the timer, and resume or upcall it. A fresh time slice starts unless
 * `donated`: then `dcb` runs for what is left of the slice that was
 * running (a directed yield hands its remaining time over, so domains
 * that ping-pong messages share one slice and the timer still ends it:
 * safety rule 8). Returns only if the DCB cannot run (no run entry
 * point): then it has been killed and the caller picks another.
 */
static void dispatch(struct dcb *dcb, bool donated)
{
    struct dispatcher_shared *disp = dcb_shared(dcb);

    if (sched_current != dcb) {
        /* a register the domain writes: saved with its other registers
         * (sched_save_current), loaded with them */
        arch_set_user_rw_tls(dcb->user_rw_tls);
    }
    sched_current = dcb;
    disp->timeslices++;
    disp->core_dispatches = ++core_dispatches;
    disp->core_doorbell_irqs = core_doorbell_irqs;  /* fresh at each dispatch too:
                                                       taken while another ran */
    arch_set_user_vspace(dcb->ctes[DCB_CTE_VSPACE].cap.base);
    arch_set_user_tls(dcb->user_tls);
    if (!donated) {
        slice_end = timer_now() + timeslice_ticks;
        timer_set_deadline(slice_end);
    }                               /* donated: the timer is set for slice_end already */
    if (disp->disabled) {
        dcb->resume_enabled = 0;
        preempt_leaving();
        arch_resume_user(&disp->disabled_area);
    }
    if (dcb->resume_enabled) {
        /* Woken from SYS_WAIT: the call simply returns (no upcall). */
        dcb->resume_enabled = 0;
        preempt_leaving();
        arch_resume_user(&disp->enabled_area);
    }
    if (disp->entry_run == 0) {
        dispatcher_kill(dcb, "no run entry point", 0, 0);   /* current = NULL */
        return;
    }
    dispatch_upcall(dcb, disp->entry_run, 0, 0, 0);
}

/*
 * Nothing is runnable: idle until an interrupt makes something runnable.
 * WFI wakes on a pending interrupt although the CPSR masks it; we
 * acknowledge it and look again. Only a doorbell from another core wakes
 * a domain (the timer only preempts), so a system in which every domain
 * waits idles for good. Each core says so the first time it idles
 * ("autarky: core N: idle"; later idling is silent: with several cores,
 * waiting for another core's answer idles too, and often).
 * The kernel never decides to power off on its own: only init, through
 * the Kernel capability, does that (docs/safety.md, rule 6).
 */
static void sched_idle(void)
{
    static bool said;               /* per core: a kernel variable */

    sched_current = NULL;
    if (!said) {
        said = true;
        printk("autarky: core %u: idle: no domain is runnable\n", (unsigned)core_id());
    }
    while (run_queue == NULL) {
        preempt_leaving();
        arch_wait_for_interrupt();
        preempt_entered(PREEMPT_WHAT_IDLE_WAKE);
        arch_irq_handle();
    }
}

/* Kills between two looks at pending interrupts (each kill prints a line). */
#define SCHED_KILLS_PER_POLL 8

/*
 * Pick the next runnable DCB after the current one and dispatch it. A
 * loop, not recursion: each DCB that turns out not to be dispatchable is
 * killed (and leaves the queue), so the loop ends after at most as many
 * rounds as there are runnable DCBs. However many those are, every
 * SCHED_KILLS_PER_POLL kills it acknowledges what interrupts are pending,
 * so none waits longer than that many kills (rule 9).
 */
void sched_run_next(void)
{
    for (uint32_t kills = 0;; kills++) {
        struct dcb *next;

        if (kills > 0 && kills % SCHED_KILLS_PER_POLL == 0) {
            preempt_leaving();
            arch_irq_handle();
            preempt_entered(PREEMPT_WHAT_IRQ);
        }
        if (run_queue == NULL) {
            sched_idle();
        }
        next = run_queue;
        if (sched_current != NULL && sched_current->state == DCB_RUNNABLE) {
            next = sched_current->rq_next;
        }
        run_queue = next;
        dispatch(next, false);
    }
}

/*
 * `dcb` (the current one, its state already saved by the system call)
 * leaves the run queue until sched_unblock: DCB_WAITING in SYS_WAIT until
 * a message arrives, DCB_SENDING in a queued SYS_LMP_SEND until the
 * receiver has room (kernel/lmp_sendq.c).
 */
void sched_block(struct dcb *dcb, enum dcb_state why)
{
    sched_remove(dcb);
    dcb->state = why;
    sched_forget_current(dcb);
}

/* End the blocked system call of `dcb` with `result` in r0 and make it
 * runnable; the call returns directly, without an upcall. */
void sched_unblock(struct dcb *dcb, errval_t result)
{
    struct dispatcher_shared *disp = dcb_shared(dcb);

    dcb->state = DCB_STOPPED;
    if (disp->disabled) {
        disp->disabled_area.r[0] = err_no(result);
    } else {
        disp->enabled_area.r[0] = err_no(result);
        dcb->resume_enabled = 1;
    }
    sched_make_runnable(dcb);
}

/* A message arrived for `dcb`: if it waits, its SYS_WAIT returns OK. */
void sched_wake(struct dcb *dcb)
{
    if (dcb->state == DCB_WAITING) {
        sched_unblock(dcb, SYS_ERR_OK);
    }
}

/* Directed yield: run `dcb` now, for the rest of the current slice; the
 * current domain stays in the queue. */
void sched_switch_to(struct dcb *dcb)
{
    if (dcb->state == DCB_RUNNABLE) {
        run_queue = dcb;
        dispatch(dcb, true);        /* returns only if it killed dcb */
    }
    sched_run_next();
}

/* Resume the current domain after a trap that did not reschedule. */
void sched_resume_current(struct arch_registers *regs)
{
    if (sched_current == NULL || sched_current->state != DCB_RUNNABLE) {
        sched_run_next();
    }
    preempt_leaving();
    arch_resume_user(regs);
}

/*
 * The current domain was interrupted (timer) or yielded: store its
 * registers where its dispatcher frame says (enabled or disabled area).
 */
void sched_save_current(const struct arch_registers *regs)
{
    struct dispatcher_shared *disp;

    if (sched_current == NULL || sched_current->state != DCB_RUNNABLE) {
        return;
    }
    sched_current->user_rw_tls = arch_get_user_rw_tls();
    disp = dcb_shared(sched_current);
    if (dispatcher_is_disabled(disp, regs->pc)) {
        arch_regs_copy(&disp->disabled_area, regs);
        if (regs->pc >= disp->crit_pc_low && regs->pc < disp->crit_pc_high) {
            /* Inside the resume sequence, perhaps after it cleared
             * `disabled`: setting it again below would leave the resumed
             * thread running disabled. Restart the sequence instead, which
             * clears the flag once more (a restartable critical section). */
            disp->disabled_area.pc = disp->crit_pc_low;
        }
        disp->disabled = 1;
    } else {
        arch_regs_copy(&disp->enabled_area, regs);
    }
}

/*
 * The current domain leaves the CPU inside a system call that will simply
 * return OK (a directed yield): save its state and let its next dispatch
 * return from the call directly instead of upcalling its scheduler, as
 * SYS_WAIT does. This is what makes an RPC round trip cost two system
 * calls and no upcalls.
 */
void sched_save_current_in_syscall(const struct arch_registers *regs)
{
    sched_save_current(regs);
    if (sched_current != NULL && sched_current->state == DCB_RUNNABLE
        && !dcb_shared(sched_current)->disabled) {
        sched_current->resume_enabled = 1;
    }
}

/* Fault upcall for the current domain, which is enabled. */
void sched_upcall_fault(struct dcb *dcb, const struct fault_info *fault)
{
    struct dispatcher_shared *disp = dcb_shared(dcb);

    disp->fault = *fault;
    dispatch_upcall(dcb, disp->entry_fault, fault->type, fault->addr,
                    fault->access);
}
