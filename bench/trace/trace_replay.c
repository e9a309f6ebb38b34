/*
 * The replay loop shared by Autarky's and Linux's trace replayers
 * (trace_replay.h). One run:
 *
 *   check the module; unpack its op stream into a platform buffer
 *   baseline = RAM the heap holds
 *   repeat: decode up to BATCH records (not timed)
 *           replay them in stretches timed with the counter, each stretch
 *           ending at a batch end, a sample point or the peak (not timed:
 *           the RAM measurement there)
 *   check the live bytes against the header; free everything (not timed)
 *
 * The timed loop (replay_stretch) is all malloc, free, realloc and the
 * writes of the new bytes: one store to the global position per record,
 * nothing else.
 */
#pragma GCC optimize("no-tree-loop-distribute-patterns")   /* fill is ours, not memset */

#include "trace_replay.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 4096

struct slot {
    uint8_t *p;
    uint32_t size;
};

/* The replayer's own memory (trace_platform_buffer): not the heap measured. */
struct tables {
    uint8_t *stream;                    /* the op stream, unpacked */
    uint32_t *stack;                    /* the reader's free-slot stack */
    uint8_t *flags;                     /* the reader's live flags */
};

static struct trace_op batch[BATCH];
static struct slot *slots;
static uint64_t live;
static uint32_t line_now;               /* the record being replayed, 1-based */
static uint32_t size_now;

uint64_t trace_permille(uint64_t ram, uint64_t live_bytes)
{
    return ram * 1000 / (live_bytes != 0 ? live_bytes : 1);
}

void trace_replay_where(uint32_t *line, uint32_t *size, uint64_t *live_bytes)
{
    *line = line_now;
    *size = size_now;
    *live_bytes = live;
}

/* The byte every object in `slot` is filled with. */
static inline uint8_t slot_value(uint32_t slot)
{
    return (uint8_t)(slot * 37u + 11u);
}

/* Write `n` bytes of `v` at p, a word at a time where aligned. */
static void fill(uint8_t *p, size_t n, uint8_t v)
{
    uint32_t w = v * 0x01010101u, *q;

    for (; n > 0 && ((uintptr_t)p & 3) != 0; n--) {
        *p++ = v;
    }
    for (q = (uint32_t *)p; n >= 16; n -= 16, q += 4) {
        q[0] = w;
        q[1] = w;
        q[2] = w;
        q[3] = w;
    }
    for (; n >= 4; n -= 4) {
        *q++ = w;
    }
    for (p = (uint8_t *)q; n > 0; n--) {
        *p++ = v;
    }
}

static bool intact(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

/* Replay ops[0..n) (timed by the caller); returns how many were done: n,
 * or fewer if malloc or realloc failed (the failed one is ops[result]). */
static uint32_t replay_stretch(const struct trace_op *ops, uint32_t n, uint32_t first_line,
                               bool verify, const char **why)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct trace_op *op = &ops[i];
        struct slot *s = &slots[op->slot];
        uint8_t v = slot_value(op->slot);
        uint8_t *p;

        line_now = first_line + i;
        size_now = op->size;
        if (verify && op->kind != TRACE_ALLOC && !intact(s->p, s->size, v)) {
            *why = "an object's bytes changed while it was live";
            return i;
        }
        switch (op->kind) {
        case TRACE_ALLOC:
            p = malloc(op->size);
            if (p == NULL && op->size != 0) {
                *why = "out of memory: malloc returned NULL";
                return i;
            }
            fill(p, op->size, v);
            s->p = p;
            s->size = op->size;
            live += op->size;
            break;
        case TRACE_FREE:
            free(s->p);
            live -= s->size;
            s->p = NULL;
            s->size = 0;
            break;
        default:
            p = realloc(s->p, op->size);
            if (p == NULL && op->size != 0) {
                *why = "out of memory: realloc returned NULL";
                return i;
            }
            if (op->size > s->size) {
                fill(p + s->size, op->size - s->size, v);
            }
            live += op->size;
            live -= s->size;
            s->p = p;
            s->size = op->size;
            break;
        }
    }
    return n;
}

static int failed(struct trace_result *res, uint32_t line, const char *fmt, const char *what)
{
    res->fail_line = line;
    snprintf(res->why, sizeof(res->why), fmt, what);
    return -1;
}

/* RAM the heap holds beyond what it held at the start. */
static uint64_t ram_since(uint64_t base)
{
    uint64_t ram = trace_platform_ram();

    return ram > base ? ram - base : 0;
}

static void sample(struct trace_result *res, uint32_t done, uint64_t base)
{
    struct trace_sample *s = &res->samples[res->nsamples];

    if (res->nsamples < TRACE_SAMPLES + 4) {
        s->op = done;
        s->live = live;
        s->ram = ram_since(base);
        res->nsamples++;
    }
}

/* The sizes of the replayer's tables (one more entry: never 0 bytes). */
#define STREAM_BYTES(h) ((size_t)(h)->stream_bytes + 1)
#define STACK_BYTES(h)  (((size_t)(h)->slots + 1) * sizeof(uint32_t))
#define FLAG_BYTES(h)   ((size_t)(h)->slots + 1)
#define SLOT_BYTES(h)   (((size_t)(h)->slots + 1) * sizeof(struct slot))

static void release_tables(const struct trace_header *h, struct tables *t)
{
    if (t->stream != NULL) {
        trace_platform_unbuffer(t->stream, STREAM_BYTES(h));
    }
    if (t->stack != NULL) {
        trace_platform_unbuffer(t->stack, STACK_BYTES(h));
    }
    if (t->flags != NULL) {
        trace_platform_unbuffer(t->flags, FLAG_BYTES(h));
    }
    if (slots != NULL) {
        trace_platform_unbuffer(slots, SLOT_BYTES(h));
        slots = NULL;
    }
}

/* Unpack the stream and set up the slot table and the reader. */
static int prepare(const struct trace_header *h, struct trace_reader *r,
                   struct tables *t, struct trace_result *res)
{
    const char *why;

    t->stream = trace_platform_buffer(STREAM_BYTES(h));
    t->stack = trace_platform_buffer(STACK_BYTES(h));
    t->flags = trace_platform_buffer(FLAG_BYTES(h));
    slots = trace_platform_buffer(SLOT_BYTES(h));
    if (t->stream == NULL || t->stack == NULL || t->flags == NULL || slots == NULL) {
        return failed(res, 0, "%s", "no memory for the replayer's own tables");
    }
    why = trace_lz_unpack(trace_packed(h), h->packed_bytes, t->stream, h->stream_bytes);
    if (why != NULL) {
        return failed(res, 0, "%s", why);
    }
    trace_reader_init(r, h, t->stream, t->stack, t->flags);
    return 0;
}

static void free_all(const struct trace_header *h)
{
    for (uint32_t i = 0; i < h->slots; i++) {
        free(slots[i].p);
        live -= slots[i].size;
        slots[i].p = NULL;
        slots[i].size = 0;
    }
}

/* Every live object still holds its bytes. */
static int check_all(const struct trace_header *h, struct trace_result *res)
{
    for (uint32_t i = 0; i < h->slots; i++) {
        if (slots[i].p != NULL && !intact(slots[i].p, slots[i].size, slot_value(i))) {
            return failed(res, 0, "%s", "at the end, an object's bytes changed while it was live");
        }
    }
    return 0;
}

/* The replay proper, on prepared tables. */
static int run(const struct trace_header *h, struct trace_reader *r, bool verify,
               struct trace_result *res)
{
    const char *why;
    uint64_t base;
    uint32_t done = 0, every, next_sample;
    int n;

    live = 0;
    every = h->ops / TRACE_SAMPLES > 0 ? h->ops / TRACE_SAMPLES : 1;
    next_sample = every;
    base = trace_platform_ram();
    sample(res, 0, base);
    while ((n = trace_read(r, batch, BATCH, &why)) > 0) {
        for (uint32_t i = 0; i < (uint32_t)n;) {
            uint32_t stop = (uint32_t)n, got;
            if (next_sample - done < stop - i) {
                stop = i + (next_sample - done);
            }
            if (h->peak_op > done && h->peak_op - done < stop - i) {
                stop = i + (h->peak_op - done);
            }
            uint64_t t0 = trace_platform_ticks();
            got = replay_stretch(batch + i, stop - i, done + 1, verify, &why);
            res->ticks += trace_platform_ticks() - t0;
            line_now = 0;                   /* between stretches: no line */
            done += got;
            if (got != stop - i) {
                return failed(res, done + 1, "%s", why);
            }
            i = stop;
            if (done == h->peak_op) {
                res->peak_live = live;
                res->peak_ram = ram_since(base);
                sample(res, done, base);
            }
            if (done == next_sample) {
                sample(res, done, base);
                next_sample += every;
            }
        }
    }
    if (n < 0) {
        return failed(res, r->done + 1, "%s", why);
    }
    res->end_live = live;
    res->end_ram = ram_since(base);
    sample(res, done, base);
    if (live != h->end_live || res->peak_live != h->peak_live) {
        return failed(res, 0, "%s", "live bytes in the replay disagree with the module's header");
    }
    return verify ? check_all(h, res) : 0;
}

int trace_replay(const void *module, size_t bytes, bool verify, struct trace_result *res)
{
    const struct trace_header *h = module;
    const char *why = trace_check_module(module, bytes);
    struct trace_reader r;
    struct tables t = { NULL, NULL, NULL };
    int rc;

    memset(res, 0, sizeof(*res));
    if (why != NULL) {
        return failed(res, 0, "%s", why);
    }
    memcpy(res->name, h->name, sizeof(res->name));
    res->ops = h->ops;
    res->peak_op = h->peak_op;
    rc = prepare(h, &r, &t, res);
    if (rc == 0) {
        rc = run(h, &r, verify, res);
        free_all(h);
    }
    release_tables(h, &t);
    return rc;
}
