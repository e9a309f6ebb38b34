/*
 * System calls other than SYS_INVOKE (kernel/syscall.c).
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <autarky/types.h>
#include <autarky/errors.h>

/* Print `len` bytes from user address `buf` on the console. */
errval_t sys_print(lvaddr_t buf, uint32_t len);
/* The RAM the kernel can reach through its direct map (set at boot). */
void syscall_set_ram_range(lpaddr_t base, lpaddr_t end);
void syscall_ram_range(lpaddr_t *base, lpaddr_t *end);

#endif
