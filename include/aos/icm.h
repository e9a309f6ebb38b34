/*
 * Inter-core messages (lib/icm.c, docs/multikernel.md): the one format
 * every init and monitor speaks, and the link that carries it.
 *
 * A message names its source and destination core. init sends every
 * message for another core to its own core's monitor over a same-core
 * link; the monitors pass it on over the links between cores (a star
 * around core 0's monitor), and the destination core's monitor hands it
 * to its init. A link is one UMP channel (include/aos/ump.h) and the IPI
 * cap that rings the peer's doorbell after each send.
 *
 * Sends never wait: a message that finds the channel full waits in the
 * link's queue (at most ICM_QUEUE_MAX), whose entries come from a pool the
 * link's owner gives (static memory: neither side allocates to send).
 * A reader does not ring the writer for every message it takes, so each
 * side publishes how many messages it has waiting for room (a word in the
 * shared frame only it writes, set when a send finds no room, which then
 * looks once more before it queues); a side that drained its ring and
 * sees the peer's word not zero rings the peer, which then sends them.
 * Neither side has to poll for room.
 * What arrives is checked for shape here and for plausibility by the
 * owner, who knows which sources and destinations the link may carry.
 */
#ifndef AOS_ICM_H
#define AOS_ICM_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/ump.h>
#include <autarky/bootinfo.h>
#include <stdbool.h>

#define ICM_PAYLOAD_MAX  80u     /* words: a 255-byte command line with its
                                    header, 64 pids, an info answer */
#define ICM_QUEUE_MAX    256u    /* messages waiting for room, per link */

/* What a core's monitor (or init) asks another core's init (payloads:
 * domains/monitor/remote_calls.c, domains/init/mem_server.c; channels
 * between monitors: domains/monitor/channels.c),
 * and what an init tells its own monitor. */
enum icm_op {
    ICM_SPAWN = 1,
    ICM_KILL,
    ICM_WAIT,
    ICM_INFO,
    ICM_ALL_PIDS,
    ICM_MEM_STATS,
    ICM_GETCHAR,        /* {client} -> {err, char} once console input comes (core 0) */
    ICM_MORE_RAM,       /* {bytes} -> {err, gift, size}: core 0 gives RAM (mem_server_refill) */
    ICM_CHAN_CONNECT,   /* a channel between domains: monitor to monitor
                           (domains/monitor/channels.c) */
    ICM_CHAN_CLOSED,    /* the borrower's side of one is gone, its loan back */
    ICM_CANCEL,         /* {}: a monitor's WAIT or GETCHAR with this tag is for a client
                           that ended: forget it (no answer) */
    ICM_CORE_DEAD = 0x40,   /* {core} whose init died: init -> its monitor, and
                               core 0's monitor -> that core's (its last word) */
    /* init -> its monitor: {client}: a domain that called the monitor
     * (frame->called) ended: its pending calls are forgotten */
    ICM_CLIENT_ENDED,
};
/* Running pids a core lists at most (init's PROC_MAX_LIVE + itself), and
 * so the longest merged get_all_pids answer. */
#define ICM_CORE_PIDS_MAX  65u
#define ICM_ALL_PIDS_MAX   (BOOTINFO_MAX_CORES * ICM_CORE_PIDS_MAX)

/* An inter-core message. op: one of the above, | ICM_REPLY in an answer;
 * tag: chosen by the source, echoed in the answer. */
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
#define ICM_MONITOR_TAG  0x40000000u   /* tags of the monitor's pending calls */

/* A message waiting for room, and the pool such entries come from. */
struct icm_queued {
    struct icm m;
    struct icm_queued *next;
};
struct icm_pool {
    struct icm_queued *free;
    uint32_t nfree;
};

struct icm_link {
    bool up;
    struct ump_chan chan;
    capaddr_t ring;                   /* rings the peer's doorbell */
    struct icm_queued *head, *tail;   /* waiting for room, in order */
    uint32_t queued;
    bool took;                        /* a message taken since the ring was last empty */
    volatile uint32_t *waiting;       /* shared, ours: how many we have queued */
    const volatile uint32_t *peer_waiting;  /* shared, the peer's */
};

/* The pool's entries are `slots[0..n-1]` (the caller's static memory). */
void icm_pool_init(struct icm_pool *pool, struct icm_queued *slots, uint32_t n);
/* `l` carries messages over the UMP channel at `buf` (`bytes`, our side
 * `side`), ringing the peer with `ring` after each send; *waiting is the
 * shared word we write, *peer_waiting the one the peer writes (both
 * outside the channel, in the same shared frame). */
errval_t icm_link_init(struct icm_link *l, void *buf, size_t bytes, enum ump_side side,
                       capaddr_t ring, volatile uint32_t *waiting,
                       const volatile uint32_t *peer_waiting);
/* Send what waits on `l`, in order, while there is room. */
void icm_link_flush(struct icm_link *l, struct icm_pool *pool);
/* Send `m` now, or queue it behind what waits: INIT_ERR_CORE_LINK_FULL
 * when the link already has ICM_QUEUE_MAX waiting or the pool is empty. */
errval_t icm_link_send(struct icm_link *l, const struct icm *m, struct icm_pool *pool);
/* The next well-formed message off `l` into *m: true, or false when the
 * channel is empty (having taken messages, we then ring the peer if it
 * has some waiting for room). *bad counts what was skipped as garbled (a
 * length that does not match, too short, too long). */
bool icm_link_recv(struct icm_link *l, struct icm *m, uint32_t *bad);
/* Put `m` on the wire now, or not at all (no room: false); for a last
 * word on a link being closed. */
bool icm_link_try_send(struct icm_link *l, const struct icm *m);
/* The peer is gone: what waits goes back to the pool, the link is down. */
void icm_link_close(struct icm_link *l, struct icm_pool *pool);

#define MONITOR_CLIENTS 64u     /* bindings a monitor answers (init's PROC_MAX_LIVE) */

/*
 * The frame an init shares with its own core's monitor (docs/multikernel.md
 * "The monitor"). init writes its part before it spawns the monitor; the
 * monitor writes its doorbell and its start-up results, then a release
 * barrier, then up = 1; init reads up, then an acquire barrier, then the
 * rest. After up only the two waiting words are written, each by its
 * side (the link's, above).
 */
struct monitor_frame {
    volatile uint32_t up;               /* monitor: 1 once started (or failed) */
    volatile uint32_t core, ncores;     /* init: this core, the machine's cores */
    volatile uint32_t init_doorbell;    /* init: its doorbell on this core */
    volatile uint32_t free_mib;         /* init: its free RAM (core 0 prints it) */
    volatile uint32_t monitor_doorbell; /* monitor */
    volatile uint32_t started;          /* monitor (core 0): cores it started */
    volatile uint32_t start_err_lo, start_err_hi;   /* monitor: its start-up's errval_t */
    volatile uint32_t init_waiting;     /* init: messages waiting for room */
    volatile uint32_t monitor_waiting;  /* monitor: the same, its side */
    /*
     * The bindings (docs/multikernel.md "The binding"): client_pid[i] is
     * the pid whose endpoint init placed in the monitor's TASKCN slot
     * MONITOR_SLOT_CLIENT + i (0: none). init writes the endpoint, then
     * (release) the pid; it clears the pid before the endpoint goes. The
     * monitor makes `serving` odd while it answers a client (from looking
     * the pid up to its reply), even otherwise; a slot whose pid init
     * cleared while `serving` was odd is not reused before it changes, so
     * an answer the monitor looked up before never reaches the slot's next
     * client.
     */
    volatile uint32_t serving;          /* monitor */
    volatile uint32_t client_pid[MONITOR_CLIENTS];  /* init */
    /* monitor: client i has called it for another core (while listed);
     * init reads and clears it when the client ends, and then tells the
     * monitor to forget its calls (ICM_CLIENT_ENDED) */
    volatile uint8_t called[MONITOR_CLIENTS];
    /* init: the doorbell of client_pid[i]'s dispatcher, written before the
     * pid (the monitor rings it for the client's channels without holding
     * its dispatcher cap: domains/monitor/channels.c) */
    volatile uint32_t client_doorbell[MONITOR_CLIENTS];
};
/* The frame: this header in its first page, then the UMP channel between
 * init (side A) and its monitor (side B). */
#define MONITOR_FRAME_UMP_OFFSET 4096u
#define MONITOR_FRAME_BYTES      (MONITOR_FRAME_UMP_OFFSET + UMP_CHAN_BYTES)
_Static_assert(sizeof(struct monitor_frame) <= MONITOR_FRAME_UMP_OFFSET, "header in page 0");

/* Channel ends a monitor keeps at once (domains/monitor/channels.h), and
 * the RAM init grants it for them at spawn: a frame each it may lend, and
 * one page for the page table its borrowed frames are mapped through. */
#define MONITOR_CHANS          32u
#define MONITOR_CHAN_FRAME_BYTES (16u * 1024)   /* XCHAN_FRAME_BYTES (checked there) */
#define MONITOR_CHAN_RAM_BYTES (MONITOR_CHANS * MONITOR_CHAN_FRAME_BYTES + BASE_PAGE_SIZE)

/* Where init places the monitor's capabilities in its TASKCN at spawn
 * (and nowhere else: domains/init/monitor_start.c). The Kernel cap and,
 * on cores other than 0, the core channel sit where init has them. */
#define MONITOR_SLOT_FRAME     11     /* the monitor_frame */
#define MONITOR_SLOT_CHAN_RAM  13     /* RAM for the monitor's channels, for good */
#define MONITOR_SLOT_CORE_RAM  16     /* + core - 1: RAM for core `core` (core 0) */
#define MONITOR_SLOT_CLIENT    32     /* + i: the endpoint of client_pid[i] (init
                                         copies it there at the client's spawn) */

#endif
