/*
 * RPC wire format: string fragmentation on the client and reassembly on
 * the server (rpc/rpc_string.c, include/aos/aos_rpc_wire.h).
 *
 * Every message is handed to rpc_string_rx_feed as an exact-size heap copy
 * of its `nwords` words, and every string to the packer as an exact-size
 * heap copy without a terminating NUL, so AddressSanitizer reports any read
 * past either. Each malformed sequence expects its own LIB_ERR_RPC_* code
 * at the point the server would reply (RPC_RX_DONE), and afterwards the
 * same rx state must carry a fresh string through unharmed. The heap is
 * measured around transfers (ASan's allocator counter) so an abandoned
 * buffer shows up in the test itself, not only in LeakSanitizer at exit.
 */
#include "host_suite.h"
#include <aos/aos_rpc_wire.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libasan's live-heap counter (weak: absent without -fsanitize=address). */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static bool heap_counted(void)
{
    return __sanitizer_get_current_allocated_bytes != NULL;
}

static size_t heap_bytes(void)
{
    return heap_counted() ? __sanitizer_get_current_allocated_bytes() : 0;
}

/* Feed `nwords` words from an exact-size heap copy (at least one byte is
 * allocated, so even nwords == 0 gives ASan a buffer to guard). */
static enum rpc_rx_result feed(struct rpc_string_rx *rx, const uint32_t *words,
                               uint32_t nwords)
{
    uint32_t *copy = malloc(nwords ? nwords * sizeof(uint32_t) : 1);
    enum rpc_rx_result r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, words, nwords * sizeof(uint32_t));
    r = rpc_string_rx_feed(rx, copy, nwords);
    free(copy);
    return r;
}

/* Deterministic non-NUL bytes: an exact-size string of `len` bytes
 * (no terminator; caller frees). */
static char *make_bytes(uint32_t len, uint32_t seed)
{
    char *s = malloc(len ? len : 1);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (uint32_t i = 0; i < len; i++) {
        s[i] = (char)(1 + (i * 7u + seed) % 255u);
    }
    return s;
}

/* A FIRST message (plus `flags`) declaring `len` with `data_words` words of
 * `fill` bytes; returns nwords. */
static uint32_t first_msg(uint32_t *w, uint32_t flags, uint32_t len,
                          uint32_t data_words, uint8_t fill)
{
    memset(w, 0, LMP_MSG_WORDS * sizeof(uint32_t));
    w[0] = RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST | flags);
    w[1] = len;
    memset(&w[2], fill, data_words * sizeof(uint32_t));
    return 2 + data_words;
}

/* A following message (plus `flags`) with `data_words` words of `fill`. */
static uint32_t next_msg(uint32_t *w, uint32_t flags, uint32_t data_words, uint8_t fill)
{
    memset(w, 0, LMP_MSG_WORDS * sizeof(uint32_t));
    w[0] = RPC_HDR(RPC_OP_STRING, flags);
    memset(&w[1], fill, data_words * sizeof(uint32_t));
    return 1 + data_words;
}

/*
 * Pack `s` (length `len`) fragment by fragment, checking each message,
 * and feed the fragments to `rx`. Returns true if every check held and
 * the transfer ended with RPC_RX_DONE and no error; the string stays in
 * rx for rpc_string_rx_take.
 */
static bool send_string(struct rpc_string_rx *rx, const char *s, uint32_t len)
{
    uint32_t nfrag = rpc_string_fragments(len);
    uint32_t words[LMP_MSG_WORDS];
    bool ok = nfrag >= 1;

    for (uint32_t i = 0; i < nfrag && ok; i++) {
        bool first = i == 0, last = i + 1 == nfrag;
        uint32_t hdr_words = first ? 2 : 1;
        uint32_t room = first ? RPC_STRING_FIRST_BYTES : RPC_STRING_NEXT_BYTES;
        uint32_t start = first ? 0 : RPC_STRING_FIRST_BYTES + (i - 1) * RPC_STRING_NEXT_BYTES;
        uint32_t bytes = len - start < room ? len - start : room;
        uint32_t n;
        enum rpc_rx_result r;

        memset(words, 0xcc, sizeof(words));
        n = rpc_pack_string_fragment(s, len, i, words);
        /* header: op STRING, FIRST only on the first, LAST only on the last */
        ok = ok && RPC_HDR_OP(words[0]) == RPC_OP_STRING;
        ok = ok && RPC_HDR_FLAGS(words[0]) ==
                   ((first ? RPC_FLAG_FIRST : 0) | (last ? RPC_FLAG_LAST : 0));
        ok = ok && (words[0] & ~0xffffu) == 0;
        ok = ok && (!first || words[1] == len);
        /* exactly as many words as the data needs, never more than 8 */
        ok = ok && n == hdr_words + (bytes + 3) / 4 && n <= LMP_MSG_WORDS;
        /* only the last fragment may be short */
        ok = ok && (last || bytes == room);
        ok = ok && memcmp(&words[hdr_words], s + start, bytes) == 0;
        /* the padding in the last word is zero */
        for (uint32_t b = bytes; b < (n - hdr_words) * 4; b++) {
            ok = ok && ((const uint8_t *)&words[hdr_words])[b] == 0;
        }
        r = feed(rx, words, n);
        ok = ok && r == (last ? RPC_RX_DONE : RPC_RX_MORE);
        ok = ok && rx->active == !last;
    }
    ok = ok && err_no(rx->err) == SYS_ERR_OK;
    return ok;
}

/* Round trip of a `len`-byte string through a fresh rx: identical,
 * NUL-terminated, right length, and nothing left on the heap. */
static bool round_trip(uint32_t len, uint32_t seed)
{
    char *s = make_bytes(len, seed);
    struct rpc_string_rx rx = { 0 };
    size_t before = heap_bytes();
    uint32_t got_len = 0xdeadbeef;
    char *got;
    bool ok = send_string(&rx, s, len);

    got = rpc_string_rx_take(&rx, &got_len);
    ok = ok && got != NULL && got_len == len && memcmp(got, s, len) == 0
         && got[len] == '\0' && strlen(got) == len;
    ok = ok && rx.buf == NULL && !rx.active && rx.len == 0 && rx.got == 0;
    free(got);
    ok = ok && heap_bytes() == before;
    if (!ok) {
        printf("\n  round trip of %u bytes failed\n", len);
    }
    free(s);
    return ok;
}

/* The rx state, whatever an error left in it, carries a fresh 60-byte
 * string (no take or reset needed first). */
static void check_fresh_transfer(struct rpc_string_rx *rx)
{
    char *s = make_bytes(60, 3);
    uint32_t len = 0;
    char *got;

    CU_ASSERT_TRUE(send_string(rx, s, 60));
    got = rpc_string_rx_take(rx, &len);
    CU_ASSERT_PTR_NOT_NULL(got);
    if (got != NULL) {
        CU_ASSERT_EQUAL(len, 60);
        CU_ASSERT_EQUAL(memcmp(got, s, 60), 0);
        CU_ASSERT_EQUAL(got[60], '\0');
        free(got);
    }
    free(s);
}

/* The reply code of a finished transfer; the rx is then taken (no string)
 * and left reset. */
static enum errcode done_code(struct rpc_string_rx *rx)
{
    enum errcode c = err_no(rx->err);
    uint32_t len = 0xdeadbeef;
    char *s = rpc_string_rx_take(rx, &len);

    if (c != SYS_ERR_OK) {
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_EQUAL(len, 0xdeadbeef);
    }
    free(s);
    return c;
}

/* ---- fragment count ----------------------------------------------------------- */

static void test_fragment_count(void)
{
    CU_ASSERT_EQUAL(rpc_string_fragments(0), 1);
    CU_ASSERT_EQUAL(rpc_string_fragments(1), 1);
    CU_ASSERT_EQUAL(rpc_string_fragments(24), 1);
    CU_ASSERT_EQUAL(rpc_string_fragments(25), 2);
    CU_ASSERT_EQUAL(rpc_string_fragments(52), 2);
    CU_ASSERT_EQUAL(rpc_string_fragments(53), 3);
    CU_ASSERT_EQUAL(rpc_string_fragments(65536), 2341);
    CU_ASSERT_EQUAL(rpc_string_fragments(RPC_STRING_MAX), 37450);
}

/* The count is the least n whose capacity 24 + 28 (n - 1) holds len. */
static void test_fragment_count_is_minimal(void)
{
    bool ok = true;

    for (uint32_t len = 0; len <= 20000; len++) {
        uint32_t n = rpc_string_fragments(len);
        uint32_t cap = RPC_STRING_FIRST_BYTES + (n - 1) * RPC_STRING_NEXT_BYTES;
        ok = ok && n >= 1 && cap >= len
             && (n == 1 || cap - RPC_STRING_NEXT_BYTES < len);
    }
    CU_ASSERT_TRUE(ok);
}

/* ---- round trips ---------------------------------------------------------------- */

static void test_round_trip_short_lengths(void)
{
    bool ok = true;

    for (uint32_t len = 0; len <= 200; len++) {
        ok = round_trip(len, len) && ok;
    }
    CU_ASSERT_TRUE(ok);
}

static void test_round_trip_long_lengths(void)
{
    CU_ASSERT_TRUE(round_trip(4095, 1));
    CU_ASSERT_TRUE(round_trip(4096, 2));
    CU_ASSERT_TRUE(round_trip(65536, 3));
}

static void test_round_trip_max_length(void)
{
    CU_ASSERT_EQUAL(RPC_STRING_MAX, 1u << 20);
    CU_ASSERT_TRUE(round_trip(RPC_STRING_MAX, 4));
}

/* An empty string is one FIRST|LAST message of two words. */
static void test_empty_string_message(void)
{
    uint32_t words[LMP_MSG_WORDS];

    CU_ASSERT_EQUAL(rpc_pack_string_fragment("", 0, 0, words), 2);
    CU_ASSERT_EQUAL(words[0], RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST | RPC_FLAG_LAST));
    CU_ASSERT_EQUAL(words[1], 0);
}

/* Bytes past the declared length in the last word (up to 3) are padding:
 * not part of the string, whatever their value. */
static void test_padding_is_not_data(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n, len = 0;
    char *s;

    n = first_msg(w, RPC_FLAG_LAST, 5, 2, 'a');      /* 8 bytes, 3 of padding */
    ((uint8_t *)&w[2])[5] = 0xff;
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(err_no(rx.err), SYS_ERR_OK);
    s = rpc_string_rx_take(&rx, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_STRING_EQUAL(s, "aaaaa");
    free(s);
}

/* rpc_string_rx_take before the transfer has ended gives nothing and
 * drops the partial transfer. */
static void test_take_before_last(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n, len = 77;
    size_t before = heap_bytes();

    CU_ASSERT_PTR_NULL(rpc_string_rx_take(&rx, &len));     /* nothing at all */
    n = first_msg(w, 0, 100, 6, 'q');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    CU_ASSERT_PTR_NULL(rpc_string_rx_take(&rx, &len));
    CU_ASSERT_EQUAL(len, 77);
    CU_ASSERT_FALSE(rx.active);
    CU_ASSERT_PTR_NULL(rx.buf);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    check_fresh_transfer(&rx);
}

/* ---- malformed sequences ---------------------------------------------------------- */

/* A following fragment with no transfer active is answered at once,
 * with or without LAST. */
static void test_no_first(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;

    n = next_msg(w, 0, 7, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_NO_FIRST);
    check_fresh_transfer(&rx);

    n = next_msg(w, RPC_FLAG_LAST, 1, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_NO_FIRST);
    check_fresh_transfer(&rx);                    /* without a take in between */

    /* one after a finished transfer is also without FIRST */
    check_fresh_transfer(&rx);
    n = next_msg(w, RPC_FLAG_LAST, 2, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_NO_FIRST);
}

/* LAST before the declared length arrived. */
static void test_truncated(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;
    size_t before = heap_bytes();

    n = first_msg(w, RPC_FLAG_LAST, 25, 6, 'x');  /* one byte short */
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_TRUNCATED);
    check_fresh_transfer(&rx);

    n = first_msg(w, 0, 100, 6, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, 0, 7, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, RPC_FLAG_LAST, 7, 'x');       /* 80 of 100 */
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_FALSE(rx.active);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_TRUNCATED);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    check_fresh_transfer(&rx);

    /* an empty LAST right after FIRST */
    n = first_msg(w, 0, 30, 6, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, RPC_FLAG_LAST, 0, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_STRING_TRUNCATED);
    check_fresh_transfer(&rx);
}

/* More data than declared: reported at LAST, even when the surplus came in
 * an earlier fragment, and the buffer is never written past its end (ASan). */
static void test_overrun(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;
    size_t before = heap_bytes();

    /* a middle fragment beyond the length: no padding allowance there */
    n = first_msg(w, 0, 30, 6, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, 0, 7, 'x');                   /* 28 bytes, 6 fit */
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    CU_ASSERT_TRUE(rx.got <= rx.len);
    n = next_msg(w, 0, 7, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, RPC_FLAG_LAST, 7, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_TRUE(rx.got <= rx.len);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_OVERRUN);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    check_fresh_transfer(&rx);

    /* a short non-last fragment that ends in the last word of the string */
    n = first_msg(w, 0, 25, 6, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, 0, 1, 'x');                   /* 4 bytes for 1, not LAST */
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, RPC_FLAG_LAST, 0, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_OVERRUN);
    check_fresh_transfer(&rx);

    /* the whole string, then another LAST with data */
    n = first_msg(w, 0, 24, 6, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, RPC_FLAG_LAST, 1, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_STRING_OVERRUN);
    check_fresh_transfer(&rx);

    /* a zero-length string with data */
    n = first_msg(w, RPC_FLAG_LAST, 0, 1, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_OVERRUN);
    check_fresh_transfer(&rx);
}

/* The code a single FIRST|LAST message declaring `len` with `k` data words
 * must get: short is truncated, up to 3 bytes over is padding, more is
 * an overrun. */
static enum errcode expected_code(uint32_t len, uint32_t bytes)
{
    if (bytes < len) {
        return LIB_ERR_RPC_STRING_TRUNCATED;
    }
    return bytes - len <= 3 ? SYS_ERR_OK : LIB_ERR_RPC_STRING_OVERRUN;
}

/* Padding in the last word: every declared length against every word count,
 * in a FIRST|LAST message and in a following LAST message. */
static void test_padding_limits(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;
    bool ok = true;

    for (uint32_t len = 0; len <= RPC_STRING_FIRST_BYTES; len++) {
        for (uint32_t k = 0; k <= 6; k++) {
            enum errcode want = expected_code(len, 4 * k);
            n = first_msg(w, RPC_FLAG_LAST, len, k, 'p');
            ok = ok && feed(&rx, w, n) == RPC_RX_DONE;
            ok = ok && err_no(rx.err) == want;
            if (want == SYS_ERR_OK) {
                uint32_t got_len = 0;
                char *s = rpc_string_rx_take(&rx, &got_len);
                ok = ok && s != NULL && got_len == len && strlen(s) == len;
                free(s);
            }
            rpc_string_rx_reset(&rx);
        }
    }
    for (uint32_t more = 0; more <= RPC_STRING_NEXT_BYTES; more++) {
        for (uint32_t k = 0; k <= 7; k++) {
            enum errcode want = expected_code(more, 4 * k);
            n = first_msg(w, 0, RPC_STRING_FIRST_BYTES + more, 6, 'p');
            ok = ok && feed(&rx, w, n) == RPC_RX_MORE;
            n = next_msg(w, RPC_FLAG_LAST, k, 'p');
            ok = ok && feed(&rx, w, n) == RPC_RX_DONE;
            ok = ok && err_no(rx.err) == want;
            if (want == SYS_ERR_OK) {
                uint32_t got_len = 0;
                char *s = rpc_string_rx_take(&rx, &got_len);
                ok = ok && s != NULL && got_len == RPC_STRING_FIRST_BYTES + more
                     && strlen(s) == got_len;
                free(s);
            }
            rpc_string_rx_reset(&rx);
        }
    }
    CU_ASSERT_TRUE(ok);
    check_fresh_transfer(&rx);
}

/* A declared length over RPC_STRING_MAX is refused without allocating it,
 * and the following fragments (which do not fit the refused transfer) do
 * not turn the answer into an overrun. */
/* A server that must not allocate (a monitor) gives rx its own buffer:
 * a string that fits goes there, nothing on the heap, take returns that
 * buffer and the buffer stays set; one byte more is too long. */
static void test_fixed_buffer(void)
{
    static char fixed[61];
    struct rpc_string_rx rx = { .fixed = fixed, .fixed_max = 60 };
    char *s = make_bytes(61, 7);
    size_t before = heap_bytes();
    uint32_t len = 0;
    char *got;

    CU_ASSERT_TRUE(send_string(&rx, s, 60));
    CU_ASSERT_PTR_EQUAL(rx.buf, fixed);
    got = rpc_string_rx_take(&rx, &len);
    CU_ASSERT_PTR_EQUAL(got, fixed);
    CU_ASSERT_EQUAL(len, 60);
    CU_ASSERT_TRUE(memcmp(got, s, 60) == 0 && got[60] == '\0');
    CU_ASSERT_PTR_EQUAL(rx.fixed, fixed);
    CU_ASSERT_EQUAL(rx.fixed_max, 60);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    CU_ASSERT_FALSE(send_string(&rx, s, 61));
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_TOO_LONG);
    CU_ASSERT_PTR_NULL(rpc_string_rx_take(&rx, &len));
    CU_ASSERT_PTR_EQUAL(rx.fixed, fixed);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    free(s);
}

static void test_too_long(void)
{
    static const uint32_t lens[] = { RPC_STRING_MAX + 1, RPC_STRING_MAX + 4,
                                     0x7fffffffu, 0xfffffffeu, 0xffffffffu };
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t before = heap_bytes();

        n = first_msg(w, 0, lens[i], 6, 'x');
        CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
        CU_ASSERT_PTR_NULL(rx.buf);
        CU_ASSERT_TRUE(heap_bytes() - before < 4096);
        n = next_msg(w, 0, 7, 'x');
        CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
        n = next_msg(w, RPC_FLAG_LAST, 7, 'x');
        CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
        CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_STRING_TOO_LONG);
        CU_ASSERT_EQUAL(heap_bytes(), before);
        check_fresh_transfer(&rx);

        /* in a single FIRST|LAST message too */
        n = first_msg(w, RPC_FLAG_LAST, lens[i], 6, 'x');
        CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_DONE);
        CU_ASSERT_PTR_NULL(rx.buf);
        CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_STRING_TOO_LONG);
        CU_ASSERT_TRUE(heap_bytes() - before < 4096);
        check_fresh_transfer(&rx);
    }
}

/* A FIRST without its length word. */
static void test_first_too_short(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST | RPC_FLAG_LAST) };

    CU_ASSERT_EQUAL(feed(&rx, w, 1), RPC_RX_DONE);
    CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_MALFORMED);
    check_fresh_transfer(&rx);

    /* without LAST: answered at the LAST that follows */
    w[0] = RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST);
    CU_ASSERT_EQUAL(feed(&rx, w, 1), RPC_RX_MORE);
    CU_ASSERT_PTR_NULL(rx.buf);
    next_msg(w, 0, 7, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, 8), RPC_RX_MORE);
    next_msg(w, RPC_FLAG_LAST, 3, 'x');
    CU_ASSERT_EQUAL(feed(&rx, w, 4), RPC_RX_DONE);
    CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_MALFORMED);
    check_fresh_transfer(&rx);
}

/* A message of no words or of more than LMP carries. */
static void test_bad_word_count(void)
{
    static const uint32_t counts[] = { 0, LMP_MSG_WORDS + 1, 15, 0xffffffffu };
    uint32_t big[16];
    struct rpc_string_rx rx = { 0 };

    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        /* a message claiming 2^32 - 1 words must not be read at all: give
         * it 16 words to guard, ASan reports any read past them */
        uint32_t nw = counts[i] > 16 ? 16 : counts[i];
        uint32_t *words = malloc(nw ? nw * sizeof(uint32_t) : 1);
        size_t before = heap_bytes();

        CU_ASSERT_PTR_NOT_NULL_FATAL(words);
        first_msg(big, RPC_FLAG_LAST, 4, 1, 'x');
        memset(&big[3], 'x', sizeof(big) - 3 * sizeof(uint32_t));
        memcpy(words, big, nw * sizeof(uint32_t));

        /* idle */
        CU_ASSERT_EQUAL(rpc_string_rx_feed(&rx, words, counts[i]), RPC_RX_DONE);
        CU_ASSERT_EQUAL(done_code(&rx), LIB_ERR_RPC_MALFORMED);
        check_fresh_transfer(&rx);

        /* in the middle of a transfer, and no take afterwards */
        uint32_t w[LMP_MSG_WORDS], n = first_msg(w, 0, 100, 6, 'y');
        CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
        CU_ASSERT_EQUAL(rpc_string_rx_feed(&rx, words, counts[i]), RPC_RX_DONE);
        CU_ASSERT_EQUAL(err_no(rx.err), LIB_ERR_RPC_MALFORMED);
        check_fresh_transfer(&rx);
        CU_ASSERT_EQUAL(heap_bytes(), before);
        free(words);
    }
}

/* A new FIRST while a transfer is active starts over: the abandoned
 * buffer is freed and the new string comes through whole. */
static void test_new_first_restarts(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t w[LMP_MSG_WORDS], n;
    size_t before = heap_bytes();

#ifdef __SANITIZE_ADDRESS__
    CU_ASSERT_TRUE(heap_counted());               /* the heap checks are real */
#endif
    n = first_msg(w, 0, 4000, 6, 'a');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, 0, 7, 'a');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    CU_ASSERT_TRUE(rx.active);
    check_fresh_transfer(&rx);
    CU_ASSERT_EQUAL(heap_bytes(), before);

    /* abandoned twice in a row, then a long string */
    n = first_msg(w, 0, 1000, 6, 'b');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = first_msg(w, 0, 2000, 6, 'c');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    {
        char *s = make_bytes(5000, 9), *got;
        uint32_t len = 0;

        CU_ASSERT_TRUE(send_string(&rx, s, 5000));
        got = rpc_string_rx_take(&rx, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_EQUAL(len, 5000);
        CU_ASSERT_EQUAL(memcmp(got, s, 5000), 0);
        free(got);
        free(s);
    }
    CU_ASSERT_EQUAL(heap_bytes(), before);

    /* a new FIRST after an error in the abandoned transfer */
    n = first_msg(w, 0, 24, 6, 'd');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    n = next_msg(w, 0, 7, 'd');                    /* overrun */
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    check_fresh_transfer(&rx);

    /* abandoned, then dropped by reset */
    n = first_msg(w, 0, 4000, 6, 'e');
    CU_ASSERT_EQUAL(feed(&rx, w, n), RPC_RX_MORE);
    rpc_string_rx_reset(&rx);
    CU_ASSERT_FALSE(rx.active);
    CU_ASSERT_EQUAL(heap_bytes(), before);
    check_fresh_transfer(&rx);
}

/* ---- errval_t in reply words ----------------------------------------------------- */

static void test_err_round_trip(void)
{
    static const enum errcode codes[] = {
        SYS_ERR_SLOT_EMPTY, LIB_ERR_RPC_STRING_OVERRUN, LIB_ERR_RPC_SEND,
        LIB_ERR_RPC_NO_CHANNEL, LIB_ERR_RPC_MALFORMED, LIB_ERR_RPC_BAD_REPLY,
    };
    uint32_t words[LMP_MSG_WORDS];
    errval_t err = SYS_ERR_OK;

    memset(words, 0xcc, sizeof(words));
    rpc_put_err(&words[1], SYS_ERR_OK);
    CU_ASSERT_EQUAL(words[1], 0);
    CU_ASSERT_EQUAL(words[2], 0);
    CU_ASSERT_EQUAL(words[3], 0xcccccccc);         /* two words, no more */
    CU_ASSERT_TRUE(err_is_ok(rpc_get_err(&words[1])));

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        errval_t back, e;

        err = i == 0 ? (errval_t)codes[0] : err_push(err, codes[i]);
        memset(words, 0xcc, sizeof(words));
        rpc_put_err(&words[1], err);
        CU_ASSERT_EQUAL(words[0], 0xcccccccc);
        CU_ASSERT_EQUAL(words[3], 0xcccccccc);
        back = rpc_get_err(&words[1]);
        CU_ASSERT_EQUAL(back, err);
        /* the whole chain, newest first */
        e = back;
        for (size_t j = i + 1; j-- > 0;) {
            CU_ASSERT_EQUAL(err_no(e), codes[j]);
            e = err_pop(e);
        }
        CU_ASSERT_EQUAL(e, 0);
    }
    /* six codes use 60 bits: the high word carries the oldest causes */
    CU_ASSERT_NOT_EQUAL(err >> 32, 0);
    /* every bit pattern survives */
    rpc_put_err(&words[1], 0xfedcba9876543210ull);
    CU_ASSERT_EQUAL(words[1], 0x76543210u);
    CU_ASSERT_EQUAL(words[2], 0xfedcba98u);
    CU_ASSERT_EQUAL(rpc_get_err(&words[1]), 0xfedcba9876543210ull);
}

HOST_SUITE(rpc_wire_suite, "rpc wire: string fragments, reassembly, errors in replies",
           NULL, NULL, NULL,
           HOST_TEST(test_fragment_count),
           HOST_TEST(test_fragment_count_is_minimal),
           HOST_TEST(test_round_trip_short_lengths),
           HOST_TEST(test_round_trip_long_lengths),
           HOST_TEST(test_round_trip_max_length),
           HOST_TEST(test_empty_string_message),
           HOST_TEST(test_padding_is_not_data),
           HOST_TEST(test_take_before_last),
           HOST_TEST(test_no_first),
           HOST_TEST(test_truncated),
           HOST_TEST(test_overrun),
           HOST_TEST(test_padding_limits),
           HOST_TEST(test_too_long),
           HOST_TEST(test_fixed_buffer),
           HOST_TEST(test_first_too_short),
           HOST_TEST(test_bad_word_count),
           HOST_TEST(test_new_first_restarts),
           HOST_TEST(test_err_round_trip))
