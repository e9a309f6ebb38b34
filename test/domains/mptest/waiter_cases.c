/*
 * Waiters and readers across cores that end, or whose core dies, before
 * they are answered (mptest.h): each held a place at the core it asked (a
 * WAIT on a process there, a GETCHAR in core 0's queue for input), and
 * that place must be given back, never spent on nobody.
 *
 *   client (core 1) ──WAIT/GETCHAR──▶ its monitor ──▶ init of the target core
 *   killed: init of core 1 ──CLIENT_ENDED──▶ monitor ──CANCEL──▶ target core
 */
#include "mptest.h"
#include <aos/aos_rpc.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <aos/lmp.h>
#include <aos/aos_rpc_wire.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>

/* Input the boot types (the suite's `input-prompt` is this prompt). */
#define TYPE_PROMPT "mptest: type> "

/* `mptest waitok PID`: 0 if our wait for PID is answered (it ended), 2 if
 * it is refused INIT_ERR_TOO_MANY_WAITERS, 1 for anything else. */
int wait_ok(domainid_t pid)
{
    int status;
    errval_t err = aos_rpc_process_wait(chan(), pid, &status);

    return err_is_ok(err) ? 0 : err_no(err) == INIT_ERR_TOO_MANY_WAITERS ? 2 : 1;
}

/* `mptest waitok target` on core 1, its WAIT given 50 ms to reach the
 * target's core; 0 if it cannot be spawned. */
static domainid_t spawn_remote_waiter(domainid_t target)
{
    char line[40];
    domainid_t pid = 0;

    snprintf(line, sizeof(line), "mptest waitok %lu", (unsigned long)target);
    if (err_is_fail(aos_rpc_process_spawn(chan(), line, 1, &pid))) {
        return 0;
    }
    pause_ms(50);
    return pid;
}

/*
 * A process keeps at most 8 waiters, from every core together. 12
 * domains on core 1 wait for a busy domain on core 2 in turn, each killed
 * while it waits; one more must then be answered when the busy one ends.
 * It was refused INIT_ERR_TOO_MANY_WAITERS: core 2 kept the places of
 * the ended waiters, of which their monitor had forgotten the calls.
 */
void ended_remote_waiters_free_their_place(void)
{
    domainid_t target, waiter;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 2, &target));
    for (int i = 0; i < 12; i++) {
        waiter = spawn_remote_waiter(target);
        UEXPECT(waiter != 0, "waiter %d not spawned", i);
        UEXPECT_OK(aos_rpc_process_kill(chan(), waiter));
        UEXPECT_OK(aos_rpc_process_wait(chan(), waiter, &status));
        UEXPECT_EQ("a waiter killed while it waits", status, AOS_RPC_STATUS_KILLED);
    }
    waiter = spawn_remote_waiter(target);
    UEXPECT(waiter != 0, "the last waiter not spawned");
    UEXPECT_OK(aos_rpc_process_kill(chan(), target));
    UEXPECT_OK(aos_rpc_process_wait(chan(), waiter, &status));
    UEXPECT_EQ("the last waiter's status (2: its WAIT was refused)", status, 0);
}

/* Replies the monitor sent to the calls of one_remote_wait_per_waiter,
 * by sequence number. */
static struct { bool got; errval_t err; uint32_t killed; } remote_replies[256];

/* Call `op` by hand through our monitor, of `pid` (pid calls) or of
 * nothing (pid 0: GETCHAR); its reply comes later, and the library's calls
 * would drop it as stale. Returns its sequence number (our channels share
 * one). */
static uint32_t call_by_hand(uint32_t op, domainid_t pid)
{
    struct aos_rpc *mon = aos_rpc_get_monitor_channel();
    uint32_t seq = (uint8_t)++mon->line->seq;
    uint32_t w[2] = { RPC_HDR(op, 0) | RPC_SEQ(seq), pid };

    remote_replies[seq].got = false;
    if (err_is_fail(lmp_send(mon->ep, CPTR_NULL, LMP_FLAG_YIELD, w, pid != 0 ? 2 : 1))) {
        utest_fail("op %u by hand to the monitor failed", (unsigned)op);
    }
    return seq;
}

/* Note the replies in our ring for `ms` milliseconds. */
static void read_waits_for(uint32_t ms)
{
    uint64_t until = counter_read() + (uint64_t)ms * (62500000 / 1000);
    struct lmp_msg m;

    while (counter_read() < until) {
        if (!lmp_poll(&m)) {
            sys_yield();
        } else if (m.nwords >= 3 && (m.words[0] & RPC_FLAG_REPLY)) {
            uint32_t s = RPC_HDR_SEQ(m.words[0]);
            remote_replies[s].got = true;
            remote_replies[s].err = rpc_get_err(&m.words[1]);
            remote_replies[s].killed = m.nwords >= 5 ? m.words[4] : 0;
        }
    }
}

/*
 * One domain holds one waiter place per process across cores too: we
 * send a WAIT for a busy domain on core 2 by hand through our monitor
 * and, while it waits, seven more (our monitor keeps 8 calls of one
 * client); each is refused INIT_ERR_ALREADY_WAITING, and the first is
 * answered when the busy one is killed. (They took places until none was
 * left for anyone else.)
 */
void one_remote_wait_per_waiter(void)
{
    uint32_t first, dups[7], kill;
    domainid_t target;

    UEXPECT(aos_rpc_get_monitor_channel() != NULL, "no binding to our monitor");
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 2, &target));
    first = call_by_hand(RPC_OP_PROC_WAIT, target);
    pause_ms(50);
    for (int i = 0; i < 7; i++) {
        dups[i] = call_by_hand(RPC_OP_PROC_WAIT, target);
    }
    read_waits_for(300);
    for (int i = 0; i < 7; i++) {
        UEXPECT(remote_replies[dups[i]].got, "WAIT %d again: no answer (it took a place)", i + 2);
        UEXPECT_ERR(remote_replies[dups[i]].err, INIT_ERR_ALREADY_WAITING);
    }
    UEXPECT(!remote_replies[first].got, "the first WAIT answered before its domain ended");
    kill = call_by_hand(RPC_OP_PROC_KILL, target);
    read_waits_for(300);
    UEXPECT(remote_replies[kill].got, "no answer to the kill");
    UEXPECT_OK(remote_replies[kill].err);
    UEXPECT(remote_replies[first].got, "the first WAIT not answered when its domain was killed");
    UEXPECT_OK(remote_replies[first].err);
    UEXPECT_EQ("the first WAIT: killed", remote_replies[first].killed, 1);
}

/* `mptest getchars` (on a core other than 0): a GETCHAR by hand, then two
 * more while it waits; 0 if both are refused INIT_ERR_ALREADY_WAITING and
 * the first is still waiting (our end cancels it at core 0). */
int getchars_by_hand(void)
{
    uint32_t first = call_by_hand(RPC_OP_GETCHAR, 0), again[2];

    pause_ms(50);
    again[0] = call_by_hand(RPC_OP_GETCHAR, 0);
    again[1] = call_by_hand(RPC_OP_GETCHAR, 0);
    read_waits_for(300);
    for (int i = 0; i < 2; i++) {
        if (!remote_replies[again[i]].got
            || err_no(remote_replies[again[i]].err) != INIT_ERR_ALREADY_WAITING) {
            printf("mptest getchars: GETCHAR %d again: %s\n", i + 2,
                   remote_replies[again[i]].got ? err_getcode(err_no(remote_replies[again[i]].err))
                                                : "no answer (it took a place)");
            return 1;
        }
    }
    return remote_replies[first].got ? 1 : 0;
}

/*
 * One place per client in core 0's queue of other cores' GETCHARs (16):
 * a client on core 1 sending GETCHARs by hand gets the second and third
 * refused (`mptest getchars`), so two such clients cannot fill the queue
 * for every other core.
 */
void one_remote_getchar_per_client(void)
{
    domainid_t pid;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "mptest getchars", 1, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("mptest getchars' status", status, 0);
}

/* `mptest readchar`: waits for one byte of input (and is killed, or its
 * core dies, first). */
int read_char(void)
{
    char c;

    return err_is_ok(aos_rpc_serial_getchar(chan(), &c)) ? 0 : 1;
}

/*
 * `mptest readon N` (before kill-core-init N): `mptest readchar` on core
 * N, whose GETCHAR waits in core 0's init when core N's init dies (we
 * give it 100 ms to get there). It stays; MP_INPUT_NOT_LOST_TO_DEAD_CORE
 * reads the byte it can no longer take.
 */
int readon_setup(coreid_t core)
{
    domainid_t reader;

    if (err_is_fail(aos_rpc_process_spawn(chan(), "mptest readchar", core, &reader))) {
        return 1;
    }
    pause_ms(100);
    return 0;
}

/* Print the prompt (with its newline: it goes out at once), give the
 * typist 200 ms, so that the byte is at core 0 before we ask, and read
 * it; 0 if the read fails. */
static char read_typed(void)
{
    char c = 0;

    printf(TYPE_PROMPT "\n");
    pause_ms(200);
    return err_is_ok(aos_rpc_serial_getchar(chan(), &c)) ? c : 0;
}

/*
 * A reader on core 1 whose GETCHAR waits at core 0 is killed; the byte
 * typed after our prompt must be ours. It went to the killed reader's
 * queued GETCHAR, whose answer core 1's monitor then dropped (we read the
 * typist's Enter instead): its monitor now cancels it (ICM_CANCEL).
 */
void killed_reader_takes_no_input(void)
{
    domainid_t reader;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "mptest readchar", 1, &reader));
    pause_ms(100);
    UEXPECT_OK(aos_rpc_process_kill(chan(), reader));
    UEXPECT_OK(aos_rpc_process_wait(chan(), reader, &status));
    UEXPECT_EQ("the reader's status", status, AOS_RPC_STATUS_KILLED);
    pause_ms(100);                      /* the cancel, on its way to core 0 */
    UEXPECT_EQ("the byte typed", read_typed(), 'y');
    char enter = 0;                     /* ours too: nobody else may take it later */
    UEXPECT_OK(aos_rpc_serial_getchar(chan(), &enter));
    UEXPECT_EQ("the Enter after it", enter, '\r');
}

/*
 * The byte typed after our prompt reaches core 0's init while the only
 * GETCHAR waiting there is that of `mptest readon`'s reader, whose core
 * is dead: its answer cannot go out, and the byte must be ours (it was
 * lost, and we read nothing: the typist's last line has no Enter).
 */
void input_not_lost_to_dead_core(void)
{
    UEXPECT_EQ("the byte typed", read_typed(), 'x');
}
