/*
 * The monitor's LMP server for the domains of its core (clients.c,
 * docs/multikernel.md "The binding"): every domain holds an endpoint to
 * its core's monitor badged with its pid, and the monitor answers each on
 * that domain's own endpoint, which init placed in the monitor's client
 * table at the domain's spawn (domains/init/bindings.c).
 *
 * Served now: NUMBER (a ping; the reply's word 3 is the caller's pid as
 * the monitor knows it); KILL, WAIT, INFO and GET_NAME of another core's
 * pid, MEM_STATS of another core, PROC_SPAWN there, GETCHAR off core 0
 * and get_all_pids of the other cores, kept pending in remote_calls.c
 * (one naming our own core: INIT_ERR_ASK_INIT), which answers through
 * clients_reply(_long); and the CHAN_* calls (channels.h). A long answer
 * (a name, a pid list) goes out in windows the client pulls for, from a
 * buffer of its place. Every message
 * is checked as init's server checks them: the badge names the sender (an
 * unknown one is dropped: nobody to answer), word counts and flags
 * (LIB_ERR_RPC_MALFORMED), unknown ops (LIB_ERR_RPC_BAD_OP), capabilities
 * (deleted, LIB_ERR_RPC_UNEXPECTED_CAP); a reply that cannot be delivered
 * is dropped.
 *
 * Nothing here waits or allocates (the deadlock rule of main.c): the one
 * receive slot is allocated by clients_init and armed again after a
 * capability in it was deleted; a spawn's command line and a long answer
 * are kept in static buffers per place, cleared (touched) by clients_init.
 */
#ifndef MONITOR_CLIENTS_H
#define MONITOR_CLIENTS_H

#include <aos/icm.h>

/* Serve the clients init lists in `f`. */
errval_t clients_init(struct monitor_frame *f);
/* Answer one message waiting in our ring: true, or false if none. */
bool clients_serve(void);
/* Reply to request `seq` (op `op`) of the client `pid` on its own endpoint
 * with `err` and `nextra` (<= 5) words: false if init lists no such client
 * (it has ended, or has no binding). An undeliverable reply is dropped. */
bool clients_reply(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                   const uint32_t *extra, uint32_t nextra);
/* The same with `len` bytes of `data` as a long answer (data != NULL;
 * copied if it spans windows). */
bool clients_reply_long(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                        const uint32_t *extra, uint32_t nextra, const void *data, uint32_t len);
/* The same with capability `cap` (CPTR_NULL: none), which the client gets
 * a copy of (ours stays: the caller deletes it). */
bool clients_reply_cap(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                       const uint32_t *extra, uint32_t nextra, capaddr_t cap);

#endif
