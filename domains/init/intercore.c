/*
 * Messages between the inits of different cores (intercore.h).
 *
 *   core 1's init ──link──┐                ┌──link── core 3's init
 *                         core 0's init ───┤
 *   core 2's init ──link──┘   (relays)     └── ...
 *
 * Every link is a UMP channel plus an IPI cap; after a send (or a queued
 * message going out) we ring the peer, which wakes from SYS_WAIT and
 * polls. Lock order: none (init is one thread).
 */
#include "intercore.h"
#include <aos/caps.h>
#include <aos/syscalls.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>
#include <string.h>

struct queued {
    struct icm m;
    struct queued *next;
};

struct link {
    bool up;
    struct ump_chan chan;
    capaddr_t ring;              /* rings the peer's doorbell */
    struct queued *head, *tail;  /* waiting for room, in order */
    uint32_t queued;
};

static struct link links[BOOTINFO_MAX_CORES];
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

errval_t intercore_add_link(uint32_t core, void *buf, size_t bytes, enum ump_side side,
                            capaddr_t ring)
{
    errval_t err;

    if (core >= BOOTINFO_MAX_CORES || core == my_core() || links[core].up) {
        return INIT_ERR_NO_SUCH_CORE;
    }
    err = ump_chan_init(&links[core].chan, buf, bytes, side);
    if (err_is_ok(err)) {
        links[core].ring = ring;
        links[core].up = true;
    }
    return err;
}

/* The link a message for `dst` leaves on: straight there, else through
 * core 0 (the star's centre). */
static struct link *route(uint32_t dst)
{
    if (dst < BOOTINFO_MAX_CORES && links[dst].up) {
        return &links[dst];
    }
    if (my_core() != 0 && links[0].up) {
        return &links[0];
    }
    return NULL;
}

/* Put `m` on the wire now; false if the channel has no room for it. */
static bool wire_send(struct link *l, const struct icm *m)
{
    uint32_t words[ICM_HEADER_WORDS + ICM_PAYLOAD_MAX];

    words[0] = m->op;
    words[1] = m->src;
    words[2] = m->dst;
    words[3] = m->tag;
    words[4] = m->nwords;
    memcpy(&words[ICM_HEADER_WORDS], m->w, m->nwords * sizeof(uint32_t));
    if (err_is_fail(ump_send(&l->chan, words, ICM_HEADER_WORDS + m->nwords))) {
        return false;
    }
    ipi_notify(l->ring);
    return true;
}

/* Send what waits on `l`, in order, while there is room. */
static void flush(struct link *l)
{
    while (l->head != NULL && wire_send(l, &l->head->m)) {
        struct queued *q = l->head;
        l->head = q->next;
        if (l->head == NULL) {
            l->tail = NULL;
        }
        l->queued--;
        free(q);
    }
}

errval_t intercore_send(const struct icm *m)
{
    struct link *l = route(m->dst);
    struct queued *q;

    if (m->dst < BOOTINFO_MAX_CORES && intercore_is_dead(m->dst)) {
        return INIT_ERR_CORE_DEAD;
    }
    if (l == NULL || m->nwords > ICM_PAYLOAD_MAX) {
        return INIT_ERR_CORE_UNREACHABLE;
    }
    if (l != &links[m->dst] && intercore_is_dead(0)) {
        return INIT_ERR_CORE_DEAD;      /* the relay is gone */
    }
    flush(l);
    if (l->head == NULL && wire_send(l, m)) {
        return SYS_ERR_OK;
    }
    if (l->queued >= ICM_QUEUE_MAX || (q = malloc(sizeof(*q))) == NULL) {
        return INIT_ERR_CORE_LINK_FULL;
    }
    q->m = *m;
    q->next = NULL;
    if (l->tail != NULL) {
        l->tail->next = q;
    } else {
        l->head = q;
    }
    l->tail = q;
    l->queued++;
    return SYS_ERR_OK;
}

/*
 * Could `m` have come over the link from `from`? Its length must match,
 * its destination exist; its source must be the peer, unless the peer is
 * core 0 relaying for another core.
 */
static bool plausible(const struct icm *m, size_t nwords, uint32_t from)
{
    uint32_t ncores = get_bootinfo()->ncores;

    if (nwords < ICM_HEADER_WORDS || m->nwords != nwords - ICM_HEADER_WORDS
        || m->dst >= ncores || m->src >= ncores || m->src == my_core()) {
        return false;
    }
    return m->src == from || (from == 0 && my_core() != 0);
}

/* The next message on link `from`, checked; false if none. */
static bool wire_recv(uint32_t from, struct icm *m)
{
    uint32_t words[ICM_HEADER_WORDS + ICM_PAYLOAD_MAX];
    size_t n;

    for (;;) {
        errval_t err = ump_recv(&links[from].chan, words, ICM_HEADER_WORDS + ICM_PAYLOAD_MAX,
                                &n);
        if (err_no(err) == LIB_ERR_UMP_EMPTY) {
            return false;
        }
        if (err_is_fail(err) || n < ICM_HEADER_WORDS) {
            dropped++;                  /* too long or garbled: skipped by ump_recv */
            continue;
        }
        m->op = words[0];
        m->src = words[1];
        m->dst = words[2];
        m->tag = words[3];
        m->nwords = words[4];
        if (!plausible(m, n, from)) {
            dropped++;
            continue;
        }
        memcpy(m->w, &words[ICM_HEADER_WORDS], m->nwords * sizeof(uint32_t));
        return true;
    }
}

/* The next message for us straight off the links (relaying the rest). */
static bool poll_links(struct icm *m)
{
    for (uint32_t c = 0; c < BOOTINFO_MAX_CORES; c++) {
        if (!links[c].up) {
            continue;
        }
        flush(&links[c]);
        while (wire_recv(c, m)) {
            if (m->dst == my_core()) {
                return true;
            }
            if (err_is_fail(intercore_send(m))) {   /* core 0: relay */
                dropped++;
            }
        }
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
    return poll_links(m);
}

errval_t intercore_call(struct icm *req, struct icm *answer, uint64_t deadline_ticks)
{
    uint64_t deadline = counter_read() + deadline_ticks;
    errval_t err;

    req->tag = ICM_CALL_TAG | (++next_call_tag & ~ICM_CALL_TAG);
    err = intercore_send(req);
    while (err_is_ok(err)) {
        if (poll_links(answer)) {
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
    struct link *l = &links[core];

    if (core >= BOOTINFO_MAX_CORES || intercore_is_dead(core)) {
        return;
    }
    dead |= 1u << core;
    while (l->head != NULL) {           /* nobody will read them */
        struct queued *q = l->head;
        l->head = q->next;
        free(q);
    }
    l->tail = NULL;
    l->queued = 0;
    l->up = false;                      /* its channel is not read any more */
}

uint32_t intercore_dropped(void)
{
    return dropped;
}
