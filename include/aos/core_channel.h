/*
 * The frame core 0's init shares with the init of each other core it
 * starts (KERNELCMD_START_CORE, docs/multikernel.md). For now it carries
 * that the other init is up, the two inits' doorbells, and a ping the
 * other init answers (the MP_ tests use it); the channel between the two
 * inits grows out of it.
 *
 * Every field has one writer. The other init writes free_mib and its
 * doorbell, then a release barrier, then up = 1; core 0 reads up, then an
 * acquire barrier, then the rest. The frame is normal, cacheable,
 * inner-shareable memory on both sides (the same mapping attributes every
 * user frame has), so the hardware keeps the cores' caches coherent and
 * only the order needs the barriers.
 *
 * Ping: core 0 writes ping (a new value), then rings the other init's
 * doorbell; the other init, woken, writes pong = ping and rings core 0's.
 */
#ifndef AOS_CORE_CHANNEL_H
#define AOS_CORE_CHANNEL_H

#include <stdint.h>

struct core_channel {
    volatile uint32_t up;               /* other: 1 once its memory server is up */
    volatile uint32_t free_mib;         /* other: its free RAM then */
    volatile uint32_t doorbell;         /* other: its init's doorbell on its core */
    volatile uint32_t doorbell_core0;   /* core 0: the doorbell to ring there */
    volatile uint32_t ping;             /* core 0 */
    volatile uint32_t pong;             /* other: the last ping it answered */
    volatile uint32_t waiting_core0;    /* core 0: messages waiting for room on the link */
    volatile uint32_t waiting_other;    /* other: the same, its side (include/aos/icm.h) */
};

/* The frame: this header in its first page, then the UMP channel between
 * the two inits (include/aos/ump.h; core 0 is side A). */
#define CORE_CHANNEL_UMP_OFFSET  4096u
#define CORE_CHANNEL_BYTES       (32u << 10)

/* How long core 0 waits for another core's init to come up. */
#define CORE_UP_DEADLINE_TICKS (5ull * 62500000)     /* 5 s of the counter */

#endif
