/*
 * The domain side of the dispatcher: first run, run upcalls, fault upcalls
 * and resuming a saved context. See docs/dispatchers.md. The first run
 * upcall itself is the start-up layer's (lib/start/first_run.c): it ties
 * the runtime's layers together before main.
 *
 * Invariants:
 *  - Upcalls run disabled on the upcall stack; every thread (main is
 *    thread 0) runs enabled on its own stack, or on its exception stack
 *    while its exception handler runs.
 *  - A context is resumed either at user level (dispatch_resume_user, whose
 *    critical section the kernel knows) or, when it carries Thumb IT state,
 *    by the kernel (SYS_RESUME on enabled_area).
 *  - Scheduling is the threads package's (lib/threads.c): the run upcall
 *    goes to threads_run_upcall, the fault upcall first to the faulting
 *    thread's own handler, then to the domain-wide one.
 */
#include <aos/dispatch.h>
#include <aos/threads.h>
#include <aos/syscalls.h>
#include <aos/caps.h>
#include <aos/debug.h>
#include <autarky/layout.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPCALL_STACK_SIZE 16384
#define ARM_CPSR_IT_MASK  0x0600fc00u

static char upcall_stack[UPCALL_STACK_SIZE] __attribute__((aligned(8)));
static exception_handler_fn exception_handler;

/* Defined in lib/arch/armv7/entry.S and tls.S, and by the linker script. */
extern char _start[], dispatch_fault_entry[];
extern char dispatch_crit_start[], dispatch_crit_end[];
void dispatch_resume_user(const struct arch_registers *regs,
                          volatile uint32_t *disabled) __attribute__((noreturn));
void sys_resume(void);

struct dispatcher_shared *get_dispatcher(void)
{
    return (struct dispatcher_shared *)USER_DISP_VADDR;
}

const struct bootinfo *get_bootinfo(void)
{
    lvaddr_t bi = get_dispatcher()->bootinfo;
    return bi ? (const struct bootinfo *)bi : NULL;
}

exception_handler_fn set_exception_handler(exception_handler_fn handler)
{
    exception_handler_fn old = exception_handler;
    exception_handler = handler;
    return old;
}

/*
 * Resume `regs` and leave disabled mode. Never returns.
 * Precondition: disabled (the upcall stack or the caller's stack is left
 * behind; nothing on it is used once the resume sequence starts).
 */
void dispatch_resume_context(struct arch_registers *regs)
{
    struct dispatcher_shared *disp = get_dispatcher();

    if (regs->cpsr & ARM_CPSR_IT_MASK) {
        arch_regs_copy(&disp->enabled_area, regs);
        sys_resume();            /* only returns on a kernel error */
        domain_exit(EXIT_FAILURE);
    }
    if (regs->cpsr & ARM_CPSR_T) {
        regs->pc |= 1;           /* ldm into pc interworks on bit 0 */
    }
    dispatch_resume_user(regs, &disp->disabled);
}

/*
 * Point the kernel at this domain's upcall entries and critical section,
 * give later upcalls their own stack and make the running context thread 0
 * (with the image's TLS block). Called once, disabled, by the first run
 * upcall (lib/start/first_run.c).
 */
void dispatch_install_upcalls(struct dispatcher_shared *disp)
{
    disp->entry_run = (lvaddr_t)_start;
    disp->entry_fault = (lvaddr_t)dispatch_fault_entry;
    disp->crit_pc_low = (lvaddr_t)dispatch_crit_start;
    disp->crit_pc_high = (lvaddr_t)dispatch_crit_end;
    disp->upcall_sp = (lvaddr_t)(upcall_stack + UPCALL_STACK_SIZE);
    threads_init(disp);          /* thread 0; the image's .tdata/.tbss is its TLS */
}

/* Run upcall after a preemption or yield while enabled: the thread
 * scheduler saves enabled_area into the running thread and picks the next. */
void __attribute__((noreturn)) dispatch_run(struct dispatcher_shared *disp)
{
    threads_run_upcall(disp);
}

/* Print one line about a fault nobody handled, the way the kernel does
 * (cut to fit, but always one whole line). Uses no lock (snprintf,
 * SYS_PRINT): callable disabled or enabled. */
static void report_fault(const struct dispatcher_shared *disp,
                         const struct fault_info *f, const char *note)
{
    char line[256];
    const char *what = fault_type_name(f->type);
    int n = snprintf(line, sizeof(line),
                     "autarky: killed domain '%.31s' (thread %lu): unhandled %s "
                     "at pc 0x%08lx addr 0x%08lx (%s)%s%s\n",
                     disp->name, (unsigned long)disp->current_thread, what,
                     (unsigned long)f->pc, (unsigned long)f->addr,
                     f->access == FAULT_ACCESS_WRITE ? "write"
                     : f->access == FAULT_ACCESS_EXEC ? "exec" : "read",
                     note != NULL ? ", " : "", note != NULL ? note : "");
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    sys_print(line, (size_t)n);
}

/* Report `fault` of the current thread and end the domain. */
void dispatch_fatal_fault(const struct fault_info *fault, const char *note)
{
    report_fault(get_dispatcher(), fault, note);
    domain_exit(EXIT_FAILURE);
}

/*
 * Fault upcall (disabled, upcall stack). The faulting thread's own handler
 * first (threads_fault_upcall does not return then: the thread continues
 * in its handler on its exception stack); otherwise the domain-wide
 * handler, run here; without either, end the domain.
 */
void __attribute__((noreturn)) dispatch_fault(struct dispatcher_shared *disp)
{
    struct fault_info fault;
    struct arch_registers regs;

    threads_fault_upcall(disp);      /* returns only without a thread handler */
    fault = disp->fault;             /* (unchanged by it then) */
    arch_regs_copy(&regs, &disp->trap_area);
    if (exception_handler != NULL && exception_handler(&fault, &regs)) {
        dispatch_resume_context(&regs);
    }
    dispatch_fatal_fault(&fault, NULL);
}

static domain_exit_notice_fn exit_notice;

void domain_set_exit_notice(domain_exit_notice_fn notice)
{
    exit_notice = notice;
}

void domain_exit(int status)
{
    fflush(stdout);
    if (get_bootinfo() != NULL) {
        kernel_poweroff(CAP_KERNEL, status);   /* init: the system ends */
    }
    if (exit_notice != NULL && exit_notice(status)) {
        /* Whoever was told reclaims everything once it reads the notice.
         * Until then wait, disabled (no other thread runs again), rather
         * than stop: a stopped dispatcher would show as "stopped" to
         * anyone asking init before it has read the EXIT (rule 7 of
         * docs/safety.md). */
        threads_disable();
        for (;;) {
            sys_wait();
        }
    }
    disp_stop(CAP_DISPATCHER);
    for (;;) {
        sys_yield();   /* not reached: a stopped dispatcher never runs */
    }
}

/* picolibc's exit() ends here. */
void _exit(int status)
{
    domain_exit(status);
}
