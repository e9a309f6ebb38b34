/*
 * RAM and frames for this domain (include/aos/ram_alloc.h). The policy —
 * where RAM comes from — is a backend installed at start-up; this file
 * checks arguments and turns RAM into frames.
 */
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/caps.h>

static ram_alloc_backend_fn alloc_backend;
static ram_free_backend_fn free_backend;
static ram_alloc_may_ask_fn may_ask_backend;

void ram_alloc_set_may_ask(ram_alloc_may_ask_fn may_ask)
{
    may_ask_backend = may_ask;
}

bool ram_alloc_may_ask(void)
{
    return may_ask_backend == NULL || may_ask_backend();
}

void ram_alloc_set_backend(ram_alloc_backend_fn alloc, ram_free_backend_fn free)
{
    alloc_backend = alloc;
    free_backend = free;
}

static bool is_pow2(gensize_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

errval_t ram_alloc_aligned(capaddr_t *ret, gensize_t size, gensize_t alignment,
                           gensize_t *ret_size)
{
    gensize_t got = 0;
    errval_t err;

    if (alloc_backend == NULL) {
        return LIB_ERR_RAM_ALLOC_NO_BACKEND;
    }
    if (size == 0 || !is_pow2(alignment) || alignment < BASE_PAGE_SIZE) {
        return LIB_ERR_RAM_ALLOC_BAD_ARGS;
    }
    err = alloc_backend(ret, size, alignment, &got);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_RAM_ALLOC);
    }
    if (ret_size != NULL) {
        *ret_size = got;
    }
    return SYS_ERR_OK;
}

errval_t ram_alloc(capaddr_t *ret, gensize_t size)
{
    return ram_alloc_aligned(ret, size, BASE_PAGE_SIZE, NULL);
}

errval_t ram_free(capaddr_t ram)
{
    if (free_backend == NULL) {
        return LIB_ERR_RAM_ALLOC_NO_BACKEND;
    }
    return free_backend(ram);
}

/*
 * A frame over a whole fresh RAM block. The RAM cap is dropped at once:
 * the frame stays a descendant of the block the memory server handed out,
 * which is what the server revokes when this domain ends.
 */
errval_t frame_alloc(capaddr_t *ret, gensize_t bytes, gensize_t *ret_bytes)
{
    capaddr_t ram;
    gensize_t got;
    errval_t err;

    if (bytes == 0 || bytes > (1u << 30)) {
        return LIB_ERR_RAM_ALLOC_BAD_ARGS;
    }
    bytes = (bytes + BASE_PAGE_SIZE - 1) & ~(gensize_t)(BASE_PAGE_SIZE - 1);
    err = ram_alloc_aligned(&ram, bytes, BASE_PAGE_SIZE, &got);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_FRAME_ALLOC);
    }
    err = slot_alloc(ret);
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_Frame, 0, got, *ret);
        if (err_is_fail(err)) {
            slot_free(*ret);
        }
    }
    cap_delete(ram);
    slot_free(ram);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_FRAME_ALLOC);
    }
    if (ret_bytes != NULL) {
        *ret_bytes = got;
    }
    return SYS_ERR_OK;
}
