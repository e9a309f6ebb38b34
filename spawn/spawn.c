/*
 * Building and tearing down a child domain (include/aos/spawn.h).
 *
 * Invariants:
 *  - every RAM block taken for the child is in si->ram before anything is
 *    retyped from it, and every slot of ours that names a child object is
 *    in si->slots before it is filled; so spawn_cleanup can always undo a
 *    partial build: revoke each block (destroying every object made from
 *    it, wherever its caps live), give the block back, free our slots.
 *  - the child's objects are carved from a few large blocks (arenas) at
 *    naturally aligned offsets, not one block each: one memory-server
 *    allocation and one revoke per arena instead of per object;
 *  - the child's memory is written through one fixed 1 MiB window in our
 *    own address space (spawn_window), so building children costs us no
 *    new page tables and no virtual space per child.
 */
#include <aos/spawn.h>
#include <aos/elf.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <stdlib.h>
#include <string.h>
#include "../vspace/paging_types.h"
#include "spawn_internal.h"

#define WINDOW_SIZE  SECTION_SIZE
#define CHUNK_SIZE   SECTION_SIZE     /* frames for the child: at most 1 MiB each */
#define ARENA_SIZE   (128u * 1024)    /* a minimal child fits in two */

/* ---- bookkeeping ---------------------------------------------------------- */

errval_t cap_list_add(struct cap_list *l, capaddr_t cap)
{
    if (l->count == l->max) {
        uint32_t max = l->max ? 2 * l->max : 16;
        capaddr_t *caps = realloc(l->caps, max * sizeof(capaddr_t));
        if (caps == NULL) {
            return LIB_ERR_SPAWN_NO_MEMORY;
        }
        l->caps = caps;
        l->max = max;
    }
    l->caps[l->count++] = cap;
    return SYS_ERR_OK;
}

/* A slot of ours, recorded for cleanup. */
errval_t spawn_slot(struct spawninfo *si, capaddr_t *ret)
{
    errval_t err = slot_alloc(ret);
    if (err_is_fail(err)) {
        return err;
    }
    err = cap_list_add(&si->slots, *ret);
    if (err_is_fail(err)) {
        slot_free(*ret);
    }
    return err;
}

static errval_t (*source_alloc)(capaddr_t *, gensize_t, gensize_t, gensize_t *)
    = ram_alloc_aligned;
static errval_t (*source_free)(capaddr_t) = ram_free;

void spawn_set_ram_source(errval_t (*alloc)(capaddr_t *ret, gensize_t size,
                                            gensize_t alignment, gensize_t *ret_size),
                          errval_t (*free)(capaddr_t ram))
{
    source_alloc = alloc;
    source_free = free;
}

void spawn_ram_free(capaddr_t ram)
{
    source_free(ram);
}

/* A RAM block for the child, recorded for cleanup. */
errval_t spawn_ram(struct spawninfo *si, gensize_t bytes, gensize_t align,
                   capaddr_t *ret)
{
    gensize_t got = 0;
    errval_t err = source_alloc(ret, bytes, align, &got);
    if (err_is_fail(err)) {
        return err;
    }
    err = spawn_account_ram(si, *ret, got);
    if (err_is_fail(err)) {
        source_free(*ret);
    }
    return err;
}

errval_t spawn_account_ram(struct spawninfo *si, capaddr_t ram, gensize_t bytes)
{
    errval_t err = cap_list_add(&si->ram, ram);
    if (err_is_ok(err)) {
        si->ram_bytes += bytes;
    }
    return err;
}

errval_t spawn_unaccount_ram(struct spawninfo *si, lpaddr_t base, gensize_t size,
                             capaddr_t *ret)
{
    for (uint32_t i = 0; i < si->ram.count; i++) {
        struct capability_info ci;
        if (si->ram.caps[i] != si->arena
            && err_is_ok(cap_identify(si->ram.caps[i], &ci)) && ci.base == base
            && ci.size == size) {
            *ret = si->ram.caps[i];
            si->ram_bytes -= ci.size;
            si->ram.caps[i] = si->ram.caps[--si->ram.count];
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_SPAWN_NOT_ACCOUNTED;
}

/*
 * Room for `bytes` (a power of two, at least a page) in the current arena
 * at an offset aligned to `bytes`: every object type's alignment, as an
 * arena is aligned to its own size. A new arena (ARENA_SIZE, or `bytes`
 * if larger) when the current one has no room; the alignment hole at its
 * end stays unused until the child ends.
 */
errval_t spawn_carve(struct spawninfo *si, gensize_t bytes, capaddr_t *ram,
                     gensize_t *offset)
{
    gensize_t at = (si->arena_used + bytes - 1) & ~(bytes - 1);

    if (si->arena == CPTR_NULL || at + bytes > si->arena_size) {
        gensize_t size = bytes > ARENA_SIZE ? bytes : ARENA_SIZE;
        capaddr_t fresh;
        errval_t err = spawn_ram(si, size, size, &fresh);
        if (err_is_fail(err)) {
            return err;
        }
        si->arena = fresh;
        si->arena_size = size;
        at = 0;
    }
    si->arena_used = at + bytes;
    *ram = si->arena;
    *offset = at;
    return SYS_ERR_OK;
}

static gensize_t block_for(gensize_t size)
{
    gensize_t block = BASE_PAGE_SIZE;

    while (block < size) {
        block <<= 1;
    }
    return block;
}

/* paging_ram_fn for the child's page tables: a RAM block of its own (the
 * paging layer retypes L2 tables out of it), carved as a RAM descendant of
 * an arena, so it goes with the arena's revoke. */
errval_t spawn_table_ram(void *ctx, capaddr_t *ret, gensize_t bytes)
{
    struct spawninfo *si = ctx;
    gensize_t offset;
    capaddr_t arena;
    errval_t err = spawn_carve(si, block_for(bytes), &arena, &offset);

    if (err_is_ok(err)) {
        err = spawn_slot(si, ret);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(arena, ObjType_RAM, offset, block_for(bytes), *ret);
    }
    return err;
}

/* One object of `type` from an arena, into a fresh slot of ours. */
errval_t spawn_object(struct spawninfo *si, enum objtype type, gensize_t size,
                      capaddr_t *ret)
{
    gensize_t offset;
    capaddr_t arena;
    errval_t err = spawn_carve(si, block_for(size), &arena, &offset);

    if (err_is_ok(err)) {
        err = spawn_slot(si, ret);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(arena, type, offset, size, *ret);
    }
    return err;
}

/* ---- writing the child's memory through our window ------------------------ */

static lvaddr_t spawn_window;

static errval_t window_init(void)
{
    void *buf;
    errval_t err;

    if (spawn_window != 0) {
        return SYS_ERR_OK;
    }
    err = paging_alloc(get_current_paging_state(), &buf, WINDOW_SIZE, WINDOW_SIZE);
    if (err_is_ok(err)) {
        spawn_window = (lvaddr_t)buf;
    }
    return err;
}

/*
 * Map a copy of `frame` (<= 1 MiB) at our window, call fill(window, ctx),
 * unmap and delete the copy again.
 */
errval_t spawn_fill_frame(capaddr_t frame, size_t bytes,
                          void (*fill)(void *buf, size_t bytes, void *ctx), void *ctx)
{
    struct paging_state *me = get_current_paging_state();
    capaddr_t copy;
    errval_t err;

    if (bytes > WINDOW_SIZE) {
        return LIB_ERR_SPAWN_FRAME_TOO_BIG;
    }
    err = window_init();
    if (err_is_ok(err)) {
        err = slot_alloc(&copy);
    }
    if (err_is_fail(err)) {
        return err;
    }
    err = cap_copy_to(copy, frame);
    if (err_is_ok(err)) {
        err = paging_map_fixed(me, spawn_window, copy, bytes, VREGION_FLAGS_READ_WRITE);
        if (err_is_ok(err)) {
            fill((void *)spawn_window, bytes, ctx);
            err = paging_unmap(me, (void *)spawn_window);
        }
        cap_delete(copy);
    }
    slot_free(copy);
    return err;
}

/* ---- building ------------------------------------------------------------- */

/*
 * A zeroed region [vaddr, vaddr + bytes) of the child, in frames of at
 * most CHUNK_SIZE; `fill` (if not NULL) initialises each chunk:
 * fill(buf, chunk_bytes, chunk_vaddr-as-ctx-offset).
 */
struct chunk_fill {
    void (*fill)(void *buf, size_t bytes, lvaddr_t vaddr, void *ctx);
    lvaddr_t vaddr;
    void *ctx;
};

static void chunk_fill_trampoline(void *buf, size_t bytes, void *ctx)
{
    struct chunk_fill *cf = ctx;
    cf->fill(buf, bytes, cf->vaddr, cf->ctx);
}

errval_t spawn_map_region(struct spawninfo *si, lvaddr_t vaddr, size_t bytes,
                          uint32_t flags, capaddr_t *first_frame,
                          void (*fill)(void *, size_t, lvaddr_t, void *), void *ctx)
{
    for (size_t done = 0; done < bytes; done += CHUNK_SIZE) {
        size_t n = bytes - done < CHUNK_SIZE ? bytes - done : CHUNK_SIZE;
        capaddr_t frame;
        errval_t err = spawn_object(si, ObjType_Frame, n, &frame);
        if (err_is_fail(err)) {
            return err;
        }
        if (done == 0 && first_frame != NULL) {
            *first_frame = frame;
        }
        if (fill != NULL) {
            struct chunk_fill cf = { fill, vaddr + done, ctx };
            err = spawn_fill_frame(frame, n, chunk_fill_trampoline, &cf);
            if (err_is_fail(err)) {
                return err;
            }
        }
        err = paging_map_fixed(si->vspace, vaddr + done, frame, n, flags);
        if (err_is_fail(err)) {
            return err_push(err, LIB_ERR_SPAWN_MAP);
        }
    }
    return SYS_ERR_OK;
}
