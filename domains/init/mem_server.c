/*
 * init's memory server: the public memory manager over all RAM from boot
 * and init's private pool (see mem_server.h).
 *
 * Start-up order (each step only uses what the previous ones built):
 *   1. slot allocator   its first 256 slots are the empty SLOT_ALLOC0 CNode
 *   2. paging           its first metadata is a static bootstrap page
 *   3. public mm        its first nodes are mm's static bootstrap nodes
 *   4. private mm       one block of the public pool
 *   5. RAM source       from here on init's own refills use the private pool
 */
#include "mem_server.h"
#include "intercore.h"
#include <aos/slot_alloc.h>
#include <aos/mm.h>
#include <aos/ram_alloc.h>
#include <aos/runtime.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>

static struct mm *public_mm;
static gensize_t given_to_cores;   /* moved to other cores since boot (refills) */
static struct mm private_mm;
static lpaddr_t private_base;     /* the private pool's block */
static gensize_t private_size;

/*
 * Another core's memory server, out of RAM: ask core 0 for a block of at
 * least `bytes` (at least MEM_SERVER_REFILL), claim the gift and add it.
 * Waits for core 0's answer (intercore_call): the server loop is not
 * where this runs. `refilling` stops a refill inside a refill (the
 * claim's slot or mm's nodes may need RAM: the private pool has it).
 */
errval_t mem_server_refill(gensize_t bytes)
{
    static bool refilling;
    struct icm req = { .op = ICM_MORE_RAM, .src = get_bootinfo()->core_id, .dst = 0,
                       .nwords = 1 }, ans;
    struct capability_info ci;
    capaddr_t slot;
    errval_t err;

    if (refilling || get_bootinfo()->core_id == 0) {
        return LIB_ERR_MM_OUT_OF_MEMORY;
    }
    refilling = true;
    req.w[0] = bytes < MEM_SERVER_REFILL ? MEM_SERVER_REFILL : bytes;
    err = intercore_call(&req, &ans, MEM_SERVER_REFILL_DEADLINE);
    if (err_is_ok(err)) {
        err = ans.nwords == 3 ? (errval_t)ans.w[0] : INIT_ERR_BAD_ANSWER;
    }
    if (err_is_ok(err)) {
        err = slot_alloc(&slot);
    }
    if (err_is_ok(err)) {
        err = kernel_claim_ram(CAP_KERNEL, ans.w[1], slot);
        if (err_is_ok(err)) {
            err = cap_identify(slot, &ci);
        }
        if (err_is_ok(err)) {
            err = mm_add(public_mm, slot, ci.base, ci.size);
        }
    }
    refilling = false;
    return err;
}

errval_t mem_server_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                          gensize_t *ret_size)
{
    lpaddr_t base;
    errval_t err = mm_alloc_aligned(public_mm, size, alignment, ret, &base, ret_size);

    if (err_no(err) == LIB_ERR_MM_OUT_OF_MEMORY
        && err_is_ok(mem_server_refill(size > alignment ? size : alignment))) {
        err = mm_alloc_aligned(public_mm, size, alignment, ret, &base, ret_size);
    }
    return err;
}

/*
 * Core 0: give core `core` a block of at least `bytes` (a power of two,
 * at most MEM_SERVER_REFILL_MAX) for good, keeping 64 MiB beyond it for
 * ourselves; *gift names it for the kernel there.
 */
errval_t mem_server_give_ram(uint32_t core, gensize_t bytes, uint32_t *gift, uint32_t *size)
{
    capaddr_t ram;
    gensize_t block = MEM_SERVER_REFILL;
    errval_t err;

    while (block < bytes && block < MEM_SERVER_REFILL_MAX) {
        block *= 2;
    }
    if (bytes > block) {
        return LIB_ERR_MM_BAD_SIZE;
    }
    if (mem_server_free() < block + MEM_SERVER_KEEP) {
        return INIT_ERR_NO_RAM_TO_GIVE;
    }
    err = mem_server_give_to_core(block, &ram);
    if (err_is_ok(err)) {
        err = kernel_give_ram(CAP_KERNEL, ram, core, gift);
        /* on failure the block stays given but unclaimed: out of every pool */
    }
    if (err_is_ok(err)) {
        slot_free(ram);
        *size = block;
        given_to_cores += block;
    }
    return err;
}

/*
 * RAM for another core's CPU driver and init, given away for good (a
 * naturally aligned block of `size`, a power of two): the cap returned is
 * the memory's only one, in a slot the caller frees once the kernel has
 * taken the cap (KERNELCMD_START_CORE empties it).
 */
errval_t mem_server_give_to_core(gensize_t size, capaddr_t *ret)
{
    capaddr_t copy;
    lpaddr_t base;
    gensize_t got;
    errval_t err = mm_alloc_aligned(public_mm, size, size, &copy, &base, &got);

    if (err_is_ok(err)) {
        err = mm_give_away(public_mm, copy, base, got, ret);
    }
    return err;
}

/* mm_free needs the block's base and size: ask the kernel. */
errval_t mem_server_free_block(capaddr_t ram)
{
    struct capability_info ci;
    errval_t err = cap_identify(ram, &ci);

    if (err_is_fail(err)) {
        return err;
    }
    return mm_free(public_mm, ram, ci.base, ci.size);
}

/* init's own RAM: the private pool, the public one when that is empty. */
static errval_t private_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                              gensize_t *ret_size)
{
    lpaddr_t base;
    errval_t err = mm_alloc_aligned(&private_mm, size, alignment, ret, &base, ret_size);

    if (err_no(err) == LIB_ERR_MM_OUT_OF_MEMORY) {
        err = mem_server_alloc(ret, size, alignment, ret_size);
    }
    return err;
}

static errval_t private_free(capaddr_t ram)
{
    struct capability_info ci;
    errval_t err = cap_identify(ram, &ci);
    bool private;

    if (err_is_fail(err)) {
        return err;
    }
    /* a block from the fallback path belongs to the public pool */
    private = ci.base >= private_base && ci.base - private_base < private_size;
    return mm_free(private ? &private_mm : public_mm, ram, ci.base, ci.size);
}

/* Steps 3 and 4: the public manager over boot RAM, the private one. */
static errval_t build_pools(const struct bootinfo *bi)
{
    capaddr_t block;
    errval_t err = mm_init(&public_mm, NULL);

    for (uint32_t i = 0; err_is_ok(err) && i < bi->n_regions; i++) {
        const struct mem_region *r = &bi->regions[i];
        err = mm_add(public_mm, r->cap, r->base, r->size);
    }
    if (err_is_ok(err)) {
        err = mm_init_instance(&private_mm, NULL, NULL);
    }
    if (err_is_ok(err)) {
        gensize_t pool = bi->core_id == 0 ? MEM_SERVER_PRIVATE_POOL
                                          : MEM_SERVER_PRIVATE_POOL_CORE;
        err = mm_alloc_aligned(public_mm, pool, pool, &block, &private_base, &private_size);
    }
    if (err_is_ok(err)) {
        err = mm_add(&private_mm, block, private_base, private_size);
    }
    return err;
}

errval_t mem_server_init(void)
{
    errval_t err = runtime_init_self();

    if (err_is_ok(err)) {
        err = build_pools(get_bootinfo());
    }
    if (err_is_ok(err)) {
        ram_alloc_set_backend(private_alloc, private_free);
        err = runtime_enable_self_paging();
    }
    return err;
}

void mem_server_stats(gensize_t *free_bytes, gensize_t *total_bytes)
{
    mm_stats(public_mm, free_bytes, total_bytes);
}

gensize_t mem_server_kept(void)
{
    return mem_server_free() + given_to_cores;
}

gensize_t mem_server_free(void)
{
    gensize_t free_bytes, total;
    mm_stats(public_mm, &free_bytes, &total);
    return free_bytes;
}
