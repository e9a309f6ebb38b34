/*
 * The rings a channel's monitor makes of the peer domain's doorbell
 * (rings.c, docs/multikernel.md "Channels between domains"): one IPI
 * capability per channel entry i, copies of which go to the local domain
 * (RPC_OP_CHAN_IPI) and all of which go again, with every copy the domain
 * made, when either end of the channel goes. Slots are allocated at
 * start-up (the monitor's deadlock rule, main.c); making and dropping a
 * ring allocates nothing.
 */
#ifndef MONITOR_RINGS_H
#define MONITOR_RINGS_H

#include <aos/icm.h>

/* Slots for `n` (<= MONITOR_CHANS) entries. */
errval_t rings_init(uint32_t n);
/* Entry i rings `doorbell` of `core` from now (its slot was empty). */
errval_t ring_make(uint32_t i, uint32_t core, uint32_t doorbell);
/* Entry i's ring (for a copy to its domain, or to ring the peer). */
capaddr_t ring_of(uint32_t i);
/* Entry i rings no more: its ring and every copy of it go (nothing, if
 * it has none). */
void ring_drop(uint32_t i);

#endif
