/*
 * Inter-core message links (lib/icm.c) between two ends over one buffer
 * in one process: a message keeps its words, a full channel queues in
 * order and never loses one, the queue's limits (ICM_QUEUE_MAX per link,
 * the pool) give INIT_ERR_CORE_LINK_FULL, the waiting words make the
 * reader ring the writer exactly when the writer has messages waiting for
 * room (and a send that finds room writes nothing there), a garbled
 * message is skipped and counted, and closing a link gives its queue
 * back. Two threads, each sleeping until it is rung as a domain sleeps in
 * SYS_WAIT, pass 20,000 messages through bursts that fill the ring: a
 * lost ring-back would leave the writer asleep with a queue. The doorbell
 * rings are counted by a fake ipi_notify (the IPI cap's number is the
 * side that is rung).
 */
#include "host_suite.h"
#include <aos/icm.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#define SMALL_BYTES UMP_CHAN_MIN_BYTES          /* rings of 69 slots */
#define RING_A 1u                               /* rings side A's owner */
#define RING_B 2u                               /* rings side B's owner */

static _Alignas(64) unsigned char frame[SMALL_BYTES];
static volatile uint32_t waiting_a, waiting_b;
static struct icm_link a, b;
static struct icm_queued slots_a[ICM_QUEUE_MAX + 8], slots_b[8];
static struct icm_pool pool_a, pool_b;
static uint32_t rings[3];

errval_t ipi_notify(capaddr_t ipi)
{
    if (ipi < 3) {
        __atomic_fetch_add(&rings[ipi], 1, __ATOMIC_SEQ_CST);
    }
    return SYS_ERR_OK;
}

/* Sleep until side `who` is rung after the ring count `*seen` (a ring
 * that came meanwhile counts, as a doorbell's notice does); false after
 * the deadline. */
static bool wait_rung(uint32_t who, uint32_t *seen, time_t deadline)
{
    uint32_t now;

    while ((now = __atomic_load_n(&rings[who], __ATOMIC_SEQ_CST)) == *seen) {
        if (time(NULL) > deadline) {
            return false;
        }
        sched_yield();
    }
    *seen = now;
    return true;
}

static void setup(void)
{
    memset(frame, 0xa5, sizeof(frame));
    memset(rings, 0, sizeof(rings));
    icm_pool_init(&pool_a, slots_a, ICM_QUEUE_MAX + 8);
    icm_pool_init(&pool_b, slots_b, 8);
    CU_ASSERT_EQUAL_FATAL(icm_link_init(&a, frame, sizeof(frame), UMP_SIDE_A, RING_B,
                                        &waiting_a, &waiting_b), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(icm_link_init(&b, frame, sizeof(frame), UMP_SIDE_B, RING_A,
                                        &waiting_b, &waiting_a), SYS_ERR_OK);
}

/* Message `id`: 60 payload words (4 slots), each telling its id. */
static struct icm message(uint32_t id)
{
    struct icm m = { .op = ICM_SPAWN, .src = 1, .dst = 2, .tag = id, .nwords = 60 };

    for (uint32_t i = 0; i < m.nwords; i++) {
        m.w[i] = id * 1000 + i;
    }
    return m;
}

static bool is_message(const struct icm *m, uint32_t id)
{
    struct icm want = message(id);
    return m->op == want.op && m->src == want.src && m->dst == want.dst && m->tag == id
           && m->nwords == want.nwords && memcmp(m->w, want.w, want.nwords * 4) == 0;
}

/* Send until the channel is full: how many went on the wire. */
static uint32_t fill_wire(uint32_t first)
{
    uint32_t n = 0;
    struct icm m = message(first);

    while (ump_can_send(&a.chan, ICM_HEADER_WORDS + m.nwords)) {
        CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
        m = message(first + ++n);
    }
    return n;
}

static void test_message_keeps_its_words(void)
{
    struct icm m = message(7), got;
    uint32_t bad = 0;

    waiting_a = 77;                         /* a send that finds room leaves it alone */
    CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
    CU_ASSERT_EQUAL(waiting_a, 77);
    waiting_a = 0;
    CU_ASSERT_EQUAL(rings[RING_B], 1);
    CU_ASSERT_TRUE(icm_link_recv(&b, &got, &bad));
    CU_ASSERT_TRUE(is_message(&got, 7));
    CU_ASSERT_FALSE(icm_link_recv(&b, &got, &bad));
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(rings[RING_A], 0);      /* a had nothing waiting: not rung */
    CU_ASSERT_EQUAL(waiting_a, 0);
}

/* A full channel queues, in order; the reader that drains it rings the
 * writer once, the writer's flush sends the rest, nothing is lost. */
static void test_full_queues_in_order_and_rings_back(void)
{
    uint32_t wire = fill_wire(0), bad = 0, next = 0;
    struct icm got;

    CU_ASSERT_TRUE(wire > 0);
    for (uint32_t i = 0; i < 20; i++) {
        struct icm m = message(wire + i);
        CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(a.queued, 20);
    CU_ASSERT_EQUAL(waiting_a, 20);
    while (next < wire + 20) {
        uint32_t before = rings[RING_A];
        while (icm_link_recv(&b, &got, &bad)) {
            CU_ASSERT_TRUE(is_message(&got, next));
            next++;
        }
        if (next < wire + 20) {
            CU_ASSERT_EQUAL(rings[RING_A], before + 1);   /* room made: a is rung */
        }
        icm_link_flush(&a, &pool_a);
    }
    CU_ASSERT_EQUAL(a.queued, 0);
    CU_ASSERT_EQUAL(waiting_a, 0);
    CU_ASSERT_EQUAL(pool_a.nfree, ICM_QUEUE_MAX + 8);
    CU_ASSERT_EQUAL(bad, 0);
}

/* At most ICM_QUEUE_MAX wait on one link, however large the pool; and
 * an empty pool refuses before that. */
static void test_queue_limits(void)
{
    uint32_t wire = fill_wire(0);

    for (uint32_t i = 0; i < ICM_QUEUE_MAX; i++) {
        struct icm m = message(wire + i);
        CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
    }
    struct icm m = message(9999);
    CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), INIT_ERR_CORE_LINK_FULL);
    CU_ASSERT_EQUAL(a.queued, ICM_QUEUE_MAX);
    CU_ASSERT_EQUAL(waiting_a, ICM_QUEUE_MAX);
    /* b's pool has 8 entries: the 9th message that finds no room is refused */
    for (uint32_t i = 0; ump_can_send(&b.chan, ICM_HEADER_WORDS + m.nwords); i++) {
        CU_ASSERT_EQUAL_FATAL(icm_link_send(&b, &m, &pool_b), SYS_ERR_OK);
    }
    for (uint32_t i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(icm_link_send(&b, &m, &pool_b), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(icm_link_send(&b, &m, &pool_b), INIT_ERR_CORE_LINK_FULL);
    CU_ASSERT_EQUAL(pool_b.nfree, 0);
    /* closing gives the queue back */
    icm_link_close(&b, &pool_b);
    CU_ASSERT_EQUAL(pool_b.nfree, 8);
    CU_ASSERT_EQUAL(waiting_b, 0);
    CU_ASSERT_FALSE(b.up);
}

/* A message whose header's length does not match what arrived is
 * skipped and counted; the next good one comes through. */
static void test_garbled_skipped(void)
{
    uint32_t words[ICM_HEADER_WORDS + 3] = { ICM_KILL, 1, 2, 5, 4, 10, 11, 12 };
    uint32_t bad = 0;
    struct icm m = message(3), got;

    CU_ASSERT_EQUAL(ump_send(&a.chan, words, ICM_HEADER_WORDS + 3), SYS_ERR_OK);
    CU_ASSERT_EQUAL(ump_send(&a.chan, words, 2), SYS_ERR_OK);          /* too short */
    CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
    CU_ASSERT_TRUE(icm_link_recv(&b, &got, &bad));
    CU_ASSERT_TRUE(is_message(&got, 3));
    CU_ASSERT_EQUAL(bad, 2);
    m.nwords = ICM_PAYLOAD_MAX + 1;
    CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), INIT_ERR_CORE_UNREACHABLE);
}

#define STREAM_TOTAL 20000u
#define STREAM_BURST 50u                    /* about three rings full */

static uint32_t stream_fails;

/* Side B: take everything, in order, then sleep until A rings. */
static void *stream_receiver(void *arg)
{
    time_t deadline = time(NULL) + 20;
    uint32_t next = 0, bad = 0, seen = 0;
    struct icm got;

    (void)arg;
    while (next < STREAM_TOTAL) {
        while (icm_link_recv(&b, &got, &bad)) {
            stream_fails += !is_message(&got, next);
            next++;
        }
        if (next < STREAM_TOTAL && !wait_rung(RING_B, &seen, deadline)) {
            stream_fails++;
            break;
        }
    }
    stream_fails += bad;
    return NULL;
}

/* Side A sends in bursts larger than the ring; with a queue left it
 * sleeps until B rings it back, then flushes. */
static void test_two_threads_ring_back(void)
{
    time_t deadline = time(NULL) + 20;
    uint32_t id = 0, seen = 0;
    bool stuck = false;
    pthread_t t;

    stream_fails = 0;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, stream_receiver, NULL), 0);
    while (id < STREAM_TOTAL && !stuck) {
        for (uint32_t i = 0; i < STREAM_BURST && id < STREAM_TOTAL; i++, id++) {
            struct icm m = message(id);
            CU_ASSERT_EQUAL(icm_link_send(&a, &m, &pool_a), SYS_ERR_OK);
        }
        while (a.queued > 0 && !stuck) {
            stuck = !wait_rung(RING_A, &seen, deadline);
            icm_link_flush(&a, &pool_a);
        }
    }
    pthread_join(t, NULL);
    CU_ASSERT_FALSE(stuck);                 /* a lost ring-back: asleep with a queue */
    CU_ASSERT_EQUAL(stream_fails, 0);
    CU_ASSERT_EQUAL(a.queued, 0);
}

HOST_SUITE(icm_suite, "icm: inter-core message links, queues and waiting words",
           NULL, NULL, setup,
           HOST_TEST(test_message_keeps_its_words),
           HOST_TEST(test_full_queues_in_order_and_rings_back),
           HOST_TEST(test_queue_limits),
           HOST_TEST(test_garbled_skipped),
           HOST_TEST(test_two_threads_ring_back))
