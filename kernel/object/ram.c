/*
 * RAM objects and retype: the only way new kernel objects come into being
 * after boot.
 *
 * Retype carves `count` objects of `objsize` bytes out of a RAM capability,
 * starting `offset` bytes into it, and puts capabilities to them into
 * consecutive empty slots of a CNode. The new capabilities are descendants
 * of the source: they are linked into the MDB right after the source's
 * group of copies, at the front of its run of descendants. Everything is
 * validated before anything changes, so an error leaves no trace.
 *
 * Every step is bounded (docs/safety.md, rule 9):
 *   - at most RETYPE_MAX_COUNT (256) objects per call;
 *   - the source's copies are at most RAM_MAX_COPIES (64), so finding the
 *     end of its group is cheap;
 *   - the overlap check walks at most RETYPE_WALK_MAX (512) descendants.
 *     Beyond that it relies on the group's high-water mark (the largest
 *     ram_watermark of its copies: no descendant ends above it): a range
 *     above it is free, one below it is refused with
 *     SYS_ERR_RETYPE_RUN_TOO_LONG rather than searched. A group whose
 *     descendants are all gone (revoked, say) starts from 0 again;
 *   - zeroing goes in 64 KiB steps. When the kernel entry's budget runs out
 *     with more to zero, the range is held by a placeholder capability
 *     (ObjType_Retyping) in the first destination slot, a descendant like
 *     any other, so nothing else can be retyped over it, and the call
 *     returns SYS_ERR_RESTART; the same call made again finds the
 *     placeholder, goes on zeroing, and finally puts the objects in place
 *     of it. Deleting the placeholder gives the retype up.
 */
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/cnode.h>
#include <kernel/preempt.h>
#include <kernel/string.h>
#include <arch/memory.h>

#define RETYPE_MAX_COUNT  L2_CNODE_SLOTS
#define RETYPE_WALK_MAX   512u
#define RETYPE_ZERO_STEP  (64u * 1024)

/*
 * The end of `ram`'s group of copies, and the group's high-water mark
 * (O(copies), at most RAM_MAX_COPIES).
 */
static struct cte *ram_group_last(struct cte *ram, uint32_t *watermark)
{
    struct cte *c, *next;
    uint32_t wm = ram->ram_watermark;

    for (c = mdb_prev(ram); c != NULL && cap_is_copy(&c->cap, &ram->cap); c = mdb_prev(c)) {
        wm = c->ram_watermark > wm ? c->ram_watermark : wm;
    }
    for (c = ram; (next = mdb_next(c)) != NULL && cap_is_copy(&next->cap, &ram->cap); c = next) {
        wm = next->ram_watermark > wm ? next->ram_watermark : wm;
    }
    *watermark = wm;
    return c;
}

/* A group with no descendants left starts from 0 again (O(copies)). */
static uint32_t ram_group_watermark_settle(struct cte *ram, struct cte *last, uint32_t wm)
{
    struct cte *next = mdb_next(last);

    if (next != NULL && cap_is_descendant(&ram->cap, &next->cap)) {
        return wm;
    }
    for (struct cte *c = last; c != NULL && cap_is_copy(&c->cap, &ram->cap); c = mdb_prev(c)) {
        c->ram_watermark = 0;
    }
    return 0;
}

uint32_t ram_count_copies(struct cte *ram, uint32_t limit)
{
    uint32_t n = 1;

    for (struct cte *c = mdb_prev(ram); c != NULL && n < limit && cap_is_copy(&c->cap, &ram->cap);
         c = mdb_prev(c)) {
        n++;
    }
    for (struct cte *c = mdb_next(ram); c != NULL && n < limit && cap_is_copy(&c->cap, &ram->cap);
         c = mdb_next(c)) {
        n++;
    }
    return n;
}

void ram_cap_deleting(struct cte *cte)
{
    struct cte *heir;

    if (cte->cap.type == ObjType_RAM && (heir = mdb_any_other_copy(cte)) != NULL
        && heir->ram_watermark < cte->ram_watermark) {
        heir->ram_watermark = cte->ram_watermark;   /* the mark bounds the group */
    }
}

/*
 * Does [lo, hi) overlap a descendant of `src`'s group, whose last copy is
 * `last` and high-water mark `watermark`? At most RETYPE_WALK_MAX of them
 * are looked at (see the top of the file).
 */
static errval_t retype_check_overlap(const struct cte *src, const struct cte *last,
                                     uint32_t watermark, uint64_t lo, uint64_t hi)
{
    uint32_t seen = 0;

    for (struct cte *d = mdb_next(last);
         d != NULL && cap_is_descendant(&src->cap, &d->cap); d = mdb_next(d)) {
        uint64_t d_lo = d->cap.base, d_hi = d_lo + d->cap.size;
        if (d_lo < hi && lo < d_hi) {
            return SYS_ERR_RETYPE_OVERLAP;
        }
        if (++seen == RETYPE_WALK_MAX) {
            return lo >= (uint64_t)src->cap.base + watermark ? SYS_ERR_OK
                                                             : SYS_ERR_RETYPE_RUN_TOO_LONG;
        }
    }
    return SYS_ERR_OK;
}

/* The source capability, the type and the object size. */
static errval_t retype_check_kind(const struct cte *src, enum objtype type,
                                  gensize_t objsize)
{
    errval_t err;

    if (cte_is_empty(src)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (src->cap.type != ObjType_RAM) {
        return SYS_ERR_RETYPE_NOT_RAM;
    }
    if (!(src->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (type >= ObjType_Num || !objtype_is_retypable(type)) {
        return SYS_ERR_RETYPE_INVALID_TYPE;
    }
    err = objtype_check_size(type, objsize);
    if (err_is_fail(err)) {
        return err;
    }
    if (type == ObjType_RAM && objsize >= src->cap.size) {
        return SYS_ERR_RETYPE_INVALID_SIZE;   /* a RAM child is strictly smaller */
    }
    return SYS_ERR_OK;
}

/* Where the objects go: offset alignment and fit inside the source. */
static errval_t retype_check_range(const struct cte *src, enum objtype type,
                                   gensize_t offset, gensize_t objsize,
                                   uint32_t count)
{
    uint64_t first = (uint64_t)src->cap.base + offset;

    if (count == 0) {
        return SYS_ERR_RETYPE_INVALID_COUNT;
    }
    /* alignments are powers of two: a mask, not a 64-bit division */
    if (offset >= src->cap.size || (first & (objtype_alignment(type, objsize) - 1)) != 0) {
        return SYS_ERR_RETYPE_INVALID_OFFSET;
    }
    if ((uint64_t)offset + (uint64_t)count * objsize > src->cap.size) {
        return SYS_ERR_RETYPE_INVALID_COUNT;
    }
    if (count > RETYPE_MAX_COUNT) {
        return SYS_ERR_RETYPE_TOO_MANY;
    }
    return SYS_ERR_OK;
}

/* The placeholder a paused call left for exactly this retype, or NULL. */
static struct cte *paused_retype(const struct cte *dest_cnode, cslot_t dest_slot,
                                 const struct cte *src, enum objtype type,
                                 lpaddr_t first, gensize_t bytes)
{
    struct cte *s;

    if (!objtype_is_cnode(dest_cnode->cap.type) || dest_slot >= cnode_num_slots(dest_cnode)) {
        return NULL;
    }
    s = cnode_slot(dest_cnode, dest_slot);
    if (s->cap.type == ObjType_Retyping && s->cap.flags == type && s->cap.base == first
        && s->cap.size == bytes && cap_is_descendant(&src->cap, &s->cap)) {
        return s;
    }
    return NULL;
}

/* The destination slots (all empty but a placeholder in the first). */
static errval_t retype_check_dest(const struct cte *dest_cnode, cslot_t dest_slot,
                                  uint32_t count, enum objtype type, bool resumed)
{
    errval_t err = cnode_check_dest(dest_cnode, dest_slot, resumed ? 1 : count, type);

    if (err_no(err) == SYS_ERR_SLOT_IN_USE && resumed) {
        err = SYS_ERR_OK;               /* the slot holding the placeholder */
    }
    if (err_is_ok(err) && resumed && count > 1) {
        err = cnode_check_dest(dest_cnode, dest_slot + 1, count - 1, type);
    }
    return err;
}

/*
 * Zero [first, first + bytes) from byte `*done` on, in steps, until done or
 * the entry's budget is used (returns false: paused, *done says how far).
 */
static bool zero_range(lpaddr_t first, gensize_t bytes, gensize_t *done)
{
    while (*done < bytes) {
        gensize_t step = bytes - *done < RETYPE_ZERO_STEP ? bytes - *done : RETYPE_ZERO_STEP;
        memset(pa_to_kva(first + *done), 0, step);
        *done += step;
        if (*done < bytes && preempt_due()) {
            return false;
        }
    }
    return true;
}

/* Hold [first, first + bytes) with a placeholder in `slot` while paused. */
static void hold_range(struct cte *slot, const struct cte *src, struct cte *after,
                       enum objtype type, lpaddr_t first, gensize_t bytes)
{
    cte_clear(slot);
    slot->cap.type = ObjType_Retyping;
    slot->cap.rights = src->cap.rights;
    slot->cap.flags = type;
    slot->cap.base = first;
    slot->cap.size = bytes;
    mdb_insert_after(after, slot);
}

/*
 * The rights of a new object: its source's, plus REVOKE. The objects are
 * new, so every copy of one and every descendant is the retyping domain's
 * own or one it handed on: revoking them reaches nothing it did not make,
 * and never the RAM above them, which its giver can still revoke
 * (docs/capabilities.md, "Why REVOKE is a right").
 */
static uint8_t retype_rights(const struct cte *src)
{
    return (uint8_t)(src->cap.rights | CAP_RIGHT_REVOKE);
}

/* Capabilities to the new objects, after the group's last copy. */
static void retype_make_caps(struct cte *src, struct cte *last, enum objtype type,
                             lpaddr_t first, gensize_t objsize, uint32_t count,
                             struct cte *dest_cnode, cslot_t dest_slot)
{
    struct cte *prev = last;

    for (uint32_t i = 0; i < count; i++) {
        struct cte *dest = cnode_slot(dest_cnode, dest_slot + i);
        lpaddr_t base = first + i * objsize;

        object_prepare_zeroed(type, base);
        cte_clear(dest);
        dest->cap.type = type;
        dest->cap.rights = retype_rights(src);
        dest->cap.base = base;
        dest->cap.size = objsize;
        mdb_insert_after(prev, dest);
        prev = dest;
    }
}

errval_t caps_retype(struct cte *src, enum objtype type, gensize_t offset,
                     gensize_t objsize, uint32_t count, struct cte *dest_cnode,
                     cslot_t dest_slot)
{
    struct cte *last, *held;
    lpaddr_t first;
    gensize_t bytes, done = 0;
    uint32_t watermark;
    errval_t err;

    err = retype_check_kind(src, type, objsize);
    if (err_is_ok(err)) {
        err = retype_check_range(src, type, offset, objsize, count);
    }
    if (err_is_fail(err)) {
        return err;
    }
    first = src->cap.base + offset;
    bytes = (gensize_t)count * objsize;
    held = paused_retype(dest_cnode, dest_slot, src, type, first, bytes);
    err = retype_check_dest(dest_cnode, dest_slot, count, type, held != NULL);
    if (err_is_fail(err)) {
        return err;
    }
    last = ram_group_last(src, &watermark);
    watermark = ram_group_watermark_settle(src, last, watermark);
    if (held == NULL) {
        err = retype_check_overlap(src, last, watermark, first, (uint64_t)first + bytes);
        if (err_is_fail(err)) {
            return err;
        }
    } else {
        done = held->cap.badge;         /* the range is ours since the first call */
    }
    if (offset + bytes > src->ram_watermark) {
        src->ram_watermark = offset + bytes;
    }
    if (objtype_needs_zero(type) && !zero_range(first, bytes, &done)) {
        if (held == NULL) {
            held = cnode_slot(dest_cnode, dest_slot);
            hold_range(held, src, last, type, first, bytes);
        }
        held->cap.badge = done;
        return SYS_ERR_RESTART;
    }
    if (held != NULL) {
        mdb_remove(held);
        cte_clear(held);
    }
    retype_make_caps(src, last, type, first, objsize, count, dest_cnode, dest_slot);
    return SYS_ERR_OK;
}
