/*
 * Local message passing system calls (kernel/lmp.c). See
 * include/autarky/lmp.h for the ABI.
 */
#ifndef KERNEL_LMP_H
#define KERNEL_LMP_H

#include <kernel/cap.h>
#include <autarky/lmp.h>

struct dcb;

/* One message as SYS_LMP_SEND names it: r1..r11 of the caller, in the
 * same order (struct arch_registers r[1..11]). */
struct lmp_send_args {
    capaddr_t ep;                       /* r1: endpoint cptr */
    capaddr_t cap;                      /* r2: cap to send, CPTR_NULL for none */
    uint32_t flags;                     /* r3: LMP_SEND_* | nwords */
    uint32_t words[LMP_MSG_WORDS];      /* r4..r11 */
};
_Static_assert(sizeof(struct lmp_send_args) == 11 * sizeof(uint32_t),
               "lmp_send_args mirrors r1..r11");

/*
 * Check and deliver one message from the domain whose cspace root is
 * `root` (no yield, no waiting): the common path of a send and of a queued
 * sender's turn (`queued`: it waited in line, so the share limit and the
 * line itself do not apply). *receiver is set once the receiver is known,
 * else NULL. SYS_ERR_LMP_BUF_FULL means: no room for this sender now.
 */
errval_t lmp_deliver(struct cte *root, const struct lmp_send_args *a, bool queued,
                     struct dcb **receiver);
/* Messages waiting in `dcb`'s ring, LMP_RING_SLOTS + 1 if its tail is garbage. */
uint32_t lmp_ring_used(struct dcb *dcb);

/* ---- the line of waiting senders (kernel/lmp_sendq.c) ---- */
/* The current domain `sender` waits in `receiver`'s line with message `a`
 * (its registers `regs` are saved; the call ends in sched_unblock). */
void lmp_sendq_wait(struct dcb *sender, struct dcb *receiver,
                    const struct lmp_send_args *a, struct arch_registers *regs)
    __attribute__((noreturn));
/* `receiver` may have room: deliver waiting senders' messages in order. */
void lmp_sendq_drain(struct dcb *receiver);
/* A waiting sender is stopped: it leaves the line, its send returns
 * SYS_ERR_LMP_BUF_FULL, and it is runnable (the caller stops it). */
void lmp_sendq_cancel(struct dcb *sender);
/* `dcb` dies (killed, emptied, destroyed): it leaves any line it waits in
 * (state DCB_STOPPED, for the caller to set), and every sender waiting for
 * it is told SYS_ERR_LMP_TARGET_DEAD. */
void lmp_sendq_detach(struct dcb *dcb);

/* SYS_LMP_SEND from the current domain (cspace root `root`). May not
 * return (directed yield); otherwise returns the error code for r0. */
errval_t sys_lmp_send(struct cte *root, struct arch_registers *regs);
/* A message from the kernel itself through endpoint cap `ep` (no cap,
 * no yield); dropped if the receiver cannot take it. */
errval_t lmp_deliver_kernel(struct cte *ep, const uint32_t *words, uint32_t nwords);
/* SYS_WAIT: returns only if a message already waits. */
errval_t sys_wait(struct dcb *dcb, struct arch_registers *regs);

#endif
