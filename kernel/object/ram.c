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
 */
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/cnode.h>

/* Does [lo, hi) overlap any descendant of `src` (or of its copies)? */
static bool retype_overlaps(struct cte *src, uint64_t lo, uint64_t hi)
{
    for (struct cte *d = mdb_first_descendant(src);
         d != NULL && cap_is_descendant(&src->cap, &d->cap); d = mdb_next(d)) {
        uint64_t d_lo = d->cap.base, d_hi = d_lo + d->cap.size;
        if (d_lo < hi && lo < d_hi) {
            return true;
        }
    }
    return false;
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
    return SYS_ERR_OK;
}

errval_t caps_retype(struct cte *src, enum objtype type, gensize_t offset,
                     gensize_t objsize, uint32_t count, struct cte *dest_cnode,
                     cslot_t dest_slot)
{
    lpaddr_t first;
    struct cte *prev;
    errval_t err;

    err = retype_check_kind(src, type, objsize);
    if (err_is_fail(err)) {
        return err;
    }
    err = retype_check_range(src, type, offset, objsize, count);
    if (err_is_fail(err)) {
        return err;
    }
    err = cnode_check_dest(dest_cnode, dest_slot, count, type);
    if (err_is_fail(err)) {
        return err;
    }
    first = src->cap.base + offset;
    if (retype_overlaps(src, first, first + (uint64_t)count * objsize)) {
        return SYS_ERR_RETYPE_OVERLAP;
    }

    prev = mdb_last_copy(src);
    for (uint32_t i = 0; i < count; i++) {
        struct cte *dest = cnode_slot(dest_cnode, dest_slot + i);
        lpaddr_t base = first + i * objsize;

        object_init(type, base, objsize);
        cte_clear(dest);
        dest->cap.type = type;
        dest->cap.rights = src->cap.rights;
        dest->cap.base = base;
        dest->cap.size = objsize;
        mdb_insert_after(prev, dest);
        prev = dest;
    }
    return SYS_ERR_OK;
}
