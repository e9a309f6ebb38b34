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
