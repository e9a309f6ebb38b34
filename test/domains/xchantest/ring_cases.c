/*
 * xchantest's cases of the IPI capabilities a channel hands out
 * (RPC_OP_CHAN_IPI; docs/multikernel.md "Channels between domains"): a
 * domain holds a capability that rings its peer's doorbell only while
 * both ends of the channel are open. A domain may copy what its monitor
 * gives it, so the monitor takes every copy back (a revoke) when either
 * end goes; otherwise a domain could ring a peer it no longer has a
 * channel to, and, once the peer ended and its core handed the doorbell
 * number to a new domain, a domain nobody connected it to.
 *
 * The copies here are made by hand (cap_copy_to of the library's ring,
 * and one more CHAN_IPI sent by hand), as a domain that does not use the
 * library would keep them.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/spawn.h>
#include <aos/syscalls.h>
#include <aos/xchan.h>
#include <aos/utest.h>
#include <stdio.h>
#include <string.h>
#include "xchantest.h"

/* Does `slot` hold an IPI capability? */
static bool holds_ring(capaddr_t slot)
{
    struct capability_info ci;

    return err_is_ok(cap_identify(slot, &ci)) && ci.type == ObjType_IPI;
}

/* A copy of the ring the library holds for `chan`, in a new slot (or
 * CPTR_NULL). */
static capaddr_t copy_ring(struct aos_rpc *chan)
{
    capaddr_t slot;

    if (chan->x == NULL || err_is_fail(slot_alloc(&slot))) {
        return CPTR_NULL;
    }
    if (err_is_fail(cap_copy_to(slot, chan->x->ring))) {
        slot_free(slot);
        return CPTR_NULL;
    }
    return slot;
}

/* RPC_OP_CHAN_IPI for channel `id` by hand, its cap into a new slot *ret
 * (left empty, and freed, on an error): the error the monitor answered. */
static errval_t ipi_by_hand(uint32_t id, capaddr_t *ret)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_CHAN_IPI, 0), id };
    struct aos_rpc *mon = aos_rpc_get_monitor_channel();
    struct lmp_msg reply;
    errval_t err = mon != NULL ? slot_alloc(ret) : LIB_ERR_RPC_NO_CHANNEL;

    if (err_is_ok(err)) {
        err = aos_rpc_call(mon, req, 2, CPTR_NULL, *ret, &reply);
        if (err_is_ok(err) && reply.cap != *ret) {
            err = LIB_ERR_RPC_BAD_REPLY;
        }
        if (err_is_fail(err)) {
            slot_free(*ret);
            *ret = CPTR_NULL;
        }
    }
    return err;
}

/* CHAN_CLOSE of `id` by hand: the error the monitor answered. */
static errval_t close_by_hand(uint32_t id)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_CHAN_CLOSE, 0), id };
    struct lmp_msg reply;

    return aos_rpc_call(aos_rpc_get_monitor_channel(), req, 2, CPTR_NULL, CPTR_NULL, &reply);
}

/* Neither slot holds a ring within 5 s (the peer's end reaches our
 * monitor over the link: not at once). */
static bool rings_gone_within(capaddr_t a, capaddr_t b)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;

    do {
        if (!holds_ring(a) && !holds_ring(b)) {
            return true;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return false;
}

/* Our monitor keeps `want` channel ends within 5 s. */
static bool live_back(uint32_t want, uint32_t *now)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;

    do {
        if (err_is_ok(chan_live(now)) && *now == want) {
            return true;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return false;
}

static void drop_slot(capaddr_t slot)
{
    if (slot != CPTR_NULL) {
        cap_delete(slot);
        slot_free(slot);
    }
}

/*
 * We close a channel to a server on core 1 that still holds its end: the
 * copies we made of its ring (one of the library's, one more CHAN_IPI)
 * are gone; CHAN_IPI and CHAN_CLOSE of that id now get
 * INIT_ERR_CHAN_INVALID (a stale generation); the server sees the close;
 * pool and RAM back.
 */
void ring_gone_with_close(void)
{
    size_t before0, before1;
    uint32_t live_before, live_now, id;
    capaddr_t kept, extra = CPTR_NULL, none = CPTR_NULL;
    struct aos_rpc chan;
    domainid_t pid;
    int status = -1;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    UEXPECT_OK(chan_live(&live_before));
    UEXPECT_OK(spawn_on("xchantest serve 1 0", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    id = chan.x->id;
    kept = copy_ring(&chan);
    UEXPECT(holds_ring(kept), "no copy of the library's ring");
    UEXPECT_OK(ipi_by_hand(id, &extra));
    UEXPECT(holds_ring(extra), "CHAN_IPI by hand gave no ring");
    UEXPECT_OK(aos_rpc_send_number(&chan, 7));
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    bool kept_held = holds_ring(kept), extra_held = holds_ring(extra);
    drop_slot(kept);
    drop_slot(extra);
    UEXPECT(!kept_held && !extra_held, "after our close we still hold a ring of the peer "
            "(the library's copied: %d, one more CHAN_IPI: %d)", kept_held, extra_held);
    UEXPECT_ERR(ipi_by_hand(id, &none), INIT_ERR_CHAN_INVALID);
    UEXPECT_ERR(close_by_hand(id), INIT_ERR_CHAN_INVALID);
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_EQ("the server's status (0: it answered our number and saw the close)", status, 0);
    UEXPECT(live_back(live_before, &live_now), "our monitor keeps %lu channel ends, %lu before",
            (unsigned long)live_now, (unsigned long)live_before);
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}

/*
 * The peer's end goes first, both ways round:
 *  - we lend (connect to a server on core 1, which is killed): our copy
 *    of the ring goes although we keep our end open; CHAN_IPI then gets
 *    LIB_ERR_XCHAN_CLOSED, and so does a call;
 *  - we borrow, twice from one domain (`xchantest holder ME ME` on core 2
 *    connects to us twice, so both rings ring one doorbell): closing the
 *    first keeps the second's ring working (the kernel counts the two as
 *    copies: no revoke while one still rings); when the holder is killed,
 *    both copies go.
 */
void ring_gone_with_peer(void)
{
    size_t before0, before1, before2;
    uint32_t live_before, live_now;
    struct aos_rpc chan, first, second;
    capaddr_t kept, k1, k2, none = CPTR_NULL;
    domainid_t pid, holder;
    char line[64];
    int status = -1;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1) && free_on(2, &before2), "free RAM");
    UEXPECT_OK(chan_live(&live_before));
    UEXPECT_OK(spawn_on("xchantest serve -1 0", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    UEXPECT_OK(aos_rpc_send_number(&chan, 1));
    kept = copy_ring(&chan);
    UEXPECT(holds_ring(kept), "no copy of the library's ring");
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    bool gone = rings_gone_within(kept, CPTR_NULL);
    drop_slot(kept);
    UEXPECT(gone, "the server was killed, and we still hold a ring of its doorbell");
    UEXPECT_ERR(ipi_by_hand(chan.x->id, &none), LIB_ERR_XCHAN_CLOSED);
    UEXPECT_ERR(aos_rpc_send_number(&chan, 2), LIB_ERR_XCHAN_CLOSED);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));

    snprintf(line, sizeof(line), "xchantest holder %lu %lu", (unsigned long)spawn_my_pid(),
             (unsigned long)spawn_my_pid());
    UEXPECT_OK(spawn_on(line, 2, &holder));
    UEXPECT_OK(aos_rpc_chan_accept(init_chan(), &first, &pid));
    UEXPECT_OK(aos_rpc_chan_accept(init_chan(), &second, &pid));
    UEXPECT_EQ("the connector", pid, holder);
    k1 = copy_ring(&first);
    k2 = copy_ring(&second);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &first));
    UEXPECT(holds_ring(second.x->ring) && holds_ring(k2),
            "closing one channel took the ring of another to the same domain");
    UEXPECT_OK(ipi_notify(second.x->ring));
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), holder));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), holder, &status));
    gone = rings_gone_within(k1, k2);
    drop_slot(k1);
    drop_slot(k2);
    UEXPECT(gone, "the holder was killed, and we still hold a ring of its doorbell");
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &second));
    UEXPECT(live_back(live_before, &live_now), "our monitor keeps %lu channel ends, %lu before",
            (unsigned long)live_now, (unsigned long)live_before);
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
    UEXPECT_FREE_BACK(2, before2);
}

/* `xchantest accept2`: accept two channels, then nothing until killed
 * (status 2 if an accept failed). */
int accept_two(void)
{
    struct aos_rpc chans[2];
    domainid_t peer;

    for (int i = 0; i < 2; i++) {
        if (err_is_fail(aos_rpc_chan_accept(init_chan(), &chans[i], &peer))) {
            return 2;
        }
    }
    for (;;) {
        sys_yield();
    }
}

/*
 * Two channels we lend to one domain on core 1 (`xchantest accept2`), so
 * both our rings ring one doorbell, made one right after the other (the
 * kernel counts them as copies of each other): closing the first takes
 * its ring and our copy of it, and leaves the second's, which still
 * rings; closing the second takes that one too.
 */
void ring_per_channel(void)
{
    size_t before0, before1;
    uint32_t live_before, live_now;
    struct aos_rpc first, second;
    capaddr_t k1, k2;
    domainid_t pid;
    int status = -1;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    UEXPECT_OK(chan_live(&live_before));
    UEXPECT_OK(spawn_on("xchantest accept2", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &first));
    UEXPECT_OK(connect_when_ready(pid, &second));
    k1 = copy_ring(&first);
    k2 = copy_ring(&second);
    UEXPECT(holds_ring(k1) && holds_ring(k2), "no copies of the rings");
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &first));
    bool k1_held = holds_ring(k1), second_held = holds_ring(second.x->ring) && holds_ring(k2);
    UEXPECT(!k1_held && second_held, "after closing the first channel: its ring copied %s, "
            "the second's ring %s", k1_held ? "still held" : "gone",
            second_held ? "still held" : "gone too");
    UEXPECT_OK(ipi_notify(second.x->ring));
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &second));
    UEXPECT(!holds_ring(k2), "the second channel closed, and its ring copied still held");
    drop_slot(k1);
    drop_slot(k2);
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_EQ("accept2's status (killed: both accepts succeeded)", status,
               (int)AOS_RPC_STATUS_KILLED);
    UEXPECT(live_back(live_before, &live_now), "our monitor keeps %lu channel ends, %lu before",
            (unsigned long)live_now, (unsigned long)live_before);
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}
