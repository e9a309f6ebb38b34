/*
 * Calls of the domains of our core to other cores, kept pending by the
 * monitor (remote_calls.c, docs/multikernel.md "Processes across cores").
 *
 * A domain's spawn on core N, its kill, wait, get_info or get_name of a
 * pid of core N, its mem stats of core N, a GETCHAR on a core other than
 * 0, and get_all_pids of the other cores come to the monitor over the
 * domain's binding (clients.c). The monitor keeps the call pending here
 * (at most REMOTE_PENDING_MAX, INIT_ERR_TOO_MANY_REMOTE beyond), sends the
 * request to the core that owns it, matches the answer by tag and answers
 * the client over its binding. Calls due from a core whose init died are
 * answered with INIT_ERR_CORE_DEAD; a client that ended has its calls
 * forgotten.
 *
 * Nothing here waits or allocates (the deadlock rule of "The monitor"):
 * the table is static and touched by remote_calls_init.
 */
#ifndef MONITOR_REMOTE_CALLS_H
#define MONITOR_REMOTE_CALLS_H

#include <aos/icm.h>

#define REMOTE_PENDING_MAX 64
#define REMOTE_PER_CLIENT  8     /* of them one client may hold (INIT_ERR_REMOTE_QUOTA) */

/* This monitor runs on core `core` of `ncores`; clears (and so touches)
 * the table. */
void remote_calls_init(uint32_t core, uint32_t ncores);
/* Client `client`'s call `seq` (RPC op `rpc_op`) for core `core` with
 * `nargs` words of arguments (PROC_SPAWN {len, bytes...}, KILL, WAIT,
 * INFO, GET_NAME {pid}, MEM_STATS and GETCHAR {}; PROC_ALL_PIDS: every
 * other core, `core` unused): start it, or answer at once why not. */
void remote_calls_start(domainid_t client, uint32_t seq, uint32_t rpc_op, uint32_t core,
                        const uint32_t *args, uint32_t nargs);
/* Is `m` (for our core, from another) the answer to one of our calls?
 * Then it is taken: true. */
bool remote_calls_answer(const struct icm *m);
/* ICM_CLIENT_ENDED{client} from our init: forget its calls. */
void remote_calls_client_ended(domainid_t client);
/* Core `core`'s init died: the calls due from it fail with
 * INIT_ERR_CORE_DEAD; a get_all_pids answers without its list. */
void remote_calls_core_dead(uint32_t core);

#endif
