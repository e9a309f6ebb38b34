/*
 * RPC over a channel to a domain on another core (include/aos/xchan.h,
 * docs/multikernel.md "Channels between domains"): the UMP transport of
 * struct aos_rpc, setting a channel up through our core's monitor (the
 * broker, domains/monitor/channels.c), and the server's side of a call.
 *
 * A message goes into the UMP ring and the peer's doorbell is rung (an
 * IPI cap from the monitor); a receiver that finds its ring empty blocks in
 * SYS_WAIT (lmp_wait_fn) at once, which the ring ends: it does not poll
 * (see XCHAN_SEND_WAIT_TICKS in include/aos/xchan.h for why). Before blocking it checks the frame's closed flags, which the
 * inits set when the peer is gone (they ring us too), so a call on a
 * closed channel fails with LIB_ERR_XCHAN_CLOSED instead of waiting.
 * A message that was in the ring before the close is still delivered.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/xchan.h>
#include <aos/caps.h>
#include <aos/paging.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <stdlib.h>
#include <string.h>
#include "rpc_transport.h"

/* ---- the UMP transport ---- */

/* Ring the peer's doorbell (none held: its end was gone when we opened,
 * so no call of ours gets this far: the closed flag stops it first). */
static void ring_peer(struct aos_xchan *x)
{
    if (x->ring != CPTR_NULL) {
        ipi_notify(x->ring);
    }
}

/* One message to the peer, waiting (yielding) while the ring is full, for
 * at most XCHAN_SEND_WAIT_TICKS; then the peer is ringed. */
static errval_t ump_transport_send(struct aos_rpc *rpc, const uint32_t *words, uint32_t n,
                                   capaddr_t cap, uint32_t flags)
{
    struct aos_xchan *x = rpc->x;
    errval_t err;

    (void)flags;
    if (cap != CPTR_NULL) {
        return LIB_ERR_XCHAN_NO_CAP;
    }
    for (uint64_t deadline = 0;;) {
        if (xchan_is_closed(x->frame)) {
            return LIB_ERR_XCHAN_CLOSED;
        }
        err = ump_send(&x->ump, words, n);
        if (err_is_ok(err)) {
            ring_peer(x);
            return SYS_ERR_OK;
        }
        if (err_no(err) != LIB_ERR_UMP_FULL) {
            return err;
        }
        if (deadline == 0) {
            deadline = counter_read() + XCHAN_SEND_WAIT_TICKS;
        } else if (counter_read() > deadline) {
            return err_push(err, LIB_ERR_XCHAN_FULL);
        }
        ring_peer(x);                   /* make sure the peer looks */
        thread_yield();
    }
}

/* The next message from the peer; LIB_ERR_XCHAN_CLOSED once the ring is
 * empty and the channel closed. Messages too long or malformed (the peer
 * is not trusted) are skipped. */
static errval_t ump_transport_recv(struct aos_rpc *rpc, struct lmp_msg *m)
{
    struct aos_xchan *x = rpc->x;
    size_t n;

    for (;;) {
        errval_t err = ump_recv(&x->ump, m->words, LMP_MSG_WORDS, &n);
        if (err_is_ok(err)) {
            m->nwords = (uint32_t)n;
            m->badge = 0;
            m->cap = CPTR_NULL;
            return SYS_ERR_OK;
        }
        if (err_no(err) != LIB_ERR_UMP_EMPTY) {
            continue;               /* skipped: look at the next one */
        }
        if (xchan_is_closed(x->frame)) {
            return LIB_ERR_XCHAN_CLOSED;
        }
        /* a ring after our look leaves a notice: this returns at once */
        lmp_wait_fn();              /* the peer's ring, or init's */
    }
}

const struct rpc_transport rpc_transport_ump = { ump_transport_send, ump_transport_recv };

/* ---- setting up and closing ---- */

/*
 * The broker of our channels: our core's monitor, over our binding (made
 * at the first call), reached from the init channel the caller names as
 * every call for the monitor is (rpc_to_monitor); NULL if there is no
 * binding to be had (init would answer CHAN_* INIT_ERR_ASK_MONITOR).
 */
static struct aos_rpc *broker(struct aos_rpc *init)
{
    struct aos_rpc *mon = rpc_to_monitor(init);

    return mon != init ? mon : NULL;
}

/* Give our end back: unmap, delete our caps, tell the broker (best effort). */
static errval_t chan_release(struct aos_rpc *mon, struct aos_xchan *x)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_CHAN_CLOSE, 0), x->id };
    struct lmp_msg reply;

    if (x->frame != NULL) {
        paging_unmap(get_current_paging_state(), x->frame);
    }
    if (x->frame_cap != CPTR_NULL) {
        cap_delete(x->frame_cap);
        slot_free(x->frame_cap);
    }
    if (x->ring != CPTR_NULL) {
        cap_delete(x->ring);
        slot_free(x->ring);
    }
    rpc_string_rx_reset(&x->rx);
    errval_t err = mon != NULL ? aos_rpc_call(mon, req, 2, CPTR_NULL, CPTR_NULL, &reply)
                               : LIB_ERR_RPC_NO_CHANNEL;
    free(x);
    return err;
}

/*
 * The answer to CHAN_CONNECT or CHAN_ACCEPT came with the frame in slot
 * `frame` and words {id, peer, side}: map it, fetch the IPI cap, and make
 * `chan` an RPC channel over it.
 */
static errval_t chan_open(struct aos_rpc *mon, struct aos_rpc *chan, capaddr_t frame,
                          const struct lmp_msg *answer)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_CHAN_IPI, 0), answer->words[3] };
    struct aos_xchan *x = calloc(1, sizeof(*x));
    struct lmp_msg reply;
    errval_t err;

    if (x == NULL) {
        cap_delete(frame);
        slot_free(frame);
        return LIB_ERR_RPC_NO_MEMORY;
    }
    x->frame_cap = frame;
    x->id = answer->words[3];
    x->peer = answer->words[4];
    err = paging_map_frame(get_current_paging_state(), &x->frame, XCHAN_FRAME_BYTES, frame,
                           VREGION_FLAGS_READ_WRITE);
    if (err_is_fail(err)) {
        x->frame = NULL;
    } else {
        err = ump_chan_init(&x->ump, (char *)x->frame + XCHAN_UMP_OFFSET, XCHAN_UMP_BYTES,
                            answer->words[5] == UMP_SIDE_A ? UMP_SIDE_A : UMP_SIDE_B);
    }
    if (err_is_ok(err)) {
        err = slot_alloc(&x->ring);
    }
    if (err_is_ok(err)) {
        err = aos_rpc_call(mon, req, 2, CPTR_NULL, x->ring, &reply);
        if (err_is_ok(err) && reply.cap != x->ring) {
            err = LIB_ERR_RPC_BAD_REPLY;
        }
        if (err_is_fail(err)) {
            slot_free(x->ring);
            x->ring = CPTR_NULL;
        }
        if (err_no(err) == LIB_ERR_XCHAN_CLOSED) {
            err = SYS_ERR_OK;           /* the peer closed already: no ring, and
                                           every call finds the flag set */
        }
    }
    if (err_is_fail(err)) {
        chan_release(mon, x);
        return err;
    }
    aos_rpc_init(chan, CPTR_NULL);
    chan->t = &rpc_transport_ump;
    chan->x = x;
    return SYS_ERR_OK;
}

/* CHAN_CONNECT or CHAN_ACCEPT: the call, and the channel it answers with. */
static errval_t chan_call(struct aos_rpc *init, const uint32_t *req, uint32_t n,
                          struct aos_rpc *chan, domainid_t *peer)
{
    struct aos_rpc *mon;
    struct lmp_msg reply;
    capaddr_t frame;
    errval_t err;

    if (init == NULL || chan == NULL) {
        return LIB_ERR_RPC_NULL_ARG;
    }
    mon = broker(init);
    if (mon == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    err = slot_alloc(&frame);
    if (err_is_fail(err)) {
        return err;
    }
    err = aos_rpc_call(mon, req, n, CPTR_NULL, frame, &reply);
    if (err_is_ok(err) && (reply.cap != frame || reply.nwords < 6)) {
        if (reply.cap != CPTR_NULL) {
            cap_delete(reply.cap);
        }
        err = LIB_ERR_RPC_BAD_REPLY;
    }
    if (err_is_fail(err)) {
        slot_free(frame);
        return err;
    }
    if (peer != NULL) {
        *peer = reply.words[4];
    }
    return chan_open(mon, chan, frame, &reply);
}

errval_t aos_rpc_chan_connect(struct aos_rpc *init, domainid_t pid, struct aos_rpc *chan)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_CHAN_CONNECT, 0), pid };
    return chan_call(init, req, 2, chan, NULL);
}

errval_t aos_rpc_chan_accept(struct aos_rpc *init, struct aos_rpc *chan, domainid_t *peer)
{
    uint32_t req[1] = { RPC_HDR(RPC_OP_CHAN_ACCEPT, 0) };
    return chan_call(init, req, 1, chan, peer);
}

errval_t aos_rpc_chan_close(struct aos_rpc *init, struct aos_rpc *chan)
{
    struct aos_xchan *x;

    if (init == NULL || chan == NULL || chan->x == NULL) {
        return LIB_ERR_RPC_NULL_ARG;
    }
    thread_mutex_lock(&chan->lock);     /* no call of ours is still inside */
    x = chan->x;
    chan->x = NULL;
    chan->t = &rpc_transport_lmp;       /* ep 0: every later call fails */
    thread_mutex_unlock(&chan->lock);
    return chan_release(broker(init), x);
}

/* ---- the server's side ---- */

/* The reply to request `op` with sequence number `seq`, as init's server
 * formats it (include/aos/aos_rpc_wire.h). */
static errval_t answer(struct aos_rpc *chan, uint32_t op, uint32_t seq, errval_t err,
                       const uint32_t *extra, uint32_t nextra)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(op, RPC_FLAG_REPLY) | RPC_SEQ(seq) };

    rpc_put_err(&w[1], err);
    for (uint32_t i = 0; i < nextra; i++) {
        w[3 + i] = extra[i];
    }
    return ump_transport_send(chan, w, 3 + nextra, CPTR_NULL, 0);
}

/* A STRING fragment: collect; answer at the last (length and FNV-1a). */
static errval_t serve_string(struct aos_rpc *chan, const struct lmp_msg *m, uint32_t seq,
                             struct aos_rpc_served *st)
{
    struct aos_xchan *x = chan->x;
    uint32_t sum[2] = { 0, 0 }, len = 0;
    char *s;

    if (rpc_string_rx_feed(&x->rx, m->words, m->nwords) == RPC_RX_MORE) {
        return SYS_ERR_OK;
    }
    errval_t err = x->rx.err;
    s = rpc_string_rx_take(&x->rx, &len);
    if (s != NULL) {
        st->strings++;
        st->last_len = len;
        sum[0] = len;
        sum[1] = rpc_fnv1a(s, len);
        free(s);
    }
    return answer(chan, RPC_OP_STRING, seq, err, sum, 2);
}

errval_t aos_rpc_serve_one(struct aos_rpc *chan, struct aos_rpc_served *st)
{
    struct lmp_msg m;
    errval_t err;

    if (chan == NULL || chan->x == NULL || st == NULL) {
        return LIB_ERR_RPC_NULL_ARG;
    }
    thread_mutex_lock(&chan->lock);
    err = ump_transport_recv(chan, &m);
    if (err_is_ok(err) && m.nwords > 0) {
        uint32_t op = RPC_HDR_OP(m.words[0]), seq = RPC_HDR_SEQ(m.words[0]);
        uint32_t flags = RPC_HDR_FLAGS(m.words[0]);
        if (op == RPC_OP_STRING && !(flags & ~(RPC_FLAG_FIRST | RPC_FLAG_LAST))) {
            err = serve_string(chan, &m, seq, st);
        } else if (op == RPC_OP_NUMBER && flags == 0 && m.nwords == 2) {
            st->numbers++;
            st->last_number = m.words[1];
            err = answer(chan, op, seq, SYS_ERR_OK, NULL, 0);
        } else {
            err = answer(chan, op, seq, op == RPC_OP_NUMBER ? LIB_ERR_RPC_MALFORMED
                                                           : LIB_ERR_RPC_BAD_OP, NULL, 0);
        }
    }
    thread_mutex_unlock(&chan->lock);
    return err;
}
