/*
 * UMP rings (lib/ump.c) against an untrusted peer: one honest end (side A)
 * and a fake side B that writes the frame by hand. Every inconsistent
 * fragment sequence is LIB_ERR_UMP_MALFORMED and skips exactly the slots
 * docs/ump.md says, an impossible acknowledgement is LIB_ERR_UMP_BAD_ACK
 * and writes nothing, the honest end stays usable afterwards, and neither
 * random garbage nor a peer rewriting a slot while it is read makes it
 * touch memory outside the frame and its buffers (ASan, UBSan).
 */
#include "host_suite.h"
#include <aos/ump.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS (UMP_CHAN_BYTES / 2 / UMP_LINE_BYTES - 1)    /* 127 */
#define FL UMP_CTL_FIRST
#define LA UMP_CTL_LAST

static _Alignas(64) unsigned char frame[UMP_CHAN_BYTES];
static struct ump_chan me;         /* the honest end */
static uint32_t got[UMP_MSG_MAX_WORDS];

static void setup(void)
{
    memset(frame, 0, sizeof(frame));
    CU_ASSERT_EQUAL_FATAL(ump_chan_init(&me, frame, sizeof(frame), UMP_SIDE_A), SYS_ERR_OK);
}

static uint32_t pattern(uint32_t id, uint32_t i)
{
    return (id * 0x9e3779b1u) ^ (i * 0x85ebca6bu) ^ 0x27d4eb2fu;
}

/* The peer writes slot `idx` (its index in the stream of slots) with
 * payload of message `id` and control word `ctl`. */
static void peer_slot(uint32_t idx, uint32_t ctl, uint32_t id)
{
    struct ump_slot *s = &me.rx->slots[idx % NSLOTS];

    for (uint32_t i = 0; i < UMP_PAYLOAD_WORDS; i++) {
        s->payload[i] = pattern(id, (idx % 64) * UMP_PAYLOAD_WORDS + i);
    }
    s->control = ctl;
}

/* The peer writes an honest message of `len` words from stream slot
 * `idx`; returns the slots it took. Word w is pattern(id, (idx % 64) *
 * 15 + w), so recv_is checks it with the same idx. */
static uint32_t peer_msg(uint32_t idx, uint32_t len, uint32_t id)
{
    uint32_t k = (uint32_t)ump_msg_slots(len);

    for (uint32_t j = k; j-- > 0;) {
        uint32_t flags = (j == 0 ? FL : 0) | (j == k - 1 ? LA : 0);
        struct ump_slot *s = &me.rx->slots[(idx + j) % NSLOTS];
        for (uint32_t i = 0; i < UMP_PAYLOAD_WORDS; i++) {
            s->payload[i] = pattern(id, (idx % 64) * UMP_PAYLOAD_WORDS + j * UMP_PAYLOAD_WORDS + i);
        }
        s->control = UMP_CTL(idx + j, flags, len);
    }
    return k;
}

/* The honest end receives the peer_msg(idx, len, id) whole. */
static bool recv_is(uint32_t idx, uint32_t len, uint32_t id)
{
    size_t n = 0;

    if (ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n) != SYS_ERR_OK || n != len) {
        return false;
    }
    for (uint32_t w = 0; w < len; w++) {
        if (got[w] != pattern(id, (idx % 64) * UMP_PAYLOAD_WORDS + w)) {
            return false;
        }
    }
    return true;
}

/* The honest end's receive is MALFORMED and consumes `skipped` slots,
 * acknowledged in the frame; *nwords is 0. */
static bool malformed_skips(uint32_t skipped)
{
    uint32_t before = me.rx_count;
    size_t n = 99;
    errval_t err = ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n);

    return err == LIB_ERR_UMP_MALFORMED && n == 0 && me.rx_count - before == skipped
           && me.rx->ack.consumed == me.rx_count;
}

static uint32_t rng_state;

static uint32_t rnd(void)
{
    return host_xorshift32(&rng_state);
}

/* ---- one bad slot at a time ------------------------------------------------ */

static void test_honest_peer_by_hand(void)
{
    uint32_t idx = 0;

    idx += peer_msg(idx, 40, 1);
    idx += peer_msg(idx, 0, 2);
    CU_ASSERT_TRUE(recv_is(0, 40, 1));
    CU_ASSERT_TRUE(recv_is(3, 0, 2));
    CU_ASSERT_EQUAL(me.rx->ack.consumed, idx);
}

/* Head slots that cannot start a message: each skipped alone, then an
 * honest message behind them arrives. */
static void test_bad_head_slot(void)
{
    const uint32_t bad[] = {
        UMP_CTL(0, LA, 5),                  /* LAST without FIRST */
        UMP_CTL(0, 0, 40),                  /* a middle fragment */
        UMP_CTL(0, FL, 5),                  /* one-slot message without LAST */
        UMP_CTL(0, FL | LA, 40),            /* LAST on a three-slot message's first */
        UMP_CTL(0, FL | LA, 1025),          /* longer than the limit */
        UMP_CTL(0, FL, 2047),
        UMP_CTL(0, FL | LA, 1) | (1u << 11),   /* reserved bits */
        UMP_CTL(0, FL | LA, 1) | (4u << 11),
        UMP_CTL(5, FL | LA, 1),             /* a sequence number from the future */
        UMP_CTL(1, FL | LA, 1),
        UMP_CTL(0xffff, FL | LA, 1),        /* from the past, not last lap's */
        0xffffffffu,
    };

    for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t idx = me.rx_count;
        /* shift the sequence number to where the stream is */
        peer_slot(idx, bad[i] + (idx << 16), 9);
        CU_ASSERT_TRUE(ump_can_recv(&me));
        CU_ASSERT_TRUE(malformed_skips(1));
        peer_msg(idx + 1, 20, i);
        CU_ASSERT_TRUE(recv_is(idx + 1, 20, i));
    }
}

/* A valid first fragment followed by a bad one: the slots before the bad
 * one are skipped, the bad one is read again as the next head. */
static void test_bad_later_fragment(void)
{
    struct { uint32_t at, ctl; } bad[] = {
        { 1, UMP_CTL(1, FL, 40) },          /* FIRST in the middle */
        { 1, UMP_CTL(1, LA, 40) },          /* LAST too early */
        { 2, UMP_CTL(2, 0, 40) },           /* no LAST at the end */
        { 1, UMP_CTL(1, 0, 41) },           /* another length */
        { 2, UMP_CTL(2, LA, 39) },
        { 1, UMP_CTL(3, 0, 40) },           /* sequence from the future */
        { 2, UMP_CTL(1, LA, 40) },          /* ... and from the past */
        { 1, 0 },                           /* never written */
        { 2, UMP_CTL(2 - NSLOTS, LA, 40) }, /* last lap's */
        { 1, UMP_CTL(1, 0, 40) | (2u << 11) },
    };

    for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t idx = me.rx_count;
        peer_msg(idx, 40, i);                           /* slots idx..idx+2 */
        peer_slot(idx + bad[i].at, bad[i].ctl == 0 ? 0 : bad[i].ctl + (idx << 16), 9);
        CU_ASSERT_TRUE(malformed_skips(bad[i].at));
        /* the next head is the bad slot: the peer now writes a good
         * message there, which must arrive */
        peer_msg(idx + bad[i].at, 16, 100 + i);
        CU_ASSERT_TRUE(recv_is(idx + bad[i].at, 16, 100 + i));
    }
}

/* "FIRST in the middle" that starts a good message: the broken prefix is
 * skipped and the message behind it arrives whole. */
static void test_resync_on_first(void)
{
    peer_msg(0, 40, 1);
    peer_msg(1, 40, 2);                 /* overwrites slots 1..3 */
    CU_ASSERT_TRUE(malformed_skips(1));
    CU_ASSERT_TRUE(recv_is(1, 40, 2));
    CU_ASSERT_FALSE(ump_can_recv(&me));
}

/* A peer's message longer than the limit is MALFORMED even when all its
 * slots are consistent: the longest, 2047 words, would take 137 slots of
 * a 127-slot ring. Checked with the head at the ring's start and end. */
static void test_consistent_but_too_long(void)
{
    uint32_t *big = malloc(2048 * sizeof(uint32_t));
    static const uint32_t heads[] = { 0, 100, NSLOTS - 1 };

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (uint32_t h = 0; h < 3; h++) {
        while (me.rx_pos != heads[h]) {
            peer_msg(me.rx_count, 1, 0);
            CU_ASSERT_TRUE_FATAL(recv_is(me.rx_count, 1, 0));
        }
        for (uint32_t len = UMP_MSG_MAX_WORDS + 1; len <= UMP_CTL_LEN_MASK; len += 1022) {
            size_t n = 5;
            peer_msg(me.rx_count, len, len);
            CU_ASSERT_EQUAL(ump_recv(&me, big, 2048, &n), LIB_ERR_UMP_MALFORMED);
            CU_ASSERT_EQUAL(n, 0);
        }
    }
    free(big);
}

/* After a lap: last lap's sequence number is EMPTY (the slot was not
 * written again), any other old one is MALFORMED, 0 is EMPTY. */
static void test_old_sequence_numbers(void)
{
    size_t n;
    uint32_t e;

    for (uint32_t i = 0; i < NSLOTS + 10; i++) {
        peer_msg(i, 3, i);
        CU_ASSERT_TRUE(recv_is(i, 3, i));
    }
    e = me.rx_count;
    CU_ASSERT_EQUAL(ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
    peer_slot(e, UMP_CTL(e - NSLOTS, FL | LA, 3), 0);       /* last lap's, rewritten */
    CU_ASSERT_FALSE(ump_can_recv(&me));
    CU_ASSERT_EQUAL(ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
    peer_slot(e, 0, 0);
    CU_ASSERT_EQUAL(ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
    CU_ASSERT_EQUAL(me.rx_count, e);
    peer_slot(e, UMP_CTL(e - 1, FL | LA, 3), 0);
    CU_ASSERT_TRUE(malformed_skips(1));
    peer_slot(e + 1, UMP_CTL(e + 1 - 2 * NSLOTS, FL | LA, 3), 0);
    CU_ASSERT_TRUE(malformed_skips(1));
    peer_msg(e + 2, 100, 7);
    CU_ASSERT_TRUE(recv_is(e + 2, 100, 7));
}

/* Every single-bit flip of any control word of an honest message: it is
 * MALFORMED skipping the slots before the flipped one, except a flipped
 * length of a one-slot message that still fits one slot, which is simply
 * a different (valid) message. The stream goes on after each. */
static void test_every_control_bit_flip(void)
{
    static const uint32_t lens[] = { 0, 1, 14, 15, 16, 40, 45, 46, 200, 1024 };

    for (uint32_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
        uint32_t k = (uint32_t)ump_msg_slots(lens[l]);
        for (uint32_t j = 0; j < k; j++) {
            for (uint32_t bit = 0; bit < 32; bit++) {
                uint32_t idx = me.rx_count, flipped_len;
                size_t n;
                peer_msg(idx, lens[l], bit);
                me.rx->slots[(idx + j) % NSLOTS].control ^= 1u << bit;
                flipped_len = me.rx->slots[(idx + j) % NSLOTS].control & UMP_CTL_LEN_MASK;
                if (k == 1 && bit < 11 && flipped_len <= UMP_PAYLOAD_WORDS) {
                    CU_ASSERT_EQUAL(ump_recv(&me, got, UMP_MSG_MAX_WORDS, &n), SYS_ERR_OK);
                    CU_ASSERT_EQUAL(n, flipped_len);
                } else {
                    CU_ASSERT_TRUE(malformed_skips(j == 0 ? 1 : j));
                }
                idx = me.rx_count;
                peer_msg(idx, 17, bit);
                CU_ASSERT_TRUE_FATAL(recv_is(idx, 17, bit));
            }
        }
    }
}

/* ---- garbage --------------------------------------------------------------- */

/* The whole receiving ring is garbage, many times over, some control
 * words nearly valid: every receive ends in one of the four documented
 * results, consumes at least one slot unless EMPTY (at most one message's
 * worth), acknowledges what it consumed, and writes only inside `max`. */
static void test_garbage_ring(void)
{
    uint32_t bad = 0;

    rng_state = 0x9e3779b9u;
    for (uint32_t round = 0; round < 3000; round++) {
        for (uint32_t i = 0; i < NSLOTS; i++) {
            uint32_t r = rnd(), idx = me.rx_count + i;
            for (uint32_t w = 0; w < UMP_PAYLOAD_WORDS; w++) {
                me.rx->slots[idx % NSLOTS].payload[w] = rnd();
            }
            me.rx->slots[idx % NSLOTS].control = (r & 3) == 0 ? rnd()
                : UMP_CTL(idx + (r >> 30), (r >> 2) & (FL | LA), (r >> 4) % 1100);
        }
        for (uint32_t call = 0; call < 8; call++) {
            size_t max = rnd() % (UMP_MSG_MAX_WORDS + 1), n = 0;
            uint32_t *buf = malloc((max ? max : 1) * sizeof(uint32_t)), before = me.rx_count;
            errval_t err = ump_recv(&me, buf, max, &n);
            uint32_t used = me.rx_count - before;
            bad += buf == NULL || me.rx_pos >= NSLOTS || me.rx->ack.consumed != me.rx_count;
            bad += used > UMP_MSG_MAX_SLOTS;
            if (err == SYS_ERR_OK) {
                bad += n > max || used != ump_msg_slots(n);
            } else if (err == LIB_ERR_UMP_RECV_TOO_LONG) {
                bad += n <= max || n > UMP_MSG_MAX_WORDS || used != ump_msg_slots(n);
            } else if (err == LIB_ERR_UMP_MALFORMED) {
                bad += n != 0 || used == 0;
            } else {
                bad += err != LIB_ERR_UMP_EMPTY || used != 0;
            }
            free(buf);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* and it still works with a peer that behaves */
    peer_msg(me.rx_count, 33, 3);
    CU_ASSERT_TRUE(recv_is(me.rx_count, 33, 3));
}

/* ---- acknowledgements ---------------------------------------------------------- */

static errval_t send_one(uint32_t n)
{
    static uint32_t words[UMP_MSG_MAX_WORDS];

    return ump_send(&me, words, n);
}

/* An ack beyond what was sent, or below the last one, is refused with
 * nothing written; a valid one afterwards makes the channel work again. */
static void test_bad_ack(void)
{
    static unsigned char before[UMP_CHAN_BYTES];
    const uint32_t too_far[] = { NSLOTS + 1, NSLOTS + 1000, 0xffffffffu, 0x80000000u };

    for (uint32_t i = 0; i < NSLOTS; i++) {
        CU_ASSERT_EQUAL(send_one(1), SYS_ERR_OK);
    }
    memcpy(before, frame, sizeof(frame));
    for (uint32_t i = 0; i < 4; i++) {
        me.tx->ack.consumed = too_far[i];
        memcpy(before, frame, sizeof(frame));
        CU_ASSERT_EQUAL(send_one(1), LIB_ERR_UMP_BAD_ACK);
        CU_ASSERT_FALSE(ump_can_send(&me, 0));
        CU_ASSERT_EQUAL(memcmp(before, frame, sizeof(frame)), 0);
    }
    me.tx->ack.consumed = 10;                       /* valid: 10 slots free */
    for (uint32_t i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(send_one(1), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(send_one(1), LIB_ERR_UMP_FULL);
    me.tx->ack.consumed = 5;                        /* going back */
    memcpy(before, frame, sizeof(frame));
    CU_ASSERT_EQUAL(send_one(1), LIB_ERR_UMP_BAD_ACK);
    CU_ASSERT_EQUAL(memcmp(before, frame, sizeof(frame)), 0);
    me.tx->ack.consumed = NSLOTS + 10;              /* everything consumed */
    CU_ASSERT_TRUE(ump_can_send(&me, UMP_MSG_MAX_WORDS));
    CU_ASSERT_EQUAL(send_one(UMP_MSG_MAX_WORDS), SYS_ERR_OK);
}

/*
 * The peer writes random acks (half of them within what was sent): a
 * send is OK, FULL or BAD_ACK; it changes no slot outside the ones it
 * sends in; it only believes an ack the peer wrote that lay between the
 * last believed one and what was sent; and it never has more slots in
 * flight than the ring holds.
 */
static void test_random_acks(void)
{
    static unsigned char before[UMP_CHAN_BYTES];
    uint32_t bad = 0, believed = 0;

    rng_state = 0x1234567u;
    for (uint32_t round = 0; round < 20000; round++) {
        uint32_t r = rnd(), n = rnd() % (UMP_MSG_MAX_WORDS + 1), k = (uint32_t)ump_msg_slots(n);
        uint32_t ack = (r & 1) ? believed + rnd() % (me.tx_count - believed + 1) : rnd();
        uint32_t pos = me.tx_pos, count = me.tx_count;
        errval_t err;
        me.tx->ack.consumed = ack;
        memcpy(before, frame, sizeof(frame));
        err = send_one(n);
        for (uint32_t i = 0; i < NSLOTS; i++) {
            bool written = err == SYS_ERR_OK && (i + NSLOTS - pos) % NSLOTS < k;
            bad += !written && memcmp(before + 64 + 64 * i, frame + 64 + 64 * i, 64) != 0;
        }
        if (me.tx_acked != believed) {
            bad += me.tx_acked != ack || ack - believed > count - believed;
            believed = me.tx_acked;
        }
        bad += me.tx_count - me.tx_acked > NSLOTS;
        bad += err != SYS_ERR_OK && err != LIB_ERR_UMP_FULL && err != LIB_ERR_UMP_BAD_ACK;
        bad += err == SYS_ERR_OK && me.tx_count != count + k;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_TRUE(believed != 0);
}

/* ---- a peer rewriting a message while it is read ---------------------------------- */

#define SHORT_LEN (2 * UMP_PAYLOAD_WORDS)

static int flipper_stop;

/* Keeps turning the message at slot 0 from a two-slot message of
 * SHORT_LEN words into a longest one (whose slots 2..68 stay in place) and
 * back, first fragment and second, and now and then into garbage. */
static void *flipper(void *arg)
{
    struct ump_slot *s0 = &me.rx->slots[0], *s1 = &me.rx->slots[1];
    uint32_t x = 1;

    (void)arg;
    while (!__atomic_load_n(&flipper_stop, __ATOMIC_RELAXED)) {
        x = x * 1103515245u + 12345u;
        __atomic_store_n(&s0->control, UMP_CTL(0, FL, SHORT_LEN), __ATOMIC_RELAXED);
        __atomic_store_n(&s1->control, UMP_CTL(1, LA, SHORT_LEN), __ATOMIC_RELAXED);
        __atomic_store_n(&s0->control, UMP_CTL(0, FL, UMP_MSG_MAX_WORDS), __ATOMIC_RELAXED);
        __atomic_store_n(&s1->control, UMP_CTL(1, 0, UMP_MSG_MAX_WORDS), __ATOMIC_RELAXED);
        if ((x >> 28) == 0) {
            __atomic_store_n(&s0->control, x, __ATOMIC_RELAXED);
            __atomic_store_n(&s1->control, x >> 3, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

/*
 * The honest end reads a message the peer keeps rewriting into a buffer
 * of SHORT_LEN words: it must judge what it copies by the control words
 * it read once. Reading the length again would copy up to 1024 words into
 * SHORT_LEN (ASan stops the run).
 */
static void test_message_rewritten_while_read(void)
{
    uint32_t *small = malloc(SHORT_LEN * sizeof(uint32_t)), bad = 0;
    struct ump_chan start;
    pthread_t t;

    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    peer_msg(0, UMP_MSG_MAX_WORDS, 1);
    start = me;
    flipper_stop = 0;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, flipper, NULL), 0);
    for (uint32_t i = 0; i < 200000; i++) {
        size_t n;
        errval_t err;
        me = start;                             /* the head is slot 0 again */
        err = ump_recv(&me, small, SHORT_LEN, &n);
        bad += err == SYS_ERR_OK && n != SHORT_LEN;
        bad += err == LIB_ERR_UMP_RECV_TOO_LONG && n != UMP_MSG_MAX_WORDS;
        bad += err != SYS_ERR_OK && err != LIB_ERR_UMP_RECV_TOO_LONG
               && err != LIB_ERR_UMP_MALFORMED && err != LIB_ERR_UMP_EMPTY;
    }
    __atomic_store_n(&flipper_stop, 1, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(bad, 0);
    free(small);
}

HOST_SUITE(ump_peer_suite, "ump: an untrusted peer writing the frame by hand",
           NULL, NULL, setup,
           HOST_TEST(test_honest_peer_by_hand),
           HOST_TEST(test_bad_head_slot),
           HOST_TEST(test_bad_later_fragment),
           HOST_TEST(test_resync_on_first),
           HOST_TEST(test_consistent_but_too_long),
           HOST_TEST(test_old_sequence_numbers),
           HOST_TEST(test_every_control_bit_flip),
           HOST_TEST(test_garbage_ring),
           HOST_TEST(test_bad_ack),
           HOST_TEST(test_random_acks),
           HOST_TEST(test_message_rewritten_while_read))
