/*
 * The client side of the RPC protocol (include/aos/aos_rpc.h).
 *
 * Invariant: outside aos_rpc_call no reply is outstanding, so the next
 * message in our ring after a request is its reply (init and our core's
 * monitor are the only holders of our endpoint, and calls to both are
 * serialised by the init channel's lock, with one sequence number count).
 * Anything else (a reply to a call we no longer wait for) is dropped, its
 * cap deleted.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include "rpc_transport.h"
#include <aos/slot_alloc.h>
#include <aos/caps.h>
#include <aos/args_page.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <string.h>

static struct aos_rpc init_channel, monitor_channel;
static bool init_channel_ready, monitor_channel_ready;

/* ---- the LMP transport ---- */

static errval_t lmp_transport_send(struct aos_rpc *rpc, const uint32_t *words, uint32_t n,
                                   capaddr_t cap, uint32_t flags)
{
    errval_t err;

    if (!(flags & LMP_FLAG_YIELD)) {
        return lmp_send(rpc->ep, cap, flags, words, n);        /* retries */
    }
    err = lmp_try_send_msg(rpc->ep, cap, LMP_FLAG_QUEUE | flags, words, n);
    if (err_no(err) == SYS_ERR_LMP_BUF_FULL || err_no(err) == SYS_ERR_LMP_NO_RECV_SLOT) {
        err = lmp_send(rpc->ep, cap, flags, words, n);          /* retries */
    }
    return err;
}

static errval_t lmp_transport_recv(struct aos_rpc *rpc, struct lmp_msg *m)
{
    (void)rpc;
    lmp_recv(m);
    return SYS_ERR_OK;
}

const struct rpc_transport rpc_transport_lmp = { lmp_transport_send, lmp_transport_recv };

/* The transport's send and receive; LMP (every call to init) is called
 * directly, so the hot path pays no indirect call. */
static inline errval_t transport_send(struct aos_rpc *rpc, const uint32_t *words, uint32_t n,
                                      capaddr_t cap, uint32_t flags)
{
    return rpc->t == &rpc_transport_lmp ? lmp_transport_send(rpc, words, n, cap, flags)
                                        : rpc->t->send(rpc, words, n, cap, flags);
}

static inline errval_t transport_recv(struct aos_rpc *rpc, struct lmp_msg *m)
{
    return rpc->t == &rpc_transport_lmp ? lmp_transport_recv(rpc, m) : rpc->t->recv(rpc, m);
}

errval_t aos_rpc_init(struct aos_rpc *rpc, capaddr_t ep)
{
    rpc->ep = ep;
    rpc->t = &rpc_transport_lmp;
    rpc->x = NULL;
    rpc->calls = 0;
    rpc->line = rpc;
    thread_mutex_init(&rpc->lock);
    if (ep == CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_INITEP) && rpc == &init_channel) {
        init_channel_ready = true;
    }
    return SYS_ERR_OK;
}

/* An endpoint in our TASKCN slot, or CPTR_NULL. */
static capaddr_t endpoint_in(cslot_t slot)
{
    struct capability_info ci;
    capaddr_t ep = CPTR(ROOTCN_SLOT_TASKCN, slot);

    return err_is_ok(cap_identify(ep, &ci)) && ci.type == ObjType_Endpoint ? ep : CPTR_NULL;
}

struct aos_rpc *aos_rpc_get_init_channel(void)
{
    if (!init_channel_ready) {
        capaddr_t ep = endpoint_in(TASKCN_SLOT_INITEP);
        if (ep == CPTR_NULL) {
            return NULL;
        }
        aos_rpc_init(&init_channel, ep);
    }
    return &init_channel;
}

static errval_t call_locked(struct aos_rpc *rpc, const uint32_t *req, uint32_t nwords,
                            capaddr_t send_cap, capaddr_t recv_slot,
                            struct lmp_msg *reply);

/*
 * Set up once, in the first call. Our binding is made when we first ask
 * for it (RPC_OP_MONITOR_BIND: init places the endpoint in our TASKCN and
 * the monitor's copy of ours; a domain that never calls its monitor costs
 * the spawn path nothing). Under the init channel's lock: replies of both
 * come into one ring, so they share its lock and sequence numbers, and a
 * reply to either is never taken for one of the other.
 */
struct aos_rpc *aos_rpc_get_monitor_channel(void)
{
    struct aos_rpc *init;
    struct lmp_msg reply;

    if (__atomic_load_n(&monitor_channel_ready, __ATOMIC_ACQUIRE)) {
        return &monitor_channel;
    }
    init = aos_rpc_get_init_channel();
    if (init == NULL) {
        return NULL;
    }
    thread_mutex_lock(&init->lock);
    if (!monitor_channel_ready) {
        capaddr_t ep = endpoint_in(TASKCN_SLOT_MONITOREP);
        uint32_t req[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_MONITOR_BIND, 0) };
        if (ep == CPTR_NULL && err_is_ok(call_locked(init, req, 1, CPTR_NULL, CPTR_NULL,
                                                     &reply))) {
            ep = endpoint_in(TASKCN_SLOT_MONITOREP);
        }
        if (ep != CPTR_NULL) {
            aos_rpc_init(&monitor_channel, ep);
            monitor_channel.line = init;
            __atomic_store_n(&monitor_channel_ready, true, __ATOMIC_RELEASE);
        }
    }
    thread_mutex_unlock(&init->lock);
    return monitor_channel_ready ? &monitor_channel : NULL;
}

static errval_t simple_call(struct aos_rpc *rpc, const uint32_t *req, uint32_t n);

/* Whether init may hold a partial output line of ours: the last byte we
 * printed through it was not a newline. */
static bool init_line_open;

/* Note what we printed through `rpc` (see init_line_open). */
static void note_printed(struct aos_rpc *rpc, char last)
{
    if (rpc == &init_channel) {
        init_line_open = last != '\n';
    }
}

/*
 * init prints a domain's partial line before it handles any other call of
 * it (a prompt before GETCHAR), but a call that goes to the monitor never
 * reaches init: so before one, if init may hold a partial line of ours,
 * ask it to print that line (a PUTS of no bytes with RPC_PUTS_FLUSH). A
 * round trip, paid only after printing without a newline.
 */
static void flush_init_line(void)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_PUTS, 0), RPC_PUTS_FLUSH };

    if (init_line_open) {
        init_line_open = false;
        simple_call(&init_channel, req, 2);
    }
}

/*
 * The channel a call for the other cores goes on (docs/multikernel.md
 * "The binding"): made on the init channel, it goes to our monitor
 * instead, after our partial output line (flush_init_line); anything else
 * stays where it was made, and so does a call when no binding can be had
 * (init then answers it INIT_ERR_ASK_MONITOR). Only such a call asks for
 * the monitor channel, and so binds us (at the first one).
 */
struct aos_rpc *rpc_to_monitor(struct aos_rpc *rpc)
{
    struct aos_rpc *monitor;

    if (rpc == NULL || rpc != &init_channel) {
        return rpc;
    }
    monitor = aos_rpc_get_monitor_channel();
    if (monitor == NULL) {
        return rpc;
    }
    flush_init_line();
    return monitor;
}

/* The channel a call that names core `core` goes on: the monitor for
 * another core than ours (rpc_to_monitor). Our core is our pid's (the
 * arguments page: a domain with an init channel was spawned by init, so
 * it has one); a call for our own core never binds us. */
struct aos_rpc *rpc_route(struct aos_rpc *rpc, coreid_t core)
{
    if (rpc == &init_channel
        && aos_pid_core(((const struct spawn_args_page *)USER_ARGS_VADDR)->pid) == core) {
        return rpc;
    }
    return rpc_to_monitor(rpc);
}

/* Drop a message that is not the reply we wait for. */
static void drop_message(const struct lmp_msg *msg)
{
    if (msg->cap != CPTR_NULL) {
        cap_delete(msg->cap);
    }
}

static errval_t call_locked_flags(struct aos_rpc *rpc, const uint32_t *req,
                                  uint32_t nwords, capaddr_t send_cap, uint32_t flags,
                                  capaddr_t recv_slot, struct lmp_msg *reply);

/* aos_rpc_call with rpc->lock held by the caller; `req` is a whole
 * LMP_MSG_WORDS message buffer. */
static errval_t call_locked(struct aos_rpc *rpc, const uint32_t *req, uint32_t nwords,
                            capaddr_t send_cap, capaddr_t recv_slot,
                            struct lmp_msg *reply)
{
    return call_locked_flags(rpc, req, nwords, send_cap, 0, recv_slot, reply);
}

/* The same, moving `cap` to the server (LMP_FLAG_GIVE). */
static errval_t call_locked_give(struct aos_rpc *rpc, const uint32_t *req,
                                 uint32_t nwords, capaddr_t cap, struct lmp_msg *reply)
{
    return call_locked_flags(rpc, req, nwords, cap, LMP_FLAG_GIVE, CPTR_NULL, reply);
}

static errval_t call_locked_flags(struct aos_rpc *rpc, const uint32_t *req,
                                  uint32_t nwords, capaddr_t send_cap, uint32_t flags,
                                  capaddr_t recv_slot, struct lmp_msg *reply)
{
    uint32_t op = RPC_HDR_OP(req[0]), msg[LMP_MSG_WORDS], seq = ++rpc->line->seq;
    errval_t err;

    for (uint32_t i = 0; i < LMP_MSG_WORDS; i++) {
        msg[i] = req[i];
    }
    msg[0] = (msg[0] & 0x00ffffffu) | RPC_SEQ(seq);
    req = msg;
    if (recv_slot != CPTR_NULL) {
        err = lmp_arm_recv_slot(recv_slot);
        if (err_is_fail(err)) {
            return err;
        }
    }
    err = transport_send(rpc, req, nwords, send_cap, LMP_FLAG_YIELD | flags);
    if (err_is_fail(err)) {
        if (recv_slot != CPTR_NULL) {
            lmp_disarm_recv_slot(recv_slot);
        }
        return err_no(err) == LIB_ERR_XCHAN_CLOSED ? err : err_push(err, LIB_ERR_RPC_SEND);
    }
    for (;;) {
        err = transport_recv(rpc, reply);
        if (err_is_fail(err)) {
            if (recv_slot != CPTR_NULL) {
                lmp_disarm_recv_slot(recv_slot);
            }
            return err;             /* the channel closed */
        }
        if (reply->words[0] == (RPC_HDR(op, RPC_FLAG_REPLY) | RPC_SEQ(seq))
            && reply->nwords >= 3) {
            break;
        }
        drop_message(reply);
    }
    rpc->calls++;
    if (recv_slot != CPTR_NULL && reply->cap == CPTR_NULL) {
        lmp_disarm_recv_slot(recv_slot);    /* no cap came: take it back */
    }
    return rpc_get_err(&reply->words[1]);
}

errval_t aos_rpc_call(struct aos_rpc *rpc, const uint32_t *req, uint32_t nwords,
                      capaddr_t send_cap, capaddr_t recv_slot,
                      struct lmp_msg *reply)
{
    uint32_t msg[LMP_MSG_WORDS] = { 0 };
    errval_t err;

    if (nwords > LMP_MSG_WORDS) {
        return LIB_ERR_LMP_MSG_TOO_LONG;
    }
    for (uint32_t i = 0; i < nwords; i++) {
        msg[i] = req[i];        /* callers may pass shorter arrays */
    }

    if (rpc == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&rpc->line->lock);
    err = call_locked(rpc, msg, nwords, send_cap, recv_slot, reply);
    thread_mutex_unlock(&rpc->line->lock);
    return err;
}

/* A request whose reply carries only the error. */
static errval_t simple_call(struct aos_rpc *rpc, const uint32_t *req, uint32_t n)
{
    struct lmp_msg reply;
    return aos_rpc_call(rpc, req, n, CPTR_NULL, CPTR_NULL, &reply);
}

/* The hot path (see docs/benchmarks.md): one message each way, no copies. */
errval_t aos_rpc_send_number(struct aos_rpc *rpc, uintptr_t num)
{
    uint32_t req[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_NUMBER, 0), (uint32_t)num };
    struct lmp_msg reply;
    errval_t err;

    if (rpc == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&rpc->line->lock);
    err = call_locked(rpc, req, 2, CPTR_NULL, CPTR_NULL, &reply);
    thread_mutex_unlock(&rpc->line->lock);
    return err;
}

/*
 * All fragments but the last go out without waiting (lmp_send retries
 * while init's ring is full); the last one is the call.
 */
errval_t aos_rpc_send_bytes(struct aos_rpc *rpc, const char *buf, uint32_t len)
{
    uint32_t words[LMP_MSG_WORDS], nfrag = rpc_string_fragments(len), n;
    errval_t err;

    if (rpc == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&rpc->line->lock);
    for (uint32_t i = 0; i + 1 < nfrag; i++) {
        n = rpc_pack_string_fragment(buf, len, i, words);
        err = transport_send(rpc, words, n, CPTR_NULL, 0);
        if (err_is_fail(err)) {
            thread_mutex_unlock(&rpc->line->lock);
            return err_no(err) == LIB_ERR_XCHAN_CLOSED ? err : err_push(err, LIB_ERR_RPC_SEND);
        }
    }
    struct lmp_msg reply;
    n = rpc_pack_string_fragment(buf, len, nfrag - 1, words);
    err = call_locked(rpc, words, n, CPTR_NULL, CPTR_NULL, &reply);
    thread_mutex_unlock(&rpc->line->lock);
    if (err_is_ok(err) && (reply.nwords < 5 || reply.words[3] != len
                           || reply.words[4] != rpc_fnv1a(buf, len))) {
        err = LIB_ERR_RPC_BAD_REPLY;    /* the server got something else */
    }
    return err;
}

errval_t aos_rpc_send_string(struct aos_rpc *rpc, const char *string)
{
    return aos_rpc_send_bytes(rpc, string, (uint32_t)strlen(string));
}

errval_t aos_rpc_get_ram_cap(struct aos_rpc *rpc, size_t bytes, size_t alignment,
                             capaddr_t *ret_cap, size_t *ret_bytes)
{
    uint32_t req[3] = { RPC_HDR(RPC_OP_GET_RAM, 0), (uint32_t)bytes, (uint32_t)alignment };
    struct lmp_msg reply;
    capaddr_t slot;
    errval_t err;

    err = slot_alloc(&slot);
    if (err_is_fail(err)) {
        return err;
    }
    err = aos_rpc_call(rpc, req, 3, CPTR_NULL, slot, &reply);
    if (err_is_ok(err) && (reply.cap != slot || reply.nwords < 4)) {
        if (reply.cap != CPTR_NULL) {
            cap_delete(reply.cap);
        }
        err = LIB_ERR_RPC_BAD_REPLY;
    }
    if (err_is_fail(err)) {
        slot_free(slot);
        return err;
    }
    *ret_cap = slot;
    if (ret_bytes != NULL) {
        *ret_bytes = reply.words[3];
    }
    return SYS_ERR_OK;
}

errval_t aos_rpc_free_ram_cap(struct aos_rpc *rpc, capaddr_t ram)
{
    uint32_t req[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_FREE_RAM, 0) };
    struct lmp_msg reply;
    errval_t err;

    if (rpc == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&rpc->line->lock);
    err = call_locked_give(rpc, req, 1, ram, &reply);
    thread_mutex_unlock(&rpc->line->lock);
    cap_delete(ram);            /* still here if the send failed */
    slot_free(ram);
    return err;
}

errval_t aos_rpc_mem_stats(struct aos_rpc *rpc, size_t *free_bytes, size_t *total_bytes)
{
    return aos_rpc_mem_stats_core(rpc, AOS_RPC_MY_CORE, free_bytes, total_bytes);
}

errval_t aos_rpc_mem_stats_core(struct aos_rpc *rpc, coreid_t core, size_t *free_bytes,
                                size_t *total_bytes)
{
    uint32_t arg = core == AOS_RPC_MY_CORE ? 0 : (uint32_t)core + 1;
    uint32_t req[1] = { RPC_HDR_WITH_ARG(RPC_OP_MEM_STATS, 0, arg) };
    struct lmp_msg reply;
    errval_t err;

    if (core != AOS_RPC_MY_CORE) {
        rpc = rpc_route(rpc, core);     /* another core's: its monitor asks */
    }
    err = aos_rpc_call(rpc, req, 1, CPTR_NULL, CPTR_NULL, &reply);

    if (err_is_ok(err)) {
        if (reply.nwords < 5) {
            return LIB_ERR_RPC_BAD_REPLY;
        }
        *free_bytes = reply.words[3];
        *total_bytes = reply.words[4];
    }
    return err;
}

errval_t aos_rpc_mem_account(struct aos_rpc *rpc, struct aos_mem_account *acct)
{
    uint32_t req[1] = { RPC_HDR_WITH_ARG(RPC_OP_MEM_STATS, 0, 0) };
    struct lmp_msg reply;
    errval_t err = aos_rpc_call(rpc, req, 1, CPTR_NULL, CPTR_NULL, &reply);

    if (err_is_ok(err) && reply.nwords < 7) {
        err = LIB_ERR_RPC_BAD_REPLY;
    }
    if (err_is_ok(err)) {
        *acct = (struct aos_mem_account){ reply.words[3], reply.words[4], reply.words[5],
                                          reply.words[6] };
    }
    return err;
}

errval_t aos_rpc_serial_putchar(struct aos_rpc *rpc, char c)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_PUTCHAR, 0), (uint8_t)c };
    note_printed(rpc, c);
    return simple_call(rpc, req, 2);
}

errval_t aos_rpc_serial_write(struct aos_rpc *rpc, const char *buf, size_t len)
{
    uint32_t req[LMP_MSG_WORDS];

    if (len > 0) {
        note_printed(rpc, buf[len - 1]);
    }
    while (len > 0) {
        uint32_t n = len < RPC_PUTS_MAX ? (uint32_t)len : RPC_PUTS_MAX;
        errval_t err;
        memset(req, 0, sizeof(req));
        req[0] = RPC_HDR(RPC_OP_PUTS, 0);
        req[1] = n;
        memcpy(&req[2], buf, n);
        err = simple_call(rpc, req, 2 + (n + 3) / 4);
        if (err_is_fail(err)) {
            return err;
        }
        buf += n;
        len -= n;
    }
    return SYS_ERR_OK;
}

/* Core 0's init owns the console: on another core, our monitor asks it. */
errval_t aos_rpc_serial_getchar(struct aos_rpc *rpc, char *retc)
{
    uint32_t req[1] = { RPC_HDR(RPC_OP_GETCHAR, 0) };
    struct lmp_msg reply;
    errval_t err = aos_rpc_call(rpc_route(rpc, 0), req, 1, CPTR_NULL, CPTR_NULL, &reply);

    if (err_is_ok(err)) {
        if (reply.nwords < 4) {
            return LIB_ERR_RPC_BAD_REPLY;
        }
        *retc = (char)reply.words[3];
    }
    return err;
}

errval_t aos_rpc_exit(struct aos_rpc *rpc, int status)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_EXIT, 0), (uint32_t)status };

    errval_t err;

    if (rpc == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&rpc->line->lock);      /* not in the middle of another call */
    err = rpc->x == NULL ? lmp_send(rpc->ep, CPTR_NULL, LMP_FLAG_YIELD, req, 2)
                         : LIB_ERR_RPC_BAD_OP;      /* init is the one to tell */
    thread_mutex_unlock(&rpc->line->lock);
    return err;
}

errval_t aos_rpc_call_locked(struct aos_rpc *rpc, const uint32_t words[LMP_MSG_WORDS],
                             uint32_t nwords, struct lmp_msg *reply)
{
    return call_locked(rpc, words, nwords, CPTR_NULL, CPTR_NULL, reply);
}
