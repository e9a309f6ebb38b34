/*
 * Text trace -> trace module (trace_convert.h), on the build machine.
 *
 * Lines are parsed and checked one by one; each becomes a record
 * {kind, slot, size} kept in memory. IDs map to slots through a hash table
 * that also remembers dead IDs (and where they died), so a double free or
 * a reused ID is reported with both lines. Slots are reused last-freed-
 * first, exactly as trace_read.c reuses them, so an alloc record need not
 * name its slot. finish() ranks the sizes by use (the commonest get the
 * one-byte indices), writes the op stream, packs it and prepends the
 * header.
 */
#include "trace_convert.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEAD UINT32_MAX                 /* id_entry.slot of a freed id */

struct id_entry {
    uint64_t id;
    uint32_t slot;                      /* its slot, or DEAD */
    uint32_t line;                      /* where it was allocated, or freed if DEAD */
    bool used;
};

struct size_count {
    uint32_t size, count, index;
};

struct trace_conv {
    char name[TRACE_NAME_LEN];
    char err[200];
    uint32_t line;                      /* lines seen */
    struct trace_op *ops;               /* one per line */
    size_t nops, cap_ops;
    struct id_entry *ids;               /* open addressing, power-of-two size */
    size_t nids, cap_ids;
    uint32_t *free_slots;               /* the free-slot stack */
    uint32_t nfree, fresh;
    uint32_t *slot_size;                /* size of the object in each slot */
    uint64_t live, peak_live;
    uint32_t peak_op;
    uint32_t kinds[3];
};

struct trace_conv *trace_conv_new(const char *name)
{
    struct trace_conv *c;

    if (strlen(name) >= TRACE_NAME_LEN || (c = calloc(1, sizeof(*c))) == NULL) {
        return NULL;
    }
    strcpy(c->name, name);
    c->cap_ids = 1024;
    c->ids = calloc(c->cap_ids, sizeof(*c->ids));
    if (c->ids == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void trace_conv_free(struct trace_conv *c)
{
    if (c != NULL) {
        free(c->ops);
        free(c->ids);
        free(c->free_slots);
        free(c->slot_size);
        free(c);
    }
}

static const char *fail(struct trace_conv *c, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (c->line != 0) {
        n = snprintf(c->err, sizeof(c->err), "line %lu: ", (unsigned long)c->line);
    }
    va_start(ap, fmt);
    vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
    va_end(ap);
    return c->err;
}

/* ---- the id table ---- */

static size_t id_hash(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

/* The entry of `id`, or the empty one where it would go. */
static struct id_entry *id_find(struct trace_conv *c, uint64_t id)
{
    size_t i = id_hash(id, c->cap_ids);

    while (c->ids[i].used && c->ids[i].id != id) {
        i = (i + 1) & (c->cap_ids - 1);
    }
    return &c->ids[i];
}

static bool id_grow(struct trace_conv *c)
{
    struct id_entry *old = c->ids;
    size_t old_cap = c->cap_ids;

    c->cap_ids *= 2;
    c->ids = calloc(c->cap_ids, sizeof(*c->ids));
    if (c->ids == NULL) {
        c->ids = old;
        c->cap_ids = old_cap;
        return false;
    }
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].used) {
            *id_find(c, old[i].id) = old[i];
        }
    }
    free(old);
    return true;
}

/* ---- parsing ---- */

/* The next blank-separated field of [*p, end); false if there is none. */
static bool field(const char **p, const char *end, const char **start, size_t *len)
{
    while (*p < end && (**p == ' ' || **p == '\t')) {
        (*p)++;
    }
    *start = *p;
    while (*p < end && **p != ' ' && **p != '\t') {
        (*p)++;
    }
    *len = (size_t)(*p - *start);
    return *len != 0;
}

/* A decimal number of at most 64 bits; NULL or what is wrong. */
static const char *number(struct trace_conv *c, const char *s, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return fail(c, "'%.*s' is not a number", (int)(len < 40 ? len : 40), s);
        }
        if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
            return fail(c, "number '%.*s' is too large", (int)(len < 40 ? len : 40), s);
        }
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return NULL;
}

static const char *size_value(struct trace_conv *c, uint64_t size)
{
    if (size > TRACE_MAX_SIZE) {
        return fail(c, "size %llu is larger than a 32-bit replay can ask for (%lu)",
                    (unsigned long long)size, (unsigned long)TRACE_MAX_SIZE);
    }
    return NULL;
}

static bool push_op(struct trace_conv *c, uint32_t kind, uint32_t slot, uint32_t size)
{
    if (c->nops == c->cap_ops) {
        size_t cap = c->cap_ops != 0 ? c->cap_ops * 2 : 4096;
        struct trace_op *ops = realloc(c->ops, cap * sizeof(*ops));
        if (ops == NULL) {
            return false;
        }
        c->ops = ops;
        c->cap_ops = cap;
    }
    c->ops[c->nops++] = (struct trace_op){ kind, slot, size };
    c->kinds[kind]++;
    return true;
}

/* A new live object `id` of `size` bytes (its entry is `e`, unused). */
static const char *born(struct trace_conv *c, struct id_entry *e, uint64_t id, uint32_t size)
{
    uint32_t slot;

    if (c->nfree > 0) {
        slot = c->free_slots[--c->nfree];
    } else {
        uint32_t *fs = realloc(c->free_slots, (c->fresh + 1) * sizeof(uint32_t));
        uint32_t *ss = fs == NULL ? NULL : realloc(c->slot_size, (c->fresh + 1) * sizeof(uint32_t));
        if (fs != NULL) {
            c->free_slots = fs;
        }
        if (ss == NULL) {
            return fail(c, "out of memory");
        }
        c->slot_size = ss;
        slot = c->fresh++;
    }
    *e = (struct id_entry){ id, slot, c->line, true };
    c->nids++;
    c->slot_size[slot] = size;
    c->live += size;
    return NULL;
}

/* The live object `id` (for a free or realloc), or an error. */
static const char *live_entry(struct trace_conv *c, uint64_t id, const char *what,
                              struct id_entry **out)
{
    struct id_entry *e = id_find(c, id);

    if (!e->used) {
        return fail(c, "%s of id %llu, which was never allocated", what,
                    (unsigned long long)id);
    }
    if (e->slot == DEAD) {
        return fail(c, "%s of id %llu, which was freed already at line %lu", what,
                    (unsigned long long)id, (unsigned long)e->line);
    }
    *out = e;
    return NULL;
}

/* An id that a line allocates must never have been seen. */
static const char *fresh_entry(struct trace_conv *c, uint64_t id, struct id_entry **out)
{
    struct id_entry *e;

    if (c->nids * 2 >= c->cap_ids && !id_grow(c)) {
        return fail(c, "out of memory");
    }
    e = id_find(c, id);
    if (e->used) {
        return fail(c, "id %llu is allocated again (it was %s at line %lu; ids are never "
                    "reused)", (unsigned long long)id, e->slot == DEAD ? "freed" : "allocated",
                    (unsigned long)e->line);
    }
    *out = e;
    return NULL;
}

static void died(struct trace_conv *c, struct id_entry *e)
{
    c->free_slots[c->nfree++] = e->slot;
    c->live -= c->slot_size[e->slot];
    e->slot = DEAD;
    e->line = c->line;
}

static const char *do_alloc(struct trace_conv *c, const uint64_t *v)
{
    struct id_entry *e;
    const char *why = size_value(c, v[1]);

    if (why == NULL && (why = fresh_entry(c, v[0], &e)) == NULL
        && (why = born(c, e, v[0], (uint32_t)v[1])) == NULL
        && !push_op(c, TRACE_ALLOC, e->slot, (uint32_t)v[1])) {
        why = fail(c, "out of memory");
    }
    return why;
}

static const char *do_free(struct trace_conv *c, const uint64_t *v)
{
    struct id_entry *e;
    const char *why = live_entry(c, v[0], "free", &e);

    if (why != NULL) {
        return why;
    }
    if (!push_op(c, TRACE_FREE, e->slot, 0)) {
        return fail(c, "out of memory");
    }
    died(c, e);
    return NULL;
}

/* r OLD NEW SIZE: NEW takes OLD's slot. */
static const char *do_realloc(struct trace_conv *c, const uint64_t *v)
{
    struct id_entry *old, *new;
    uint32_t slot;
    const char *why = size_value(c, v[2]);

    if (why == NULL && v[0] == v[1]) {
        why = fail(c, "realloc of id %llu to the same id (ids are never reused)",
                   (unsigned long long)v[0]);
    }
    if (why == NULL) {
        why = live_entry(c, v[0], "realloc", &old);
    }
    if (why == NULL) {
        why = fresh_entry(c, v[1], &new);       /* may move the table: look old up again */
    }
    if (why != NULL) {
        return why;
    }
    old = id_find(c, v[0]);
    slot = old->slot;
    if (!push_op(c, TRACE_REALLOC, slot, (uint32_t)v[2])) {
        return fail(c, "out of memory");
    }
    c->live -= c->slot_size[slot];
    old->slot = DEAD;
    old->line = c->line;
    *new = (struct id_entry){ v[1], slot, c->line, true };
    c->nids++;
    c->slot_size[slot] = (uint32_t)v[2];
    c->live += (uint32_t)v[2];
    return NULL;
}

const char *trace_conv_line(struct trace_conv *c, const char *line, size_t len)
{
    static const struct { char op; int fields; const char *form; } forms[] = {
        { 'a', 2, "a ID SIZE" }, { 'f', 1, "f ID" }, { 'r', 3, "r OLD NEW SIZE" },
    };
    const char *p = line, *end = line + len, *s;
    uint64_t v[3];
    size_t n;
    int k, got = 0;

    c->line++;
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    if (!field(&p, end, &s, &n)) {
        return fail(c, "empty line");
    }
    for (k = 0; k < 3 && !(n == 1 && s[0] == forms[k].op); k++) {
    }
    if (k == 3) {
        return fail(c, "unknown operation '%.*s' (expected a, f or r)", (int)(n < 40 ? n : 40), s);
    }
    while (field(&p, end, &s, &n)) {
        if (got == forms[k].fields) {
            return fail(c, "too many fields for '%s'", forms[k].form);
        }
        if (number(c, s, n, &v[got]) != NULL) {
            return c->err;
        }
        got++;
    }
    if (got != forms[k].fields) {
        return fail(c, "too few fields for '%s'", forms[k].form);
    }
    const char *why = k == 0 ? do_alloc(c, v) : k == 1 ? do_free(c, v) : do_realloc(c, v);
    if (why == NULL && c->live > c->peak_live) {
        c->peak_live = c->live;
        c->peak_op = (uint32_t)c->nops;
    }
    return why;
}

/* ---- the module ---- */

static int by_count(const void *a, const void *b)
{
    const struct size_count *x = a, *y = b;

    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return x->size < y->size ? -1 : x->size > y->size;
}

static int by_size(const void *a, const void *b)
{
    const struct size_count *x = a, *y = b;

    return x->size < y->size ? -1 : x->size > y->size;
}

/* The size table (most used first) and, sorted by size, the index of each. */
static struct size_count *rank_sizes(struct trace_conv *c, uint32_t *nsizes)
{
    struct size_count *sc = malloc((c->nops + 1) * sizeof(*sc));
    uint32_t n = 0;

    if (sc == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < c->nops; i++) {
        if (c->ops[i].kind != TRACE_FREE) {
            sc[n++] = (struct size_count){ c->ops[i].size, 1, 0 };
        }
    }
    qsort(sc, n, sizeof(*sc), by_size);
    uint32_t d = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (d > 0 && sc[d - 1].size == sc[i].size) {
            sc[d - 1].count++;
        } else {
            sc[d++] = sc[i];
        }
    }
    qsort(sc, d, sizeof(*sc), by_count);
    for (uint32_t i = 0; i < d; i++) {
        sc[i].index = i;
    }
    *nsizes = d;
    return sc;
}

static uint32_t size_index(const struct size_count *by_sz, uint32_t n, uint32_t size)
{
    uint32_t lo = 0, hi = n;

    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (by_sz[mid].size <= size) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return by_sz[lo].index;
}

static uint8_t *put_varint(uint8_t *o, uint32_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

static uint8_t *put_record(uint8_t *o, uint32_t kind, uint32_t v)
{
    *o++ = (uint8_t)(kind << 6 | (v < TRACE_INLINE_MAX ? v : TRACE_INLINE_MAX));
    return v < TRACE_INLINE_MAX ? o : put_varint(o, v - TRACE_INLINE_MAX);
}

/* The op stream (unpacked) into `out` (room for 11 bytes a record). */
static size_t write_stream(struct trace_conv *c, const struct size_count *by_sz,
                           uint32_t nsizes, uint8_t *out)
{
    uint8_t *o = out;

    for (size_t i = 0; i < c->nops; i++) {
        const struct trace_op *op = &c->ops[i];
        switch (op->kind) {
        case TRACE_ALLOC:
            o = put_record(o, TRACE_ALLOC, size_index(by_sz, nsizes, op->size));
            break;
        case TRACE_FREE:
            o = put_record(o, TRACE_FREE, op->slot);
            break;
        default:
            o = put_record(o, TRACE_REALLOC, op->slot);
            o = put_varint(o, size_index(by_sz, nsizes, op->size));
            break;
        }
    }
    return (size_t)(o - out);
}

const char *trace_conv_finish(struct trace_conv *c, uint8_t **module, size_t *bytes)
{
    struct size_count *sc;
    uint32_t nsizes;
    uint8_t *stream, *m;
    size_t stream_bytes, packed, head;
    struct trace_header h;

    c->line = 0;                        /* messages from here name no line */
    if (c->nops == 0) {
        return fail(c, "the trace has no operations");
    }
    if ((sc = rank_sizes(c, &nsizes)) == NULL) {
        return fail(c, "out of memory");
    }
    struct size_count *by_sz = malloc(nsizes * sizeof(*by_sz) + 1);
    stream = malloc(c->nops * 11);
    if (by_sz == NULL || stream == NULL) {
        free(sc);
        free(by_sz);
        free(stream);
        return fail(c, "out of memory");
    }
    memcpy(by_sz, sc, nsizes * sizeof(*by_sz));
    qsort(by_sz, nsizes, sizeof(*by_sz), by_size);
    stream_bytes = write_stream(c, by_sz, nsizes, stream);
    free(by_sz);

    head = sizeof(h) + nsizes * sizeof(uint32_t);
    m = malloc(head + trace_lz_bound(stream_bytes));
    packed = m != NULL ? trace_lz_pack(stream, stream_bytes, m + head) : 0;
    free(stream);
    if (packed == 0) {
        free(sc);
        free(m);
        return fail(c, "out of memory");
    }
    memset(&h, 0, sizeof(h));
    h.magic = TRACE_MAGIC;
    h.header_bytes = sizeof(h);
    memcpy(h.name, c->name, sizeof(h.name));
    h.ops = (uint32_t)c->nops;
    h.slots = c->fresh;
    h.sizes = nsizes;
    h.stream_bytes = (uint32_t)stream_bytes;
    h.packed_bytes = (uint32_t)packed;
    h.peak_op = c->peak_op;
    h.peak_live = c->peak_live;
    h.end_live = c->live;
    h.allocs = c->kinds[TRACE_ALLOC];
    h.frees = c->kinds[TRACE_FREE];
    h.reallocs = c->kinds[TRACE_REALLOC];
    memcpy(m, &h, sizeof(h));
    for (uint32_t i = 0; i < nsizes; i++) {
        memcpy(m + sizeof(h) + i * sizeof(uint32_t), &sc[i].size, sizeof(uint32_t));
    }
    free(sc);
    *module = m;
    *bytes = head + packed;
    return NULL;
}
