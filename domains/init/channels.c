/*
 * Channels between domains on different cores (channels.h).
 *
 *  connector a        init A (lender)                 init B (borrower)          acceptor b
 *                                                                          ◀── CHAN_ACCEPT (waits)
 *  CHAN_CONNECT(b) ─▶ RAM, Frame, map, lend(B) ─▶ loan
 *                     doorbell(a), IPI(A, a)
 *                     ICM_CHAN_CONNECT{id, loan, a, db a, b} ─▶ claim(loan), map
 *                                                       doorbell(b), IPI(B, b), IPI(A, db a)
 *                                                       reply to b's accept ──────▶ frame copy
 *                     IPI(B, db b) ◀── {OK, db b, id} ──┘
 *  ◀── frame copy ────┘
 *  CHAN_IPI ────────▶ copy of IPI(B, db b)                                   ◀── CHAN_IPI
 *
 * Ends, on each side by itself (chan_local_done): the init sets its
 * closed flag, rings the peer domain, takes back every copy of the frame
 * (revoke); the borrower returns the loan (the kernel checks its copy is
 * the core's last, rule 12) and sends ICM_CHAN_CLOSED; the lender frees
 * the RAM when its side is done and the loan is back (KERNELCMD_RECLAIM_
 * LOAN succeeds only then).
 *
 * ICM payloads: CHAN_CONNECT {lender's id, loan, connector pid, its
 * doorbell, acceptor pid} -> {err, acceptor's doorbell, borrower's id};
 * CHAN_CLOSED {the receiver's id} (no answer).
 */
#include "channels.h"
#include "intercore.h"
#include "procs.h"
#include "mem_server.h"
#include <aos/xchan.h>
#include <aos/caps.h>
#include <aos/paging.h>
#include <aos/slot_alloc.h>
#include <aos/dispatch.h>
#include <aos/aos_rpc_wire.h>
#include <autarky/bootinfo.h>
#include <string.h>

enum chan_state {
    CHAN_FREE,
    CHAN_CONNECTING,    /* lender: waiting for the borrower's answer */
    CHAN_OPEN,
    CHAN_DRAINING,      /* lender: our side is done, the loan is not back yet */
};

/* One end of a channel, as this init keeps it. Slots are 0 when unset. */
struct chan {
    enum chan_state state;
    uint32_t id;                /* index | generation << 8: how domains name it */
    domainid_t local, peer;
    uint32_t peer_core, peer_id;
    bool lender, peer_dead;
    uint32_t loan;
    capaddr_t ram;              /* lender: the RAM block */
    capaddr_t frame;            /* lender: the Frame; borrower: the claimed Frame */
    capaddr_t view;             /* our mapped copy */
    void *map;
    capaddr_t ring_peer;        /* rings the peer domain's doorbell */
    uint32_t seq;               /* lender: the connect call to answer */
};

static struct chan chans[CHAN_MAX];
static uint32_t generation;
static chan_reply_fn reply;

void channels_init(chan_reply_fn fn)
{
    reply = fn;
}

static uint32_t my_core(void)
{
    return get_bootinfo()->core_id;
}

uint32_t channels_live(void)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        n += chans[i].state != CHAN_FREE;
    }
    return n;
}

/* A free entry for `local`, or NULL if none is free or it holds
 * CHAN_PER_DOMAIN already (its RAM is init's, so it is limited). */
static struct chan *chan_new(domainid_t local)
{
    uint32_t held = 0;

    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        held += chans[i].state != CHAN_FREE && chans[i].local == local;
    }
    if (held >= CHAN_PER_DOMAIN) {
        return NULL;
    }
    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        if (chans[i].state == CHAN_FREE) {
            generation = (generation + 1) & 0xffffffu;
            chans[i] = (struct chan){ .state = CHAN_OPEN, .local = local,
                                      .id = i | (generation + 1) << 8 };
            return &chans[i];
        }
    }
    return NULL;
}

/* The channel `id` names, if it is `local`'s (any pid: local == 0). */
static struct chan *chan_find(uint32_t id, domainid_t local)
{
    struct chan *c = &chans[id & 0xffu];

    if (c->state == CHAN_FREE || c->id != id || (local != 0 && c->local != local)) {
        return NULL;
    }
    return c;
}

/* Delete and free a slot we hold (0: none). */
static void drop_slot(capaddr_t *slot)
{
    if (*slot != 0) {
        cap_delete(*slot);
        slot_free(*slot);
        *slot = 0;
    }
}

/* Map a copy of c->frame for ourselves (to write our closed flag). */
static errval_t map_view(struct chan *c)
{
    errval_t err = slot_alloc(&c->view);

    if (err_is_ok(err)) {
        err = cap_copy_to(c->view, c->frame);
        if (err_is_fail(err)) {
            slot_free(c->view);
            c->view = 0;
            return err;
        }
        err = paging_map_frame(get_current_paging_state(), &c->map, XCHAN_FRAME_BYTES,
                               c->view, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_fail(err)) {
        c->map = NULL;
    }
    return err;
}

/* Our mapping and copy of the frame go (before a revoke or return). */
static void unmap_view(struct chan *c)
{
    if (c->map != NULL) {
        paging_unmap(get_current_paging_state(), c->map);
        c->map = NULL;
    }
    drop_slot(&c->view);
}

/* Answer `p`'s connect or accept: words {id, peer pid, side}, with a copy
 * of the frame its holder cannot revoke (nor so take back our own caps). */
static void answer_open(struct chan *c, uint32_t op, uint32_t seq)
{
    uint32_t w[3] = { c->id, c->peer, c->lender ? UMP_SIDE_A : UMP_SIDE_B };
    capaddr_t copy;
    errval_t err = slot_alloc(&copy);

    if (err_is_fail(err)) {
        reply(c->local, seq, op, err, NULL, 0, CPTR_NULL);
        return;
    }
    err = cap_mint(cptr_cnode(copy), cptr_slot(copy), c->frame,
                            CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 0);
    if (err_is_ok(err)) {
        reply(c->local, seq, op, SYS_ERR_OK, w, 3, copy);
        cap_delete(copy);       /* the domain's copy went with the reply */
    } else {
        reply(c->local, seq, op, err, NULL, 0, CPTR_NULL);
    }
    slot_free(copy);
}

/* ---- the end of one side ---- */

/* Lender: free the RAM once the loan is back (or never was claimed). */
static void lender_try_finish(struct chan *c)
{
    if (c->loan != UINT32_MAX && err_is_fail(kernel_reclaim_loan(CAP_KERNEL, c->loan))) {
        c->state = CHAN_DRAINING;   /* the borrower still has it */
        return;
    }
    c->loan = UINT32_MAX;
    if (c->ram != 0) {
        mem_server_free_block(c->ram);      /* revokes the frame with it */
        c->ram = 0;
    }
    if (c->frame != 0) {
        slot_free(c->frame);
        c->frame = 0;
    }
    memset(c, 0, sizeof(*c));
}

/* Borrower: every copy gone, give the loan back and tell the lender. */
static void borrower_finish(struct chan *c)
{
    struct icm m = { .op = ICM_CHAN_CLOSED, .src = my_core(), .dst = c->peer_core,
                     .nwords = 1, .w = { c->peer_id } };

    if (c->frame != 0) {
        cap_revoke(c->frame);
        if (err_is_ok(kernel_return_loan(CAP_KERNEL, c->loan, c->frame))) {
            slot_free(c->frame);
        } else {
            drop_slot(&c->frame);           /* not ours to return any more */
        }
        c->frame = 0;
    }
    if (!c->peer_dead) {
        intercore_send(&m);
    }
    memset(c, 0, sizeof(*c));
}

/*
 * Our domain's end of `c` is gone (closed, ended, or never got it): the
 * peer domain learns it from our flag and its doorbell; our domain's
 * copies of the frame go.
 */
static void chan_local_done(struct chan *c)
{
    if (c->map != NULL) {
        xchan_set_closed(c->map, c->lender ? 0 : 1);
        if (c->ring_peer != 0) {
            ipi_notify(c->ring_peer);
        }
    }
    unmap_view(c);
    drop_slot(&c->ring_peer);
    if (c->lender) {
        if (c->frame != 0) {
            cap_revoke(c->frame);
        }
        lender_try_finish(c);
    } else {
        borrower_finish(c);
    }
}

/* Our domain's channel is closed from the other side: it sees our flag
 * (the peer's init rang it; we ring it too, in case the peer could not). */
static void chan_peer_gone(struct chan *c, bool core_dead)
{
    if (core_dead) {
        c->peer_dead = true;
    }
    if (c->map != NULL) {
        xchan_set_closed(c->map, c->lender ? 0 : 1);
    }
    struct proc *p = proc_find(c->local);
    uint32_t db;
    capaddr_t ring;
    if (p != NULL && p->state == PROC_STATE_RUNNING
        && err_is_ok(disp_doorbell(p->si.dispatcher, &db))
        && err_is_ok(kernel_new_ipi(CAP_KERNEL, my_core(), db, &ring))) {
        ipi_notify(ring);
        drop_slot(&ring);
    }
}

/* ---- the lender (connector's side) ---- */

/* Lender: a zeroed frame of our RAM, mapped for us, lent to `core`, and
 * the request to that core's init. On an error c holds what was made
 * (chan_local_done undoes it). */
static errval_t lender_setup(struct chan *c, struct proc *p, uint32_t core)
{
    gensize_t got;
    uint32_t db;
    errval_t err = mem_server_alloc(&c->ram, XCHAN_FRAME_BYTES, XCHAN_FRAME_BYTES, &got);

    if (err_is_fail(err)) {
        c->ram = 0;
        return err;
    }
    err = slot_alloc(&c->frame);
    if (err_is_fail(err)) {
        c->frame = 0;
        return err;
    }
    err = cap_retype_one(c->ram, ObjType_Frame, 0, XCHAN_FRAME_BYTES, c->frame);
    if (err_is_ok(err)) {
        err = map_view(c);          /* a new frame is zero: both flags clear */
    }
    if (err_is_ok(err)) {
        err = kernel_lend_frame(CAP_KERNEL, c->frame, core, &c->loan);
    }
    if (err_is_ok(err)) {
        err = disp_doorbell(p->si.dispatcher, &db);
    }
    if (err_is_fail(err)) {
        return err;
    }
    struct icm m = { .op = ICM_CHAN_CONNECT, .src = my_core(), .dst = core, .tag = c->id,
                     .nwords = 5, .w = { c->id, c->loan, p->pid, db, c->peer } };
    return intercore_send(&m);
}

void chan_connect(struct proc *p, uint32_t seq, domainid_t peer)
{
    uint32_t core = aos_pid_core(peer);
    struct chan *c;
    errval_t err;

    if (core == my_core()) {
        err = INIT_ERR_CHAN_SAME_CORE;
    } else if (core >= get_bootinfo()->ncores) {
        err = INIT_ERR_NO_SUCH_PID;
    } else if (intercore_is_dead(core)) {
        err = INIT_ERR_CORE_DEAD;
    } else if ((c = chan_new(p->pid)) == NULL) {
        err = INIT_ERR_CHAN_TOO_MANY;
    } else {
        c->state = CHAN_CONNECTING;
        c->lender = true;
        c->loan = UINT32_MAX;
        c->peer = peer;
        c->peer_core = core;
        c->seq = seq;
        err = lender_setup(c, p, core);
        if (err_is_ok(err)) {
            return;                 /* answered when init B answers */
        }
        chan_local_done(c);
    }
    reply(p->pid, seq, RPC_OP_CHAN_CONNECT, err, NULL, 0, CPTR_NULL);
}

/* Init B's answer to our ICM_CHAN_CONNECT. */
static void lender_answer(struct chan *c, const struct icm *m)
{
    errval_t err = m->nwords == 3 ? (errval_t)m->w[0] : INIT_ERR_BAD_ANSWER;
    struct proc *p = proc_find(c->local);

    if (err_is_ok(err)) {
        c->peer_id = m->w[2];
        err = kernel_new_ipi(CAP_KERNEL, c->peer_core, m->w[1], &c->ring_peer);
    }
    if (err_is_ok(err) && (p == NULL || p->state != PROC_STATE_RUNNING)) {
        c->state = CHAN_OPEN;
        chan_local_done(c);         /* the connector ended meanwhile */
        return;
    }
    if (err_is_fail(err)) {
        uint32_t seq = c->seq;
        chan_local_done(c);         /* the loan was not claimed, or came back; c is gone */
        if (p != NULL) {
            reply(p->pid, seq, RPC_OP_CHAN_CONNECT, err, NULL, 0, CPTR_NULL);
        }
        return;
    }
    c->state = CHAN_OPEN;
    answer_open(c, RPC_OP_CHAN_CONNECT, c->seq);
}

/* ---- the borrower (acceptor's side) ---- */

void chan_accept(struct proc *p, uint32_t seq)
{
    if (p->chan_accepting) {
        reply(p->pid, seq, RPC_OP_CHAN_ACCEPT, INIT_ERR_CHAN_BUSY, NULL, 0, CPTR_NULL);
        return;
    }
    p->chan_accepting = true;
    p->chan_accept_seq = seq;
}

/* Borrower: claim the loan `m` names, map it for us, and the acceptor
 * `t`'s doorbell (*db) and a ring of the connector's. On an error after
 * the claim, c holds the claimed frame (chan_local_done returns it). */
static errval_t borrower_setup(struct chan *c, struct proc *t, const struct icm *m,
                               uint32_t *db)
{
    errval_t err = slot_alloc(&c->frame);

    if (err_is_fail(err)) {
        c->frame = 0;
        return err;
    }
    c->loan = m->w[1];
    err = kernel_claim_loan(CAP_KERNEL, c->loan, c->frame);
    if (err_is_fail(err)) {
        slot_free(c->frame);
        c->frame = 0;
        return err;                 /* nothing claimed: the lender takes it back */
    }
    err = map_view(c);
    if (err_is_ok(err)) {
        err = disp_doorbell(t->si.dispatcher, db);
    }
    if (err_is_ok(err)) {
        err = kernel_new_ipi(CAP_KERNEL, m->src, m->w[3], &c->ring_peer);
    }
    return err;
}

/* ICM_CHAN_CONNECT from a lender: checked like a domain's request (the
 * acceptor runs here and waits in CHAN_ACCEPT), answered either way. */
static void borrower_connect(const struct icm *m)
{
    struct icm a = { .op = ICM_CHAN_CONNECT | ICM_REPLY, .src = my_core(), .dst = m->src,
                     .tag = m->tag, .nwords = 3 };
    struct proc *t = m->nwords == 5 ? proc_find(m->w[4]) : NULL;
    struct chan *c = NULL;
    uint32_t db = 0;
    errval_t err = SYS_ERR_OK;

    if (m->nwords != 5) {
        err = LIB_ERR_RPC_MALFORMED;
    } else if (t == NULL || t->state != PROC_STATE_RUNNING) {
        err = INIT_ERR_NO_SUCH_PID;
    } else if (!t->chan_accepting) {
        err = INIT_ERR_CHAN_NOT_ACCEPTING;
    } else if ((c = chan_new(t->pid)) == NULL) {
        err = INIT_ERR_CHAN_TOO_MANY;
    } else {
        c->peer = m->w[2];
        c->peer_core = m->src;
        c->peer_id = m->w[0];
        err = borrower_setup(c, t, m, &db);
        if (err_is_fail(err)) {
            c->peer_dead = true;    /* no ICM_CHAN_CLOSED: the answer says it */
            chan_local_done(c);
        }
    }
    a.w[0] = (uint32_t)err;
    a.w[1] = db;
    a.w[2] = c != NULL && err_is_ok(err) ? c->id : 0;
    intercore_send(&a);
    if (err_is_ok(err)) {
        t->chan_accepting = false;
        answer_open(c, RPC_OP_CHAN_ACCEPT, t->chan_accept_seq);
    }
}

/* ---- the rest of a domain's calls ---- */

void chan_give_ipi(struct proc *p, uint32_t seq, uint32_t id)
{
    struct chan *c = chan_find(id, p->pid);
    capaddr_t copy;
    errval_t err = c == NULL || c->state != CHAN_OPEN || c->ring_peer == 0
                   ? INIT_ERR_CHAN_INVALID : slot_alloc(&copy);

    if (err_is_ok(err)) {
        err = cap_mint(cptr_cnode(copy), cptr_slot(copy), c->ring_peer,
                       CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 0);
        if (err_is_ok(err)) {
            reply(p->pid, seq, RPC_OP_CHAN_IPI, SYS_ERR_OK, NULL, 0, copy);
            cap_delete(copy);
            slot_free(copy);
            return;
        }
        slot_free(copy);
    }
    reply(p->pid, seq, RPC_OP_CHAN_IPI, err, NULL, 0, CPTR_NULL);
}

void chan_close(struct proc *p, uint32_t seq, uint32_t id)
{
    struct chan *c = chan_find(id, p->pid);

    if (c == NULL || c->state != CHAN_OPEN) {
        reply(p->pid, seq, RPC_OP_CHAN_CLOSE, INIT_ERR_CHAN_INVALID, NULL, 0, CPTR_NULL);
        return;
    }
    chan_local_done(c);
    reply(p->pid, seq, RPC_OP_CHAN_CLOSE, SYS_ERR_OK, NULL, 0, CPTR_NULL);
}

void channels_proc_ended(struct proc *p)
{
    p->chan_accepting = false;
    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        if (chans[i].state == CHAN_OPEN && chans[i].local == p->pid) {
            chan_local_done(&chans[i]);
        }                           /* CONNECTING: done when the answer comes */
    }
}

bool channels_icm(const struct icm *m)
{
    struct chan *c;

    switch (m->op) {
    case ICM_CHAN_CONNECT:
        borrower_connect(m);
        return true;
    case ICM_CHAN_CONNECT | ICM_REPLY:
        c = chan_find(m->tag, 0);
        if (c != NULL && c->state == CHAN_CONNECTING && c->peer_core == m->src) {
            lender_answer(c, m);
        }
        return true;
    case ICM_CHAN_CLOSED:
        c = m->nwords == 1 ? chan_find(m->w[0], 0) : NULL;
        if (c != NULL && c->lender && c->peer_core == m->src) {
            if (c->state == CHAN_DRAINING) {
                lender_try_finish(c);
            } else if (c->state == CHAN_OPEN) {
                chan_peer_gone(c, false);
            }
        }
        return true;
    default:
        return false;
    }
}

void channels_core_dead(uint32_t core)
{
    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        struct chan *c = &chans[i];
        if (c->state == CHAN_FREE || c->peer_core != core) {
            continue;
        }
        if (c->state == CHAN_CONNECTING) {
            reply(c->local, c->seq, RPC_OP_CHAN_CONNECT, INIT_ERR_CORE_DEAD, NULL, 0, CPTR_NULL);
            c->peer_dead = true;
            chan_local_done(c);     /* a claimed loan stays pinned (DRAINING) */
        } else if (c->state == CHAN_OPEN) {
            chan_peer_gone(c, true);
        }
    }
}
