/*
 * init's end of the inter-core messages (intercore.h): one same-core
 * link to its monitor, which carries everything between cores.
 *
 *   init ──link── monitor ══ monitor of core N ──link── init of core N
 *
 * After a send (or a queued message going out) we ring the monitor; the
 * monitor rings us after it puts a message on our side, or made room for
 * what we have queued (include/aos/icm.h). init is one thread: no locks.
 */
#include "intercore.h"
#include <aos/syscalls.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>

static struct icm_link monitor;
static struct icm_queued pool_slots[ICM_QUEUE_MAX];
static struct icm_pool pool;
static uint32_t dropped;
static uint32_t dead;                /* cores whose init died, a bit each */
/* Messages for us that arrived during an intercore_call (static: the
 * memory server calls it when malloc may not work). */
static struct icm inbox[ICM_INBOX_MAX];
static uint32_t inbox_first, inbox_count;
static uint32_t next_call_tag;

static uint32_t my_core(void)
{
    return get_bootinfo()->core_id;
}

errval_t intercore_connect_monitor(struct monitor_frame *f, capaddr_t ring)
{
    icm_pool_init(&pool, pool_slots, ICM_QUEUE_MAX);
    return icm_link_init(&monitor, (char *)f + MONITOR_FRAME_UMP_OFFSET, UMP_CHAN_BYTES,
                         UMP_SIDE_A, ring, &f->init_waiting, &f->monitor_waiting);
}

errval_t intercore_send(const struct icm *m)
{
    uint32_t ncores = get_bootinfo()->ncores;

    if (!monitor.up || m->dst >= ncores || m->dst == my_core()) {
        return INIT_ERR_CORE_UNREACHABLE;
    }
    if (intercore_is_dead(m->dst) || (my_core() != 0 && intercore_is_dead(0))) {
        return INIT_ERR_CORE_DEAD;      /* it, or the relay, is gone */
    }
    return icm_link_send(&monitor, m, &pool);
}

errval_t intercore_to_monitor(const struct icm *m)
{
    if (!monitor.up) {
        return INIT_ERR_CORE_UNREACHABLE;
    }
    return icm_link_send(&monitor, m, &pool);
}

/* Could the monitor have handed us `m`? It is for us, from another core. */
static bool plausible(const struct icm *m)
{
    uint32_t ncores = get_bootinfo()->ncores;

    return m->dst == my_core() && m->src < ncores && m->src != my_core();
}

/* The next message for us straight off the link. */
static bool poll_link(struct icm *m)
{
    if (!monitor.up) {
        return false;
    }
    icm_link_flush(&monitor, &pool);
    while (icm_link_recv(&monitor, m, &dropped)) {
        if (plausible(m)) {
            return true;
        }
        dropped++;
    }
    return false;
}

bool intercore_poll(struct icm *m)
{
    if (inbox_count > 0) {
        *m = inbox[inbox_first];
        inbox_first = (inbox_first + 1) % ICM_INBOX_MAX;
        inbox_count--;
        return true;
    }
    return poll_link(m);
}

errval_t intercore_call(struct icm *req, struct icm *answer, uint64_t deadline_ticks)
{
    uint64_t deadline = counter_read() + deadline_ticks;
    errval_t err;

    req->tag = ICM_CALL_TAG | (++next_call_tag & ~ICM_CALL_TAG);
    err = intercore_send(req);
    while (err_is_ok(err)) {
        if (poll_link(answer)) {
            if ((answer->op & ICM_REPLY) && answer->tag == req->tag && answer->src == req->dst) {
                return SYS_ERR_OK;
            }
            if (inbox_count < ICM_INBOX_MAX) {
                inbox[(inbox_first + inbox_count++) % ICM_INBOX_MAX] = *answer;
            } else {
                dropped++;
            }
            continue;
        }
        if (counter_read() > deadline) {
            return INIT_ERR_CORE_NO_ANSWER;
        }
        sys_yield();
    }
    return err;
}

bool intercore_is_dead(uint32_t core)
{
    return core < BOOTINFO_MAX_CORES && (dead & (1u << core)) != 0;
}

void intercore_core_dead(uint32_t core)
{
    struct icm m = { .op = ICM_CORE_DEAD, .src = my_core(), .dst = my_core(),
                     .nwords = 1, .w = { core } };

    if (core >= BOOTINFO_MAX_CORES || intercore_is_dead(core)) {
        return;
    }
    dead |= 1u << core;
    if (monitor.up && err_is_fail(icm_link_send(&monitor, &m, &pool))) {
        dropped++;                      /* the monitor still drops what it cannot pass */
    }
}

uint32_t intercore_dropped(void)
{
    return dropped;
}
