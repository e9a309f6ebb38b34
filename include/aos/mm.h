/*
 * The memory manager behind init's memory server (lib/mm.c).
 *
 * It owns RAM caps (added with mm_add) and hands out naturally aligned
 * pieces by splitting them with retype (buddy style: a RAM cap of 2^k bytes
 * splits into two of 2^(k-1)), takes pieces back and coalesces buddies
 * (revoking the children of the parent cap, so the parent is whole again).
 * Its bookkeeping lives in slab-allocated nodes (aos/slab.h).
 * All sizes are powers of two >= BASE_PAGE_SIZE; requests are rounded up.
 *
 * What the caller gets from mm_alloc_aligned is a *copy* of the block's own
 * RAM cap, in a fresh slot from ops->slot_alloc; mm keeps the block's own
 * cap. mm_free revokes the block's own cap, so the returned copy, any other
 * copy and anything retyped from them are gone before the block is reused.
 * See docs/memory.md for the tree and how mm, slot_alloc and slab refill
 * each other without recursion.
 */
#ifndef AOS_MM_H
#define AOS_MM_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>
#include <aos/slab.h>

#define MM_MIN_ORDER     BASE_PAGE_BITS   /* smallest block: 4 KiB */
#define MM_MAX_ORDER     31               /* largest block: 2 GiB (gensize_t) */
#define MM_MAX_REGIONS   256              /* RAM caps mm_add accepts */
/* Nodes kept free for one operation and its nested refills: a split from
 * 2 GiB to 4 KiB needs 2 * 19 nodes. */
#define MM_NODE_RESERVE  64
/* Static nodes inside struct mm before the first slab refill. */
#define MM_BOOTSTRAP_BYTES (2 * BASE_PAGE_SIZE)

/* Hook for the capability operations mm needs, so the logic is testable on
 * the host. A NULL ops pointer means "the real invocations" (cap_retype with
 * ObjType_RAM, cap_revoke, cap_delete, slot_alloc, slot_free, cap_copy,
 * cap_identify). All fields must be set otherwise. */
struct mm_cap_ops {
    errval_t (*retype_ram)(capaddr_t src, gensize_t offset, gensize_t size,
                           uint32_t count, capaddr_t dest_cnode, cslot_t slot);
    errval_t (*revoke)(capaddr_t cap);
    errval_t (*delete)(capaddr_t cap);
    errval_t (*slot_alloc)(capaddr_t *ret);
    errval_t (*slot_free)(capaddr_t cap);
    errval_t (*copy)(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src);
    errval_t (*identify)(capaddr_t cap, struct capability_info *info);
};

struct mm_node;
/* Public so that tests and init can hold one; treat the fields as private. */
struct mm {
    const struct mm_cap_ops *ops;
    struct slab_allocator nodes;                  /* struct mm_node */
    struct mm_node *free_list[MM_MAX_ORDER + 1];  /* free blocks per order */
    struct mm_node *roots[MM_MAX_REGIONS];        /* sorted by base */
    unsigned nroots;
    gensize_t free_bytes, total_bytes;
    _Alignas(8) unsigned char bootstrap[MM_BOOTSTRAP_BYTES];
};

/* The one instance in init (static), nodes refilled by the default slab refill. */
errval_t mm_init(struct mm **mm, const struct mm_cap_ops *ops);
/* Any instance; `refill` NULL means the default slab refill (host tests pass one). */
errval_t mm_init_instance(struct mm *mm, const struct mm_cap_ops *ops,
                          slab_refill_fn refill);
/* Add a naturally aligned power-of-two RAM cap [base, base + size); mm owns
 * it from now on (no other copies should exist: coalescing revokes it). */
errval_t mm_add(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size);
/* Allocate `size` bytes aligned to `alignment` (a power of two, 0 = 4 KiB):
 * a new RAM cap (copy of the block's cap) in *ret covering the whole block
 * [*ret_base, *ret_base + *ret_size), *ret_size = max(pow2(size), alignment, 4 KiB). */
errval_t mm_alloc_aligned(struct mm *mm, gensize_t size, gensize_t alignment,
                          capaddr_t *ret, lpaddr_t *ret_base, gensize_t *ret_size);
/* Return a cap obtained from mm_alloc_aligned (or another copy of it), with
 * the base and size mm returned. Every copy and descendant of the block is
 * revoked, `cap`'s slot is freed (ops->slot_free), buddies coalesce. */
errval_t mm_free(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size);
/* Give an allocated block away for good (to another core): like mm_free,
 * but the block never comes back; *ret is mm's own cap to it, now the only
 * one, in a slot the caller owns from now on. */
errval_t mm_give_away(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size,
                      capaddr_t *ret);
void mm_stats(const struct mm *mm, gensize_t *free_bytes, gensize_t *total_bytes);

#endif
