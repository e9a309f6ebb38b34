/*
 * Fixed-size object allocator (lib/slab.c) whose memory comes from frames
 * the domain retypes from RAM and maps itself. It refills *before* it runs
 * dry (when fewer than SLAB_REFILL_THRESHOLD objects remain), because a
 * refill allocates slots, RAM and page-table bookkeeping that may in turn
 * need objects from this very slab. A single bootstrap page (static, see
 * slab_init_static) covers the time before the first refill.
 */
#ifndef AOS_SLAB_H
#define AOS_SLAB_H

#include <autarky/types.h>
#include <autarky/errors.h>

#define SLAB_REFILL_THRESHOLD 16

struct slab_allocator;
/* Grows `slabs` by at least `bytes` of fresh mapped memory. */
typedef errval_t (*slab_refill_fn)(struct slab_allocator *slabs, size_t bytes);

struct slab_head;
struct slab_allocator {
    struct slab_head *slabs;    /* list of slabs with free objects */
    size_t blocksize;           /* object size, rounded up to a word */
    size_t free_count;          /* free objects over all slabs */
    size_t total_count;
    slab_refill_fn refill;      /* NULL: slab_default_refill (frames) */
    bool refilling;             /* guard against recursive refills */
};

void slab_init(struct slab_allocator *slabs, size_t blocksize, slab_refill_fn refill);
/* Give the allocator memory it may carve objects from. */
void slab_grow(struct slab_allocator *slabs, void *buf, size_t bytes);
void *slab_alloc(struct slab_allocator *slabs);    /* NULL when exhausted */
void slab_free(struct slab_allocator *slabs, void *obj);
size_t slab_freecount(const struct slab_allocator *slabs);
/* Refill from a fresh frame mapped by the paging layer (the default). */
errval_t slab_default_refill(struct slab_allocator *slabs, size_t bytes);
/* Refill when running low; call after allocations, outside the refill itself. */
errval_t slab_refill_check(struct slab_allocator *slabs);

#endif
