/*
 * Fixed-size object allocator (lib/slab.c) whose memory comes from frames
 * the domain retypes from RAM and maps itself. It refills *before* it runs
 * dry (when fewer than `refill_threshold` objects remain, by default
 * SLAB_REFILL_THRESHOLD), because a refill allocates slots, RAM and
 * page-table bookkeeping that may in turn need objects from this very slab:
 * those come from the reserve while `refilling` is set. A static bootstrap
 * buffer (slab_init_static) covers the time before the first refill.
 *
 * See docs/memory.md for how slab, slot_alloc and mm depend on each other.
 */
#ifndef AOS_SLAB_H
#define AOS_SLAB_H

#include <autarky/types.h>
#include <autarky/errors.h>

#define SLAB_REFILL_THRESHOLD 16

struct slab_allocator;
/* Grows `slabs` by at least `bytes` of fresh mapped memory (by calling
 * slab_grow). Called with slabs->refilling set. */
typedef errval_t (*slab_refill_fn)(struct slab_allocator *slabs, size_t bytes);

/* At the start of every buffer given to slab_grow. */
struct slab_head {
    struct slab_head *next;     /* next slab of the same allocator */
    void *free;                 /* free objects of this slab, linked by their first word */
    size_t free_count;
    size_t total_count;
    uintptr_t start, end;       /* object area: start + i * blocksize, < end */
    size_t bytes;               /* the buffer given to slab_grow (from this header on) */
    uint32_t seq;               /* the order slabs were grown in */
    bool releasable;            /* may be given back when wholly free (slab_reclaim) */
};

struct slab_allocator {
    struct slab_head *slabs;    /* every slab given to slab_grow, oldest first */
    struct slab_head *last;     /* the newest */
    struct slab_head *hint;     /* no slab before this one has a free object */
    uint32_t grown;             /* slabs ever grown (their seq) */
    size_t blocksize;           /* object size, rounded up to a word */
    size_t free_count;          /* free objects over all slabs */
    size_t total_count;
    size_t refill_threshold;    /* refill below this many free objects */
    slab_refill_fn refill;      /* NULL: the default refill (slab_set_default_refill) */
    bool refilling;             /* guard against recursive refills */
};

/* Objects are blocksize rounded up to a word (at least one word), word aligned. */
void slab_init(struct slab_allocator *slabs, size_t blocksize, slab_refill_fn refill);
/* slab_init plus slab_grow(buf, bytes): bootstrap from a static buffer. */
errval_t slab_init_static(struct slab_allocator *slabs, size_t blocksize,
                          slab_refill_fn refill, void *buf, size_t bytes);
/* Give the allocator memory it may carve objects from (kept for ever). */
errval_t slab_grow(struct slab_allocator *slabs, void *buf, size_t bytes);
/* The same for a page-aligned buffer that slab_reclaim may give back. */
errval_t slab_grow_releasable(struct slab_allocator *slabs, void *buf, size_t bytes);
/* When far more objects are free than the refill threshold needs, take
 * releasable slabs whose objects are all free out of the allocator and
 * call release(buf, bytes) for each, as long as at least the threshold
 * plus one refill's worth of objects stay free (with `trim`: always, as
 * long as the threshold's worth stay free). Returns how many. Never called
 * from slab_alloc or slab_free: the caller chooses when (it may need locks
 * the release takes). */
size_t slab_reclaim(struct slab_allocator *slabs, void (*release)(void *buf, size_t bytes),
                    bool trim);
void *slab_alloc(struct slab_allocator *slabs);    /* NULL when exhausted */
/* Give back an object from slab_alloc (LIB_ERR_SLAB_FREE_INVALID if it is not
 * one of this allocator's object addresses; double frees are not detected). */
errval_t slab_free(struct slab_allocator *slabs, void *obj);
size_t slab_freecount(const struct slab_allocator *slabs);
/* Bytes slab_refill_check asks the refill function for (page multiple). */
size_t slab_refill_bytes(const struct slab_allocator *slabs);
/* The refill of every allocator whose own is NULL. The slab sits below the
 * address space, so it cannot map frames itself: the start-up layer
 * installs paging_slab_refill (vspace/slab_frames.c). Until then such an
 * allocator's refill fails with LIB_ERR_SLAB_NO_DEFAULT_REFILL. */
void slab_set_default_refill(slab_refill_fn refill);
/* Refill when running low; call after allocations, outside the refill itself.
 * Does nothing while a refill of this allocator is running. */
errval_t slab_refill_check(struct slab_allocator *slabs);

#endif
