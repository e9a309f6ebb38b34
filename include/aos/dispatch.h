/*
 * The domain side of the dispatcher (lib/dispatch.c, lib/arch/armv7/entry.S):
 * start-up, upcalls from the kernel, and exception handling.
 *
 * The run and fault upcalls hand over to the threads package
 * (<aos/threads.h>, lib/threads.c), which schedules user-level threads.
 */
#ifndef AOS_DISPATCH_H
#define AOS_DISPATCH_H

#include <stdbool.h>
#include <autarky/dispatcher.h>
#include <arch/registers.h>

/* This domain's dispatcher frame (at USER_DISP_VADDR). */
struct dispatcher_shared *get_dispatcher(void);
/* init only: the boot info page, NULL in other domains. */
const struct bootinfo *get_bootinfo(void);

/*
 * The domain-wide exception handler (fallback): it runs for a fault of a
 * thread that has no handler of its own (thread_set_exception_handler),
 * on the upcall stack with the domain disabled, and gets the fault and the
 * faulting context's registers, which it may change. Return true to resume
 * `regs`, false to treat the fault as fatal (report and stop the domain).
 * It must not block, yield or take a contended lock.
 */
typedef bool (*exception_handler_fn)(const struct fault_info *fault,
                                     struct arch_registers *regs);
/* Install a handler (NULL: none). Returns the previous one. */
exception_handler_fn set_exception_handler(exception_handler_fn handler);

/*
 * Why an abort happened, decoded from the raw fault status the kernel
 * passes in fault_info.fsr (lib/arch/armv7/fault_status.c). Only a
 * TRANSLATION fault (nothing mapped at the address) can be resolved by
 * mapping a page; every other cause is an access the mapping forbids or a
 * hardware event, and mapping cannot make it succeed.
 */
enum fault_cause {
    FAULT_CAUSE_TRANSLATION,    /* unmapped: a pager may map a page */
    FAULT_CAUSE_PERMISSION,     /* mapped, but not for this access (write to
                                   read-only, execute from execute-never) */
    FAULT_CAUSE_ACCESS_FLAG,    /* the kernel uses no access flags */
    FAULT_CAUSE_DOMAIN,         /* the kernel uses no domains */
    FAULT_CAUSE_EXTERNAL,       /* external abort or parity error */
    FAULT_CAUSE_OTHER,          /* debug event, TLB conflict, not an abort... */
};
enum fault_cause fault_cause(const struct fault_info *fault);
/* "translation fault", "permission fault", ... (never NULL). */
const char *fault_cause_name(enum fault_cause cause);

/*
 * Resume `regs` and leave disabled mode (call only while disabled). Thumb
 * contexts get bit 0 of pc set; a context with Thumb IT state is resumed
 * by the kernel (SYS_RESUME). Never returns.
 */
void dispatch_resume_context(struct arch_registers *regs) __attribute__((noreturn));

/* Report an unhandled fault of the current thread in one line
 * ("autarky: killed domain 'NAME' (thread N): unhandled ... at pc ... addr ...",
 * `note` appended if not NULL) and end the domain. */
void dispatch_fatal_fault(const struct fault_info *fault, const char *note)
    __attribute__((noreturn));

/* Install this domain's upcall entries and make the running context
 * thread 0 (the first run upcall does it once, disabled). */
void dispatch_install_upcalls(struct dispatcher_shared *disp);

/* Tell whoever manages this domain that it ends with `status`; true if
 * told (it then reclaims the domain), false if there is nobody to tell. */
typedef bool (*domain_exit_notice_fn)(int status);
/* Installed by the start-up layer (the EXIT RPC to init). */
void domain_set_exit_notice(domain_exit_notice_fn notice);

/* End the domain: init powers the machine off with `status`; any other
 * domain gives its exit notice and waits to be reclaimed, or with nobody to
 * tell, stops its dispatcher. */
void domain_exit(int status) __attribute__((noreturn));

#endif
