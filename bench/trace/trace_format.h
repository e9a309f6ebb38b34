/*
 * A real program's allocation trace as the replayers read it: the compact
 * binary form ("trace module") that the build makes from a text trace
 * (../shared/traces/README.md: lines `a ID SIZE`, `f ID`, `r OLD NEW SIZE`)
 * with bench/trace/traceconv. Shared by the converter (host), Autarky's
 * replayer domain and the Linux replayer; docs/benchmarks.md ("trace
 * replay") has the picture.
 *
 *   struct trace_header                      counts, peak, sizes of what follows
 *   uint32_t size_table[header.sizes]        every distinct size, most used first
 *   packed op stream [header.packed_bytes]   LZ77-packed (trace_lz_unpack)
 *
 * The op stream, unpacked (header.stream_bytes bytes), is one record per
 * line of the text trace, in order. A record starts with a byte
 * `kind << 6 | v`; v == 63 means "63 + a varint follows" (LEB128, at most
 * 5 bytes, the value fits 32 bits):
 *
 *   TRACE_ALLOC    v: size index               the object takes the slot on
 *                                              top of the free-slot stack
 *                                              (or the next fresh slot)
 *   TRACE_FREE     v: slot                     the slot goes on the stack
 *   TRACE_REALLOC  v: slot, then a varint: size index    the new object keeps
 *                                                        the slot
 *
 * IDs of the text trace are replaced by slots: a slot is a place in the
 * replayer's table of live objects, reused last-freed-first, so the table
 * has header.slots entries however many IDs the trace used. Record i is
 * line i + 1 of the text trace (the converter refuses empty lines).
 */
#ifndef BENCH_TRACE_FORMAT_H
#define BENCH_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC     0x31525441u     /* "ATR1" */
#define TRACE_NAME_LEN  32
#define TRACE_MAX_SIZE  0x7fffffffu     /* largest object a 32-bit replay can ask for */

enum trace_kind {
    TRACE_ALLOC = 0,
    TRACE_FREE = 1,
    TRACE_REALLOC = 2,
};
#define TRACE_INLINE_MAX 63u            /* v == 63: a varint follows */

struct trace_header {
    uint32_t magic;                     /* TRACE_MAGIC */
    uint32_t header_bytes;              /* sizeof(struct trace_header) */
    char name[TRACE_NAME_LEN];          /* the trace's name, NUL-terminated */
    uint32_t ops;                       /* records = lines of the text trace */
    uint32_t slots;                     /* most objects live at once */
    uint32_t sizes;                     /* entries of the size table */
    uint32_t stream_bytes;              /* the op stream, unpacked */
    uint32_t packed_bytes;              /* the op stream, packed */
    uint32_t peak_op;                   /* records done when live bytes first peak */
    uint64_t peak_live;                 /* bytes live then (sum of requested sizes) */
    uint64_t end_live;                  /* bytes live after the last record */
    uint32_t allocs, frees, reallocs;   /* records of each kind */
    uint32_t reserved;
};

/* One decoded record: what the replayer does, with the slot resolved. */
struct trace_op {
    uint32_t kind;                      /* enum trace_kind */
    uint32_t slot;
    uint32_t size;                      /* bytes (alloc, realloc) */
};

/* Checks a whole module: header fields against `bytes`, sizes in range.
 * Returns NULL if it is well formed, else what is wrong. */
const char *trace_check_module(const void *module, size_t bytes);
static inline const uint32_t *trace_size_table(const struct trace_header *h)
{
    return (const uint32_t *)(h + 1);
}
static inline const uint8_t *trace_packed(const struct trace_header *h)
{
    return (const uint8_t *)(trace_size_table(h) + h->sizes);
}

/* ---- the LZ77 packing of the op stream (trace_lz.c) ----
 * A sequence is a token byte (literal count << 4 | match length - 4), the
 * literals, and, unless the input ends right after them, a 2-byte
 * little-endian offset (1..65535) back into the output; a nibble of 15
 * continues in bytes added to it (255 = keep adding). The last sequence has
 * literals only. */
#define TRACE_LZ_MIN_MATCH 4u
#define TRACE_LZ_MAX_OFFSET 65535u
/* Pack `n` bytes into `out` (room for trace_lz_bound(n)); returns the
 * packed length. Host only (it needs a 256 KiB table from malloc); 0 if
 * that fails. */
size_t trace_lz_pack(const uint8_t *in, size_t n, uint8_t *out);
size_t trace_lz_bound(size_t n);
/* Unpack exactly `out_bytes` bytes; NULL on success, else what is wrong
 * (never reads or writes outside the two buffers). */
const char *trace_lz_unpack(const uint8_t *in, size_t in_bytes, uint8_t *out,
                            size_t out_bytes);

/* ---- reading the op stream ----
 * The decoder keeps the free-slot stack and which slots are live, so every
 * record it returns names a live slot (free, realloc) or a free one
 * (alloc); a module that says otherwise is refused with the record's line. */
struct trace_reader {
    const struct trace_header *h;
    const uint8_t *pos, *end;           /* the unpacked stream */
    uint32_t done;                      /* records decoded */
    uint32_t fresh;                     /* slots ever used */
    uint32_t stack_top;                 /* entries on the free-slot stack */
    uint32_t *stack;                    /* header.slots entries */
    uint8_t *live;                      /* header.slots flags */
};
/* `stack` and `live` have room for header->slots entries each (the caller
 * provides them: where they live is its choice). */
void trace_reader_init(struct trace_reader *r, const struct trace_header *h,
                       const uint8_t *stream, uint32_t *stack, uint8_t *live);
/* Up to `max` records into ops[]; returns how many (0 at the end). On a
 * malformed record returns -1 and *why says what (its line is r->done + 1). */
int trace_read(struct trace_reader *r, struct trace_op *ops, int max, const char **why);

#endif
