/*
 * Processes on other cores (remote_procs.c, docs/multikernel.md
 * "Processes across cores").
 *
 * A request of a domain that names a pid of another core (get_info,
 * get_name), and
 * get_all_pids on more than one core, is handed to our monitor (a spawn
 * on another core, a kill or wait of such a pid and mem stats of another
 * core the client library sends to the monitor itself, over the domain's
 * binding, and so a GETCHAR on a core other than 0; init answers them
 * INIT_ERR_ASK_MONITOR) as one message (ICM_CLIENT_CALL,
 * include/aos/icm.h) and nothing of it stays here: the monitor keeps it
 * pending (domains/monitor/remote_calls.c) and sends a one-message answer
 * to the client itself over its binding (domains/monitor/clients.c); a
 * long answer (a name, a pid list) it hands back (ICM_CLIENT_ANSWER), and
 * that is relayed to the client through the ops the
 * RPC server installs, so this file never calls the server (no circle:
 * rpc_server.c uses remote_procs.h). An answer for a client that ended is
 * dropped; the monitor forgets such a client's calls when told.
 *
 * The other half runs on the target core: remote_procs_serve answers
 * requests from other cores with the local process table (procs.h).
 */
#ifndef INIT_REMOTE_PROCS_H
#define INIT_REMOTE_PROCS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

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

/* Client side: hand the call to our monitor; on an error nothing went
 * and the caller answers with it. rpc_op: the RPC op to answer
 * (PROC_INFO, PROC_GET_NAME for remote_pid_call). */
errval_t remote_pid_call(domainid_t client, uint32_t seq, uint32_t rpc_op, domainid_t pid);
/* Our `n` running pids, and then every other core's. */
errval_t remote_all_pids(domainid_t client, uint32_t seq, const domainid_t *pids, uint32_t n);

/* Core 0: GETCHARs of other cores' domains wait here in order (at most
 * REMOTE_GETCHAR_MAX); the server loop hands them console input. */
#define REMOTE_GETCHAR_MAX 16
bool remote_procs_console_waiting(void);
void remote_procs_console_give(char c);

/* Serve what came from our monitor: other cores' requests, and answers
 * to relay. True if there was anything. */
bool remote_procs_serve(void);
/* Process `p` of this core ended: answer the other cores waiting on it. */
void remote_procs_proc_ended(struct proc *p);
/* Client `p` ended: if it handed calls off, our monitor forgets them
 * (ICM_CLIENT_ENDED); an answer already on its way is dropped. */
void remote_procs_client_ended(struct proc *p);

#endif
