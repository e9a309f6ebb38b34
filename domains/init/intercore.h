/*
 * Messages between the inits of different cores (intercore.c,
 * docs/multikernel.md "Processes across cores").
 *
 * init has one link, to its own core's monitor (a UMP channel in a frame
 * both map, on the same core): every message for another core goes there,
 * and the monitors carry it to that core's monitor, which hands it to its
 * init. The message format is include/aos/icm.h's.
 *
 * Sends never wait: a message that finds the channel full waits in the
 * link's queue (at most ICM_QUEUE_MAX) and goes out from intercore_poll,
 * which every turn of init's server loop calls. What the monitor hands
 * us is checked: a message that is not for this core, or claims to come
 * from it, is dropped and counted.
 */
#ifndef INIT_INTERCORE_H
#define INIT_INTERCORE_H

#include <aos/icm.h>

/* The monitor is reached over the UMP channel of frame `f` (side A);
 * `ring` rings its doorbell. */
errval_t intercore_connect_monitor(struct monitor_frame *f, capaddr_t ring);
/* Send (or queue) `m` towards m->dst; INIT_ERR_CORE_UNREACHABLE when no
 * core is there, INIT_ERR_CORE_LINK_FULL when the link's queue is full. */
errval_t intercore_send(const struct icm *m);
/* Send (or queue) `m` for our monitor itself (ICM_CLIENT_ENDED);
 * INIT_ERR_CORE_UNREACHABLE when it is not up. */
errval_t intercore_to_monitor(const struct icm *m);
/* Push out what waits in the queue and give the next message addressed
 * to this core; false if there is none. */
bool intercore_poll(struct icm *m);
/* Send request `req` (its tag is set here) and wait, at most
 * `deadline_ticks` of the counter, for its answer from req->dst, keeping
 * what else arrives meanwhile for intercore_poll (at most ICM_INBOX_MAX;
 * more is dropped and counted). For the memory server, which cannot wait
 * in the server loop: INIT_ERR_CORE_NO_ANSWER after the deadline. The
 * monitor never waits for us, so this cannot wait in a circle. */
#define ICM_INBOX_MAX 32u
errval_t intercore_call(struct icm *req, struct icm *answer, uint64_t deadline_ticks);
/* Core `core`'s init is dead (the kernel said so: cores_down in our
 * dispatcher frame): nothing more goes there (INIT_ERR_CORE_DEAD), and
 * our monitor is told (ICM_CORE_DEAD), which stops routing there; for
 * another core than 0, core 0 dead leaves nothing reachable. */
void intercore_core_dead(uint32_t core);
bool intercore_is_dead(uint32_t core);
/* Messages dropped because they could not be right (tests, statistics). */
uint32_t intercore_dropped(void);

#endif
