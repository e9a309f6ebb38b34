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
#include <aos/mm.h>
#include <aos/ram_alloc.h>
#include <aos/runtime.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>

static struct mm *public_mm;
static struct mm private_mm;
static lpaddr_t private_base;     /* the private pool's block */
static gensize_t private_size;

errval_t mem_server_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                          gensize_t *ret_size)
{
    lpaddr_t base;
    return mm_alloc_aligned(public_mm, size, alignment, ret, &base, ret_size);
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

gensize_t mem_server_free(void)
{
    gensize_t free_bytes, total;
    mm_stats(public_mm, &free_bytes, &total);
    return free_bytes;
}
