/*
 * mptest's MP_BINDING_ cases (docs/multikernel.md "The binding"): a
 * domain that asks init for it (the library does, at its first call to the
 * monitor) holds an endpoint to its core's monitor badged with its pid, and
 * the monitor answers each domain on that domain's own endpoint only, as
 * strictly as init's server (badge = sender, word counts, flags, caps,
 * distinct errors). The client they start is mptest itself
 * (`mptest bindpeer N`).
 *
 * The calls here are made by hand (lmp_try_send_msg / lmp_poll, nothing
 * else outstanding in our ring) so that a reply meant for someone else,
 * or none at all, shows as such instead of being dropped by the library.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/lmp.h>
#include <aos/slot_alloc.h>
#include <aos/spawn.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mptest.h"

#define PEER_CALLS   200
#define PEER_ROUNDS  80          /* more than the monitor's MONITOR_CLIENTS places */
#define REPLY_TICKS  (62500000ull / 2)   /* 0.5 s for one reply */
#define HALF_SEQ     50                   /* halfname's call, pullonly's pull */

enum raw_result { RAW_OK, RAW_FOREIGN, RAW_TIMEOUT, RAW_SEND };

/* Send `n` words (and `cap`) to `ep`, then take the next message of our
 * ring into *reply: RAW_FOREIGN if it is not the reply to this op and
 * sequence number (header word 0 of `w`), RAW_TIMEOUT if none came. */
static enum raw_result raw_call(capaddr_t ep, const uint32_t *w, uint32_t n, capaddr_t cap,
                                struct lmp_msg *reply)
{
    uint32_t msg[LMP_MSG_WORDS] = { 0 };
    uint64_t deadline;

    memcpy(msg, w, n * sizeof(uint32_t));
    if (err_is_fail(lmp_try_send_msg(ep, cap, LMP_FLAG_YIELD, msg, n))) {
        return RAW_SEND;
    }
    deadline = counter_read() + REPLY_TICKS;
    while (!lmp_poll(reply)) {
        if (counter_read() > deadline) {
            return RAW_TIMEOUT;
        }
        sys_yield();
    }
    uint32_t want = n > 0 ? (w[0] & 0xff0000ffu) | RPC_FLAG_REPLY : RPC_FLAG_REPLY;
    return reply->nwords >= 3 && reply->words[0] == want ? RAW_OK : RAW_FOREIGN;
}

static capaddr_t monitor_ep(void)
{
    struct aos_rpc *m = aos_rpc_get_monitor_channel();

    return m != NULL ? m->ep : CPTR_NULL;
}

/* NUMBER to the monitor through `ep` with sequence number `seq`: the pid
 * the monitor answered for (word 3), or 0 on any failure. */
static domainid_t ping(capaddr_t ep, uint32_t seq, enum raw_result *r)
{
    uint32_t w[2] = { RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(seq), seq };
    struct lmp_msg m;

    *r = raw_call(ep, w, 2, CPTR_NULL, &m);
    if (*r != RAW_OK || err_is_fail(rpc_get_err(&m.words[1])) || m.nwords < 4) {
        return 0;
    }
    return m.words[3];
}

/*
 * `mptest bindpeer N`: N pings of our monitor, each of whose replies must
 * be ours (sequence numbers 128.. : mptest's own use 1..127). 0 if all
 * were; 1 no binding, 2 a foreign message, 3 no reply, 4 a wrong pid.
 */
int bind_peer(uint32_t n)
{
    capaddr_t ep = monitor_ep();
    enum raw_result r = RAW_SEND;

    if (ep == CPTR_NULL) {
        return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        domainid_t pid = ping(ep, 128 + i % 128, &r);
        if (r == RAW_FOREIGN || r == RAW_TIMEOUT || r == RAW_SEND) {
            return r == RAW_FOREIGN ? 2 : 3;
        }
        if (pid != spawn_my_pid()) {
            return 4;
        }
    }
    return 0;
}

/* We have a binding: the monitor answers our NUMBER on our endpoint and
 * names us by the badge it saw, our pid. */
void binding_ping_own_pid(void)
{
    enum raw_result r;
    capaddr_t ep = monitor_ep();

    UEXPECT(ep != CPTR_NULL, "no endpoint to our monitor in TASKCN slot %u",
            TASKCN_SLOT_MONITOREP);
    domainid_t pid = ping(ep, 1, &r);
    UEXPECT_EQ("the call's outcome (0 a reply of ours, 1 foreign, 2 none)", r, RAW_OK);
    UEXPECT_EQ("the pid the monitor answered for", pid, spawn_my_pid());
}

/* Two domains call the monitor at once, PEER_CALLS times each: every
 * reply each takes from its ring is its own (the peer checks its own and
 * tells us by its status). */
void binding_answers_own_endpoint(void)
{
    capaddr_t ep = monitor_ep();
    enum raw_result r = RAW_OK;
    domainid_t peer, pid = 0;
    char line[32];
    int status = -1;
    uint32_t i;

    snprintf(line, sizeof(line), "mptest bindpeer %u", PEER_CALLS);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 0, &peer));
    for (i = 0; i < PEER_CALLS && r == RAW_OK; i++) {
        pid = ping(ep, 1 + i % 127, &r);
        if (pid != spawn_my_pid()) {
            break;
        }
    }
    UEXPECT_OK(aos_rpc_process_wait(chan(), peer, &status));
    UEXPECT_EQ("our calls answered with our pid", i, PEER_CALLS);
    UEXPECT_EQ("the peer's status (0: all its replies were its own)", status, 0);
}

/* The badge is ours alone: our endpoint cannot be minted with another
 * pid, and a copy of it still speaks for us. */
void binding_badge_is_sender(void)
{
    capaddr_t ep = monitor_ep(), other, copy;
    enum raw_result r;

    UEXPECT_OK(slot_alloc(&other));
    UEXPECT(err_is_fail(cap_mint(cptr_cnode(other), cptr_slot(other), ep, CAP_RIGHTS_ALL,
                                 aos_pid_monitor(0))),
            "our endpoint to the monitor was minted with the monitor's pid");
    slot_free(other);
    UEXPECT_OK(slot_alloc(&copy));
    UEXPECT_OK(cap_copy_to(copy, ep));
    domainid_t pid = ping(copy, 2, &r);
    cap_delete(copy);
    slot_free(copy);
    UEXPECT_EQ("the pid through a copy", pid, spawn_my_pid());
}

/* One malformed message: the error the monitor answered it with. */
static errval_t bad_call(const uint32_t *w, uint32_t n, capaddr_t cap, uint32_t want_hdr)
{
    struct lmp_msg m;
    uint32_t hdr[1] = { want_hdr };
    enum raw_result r = raw_call(monitor_ep(), n > 0 ? w : hdr, n, cap, &m);

    if (r != RAW_OK) {
        return r == RAW_TIMEOUT ? LIB_ERR_RPC_NO_CHANNEL
             : r == RAW_SEND ? LIB_ERR_RPC_SEND : LIB_ERR_RPC_BAD_REPLY;
    }
    return rpc_get_err(&m.words[1]);
}

/* Every kind of bad message gets its own error, and the monitor goes on
 * serving (twice a cap, a copy of our arguments page: its one receive
 * slot is armed again). */
void binding_bad_messages(void)
{
    uint32_t unknown[1] = { RPC_HDR(RPC_OP_COUNT + 7, 0) | RPC_SEQ(3) };
    uint32_t init_op[3] = { RPC_HDR(RPC_OP_GET_RAM, 0) | RPC_SEQ(4), 4096, 4096 };
    uint32_t long_number[3] = { RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(5), 1, 2 };
    uint32_t as_reply[2] = { RPC_HDR(RPC_OP_NUMBER, RPC_FLAG_REPLY) | RPC_SEQ(6), 1 };
    uint32_t pull[1] = { RPC_HDR(RPC_OP_PROC_ALL_PIDS, RPC_FLAG_MORE) | RPC_SEQ(7) };
    uint32_t with_cap[2] = { RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(8), 1 };
    enum raw_result r;
    capaddr_t copy;

    UEXPECT_ERR(bad_call(unknown, 1, CPTR_NULL, 0), LIB_ERR_RPC_BAD_OP);
    UEXPECT_ERR(bad_call(init_op, 3, CPTR_NULL, 0), LIB_ERR_RPC_BAD_OP);
    UEXPECT_ERR(bad_call(long_number, 3, CPTR_NULL, 0), LIB_ERR_RPC_MALFORMED);
    UEXPECT_ERR(bad_call(as_reply, 2, CPTR_NULL, 0), LIB_ERR_RPC_MALFORMED);
    UEXPECT_ERR(bad_call(NULL, 0, CPTR_NULL, 0), LIB_ERR_RPC_MALFORMED);
    UEXPECT_ERR(bad_call(pull, 1, CPTR_NULL, 0), LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_OK(slot_alloc(&copy));
    UEXPECT_OK(cap_copy_to(copy, CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_ARGSPAGE)));
    for (uint32_t i = 0; i < 2; i++) {
        errval_t err = bad_call(with_cap, 2, copy, 0);
        if (err_no(err) != LIB_ERR_RPC_UNEXPECTED_CAP) {
            cap_delete(copy);
            slot_free(copy);
        }
        UEXPECT_ERR(err, LIB_ERR_RPC_UNEXPECTED_CAP);
    }
    cap_delete(copy);
    slot_free(copy);
    UEXPECT_EQ("a ping afterwards", ping(monitor_ep(), 9, &r), spawn_my_pid());
}

/* The answer to one request made by hand to `ep`: its error. */
static errval_t call_err(capaddr_t ep, const uint32_t *w, uint32_t n)
{
    struct lmp_msg m;
    enum raw_result r = raw_call(ep, w, n, CPTR_NULL, &m);

    return r == RAW_OK ? rpc_get_err(&m.words[1]) : LIB_ERR_RPC_BAD_REPLY;
}

/* A request made by hand to init or to our monitor, and the error it
 * must get. */
struct routed_call {
    bool to_monitor;
    uint32_t w[2], n;
    errval_t want;
};

/* Each of `calls` answered with its error by the server it went to. */
static void expect_answers(const struct routed_call *calls, size_t n)
{
    capaddr_t init = aos_rpc_get_init_channel()->ep, mon = monitor_ep();

    for (size_t i = 0; i < n; i++) {
        const struct routed_call *c = &calls[i];
        errval_t err = call_err(c->to_monitor ? mon : init, c->w, c->n);
        UEXPECT(err_no(err) == err_no(c->want), "call %lu (op %lu to %s): expected %s, got %s",
                (unsigned long)i, (unsigned long)RPC_HDR_OP(c->w[0]),
                c->to_monitor ? "the monitor" : "init", err_getcode(err_no(c->want)),
                err_getcode(err_no(err)));
    }
}

#define THERE (AOS_PID_CORE_STRIDE * 2 + 1)     /* a pid of core 2 */
#define FAR   (AOS_PID_CORE_STRIDE * 99 + 1)    /* of a core that does not exist */
#define CALL(to_mon, op, arg, seq, n, want) \
    { to_mon, { RPC_HDR_WITH_ARG(op, 0, arg) | RPC_SEQ(seq), 0 }, n, want }

/* Each call goes to one server: a kill, wait or mem stats naming another
 * core is the monitor's (init refuses it, INIT_ERR_ASK_MONITOR), one
 * naming our own core is init's (the monitor refuses it, INIT_ERR_ASK_INIT). */
void binding_calls_go_to_one_server(void)
{
    struct routed_call calls[] = {
        CALL(false, RPC_OP_PROC_KILL, 0, 20, 2, INIT_ERR_ASK_MONITOR),
        CALL(false, RPC_OP_PROC_WAIT, 0, 21, 2, INIT_ERR_ASK_MONITOR),
        CALL(false, RPC_OP_MEM_STATS, 2 + 1, 22, 1, INIT_ERR_ASK_MONITOR),
        CALL(true, RPC_OP_PROC_KILL, 0, 23, 2, INIT_ERR_ASK_INIT),
        CALL(true, RPC_OP_PROC_WAIT, 0, 24, 2, INIT_ERR_ASK_INIT),
        CALL(true, RPC_OP_MEM_STATS, 0, 25, 1, INIT_ERR_ASK_INIT),
        CALL(true, RPC_OP_MEM_STATS, 99 + 1, 26, 1, INIT_ERR_NO_SUCH_CORE),
        CALL(true, RPC_OP_PROC_KILL, 0, 27, 1, LIB_ERR_RPC_MALFORMED),
        CALL(true, RPC_OP_MEM_STATS, 2 + 1, 28, 1, SYS_ERR_OK),    /* the real thing */
    };

    calls[0].w[1] = calls[1].w[1] = THERE;
    calls[3].w[1] = calls[4].w[1] = spawn_my_pid();
    expect_answers(calls, sizeof(calls) / sizeof(calls[0]));
}

/* The same for get_info and get_name: another core's pid is the
 * monitor's, our own core's init's; a pid of a core that does not exist
 * names no process at either; and get_all_pids is split: init lists its
 * own core's pids and says how many cores there are, the monitor lists
 * the others' and never one of ours. */
void binding_pid_calls_go_to_one_server(void)
{
    struct routed_call calls[] = {
        CALL(false, RPC_OP_PROC_INFO, 0, 40, 2, INIT_ERR_ASK_MONITOR),
        CALL(false, RPC_OP_PROC_GET_NAME, 0, 41, 2, INIT_ERR_ASK_MONITOR),
        CALL(true, RPC_OP_PROC_INFO, 0, 42, 2, INIT_ERR_ASK_INIT),
        CALL(true, RPC_OP_PROC_GET_NAME, 0, 43, 2, INIT_ERR_ASK_INIT),
        CALL(false, RPC_OP_PROC_INFO, 0, 44, 2, INIT_ERR_NO_SUCH_PID),
        CALL(true, RPC_OP_PROC_INFO, 0, 45, 2, INIT_ERR_NO_SUCH_PID),
        CALL(false, RPC_OP_PROC_KILL, 0, 46, 2, INIT_ERR_NO_SUCH_PID),
        CALL(true, RPC_OP_PROC_ALL_PIDS, 0, 47, 2, LIB_ERR_RPC_MALFORMED),
    };
    domainid_t *pids;
    size_t n;
    bool ours = false;

    calls[0].w[1] = calls[1].w[1] = THERE;
    calls[2].w[1] = calls[3].w[1] = spawn_my_pid();
    calls[4].w[1] = calls[5].w[1] = calls[6].w[1] = FAR;
    expect_answers(calls, sizeof(calls) / sizeof(calls[0]));
    UEXPECT_OK(aos_rpc_process_get_all_pids(aos_rpc_get_monitor_channel(), &pids, &n));
    for (size_t i = 0; i < n; i++) {
        ours |= aos_pid_core(pids[i]) == aos_pid_core(spawn_my_pid());
    }
    free(pids);
    UEXPECT(n >= CORES - 1 && !ours, "the monitor listed %lu pids%s", (unsigned long)n,
            ours ? ", one of them of our own core" : "");
}

/*
 * `mptest halfname PID`: GET_NAME of PID (another core's, a name longer
 * than one window) from our monitor, by hand, and only its first window
 * read; we end with the rest unpulled. 0 if the window came (its last
 * message flagged MORE), 1 if not.
 */
int half_name(domainid_t pid)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_PROC_GET_NAME, 0) | RPC_SEQ(HALF_SEQ), pid };
    struct lmp_msg m;
    uint64_t deadline;

    if (monitor_ep() == CPTR_NULL
        || err_is_fail(lmp_try_send_msg(monitor_ep(), CPTR_NULL, LMP_FLAG_YIELD, w, 2))) {
        return 1;
    }
    deadline = counter_read() + REPLY_TICKS;
    for (uint32_t got = 0; got < RPC_WINDOW; ) {
        if (lmp_poll(&m)) {
            if (++got == RPC_WINDOW) {
                return (m.words[0] & RPC_FLAG_MORE) ? 0 : 1;
            }
        } else if (counter_read() > deadline) {
            return 1;
        }
    }
    return 1;
}

/* `mptest pullonly`: a pull for the next window of call HALF_SEQ, which
 * we never made: 0 if the monitor answers LIB_ERR_RPC_NO_ANSWER, 2 if it
 * sends us a fragment (someone else's answer), 1 on anything else. */
int pull_only(void)
{
    uint32_t w[1] = { RPC_HDR(RPC_OP_PROC_GET_NAME, RPC_FLAG_MORE) | RPC_SEQ(HALF_SEQ) };
    struct lmp_msg m;
    enum raw_result r = raw_call(monitor_ep(), w, 1, CPTR_NULL, &m);

    if (r == RAW_FOREIGN && !(m.words[0] & RPC_FLAG_REPLY)) {
        return 2;
    }
    return r == RAW_OK && err_no(rpc_get_err(&m.words[1])) == LIB_ERR_RPC_NO_ANSWER ? 0 : 1;
}

/*
 * A long answer stays with the client it was for: a domain takes the
 * first window of a long name from the monitor and ends; the next domain,
 * bound at the same place of the monitor's table, pulls for the rest of
 * that call and gets LIB_ERR_RPC_NO_ANSWER, not the other's name.
 */
void binding_long_answer_stays_with_client(void)
{
    char line[RPC_NAME_MAX + 1];
    domainid_t target, half, pull;
    int status;

    snprintf(line, sizeof(line), "busy wait %0200d", 0);       /* > one window */
    UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 2, &target));
    for (uint32_t round = 0; round < 3; round++) {
        snprintf(line, sizeof(line), "mptest halfname %lu", (unsigned long)target);
        UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 0, &half));
        status = -1;
        UEXPECT_OK(aos_rpc_process_wait(chan(), half, &status));
        UEXPECT_EQ("halfname's status (0: it read a first window)", status, 0);
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "mptest pullonly", 0, &pull));
        status = -1;
        UEXPECT_OK(aos_rpc_process_wait(chan(), pull, &status));
        UEXPECT_EQ("pullonly's status (0: NO_ANSWER, 2: another's answer)", status, 0);
    }
    UEXPECT_OK(aos_rpc_process_kill(chan(), target));
}

/* GET_NAME of `pid` (a name longer than a window) sent by hand with
 * sequence number `seq`, and its first window taken: true if RPC_WINDOW
 * messages of that call came, the last flagged MORE. */
static bool first_window(domainid_t pid, uint32_t seq)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_PROC_GET_NAME, 0) | RPC_SEQ(seq), pid };
    uint64_t deadline = counter_read() + REPLY_TICKS;
    struct lmp_msg m;

    if (err_is_fail(lmp_try_send_msg(monitor_ep(), CPTR_NULL, LMP_FLAG_YIELD, w, 2))) {
        return false;
    }
    for (uint32_t got = 0; got < RPC_WINDOW; ) {
        if (!lmp_poll(&m)) {
            if (counter_read() > deadline) {
                return false;
            }
            sys_yield();
        } else if (RPC_HDR_SEQ(m.words[0]) != seq) {
            return false;                   /* another call's message */
        } else if (++got == RPC_WINDOW) {
            return (m.words[0] & RPC_FLAG_MORE) != 0;
        }
    }
    return false;
}

/* A pull for the next window of GET_NAME call `seq`: its error, or
 * LIB_ERR_RPC_BAD_REPLY if anything but that call's reply came (a
 * fragment of another call's answer). */
static errval_t pull_err(uint32_t seq)
{
    uint32_t w[1] = { RPC_HDR(RPC_OP_PROC_GET_NAME, RPC_FLAG_MORE) | RPC_SEQ(seq) };
    struct lmp_msg m;

    return raw_call(monitor_ep(), w, 1, CPTR_NULL, &m) == RAW_OK ? rpc_get_err(&m.words[1])
                                                                : LIB_ERR_RPC_BAD_REPLY;
}

/*
 * A pull never continues another call's answer: we take the first window
 * of a long name (call 60), then of the same name again (call 61, which
 * replaces 60's at our place); a pull for 60 gets LIB_ERR_RPC_NO_ANSWER,
 * not 61's next window, and drops 61's too (a pull for it then gets
 * LIB_ERR_RPC_NO_ANSWER); the monitor answers us after.
 */
void binding_pull_never_crosses_answers(void)
{
    char line[RPC_NAME_MAX + 1];
    domainid_t target;
    enum raw_result r;

    snprintf(line, sizeof(line), "busy wait %0200d", 0);       /* > one window */
    UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 2, &target));
    bool windows = first_window(target, 60) && first_window(target, 61);
    errval_t stale = pull_err(60), dropped = pull_err(61);
    domainid_t pid = ping(monitor_ep(), 62, &r);
    UEXPECT_OK(aos_rpc_process_kill(chan(), target));
    UEXPECT(windows, "no first window of a long name from the monitor");
    UEXPECT_ERR(stale, LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_ERR(dropped, LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_EQ("a ping afterwards", pid, spawn_my_pid());
}

/* A one-fragment PROC_SPAWN of `line` (`len` bytes) for `core`, by hand. */
static errval_t spawn_err(capaddr_t ep, const char *line, uint32_t len, coreid_t core,
                          uint32_t flags, uint32_t seq)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR_WITH_ARG(RPC_OP_PROC_SPAWN, flags, core)
                                  | RPC_SEQ(seq), len };

    memcpy(&w[2], line, len);
    return call_err(ep, w, 2 + (len + 3) / 4);
}

/* A spawn on another core is the monitor's too, checked there as init
 * checks it: its own core's is init's, a NUL inside the line or a fragment
 * without FIRST each refused with their own error, a far core too. */
void binding_spawn_checked_by_monitor(void)
{
    capaddr_t init = aos_rpc_get_init_channel()->ep, mon = monitor_ep();
    const uint32_t both = RPC_FLAG_FIRST | RPC_FLAG_LAST;

    UEXPECT_ERR(spawn_err(init, "hello", 5, 2, both, 30), INIT_ERR_ASK_MONITOR);
    UEXPECT_ERR(spawn_err(mon, "hello", 5, 0, both, 31), INIT_ERR_ASK_INIT);
    UEXPECT_ERR(spawn_err(mon, "hel\0lo", 6, 2, both, 32), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(spawn_err(mon, "hello", 5, 2, RPC_FLAG_LAST, 33), LIB_ERR_RPC_NO_FIRST);
    UEXPECT_ERR(spawn_err(mon, "hello", 5, 99, both, 34), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_ERR(spawn_err(mon, "nosuchmodule", 12, 2, both, 35), INIT_ERR_NO_SUCH_MODULE);
}

/* A client that sends more pings than its ring holds and reads none
 * only loses replies: the monitor drops what does not fit (it never waits
 * for a client), and answers the next ping once the client has emptied
 * its ring. */
void binding_unread_replies_dropped(void)
{
    uint32_t w[2] = { 0, 0 }, got = 0, seq;
    struct lmp_msg m;
    enum raw_result r;
    capaddr_t ep = monitor_ep();

    for (seq = 10; seq < 10 + 3 * LMP_RING_SLOTS; seq++) {
        w[0] = RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(seq);
        UEXPECT_OK(lmp_send(ep, CPTR_NULL, 0, w, 2));   /* waits for room in its ring */
    }
    for (uint32_t i = 0; i < 1000; i++) {
        sys_yield();                        /* let it answer everything */
    }
    while (lmp_poll(&m)) {
        got++;
    }
    UEXPECT(got > 0 && got <= LMP_RING_SLOTS, "%lu replies in a ring of %u",
            (unsigned long)got, LMP_RING_SLOTS);
    UEXPECT_EQ("a ping afterwards", ping(ep, 100, &r), spawn_my_pid());
}

/* More domains than the monitor has places, one after another, each with
 * a binding that answers it: a place is free again when its domain ends. */
void binding_places_come_back(void)
{
    for (uint32_t i = 0; i < PEER_ROUNDS; i++) {
        domainid_t peer;
        int status = -1;
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "mptest bindpeer 2", 0, &peer));
        UEXPECT_OK(aos_rpc_process_wait(chan(), peer, &status));
        UEXPECT_EQ("a peer's status (0: answered, 1: no binding)", status, 0);
    }
}

/* An endpoint in our TASKCN_SLOT_MONITOREP? */
static bool holds_binding(void)
{
    struct capability_info ci;

    return err_is_ok(cap_identify(CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_MONITOREP), &ci))
           && ci.type == ObjType_Endpoint;
}

/* MONITOR_BIND to init by hand, `n` words: the error it answered. */
static errval_t bind_by_hand(uint32_t n, uint32_t seq)
{
    uint32_t w[2] = { RPC_HDR(RPC_OP_MONITOR_BIND, 0) | RPC_SEQ(seq), 0 };
    struct lmp_msg m;

    if (raw_call(aos_rpc_get_init_channel()->ep, w, n, CPTR_NULL, &m) != RAW_OK) {
        return LIB_ERR_RPC_NO_ANSWER;
    }
    return rpc_get_err(&m.words[1]);
}

/*
 * `mptest bindlazy`: a new domain holds no binding until it asks; a
 * malformed ask is refused and binds nothing; the library's first call
 * binds it; a second ask is refused (the slot is taken) and the binding
 * still answers. 0 if so, else the step (1..6) that went wrong.
 */
int bind_lazy_peer(void)
{
    enum raw_result r;

    if (holds_binding()) {
        return 1;                       /* bound at spawn */
    }
    if (err_no(bind_by_hand(2, 140)) != LIB_ERR_RPC_MALFORMED || holds_binding()) {
        return 2;
    }
    if (monitor_ep() == CPTR_NULL || !holds_binding()) {
        return 3;
    }
    if (err_no(bind_by_hand(1, 141)) != SYS_ERR_SLOT_IN_USE) {
        return 4;
    }
    if (ping(monitor_ep(), 142, &r) != spawn_my_pid()) {
        return 5;
    }
    return 0;
}

/* A domain is bound when it first asks, not at its spawn (which a domain
 * that never calls its monitor would pay for), and asking is checked. */
void binding_made_on_first_use(void)
{
    domainid_t peer;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "mptest bindlazy", 0, &peer));
    UEXPECT_OK(aos_rpc_process_wait(chan(), peer, &status));
    UEXPECT_EQ("the step that failed (0: none; 1 bound at spawn, 2 a malformed ask "
               "accepted, 3 no binding after the first call, 4 a second ask not refused, "
               "5 no answer after it)", status, 0);
}

/*
 * A partial line printed before a call that goes to the monitor comes out
 * before that call's effects: the prompt, then the output of the child it
 * spawns on core 1 (judged on the console by run_tests.py's
 * MP_PROMPT_BEFORE_ROUTED_CALL; without the library's flush init holds the
 * prompt until our next call of it, after the child's line). mptest runs
 * on core 0.
 */
void binding_prompt_before_routed_call(void)
{
    domainid_t child;
    int status = -1;

    printf("mptest: prompt before a routed call> ");
    fflush(stdout);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello routed-prompt-check", 1, &child));
    UEXPECT_OK(aos_rpc_process_wait(chan(), child, &status));
    printf("\n");
    UEXPECT_EQ("hello's exit status", status, 0);
}
