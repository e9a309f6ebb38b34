/*
 * init's memory server: the memory manager over all RAM from boot, as
 * init's own RAM source (ram_alloc_set_backend) and for GET_RAM.
 *
 * Start-up order (each step only uses what the previous ones built):
 *   1. slot allocator   its first 256 slots are the empty SLOT_ALLOC0 CNode
 *   2. paging           its first metadata is a static bootstrap page
 *   3. mm + mm_add      its first nodes are mm's static bootstrap nodes
 *   4. RAM source       from here on slot, slab and paging refills get RAM
 */
#include "mem_server.h"
#include <aos/mm.h>
#include <aos/ram_alloc.h>
#include <aos/runtime.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>

static struct mm *mm;

static errval_t mm_ram_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                             gensize_t *ret_size)
{
    lpaddr_t base;
    return mm_alloc_aligned(mm, size, alignment, ret, &base, ret_size);
}

/* Revokes every copy and descendant of the block, then returns it. */
static errval_t mm_ram_free(capaddr_t ram)
{
    struct capability_info ci;
    errval_t err = cap_identify(ram, &ci);

    if (err_is_fail(err)) {
        return err;
    }
    return mm_free(mm, ram, ci.base, ci.size);
}

errval_t mem_server_init(void)
{
    const struct bootinfo *bi = get_bootinfo();
    errval_t err;

    err = runtime_init_self();
    if (err_is_fail(err)) {
        return err;
    }
    err = mm_init(&mm, NULL);
    if (err_is_fail(err)) {
        return err;
    }
    for (uint32_t i = 0; i < bi->n_regions; i++) {
        const struct mem_region *r = &bi->regions[i];
        err = mm_add(mm, r->cap, r->base, r->size);
        if (err_is_fail(err)) {
            return err;
        }
    }
    ram_alloc_set_backend(mm_ram_alloc, mm_ram_free);
    return SYS_ERR_OK;
}

void mem_server_stats(gensize_t *free_bytes, gensize_t *total_bytes)
{
    mm_stats(mm, free_bytes, total_bytes);
}

gensize_t mem_server_free(void)
{
    gensize_t free_bytes, total;
    mm_stats(mm, &free_bytes, &total);
    return free_bytes;
}
