/*
 * Calls of the domains of our core to other cores (remote_calls.h).
 *
 *   client (core a)        monitor a                        init c
 *   kill(pid on c) ──────▶ calls[i] = (client, seq)
 *   (over its binding)     ICM_KILL{pid} tag ─────────────▶ proc_kill(pid)
 *                          ◀──────────── ICM_KILL|REPLY{err} tag
 *   ◀── reply ──────────── on the client's endpoint (clients.c); a long
 *                          answer (a name, pids) in windows it pulls
 *
 * Requests and answers between cores (words): SPAWN {len, bytes...} ->
 * {err, pid}; KILL {pid} -> {err}; WAIT {pid, client} -> {err, status, killed}
 * (when it has ended); INFO {pid} -> {err, state, core, ram, faults,
 * status, len, bytes...} (the reply's words, then the name); ALL_PIDS {} -> {err, n, pids...}; MEM_STATS {} -> {err,
 * free, total}; GETCHAR {client} -> {err, char} (core 0, once input comes).
 * The monitor is one thread: no locks.
 */
#include "remote_calls.h"
#include "intercore.h"
#include "clients.h"
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <string.h>

/* One pending call; tag 0: the slot is free. */
struct call {
    uint32_t tag;
    domainid_t client;
    uint32_t seq, rpc_op;
    uint32_t due;                /* cores yet to answer, a bit each */
    uint32_t npids;              /* ALL_PIDS: collected so far */
    domainid_t pids[ICM_ALL_PIDS_MAX];
};

static struct call calls[REMOTE_PENDING_MAX];
static struct icm out;           /* static: the loop's stack stays small */
static uint32_t my_core, ncores, next_tag;

/* Clearing the table touches all its pages: the loop never faults on it. */
void remote_calls_init(uint32_t core, uint32_t cores)
{
    memset(calls, 0, sizeof(calls));
    my_core = core;
    ncores = cores;
}

/*
 * A free slot for (client, seq, rpc_op) with a new tag: *err says why
 * there is none. A client may hold REMOTE_PER_CLIENT slots at most, so one
 * domain that sends calls without waiting for their answers (the library
 * never does: it makes one call at a time) cannot take the whole table
 * from the others: the quota is checked first, the table's room after.
 */
static struct call *call_new(domainid_t client, uint32_t seq, uint32_t rpc_op, errval_t *err)
{
    struct call *free_slot = NULL;
    uint32_t held = 0;

    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        held += calls[i].tag != 0 && calls[i].client == client;
        if (calls[i].tag == 0 && free_slot == NULL) {
            free_slot = &calls[i];
        }
    }
    *err = held >= REMOTE_PER_CLIENT ? INIT_ERR_REMOTE_QUOTA
         : free_slot == NULL         ? INIT_ERR_TOO_MANY_REMOTE : SYS_ERR_OK;
    if (err_is_fail(*err)) {
        return NULL;
    }
    next_tag = (next_tag + 1) & ~(ICM_CALL_TAG | ICM_MONITOR_TAG);
    *free_slot = (struct call){ .tag = ICM_MONITOR_TAG | next_tag, .client = client,
                                .seq = seq, .rpc_op = rpc_op };
    return free_slot;
}

/* The pending call with tag `tag` (never 0), or NULL. */
static struct call *call_find(uint32_t tag)
{
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        if (calls[i].tag == tag) {
            return &calls[i];
        }
    }
    return NULL;
}

/* The slot is free again; an answer with its tag still to come is dropped. */
static void call_free(struct call *c)
{
    c->tag = 0;
}

/* Start the message `out` for call `c`: op, from us, with c's tag. */
static void out_begin(uint32_t op, const struct call *c)
{
    memset(&out, 0, sizeof(out));
    out.op = op;
    out.src = my_core;
    out.tag = c->tag;
}

/* Answer call `c` with the pids collected, and free it. */
static void answer_all_pids(struct call *c)
{
    clients_reply_long(c->client, c->seq, c->rpc_op, SYS_ERR_OK, &c->npids, 1, c->pids,
           c->npids * (uint32_t)sizeof(domainid_t));
    call_free(c);
}

/* The request to another core's init that RPC op `rpc_op` becomes, or 0. */
static uint32_t icm_op_of(uint32_t rpc_op)
{
    switch (rpc_op) {
    case RPC_OP_PROC_SPAWN:    return ICM_SPAWN;
    case RPC_OP_PROC_KILL:     return ICM_KILL;
    case RPC_OP_PROC_WAIT:     return ICM_WAIT;
    case RPC_OP_PROC_INFO:
    case RPC_OP_PROC_GET_NAME: return ICM_INFO;
    case RPC_OP_MEM_STATS:     return ICM_MEM_STATS;
    case RPC_OP_GETCHAR:       return ICM_GETCHAR;
    default:                   return 0;
    }
}

/* get_all_pids of every other live core (our own core's are init's);
 * answered at once if no core can be asked. */
static void start_all_pids(domainid_t client, uint32_t seq)
{
    errval_t err;
    struct call *c = call_new(client, seq, RPC_OP_PROC_ALL_PIDS, &err);

    if (c == NULL) {
        clients_reply(client, seq, RPC_OP_PROC_ALL_PIDS, err, NULL, 0);
        return;
    }
    out_begin(ICM_ALL_PIDS, c);
    for (uint32_t core = 0; core < ncores; core++) {
        out.dst = core;
        if (core != my_core && err_is_ok(intercore_send(&out))) {
            c->due |= 1u << core;       /* a dead or unreachable core: not asked */
        }
    }
    if (c->due == 0) {
        answer_all_pids(c);
    }
}

void remote_calls_start(domainid_t client, uint32_t seq, uint32_t rpc_op, uint32_t core,
                        const uint32_t *args, uint32_t nargs)
{
    uint32_t op = icm_op_of(rpc_op), zero = 0;
    struct call *c = NULL;
    errval_t err = SYS_ERR_OK;

    if (rpc_op == RPC_OP_PROC_ALL_PIDS) {
        start_all_pids(client, seq);
        return;
    }
    if (op == 0 || core >= ncores || core == my_core || nargs > ICM_PAYLOAD_MAX) {
        err = LIB_ERR_RPC_MALFORMED;
    } else if (intercore_is_dead(core) || (my_core != 0 && intercore_is_dead(0))) {
        err = INIT_ERR_CORE_DEAD;        /* it, or the relay, is gone */
    } else {
        c = call_new(client, seq, rpc_op, &err);
    }
    if (err_is_ok(err)) {
        out_begin(op, c);
        out.dst = core;
        out.nwords = nargs;
        memcpy(out.w, args, nargs * sizeof(uint32_t));
        if (op == ICM_WAIT || op == ICM_GETCHAR) {
            out.w[out.nwords++] = client;   /* one place per waiting domain */
        }
        c->due = 1u << core;
        err = intercore_send(&out);
        if (err_is_fail(err)) {
            call_free(c);
        }
    }
    if (err_is_fail(err)) {             /* a spawn's reply carries a pid word */
        clients_reply(client, seq, rpc_op, err, &zero, rpc_op == RPC_OP_PROC_SPAWN);
    }
}

/* Answer call `c` with what core m->src answered (or collect it). */
static void take_answer(struct call *c, const struct icm *m)
{
    errval_t err = m->nwords >= 1 ? (errval_t)m->w[0] : INIT_ERR_BAD_ANSWER;
    const uint32_t *w = &m->w[1];
    uint32_t n = m->nwords >= 1 ? m->nwords - 1 : 0;

    switch (c->rpc_op) {
    case RPC_OP_PROC_ALL_PIDS:
        if (err_is_ok(err) && n >= 1 && w[0] <= ICM_CORE_PIDS_MAX && n == 1 + w[0]
            && c->npids + w[0] <= ICM_ALL_PIDS_MAX) {
            memcpy(c->pids + c->npids, &w[1], w[0] * sizeof(domainid_t));
            c->npids += w[0];
        }
        c->due &= ~(1u << m->src);
        if (c->due == 0) {
            answer_all_pids(c);
        }
        return;
    case RPC_OP_PROC_INFO:
    case RPC_OP_PROC_GET_NAME:
        if (err_is_ok(err) && (n < 6 || w[5] > RPC_NAME_MAX || n != 6 + (w[5] + 3) / 4
                               || w[1] != m->src)) {
            err = INIT_ERR_BAD_ANSWER;
        }
        if (err_is_fail(err)) {
            clients_reply(c->client, c->seq, c->rpc_op, err, NULL, 0);
        } else if (c->rpc_op == RPC_OP_PROC_INFO) {
            clients_reply_long(c->client, c->seq, c->rpc_op, err, w, 5, &w[6], w[5]);
        } else {
            clients_reply_long(c->client, c->seq, c->rpc_op, err, &w[5], 1, &w[6], w[5]);
        }
        break;
    default:            /* SPAWN {pid}, KILL {}, WAIT {status, killed}, MEM_STATS {free, total},
                           GETCHAR {char} */
        clients_reply(c->client, c->seq, c->rpc_op, err, w, n > 2 ? 2 : n);
        break;
    }
    call_free(c);
}

bool remote_calls_answer(const struct icm *m)
{
    uint32_t op = m->op & ~ICM_REPLY;
    struct call *c;

    if (!(m->op & ICM_REPLY) || op < ICM_SPAWN || op > ICM_GETCHAR
        || (m->tag & (ICM_CALL_TAG | ICM_MONITOR_TAG)) != ICM_MONITOR_TAG) {
        return false;                   /* init's own (a refill, a channel) */
    }
    c = call_find(m->tag);
    if (c != NULL && (c->due & (1u << m->src))) {
        take_answer(c, m);
    }                                   /* else: its client ended, or a stray */
    return true;
}

/*
 * A WAIT or a GETCHAR waits at the core it asked until it can be answered,
 * holding a waiter place of the process there (or a place in core 0's
 * queue for input, where it would take the next byte typed): tell that
 * core to forget it (ICM_CANCEL, not answered). A core that cannot be
 * told (dead, or swamped) keeps it until it answers into nothing.
 */
static void cancel_at_target(const struct call *c)
{
    if (c->rpc_op != RPC_OP_PROC_WAIT && c->rpc_op != RPC_OP_GETCHAR) {
        return;                         /* answered at once there */
    }
    out_begin(ICM_CANCEL, c);
    for (uint32_t core = 0; core < ncores; core++) {
        if (c->due & (1u << core)) {
            out.dst = core;
            intercore_send(&out);
        }
    }
}

void remote_calls_client_ended(domainid_t client)
{
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        if (calls[i].tag != 0 && calls[i].client == client) {
            cancel_at_target(&calls[i]);
            call_free(&calls[i]);
        }
    }
}

void remote_calls_core_dead(uint32_t core)
{
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        struct call *c = &calls[i];
        if (c->tag == 0 || !(c->due & (1u << core))) {
            continue;
        }
        c->due &= ~(1u << core);
        if (c->rpc_op != RPC_OP_PROC_ALL_PIDS) {
            clients_reply(c->client, c->seq, c->rpc_op, INIT_ERR_CORE_DEAD, NULL, 0);
            call_free(c);
        } else if (c->due == 0) {
            answer_all_pids(c);
        }
    }
}
