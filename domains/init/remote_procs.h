/*
 * Processes on other cores (remote_procs.c, docs/multikernel.md
 * "Processes across cores").
 *
 * A request of a domain that names another core (spawn on core N) or a
 * pid of another core (kill, wait, get_info, get_name) goes to that
 * core's init as an inter-core message (intercore.h); get_all_pids asks
 * every other core and adds their lists to ours. The answer comes back
 * later: until then the request is pending here (at most
 * REMOTE_PENDING_MAX at once) and init goes on serving. The client's call
 * is answered through the ops the RPC server installs, so this file never
 * calls the server (no circle: rpc_server.c uses remote_procs.h).
 *
 * The other half runs on the target core: remote_procs_serve answers
 * requests from other cores with the local process table (procs.h).
 */
#ifndef INIT_REMOTE_PROCS_H
#define INIT_REMOTE_PROCS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

#define REMOTE_PENDING_MAX 64

struct proc;

/* How a pending call is answered once its answer is here (rpc_server.c):
 * nothing happens if `client` has ended meanwhile. */
struct remote_answer_ops {
    void (*reply)(domainid_t client, uint32_t seq, uint32_t op, errval_t err,
                  const uint32_t *extra, uint32_t nextra);
    void (*reply_long)(domainid_t client, uint32_t seq, uint32_t op, const void *data,
                       uint32_t len, const uint32_t *extra, uint32_t nextra);
};
void remote_procs_init(const struct remote_answer_ops *ops);

/* Client side: start the call; on an error nothing is pending and the
 * caller answers with it. rpc_op: the RPC op to answer (PROC_KILL,
 * PROC_WAIT, PROC_INFO, PROC_GET_NAME for remote_pid_call). */
errval_t remote_spawn(domainid_t client, uint32_t seq, coreid_t core, const char *cmdline);
errval_t remote_pid_call(domainid_t client, uint32_t seq, uint32_t rpc_op, domainid_t pid);
/* Our `n` running pids, and then every other core's. */
errval_t remote_all_pids(domainid_t client, uint32_t seq, const domainid_t *pids, uint32_t n);
errval_t remote_mem_stats(domainid_t client, uint32_t seq, coreid_t core);
/* GETCHAR of a domain on another core than 0: core 0 owns the console. */
errval_t remote_getchar(domainid_t client, uint32_t seq);

/* Core 0: GETCHARs of other cores' domains wait here in order (at most
 * REMOTE_GETCHAR_MAX); the server loop hands them console input. */
#define REMOTE_GETCHAR_MAX 16
bool remote_procs_console_waiting(void);
void remote_procs_console_give(char c);

/* Serve what other cores sent: requests, and answers to our pending
 * calls. True if there was anything. */
bool remote_procs_serve(void);
/* Process `p` of this core ended: answer the other cores waiting on it. */
void remote_procs_proc_ended(struct proc *p);
/* Client `pid` ended: forget its pending calls (their answers are dropped). */
void remote_procs_client_ended(domainid_t pid);

#endif
