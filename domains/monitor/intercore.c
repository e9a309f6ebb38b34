/*
 * A monitor's links (intercore.h).
 *
 *   init 1 ── monitor 1 ──link──┐                   ┌──link── monitor 3 ── init 3
 *                               monitor 0 (relays) ─┤
 *   init 2 ── monitor 2 ──link──┘        │          └── ...
 *                                      init 0
 *
 * Every link is a UMP channel plus an IPI cap; after a send (or a queued
 * message going out) we ring the peer, which wakes from SYS_WAIT and
 * polls. The monitor is one thread: no locks.
 */
#include "intercore.h"
#include "remote_calls.h"
#include "channels.h"
#include <autarky/bootinfo.h>
#include <string.h>

static struct icm_link init_link;
static struct icm_link links[BOOTINFO_MAX_CORES];
static struct icm_queued pool_slots[ICM_POOL_MAX];
static struct icm_pool pool;
static uint32_t my_core, ncores;
static uint32_t dropped;
static uint32_t dead;                /* cores whose init died, a bit each */

void intercore_init(uint32_t core, uint32_t cores)
{
    memset(pool_slots, 0, sizeof(pool_slots));  /* touched now, not in the loop */
    icm_pool_init(&pool, pool_slots, ICM_POOL_MAX);
    my_core = core;
    ncores = cores;
}

errval_t intercore_add_init_link(struct monitor_frame *f, capaddr_t ring)
{
    return icm_link_init(&init_link, (char *)f + MONITOR_FRAME_UMP_OFFSET, UMP_CHAN_BYTES,
                         UMP_SIDE_B, ring, &f->monitor_waiting, &f->init_waiting);
}

errval_t intercore_add_link(uint32_t core, void *buf, size_t bytes, enum ump_side side,
                            capaddr_t ring, volatile uint32_t *waiting,
                            const volatile uint32_t *peer_waiting)
{
    if (core >= ncores || core == my_core || links[core].up) {
        return INIT_ERR_NO_SUCH_CORE;
    }
    return icm_link_init(&links[core], buf, bytes, side, ring, waiting, peer_waiting);
}

bool intercore_is_dead(uint32_t core)
{
    return core < BOOTINFO_MAX_CORES && (dead & (1u << core)) != 0;
}

/* The link a message for `dst` leaves on: our init's for our core, else
 * straight there, else through core 0 (the star's centre). */
static struct icm_link *route(uint32_t dst)
{
    if (dst == my_core) {
        return &init_link;
    }
    if (dst < ncores && links[dst].up) {
        return &links[dst];
    }
    if (my_core != 0 && dst < ncores && links[0].up && !intercore_is_dead(0)) {
        return &links[0];
    }
    return NULL;
}

errval_t intercore_send(const struct icm *m)
{
    struct icm_link *l = route(m->dst);

    if (intercore_is_dead(m->dst)) {
        return INIT_ERR_CORE_DEAD;
    }
    if (l == NULL) {
        return INIT_ERR_CORE_UNREACHABLE;
    }
    return icm_link_send(l, m, &pool);
}

void intercore_to_init(const struct icm *m)
{
    if (!init_link.up || err_is_fail(icm_link_send(&init_link, m, &pool))) {
        dropped++;
    }
}

/* Pass `m` on towards m->dst; a message for a dead core, or that no link
 * can take, is dropped and counted. */
static void forward(const struct icm *m)
{
    if (err_is_fail(intercore_send(m))) {
        dropped++;
    }
}

/* Core `core`'s init is dead (our init saw it in its dispatcher frame and
 * told us): what waits for it is dropped and nothing more goes there;
 * if we link to its monitor (core 0), our last word tells it. */
static void core_dead(uint32_t core)
{
    struct icm notice = { .op = ICM_CORE_DEAD, .src = my_core, .dst = core, .nwords = 1,
                          .w = { core } };

    if (core >= ncores || core == my_core || intercore_is_dead(core)) {
        return;
    }
    dead |= 1u << core;
    if (links[core].up) {
        icm_link_close(&links[core], &pool);    /* its channel is not read any more */
        icm_link_try_send(&links[core], &notice);
    }
}

/* Our own init is dead (core 0's monitor says so): we route nothing any
 * more, for nobody manages this core; every link goes down. */
static void own_core_dead(void)
{
    dead |= 1u << my_core;
    icm_link_close(&init_link, &pool);
    for (uint32_t c = 0; c < ncores; c++) {
        if (links[c].up) {
            icm_link_close(&links[c], &pool);
        }
    }
}

/*
 * Could `m` have come over the link from `from` (our core: our init)?
 * From our init: its source is our core and it goes to another (or is
 * ICM_CORE_DEAD or ICM_CLIENT_ENDED, for us). From another monitor: its source is that core,
 * unless it is core 0 relaying for another core, and it is not ours; an
 * ICM_CORE_DEAD only from core 0, to us.
 */
static bool plausible(const struct icm *m, uint32_t from)
{
    if (m->dst >= ncores || m->src >= ncores) {
        return false;
    }
    if (from == my_core) {
        return m->src == my_core && (m->dst != my_core || m->op == ICM_CORE_DEAD
                                     || m->op == ICM_CLIENT_ENDED);
    }
    if (m->op == ICM_CLIENT_ENDED) {
        return false;                       /* only from a monitor's own init */
    }
    if (m->op == ICM_CORE_DEAD) {           /* only core 0's, about us, to us */
        return from == 0 && m->src == 0 && m->dst == my_core;
    }
    return m->src != my_core && (m->src == from || (from == 0 && my_core != 0));
}

/* Take what waits on link `l` (from core `from`) and pass it on. */
static bool serve_link(struct icm_link *l, uint32_t from)
{
    static struct icm m;                /* static: the loop's stack stays small */
    bool any = false;

    icm_link_flush(l, &pool);
    while (l->up && icm_link_recv(l, &m, &dropped)) {
        any = true;
        if (!plausible(&m, from)) {
            dropped++;
        } else if (m.op == ICM_CORE_DEAD && m.nwords == 1 && from != my_core
                   && m.w[0] == my_core) {
            own_core_dead();
        } else if (m.op == ICM_CORE_DEAD && m.nwords == 1 && from == my_core) {
            core_dead(m.w[0]);
            remote_calls_core_dead(m.w[0]);
            channels_core_dead(m.w[0]);
        } else if (m.op == ICM_CORE_DEAD) {
            dropped++;
        } else if (m.op == ICM_CLIENT_ENDED && m.nwords == 1) {
            remote_calls_client_ended(m.w[0]);
            channels_client_ended(m.w[0]);
        } else if (m.op == ICM_CLIENT_ENDED) {
            dropped++;
        } else if (m.dst == my_core && from != my_core && channels_icm(&m)) {
            continue;                       /* a channel's, between monitors */
        } else if (m.dst == my_core && remote_calls_answer(&m)) {
            continue;                       /* an answer to one of our calls */
        } else {
            forward(&m);
        }
    }
    return any;
}

bool intercore_serve(void)
{
    bool any = false;

    if (init_link.up) {
        any |= serve_link(&init_link, my_core);
    }
    for (uint32_t c = 0; c < ncores; c++) {
        if (links[c].up) {
            any |= serve_link(&links[c], c);
        }
    }
    return any;
}

uint32_t intercore_dropped(void)
{
    return dropped;
}
