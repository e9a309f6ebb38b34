/*
 * Channels between domains on different cores, brokered by the monitors
 * (channels.h).
 *
 *  connector a      monitor A (lender)                monitor B (borrower)     acceptor b
 *                                                                       ◀── CHAN_ACCEPT (waits)
 *  CHAN_CONNECT(b) ─▶ pool frame i (mapped), zero it,
 *                     lend(B) ─▶ loan
 *                     ICM_CHAN_CONNECT{id, loan, a, db a, b} ─▶ claim(loan) into slot j,
 *                                                       map at window j,
 *                                                       IPI(A, db a) into slot j
 *                                                       reply to b's accept ──────▶ frame copy
 *                     IPI(B, db b) ◀── {OK, db b, id} ──┘
 *  ◀── frame copy ────┘
 *  CHAN_IPI ────────▶ copy of IPI(B, db b)                                  ◀── CHAN_IPI
 *
 * A pid B's monitor has no client for (it never bound: it never called
 * CHAN_ACCEPT) is not ours to judge: the request goes on to B's init,
 * which answers INIT_ERR_NO_SUCH_PID or INIT_ERR_CHAN_NOT_ACCEPTING
 * (domains/init/remote_procs.c), as init answered when it was the broker.
 *
 * Ends, on each side by itself (local_done): the monitor sets its closed
 * flag, rings the peer domain, takes back every copy its domain has of
 * the frame and of the ring (revoke) and sends ICM_CHAN_CLOSED (the
 * peer's monitor then takes back its domain's rings: peer_gone); the
 * borrower unmaps and returns the loan (the kernel checks its copy is the
 * core's last, rule 12); the lender's entry is free when its side is done
 * and the loan is back (KERNELCMD_RECLAIM_LOAN succeeds only then).
 *
 * ICM payloads: CHAN_CONNECT {lender's id, loan, connector pid, its
 * doorbell, acceptor pid} -> {err, acceptor's doorbell, borrower's id};
 * CHAN_CLOSED {the receiver's id} (no answer; either way).
 *
 * Nothing here allocates, waits, or asks init (main.c): entry i owns pool
 * frame i (lent when i is a lender's), window page range i (mapped when i
 * is a borrower's), slot claimed[i] and its ring (rings.h); a reply's capability
 * is minted into one scratch slot and deleted once sent.
 */
#include "channels.h"
#include "clients.h"
#include "intercore.h"
#include "rings.h"
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/paging.h>
#include <aos/slot_alloc.h>
#include <aos/xchan.h>
#include <string.h>

_Static_assert(MONITOR_CHAN_FRAME_BYTES == XCHAN_FRAME_BYTES, "init grants the frames we lend");

#define WINDOW_BYTES (1u << 20)     /* one L1 entry: our own page table */
#define FRAME_PAGES  (XCHAN_FRAME_BYTES / BASE_PAGE_SIZE)

enum chan_state {
    CHAN_FREE,
    CHAN_CONNECTING,    /* lender: waiting for the borrower's answer */
    CHAN_OPEN,
    CHAN_DRAINING,      /* lender: our side is done, the loan is not back yet */
};

/* One end of a channel, as this monitor keeps it (entry i of chans). */
struct chan {
    enum chan_state state;
    uint32_t id;                /* i | generation << 8: how domains name it */
    domainid_t local, peer;
    uint32_t place;             /* local's place in the client table */
    uint32_t peer_core, peer_id;
    bool lender, peer_dead;
    bool peer_closed;           /* its ICM_CHAN_CLOSED came: nothing to tell it */
    bool claimed;               /* borrower: claimed[i] holds the frame */
    bool mapped;                /* borrower: it is mapped at window i */
    bool ringing;               /* its ring rings the peer domain (rings.h) */
    uint32_t loan;              /* UINT32_MAX: none */
    uint32_t seq;               /* lender: the connect call to answer */
};

static struct chan chans[CHAN_MAX];
static uint32_t generation;
static struct monitor_frame *frame;
static uint32_t my_core;
static struct {
    domainid_t pid;             /* 0: no CHAN_ACCEPT waits at this place */
    uint32_t seq;
} accepting[MONITOR_CLIENTS];

/* Made at start-up, kept for good. */
static capaddr_t pool[CHAN_MAX];        /* Frames a lender lends */
static char *pool_map;                  /* pool[i] at pool_map + i * XCHAN_FRAME_BYTES */
static capaddr_t claimed[CHAN_MAX];     /* empty until a borrower claims into it */
static capaddr_t window_table;          /* VNode L2 behind the window */
static char *window;                    /* borrowed frame i at window + i * ... */
static capaddr_t scratch;               /* a reply's cap, or a ring of our client */
static bool pooled;                     /* all the above made: we broker channels */

/* Make the pool frames and map them (each in one piece of one page table,
 * so the mapping is the cap itself, which a revoke leaves). */
static errval_t pool_init(capaddr_t ram)
{
    struct paging_state *st = get_current_paging_state();
    errval_t err = paging_alloc(st, (void **)&pool_map, CHAN_MAX * XCHAN_FRAME_BYTES,
                                CHAN_MAX * XCHAN_FRAME_BYTES);

    for (uint32_t i = 0; i < CHAN_MAX && err_is_ok(err); i++) {
        err = slot_alloc(&pool[i]);
        if (err_is_ok(err)) {
            err = cap_retype_one(ram, ObjType_Frame, i * XCHAN_FRAME_BYTES, XCHAN_FRAME_BYTES,
                                 pool[i]);
        }
        if (err_is_ok(err)) {
            err = paging_map_fixed(st, (lvaddr_t)pool_map + i * XCHAN_FRAME_BYTES, pool[i],
                                   XCHAN_FRAME_BYTES, VREGION_FLAGS_READ_WRITE);
        }
    }
    if (err_is_ok(err)) {
        memset(pool_map, 0, CHAN_MAX * XCHAN_FRAME_BYTES);
    }
    return err;
}

/* The window borrowed frames are mapped into: a section of our address
 * space reserved for good, behind a page table of our own (from the last
 * page of the pool's RAM), so mapping a frame there takes nothing. */
static errval_t window_init(capaddr_t ram)
{
    struct paging_state *st = get_current_paging_state();
    errval_t err = paging_alloc(st, (void **)&window, WINDOW_BYTES, WINDOW_BYTES);

    if (err_is_ok(err)) {
        err = slot_alloc(&window_table);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_VNode_L2, CHAN_MAX * XCHAN_FRAME_BYTES,
                             OBJSIZE_VNODE_L2, window_table);
    }
    if (err_is_ok(err)) {
        err = vnode_map(CAP_VNODE_L1, window_table, (uint32_t)(lvaddr_t)window >> 20,
                        VREGION_FLAGS_READ_WRITE, 0, 1);
    }
    return err;
}

errval_t channels_init(struct monitor_frame *f)
{
    capaddr_t ram = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_CHAN_RAM);
    struct capability_info ci;
    errval_t err = cap_identify(ram, &ci);

    frame = f;
    my_core = f->core;
    memset(chans, 0, sizeof(chans));
    memset(accepting, 0, sizeof(accepting));
    if (err_is_fail(err) || ci.type != ObjType_RAM || ci.size < MONITOR_CHAN_RAM_BYTES) {
        return SYS_ERR_OK;                  /* no pool (a small core): no channels */
    }
    if (err_is_ok(err)) {
        err = pool_init(ram);
    }
    if (err_is_ok(err)) {
        err = window_init(ram);
    }
    for (uint32_t i = 0; i < CHAN_MAX && err_is_ok(err); i++) {
        err = slot_alloc(&claimed[i]);
    }
    if (err_is_ok(err)) {
        err = rings_init(CHAN_MAX);
    }
    if (err_is_ok(err)) {
        err = slot_alloc(&scratch);
    }
    pooled = err_is_ok(err);
    return err;
}

uint32_t channels_live(void)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        n += chans[i].state != CHAN_FREE;
    }
    return n;
}

static uint32_t index_of(const struct chan *c)
{
    return (uint32_t)(c - chans);
}

/* Our mapping of c's frame, or NULL (a borrower's not mapped). */
static void *chan_map(struct chan *c)
{
    if (c->lender) {
        return pool_map + index_of(c) * XCHAN_FRAME_BYTES;
    }
    return c->mapped ? window + index_of(c) * XCHAN_FRAME_BYTES : NULL;
}

/* The frame cap behind c: the pool's or the claimed one. */
static capaddr_t chan_frame(struct chan *c)
{
    return c->lender ? pool[index_of(c)] : claimed[index_of(c)];
}

/* Is `pid` still the client at `place` (init clears it when it ends)? */
static bool still_bound(domainid_t pid, uint32_t place)
{
    return place < MONITOR_CLIENTS && frame->client_pid[place] == pid;
}

/* The doorbell of client `pid` at `place`, or 0 if it is not bound there
 * any more. Read before the pid is checked: init writes a doorbell before
 * its pid and clears a pid before it gives the place to another domain
 * (domains/init/bindings.c), so the doorbell returned is pid's, never
 * its successor's (which a ring made from it would wake). */
static uint32_t doorbell_of(domainid_t pid, uint32_t place)
{
    uint32_t doorbell;

    if (place >= MONITOR_CLIENTS) {
        return 0;
    }
    doorbell = frame->client_doorbell[place];
    __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* the doorbell, then the pid */
    return still_bound(pid, place) ? doorbell : 0;
}

/* A free entry for `local` at `place`, or NULL if none is free or it holds
 * CHAN_PER_DOMAIN already (the pool is shared by the whole core), or we
 * have no pool. */
static struct chan *chan_new(domainid_t local, uint32_t place)
{
    uint32_t held = 0;

    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        held += chans[i].state != CHAN_FREE && chans[i].local == local;
    }
    if (held >= CHAN_PER_DOMAIN || !pooled) {
        return NULL;
    }
    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        if (chans[i].state == CHAN_FREE) {
            generation = (generation + 1) & 0xffffffu;
            chans[i] = (struct chan){ .state = CHAN_OPEN, .local = local, .place = place,
                                      .loan = UINT32_MAX, .id = i | (generation + 1) << 8 };
            frame->called[place] = 1;       /* init tells us when it ends */
            return &chans[i];
        }
    }
    return NULL;
}

/* The channel `id` names, if it is `local`'s (any pid: local == 0). */
static struct chan *chan_find(uint32_t id, domainid_t local)
{
    struct chan *c;

    if ((id & 0xffu) >= CHAN_MAX) {
        return NULL;
    }
    c = &chans[id & 0xffu];
    if (c->state == CHAN_FREE || c->id != id || (local != 0 && c->local != local)) {
        return NULL;
    }
    return c;
}

/* Reply to (pid, seq, op) with a copy of `src` with `rights` (or no cap:
 * src CPTR_NULL); the copy goes with the reply, ours is deleted. */
static void reply_cap(domainid_t pid, uint32_t seq, uint32_t op, const uint32_t *w, uint32_t n,
                      capaddr_t src, uint32_t rights)
{
    errval_t err = SYS_ERR_OK;

    if (src != CPTR_NULL) {
        err = cap_mint(cptr_cnode(scratch), cptr_slot(scratch), src, rights, 0);
    }
    if (err_is_ok(err)) {
        clients_reply_cap(pid, seq, op, SYS_ERR_OK, w, n, src != CPTR_NULL ? scratch
                                                                             : CPTR_NULL);
        cap_delete(scratch);            /* (empty if the reply took it) */
    } else {
        clients_reply_cap(pid, seq, op, err, NULL, 0, CPTR_NULL);
    }
}

static void reply_err(domainid_t pid, uint32_t seq, uint32_t op, errval_t err)
{
    clients_reply_cap(pid, seq, op, err, NULL, 0, CPTR_NULL);
}

/* Answer c's domain's connect or accept: words {id, peer pid, side}, with
 * a copy of the frame its holder cannot revoke (nor so take back ours). */
static void answer_open(struct chan *c, uint32_t op, uint32_t seq)
{
    uint32_t w[3] = { c->id, c->peer, c->lender ? UMP_SIDE_A : UMP_SIDE_B };

    reply_cap(c->local, seq, op, w, 3, chan_frame(c),
              CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
}

/* Ring client `pid` at `place` (it finds a closed flag), if it is bound. */
static void ring_client(domainid_t pid, uint32_t place)
{
    uint32_t doorbell = doorbell_of(pid, place);

    if (doorbell != 0
        && err_is_ok(kernel_create_ipi(CAP_KERNEL, scratch, my_core, doorbell))) {
        ipi_notify(scratch);
        cap_delete(scratch);
    }
}

/* ---- the end of one side ---- */

/* Lender: the entry is free once the loan is back (or never was claimed). */
static void lender_try_finish(struct chan *c)
{
    if (c->loan != UINT32_MAX && err_is_fail(kernel_reclaim_loan(CAP_KERNEL, c->loan))) {
        c->state = CHAN_DRAINING;   /* the borrower still has it */
        return;
    }
    memset(c, 0, sizeof(*c));
}

/* Borrower: unmapped, every copy gone, the loan back, the lender told. */
static void borrower_finish(struct chan *c)
{
    uint32_t i = index_of(c);
    struct icm m = { .op = ICM_CHAN_CLOSED, .src = my_core, .dst = c->peer_core,
                     .nwords = 1, .w = { c->peer_id } };

    if (c->mapped) {
        vnode_unmap(window_table, claimed[i]);
    }
    if (c->claimed) {
        cap_revoke(claimed[i]);
        if (err_is_fail(kernel_return_loan(CAP_KERNEL, c->loan, claimed[i]))) {
            cap_delete(claimed[i]);         /* not ours to return any more */
        }
    }
    if (!c->peer_dead) {
        intercore_send(&m);
    }
    memset(c, 0, sizeof(*c));
}

/*
 * Our domain's end of `c` is gone (closed, ended, or never got it): the
 * peer domain learns it from our flag and its doorbell, the borrower's
 * monitor from ICM_CHAN_CLOSED (so that it stops ringing for its domain);
 * our domain's copies of the frame and of the ring go.
 */
static void local_done(struct chan *c)
{
    void *map = chan_map(c);
    struct icm m = { .op = ICM_CHAN_CLOSED, .src = my_core, .dst = c->peer_core,
                     .nwords = 1, .w = { c->peer_id } };

    if (map != NULL) {
        xchan_set_closed(map, c->lender ? 0 : 1);
        if (c->ringing) {
            ipi_notify(ring_of(index_of(c)));
        }
    }
    c->ringing = false;
    ring_drop(index_of(c));                 /* (nothing, if it never rang) */
    if (c->lender) {
        cap_revoke(pool[index_of(c)]);      /* the pin of a loan stays (loan.h) */
        if (c->peer_id != 0 && !c->peer_dead && !c->peer_closed) {
            intercore_send(&m);             /* (a lost one: the flag still says it) */
        }
        lender_try_finish(c);
    } else {
        borrower_finish(c);
    }
}

/* Our domain's channel is closed from the other side: it sees our flag
 * (the peer's monitor rang it; we ring it too, in case it could not), and
 * its rings of the peer go (CHAN_IPI: LIB_ERR_XCHAN_CLOSED from now). */
static void peer_gone(struct chan *c, bool core_dead)
{
    void *map = chan_map(c);

    if (core_dead) {
        c->peer_dead = true;
    }
    c->peer_closed = true;
    c->ringing = false;
    ring_drop(index_of(c));
    if (map != NULL) {
        xchan_set_closed(map, c->lender ? 0 : 1);
    }
    ring_client(c->local, c->place);
}

/* ---- the lender (connector's side) ---- */

/* Lender: pool frame i zeroed (it may have carried a channel before),
 * lent to `core`, and the request to that core's monitor. */
static errval_t lender_setup(struct chan *c, uint32_t core)
{
    uint32_t i = index_of(c);
    errval_t err;

    memset(pool_map + i * XCHAN_FRAME_BYTES, 0, XCHAN_FRAME_BYTES);
    err = kernel_lend_frame(CAP_KERNEL, pool[i], core, &c->loan);
    if (err_is_fail(err)) {
        c->loan = UINT32_MAX;
        return err;
    }
    struct icm m = { .op = ICM_CHAN_CONNECT, .src = my_core, .dst = core, .tag = c->id,
                     .nwords = 5, .w = { c->id, c->loan, c->local,
                                         frame->client_doorbell[c->place], c->peer } };
    return intercore_send(&m);
}

static void chan_connect(domainid_t pid, uint32_t place, uint32_t seq, domainid_t peer)
{
    uint32_t core = aos_pid_core(peer);
    struct chan *c;
    errval_t err;

    if (core == my_core) {
        err = INIT_ERR_CHAN_SAME_CORE;
    } else if (core >= frame->ncores) {
        err = INIT_ERR_NO_SUCH_PID;
    } else if (intercore_is_dead(core)) {
        err = INIT_ERR_CORE_DEAD;
    } else if ((c = chan_new(pid, place)) == NULL) {
        err = INIT_ERR_CHAN_TOO_MANY;
    } else {
        c->state = CHAN_CONNECTING;
        c->lender = true;
        c->peer = peer;
        c->peer_core = core;
        c->seq = seq;
        err = lender_setup(c, core);
        if (err_is_ok(err)) {
            return;                 /* answered when monitor B answers */
        }
        local_done(c);
    }
    reply_err(pid, seq, RPC_OP_CHAN_CONNECT, err);
}

/* Monitor B's (or, refusing, init B's) answer to our ICM_CHAN_CONNECT. */
static void lender_answer(struct chan *c, const struct icm *m)
{
    errval_t err = m->nwords >= 1 ? (errval_t)m->w[0] : INIT_ERR_BAD_ANSWER;
    uint32_t seq = c->seq;
    domainid_t pid = c->local;

    if (err_is_ok(err) && m->nwords != 3) {
        err = INIT_ERR_BAD_ANSWER;
    }
    if (err_is_ok(err)) {
        c->peer_id = m->w[2];
        err = ring_make(index_of(c), c->peer_core, m->w[1]);
        c->ringing = err_is_ok(err);
    }
    if (err_is_ok(err) && !still_bound(pid, c->place)) {
        c->state = CHAN_OPEN;
        local_done(c);              /* the connector ended meanwhile */
        return;
    }
    if (err_is_fail(err)) {
        local_done(c);              /* the loan was not claimed, or came back; c is gone */
        reply_err(pid, seq, RPC_OP_CHAN_CONNECT, err);
        return;
    }
    c->state = CHAN_OPEN;
    answer_open(c, RPC_OP_CHAN_CONNECT, seq);
}

/* ---- the borrower (acceptor's side) ---- */

static void chan_accept(domainid_t pid, uint32_t place, uint32_t seq)
{
    if (accepting[place].pid == pid) {
        reply_err(pid, seq, RPC_OP_CHAN_ACCEPT, INIT_ERR_CHAN_BUSY);
        return;
    }
    accepting[place].pid = pid;
    accepting[place].seq = seq;
    frame->called[place] = 1;               /* init tells us when it ends */
}

/* Borrower: claim the loan `m` names, map it at our window, and a ring of
 * the connector's doorbell. On an error after the claim, c holds the
 * claimed frame (local_done returns it). */
static errval_t borrower_setup(struct chan *c, const struct icm *m)
{
    uint32_t i = index_of(c);
    errval_t err;

    c->loan = m->w[1];
    err = kernel_claim_loan(CAP_KERNEL, c->loan, claimed[i]);
    if (err_is_fail(err)) {
        return err;                 /* nothing claimed: the lender takes it back */
    }
    c->claimed = true;
    err = vnode_map(window_table, claimed[i], i * FRAME_PAGES, VREGION_FLAGS_READ_WRITE, 0,
                    FRAME_PAGES);
    c->mapped = err_is_ok(err);
    if (err_is_ok(err)) {
        err = ring_make(i, m->src, m->w[3]);
        c->ringing = err_is_ok(err);
    }
    return err;
}

/* The place of bound client `pid`, or MONITOR_CLIENTS. */
static uint32_t place_of(domainid_t pid)
{
    for (uint32_t i = 0; pid != 0 && i < MONITOR_CLIENTS; i++) {
        if (frame->client_pid[i] == pid) {
            return i;
        }
    }
    return MONITOR_CLIENTS;
}

/* ICM_CHAN_CONNECT from a lender: checked like a domain's request (the
 * acceptor runs here and waits in CHAN_ACCEPT), answered either way. */
static void borrower_connect(const struct icm *m)
{
    struct icm a = { .op = ICM_CHAN_CONNECT | ICM_REPLY, .src = my_core, .dst = m->src,
                     .tag = m->tag, .nwords = 3 };
    uint32_t place = m->nwords == 5 ? place_of(m->w[4]) : MONITOR_CLIENTS;
    struct chan *c = NULL;
    uint32_t doorbell = 0;
    errval_t err = SYS_ERR_OK;

    if (m->nwords == 5 && place == MONITOR_CLIENTS) {
        intercore_to_init(m);       /* not bound to us: init knows if it runs */
        return;
    }
    if (m->nwords != 5) {
        err = LIB_ERR_RPC_MALFORMED;
    } else if (accepting[place].pid != m->w[4]) {
        err = INIT_ERR_CHAN_NOT_ACCEPTING;
    } else if ((c = chan_new(m->w[4], place)) == NULL) {
        err = INIT_ERR_CHAN_TOO_MANY;
    } else {
        c->peer = m->w[2];
        c->peer_core = m->src;
        c->peer_id = m->w[0];
        err = borrower_setup(c, m);
        doorbell = err_is_ok(err) ? doorbell_of(c->local, place) : 0;
        if (err_is_ok(err) && doorbell == 0) {
            err = INIT_ERR_NO_SUCH_PID;     /* the acceptor ended meanwhile */
        }
        if (err_is_fail(err)) {
            c->peer_dead = true;    /* no ICM_CHAN_CLOSED: the answer says it */
            local_done(c);
        }
    }
    a.w[0] = (uint32_t)err;
    a.w[1] = doorbell;
    a.w[2] = err_is_ok(err) ? c->id : 0;
    intercore_send(&a);
    if (err_is_ok(err)) {
        accepting[place].pid = 0;
        answer_open(c, RPC_OP_CHAN_ACCEPT, accepting[place].seq);
    }
}

/* ---- the rest of a domain's calls ---- */

/* A ring of c's peer, while both ends are open (once the peer's is gone,
 * LIB_ERR_XCHAN_CLOSED: the domain's calls find the flag set anyway). */
static void chan_give_ipi(domainid_t pid, uint32_t seq, uint32_t id)
{
    struct chan *c = chan_find(id, pid);

    if (c == NULL || c->state != CHAN_OPEN) {
        reply_err(pid, seq, RPC_OP_CHAN_IPI, INIT_ERR_CHAN_INVALID);
        return;
    }
    if (!c->ringing) {
        reply_err(pid, seq, RPC_OP_CHAN_IPI, LIB_ERR_XCHAN_CLOSED);
        return;
    }
    reply_cap(pid, seq, RPC_OP_CHAN_IPI, NULL, 0, ring_of(index_of(c)),
              CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
}

static void chan_close(domainid_t pid, uint32_t seq, uint32_t id)
{
    struct chan *c = chan_find(id, pid);

    if (c == NULL || c->state != CHAN_OPEN) {
        reply_err(pid, seq, RPC_OP_CHAN_CLOSE, INIT_ERR_CHAN_INVALID);
        return;
    }
    local_done(c);
    reply_err(pid, seq, RPC_OP_CHAN_CLOSE, SYS_ERR_OK);
}

/* CONNECT, IPI and CLOSE take 2 words, ACCEPT and LIVE 1. */
void channels_request(domainid_t pid, uint32_t place, uint32_t seq, const struct lmp_msg *m)
{
    uint32_t op = RPC_HDR_OP(m->words[0]);
    uint32_t live;

    if (m->nwords != (op == RPC_OP_CHAN_ACCEPT || op == RPC_OP_CHAN_LIVE ? 1u : 2u)) {
        reply_err(pid, seq, op, LIB_ERR_RPC_MALFORMED);
    } else if (!pooled && op != RPC_OP_CHAN_LIVE) {
        reply_err(pid, seq, op, INIT_ERR_CHAN_TOO_MANY);     /* we keep none */
    } else if (op == RPC_OP_CHAN_CONNECT) {
        chan_connect(pid, place, seq, m->words[1]);
    } else if (op == RPC_OP_CHAN_ACCEPT) {
        chan_accept(pid, place, seq);
    } else if (op == RPC_OP_CHAN_IPI) {
        chan_give_ipi(pid, seq, m->words[1]);
    } else if (op == RPC_OP_CHAN_CLOSE) {
        chan_close(pid, seq, m->words[1]);
    } else {
        live = channels_live();
        clients_reply_cap(pid, seq, op, SYS_ERR_OK, &live, 1, CPTR_NULL);
    }
}

void channels_client_ended(domainid_t pid)
{
    for (uint32_t i = 0; pid != 0 && i < MONITOR_CLIENTS; i++) {
        if (accepting[i].pid == pid) {
            accepting[i].pid = 0;
        }
    }
    for (uint32_t i = 0; pid != 0 && i < CHAN_MAX; i++) {
        if (chans[i].state == CHAN_OPEN && chans[i].local == pid) {
            local_done(&chans[i]);
        }                           /* CONNECTING: done when the answer comes */
    }
}

void channels_sweep(void)
{
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        if (accepting[i].pid != 0 && frame->client_pid[i] != accepting[i].pid) {
            accepting[i].pid = 0;
        }
    }
    for (uint32_t i = 0; i < CHAN_MAX; i++) {
        if (chans[i].state == CHAN_OPEN && !still_bound(chans[i].local, chans[i].place)) {
            local_done(&chans[i]);
        }
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
    case ICM_CHAN_CLOSED:           /* from either side */
        c = m->nwords == 1 ? chan_find(m->w[0], 0) : NULL;
        if (c != NULL && c->peer_core == m->src) {
            if (c->lender && c->state == CHAN_DRAINING) {
                lender_try_finish(c);
            } else if (c->state == CHAN_OPEN) {
                peer_gone(c, false);
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
            domainid_t pid = c->local;
            uint32_t seq = c->seq;
            c->peer_dead = true;
            local_done(c);          /* a claimed loan stays pinned (DRAINING) */
            reply_err(pid, seq, RPC_OP_CHAN_CONNECT, INIT_ERR_CORE_DEAD);
        } else if (c->state == CHAN_OPEN) {
            peer_gone(c, true);
        }
    }
}
