/*
 * Requests from other cores (remote_procs.c, docs/multikernel.md
 * "Processes across cores").
 *
 * A domain's call that names another core (a spawn there, a kill, wait,
 * get_info or get_name of a pid there, mem stats of that core, a GETCHAR
 * off core 0, the pids of the other cores) goes from the client library
 * to its own core's monitor, over the domain's binding; init answers such
 * a call INIT_ERR_ASK_MONITOR (rpc_server.c). The monitor keeps it pending
 * and asks the core that owns it (domains/monitor/remote_calls.c); on
 * that core, this file answers from the local process table (procs.h)
 * and memory server.
 */
#ifndef INIT_REMOTE_PROCS_H
#define INIT_REMOTE_PROCS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

struct proc;

/* Core 0: GETCHARs of other cores' domains wait here in order (at most
 * REMOTE_GETCHAR_MAX); the server loop hands them console input. `give`
 * passes `c` to the first whose answer can go out (a waiter on a dead
 * core is dropped); false if none could take it. */
#define REMOTE_GETCHAR_MAX 16
bool remote_procs_console_waiting(void);
bool remote_procs_console_give(char c);

/* Serve what came from our monitor: other cores' requests. True if
 * there was anything. */
bool remote_procs_serve(void);
/* Answer another core's WAIT (`tag` from `core`) for `ended`. */
void remote_procs_answer_wait(uint32_t core, uint32_t tag, const struct proc *ended);

#endif
