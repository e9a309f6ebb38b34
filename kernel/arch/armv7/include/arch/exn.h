/*
 * Private interface between vectors.S and exn.c.
 */
#ifndef ARCH_ARMV7_EXN_H
#define ARCH_ARMV7_EXN_H

#include <stdint.h>
#include <arch/registers.h>

/* The save area every exception entry fills (vectors.S). */
extern struct arch_registers arch_trap_regs;

void arch_user_exception(uint32_t kind) __attribute__((noreturn));
void arch_kernel_exception(uint32_t kind, uint32_t sp_svc, uint32_t lr_svc)
    __attribute__((noreturn));

#endif
