/*
 * Channels between domains on different cores: each core's monitor is
 * the broker for the domains of its core (channels.c, docs/multikernel.md
 * "Channels between domains").
 *
 * A domain that wants to be reached waits in CHAN_ACCEPT on its binding;
 * a domain on another core asks its own monitor to CHAN_CONNECT to it by
 * pid. The connector's monitor (the lender) zeroes a frame of its pool,
 * lends it to the acceptor's core (KERNELCMD_LEND_FRAME) and asks that
 * core's monitor (ICM_CHAN_CONNECT); the acceptor's monitor (the borrower)
 * claims the loan, and both monitors hand their domain a copy of the
 * frame, and on request (CHAN_IPI) an IPI cap that rings the peer's
 * doorbell.
 *
 * A channel ends on each side separately, when that side's domain closes
 * it (CHAN_CLOSE) or ends: its monitor sets its closed flag in the frame
 * (include/aos/xchan.h), rings the peer, and takes back every capability
 * its domain had to the frame. The borrower then returns the loan and
 * tells the lender (ICM_CHAN_CLOSED); the lender's pool entry is free again
 * once its own side is done and the loan is back. A core that dies closes
 * every channel to it; a loan to a dead core never comes back (its pool
 * entry stays taken).
 *
 * The deadlock rule of main.c holds: everything a channel needs is made
 * by channels_init at start-up, from the RAM init granted us for good
 * (MONITOR_SLOT_CHAN_RAM): CHAN_MAX frames, each mapped once and kept
 * mapped, a page table for borrowed frames (a window mapped through it
 * without allocating), and every slot (claimed frames, IPI caps, the
 * copies replies carry).
 */
#ifndef MONITOR_CHANNELS_H
#define MONITOR_CHANNELS_H

#include <aos/icm.h>
#include <aos/lmp.h>

#define CHAN_MAX MONITOR_CHANS   /* channel ends one monitor keeps at once */
#define CHAN_PER_DOMAIN 8        /* of them one domain may hold (the rest stay
                                    for the others) */

/* Take the pool granted in our TASKCN and prepare everything; `f` is the
 * frame we share with init (its client table and their doorbells). */
errval_t channels_init(struct monitor_frame *f);
/* A CHAN_* or CHAN_LIVE request `m` of client `pid` at `place` of the
 * client table (its call `seq`), answered now or later through clients.h. */
void channels_request(domainid_t pid, uint32_t place, uint32_t seq, const struct lmp_msg *m);
/* A message about channels from another core for us: true if it was one
 * (taken). */
bool channels_icm(const struct icm *m);
/* Client `pid` ended (ICM_CLIENT_ENDED): its channels close, its accept
 * is dropped. */
void channels_client_ended(domainid_t pid);
/* The same for every client init no longer lists (it ended; a lost
 * ICM_CLIENT_ENDED does not keep its channels). */
void channels_sweep(void);
/* Core `core`'s init died: channels to it close. */
void channels_core_dead(uint32_t core);
/* Channel ends open, connecting or waiting for their loan. */
uint32_t channels_live(void);

#endif
