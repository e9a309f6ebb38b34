/*
 * Local message passing system calls (kernel/lmp.c). See
 * include/autarky/lmp.h for the ABI.
 */
#ifndef KERNEL_LMP_H
#define KERNEL_LMP_H

#include <kernel/cap.h>

struct dcb;

/* SYS_LMP_SEND from the current domain (cspace root `root`). May not
 * return (directed yield); otherwise returns the error code for r0. */
errval_t sys_lmp_send(struct cte *root, struct arch_registers *regs);
/* A message from the kernel itself through endpoint cap `ep` (no cap,
 * no yield); dropped if the receiver cannot take it. */
errval_t lmp_deliver_kernel(struct cte *ep, const uint32_t *words, uint32_t nwords);
/* SYS_WAIT: returns only if a message already waits. */
errval_t sys_wait(struct dcb *dcb, struct arch_registers *regs);

#endif
