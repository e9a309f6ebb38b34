/*
 * Calls of init's clients to other cores, kept pending by the monitor
 * (remote_calls.c, docs/multikernel.md "Processes across cores").
 *
 * A client's spawn on core N, its kill, wait, get_info or get_name of a
 * pid of core N, its mem stats of core N, a GETCHAR on a core other than
 * 0, and a get_all_pids across cores: init hands each to its monitor as
 * one ICM_CLIENT_CALL and forgets it. The monitor keeps the call pending
 * here (at most REMOTE_PENDING_MAX, INIT_ERR_TOO_MANY_REMOTE beyond),
 * sends the request to the core that owns it, matches the answer by tag
 * and hands init one ICM_CLIENT_ANSWER, which init relays to the client.
 * Calls due from a core whose init died are answered with
 * INIT_ERR_CORE_DEAD; a client that ended has its calls forgotten.
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
/* ICM_CLIENT_CALL from our init: start it, or answer at once why not. */
void remote_calls_start(const struct icm *m);
/* Is `m` (for our core, from another) the answer to one of our calls?
 * Then it is taken: true. */
bool remote_calls_answer(const struct icm *m);
/* ICM_CLIENT_ENDED{client} from our init: forget its calls. */
void remote_calls_client_ended(domainid_t client);
/* Core `core`'s init died: the calls due from it fail with
 * INIT_ERR_CORE_DEAD; a get_all_pids answers without its list. */
void remote_calls_core_dead(uint32_t core);

#endif
