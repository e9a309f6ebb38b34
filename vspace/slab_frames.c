/*
 * Slab memory from the address space: the refill the start-up layer
 * installs as every slab's default (slab_set_default_refill): a fresh
 * frame from frame_alloc, mapped read-write here, handed to slab_grow.
 *
 * It lives in vspace/, not beside lib/slab.c, because the slab is a layer
 * below the address space (docs/architecture.md): the slab only calls
 * whatever refill it was given.
 */
#include <aos/slab.h>
#include <aos/ram_alloc.h>
#include <aos/paging.h>

/*
 * Grow `slabs` by at least `bytes` (rounded up to pages). Runs with
 * slabs->refilling set (slab_refill_check), so slab objects that
 * frame_alloc/paging_map_frame need come from the reserve. On a mapping
 * failure the frame cap is kept unmapped (it cannot be handed back without
 * its RAM cap); the error is LIB_ERR_SLAB_REFILL_MAP over the cause.
 */
errval_t paging_slab_refill(struct slab_allocator *slabs, size_t bytes)
{
    capaddr_t frame;
    gensize_t actual;
    void *buf;

    errval_t err = frame_alloc(&frame, ROUND_UP(bytes, BASE_PAGE_SIZE), &actual);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLAB_REFILL_FRAME);
    }
    err = paging_map_frame(get_current_paging_state(), &buf, actual, frame,
                           VREGION_FLAGS_READ_WRITE);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLAB_REFILL_MAP);
    }
    return slab_grow(slabs, buf, actual);
}
