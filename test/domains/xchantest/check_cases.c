/*
 * xchantest's cases of the CHAN_* calls as an attacker sends them to its
 * monitor (domains/monitor/channels.c, docs/multikernel.md "Channels
 * between domains"): wrong word counts, capabilities attached, another
 * domain's channel number, a second accept while one waits, the first
 * one answered to a domain that never reads its ring. Each gets its own
 * error, nothing is set up by a refused call, the channel of the domain
 * attacked stays whole, and the monitor answers another domain after.
 * The children are xchantest too (`xchantest foreign ID`,
 * `xchantest accepttwice`).
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/lmp.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <aos/xchan.h>
#include <aos/utest.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xchantest.h"

#define ACCEPT_RAW_SEQ 200      /* the accept `accepttwice` leaves waiting */

/* `n` words of `op` (words after the header: `arg`) to our monitor, with
 * `cap` attached (CPTR_NULL: none): the error it answered. */
static errval_t chan_call(uint32_t op, uint32_t n, uint32_t arg, capaddr_t cap)
{
    uint32_t req[3] = { RPC_HDR(op, 0), arg, arg };
    struct lmp_msg reply;

    return aos_rpc_call(aos_rpc_get_monitor_channel(), req, n, cap, CPTR_NULL, &reply);
}

/* `xchantest foreign ID`: CHAN_IPI and CHAN_CLOSE of channel ID, which
 * is another domain's: 0 if both get INIT_ERR_CHAN_INVALID, 1 if not. */
int foreign(uint32_t id)
{
    return err_no(chan_call(RPC_OP_CHAN_IPI, 2, id, CPTR_NULL)) == INIT_ERR_CHAN_INVALID
           && err_no(chan_call(RPC_OP_CHAN_CLOSE, 2, id, CPTR_NULL)) == INIT_ERR_CHAN_INVALID
           ? 0 : 1;
}

/* `xchantest accepttwice`: an accept sent by hand and left waiting, then
 * a second one (INIT_ERR_CHAN_BUSY, else status 1); then nothing until
 * killed, never reading our ring (the first accept's answer stays there,
 * or is dropped). */
int accept_twice(void)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_CHAN_ACCEPT, 0) | RPC_SEQ(ACCEPT_RAW_SEQ) };
    struct aos_rpc *mon = aos_rpc_get_monitor_channel();

    if (mon == NULL || err_is_fail(lmp_try_send_msg(mon->ep, CPTR_NULL, LMP_FLAG_YIELD, w, 1))
        || err_no(chan_call(RPC_OP_CHAN_ACCEPT, 1, 0, CPTR_NULL)) != INIT_ERR_CHAN_BUSY) {
        return 1;
    }
    for (;;) {
        sys_yield();
    }
}

/* Another domain asks our core's monitor: it keeps `want` channel ends. */
static bool other_domain_sees(coreid_t core, uint32_t want)
{
    char line[32];
    domainid_t pid;
    int status = -1;

    snprintf(line, sizeof(line), "xchantest live %lu", (unsigned long)want);
    return err_is_ok(spawn_on(line, core, &pid))
           && err_is_ok(aos_rpc_process_wait(init_chan(), pid, &status)) && status == 0;
}

/*
 * Every CHAN_* op with a word too few or too many, and with a capability
 * attached (a copy of our arguments page: taken from us, deleted by the
 * monitor), each refused with its own error; none sets anything up.
 */
void chan_calls_checked(void)
{
    static const struct { uint32_t op, n; } counts[] = {
        { RPC_OP_CHAN_CONNECT, 1 }, { RPC_OP_CHAN_CONNECT, 3 }, { RPC_OP_CHAN_ACCEPT, 2 },
        { RPC_OP_CHAN_IPI, 1 },     { RPC_OP_CHAN_IPI, 3 },     { RPC_OP_CHAN_CLOSE, 1 },
        { RPC_OP_CHAN_CLOSE, 3 },   { RPC_OP_CHAN_LIVE, 2 },
    };
    static const uint32_t ops[] = { RPC_OP_CHAN_CONNECT, RPC_OP_CHAN_ACCEPT, RPC_OP_CHAN_IPI,
                                    RPC_OP_CHAN_CLOSE, RPC_OP_CHAN_LIVE };
    uint32_t live_before, live_after, peer = AOS_PID_CORE_STRIDE + 1;
    capaddr_t copy;

    UEXPECT_OK(chan_live(&live_before));
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        errval_t err = chan_call(counts[i].op, counts[i].n, peer, CPTR_NULL);
        UEXPECT(err_no(err) == LIB_ERR_RPC_MALFORMED, "op %lu in %lu words: %s",
                (unsigned long)counts[i].op, (unsigned long)counts[i].n,
                err_getcode(err_no(err)));
    }
    UEXPECT_OK(slot_alloc(&copy));
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        uint32_t n = ops[i] == RPC_OP_CHAN_ACCEPT || ops[i] == RPC_OP_CHAN_LIVE ? 1 : 2;
        UEXPECT_OK(cap_copy_to(copy, CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_ARGSPAGE)));
        errval_t err = chan_call(ops[i], n, peer, copy);
        cap_delete(copy);
        UEXPECT(err_no(err) == LIB_ERR_RPC_UNEXPECTED_CAP, "op %lu with a capability: %s",
                (unsigned long)ops[i], err_getcode(err_no(err)));
    }
    slot_free(copy);
    UEXPECT_OK(chan_live(&live_after));
    UEXPECT_EQ("our monitor's channel ends", live_after, live_before);
    UEXPECT(other_domain_sees(0, live_before), "another domain's LIVE after ours");
}

/*
 * Another domain on our core (`xchantest foreign ID`) names our channel
 * in CHAN_IPI and CHAN_CLOSE: both INIT_ERR_CHAN_INVALID, and our
 * channel still carries a call and closes well.
 */
void chan_foreign_id(void)
{
    size_t before0, before1;
    struct aos_rpc chan;
    domainid_t server, thief;
    char line[48];
    int status = -1;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    UEXPECT_OK(spawn_on("xchantest serve 1 0", 1, &server));
    UEXPECT_OK(connect_when_ready(server, &chan));
    snprintf(line, sizeof(line), "xchantest foreign %lu", (unsigned long)chan.x->id);
    UEXPECT_OK(spawn_on(line, 0, &thief));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), thief, &status));
    UEXPECT_EQ("foreign's status (0: both refused INIT_ERR_CHAN_INVALID)", status, 0);
    UEXPECT_OK(aos_rpc_send_number(&chan, 5));
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), server, &status));
    UEXPECT_EQ("the server's status (0: our number came, then the close)", status, 0);
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}

/*
 * A domain on core 1 leaves an accept waiting and sends a second
 * (INIT_ERR_CHAN_BUSY), then never reads its ring. We connect: the first
 * accept is answered (to a ring nobody reads). It is killed: our end sees
 * the close, both monitors' pools and both cores' RAM come back, and
 * core 1's monitor answers another domain there.
 */
void chan_accept_twice_unread(void)
{
    size_t before0, before1;
    uint32_t live_before;
    struct aos_rpc chan;
    domainid_t pid;
    int status = -1;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    UEXPECT_OK(chan_live(&live_before));
    UEXPECT_OK(spawn_on("xchantest accepttwice", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_EQ("accepttwice's status (killed: its second accept got INIT_ERR_CHAN_BUSY)",
               status, (int)AOS_RPC_STATUS_KILLED);
    UEXPECT_ERR(aos_rpc_send_number(&chan, 1), LIB_ERR_XCHAN_CLOSED);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT(other_domain_sees(1, 0), "core 1's monitor keeps channel ends of an ended domain");
    UEXPECT(other_domain_sees(0, live_before), "our monitor keeps our closed channel");
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}
