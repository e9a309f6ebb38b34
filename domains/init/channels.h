/*
 * Channels between domains on different cores: init as the broker
 * (channels.c, docs/multikernel.md "Channels between domains").
 *
 * A domain that wants to be reached waits in CHAN_ACCEPT; a domain on
 * another core asks its own init to CHAN_CONNECT to it by pid. The
 * connector's init (the lender) takes a frame from its memory server,
 * lends it to the acceptor's core (KERNELCMD_LEND_FRAME) and asks that
 * core's init (ICM_CHAN_CONNECT); the acceptor's init (the borrower)
 * claims the loan, and both inits hand their domain a copy of the frame,
 * and on request (CHAN_IPI) an IPI cap that rings the peer's doorbell.
 *
 * A channel ends on each side separately, when that side's domain closes
 * it (CHAN_CLOSE) or ends: its init sets its closed flag in the frame
 * (include/aos/xchan.h), rings the peer, and takes back every capability
 * its domain had to the frame. The borrower then returns the loan and
 * tells the lender (ICM_CHAN_CLOSED); the lender frees the RAM once its
 * own side is done and the loan is back. A core that dies closes every
 * channel to it; a loan to a dead core never comes back (its domains may
 * still use the frame).
 */
#ifndef INIT_CHANNELS_H
#define INIT_CHANNELS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

#define CHAN_MAX 32              /* channel ends one init keeps at once */
#define CHAN_PER_DOMAIN 8        /* of them one domain may hold (the rest stay
                                    for the others) */

struct proc;
struct icm;

/* How channels.c answers a domain's call (rpc_server.c): with `cap`
 * (or CPTR_NULL) in the reply; nothing if the client has ended. */
typedef void (*chan_reply_fn)(domainid_t client, uint32_t seq, uint32_t op, errval_t err,
                              const uint32_t *extra, uint32_t nextra, capaddr_t cap);
void channels_init(chan_reply_fn reply);

/* The calls of a domain (RPC_OP_CHAN_*, include/aos/aos_rpc_wire.h);
 * each answers p's call `seq` now or later. */
void chan_connect(struct proc *p, uint32_t seq, domainid_t peer);
void chan_accept(struct proc *p, uint32_t seq);
void chan_give_ipi(struct proc *p, uint32_t seq, uint32_t id);
void chan_close(struct proc *p, uint32_t seq, uint32_t id);

/* `p` ended: its channels close, its accept is dropped. */
void channels_proc_ended(struct proc *p);
/* A message between inits about channels: true if it was one (taken). */
bool channels_icm(const struct icm *m);
/* Core `core`'s init died: channels to it close. */
void channels_core_dead(uint32_t core);
/* Channel ends open or waiting for their loan (tests, statistics). */
uint32_t channels_live(void);

#endif
