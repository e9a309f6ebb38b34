/*
 * Inter-core message links (include/aos/icm.h): a message in UMP words,
 * a queue for what finds the ring full, a doorbell ring after each send.
 * One thread per link end (the owner's server loop); no locks.
 */
#include <aos/icm.h>
#include <aos/caps.h>
#include <string.h>

void icm_pool_init(struct icm_pool *pool, struct icm_queued *slots, uint32_t n)
{
    pool->free = NULL;
    for (uint32_t i = 0; i < n; i++) {
        slots[i].next = pool->free;
        pool->free = &slots[i];
    }
    pool->nfree = n;
}

errval_t icm_link_init(struct icm_link *l, void *buf, size_t bytes, enum ump_side side,
                       capaddr_t ring, volatile uint32_t *waiting,
                       const volatile uint32_t *peer_waiting)
{
    errval_t err = ump_chan_init(&l->chan, buf, bytes, side);

    if (err_is_ok(err)) {
        l->ring = ring;
        l->head = l->tail = NULL;
        l->queued = 0;
        l->took = false;
        l->waiting = waiting;
        l->peer_waiting = peer_waiting;
        *waiting = 0;
        l->up = true;
    }
    return err;
}

/*
 * Publish that we have `n` messages waiting for room, with a full barrier
 * after it. A send that finds no room publishes first and then looks for
 * room once more; the peer drains, then (full barrier) reads our word. So
 * either that second look sees the room the peer made, or the peer sees
 * our word and rings us. A send that finds room writes nothing here.
 */
static void publish_waiting(struct icm_link *l, uint32_t n)
{
    *l->waiting = n;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Put `m` on the wire now and ring the peer; false if the channel has no
 * room for it. */
static bool wire_send(struct icm_link *l, const struct icm *m)
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

/* Send what waits, in order, while there is room (*l->waiting is not
 * zero all along: it is the queue's length since the last change). */
static void flush_queue(struct icm_link *l, struct icm_pool *pool)
{
    while (l->head != NULL && wire_send(l, &l->head->m)) {
        struct icm_queued *q = l->head;
        l->head = q->next;
        if (l->head == NULL) {
            l->tail = NULL;
        }
        l->queued--;
        q->next = pool->free;
        pool->free = q;
        pool->nfree++;
    }
}

bool icm_link_try_send(struct icm_link *l, const struct icm *m)
{
    return m->nwords <= ICM_PAYLOAD_MAX && wire_send(l, m);
}

void icm_link_flush(struct icm_link *l, struct icm_pool *pool)
{
    if (l->head != NULL) {
        flush_queue(l, pool);
        publish_waiting(l, l->queued);
    }
}

errval_t icm_link_send(struct icm_link *l, const struct icm *m, struct icm_pool *pool)
{
    struct icm_queued *q;

    if (m->nwords > ICM_PAYLOAD_MAX) {
        return INIT_ERR_CORE_UNREACHABLE;
    }
    icm_link_flush(l, pool);
    if (l->head == NULL) {
        if (wire_send(l, m)) {
            return SYS_ERR_OK;
        }
        publish_waiting(l, 1);              /* then look for room once more */
        if (wire_send(l, m)) {
            publish_waiting(l, 0);
            return SYS_ERR_OK;
        }
    }
    if (l->queued >= ICM_QUEUE_MAX || pool->free == NULL) {
        publish_waiting(l, l->queued);
        return INIT_ERR_CORE_LINK_FULL;
    }
    q = pool->free;
    pool->free = q->next;
    pool->nfree--;
    q->m = *m;
    q->next = NULL;
    if (l->tail != NULL) {
        l->tail->next = q;
    } else {
        l->head = q;
    }
    l->tail = q;
    l->queued++;
    publish_waiting(l, l->queued);
    return SYS_ERR_OK;
}

/* The ring is empty: if we took messages since it last was, and the peer
 * has some waiting for room, ring it (it sends them when it wakes). */
static void made_room(struct icm_link *l)
{
    if (!l->took) {
        return;
    }
    l->took = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* our acks before its word */
    if (*l->peer_waiting != 0) {
        ipi_notify(l->ring);
    }
}

bool icm_link_recv(struct icm_link *l, struct icm *m, uint32_t *bad)
{
    uint32_t words[ICM_HEADER_WORDS + ICM_PAYLOAD_MAX];
    size_t n;

    for (;;) {
        errval_t err = ump_recv(&l->chan, words, ICM_HEADER_WORDS + ICM_PAYLOAD_MAX, &n);
        if (err_no(err) == LIB_ERR_UMP_EMPTY) {
            made_room(l);
            return false;
        }
        l->took = true;
        if (err_is_fail(err) || n < ICM_HEADER_WORDS || words[4] != n - ICM_HEADER_WORDS) {
            (*bad)++;                   /* too long or garbled: skipped by ump_recv */
            continue;
        }
        m->op = words[0];
        m->src = words[1];
        m->dst = words[2];
        m->tag = words[3];
        m->nwords = words[4];
        memcpy(m->w, &words[ICM_HEADER_WORDS], m->nwords * sizeof(uint32_t));
        return true;
    }
}

void icm_link_close(struct icm_link *l, struct icm_pool *pool)
{
    while (l->head != NULL) {           /* nobody will read them */
        struct icm_queued *q = l->head;
        l->head = q->next;
        q->next = pool->free;
        pool->free = q;
        pool->nfree++;
    }
    l->tail = NULL;
    l->queued = 0;
    *l->waiting = 0;
    l->up = false;
}
