/*
 * Flattened device tree reader (see kernel/include/kernel/dtb.h).
 *
 * Format (devicetree specification, chapter 5): a big-endian header, then
 * a structure block of 32-bit tokens
 *   BEGIN_NODE name\0 (padded to 4)   END_NODE   NOP   END
 *   PROP len nameoff value[len] (padded to 4)
 * and a strings block holding property names (nameoff indexes it).
 *
 * We walk the structure block once, tracking the depth, and pick out:
 *   depth 1 props of /:        #address-cells, #size-cells
 *   depth 2 node memory[@...]  or device_type = "memory": first reg entry
 *   depth 2 node chosen:       bootargs
 *   depth 3 nodes under cpus:  count cpu / cpu@...
 * (depth counts BEGIN_NODEs seen: the root node itself is depth 1.)
 * Every read goes through a cursor that is bounds-checked against its block.
 */
#include <kernel/dtb.h>
#include <stdbool.h>

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_HEADER_SIZE 40u

/* A bounded view of one block of the blob. */
struct block {
    const uint8_t *base;
    uint32_t size;
};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16)
         | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Length of the NUL-terminated string at blk[off], or -1 if it runs off the block. */
static int32_t bounded_strlen(const struct block *blk, uint32_t off)
{
    for (uint32_t i = off; i < blk->size; i++) {
        if (blk->base[i] == '\0') {
            return (int32_t)(i - off);
        }
    }
    return -1;
}

static bool str_eq(const uint8_t *s, uint32_t len, const char *lit)
{
    uint32_t i = 0;
    for (; i < len && lit[i] != '\0'; i++) {
        if (s[i] != (uint8_t)lit[i]) {
            return false;
        }
    }
    return i == len && lit[i] == '\0';
}

/* True if node name `s` (len bytes) is `unit` or starts with "unit@". */
static bool node_is(const uint8_t *s, uint32_t len, const char *unit)
{
    uint32_t i = 0;
    for (; unit[i] != '\0'; i++) {
        if (i >= len || s[i] != (uint8_t)unit[i]) {
            return false;
        }
    }
    return i == len || s[i] == '@';
}

/* Read `cells` (1 or 2) big-endian cells at p as one number. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < cells; i++) {
        v = (v << 32) | be32(p + 4 * i);
    }
    return v;
}

/* Walk state: what we know so far about the nodes we are inside. */
struct walk {
    uint32_t depth;
    uint32_t addr_cells, size_cells;    /* of the root */
    bool in_memory, in_chosen, in_cpus;
    bool memory_typed;                  /* device_type = "memory" seen */
    const uint8_t *memory_reg;          /* reg of the current depth-2 node */
    uint32_t memory_reg_len;
    bool memory_found;
};

/* A property `name` with `len` bytes of value at `val`, in the current node. */
static enum dtb_error handle_prop(struct walk *w, struct dtb_info *out,
                                  const uint8_t *name, uint32_t name_len,
                                  const uint8_t *val, uint32_t len)
{
    if (w->depth == 1) {
        bool is_addr = str_eq(name, name_len, "#address-cells");
        bool is_size = str_eq(name, name_len, "#size-cells");
        if (is_addr || is_size) {
            if (len != 4) {
                return DTB_ERR_STRUCTURE;
            }
            uint32_t cells = be32(val);
            if (cells > 2 || (is_size && cells == 0)) {
                return DTB_ERR_CELLS;
            }
            *(is_addr ? &w->addr_cells : &w->size_cells) = cells;
        }
    } else if (w->depth == 2) {
        if (str_eq(name, name_len, "reg")) {
            w->memory_reg = val;
            w->memory_reg_len = len;
        } else if (str_eq(name, name_len, "device_type") && len == 7
                   && str_eq(val, 6, "memory") && val[6] == '\0') {
            w->memory_typed = true;
        } else if (w->in_chosen && str_eq(name, name_len, "bootargs")) {
            uint32_t n = 0;
            while (n < len && n < DTB_BOOTARGS_MAX - 1 && val[n] != '\0') {
                out->bootargs[n] = (char)val[n];
                n++;
            }
            out->bootargs[n] = '\0';
        }
    }
    return DTB_OK;
}

/* End of a depth-2 node: if it was the memory node, decode its first reg entry. */
static enum dtb_error finish_depth2_node(struct walk *w, struct dtb_info *out)
{
    if ((w->in_memory || w->memory_typed) && !w->memory_found && w->memory_reg) {
        uint32_t entry = 4 * (w->addr_cells + w->size_cells);
        if (w->memory_reg_len < entry) {
            return DTB_ERR_STRUCTURE;
        }
        out->mem_base = read_cells(w->memory_reg, w->addr_cells);
        out->mem_size = read_cells(w->memory_reg + 4 * w->addr_cells, w->size_cells);
        w->memory_found = out->mem_size != 0;
    }
    w->in_memory = w->in_chosen = w->in_cpus = w->memory_typed = false;
    w->memory_reg = NULL;
    return DTB_OK;
}

/* BEGIN_NODE with name `name` (len bytes): update the walk state. */
static void handle_begin(struct walk *w, struct dtb_info *out,
                         const uint8_t *name, uint32_t len)
{
    w->depth++;
    if (w->depth == 2) {
        w->in_memory = node_is(name, len, "memory");
        w->in_chosen = node_is(name, len, "chosen");
        w->in_cpus = str_eq(name, len, "cpus");
    } else if (w->depth == 3 && w->in_cpus && node_is(name, len, "cpu")) {
        out->num_cpus++;
    }
}

/* Walk the structure block token by token until FDT_END. */
static enum dtb_error walk_structure(const struct block *st, const struct block *strs,
                                     struct dtb_info *out)
{
    struct walk w = { .addr_cells = 2, .size_cells = 1 };   /* spec defaults */
    uint32_t pos = 0;

    for (;;) {
        if (pos > st->size || st->size - pos < 4) {
            return DTB_ERR_STRUCTURE;       /* ran off the block without FDT_END */
        }
        uint32_t token = be32(st->base + pos);
        pos += 4;
        if (token == FDT_BEGIN_NODE) {
            int32_t len = bounded_strlen(st, pos);
            if (len < 0) {
                return DTB_ERR_STRUCTURE;
            }
            handle_begin(&w, out, st->base + pos, (uint32_t)len);
            pos += ((uint32_t)len + 1 + 3) & ~3u;
        } else if (token == FDT_END_NODE) {
            if (w.depth == 0) {
                return DTB_ERR_STRUCTURE;
            }
            if (w.depth == 2) {
                enum dtb_error err = finish_depth2_node(&w, out);
                if (err != DTB_OK) {
                    return err;
                }
            }
            w.depth--;
        } else if (token == FDT_PROP) {
            if (st->size - pos < 8 || w.depth == 0) {
                return DTB_ERR_STRUCTURE;
            }
            uint32_t len = be32(st->base + pos);
            uint32_t nameoff = be32(st->base + pos + 4);
            pos += 8;
            if (len > st->size - pos || nameoff >= strs->size) {
                return DTB_ERR_STRUCTURE;
            }
            int32_t name_len = bounded_strlen(strs, nameoff);
            if (name_len < 0) {
                return DTB_ERR_STRUCTURE;
            }
            enum dtb_error err = handle_prop(&w, out, strs->base + nameoff,
                                             (uint32_t)name_len, st->base + pos, len);
            if (err != DTB_OK) {
                return err;
            }
            pos += (len + 3) & ~3u;
        } else if (token == FDT_NOP) {
            continue;
        } else if (token == FDT_END) {
            if (w.depth != 0) {
                return DTB_ERR_STRUCTURE;
            }
            return w.memory_found ? DTB_OK : DTB_ERR_NO_MEMORY;
        } else {
            return DTB_ERR_STRUCTURE;
        }
    }
}

/* True if [off, off + size) fits inside a blob of `total` bytes. */
static bool fits(uint32_t off, uint32_t size, uint32_t total)
{
    return off <= total && size <= total - off;
}

enum dtb_error dtb_parse(const void *blob, size_t max_size, struct dtb_info *out)
{
    const uint8_t *b = blob;

    out->mem_base = 0;
    out->mem_size = 0;
    out->num_cpus = 0;
    out->bootargs[0] = '\0';

    if (blob == NULL || max_size < FDT_HEADER_SIZE) {
        return DTB_ERR_TRUNCATED;
    }
    if (be32(b) != DTB_MAGIC) {
        return DTB_ERR_MAGIC;
    }
    uint32_t total = be32(b + 4);
    uint32_t off_struct = be32(b + 8);
    uint32_t off_strings = be32(b + 12);
    uint32_t version = be32(b + 20);
    uint32_t last_comp = be32(b + 24);
    uint32_t size_strings = be32(b + 32);
    uint32_t size_struct = be32(b + 36);

    if (total < FDT_HEADER_SIZE || total > max_size) {
        return DTB_ERR_TRUNCATED;
    }
    if (version < 17 || last_comp > 17) {
        return DTB_ERR_VERSION;
    }
    if (!fits(off_struct, size_struct, total) || !fits(off_strings, size_strings, total)
        || (off_struct & 3u) != 0) {
        return DTB_ERR_TRUNCATED;
    }
    struct block st = { b + off_struct, size_struct };
    struct block strs = { b + off_strings, size_strings };
    return walk_structure(&st, &strs, out);
}

const char *dtb_strerror(enum dtb_error err)
{
    switch (err) {
    case DTB_OK:            return "ok";
    case DTB_ERR_TRUNCATED: return "blob or block outside the buffer";
    case DTB_ERR_MAGIC:     return "bad magic (not a device tree)";
    case DTB_ERR_VERSION:   return "unsupported version";
    case DTB_ERR_STRUCTURE: return "malformed structure block";
    case DTB_ERR_CELLS:     return "unsupported #address-cells/#size-cells";
    case DTB_ERR_NO_MEMORY: return "no memory node";
    }
    return "unknown error";
}
