/*
 * Messages between the inits of different cores (intercore.c,
 * docs/multikernel.md "Processes across cores").
 *
 * A star: core 0's init has a link to every other core's init, over the
 * UMP channel in the frame it shared with that core at its start; the
 * init of another core has one link, to core 0. A message names its
 * source and destination core; core 0 relays one between two other cores.
 * A link is one UMP channel (include/aos/ump.h) and the IPI cap that
 * rings the peer's doorbell after each send.
 *
 * Sends never wait: a message that finds the channel full waits in the
 * link's queue (at most ICM_QUEUE_MAX) and goes out from intercore_poll,
 * which every turn of init's server loop calls. Each peer is checked: a
 * message that could not have come over that link (a wrong source, a
 * destination out of range, a bad length) is dropped and counted.
 */
#ifndef INIT_INTERCORE_H
#define INIT_INTERCORE_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/ump.h>
#include <stdbool.h>

#define ICM_PAYLOAD_MAX  80u     /* words: a 255-byte command line with its
                                    header, 64 pids, an info answer */
#define ICM_QUEUE_MAX    256u    /* messages waiting for room, per link */

/* What one init asks another (payloads: remote_procs.c, mem_server.c). */
enum icm_op {
    ICM_SPAWN = 1,
    ICM_KILL,
    ICM_WAIT,
    ICM_INFO,
    ICM_ALL_PIDS,
    ICM_MEM_STATS,
    ICM_GETCHAR,        /* {} -> {err, char} once console input comes (core 0) */
    ICM_MORE_RAM,       /* {bytes} -> {err, gift, size}: core 0 gives RAM (mem_server_refill) */
    ICM_CHAN_CONNECT,   /* a channel between domains (channels.c) */
    ICM_CHAN_CLOSED,    /* the borrower's side of one is gone, its loan back */
};

/* An inter-core message. op: one of remote_procs.h's, | ICM_REPLY in an
 * answer; tag: chosen by the source, echoed in the answer. */
struct icm {
    uint32_t op;
    uint32_t src, dst;           /* cores */
    uint32_t tag;
    uint32_t nwords;             /* payload words used */
    uint32_t w[ICM_PAYLOAD_MAX];
};
#define ICM_HEADER_WORDS 5u
#define ICM_REPLY        0x100u
#define ICM_CALL_TAG     0x80000000u   /* tags of intercore_call (others: below) */

/* Core `core` is reached over the UMP channel at `buf` (`bytes`, our side
 * `side`); `ring` is an IPI cap that rings its init's doorbell. */
errval_t intercore_add_link(uint32_t core, void *buf, size_t bytes, enum ump_side side,
                            capaddr_t ring);
/* Send (or queue) `m` towards m->dst; INIT_ERR_CORE_UNREACHABLE when no
 * link leads there, INIT_ERR_CORE_LINK_FULL when its queue is full. */
errval_t intercore_send(const struct icm *m);
/* Push out what waits in the queues, relay what passes through, and give
 * the next message addressed to this core; false if there is none. */
bool intercore_poll(struct icm *m);
/* Send request `req` (its tag is set here) and wait, at most
 * `deadline_ticks` of the counter, for its answer from req->dst, keeping
 * what else arrives meanwhile for intercore_poll (at most ICM_INBOX_MAX;
 * more is dropped and counted). For the memory server, which cannot wait
 * in the server loop: INIT_ERR_CORE_NO_ANSWER after the deadline. */
#define ICM_INBOX_MAX 32u
errval_t intercore_call(struct icm *req, struct icm *answer, uint64_t deadline_ticks);
/* Core `core`'s init is dead (the kernel said so: cores_down in our
 * dispatcher frame): what waits for it is dropped, nothing more goes
 * there or is relayed there (INIT_ERR_CORE_DEAD); for another core than
 * 0, core 0 dead leaves nothing reachable. */
void intercore_core_dead(uint32_t core);
bool intercore_is_dead(uint32_t core);
/* Messages dropped because they could not be right (tests, statistics). */
uint32_t intercore_dropped(void);

#endif
