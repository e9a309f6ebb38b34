/*
 * The links of a core's monitor (intercore.c, docs/multikernel.md "The
 * monitor"): one to its own init on this core, and the links between
 * cores, a star: core 0's monitor has a link to every other core's
 * monitor, over the UMP channel in the frame it shared with that core at
 * its start; the monitor of another core has one, to core 0's. A message
 * names its source and destination core (include/aos/icm.h); a monitor
 * hands what is for its core to its init and passes the rest on, core 0's
 * relaying between two other cores. The answers to the calls its clients
 * made go to remote_calls.h instead.
 *
 * Nothing here waits or allocates: a message that finds a channel full
 * waits in the link's queue (at most ICM_QUEUE_MAX), whose entries come
 * from one static pool, and goes out on a later intercore_serve (the peer
 * rings us once it made room). Each
 * peer is checked: a message that could not have come over its link (a
 * wrong source, a destination out of range, a bad length) is dropped and
 * counted, and so is one that no link can take any more.
 */
#ifndef MONITOR_INTERCORE_H
#define MONITOR_INTERCORE_H

#include <aos/icm.h>

/* Messages all links may have waiting together. */
#define ICM_POOL_MAX 512u

/* This monitor runs on core `core` of `ncores`; clears the links and
 * touches the pool (nothing here faults later). */
void intercore_init(uint32_t core, uint32_t ncores);
/* Our init is reached over the UMP channel of the frame we share with it
 * (side B); `ring` rings its doorbell. */
errval_t intercore_add_init_link(struct monitor_frame *f, capaddr_t ring);
/* Core `core`'s monitor is reached over the UMP channel at `buf`
 * (`bytes`, our side `side`); `ring` rings its doorbell; the waiting
 * words are the link's (include/aos/icm.h), in the same frame. */
errval_t intercore_add_link(uint32_t core, void *buf, size_t bytes, enum ump_side side,
                            capaddr_t ring, volatile uint32_t *waiting,
                            const volatile uint32_t *peer_waiting);
/* One pass over every link: push out what waits, pass on what came in.
 * True if any message moved. */
bool intercore_serve(void);
/* Send `m` (from us) towards m->dst: INIT_ERR_CORE_DEAD for a core whose
 * init died, INIT_ERR_CORE_UNREACHABLE when no link leads there,
 * INIT_ERR_CORE_LINK_FULL when its queue is full. */
errval_t intercore_send(const struct icm *m);
/* Hand `m` to our init (dropped and counted if its link cannot take it). */
void intercore_to_init(const struct icm *m);
/* Our init told us core `core`'s init died. */
bool intercore_is_dead(uint32_t core);
/* Messages dropped because they could not be right or could not go on. */
uint32_t intercore_dropped(void);

#endif
