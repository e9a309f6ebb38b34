/*
 * Long answers in windows (rpc/rpc_window.c, include/aos/aos_rpc_wire.h):
 * the server's side packs the fragments of an answer, window by window,
 * and the client's reassembly (rpc_string_rx_feed) must get it whole.
 *
 * Every window is at most RPC_WINDOW messages counting the reply, only a
 * window's last fragment carries MORE, every fragment carries the answer's
 * op and sequence number, an answer that fits one window borrows the
 * caller's bytes (no heap), a longer one owns a copy (so the caller's
 * buffer may go away after the first window), and reset frees it.
 */
#include "host_suite.h"
#include <aos/aos_rpc_wire.h>
#include <stdlib.h>
#include <string.h>

extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_bytes(void)
{
    return __sanitizer_get_current_allocated_bytes != NULL
           ? __sanitizer_get_current_allocated_bytes() : 0;
}

/*
 * Send an answer of `len` bytes (op, seq 0x5a, 2 extra words) through a tx,
 * feeding every fragment to a fresh rx as a client would, with the source
 * buffer destroyed after the first window. Checks each message; returns
 * true if all held and the answer arrived whole with the extra words.
 */
static bool answer_round_trip(uint32_t op, uint32_t len)
{
    char *src = malloc(len ? len : 1), *expect = malloc(len ? len : 1), *got;
    const uint32_t extra[2] = { len, 0xabcd };
    struct rpc_string_tx tx = { 0 };
    struct rpc_string_rx rx = { 0 };
    uint32_t words[LMP_MSG_WORDS], nw, messages = 0, in_window = 0, got_len = 0;
    uint32_t nfrag = rpc_string_fragments(len);
    bool ok = true;

    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(expect);
    for (uint32_t i = 0; i < len; i++) {
        src[i] = expect[i] = (char)(1 + (i * 13u + len) % 251u);
    }
    ok = ok && err_is_ok(rpc_string_tx_start(&tx, op, 0x5a, src, len, extra, 2));
    ok = ok && tx.active && tx.owned == (nfrag + 1 > RPC_WINDOW);
    while ((nw = rpc_string_tx_next(&tx, words)) != 0) {
        bool more = (words[0] & RPC_FLAG_MORE) != 0;
        messages++;
        in_window++;
        ok = ok && RPC_HDR_OP(words[0]) == op && RPC_HDR_SEQ(words[0]) == 0x5a;
        ok = ok && !(words[0] & RPC_FLAG_REPLY) && nw <= LMP_MSG_WORDS;
        ok = ok && more == (messages % RPC_WINDOW == 0);
        ok = ok && rpc_string_rx_feed(&rx, words, nw)
                   == (messages == nfrag ? RPC_RX_DONE : RPC_RX_MORE);
        if (messages == 1 && tx.owned) {
            memset(src, 0, len);            /* the caller's buffer is gone */
        }
        if (more) {
            in_window = 0;                  /* the client pulls */
        }
    }
    in_window++;                            /* the reply */
    ok = ok && messages == nfrag && in_window <= RPC_WINDOW && tx.active;
    ok = ok && tx.nextra == 2 && tx.extra[0] == len && tx.extra[1] == 0xabcd;
    ok = ok && rpc_string_tx_next(&tx, words) == 0;    /* stays done */
    got = rpc_string_rx_take(&rx, &got_len);
    ok = ok && got != NULL && got_len == len && memcmp(got, expect, len) == 0;
    free(got);
    rpc_string_tx_reset(&tx);
    ok = ok && !tx.active && !tx.owned && tx.buf == NULL;
    free(src);
    free(expect);
    return ok;
}

static void test_answers_of_every_size(void)
{
    static const uint32_t lengths[] = {
        0, 1, 24, 25, 52, 192, 193, 220, 221, 248, 249, 255, 260, 1000, 4040, 65536,
    };
    size_t before = heap_bytes();

    for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        CU_ASSERT_TRUE(answer_round_trip(RPC_OP_PROC_VMBLOCKS, lengths[i]));
    }
    for (uint32_t len = 0; len < 700; len += 7) {
        CU_ASSERT_TRUE(answer_round_trip(RPC_OP_PROC_GET_NAME, len));
    }
    CU_ASSERT_EQUAL(heap_bytes(), before);
}

/* One window holds at most 7 fragments and the reply: 192 bytes (24 +
 * 6 x 28) go borrowed, one byte more needs a second window and a copy. */
static void test_window_boundary(void)
{
    char buf[300] = { 0 };
    struct rpc_string_tx tx = { 0 };
    uint32_t words[LMP_MSG_WORDS];
    size_t before = heap_bytes();

    CU_ASSERT_EQUAL(RPC_WINDOW, LMP_RING_SLOTS / 2);
    CU_ASSERT_EQUAL(rpc_string_fragments(192), RPC_WINDOW - 1);
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, RPC_OP_PROC_INFO, 1, buf, 192, NULL, 0),
                    SYS_ERR_OK);
    CU_ASSERT_FALSE(tx.owned);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    for (int i = 0; i < RPC_WINDOW - 1; i++) {
        CU_ASSERT_NOT_EQUAL(rpc_string_tx_next(&tx, words), 0);
        CU_ASSERT_FALSE(words[0] & RPC_FLAG_MORE);
    }
    CU_ASSERT_EQUAL(rpc_string_tx_next(&tx, words), 0);
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, RPC_OP_PROC_INFO, 1, buf, 193, NULL, 0),
                    SYS_ERR_OK);
    CU_ASSERT_TRUE(tx.owned);
    rpc_string_tx_reset(&tx);
    CU_ASSERT_EQUAL(heap_bytes(), before);
}

/* Bad arguments, restarts and resets leave nothing behind. */
static void test_errors_and_restart(void)
{
    static char big[4040];
    const uint32_t extra[6] = { 0 };
    struct rpc_string_tx tx = { 0 };
    uint32_t words[LMP_MSG_WORDS];
    size_t before = heap_bytes();

    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, 1, 1, big, 10, extra, 6), LIB_ERR_RPC_MALFORMED);
    CU_ASSERT_FALSE(tx.active);
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, 1, 1, big, RPC_STRING_MAX + 1, NULL, 0),
                    LIB_ERR_RPC_MALFORMED);
    CU_ASSERT_EQUAL(rpc_string_tx_next(&tx, words), 0);      /* inactive: nothing */
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, 1, 1, big, sizeof(big), NULL, 0), SYS_ERR_OK);
    CU_ASSERT_NOT_EQUAL(rpc_string_tx_next(&tx, words), 0);
    /* a new answer over an unfinished one drops the old copy */
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, 2, 2, big, sizeof(big), NULL, 0), SYS_ERR_OK);
    CU_ASSERT_EQUAL(tx.next, 0);
    rpc_string_tx_reset(&tx);
    rpc_string_tx_reset(&tx);                                   /* twice is harmless */
    CU_ASSERT_EQUAL(heap_bytes(), before);
}

/*
 * A server that must not allocate gives tx a fixed buffer: an answer
 * spanning windows is copied there (no heap, the caller's bytes may go
 * at once) and arrives whole; one longer than the buffer is refused
 * with LIB_ERR_RPC_STRING_TOO_LONG; resets keep the buffer.
 */
static void test_fixed_copy_buffer(void)
{
    static char fixed[600], src[700], expect[700];
    struct rpc_string_tx tx = { .fixed = fixed, .fixed_max = sizeof(fixed) };
    struct rpc_string_rx rx = { 0 };
    uint32_t words[LMP_MSG_WORDS], nw, got_len = 0;
    size_t before = heap_bytes();
    char *got;

    for (uint32_t i = 0; i < sizeof(src); i++) {
        src[i] = expect[i] = (char)('a' + i % 26);
    }
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, RPC_OP_PROC_INFO, 3, src, sizeof(src), NULL, 0),
                    LIB_ERR_RPC_STRING_TOO_LONG);
    CU_ASSERT_FALSE(tx.active);
    CU_ASSERT_PTR_EQUAL(tx.fixed, fixed);
    CU_ASSERT_EQUAL(rpc_string_tx_start(&tx, RPC_OP_PROC_INFO, 3, src, sizeof(fixed), NULL, 0),
                    SYS_ERR_OK);
    CU_ASSERT_FALSE(tx.owned);
    CU_ASSERT_PTR_EQUAL(tx.buf, fixed);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    memset(src, 0, sizeof(src));            /* the caller's buffer is gone */
    while ((nw = rpc_string_tx_next(&tx, words)) != 0) {
        rpc_string_rx_feed(&rx, words, nw);
    }
    got = rpc_string_rx_take(&rx, &got_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(got_len, sizeof(fixed));
    CU_ASSERT_EQUAL(memcmp(got, expect, sizeof(fixed)), 0);
    free(got);
    rpc_string_tx_reset(&tx);
    CU_ASSERT_PTR_EQUAL(tx.fixed, fixed);
    CU_ASSERT_EQUAL(tx.fixed_max, sizeof(fixed));
    CU_ASSERT_FALSE(tx.active);
    CU_ASSERT_EQUAL(heap_bytes(), before);
}

HOST_SUITE(rpc_window_suite, "rpc long answers in windows", NULL, NULL, NULL,
           HOST_TEST(test_answers_of_every_size),
           HOST_TEST(test_window_boundary),
           HOST_TEST(test_errors_and_restart),
           HOST_TEST(test_fixed_copy_buffer))
