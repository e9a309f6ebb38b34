/*
 * The memory manager behind init's memory server (lib/mm.c).
 *
 * It owns RAM caps (added with mm_add) and hands out naturally aligned
 * pieces by splitting them with retype (buddy style: a RAM cap of 2^k bytes
 * splits into two of 2^(k-1)), takes pieces back and coalesces buddies
 * (revoking the children of the parent cap, so the parent is whole again).
 * Its bookkeeping lives in slab-allocated nodes (aos/slab.h).
 * All sizes are powers of two >= BASE_PAGE_SIZE; requests are rounded up.
 */
#ifndef AOS_MM_H
#define AOS_MM_H

#include <autarky/types.h>
#include <autarky/errors.h>

struct mm;   /* opaque; one instance in init */

/* Hook for the capability operations mm needs, so the logic is testable on
 * the host. A NULL ops pointer means "the real invocations". */
struct mm_cap_ops {
    errval_t (*retype_ram)(capaddr_t src, gensize_t offset, gensize_t size,
                           uint32_t count, capaddr_t dest_cnode, cslot_t slot);
    errval_t (*revoke)(capaddr_t cap);
    errval_t (*delete)(capaddr_t cap);
    errval_t (*slot_alloc)(capaddr_t *ret);
    errval_t (*slot_free)(capaddr_t cap);
};

errval_t mm_init(struct mm **mm, const struct mm_cap_ops *ops);
/* Add a naturally aligned power-of-two RAM cap [base, base + size). */
errval_t mm_add(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size);
/* Allocate `size` bytes aligned to `alignment`: a new RAM cap in *ret. */
errval_t mm_alloc_aligned(struct mm *mm, gensize_t size, gensize_t alignment,
                          capaddr_t *ret, lpaddr_t *ret_base, gensize_t *ret_size);
/* Return a cap obtained from mm_alloc_aligned (its slot is freed). */
errval_t mm_free(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size);
void mm_stats(const struct mm *mm, gensize_t *free_bytes, gensize_t *total_bytes);

#endif
