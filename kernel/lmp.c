/*
 * Local message passing: SYS_LMP_SEND and SYS_WAIT (ABI and ring layout in
 * include/autarky/lmp.h).
 *
 * A send is all-or-nothing: every check (endpoint, receiver alive, flags,
 * ring space, the capability and a receive slot for it) happens before
 * anything changes, so a failed send leaves sender and receiver as they were.
 * The kernel reads the receiver's `tail` and `recv_slots` once each and
 * validates them, since the receiving domain may write them at any time.
 */
#include <kernel/lmp.h>
#include <kernel/endpoint.h>
#include <kernel/dispatcher.h>
#include <kernel/doorbell.h>
#include <kernel/sched.h>
#include <autarky/lmp.h>

/* Messages waiting in a ring, or LMP_RING_SLOTS + 1 if `tail` is garbage. */
static uint32_t ring_used(const struct lmp_recv_area *lmp)
{
    uint32_t used = lmp->head - lmp->tail;

    return used <= LMP_RING_SLOTS ? used : LMP_RING_SLOTS + 1;
}

/*
 * Messages from senders with `badge` waiting in the ring. A badged sender
 * (a domain talking to a server) may hold at most LMP_SENDER_SHARE of a
 * receiver's slots: one domain streaming requests (a long string in
 * fragments, say) must not keep the ring full and starve the others.
 * Unbadged sends (a server's replies to one client) are not limited.
 */
static uint32_t ring_count_badge(const struct lmp_recv_area *lmp, uint32_t badge)
{
    uint32_t used = ring_used(lmp), n = 0;

    for (uint32_t i = 0; i < used && i < LMP_RING_SLOTS; i++) {
        n += lmp->ring[(lmp->tail + i) % LMP_RING_SLOTS].badge == badge;
    }
    return n;
}

/* Append a message (the ring has room) and wake the receiver. */
static void ring_write(struct dcb *dcb, struct lmp_recv_area *lmp, uint32_t badge,
                       const uint32_t *words, uint32_t nwords, capaddr_t cap)
{
    struct lmp_msg_slot *msg = &lmp->ring[lmp->head % LMP_RING_SLOTS];

    uint32_t i;

    msg->badge = badge;
    msg->info = nwords | (cap != CPTR_NULL ? LMP_INFO_HAS_CAP : 0);
    msg->cap = cap;
    for (i = 0; i < nwords; i++) {
        msg->words[i] = words[i];
    }
    for (; i < LMP_MSG_WORDS; i++) {
        msg->words[i] = 0;      /* never leak the sender's other registers */
    }
    lmp->head++;
    lmp->delivered++;
    sched_wake(dcb);
}

/* The receiver of endpoint cap `ep`, if it can take messages now. */
static inline __attribute__((always_inline)) errval_t lmp_receiver(struct cte *ep, struct dcb **ret)
{
    struct dcb *dcb = endpoint_of_cap(&ep->cap)->dcb;

    if (!(ep->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (dcb == NULL) {
        return SYS_ERR_EP_NOT_BOUND;
    }
    if (dcb->state == DCB_EMPTY || dcb->state == DCB_KILLED
        || dcb->ctes[DCB_CTE_DISPFRAME].cap.type != ObjType_Frame
        || dcb->ctes[DCB_CTE_CSPACE].cap.type != ObjType_L1CNode) {
        return SYS_ERR_LMP_TARGET_DEAD;
    }
    *ret = dcb;
    return SYS_ERR_OK;
}

/*
 * Find an armed receive slot in the receiver's cspace that may take a
 * capability of `type`: its index in recv_slots[] and the slot itself.
 * Every slot write passes the same rules as copy and retype
 * (caps_lookup_dest: empty, WRITE on its CNode, only L2 CNodes in L1
 * slots). Armed entries that fail them are skipped (the receiver's mistake
 * must not fail the sender's other options).
 */
static errval_t lmp_recv_slot(struct dcb *dcb, struct lmp_recv_area *lmp,
                              enum objtype type, int *index, struct cte **slot,
                              capaddr_t *cptr)
{
    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        capaddr_t c = lmp->recv_slots[i];
        struct cte *cte;

        if (c == CPTR_NULL) {
            continue;
        }
        if (err_is_ok(caps_lookup_dest(&dcb->ctes[DCB_CTE_CSPACE], c, type, &cte))) {
            *index = i;
            *slot = cte;
            *cptr = c;
            return SYS_ERR_OK;
        }
    }
    return SYS_ERR_LMP_NO_RECV_SLOT;
}

uint32_t lmp_ring_used(struct dcb *dcb)
{
    return ring_used(&dcb_shared(dcb)->lmp);
}

/* The capability to send: it exists and may be passed on (GRANT). */
static errval_t lmp_send_cap(struct cte *root, capaddr_t cptr, struct cte **ret)
{
    errval_t err = caps_lookup_cap(root, cptr, ObjType_Null, ret);

    if (err_is_ok(err) && !((*ret)->cap.rights & CAP_RIGHT_GRANT)) {
        err = SYS_ERR_NO_RIGHTS;
    }
    return err;
}

/*
 * Room in the receiver's ring for a badged sender? Not while others wait
 * in line (a sender in line is only ever passed by unbadged sends, the
 * server's replies), and not beyond its share of the ring; a sender whose
 * turn in line has come (`queued`) needs only a free slot.
 */
static bool ring_has_room(struct dcb *dcb, const struct lmp_recv_area *lmp,
                          uint32_t badge, bool queued)
{
    if (ring_used(lmp) >= LMP_RING_SLOTS) {
        return false;
    }
    if (badge == 0 || queued) {
        return true;
    }
    return dcb->sendq_head == NULL && ring_count_badge(lmp, badge) < LMP_SENDER_SHARE;
}

/* lmp_deliver's body, inlined into sys_lmp_send: the RPC fast path. */
static inline __attribute__((always_inline)) errval_t
deliver(struct cte *root, const struct lmp_send_args *a, bool queued, struct dcb **receiver)
{
    uint32_t nwords = a->flags & LMP_SEND_NWORDS_MASK;
    struct cte *ep, *cap = NULL, *dest = NULL;
    struct lmp_recv_area *lmp;
    struct dcb *dcb;
    capaddr_t dest_cptr = CPTR_NULL;
    uint32_t badge;
    int dest_index = -1;
    errval_t err;

    *receiver = NULL;
    if ((a->flags & ~LMP_SEND_FLAGS_MASK) != 0 || nwords > LMP_MSG_WORDS) {
        return SYS_ERR_LMP_BAD_FLAGS;
    }
    err = caps_lookup_cap(root, a->ep, ObjType_Endpoint, &ep);
    if (err_is_ok(err)) {
        err = lmp_receiver(ep, &dcb);
    }
    if (err_is_ok(err) && a->cap != CPTR_NULL) {
        err = lmp_send_cap(root, a->cap, &cap);
    }
    if (err_is_fail(err)) {
        return err;
    }
    *receiver = dcb;
    lmp = &dcb_shared(dcb)->lmp;
    badge = ep->cap.badge;      /* before a GIVE of the endpoint itself empties it */
    if (!ring_has_room(dcb, lmp, badge, queued)) {
        return SYS_ERR_LMP_BUF_FULL;
    }
    if (cap != NULL) {
        err = lmp_recv_slot(dcb, lmp, cap->cap.type, &dest_index, &dest, &dest_cptr);
        if (err_is_fail(err)) {
            return err;
        }
        /* same rights and badge, but never REVOKE: the receiver may use and
         * delete its copy, not revoke the sender's (captypes.h) */
        err = caps_copy(dest, cap, CAP_RIGHTS_GIVEN, 0);
        if (err_is_fail(err)) {
            return err;
        }
        lmp->recv_slots[dest_index] = CPTR_NULL;
        if (a->flags & LMP_SEND_GIVE) {
            caps_delete(cap);     /* a copy exists now: no object dies */
        }
    }
    ring_write(dcb, lmp, badge, a->words, nwords, dest_cptr);
    return SYS_ERR_OK;
}

errval_t lmp_deliver(struct cte *root, const struct lmp_send_args *a, bool queued,
                     struct dcb **receiver)
{
    return deliver(root, a, queued, receiver);
}

/*
 * SYS_LMP_SEND. A QUEUE send that finds no room waits in the receiver's
 * line (never in its own: nobody would make room). A YIELD send that got
 * through runs the receiver now, for the rest of the sender's time slice.
 */
errval_t sys_lmp_send(struct cte *root, struct arch_registers *regs)
{
    /* the message is r1..r11 as they are: no copy on the fast path */
    const struct lmp_send_args *a = (const struct lmp_send_args *)&regs->r[1];
    struct dcb *dcb, *self = dcb_current();
    errval_t err;

    err = deliver(root, a, false, &dcb);
    if (err_no(err) == SYS_ERR_LMP_BUF_FULL && (a->flags & LMP_SEND_QUEUE) && dcb != self
        && dcb->sendq_len < LMP_LINE_MAX) {
        lmp_sendq_wait(self, dcb, a, regs);
    }
    if (err_is_ok(err) && (a->flags & LMP_SEND_YIELD) && dcb != self
        && dcb->state == DCB_RUNNABLE) {
        regs->r[0] = SYS_ERR_OK;
        sched_save_current_in_syscall(regs);
        sched_switch_to(dcb);
    }
    return err;
}

errval_t lmp_deliver_kernel(struct cte *ep, const uint32_t *words, uint32_t nwords)
{
    struct lmp_recv_area *lmp;
    struct dcb *dcb;
    errval_t err = lmp_receiver(ep, &dcb);

    if (err_is_fail(err)) {
        return err;
    }
    lmp = &dcb_shared(dcb)->lmp;
    if (ring_used(lmp) >= LMP_RING_SLOTS) {
        return SYS_ERR_LMP_BUF_FULL;
    }
    ring_write(dcb, lmp, ep->cap.badge, words, nwords < LMP_MSG_WORDS ? nwords : LMP_MSG_WORDS,
               CPTR_NULL);
    return SYS_ERR_OK;
}

/*
 * SYS_WAIT: return at once if a message waits or a doorbell of the caller
 * rang since it last waited, else block until one of those happens
 * (sched_wake sets r0 = OK in the saved state).
 */
errval_t sys_wait(struct dcb *dcb, struct arch_registers *regs)
{
    dispatcher_retry_kill_notices();        /* a receiver draining its ring */
    if (ring_used(&dcb_shared(dcb)->lmp) != 0 || doorbell_take_notified(dcb)) {
        return SYS_ERR_OK;
    }
    regs->r[0] = SYS_ERR_OK;
    sched_save_current(regs);
    sched_block(dcb, DCB_WAITING);
    sched_run_next();
}
