/*
 * The domain side of the dispatcher (lib/dispatch.c, lib/arch/armv7/entry.S):
 * start-up, upcalls from the kernel, and exception handling.
 *
 * One thread of control for now; the threads package (next milestone)
 * replaces "the current context" with its scheduler.
 */
#ifndef AOS_DISPATCH_H
#define AOS_DISPATCH_H

#include <autarky/dispatcher.h>
#include <arch/registers.h>

/* This domain's dispatcher frame (at USER_DISP_VADDR). */
struct dispatcher_shared *get_dispatcher(void);
/* init only: the boot info page, NULL in other domains. */
const struct bootinfo *get_bootinfo(void);

/*
 * An exception handler. It runs on the exception stack, with the domain
 * disabled, and gets the fault and the faulting context's registers, which
 * it may change. Return true to resume `regs`, false to treat the fault as
 * fatal (report and stop the domain).
 */
typedef bool (*exception_handler_fn)(const struct fault_info *fault,
                                     struct arch_registers *regs);
/* Install a handler (NULL: none). Returns the previous one. */
exception_handler_fn set_exception_handler(exception_handler_fn handler);

/* End the domain: init powers the machine off with `status`; other domains
 * stop their dispatcher (exit notification comes with the process manager). */
void domain_exit(int status) __attribute__((noreturn));

#endif
