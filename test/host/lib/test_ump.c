/*
 * UMP rings (lib/ump.c) between two honest ends over one buffer in one
 * process: set-up errors, empty, full (exactly when, and nothing written),
 * message boundaries in both directions, a receive buffer too small, a
 * long random run against a reference FIFO per direction (the ring wraps
 * thousands of times, the 16-bit sequence numbers dozens, the 32-bit
 * counters once), and two threads sending and receiving at the same time.
 * The untrusted peer is test_ump_peer.c.
 */
#include "host_suite.h"
#include <aos/ump.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSLOTS (UMP_CHAN_BYTES / 2 / UMP_LINE_BYTES - 1)    /* 127 */

static _Alignas(64) unsigned char frame[UMP_CHAN_BYTES];
static struct ump_chan end_a, end_b;
static uint32_t got[UMP_MSG_MAX_WORDS], sent[UMP_MSG_MAX_WORDS];

/* Both ends over a frame full of junk: each init zeroes what it writes,
 * so the junk must not matter. */
static void setup(void)
{
    memset(frame, 0xa5, sizeof(frame));
    CU_ASSERT_EQUAL_FATAL(ump_chan_init(&end_a, frame, sizeof(frame), UMP_SIDE_A), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(ump_chan_init(&end_b, frame, sizeof(frame), UMP_SIDE_B), SYS_ERR_OK);
}

/* Word `i` of message `id`: differs between messages, words and offsets. */
static uint32_t pattern(uint32_t id, uint32_t i)
{
    return (id * 0x9e3779b1u) ^ (i * 0x85ebca6bu) ^ (i << 20) ^ 0x5bd1e995u;
}

static void fill(uint32_t *w, uint32_t id, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        w[i] = pattern(id, (uint32_t)i);
    }
}

static bool matches(const uint32_t *w, uint32_t id, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (w[i] != pattern(id, (uint32_t)i)) {
            return false;
        }
    }
    return true;
}

/* Send message `id` of `n` words on `c`. */
static errval_t send_msg(struct ump_chan *c, uint32_t id, size_t n)
{
    fill(sent, id, n);
    return ump_send(c, sent, n);
}

/* Receive on `c`; true if it is message `id` of exactly `n` words. */
static bool recv_msg(struct ump_chan *c, uint32_t id, size_t n)
{
    size_t len = 12345;
    errval_t err = ump_recv(c, got, UMP_MSG_MAX_WORDS, &len);

    return err == SYS_ERR_OK && len == n && matches(got, id, n);
}

static uint32_t rng_state;

static uint32_t rnd(void)
{
    return host_xorshift32(&rng_state);
}

/* ---- set-up ------------------------------------------------------------ */

static void test_init_rejects_bad_arguments(void)
{
    struct ump_chan c;

    CU_ASSERT_EQUAL(ump_chan_init(NULL, frame, sizeof(frame), UMP_SIDE_A), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_chan_init(&c, NULL, sizeof(frame), UMP_SIDE_A), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, sizeof(frame), (enum ump_side)2), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame + 4, 8192 + 1024, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame + 32, 8192 + 1024, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, sizeof(frame) - 64, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, UMP_CHAN_MIN_BYTES - 128, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, 4096, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, 0, UMP_SIDE_A), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, UMP_CHAN_MAX_BYTES + 128, UMP_SIDE_B), LIB_ERR_UMP_BUF);
    CU_ASSERT_EQUAL(ump_chan_init(&c, frame, (size_t)-128, UMP_SIDE_B), LIB_ERR_UMP_BUF);
}

/* The smallest and the largest channel each carry a longest message in
 * both directions; the smallest has room for exactly one. */
static void test_smallest_and_largest_channel(void)
{
    size_t sizes[2] = { UMP_CHAN_MIN_BYTES, UMP_CHAN_MAX_BYTES };

    for (int s = 0; s < 2; s++) {
        unsigned char *buf = aligned_alloc(64, sizes[s]);
        struct ump_chan x, y;
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        CU_ASSERT_EQUAL(ump_chan_init(&x, buf, sizes[s], UMP_SIDE_A), SYS_ERR_OK);
        CU_ASSERT_EQUAL(ump_chan_init(&y, buf, sizes[s], UMP_SIDE_B), SYS_ERR_OK);
        CU_ASSERT_EQUAL(x.nslots, sizes[s] / 128 - 1);
        for (uint32_t round = 0; round < 3; round++) {
            CU_ASSERT_EQUAL(send_msg(&x, round, UMP_MSG_MAX_WORDS), SYS_ERR_OK);
            CU_ASSERT_EQUAL(send_msg(&y, round + 100, UMP_MSG_MAX_WORDS), SYS_ERR_OK);
            if (s == 0) {
                CU_ASSERT_EQUAL(send_msg(&x, 7, 0), LIB_ERR_UMP_FULL);
            }
            CU_ASSERT_TRUE(recv_msg(&y, round, UMP_MSG_MAX_WORDS));
            CU_ASSERT_TRUE(recv_msg(&x, round + 100, UMP_MSG_MAX_WORDS));
        }
        free(buf);
    }
}

static void test_call_argument_errors(void)
{
    size_t n = 99;

    CU_ASSERT_EQUAL(ump_send(NULL, sent, 1), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_send(&end_a, NULL, 1), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_send(&end_a, sent, UMP_MSG_MAX_WORDS + 1), LIB_ERR_UMP_SEND_TOO_LONG);
    CU_ASSERT_EQUAL(ump_send(&end_a, sent, (size_t)-1), LIB_ERR_UMP_SEND_TOO_LONG);
    CU_ASSERT_FALSE(ump_can_send(&end_a, UMP_MSG_MAX_WORDS + 1));
    CU_ASSERT_FALSE(ump_can_send(NULL, 0));
    CU_ASSERT_FALSE(ump_can_recv(&end_b));       /* none of the above sent anything */
    CU_ASSERT_EQUAL(ump_recv(NULL, got, 4, &n), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_recv(&end_b, got, 4, NULL), LIB_ERR_UMP_ARGS);
    CU_ASSERT_EQUAL(ump_recv(&end_b, NULL, 4, &n), LIB_ERR_UMP_ARGS);
    CU_ASSERT_FALSE(ump_can_recv(NULL));
    /* an empty message needs no words at either end */
    CU_ASSERT_EQUAL(ump_send(&end_a, NULL, 0), SYS_ERR_OK);
    CU_ASSERT_TRUE(ump_can_recv(&end_b));
    CU_ASSERT_EQUAL(ump_recv(&end_b, NULL, 0, &n), SYS_ERR_OK);
    CU_ASSERT_EQUAL(n, 0);
}

/* ---- empty, full, boundaries -------------------------------------------- */

/* Nothing sent, or everything received: EMPTY, *nwords 0, nothing consumed. */
static void test_empty(void)
{
    size_t n = 77;

    for (int i = 0; i < 3; i++) {
        CU_ASSERT_FALSE(ump_can_recv(&end_b));
        CU_ASSERT_EQUAL(ump_recv(&end_b, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
        CU_ASSERT_EQUAL(n, 0);
        CU_ASSERT_EQUAL(end_b.rx_count, (uint32_t)i * 2);
        CU_ASSERT_EQUAL(send_msg(&end_a, 1, 20), SYS_ERR_OK);
        CU_ASSERT_TRUE(ump_can_recv(&end_b));
        CU_ASSERT_FALSE(ump_can_recv(&end_a));      /* the other direction is still empty */
        CU_ASSERT_TRUE(recv_msg(&end_b, 1, 20));
    }
    CU_ASSERT_EQUAL(ump_recv(&end_a, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
}

/* One-slot messages: NSLOTS go in, the next is FULL and changes no byte of
 * the frame; each message received makes room for exactly one more. */
static void test_full_exactly_when_no_slot(void)
{
    static unsigned char before[UMP_CHAN_BYTES];

    for (uint32_t i = 0; i < NSLOTS; i++) {
        CU_ASSERT_TRUE(ump_can_send(&end_a, UMP_PAYLOAD_WORDS));
        CU_ASSERT_EQUAL(send_msg(&end_a, i, i % (UMP_PAYLOAD_WORDS + 1)), SYS_ERR_OK);
    }
    memcpy(before, frame, sizeof(frame));
    CU_ASSERT_FALSE(ump_can_send(&end_a, 0));
    CU_ASSERT_EQUAL(send_msg(&end_a, 999, 0), LIB_ERR_UMP_FULL);
    CU_ASSERT_EQUAL(send_msg(&end_a, 999, UMP_MSG_MAX_WORDS), LIB_ERR_UMP_FULL);
    CU_ASSERT_EQUAL(memcmp(before, frame, sizeof(frame)), 0);
    /* the other direction is unaffected */
    CU_ASSERT_EQUAL(send_msg(&end_b, 5, 3), SYS_ERR_OK);
    CU_ASSERT_TRUE(recv_msg(&end_a, 5, 3));
    for (uint32_t i = 0; i < 2 * NSLOTS; i++) {
        CU_ASSERT_TRUE(recv_msg(&end_b, i, i % (UMP_PAYLOAD_WORDS + 1)));
        CU_ASSERT_EQUAL(send_msg(&end_a, NSLOTS + i, (NSLOTS + i) % (UMP_PAYLOAD_WORDS + 1)), SYS_ERR_OK);
        CU_ASSERT_EQUAL(send_msg(&end_a, 999, 1), LIB_ERR_UMP_FULL);
    }
}

/* Many-slot messages are all or nothing: with three slots free a 46-word
 * message (4 slots) is refused and writes nothing, 45 words fit. */
static void test_full_is_all_or_nothing(void)
{
    static unsigned char before[UMP_CHAN_BYTES];
    size_t lens[NSLOTS];
    uint32_t used = 0, id = 0;

    while (used < NSLOTS - 3) {                 /* 6-slot messages, then 1-slot */
        lens[id] = used + 6 <= NSLOTS - 3 ? 6 * UMP_PAYLOAD_WORDS : 1;
        used += (uint32_t)ump_msg_slots(lens[id]);
        CU_ASSERT_EQUAL(send_msg(&end_a, id, lens[id]), SYS_ERR_OK);
        id++;
    }
    memcpy(before, frame, sizeof(frame));
    for (size_t n = 3 * UMP_PAYLOAD_WORDS + 1; n <= UMP_MSG_MAX_WORDS; n += 7) {
        CU_ASSERT_FALSE(ump_can_send(&end_a, n));
        CU_ASSERT_EQUAL(send_msg(&end_a, 999, n), LIB_ERR_UMP_FULL);
    }
    CU_ASSERT_EQUAL(memcmp(before, frame, sizeof(frame)), 0);
    CU_ASSERT_TRUE(ump_can_send(&end_a, 3 * UMP_PAYLOAD_WORDS));
    lens[id] = 3 * UMP_PAYLOAD_WORDS;
    CU_ASSERT_EQUAL(send_msg(&end_a, id, lens[id]), SYS_ERR_OK);
    CU_ASSERT_FALSE(ump_can_send(&end_a, 0));
    for (uint32_t i = 0; i <= id; i++) {
        CU_ASSERT_TRUE(recv_msg(&end_b, i, lens[i]));
    }
    CU_ASSERT_TRUE(ump_can_send(&end_a, UMP_MSG_MAX_WORDS));
}

/* Every length from 0 to the limit arrives whole with its own length, in
 * both directions at once, fragments of messages in flight interleaved
 * with the other direction's. */
static void test_every_length_both_directions(void)
{
    for (uint32_t n = 0; n <= UMP_MSG_MAX_WORDS; n++) {
        uint32_t m = UMP_MSG_MAX_WORDS - n;
        CU_ASSERT_EQUAL_FATAL(send_msg(&end_a, n, n), SYS_ERR_OK);
        CU_ASSERT_EQUAL_FATAL(send_msg(&end_b, m + 5000, m), SYS_ERR_OK);
        CU_ASSERT_TRUE_FATAL(recv_msg(&end_a, m + 5000, m));
        CU_ASSERT_TRUE_FATAL(recv_msg(&end_b, n, n));
    }
}

/* Several fragmented messages queued each way, received in a different
 * interleaving: each receive returns exactly one message, in order. */
static void test_boundaries_interleaved(void)
{
    static const size_t lens_ab[] = { 16, 0, 15, 31, 1, 30, 45, 14, 200 };
    static const size_t lens_ba[] = { 29, 29, 1, 0, 0, 46, 600 };
    size_t n = 0;

    for (uint32_t i = 0; i < 9; i++) {
        CU_ASSERT_EQUAL(send_msg(&end_a, i, lens_ab[i]), SYS_ERR_OK);
        if (i < 7) {
            CU_ASSERT_EQUAL(send_msg(&end_b, 100 + i, lens_ba[i]), SYS_ERR_OK);
        }
    }
    for (uint32_t i = 0; i < 7; i++) {
        CU_ASSERT_TRUE(recv_msg(&end_a, 100 + i, lens_ba[i]));
    }
    CU_ASSERT_EQUAL(ump_recv(&end_a, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
    for (uint32_t i = 0; i < 9; i++) {
        CU_ASSERT_TRUE(recv_msg(&end_b, i, lens_ab[i]));
    }
    CU_ASSERT_EQUAL(ump_recv(&end_b, got, UMP_MSG_MAX_WORDS, &n), LIB_ERR_UMP_EMPTY);
}

/* A message longer than the buffer is dropped with its length, the
 * buffer past `max` is untouched, and the next message comes whole. */
static void test_recv_too_long_drops_message(void)
{
    uint32_t *small = malloc(19 * sizeof(uint32_t));
    size_t n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    CU_ASSERT_EQUAL(send_msg(&end_a, 1, 20), SYS_ERR_OK);
    CU_ASSERT_EQUAL(send_msg(&end_a, 2, 19), SYS_ERR_OK);
    CU_ASSERT_EQUAL(send_msg(&end_a, 3, 1), SYS_ERR_OK);
    CU_ASSERT_EQUAL(ump_recv(&end_b, small, 19, &n), LIB_ERR_UMP_RECV_TOO_LONG);
    CU_ASSERT_EQUAL(n, 20);
    CU_ASSERT_EQUAL(ump_recv(&end_b, small, 19, &n), SYS_ERR_OK);   /* exactly fits */
    CU_ASSERT_EQUAL(n, 19);
    CU_ASSERT_TRUE(matches(small, 2, 19));
    CU_ASSERT_EQUAL(ump_recv(&end_b, NULL, 0, &n), LIB_ERR_UMP_RECV_TOO_LONG);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(ump_recv(&end_b, small, 19, &n), LIB_ERR_UMP_EMPTY);
    CU_ASSERT_EQUAL(end_b.rx_count, 2 + 2 + 1);     /* every slot acknowledged */
    CU_ASSERT_EQUAL(end_b.rx->ack.consumed, 5);
    free(small);
}

/* ---- a long random run against a reference model ------------------------ */

/* One direction of the model: the FIFO of (id, length) in flight. */
struct model_dir {
    struct ump_chan *tx, *rx;
    uint32_t id[NSLOTS], len[NSLOTS];
    uint32_t head, count, slots, next_id, received;
};

/* A length: half over the whole range, half near the fragment sizes. */
static uint32_t random_length(void)
{
    uint32_t r = rnd();

    return (r & 1) ? (r >> 1) % (UMP_MSG_MAX_WORDS + 1)
                   : (r >> 1) % (3 * UMP_PAYLOAD_WORDS + 2);
}

/* Try one send; it must be FULL exactly when the model has no room. */
static bool model_send(struct model_dir *d)
{
    uint32_t n = random_length(), k = (uint32_t)ump_msg_slots(n);
    bool room = d->slots + k <= NSLOTS;
    errval_t err;

    if (ump_can_send(d->tx, n) != room) {
        return false;
    }
    err = send_msg(d->tx, d->next_id, n);
    if (!room) {
        return err == LIB_ERR_UMP_FULL;
    }
    d->id[(d->head + d->count) % NSLOTS] = d->next_id++;
    d->len[(d->head + d->count) % NSLOTS] = n;
    d->count++;
    d->slots += k;
    return err == SYS_ERR_OK;
}

/* Try one receive, sometimes into a short buffer; it must return the
 * model's oldest message (or TOO_LONG), or EMPTY exactly when it has none. */
static bool model_recv(struct model_dir *d)
{
    size_t max = rnd() % 16 == 0 ? rnd() % (UMP_MSG_MAX_WORDS + 1) : UMP_MSG_MAX_WORDS, n = 1;
    errval_t err = ump_recv(d->rx, got, max, &n);
    uint32_t id, len;

    if (d->count == 0) {
        return err == LIB_ERR_UMP_EMPTY && n == 0 && !ump_can_recv(d->rx);
    }
    id = d->id[d->head];
    len = d->len[d->head];
    d->head = (d->head + 1) % NSLOTS;
    d->count--;
    d->slots -= (uint32_t)ump_msg_slots(len);
    d->received++;
    if (len > max) {
        return err == LIB_ERR_UMP_RECV_TOO_LONG && n == len;
    }
    return err == SYS_ERR_OK && n == len && matches(got, id, len);
}

/*
 * `per_dir` messages each way, sends and receives of both directions in
 * random order (a send stops once `per_dir` went out), every result
 * checked against the model. Returns the number of the first failing
 * step, or 0.
 */
static uint32_t run_model(uint32_t per_dir, uint32_t seed)
{
    static struct model_dir dirs[2];
    uint32_t step = 0;

    rng_state = seed;
    memset(dirs, 0, sizeof(dirs));
    dirs[0].tx = &end_a, dirs[0].rx = &end_b;
    dirs[1].tx = &end_b, dirs[1].rx = &end_a;
    while (dirs[0].received < per_dir || dirs[1].received < per_dir) {
        struct model_dir *d = &dirs[rnd() & 1];
        bool ok = (rnd() & 1) && d->next_id < per_dir ? model_send(d) : model_recv(d);
        step++;
        if (!ok) {
            return step;
        }
    }
    return 0;
}

/* 100,000 messages of random lengths: about 1.8 million slots, so each
 * ring wraps ~7,000 times and the sequence numbers ~14 times. */
static void test_random_model(void)
{
    CU_ASSERT_EQUAL(run_model(50000, 0x2545f491u), 0);
    CU_ASSERT_EQUAL(end_a.tx_count - end_b.rx_count, 0);
    CU_ASSERT_TRUE(end_a.tx_count > 700000 && end_b.tx_count > 700000);
}

/* The 32-bit counters wrap in the middle of a run (the ring size, 127,
 * does not divide 2^32: positions must not be derived from the counts). */
static void test_counters_wrap(void)
{
    const uint32_t start = 0xffffffffu - 300;

    end_a.tx_count = end_a.tx_acked = end_b.rx_count = start;
    end_b.tx_count = end_b.tx_acked = end_a.rx_count = start;
    end_a.tx_pos = end_b.rx_pos = 50;
    end_b.tx_pos = end_a.rx_pos = 126;
    end_a.tx->ack.consumed = end_b.tx->ack.consumed = start;
    CU_ASSERT_EQUAL(run_model(3000, 99), 0);
    CU_ASSERT_TRUE(end_a.tx_count < start);          /* it did wrap */
    CU_ASSERT_TRUE(end_b.tx_count < start);
}

/* ---- two threads ---------------------------------------------------------- */

#define THREAD_MSGS 40000u
#define THREAD_DEADLINE_S 60    /* a lost message must fail the test, not hang it */
#define LONG_MSGS 3000u

struct duplex {
    struct ump_chan *c;
    uint32_t seed;
    uint32_t peer_seed;
    uint32_t failures;
    uint32_t buf_out[UMP_MSG_MAX_WORDS], buf_in[UMP_MSG_MAX_WORDS];
};

static int duplex_stop;         /* set by the first thread that fails */

/* Length of message `i` of a stream seeded with `seed`. */
static uint32_t stream_len(uint32_t seed, uint32_t i)
{
    uint32_t x = (seed ^ (i * 0x9e3779b1u)) * 0x85ebca6bu;

    x ^= x >> 15;
    return (x & 3) == 0 ? x % (UMP_MSG_MAX_WORDS + 1) : x % (2 * UMP_PAYLOAD_WORDS + 1);
}

/* One non-blocking step of a duplex thread: try to send message `*out`,
 * try to receive message `*in` of the peer's stream and check it whole.
 * Returns true if either moved; counts every wrong result in failures. */
static bool duplex_step(struct duplex *d, uint32_t *out, uint32_t *in)
{
    bool moved = false;
    errval_t err;
    size_t n;

    if (*out < THREAD_MSGS) {
        uint32_t len = stream_len(d->seed, *out);
        fill(d->buf_out, d->seed + *out, len);
        err = ump_send(d->c, d->buf_out, len);
        d->failures += err != SYS_ERR_OK && err != LIB_ERR_UMP_FULL;
        moved = err == SYS_ERR_OK;
        *out += moved;
    }
    err = ump_recv(d->c, d->buf_in, UMP_MSG_MAX_WORDS, &n);
    if (err == SYS_ERR_OK) {
        uint32_t len = stream_len(d->peer_seed, *in);
        d->failures += n != len || !matches(d->buf_in, d->peer_seed + *in, len);
        (*in)++;
        moved = true;
    } else {
        d->failures += err != LIB_ERR_UMP_EMPTY;
    }
    return moved;
}

/*
 * One thread: send its THREAD_MSGS messages and receive the peer's, each
 * without blocking, yielding when neither moved. Stops at the first
 * failure (its own or the peer's) or after THREAD_DEADLINE_S seconds,
 * which counts as a failure.
 */
static void *duplex_thread(void *arg)
{
    struct duplex *d = arg;
    uint32_t out = 0, in = 0;
    time_t deadline = time(NULL) + THREAD_DEADLINE_S;

    while ((out < THREAD_MSGS || in < THREAD_MSGS)
           && !__atomic_load_n(&duplex_stop, __ATOMIC_RELAXED)) {
        if (!duplex_step(d, &out, &in)) {
            d->failures += time(NULL) > deadline;
            sched_yield();
        }
        if (d->failures != 0) {
            __atomic_store_n(&duplex_stop, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

/* Two threads, one per end, each a producer and a consumer at once. */
static void test_two_threads(void)
{
    static struct duplex da, db;
    pthread_t ta, tb;

    duplex_stop = 0;
    da = (struct duplex){ .c = &end_a, .seed = 0x1000000u, .peer_seed = 0x2000000u };
    db = (struct duplex){ .c = &end_b, .seed = 0x2000000u, .peer_seed = 0x1000000u };
    CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, duplex_thread, &da), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, duplex_thread, &db), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CU_ASSERT_EQUAL(da.failures, 0);
    CU_ASSERT_EQUAL(db.failures, 0);
    CU_ASSERT_EQUAL(duplex_stop, 0);
    CU_ASSERT_FALSE(ump_can_recv(&end_a));
    CU_ASSERT_FALSE(ump_can_recv(&end_b));
}

static int long_stop;           /* the receiver failed: the producer stops */

/* A producer of longest messages (69 slots each) for test_two_threads_long;
 * counts its failures in *arg. */
static void *long_producer(void *arg)
{
    uint32_t *words = malloc(UMP_MSG_MAX_WORDS * sizeof(uint32_t)), *fails = arg;
    time_t deadline = time(NULL) + THREAD_DEADLINE_S;

    for (uint32_t i = 0; words != NULL && i < LONG_MSGS && *fails == 0
                         && !__atomic_load_n(&long_stop, __ATOMIC_RELAXED); ) {
        errval_t err;
        fill(words, i, UMP_MSG_MAX_WORDS - i % 2);
        err = ump_send(&end_a, words, UMP_MSG_MAX_WORDS - i % 2);
        i += err == SYS_ERR_OK;
        *fails += (err != SYS_ERR_OK && err != LIB_ERR_UMP_FULL) || time(NULL) > deadline;
    }
    *fails += words == NULL;
    free(words);
    return NULL;
}

/*
 * The receiver spins on the head slot while longest messages are written:
 * it must never see a message before all its 69 slots are there (the
 * first fragment is published last), nor anything malformed.
 */
static void test_two_threads_long(void)
{
    static uint32_t producer_fails;
    uint32_t fails = 0, spins = 0;
    time_t deadline = time(NULL) + THREAD_DEADLINE_S;
    pthread_t t;

    producer_fails = 0;
    long_stop = 0;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, long_producer, &producer_fails), 0);
    for (uint32_t i = 0; i < LONG_MSGS && fails == 0; ) {
        size_t n;
        errval_t err = ump_recv(&end_b, got, UMP_MSG_MAX_WORDS, &n);
        if (err == SYS_ERR_OK) {
            fails += n != UMP_MSG_MAX_WORDS - i % 2 || !matches(got, i, n);
            i++;
        } else {
            fails += err != LIB_ERR_UMP_EMPTY || time(NULL) > deadline;
            if (++spins % 4096 == 0) {
                sched_yield();
            }
        }
    }
    __atomic_store_n(&long_stop, fails != 0, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(fails, 0);
    CU_ASSERT_EQUAL(producer_fails, 0);
}

HOST_SUITE(ump_suite, "ump: cross-core message rings, two honest ends",
           NULL, NULL, setup,
           HOST_TEST(test_init_rejects_bad_arguments),
           HOST_TEST(test_smallest_and_largest_channel),
           HOST_TEST(test_call_argument_errors),
           HOST_TEST(test_empty),
           HOST_TEST(test_full_exactly_when_no_slot),
           HOST_TEST(test_full_is_all_or_nothing),
           HOST_TEST(test_every_length_both_directions),
           HOST_TEST(test_boundaries_interleaved),
           HOST_TEST(test_recv_too_long_drops_message),
           HOST_TEST(test_random_model),
           HOST_TEST(test_counters_wrap),
           HOST_TEST(test_two_threads),
           HOST_TEST(test_two_threads_long))
