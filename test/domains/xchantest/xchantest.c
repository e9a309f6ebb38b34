/*
 * xchantest: channels between domains on different cores and the RPC
 * layer over them (docs/multikernel.md "Channels between domains"). Run
 * on core 0 of a 4-core machine (the `mp-xchan` suite); it spawns its own
 * peers on other cores:
 *
 *   xchantest serve N S   accept one channel, answer calls until it
 *                         closes; exit 0 iff it answered N numbers and S
 *                         strings (N = -1: any number, at least one)
 *   xchantest noread      accept one channel and never read it
 *   xchantest accept2     accept two channels, then nothing until killed
 *   xchantest accepttwice an accept left waiting and a second one (BUSY),
 *                         then nothing until killed, its ring unread
 *   xchantest foreign ID  CHAN_IPI and CHAN_CLOSE of another's channel ID
 *   xchantest client PID  connect to PID and send numbers until killed
 *   xchantest holder P..  connect to each pid P (up to 8) and wait to be killed
 *   xchantest live N      exit 0 once this core's monitor keeps N channel
 *                         ends (within 5 s), else 1
 *   xchantest watch PID   connect to PID, make one call, exit 0 iff it fails
 *                         with LIB_ERR_XCHAN_CLOSED (its core died)
 *   xchantest deadchan N  before core N's init is killed: channels to it
 *                         from core 1, one each way, their ends on core 1
 *                         left to see the close
 *   xchantest dead N      the cases for a dead core N (the `mp-dead` suite)
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <aos/xchan.h>
#include <aos/syscalls.h>
#include <aos/threads.h>
#include <aos/utest.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xchantest.h"

struct aos_rpc *init_chan(void)
{
    return aos_rpc_get_process_channel();
}

/* ---- the peers ---- */

static int serve(long want_numbers, long want_strings)
{
    struct aos_rpc chan;
    struct aos_rpc_served st = { 0 };
    domainid_t peer;
    errval_t err = aos_rpc_chan_accept(init_chan(), &chan, &peer);

    if (err_is_fail(err)) {
        printf("xchantest serve: accept: %s\n", err_getcode(err_no(err)));
        return 2;
    }
    do {
        err = aos_rpc_serve_one(&chan, &st);
    } while (err_is_ok(err));
    aos_rpc_chan_close(init_chan(), &chan);
    if (err_no(err) != LIB_ERR_XCHAN_CLOSED) {
        printf("xchantest serve: %s after %lu numbers\n", err_getcode(err_no(err)),
               (unsigned long)st.numbers);
        return 3;
    }
    if (want_numbers < 0 ? st.numbers == 0
                         : ((long)st.numbers != want_numbers || (long)st.strings != want_strings)) {
        printf("xchantest serve: %lu numbers, %lu strings\n", (unsigned long)st.numbers,
               (unsigned long)st.strings);
        return 1;
    }
    return 0;
}

static int noread(void)
{
    struct aos_rpc chan;
    domainid_t peer;

    if (err_is_fail(aos_rpc_chan_accept(init_chan(), &chan, &peer))) {
        return 2;
    }
    for (;;) {
        sys_yield();            /* until killed */
    }
}

/*
 * `xchantest compute`: accept a channel, then compute for STORM_TICKS
 * without ever waiting, and count this core's doorbell interrupts
 * meanwhile (the kernel writes them into our dispatcher frame at each
 * dispatch). Status 0 if there were at most two (the peer rings us all
 * the while: safety rule 8), 1 if more.
 */
#define STORM_TICKS (TICKS_PER_S / 2)
static int compute_beside_ringer(void)
{
    volatile struct dispatcher_shared *disp = get_dispatcher();
    struct aos_rpc chan;
    domainid_t peer;
    uint64_t start;
    uint32_t irqs;

    if (err_is_fail(aos_rpc_chan_accept(init_chan(), &chan, &peer))) {
        return 2;
    }
    sys_yield();                        /* a dispatch: the counts are fresh */
    irqs = disp->core_doorbell_irqs;
    start = counter_read();
    while (counter_read() - start < STORM_TICKS) {
    }
    sys_yield();
    irqs = disp->core_doorbell_irqs - irqs;
    printf("xchantest compute: %lu doorbell interrupts on my core while rung\n",
           (unsigned long)irqs);
    aos_rpc_chan_close(init_chan(), &chan);
    return irqs <= 2 ? 0 : 1;
}

/* Connect to `pid` once it accepts (it was just spawned): at most 5 s. */
errval_t connect_when_ready(domainid_t pid, struct aos_rpc *chan)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;
    errval_t err;

    do {
        err = aos_rpc_chan_connect(init_chan(), pid, chan);
        if (err_no(err) != INIT_ERR_CHAN_NOT_ACCEPTING) {
            return err;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return err;
}

static int client(domainid_t pid)
{
    struct aos_rpc chan;

    if (err_is_fail(connect_when_ready(pid, &chan))) {
        return 2;
    }
    for (uint32_t i = 0;; i++) {
        if (err_is_fail(aos_rpc_send_number(&chan, i))) {
            return 3;
        }
    }
}

/* Channel ends our core's monitor keeps (RPC_OP_CHAN_LIVE). */
errval_t chan_live(uint32_t *live)
{
    uint32_t req[1] = { RPC_HDR(RPC_OP_CHAN_LIVE, 0) };
    struct aos_rpc *mon = aos_rpc_get_monitor_channel();
    struct lmp_msg reply;
    errval_t err = mon == NULL ? LIB_ERR_RPC_NO_CHANNEL
                               : aos_rpc_call(mon, req, 1, CPTR_NULL, CPTR_NULL, &reply);

    if (err_is_ok(err) && reply.nwords < 4) {
        err = LIB_ERR_RPC_BAD_REPLY;
    }
    if (err_is_ok(err)) {
        *live = reply.words[3];
    }
    return err;
}

/* Our core's monitor keeps `want` channel ends within 5 s. */
static bool live_becomes(uint32_t want, uint32_t *now)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;

    do {
        if (err_is_fail(chan_live(now))) {
            return false;
        }
        if (*now == want) {
            return true;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return false;
}

/* `xchantest live N`: for a case on core 0 that asks about another core. */
static int live(uint32_t want)
{
    uint32_t now = 0;

    if (live_becomes(want, &now)) {
        return 0;
    }
    printf("xchantest live: my monitor keeps %lu channel ends, not %lu\n",
           (unsigned long)now, (unsigned long)want);
    return 1;
}

/* `xchantest holder P...`: a channel to each, then nothing until killed. */
static int holder(int n, char **pids)
{
    struct aos_rpc chans[8];

    for (int i = 0; i < n && i < 8; i++) {
        if (err_is_fail(connect_when_ready((domainid_t)strtoul(pids[i], NULL, 10),
                                           &chans[i]))) {
            return 2;
        }
    }
    for (;;) {
        sys_yield();
    }
}

/* ---- helpers of the cases ---- */

bool free_on(coreid_t core, size_t *free_bytes)
{
    size_t total;
    return err_is_ok(aos_rpc_mem_stats_core(init_chan(), core, free_bytes, &total));
}

/* Free RAM on `core` back at `before` within 5 s (an ended domain's RAM
 * comes back once its init has handled its end). */
bool free_back(coreid_t core, size_t before, size_t *now)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;

    do {
        if (!free_on(core, now)) {
            return false;
        }
        if (*now == before) {
            return true;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return false;
}

errval_t spawn_on(const char *line, coreid_t core, domainid_t *pid)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", line);
    return aos_rpc_process_spawn(init_chan(), buf, core, pid);
}

/* `xchantest watch PID`: one call on a channel to PID (which never reads:
 * the call waits for its answer) must end with LIB_ERR_XCHAN_CLOSED once
 * PID's core dies. */
static int watch(domainid_t pid)
{
    struct aos_rpc chan;
    errval_t err;

    if (err_is_fail(connect_when_ready(pid, &chan))) {
        return 2;
    }
    err = aos_rpc_send_number(&chan, 1);
    aos_rpc_chan_close(init_chan(), &chan);
    return err_no(err) == LIB_ERR_XCHAN_CLOSED ? 0 : 1;
}

/*
 * `xchantest deadchan N` (before kill-core-init N): two channels between
 * core 1 and core N. Core 1 lends one: `xchantest watch R` there, to a
 * `noread` R on core N. Core N lends the other: `xchantest client S`
 * there streams to `xchantest serve -1 0` S on core 1 (whose monitor
 * maps the borrowed frame in its window). Both ends on core 1 must see
 * the channel closed when core N dies (MP_XCHAN_DEAD_CORE_CLOSES).
 */
static int deadchan_setup(coreid_t core)
{
    domainid_t reader, watcher, server, streamer;
    char line[48];
    uint64_t until;

    if (err_is_fail(spawn_on("xchantest noread", core, &reader))
        || err_is_fail(spawn_on("xchantest serve -1 0", 1, &server))) {
        return 1;
    }
    snprintf(line, sizeof(line), "xchantest watch %lu", (unsigned long)reader);
    if (err_is_fail(spawn_on(line, 1, &watcher))) {
        return 1;
    }
    snprintf(line, sizeof(line), "xchantest client %lu", (unsigned long)server);
    if (err_is_fail(spawn_on(line, core, &streamer))) {
        return 1;
    }
    until = counter_read() + TICKS_PER_S / 2;      /* both connected and calling */
    while (counter_read() < until) {
        sys_yield();
    }
    return 0;
}

/* ---- the cases ---- */

static const uint32_t string_lens[] = { 0, 1, 24, 25, 100, 1000, 3000, 12000 };
#define NSTRINGS (sizeof(string_lens) / sizeof(string_lens[0]))
#define NNUMBERS 500

/* 500 numbers and strings of 0..12,000 bytes (more fragments than the ring
 * holds) to a server on core 2; its checks (length and FNV-1a) pass, it
 * counts exactly what was sent, and every byte of the channel comes back
 * on both cores. */
static void rpc_stream(void)
{
    size_t before0, before2;
    struct aos_rpc chan;
    domainid_t pid;
    int status = -1;
    char line[32], *buf = malloc(12000);

    UEXPECT(buf != NULL, "malloc");
    UEXPECT(free_on(0, &before0) && free_on(2, &before2), "free RAM");
    snprintf(line, sizeof(line), "xchantest serve %u %u", NNUMBERS, (unsigned)NSTRINGS);
    UEXPECT_OK(spawn_on(line, 2, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    for (uint32_t i = 0; i < NNUMBERS; i++) {
        UEXPECT_OK(aos_rpc_send_number(&chan, i * 7919u));
    }
    for (uint32_t i = 0; i < 12000; i++) {
        buf[i] = (char)('a' + i % 23);
    }
    for (uint32_t i = 0; i < NSTRINGS; i++) {
        errval_t err = aos_rpc_send_bytes(&chan, buf, string_lens[i]);
        UEXPECT(err_is_ok(err), "a string of %lu bytes: %s", (unsigned long)string_lens[i],
                err_getcode(err_no(err)));
    }
    free(buf);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_EQ("server's status", status, 0);
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(2, before2);
}

/* Two domains on different cores ping-pong (we on core 0, a server on
 * core 2) while a CPU-bound domain runs on core 3: it must have its core to
 * itself all along (`busy alone`: every dispatch on core 3 its own, no
 * doorbell interrupt there), because each core schedules alone and a ring
 * interrupts only the core of the domain it wakes. The ping-pong runs the
 * whole of busy's window (50 ms to settle, then 500 ms) and must make
 * progress in it. The control: beside a spinner on core 3 the same measure
 * fails (they take turns). */
static void pingpong_beside_whole_core(void)
{
    size_t before0, before2, before3;
    struct aos_rpc chan;
    domainid_t server, spinner;
    int status = -1, spin_status = -1;
    uint64_t end;
    uint32_t calls = 0;

    UEXPECT(free_on(0, &before0) && free_on(2, &before2) && free_on(3, &before3), "free RAM");
    UEXPECT_OK(spawn_on("xchantest serve -1 0", 2, &server));
    UEXPECT_OK(connect_when_ready(server, &chan));
    UEXPECT_OK(spawn_on("busy alone 3125000 31250000", 3, &spinner));
    end = counter_read() + TICKS_PER_S;             /* past busy's 550 ms */
    while (counter_read() < end) {
        UEXPECT_OK(aos_rpc_send_number(&chan, calls++));
    }
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), spinner, &spin_status));
    UEXPECT_EQ("busy alone's status (1: its core was shared)", spin_status, 0);
    UEXPECT(calls >= 100, "only %lu round trips in a second", (unsigned long)calls);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), server, &status));
    UEXPECT_EQ("server's status", status, 0);
    printf("xchantest: %lu round trips core 0 <-> core 2 beside busy on core 3\n",
           (unsigned long)calls);
    /* the control: the same measure does see another domain on its core */
    UEXPECT_OK(spawn_on("spinner", 3, &server));
    UEXPECT_OK(spawn_on("busy alone 0 31250000", 3, &spinner));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), spinner, &spin_status));
    UEXPECT_EQ("busy alone beside a spinner on its core", spin_status, 1);
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), server));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), server, &status));
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(2, before2);
    UEXPECT_FREE_BACK(3, before3);
}

/*
 * Safety rule 8 across cores: we ring a domain on core 2 in a loop while
 * it computes (it never waits), for longer than it computes. Each ring
 * used to interrupt core 2; now the first interrupt finds the owner
 * running and leaves the bit set, so the rest send nothing: the peer
 * counts at most two doorbell interrupts on its core (its status 0).
 */
static void ring_storm_beside_computer(void)
{
    size_t before0, before2;
    struct aos_rpc chan;
    domainid_t peer;
    int status = -1;
    uint32_t rings = 0;
    uint64_t end;
    errval_t err = SYS_ERR_OK;

    UEXPECT(free_on(0, &before0) && free_on(2, &before2), "free RAM");
    UEXPECT_OK(spawn_on("xchantest compute", 2, &peer));
    UEXPECT_OK(connect_when_ready(peer, &chan));
    end = counter_read() + STORM_TICKS + STORM_TICKS / 2;
    while (counter_read() < end && err_is_ok(err = ipi_notify(chan.x->ring))) {
        rings++;
    }
    UEXPECT(err_is_ok(err) || err_no(err) == SYS_ERR_SLOT_EMPTY, "a ring: %s",
            err_getcode(err_no(err)));      /* empty: the peer closed its end after computing */
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), peer, &status));
    printf("xchantest: %lu rings of a computing peer on core 2\n", (unsigned long)rings);
    UEXPECT(rings >= 1000, "only %lu rings", (unsigned long)rings);
    UEXPECT_EQ("the computing peer's status (1: more than two interrupts)", status, 0);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(2, before2);
}

/* The server on core 1 is killed after 100 calls: the next call (or the
 * one in flight) fails with LIB_ERR_XCHAN_CLOSED, never hangs, and so
 * does every later one; RAM exact on both cores once we close. */
static void receiver_killed_mid_stream(void)
{
    size_t before0, before1;
    struct aos_rpc chan;
    domainid_t pid;
    errval_t err = SYS_ERR_OK;
    uint32_t calls = 0;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    UEXPECT_OK(spawn_on("xchantest serve -1 0", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    for (; calls < 1000000 && err_is_ok(err); calls++) {
        if (calls == 100) {
            UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
        }
        err = aos_rpc_send_number(&chan, calls);
    }
    UEXPECT(calls > 100, "failed after %lu calls", (unsigned long)calls);
    UEXPECT_ERR(err, LIB_ERR_XCHAN_CLOSED);
    UEXPECT_ERR(aos_rpc_send_number(&chan, 1), LIB_ERR_XCHAN_CLOSED);
    UEXPECT_ERR(aos_rpc_send_string(&chan, "a string of more than one fragment, after the end"),
                LIB_ERR_XCHAN_CLOSED);
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}

/* The other way round: the connecting domain (on core 3, whose core lent
 * the frame) is killed while it streams to a server on core 2; the server
 * sees the channel closed and ends well; both cores get every byte back
 * (the lender's once the borrower returned the loan). */
static void connector_killed(void)
{
    size_t before2, before3;
    domainid_t server, client_pid;
    char line[40];
    int status = -1;

    UEXPECT(free_on(2, &before2) && free_on(3, &before3), "free RAM");
    UEXPECT_OK(spawn_on("xchantest serve -1 0", 2, &server));
    snprintf(line, sizeof(line), "xchantest client %u", (unsigned)server);
    UEXPECT_OK(spawn_on(line, 3, &client_pid));
    uint64_t until = counter_read() + TICKS_PER_S;
    while (counter_read() < until) {
        sys_yield();            /* let it connect and stream a while */
    }
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), client_pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), server, &status));
    UEXPECT_EQ("server's status", status, 0);
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), client_pid, &status));
    UEXPECT_EQ("client's status", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_FREE_BACK(2, before2);
    UEXPECT_FREE_BACK(3, before3);
}

/* Bad peers, each with its own error, and a full ring. */
static void bad_input(void)
{
    size_t before0, before1, before2;
    struct aos_rpc chan;
    domainid_t pid;
    int status;
    errval_t err;

    UEXPECT(free_on(0, &before0) && free_on(1, &before1) && free_on(2, &before2), "free RAM");
    /* our own core, a core past the last, a pid never handed out, another
     * core's init, a domain that has ended */
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), 1, &chan), INIT_ERR_CHAN_SAME_CORE);
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), CORES * AOS_PID_CORE_STRIDE + 1, &chan),
                INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), 2 * AOS_PID_CORE_STRIDE + 999998, &chan),
                INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), 1 * AOS_PID_CORE_STRIDE, &chan),
                INIT_ERR_NO_SUCH_PID);
    UEXPECT_OK(spawn_on("hello", 1, &pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), pid, &chan), INIT_ERR_NO_SUCH_PID);
    /* alive, but not accepting */
    UEXPECT_OK(spawn_on("spinner", 1, &pid));
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), pid, &chan), INIT_ERR_CHAN_NOT_ACCEPTING);
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
    /* (neither has a binding to core 1's monitor: its init answered) and
     * that core's monitor, which is nobody's client */
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), aos_pid_monitor(1), &chan),
                INIT_ERR_CHAN_NOT_ACCEPTING);
    /* a peer that never reads: the ring fills, the call gives up */
    UEXPECT_OK(spawn_on("xchantest noread", 2, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    char *buf = calloc(1, 8000);
    UEXPECT(buf != NULL, "calloc");
    err = aos_rpc_send_bytes(&chan, buf, 8000);
    free(buf);
    UEXPECT(err_no(err) == LIB_ERR_RPC_SEND && err_no(err_pop(err)) == LIB_ERR_XCHAN_FULL,
            "8000 bytes to a peer that does not read: %s", err_getcode(err_no(err)));
    /* a capability cannot go over it */
    uint32_t req[1] = { RPC_HDR(RPC_OP_NUMBER, 0) };
    struct lmp_msg reply;
    err = aos_rpc_call(&chan, req, 1, CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_DISPATCHER),
                       CPTR_NULL, &reply);
    UEXPECT(err_no(err) == LIB_ERR_RPC_SEND && err_no(err_pop(err)) == LIB_ERR_XCHAN_NO_CAP,
            "a cap over a channel: %s", err_getcode(err_no(err)));
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pid));
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
    UEXPECT_FREE_BACK(2, before2);
}

/* One domain holds at most CHAN_PER_DOMAIN (8) channels: the 9th connect
 * is refused before anything is lent; a closed one makes room again once
 * its peer has let go too. */
static void too_many_per_domain(void)
{
    enum { PER_DOMAIN = 8 };
    size_t before0, before1;
    struct aos_rpc chans[PER_DOMAIN + 1];
    domainid_t pids[PER_DOMAIN + 1];

    UEXPECT(free_on(0, &before0) && free_on(1, &before1), "free RAM");
    for (int i = 0; i < PER_DOMAIN + 1; i++) {
        UEXPECT_OK(spawn_on("xchantest noread", 1, &pids[i]));
    }
    for (int i = 0; i < PER_DOMAIN; i++) {
        UEXPECT_OK(connect_when_ready(pids[i], &chans[i]));
    }
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), pids[PER_DOMAIN], &chans[PER_DOMAIN]),
                INIT_ERR_CHAN_TOO_MANY);
    /* a closed channel still counts until its peer has let go of the
     * frame too (its RAM is not back yet); then there is room again */
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chans[0]));
    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), pids[PER_DOMAIN], &chans[PER_DOMAIN]),
                INIT_ERR_CHAN_TOO_MANY);
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), pids[0]));
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;
    errval_t err;
    do {
        err = connect_when_ready(pids[PER_DOMAIN], &chans[0]);
    } while (err_no(err) == INIT_ERR_CHAN_TOO_MANY && counter_read() < deadline);
    UEXPECT_OK(err);
    for (int i = 0; i < PER_DOMAIN; i++) {
        UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chans[i]));
    }
    for (int i = 1; i < PER_DOMAIN + 1; i++) {
        UEXPECT_OK(aos_rpc_process_kill(init_chan(), pids[i]));
    }
    UEXPECT_FREE_BACK(0, before0);
    UEXPECT_FREE_BACK(1, before1);
}

/* A channel both of whose ends are closed, and whose peer we saw end, is
 * back in our monitor's pool at our very next question, not some time
 * later: the borrower's "closed" travels on the link the answer to our
 * WAIT comes on after it, and the lender's monitor takes it first. (The
 * pool is the monitor's for good, so free RAM does not move at all; it
 * is checked too.) */
static void end_counted_at_once(void)
{
    size_t before0, now0;
    struct aos_rpc chan;
    domainid_t pid;
    int status = -1;

    uint32_t live_before, live_open, live_now;

    UEXPECT(free_on(0, &before0), "free RAM");
    UEXPECT_OK(chan_live(&live_before));
    UEXPECT_OK(spawn_on("xchantest serve 1 0", 1, &pid));
    UEXPECT_OK(connect_when_ready(pid, &chan));
    UEXPECT_OK(chan_live(&live_open));
    UEXPECT_EQ("our monitor's channel ends while open", live_open, live_before + 1);
    UEXPECT_OK(aos_rpc_send_number(&chan, 42));
    UEXPECT_OK(aos_rpc_chan_close(init_chan(), &chan));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), pid, &status));
    UEXPECT_EQ("server's status", status, 0);
    UEXPECT_OK(chan_live(&live_now));
    UEXPECT_EQ("our monitor's channel ends at once (the lent frame back in its pool)",
               live_now, live_before);
    UEXPECT(free_on(0, &now0), "free RAM after");
    UEXPECT_EQ("core 0's free RAM at once", now0, before0);
}

/* The CHAN_* calls are the monitor's: sent to init (a domain that does
 * not use the library) each is refused with INIT_ERR_ASK_MONITOR, and
 * nothing is set up (our monitor keeps no more channel ends after). */
static void chan_to_init_refused(void)
{
    static const uint32_t ops[] = { RPC_OP_CHAN_CONNECT, RPC_OP_CHAN_ACCEPT, RPC_OP_CHAN_IPI,
                                    RPC_OP_CHAN_CLOSE };
    uint32_t live_before, live_after;
    struct lmp_msg reply;

    UEXPECT_OK(chan_live(&live_before));
    for (uint32_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        uint32_t req[2] = { RPC_HDR(ops[i], 0), AOS_PID_CORE_STRIDE + 1 };
        uint32_t n = ops[i] == RPC_OP_CHAN_ACCEPT ? 1 : 2;
        UEXPECT_ERR(aos_rpc_call(aos_rpc_get_init_channel(), req, n, CPTR_NULL, CPTR_NULL,
                                 &reply), INIT_ERR_ASK_MONITOR);
    }
    UEXPECT_OK(chan_live(&live_after));
    UEXPECT_EQ("our monitor's channel ends", live_after, live_before);
}

/*
 * A domain on core 1 holds the most channels one may (8), to domains on
 * core 2 that never read them, and is killed; then those are killed too.
 * Both monitors' pools come back whole: core 1's lent frames once the
 * loans are back, core 2's claimed ones at once (each asked by a domain
 * there, `xchantest live 0`). Nothing here closes a channel by hand.
 */
static void killed_holder_pool_back(void)
{
    enum { N = 8 };
    domainid_t peers[N], holder_pid, probe;
    char line[160];
    int len, status = -1;

    len = snprintf(line, sizeof(line), "xchantest holder");
    for (int i = 0; i < N; i++) {
        UEXPECT_OK(spawn_on("xchantest noread", 2, &peers[i]));
        len += snprintf(line + len, sizeof(line) - len, " %lu", (unsigned long)peers[i]);
    }
    UEXPECT_OK(aos_rpc_process_spawn(init_chan(), line, 1, &holder_pid));
    UEXPECT_OK(spawn_on("xchantest live 8", 1, &probe));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), probe, &status));
    UEXPECT_EQ("core 1's monitor with the holder's 8 channels (xchantest live 8)", status, 0);
    UEXPECT_OK(aos_rpc_process_kill(init_chan(), holder_pid));
    UEXPECT_OK(aos_rpc_process_wait(init_chan(), holder_pid, &status));
    UEXPECT_EQ("the holder's status", status, AOS_RPC_STATUS_KILLED);
    for (int i = 0; i < N; i++) {
        UEXPECT_OK(aos_rpc_process_kill(init_chan(), peers[i]));
        UEXPECT_OK(aos_rpc_process_wait(init_chan(), peers[i], &status));
    }
    for (coreid_t core = 1; core <= 2; core++) {
        UEXPECT_OK(spawn_on("xchantest live 0", core, &probe));
        UEXPECT_OK(aos_rpc_process_wait(init_chan(), probe, &status));
        UEXPECT(status == 0, "core %u's monitor keeps channel ends of ended domains",
                (unsigned)core);
    }
}

/* The monitors' RAM and page faults when the first case ran, for the last
 * (MP_XCHAN_MONITORS_TAKE_NO_RAM): every case between set up and tore
 * down channels through them. */
static struct aos_proc_info monitors_then[CORES];

static void monitors_snapshot(void)
{
    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_OK(aos_rpc_process_get_info(init_chan(), aos_pid_monitor(c), &monitors_then[c]));
        free(monitors_then[c].name);
        monitors_then[c].name = NULL;
        UEXPECT(monitors_then[c].ram_bytes > 0, "core %u's monitor holds no RAM", (unsigned)c);
    }
}

/* The deadlock rule of the monitor (docs/multikernel.md "The monitor")
 * under channel traffic: all the channels of this suite, opened, closed,
 * their domains killed, and not one page of RAM or page fault more for
 * any monitor (all a channel needs was made at its start-up). */
static void monitors_take_no_ram(void)
{
    for (coreid_t c = 0; c < CORES; c++) {
        struct aos_proc_info now;
        UEXPECT_OK(aos_rpc_process_get_info(init_chan(), aos_pid_monitor(c), &now));
        free(now.name);
        UEXPECT(now.ram_bytes == monitors_then[c].ram_bytes
                && now.page_faults == monitors_then[c].page_faults,
                "core %u's monitor: %zu bytes, %lu faults; %zu, %lu before", (unsigned)c,
                now.ram_bytes, (unsigned long)now.page_faults, monitors_then[c].ram_bytes,
                (unsigned long)monitors_then[c].page_faults);
    }
}

static const struct utest_case cases[] = {
    { "MP_XCHAN_MONITORS_SNAPSHOT", monitors_snapshot },
    { "RPC_CHAN_TO_INIT_REFUSED", chan_to_init_refused },
    { "MP_XCHAN_RPC_STREAM", rpc_stream },
    { "MP_XCHAN_RECEIVER_KILLED_MID_STREAM", receiver_killed_mid_stream },
    { "MP_XCHAN_CONNECTOR_KILLED", connector_killed },
    { "MP_XCHAN_BAD_PEERS_AND_FULL_RING", bad_input },
    { "MP_XCHAN_TOO_MANY_PER_DOMAIN", too_many_per_domain },
    { "MP_XCHAN_PINGPONG_BESIDE_WHOLE_CORE", pingpong_beside_whole_core },
    { "MP_XCHAN_RING_STORM_ONE_INTERRUPT", ring_storm_beside_computer },
    { "MP_XCHAN_END_COUNTED_AT_ONCE", end_counted_at_once },
    { "MP_XCHAN_KILLED_HOLDER_POOL_BACK", killed_holder_pool_back },
    { "MP_XCHAN_RING_GONE_WITH_CLOSE", ring_gone_with_close },
    { "MP_XCHAN_RING_GONE_WITH_PEER", ring_gone_with_peer },
    { "MP_XCHAN_RING_PER_CHANNEL", ring_per_channel },
    { "MP_XCHAN_CALLS_CHECKED", chan_calls_checked },
    { "MP_XCHAN_FOREIGN_ID_REFUSED", chan_foreign_id },
    { "MP_XCHAN_ACCEPT_TWICE_UNREAD", chan_accept_twice_unread },
    { "MP_XCHAN_MONITORS_TAKE_NO_RAM", monitors_take_no_ram },
    UTEST_END
};

static coreid_t dead_core;

/* A domain on a dead core cannot be connected to. */
static void connect_to_dead_core(void)
{
    struct aos_rpc chan;

    UEXPECT_ERR(aos_rpc_chan_connect(init_chan(), dead_core * AOS_PID_CORE_STRIDE + 1, &chan),
                INIT_ERR_CORE_DEAD);
}

/* The pid on core 1 whose command line starts with `prefix`, or 0. */
static domainid_t find_on_core1(const char *prefix)
{
    for (domainid_t pid = AOS_PID_CORE_STRIDE + 1; pid <= AOS_PID_CORE_STRIDE + 64; pid++) {
        char *name;
        if (err_is_ok(aos_rpc_process_get_name(init_chan(), pid, &name))) {
            bool match = strncmp(name, prefix, strlen(prefix)) == 0;
            free(name);
            if (match) {
                return pid;
            }
        }
    }
    return 0;
}

/* `pid` ended within 5 s (polled: a hang must fail, not stop the suite);
 * *status its exit status. */
static bool ended_within(domainid_t pid, int *status)
{
    uint64_t deadline = counter_read() + 5 * TICKS_PER_S;
    struct aos_proc_info info;

    do {
        if (err_is_fail(aos_rpc_process_get_info(init_chan(), pid, &info))) {
            return false;
        }
        free(info.name);
        if (info.state == PROC_STATE_EXITED) {
            *status = info.exit_status;
            return true;
        }
        sys_yield();
    } while (counter_read() < deadline);
    return false;
}

/* A dead core closes every channel to it (`xchantest deadchan` made one
 * each way before the kill): core 1's lender end (its call waiting for an
 * answer fails LIB_ERR_XCHAN_CLOSED) and its borrower end (the server sees
 * the close: its monitor set the flag in its window) both end, status 0. */
static void dead_core_closes(void)
{
    static const char *const ends[] = { "xchantest watch ", "xchantest serve " };

    for (int i = 0; i < 2; i++) {
        domainid_t pid = find_on_core1(ends[i]);
        int status = -1;
        UEXPECT(pid != 0, "no `%s...` on core 1", ends[i]);
        UEXPECT(ended_within(pid, &status), "`%s...` (pid %lu) still runs", ends[i],
                (unsigned long)pid);
        UEXPECT(status == 0, "`%s...` ended with status %d", ends[i], status);
    }
}

static const struct utest_case dead_cases[] = {
    { "MP_XCHAN_DEAD_CORE_REFUSED", connect_to_dead_core },
    { "MP_XCHAN_DEAD_CORE_CLOSES", dead_core_closes },
    UTEST_END
};

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "serve") == 0) {
        return serve(atol(argv[2]), atol(argv[3]));
    }
    if (argc == 2 && strcmp(argv[1], "compute") == 0) {
        return compute_beside_ringer();
    }
    if (argc == 2 && strcmp(argv[1], "noread") == 0) {
        return noread();
    }
    if (argc == 2 && strcmp(argv[1], "accept2") == 0) {
        return accept_two();
    }
    if (argc == 2 && strcmp(argv[1], "accepttwice") == 0) {
        return accept_twice();
    }
    if (argc == 3 && strcmp(argv[1], "foreign") == 0) {
        return foreign((uint32_t)strtoul(argv[2], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "client") == 0) {
        return client((domainid_t)strtoul(argv[2], NULL, 10));
    }
    if (argc >= 3 && strcmp(argv[1], "holder") == 0) {
        return holder(argc - 2, &argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "watch") == 0) {
        return watch((domainid_t)strtoul(argv[2], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "deadchan") == 0) {
        return deadchan_setup((coreid_t)atoi(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "live") == 0) {
        return live((uint32_t)atoi(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "dead") == 0) {
        dead_core = (coreid_t)atoi(argv[2]);
        utest_run(dead_cases);
    } else {
        utest_run(cases);
    }
    return utest_finish();
}
