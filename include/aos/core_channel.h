/*
 * The frame core 0's init shares with the init of each other core it
 * starts (KERNELCMD_START_CORE, docs/multikernel.md). For now it carries
 * one fact, that the other init is up; the channel between the two inits
 * grows out of it.
 *
 * The other init writes free_mib, then a release barrier, then up = 1;
 * core 0 reads up, then an acquire barrier, then free_mib. The frame is
 * normal, cacheable, inner-shareable memory on both sides (the same
 * mapping attributes every user frame has), so the hardware keeps the
 * cores' caches coherent and only the order needs the barriers.
 */
#ifndef AOS_CORE_CHANNEL_H
#define AOS_CORE_CHANNEL_H

#include <stdint.h>

struct core_channel {
    volatile uint32_t up;               /* 1: its memory server is up */
    volatile uint32_t free_mib;         /* its free RAM then */
};

/* How long core 0 waits for another core's init to come up. */
#define CORE_UP_DEADLINE_TICKS (5ull * 62500000)     /* 5 s of the counter */

#endif
