/*
 * Reading a trace module (format in trace_format.h): the header's checks
 * and the op-stream decoder the replayers use. Nothing here trusts the
 * module: every count is checked against the bytes that hold it, and the
 * decoder keeps its own record of which slots are live, so a record that
 * frees an empty slot, or allocates beyond the table, is refused with its
 * line instead of being replayed.
 */
#include "trace_format.h"
#include <string.h>

const char *trace_check_module(const void *module, size_t bytes)
{
    const struct trace_header *h = module;
    size_t need;

    if (bytes < sizeof(*h) || h->magic != TRACE_MAGIC) {
        return "not a trace module (no ATR1 header)";
    }
    if (h->header_bytes != sizeof(*h)) {
        return "trace module of another version (header size differs)";
    }
    if (memchr(h->name, '\0', sizeof(h->name)) == NULL) {
        return "trace module: name not terminated";
    }
    if (h->sizes > (bytes - sizeof(*h)) / sizeof(uint32_t)) {
        return "trace module: size table runs past the end";
    }
    need = sizeof(*h) + h->sizes * sizeof(uint32_t);
    if (h->packed_bytes > bytes - need) {
        return "trace module: packed stream runs past the end";
    }
    for (uint32_t i = 0; i < h->sizes; i++) {
        if (trace_size_table(h)[i] > TRACE_MAX_SIZE) {
            return "trace module: a size is out of range";
        }
    }
    if (h->ops == 0 || h->peak_op > h->ops || h->allocs + h->frees + h->reallocs != h->ops) {
        return "trace module: counts disagree";
    }
    return NULL;
}

void trace_reader_init(struct trace_reader *r, const struct trace_header *h,
                       const uint8_t *stream, uint32_t *stack, uint8_t *live)
{
    r->h = h;
    r->pos = stream;
    r->end = stream + h->stream_bytes;
    r->done = 0;
    r->fresh = 0;
    r->stack_top = 0;
    r->stack = stack;
    r->live = live;
    memset(live, 0, h->slots);
}

/* A LEB128 varint of at most 32 bits. */
static int get_varint(struct trace_reader *r, uint32_t *out)
{
    uint32_t value = 0;

    for (unsigned shift = 0; shift < 35; shift += 7) {
        uint8_t b;
        if (r->pos == r->end) {
            return -1;
        }
        b = *r->pos++;
        if (shift == 28 && b > 0x0f) {
            return -1;                  /* more than 32 bits */
        }
        value |= (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = value;
            return 0;
        }
    }
    return -1;
}

/* The record's value: v, or 63 + the varint after it. */
static int get_value(struct trace_reader *r, uint32_t v, uint32_t *out)
{
    uint32_t extra;

    if (v < TRACE_INLINE_MAX) {
        *out = v;
        return 0;
    }
    if (get_varint(r, &extra) != 0 || extra > UINT32_MAX - TRACE_INLINE_MAX) {
        return -1;
    }
    *out = extra + TRACE_INLINE_MAX;
    return 0;
}

static int get_size(struct trace_reader *r, uint32_t index, uint32_t *size)
{
    if (index >= r->h->sizes) {
        return -1;
    }
    *size = trace_size_table(r->h)[index];
    return 0;
}

/* Decode one record into *op (slots checked, the stack kept). */
static const char *read_one(struct trace_reader *r, struct trace_op *op)
{
    uint8_t b = *r->pos++;
    uint32_t v;

    op->kind = b >> 6;
    if (get_value(r, b & 63u, &v) != 0) {
        return "malformed number";
    }
    switch (op->kind) {
    case TRACE_ALLOC:
        if (get_size(r, v, &op->size) != 0) {
            return "size index outside the size table";
        }
        if (r->stack_top > 0) {
            op->slot = r->stack[--r->stack_top];
        } else if (r->fresh < r->h->slots) {
            op->slot = r->fresh++;
        } else {
            return "more objects live than the header's slot count";
        }
        r->live[op->slot] = 1;
        return NULL;
    case TRACE_FREE:
    case TRACE_REALLOC:
        if (v >= r->h->slots || !r->live[v]) {
            return "free or realloc of a slot that holds no object";
        }
        op->slot = v;
        if (op->kind == TRACE_FREE) {
            r->live[v] = 0;
            r->stack[r->stack_top++] = v;
            op->size = 0;
            return NULL;
        }
        if (get_varint(r, &v) != 0 || get_size(r, v, &op->size) != 0) {
            return "malformed realloc size";
        }
        return NULL;
    default:
        return "unknown record kind";
    }
}

int trace_read(struct trace_reader *r, struct trace_op *ops, int max, const char **why)
{
    int n = 0;

    while (n < max && r->done < r->h->ops) {
        if (r->pos == r->end) {
            *why = "op stream ends before the header's record count";
            return -1;
        }
        *why = read_one(r, &ops[n]);
        if (*why != NULL) {
            return -1;
        }
        r->done++;
        n++;
    }
    if (n == 0 && r->pos != r->end) {
        *why = "op stream longer than the header's record count";
        return -1;
    }
    return n;
}
