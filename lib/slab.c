/*
 * Fixed-size object allocator (include/aos/slab.h).
 *
 * Every buffer given to slab_grow becomes one slab: a struct slab_head at
 * its (word-aligned) start, then as many objects of `blocksize` bytes as fit.
 * Each slab keeps its own free list, threaded through the first word of each
 * free object, so slab_free can check that an address really is one of its
 * objects. Slabs are listed oldest first and an object always comes from
 * the oldest slab that has one (`hint` skips the full ones), so objects
 * that live long gather in the old slabs and the newer ones empty out.
 *
 *   buf ─▶ ┌────────────────┬───────┬───────┬───────┬─────┐
 *          │ struct slab_head│ obj 0 │ obj 1 │ obj 2 │ ... │
 *          └────────────────┴───────┴───────┴───────┴─────┘
 *                           start                        end
 *
 * Refills happen in slab_refill_check only, never inside slab_alloc, so an
 * allocation never calls out of this file (see docs/memory.md). Slabs grown
 * with slab_grow_releasable go back (slab_reclaim) when all their objects
 * are free and the allocator keeps enough free objects without them.
 */
#include <aos/slab.h>
#include <stddef.h>

#define WORD sizeof(void *)

/* Round `x` up to a multiple of the word size. No invariants beyond that. */
static size_t word_round(size_t x)
{
    return (x + WORD - 1) & ~(WORD - 1);
}

/*
 * Initialise an empty allocator for objects of `blocksize` bytes, rounded up
 * to a word (at least one word, the free-list link). `refill` NULL means
 * the default refill (slab_set_default_refill). Holds no memory until slab_grow.
 */
void slab_init(struct slab_allocator *slabs, size_t blocksize, slab_refill_fn refill)
{
    if (slabs == NULL) {
        return;
    }
    slabs->slabs = NULL;
    slabs->last = NULL;
    slabs->hint = NULL;
    slabs->grown = 0;
    slabs->blocksize = blocksize < WORD ? WORD : word_round(blocksize);
    slabs->free_count = 0;
    slabs->total_count = 0;
    slabs->refill_threshold = SLAB_REFILL_THRESHOLD;
    slabs->refill = refill;
    slabs->refilling = false;
}

/*
 * Bootstrap: initialise and give the allocator a buffer the caller owns for
 * ever (typically a static page in .bss), so objects exist before the first
 * refill can run.
 */
errval_t slab_init_static(struct slab_allocator *slabs, size_t blocksize,
                          slab_refill_fn refill, void *buf, size_t bytes)
{
    slab_init(slabs, blocksize, refill);
    return slab_grow(slabs, buf, bytes);
}

/*
 * Turn [buf, buf + bytes) into one slab of free objects. The buffer is
 * aligned up to a word first; it must then hold the header and at least one
 * object (LIB_ERR_SLAB_GROW_TOO_SMALL otherwise, nothing changed).
 * Objects never overlap the header, each other or the buffer's end.
 */
errval_t slab_grow(struct slab_allocator *slabs, void *buf, size_t bytes)
{
    if (slabs == NULL || buf == NULL) {
        return LIB_ERR_SLAB_GROW_TOO_SMALL;
    }
    uintptr_t begin = (uintptr_t)buf;
    uintptr_t aligned = word_round(begin);
    uintptr_t end = begin + bytes;
    if (end < begin) {           /* wraps: treat as too small, do not trust it */
        return LIB_ERR_SLAB_GROW_TOO_SMALL;
    }
    uintptr_t objs = aligned + word_round(sizeof(struct slab_head));
    if (aligned > end || objs > end || end - objs < slabs->blocksize) {
        return LIB_ERR_SLAB_GROW_TOO_SMALL;
    }
    size_t n = (end - objs) / slabs->blocksize;

    struct slab_head *sh = (struct slab_head *)aligned;
    sh->start = objs;
    sh->end = objs + n * slabs->blocksize;
    sh->free = NULL;
    /* Build the free list back to front so objects come out in address order. */
    for (size_t i = n; i-- > 0;) {
        void **obj = (void **)(objs + i * slabs->blocksize);
        *obj = sh->free;
        sh->free = obj;
    }
    sh->free_count = n;
    sh->total_count = n;
    sh->bytes = end - aligned;
    sh->releasable = false;
    sh->seq = ++slabs->grown;
    sh->next = NULL;
    if (slabs->last != NULL) {
        slabs->last->next = sh;
    } else {
        slabs->slabs = sh;
    }
    slabs->last = sh;
    if (slabs->hint == NULL) {
        slabs->hint = sh;
    }
    slabs->free_count += n;
    slabs->total_count += n;
    return SYS_ERR_OK;
}

/* slab_grow, for a buffer slab_reclaim may hand back (it must start on a
 * word boundary: the header is at the buffer's start). */
errval_t slab_grow_releasable(struct slab_allocator *slabs, void *buf, size_t bytes)
{
    errval_t err = slab_grow(slabs, buf, bytes);

    if (err_is_ok(err) && (uintptr_t)buf % WORD == 0) {
        slabs->last->releasable = true;
    }
    return err;
}

/*
 * Objects one refill adds (at least one): what must stay free beyond the
 * threshold when a slab goes back, so a reclaim is not followed at once by
 * a refill.
 */
static size_t objects_per_refill(const struct slab_allocator *slabs)
{
    size_t n = (slab_refill_bytes(slabs) - word_round(sizeof(struct slab_head))) / slabs->blocksize;
    return n > 0 ? n : 1;
}

/*
 * Give back wholly free releasable slabs (see slab.h). Runs only when more
 * than the threshold plus two refills' worth of objects are free, and
 * keeps at least the threshold plus one refill's worth (trimming: keeps
 * the threshold's worth, whenever asked); O(number of slabs).
 * The counts are updated before release() is called, so a release that
 * allocates from (or frees to) this allocator finds it consistent.
 */
size_t slab_reclaim(struct slab_allocator *slabs, void (*release)(void *buf, size_t bytes),
                    bool trim)
{
    size_t keep, n = 0;
    struct slab_head **pp;

    if (slabs == NULL || slabs->refilling) {
        return 0;
    }
    keep = slabs->refill_threshold + (trim ? 0 : objects_per_refill(slabs));
    if (!trim && slabs->free_count <= keep + objects_per_refill(slabs)) {
        return 0;
    }
    slabs->refilling = true;            /* no refill, no nested reclaim meanwhile */
    for (pp = &slabs->slabs; *pp != NULL;) {
        struct slab_head *sh = *pp, *prev;
        if (!sh->releasable || sh->free_count != sh->total_count
            || slabs->free_count - sh->free_count < keep) {
            pp = &sh->next;
            continue;
        }
        *pp = sh->next;
        if (slabs->last == sh) {        /* the one before is the newest now */
            prev = pp == &slabs->slabs ? NULL
                   : (struct slab_head *)((char *)pp - offsetof(struct slab_head, next));
            slabs->last = prev;
        }
        if (slabs->hint == sh) {
            slabs->hint = sh->next != NULL ? sh->next : slabs->slabs;
        }
        slabs->free_count -= sh->total_count;
        slabs->total_count -= sh->total_count;
        release(sh, sh->bytes);
        n++;
    }
    slabs->refilling = false;
    return n;
}

/*
 * Take one object from the oldest slab that has any; NULL when none is left.
 * Never refills (that is slab_refill_check's job), so it never recurses.
 * Invariant kept: slabs->free_count is the sum of the slabs' free_count.
 */
void *slab_alloc(struct slab_allocator *slabs)
{
    if (slabs == NULL || slabs->free_count == 0) {
        return NULL;
    }
    for (struct slab_head *sh = slabs->hint != NULL ? slabs->hint : slabs->slabs; sh != NULL;
         sh = sh->next) {
        if (sh->free != NULL) {
            void **obj = sh->free;
            sh->free = *obj;
            sh->free_count--;
            slabs->free_count--;
            slabs->hint = sh;
            return obj;
        }
    }
    return NULL;   /* unreachable while the counts (and the hint) are consistent */
}

/*
 * Return `obj` to the slab it was carved from. It must lie on an object
 * boundary inside one of this allocator's slabs (LIB_ERR_SLAB_FREE_INVALID
 * otherwise, nothing changed). O(number of slabs).
 */
errval_t slab_free(struct slab_allocator *slabs, void *obj)
{
    if (slabs == NULL || obj == NULL) {
        return LIB_ERR_SLAB_FREE_INVALID;
    }
    uintptr_t a = (uintptr_t)obj;
    for (struct slab_head *sh = slabs->slabs; sh != NULL; sh = sh->next) {
        if (a < sh->start || a >= sh->end) {
            continue;
        }
        if ((a - sh->start) % slabs->blocksize != 0 ||
            sh->free_count >= sh->total_count) {
            return LIB_ERR_SLAB_FREE_INVALID;
        }
        *(void **)obj = sh->free;
        sh->free = obj;
        sh->free_count++;
        slabs->free_count++;
        if (slabs->hint == NULL || sh->seq < slabs->hint->seq) {
            slabs->hint = sh;
        }
        return SYS_ERR_OK;
    }
    return LIB_ERR_SLAB_FREE_INVALID;
}

/* Free objects available without a refill. */
size_t slab_freecount(const struct slab_allocator *slabs)
{
    return slabs == NULL ? 0 : slabs->free_count;
}

/*
 * How much a refill asks for: room for twice the threshold of objects plus
 * the header, rounded up to whole pages (at least one page), so one refill
 * lifts the allocator well above the threshold.
 */
size_t slab_refill_bytes(const struct slab_allocator *slabs)
{
    size_t want = word_round(sizeof(struct slab_head)) + WORD +
                  2 * slabs->refill_threshold * slabs->blocksize;
    return ROUND_UP(want, BASE_PAGE_SIZE);
}

static slab_refill_fn default_refill;

/* Set once at start-up, before any allocator with a NULL refill runs low. */
void slab_set_default_refill(slab_refill_fn refill)
{
    default_refill = refill;
}

/*
 * If fewer than refill_threshold objects are free and no refill of this
 * allocator is running, call the refill function once with `refilling` set.
 * Anything the refill allocates from this same allocator (directly or through
 * slot/RAM/page-table code) is served from the remaining reserve, and the
 * nested slab_refill_check calls that code makes return at once: the flag
 * makes recursion impossible. Errors: the refill's error under
 * LIB_ERR_SLAB_REFILL (the allocator is unchanged apart from what the refill
 * did grow).
 */
errval_t slab_refill_check(struct slab_allocator *slabs)
{
    if (slabs == NULL || slabs->refilling ||
        slabs->free_count >= slabs->refill_threshold) {
        return SYS_ERR_OK;
    }
    slab_refill_fn fn = slabs->refill != NULL ? slabs->refill : default_refill;
    if (fn == NULL) {
        return err_push(LIB_ERR_SLAB_NO_DEFAULT_REFILL, LIB_ERR_SLAB_REFILL);
    }
    slabs->refilling = true;
    errval_t err = fn(slabs, slab_refill_bytes(slabs));
    slabs->refilling = false;
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLAB_REFILL);
    }
    return SYS_ERR_OK;
}
