/*
 * The line of waiting senders: what LMP_SEND_QUEUE does when the
 * receiver's ring has no room (docs/messages.md, docs/safety.md rule 8).
 *
 * Each receiving DCB keeps a FIFO of the DCBs blocked sending to it
 * (state DCB_SENDING), linked through the senders themselves, each holding
 * the one message it waits to send (struct dcb.send, a copy of its
 * registers, so nothing the domain writes later changes it). While the
 * line is not empty no badged send gets ahead of it (lmp.c,
 * ring_has_room), so a client waits at most for the senders in front of
 * it, however many others stream requests.
 *
 *   receiver DCB                 sender DCBs (DCB_SENDING)
 *   sendq_head ──────────────▶ A ──sendq_next──▶ B ──sendq_next──▶ C
 *   sendq_tail ──────────────────────────────────────────────────▲
 *
 * The receiver empties its ring in user space, so the kernel makes room
 * for the line at the receiver's next system call (trap_syscall calls
 * lmp_sendq_drain first): a server replies or waits, both system calls.
 * A turn re-runs the whole send (lmp_deliver) against the sender's cspace
 * as it is then, and the sender's call returns what that says. Every
 * operation here is O(1) per sender moved, and a drain moves at most one
 * ring's worth of senders, so the time a receiver's call spends here is
 * bounded (rule 9). A line holds at most LMP_LINE_MAX senders (a sender
 * finding it full gets SYS_ERR_LMP_BUF_FULL at once), so telling a whole
 * line that its receiver died is bounded too.
 *
 * Invariant: dcb->state == DCB_SENDING <=> dcb is in exactly one line,
 * that of dcb->sendq_receiver. Lock order: none (one core, no preemption).
 */
#include <kernel/lmp.h>
#include <kernel/dispatcher.h>
#include <kernel/sched.h>

static void line_append(struct dcb *receiver, struct dcb *sender)
{
    sender->sendq_receiver = receiver;
    sender->sendq_next = NULL;
    sender->sendq_prev = receiver->sendq_tail;
    if (receiver->sendq_tail != NULL) {
        receiver->sendq_tail->sendq_next = sender;
    } else {
        receiver->sendq_head = sender;
    }
    receiver->sendq_tail = sender;
    receiver->sendq_len++;
}

static void line_remove(struct dcb *sender)
{
    struct dcb *receiver = sender->sendq_receiver;

    if (sender->sendq_prev != NULL) {
        sender->sendq_prev->sendq_next = sender->sendq_next;
    } else {
        receiver->sendq_head = sender->sendq_next;
    }
    if (sender->sendq_next != NULL) {
        sender->sendq_next->sendq_prev = sender->sendq_prev;
    } else {
        receiver->sendq_tail = sender->sendq_prev;
    }
    receiver->sendq_len--;
    sender->sendq_next = sender->sendq_prev = sender->sendq_receiver = NULL;
}

void lmp_sendq_wait(struct dcb *sender, struct dcb *receiver,
                    const struct lmp_send_args *a, struct arch_registers *regs)
{
    sender->send = *a;
    line_append(receiver, sender);
    regs->r[0] = SYS_ERR_LMP_BUF_FULL;      /* replaced when its turn comes */
    sched_save_current(regs);
    sched_block(sender, DCB_SENDING);
    sched_run_next();
}

void lmp_sendq_drain(struct dcb *receiver)
{
    for (uint32_t moved = 0; moved < LMP_RING_SLOTS && receiver->sendq_head != NULL;
         moved++) {
        struct dcb *sender = receiver->sendq_head, *to;
        errval_t err;

        if (lmp_ring_used(receiver) >= LMP_RING_SLOTS) {
            return;                          /* still full: next time */
        }
        err = lmp_deliver(&sender->ctes[DCB_CTE_CSPACE], &sender->send, true, &to);
        line_remove(sender);
        sched_unblock(sender, err);
    }
}

void lmp_sendq_cancel(struct dcb *sender)
{
    if (sender->state == DCB_SENDING) {
        line_remove(sender);
        sched_unblock(sender, SYS_ERR_LMP_BUF_FULL);
    }
}

void lmp_sendq_detach(struct dcb *dcb)
{
    if (dcb->state == DCB_SENDING) {
        line_remove(dcb);
        dcb->state = DCB_STOPPED;            /* the caller kills or empties it */
    }
    while (dcb->sendq_head != NULL) {
        struct dcb *sender = dcb->sendq_head;
        line_remove(sender);
        sched_unblock(sender, SYS_ERR_LMP_TARGET_DEAD);
    }
}
