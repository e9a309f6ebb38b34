/*
 * Trace replay's building blocks (bench/trace/): the text-trace converter
 * and its error messages, the LZ77 packing, the module checks and the
 * op-stream reader, and a whole replay on the host's malloc with every
 * object's bytes checked.
 */
#include "host_suite.h"
#include "../../../bench/trace/trace_convert.h"
#include "../../../bench/trace/trace_replay.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The replay core's platform: host memory, no RAM figure, no clock. */
void *trace_platform_buffer(size_t bytes)
{
    return calloc(1, bytes);
}

void trace_platform_unbuffer(void *buffer, size_t bytes)
{
    (void)bytes;
    free(buffer);
}

uint64_t trace_platform_ram(void)
{
    return 0;
}

uint64_t trace_platform_ticks(void)
{
    return 0;
}

/* Convert `text` (lines separated by '\n'); the first error, or NULL with
 * *module set (malloc'ed). The message is copied to `err`. */
static const char *convert(const char *text, uint8_t **module, size_t *bytes, char *err)
{
    struct trace_conv *c = trace_conv_new("test");
    const char *why = NULL, *p = text;

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    while (why == NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        why = trace_conv_line(c, p, len);
        p += len + (nl != NULL);
    }
    if (why == NULL) {
        why = trace_conv_finish(c, module, bytes);
    }
    if (why != NULL) {
        snprintf(err, 200, "%s", why);
        why = err;
    }
    trace_conv_free(c);
    return why;
}

static void test_convert_counts(void)
{
    static const char text[] =
        "a 10 100\n"            /* 100 live */
        "a 11 5000\r\n"         /* 5100, CRLF is fine */
        "r 10 12 300  \n"       /* 5300, trailing blanks are fine */
        "f 11\n"                /* 300 */
        "a 13 16\n"             /* 316: takes 11's slot */
        "a 14 7\n";             /* 323 */
    uint8_t *m;
    size_t bytes;
    char err[200];
    const struct trace_header *h;

    CU_ASSERT_PTR_NULL_FATAL(convert(text, &m, &bytes, err));
    h = (const struct trace_header *)m;
    CU_ASSERT_PTR_NULL(trace_check_module(m, bytes));
    CU_ASSERT_STRING_EQUAL(h->name, "test");
    CU_ASSERT_EQUAL(h->ops, 6);
    CU_ASSERT_EQUAL(h->allocs, 4);
    CU_ASSERT_EQUAL(h->frees, 1);
    CU_ASSERT_EQUAL(h->reallocs, 1);
    CU_ASSERT_EQUAL(h->slots, 3);              /* never more than 3 live at once */
    CU_ASSERT_EQUAL(h->peak_live, 5300);
    CU_ASSERT_EQUAL(h->peak_op, 3);
    CU_ASSERT_EQUAL(h->end_live, 323);
    CU_ASSERT_EQUAL(h->sizes, 5);
    CU_ASSERT_EQUAL(trace_size_table(h)[0], 7);   /* ties: smallest first */
    free(m);
}

/* Each bad line is refused with its line number and what is wrong. */
static void test_convert_errors(void)
{
    static const struct { const char *text, *want; } cases[] = {
        { "a 1 5\n\nf 1\n", "line 2: empty line" },
        { "a 1 5\nx 1\n", "line 2: unknown operation 'x'" },
        { "a 1 5\nalloc 2 5\n", "line 2: unknown operation 'alloc'" },
        { "a 1\n", "line 1: too few fields for 'a ID SIZE'" },
        { "a 1 5 6\n", "line 1: too many fields for 'a ID SIZE'" },
        { "f\n", "line 1: too few fields for 'f ID'" },
        { "a 1 5\nr 1 2\n", "line 2: too few fields for 'r OLD NEW SIZE'" },
        { "a 1 -5\n", "line 1: '-5' is not a number" },
        { "a 1 0x10\n", "line 1: '0x10' is not a number" },
        { "a 99999999999999999999 1\n", "line 1: number '99999999999999999999' is too large" },
        { "a 1 2147483648\n", "line 1: size 2147483648 is larger than a 32-bit replay" },
        { "a 1 5\na 1 6\n", "line 2: id 1 is allocated again (it was allocated at line 1" },
        { "a 1 5\nf 1\na 1 6\n", "line 3: id 1 is allocated again (it was freed at line 2" },
        { "a 1 5\nf 2\n", "line 2: free of id 2, which was never allocated" },
        { "a 1 5\nf 1\nf 1\n", "line 3: free of id 1, which was freed already at line 2" },
        { "r 1 2 5\n", "line 1: realloc of id 1, which was never allocated" },
        { "a 1 5\nr 1 2 6\nr 1 3 7\n", "line 3: realloc of id 1, which was freed already at line 2" },
        { "a 1 5\nr 1 1 6\n", "line 2: realloc of id 1 to the same id" },
        { "a 1 5\na 2 5\nr 1 2 6\n", "line 3: id 2 is allocated again" },
        { "", "the trace has no operations" },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *m = NULL;
        size_t bytes;
        char err[200];
        const char *why = convert(cases[i].text, &m, &bytes, err);
        CU_ASSERT_PTR_NOT_NULL(why);
        if (why != NULL && strncmp(why, cases[i].want, strlen(cases[i].want)) != 0) {
            fprintf(stderr, "case %u: got '%s', want '%s...'\n", i, why, cases[i].want);
            CU_FAIL("wrong message");
        }
        CU_ASSERT_PTR_NULL(m);
    }
}

/* Pack and unpack give the input back, for sizes around every boundary
 * of the format (nibble overflow at 15 and 255 + 15). */
static void test_lz_round_trip(void)
{
    static const size_t lengths[] = { 0, 1, 3, 4, 5, 15, 16, 270, 271, 5000, 100000 };
    uint32_t seed = 7;

    for (unsigned k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        for (int kind = 0; kind < 3; kind++) {
            size_t n = lengths[k];
            uint8_t *in = malloc(n + 1), *packed = malloc(trace_lz_bound(n)), *out = malloc(n + 1);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                in[i] = kind == 0 ? (uint8_t)(seed >> 24)             /* no repeats */
                        : kind == 1 ? (uint8_t)(i % 7)                /* short period */
                        : (uint8_t)((i / 300) & ((seed >> 20) & 1 ? 0xff : 0x3)); /* runs */
            }
            size_t p = trace_lz_pack(in, n, packed);
            CU_ASSERT(p > 0 && p <= trace_lz_bound(n));
            CU_ASSERT_PTR_NULL(trace_lz_unpack(packed, p, out, n));
            CU_ASSERT(n == 0 || memcmp(in, out, n) == 0);
            if (kind == 1 && n >= 5000) {
                CU_ASSERT(p < n / 20);                               /* it does pack */
            }
            free(in);
            free(packed);
            free(out);
        }
    }
}

/* A corrupt packed stream is refused, never followed out of its buffers. */
static void test_lz_corrupt(void)
{
    uint8_t out[64];
    static const uint8_t no_end[] = { 0xf0 };                 /* 15+ literals, no count */
    static const uint8_t too_many[] = { 0x30, 'a', 'b' };     /* 3 literals, 2 given */
    static const uint8_t zero_offset[] = { 0x10, 'a', 0, 0 };
    static const uint8_t before_start[] = { 0x10, 'a', 2, 0 };
    static const uint8_t long_match[] = { 0x1f, 'a', 1, 0, 200 };   /* 1 + 4+15+200 > 64 */
    static const uint8_t half_offset[] = { 0x10, 'a', 1 };
    static const uint8_t good[] = { 0x13, 'a', 1, 0 };                /* "a" + 7 x 'a' */

    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(no_end, sizeof(no_end), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(too_many, sizeof(too_many), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(zero_offset, sizeof(zero_offset), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(before_start, sizeof(before_start), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(long_match, sizeof(long_match), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(half_offset, sizeof(half_offset), out, 64));
    CU_ASSERT_PTR_NOT_NULL(trace_lz_unpack(good, sizeof(good), out, 7));   /* too short */
    CU_ASSERT_PTR_NULL(trace_lz_unpack(good, sizeof(good), out, 8));
    CU_ASSERT_EQUAL(memcmp(out, "aaaaaaaa", 8), 0);
}

/* A module of one op stream, written by hand: a header, a size table
 * {16} and the stream packed. */
static uint8_t *hand_module(const uint8_t *stream, size_t n, uint32_t ops, uint32_t slots,
                            size_t *bytes)
{
    struct trace_header h;
    uint8_t *m = calloc(1, sizeof(h) + 4 + trace_lz_bound(n));
    uint32_t size16 = 16;
    size_t p = trace_lz_pack(stream, n, m + sizeof(h) + 4);

    memset(&h, 0, sizeof(h));
    h.magic = TRACE_MAGIC;
    h.header_bytes = sizeof(h);
    strcpy(h.name, "hand");
    h.ops = ops;
    h.allocs = ops;
    h.slots = slots;
    h.sizes = 1;
    h.stream_bytes = (uint32_t)n;
    h.packed_bytes = (uint32_t)p;
    memcpy(m, &h, sizeof(h));
    memcpy(m + sizeof(h), &size16, 4);
    *bytes = sizeof(h) + 4 + p;
    return m;
}

/* The reader refuses what the header does not allow, naming the record. */
static void test_reader_refuses(void)
{
    /* alloc (slot 0), free slot 1 (empty) */
    static const uint8_t bad_free[] = { 0x00, 0x41 };
    /* alloc, alloc with only one slot in the header */
    static const uint8_t two_live[] = { 0x00, 0x00 };
    /* alloc with size index 1 (the table has one entry) */
    static const uint8_t bad_size[] = { 0x01 };
    /* record kind 3 */
    static const uint8_t bad_kind[] = { 0xc0 };
    static const struct { const uint8_t *s; size_t n; uint32_t ops, slots, line; } cases[] = {
        { bad_free, 2, 2, 2, 2 }, { two_live, 2, 2, 1, 2 }, { bad_size, 1, 1, 1, 1 },
        { bad_kind, 1, 1, 1, 1 },
    };
    struct trace_result res;

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bytes;
        uint8_t *m = hand_module(cases[i].s, cases[i].n, cases[i].ops, cases[i].slots, &bytes);
        CU_ASSERT_PTR_NULL(trace_check_module(m, bytes));
        CU_ASSERT_EQUAL(trace_replay(m, bytes, true, &res), -1);
        CU_ASSERT_EQUAL(res.fail_line, cases[i].line);
        free(m);
    }
}

/* Module checks: wrong magic, cut short, a header that lies. */
static void test_module_checks(void)
{
    uint8_t *m;
    size_t bytes;
    char err[200];
    struct trace_header *h;
    struct trace_result res;

    CU_ASSERT_PTR_NULL_FATAL(convert("a 1 5\na 2 9\nf 1\n", &m, &bytes, err));
    h = (struct trace_header *)m;
    CU_ASSERT_PTR_NOT_NULL(trace_check_module(m, sizeof(*h) - 1));
    CU_ASSERT_PTR_NOT_NULL(trace_check_module(m, bytes - 1));      /* packed stream cut */
    h->sizes = 1u << 30;
    CU_ASSERT_PTR_NOT_NULL(trace_check_module(m, bytes));
    h->sizes = 2;
    h->magic ^= 1;
    CU_ASSERT_PTR_NOT_NULL(trace_check_module(m, bytes));
    h->magic ^= 1;
    h->end_live = 5;                    /* really 9 */
    CU_ASSERT_EQUAL(trace_replay(m, bytes, true, &res), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "disagree"));
    h->end_live = 9;
    CU_ASSERT_EQUAL(trace_replay(m, bytes, true, &res), 0);
    free(m);
}

/* A few thousand random records replayed on the host's malloc, every
 * object's bytes checked at its free and at the end; samples in order. */
static void test_replay_random(void)
{
    char *text = malloc(1 << 20), *o = text, err[200];
    uint64_t live_ids[300];
    unsigned nlive = 0;
    uint64_t next = 1;
    uint32_t seed = 3;
    uint8_t *m;
    size_t bytes;
    struct trace_result *res = malloc(sizeof(*res));

    for (int i = 0; i < 6000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8, size = 1 + (r >> 4) % ((r & 3) == 0 ? 70000 : 600);
        if (nlive > 0 && ((r & 7) < 3 || nlive == 300)) {
            unsigned k = (r >> 3) % nlive;
            o += sprintf(o, "f %llu\n", (unsigned long long)live_ids[k]);
            live_ids[k] = live_ids[--nlive];
        } else if (nlive > 0 && (r & 7) == 3) {
            unsigned k = (r >> 3) % nlive;
            o += sprintf(o, "r %llu %llu %lu\n", (unsigned long long)live_ids[k],
                         (unsigned long long)next, (unsigned long)size);
            live_ids[k] = next++;
        } else {
            o += sprintf(o, "a %llu %lu\n", (unsigned long long)next, (unsigned long)size);
            live_ids[nlive++] = next++;
        }
    }
    CU_ASSERT_PTR_NULL_FATAL(convert(text, &m, &bytes, err));
    CU_ASSERT_EQUAL(trace_replay(m, bytes, true, res), 0);
    CU_ASSERT_EQUAL(res->ops, 6000);
    CU_ASSERT(res->nsamples >= TRACE_SAMPLES);
    for (uint32_t i = 1; i < res->nsamples; i++) {
        CU_ASSERT(res->samples[i].op >= res->samples[i - 1].op);
    }
    CU_ASSERT_EQUAL(res->samples[res->nsamples - 1].live, res->end_live);
    free(m);
    free(text);
    free(res);
}

HOST_SUITE(trace_suite, "trace replay: converter, packing, reader", NULL, NULL, NULL,
           HOST_TEST(test_convert_counts),
           HOST_TEST(test_convert_errors),
           HOST_TEST(test_lz_round_trip),
           HOST_TEST(test_lz_corrupt),
           HOST_TEST(test_reader_refuses),
           HOST_TEST(test_module_checks),
           HOST_TEST(test_replay_random))
