/*
 * Original capabilities made by the kernel at boot, and copies.
 *
 * An original has no parent in the MDB; the boot code guarantees that
 * originals never overlap one another, which keeps capability ranges a
 * laminar family (see mdb.h). Originals go to the head of the MDB, where
 * they cannot fall inside another capability's run of descendants.
 */
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/ram.h>

errval_t caps_create_boot(struct cte *dest, enum objtype type, lpaddr_t base,
                          gensize_t size, uint32_t rights)
{
    errval_t err;

    if (!cte_is_empty(dest)) {
        return SYS_ERR_SLOT_IN_USE;
    }
    if (type == ObjType_Null || type >= ObjType_Num) {
        return SYS_ERR_RETYPE_INVALID_TYPE;
    }
    err = objtype_check_size(type, size);
    if (err_is_fail(err)) {
        return err;
    }
    if (base % objtype_alignment(type, size) != 0
        || (uint64_t)base + size > (1ull << 32)) {
        return SYS_ERR_RETYPE_INVALID_OFFSET;
    }
    object_init(type, base, size);
    cte_clear(dest);
    dest->cap.type = type;
    dest->cap.rights = rights & CAP_RIGHTS_ALL;
    dest->cap.base = base;
    dest->cap.size = size;
    mdb_insert_after(NULL, dest);
    return SYS_ERR_OK;
}

errval_t caps_create_existing(struct cte *dest, enum objtype type, lpaddr_t base,
                              gensize_t size, uint32_t rights)
{
    if (!cte_is_empty(dest)) {
        return SYS_ERR_SLOT_IN_USE;
    }
    if (type != ObjType_Frame || size == 0 || base % BASE_PAGE_SIZE != 0
        || size % BASE_PAGE_SIZE != 0 || (uint64_t)base + size > (1ull << 32)) {
        return SYS_ERR_RETYPE_INVALID_SIZE;
    }
    cte_clear(dest);
    dest->cap.type = type;
    dest->cap.rights = rights & CAP_RIGHTS_ALL;
    dest->cap.base = base;
    dest->cap.size = size;
    mdb_insert_after(NULL, dest);
    return SYS_ERR_OK;
}

/*
 * Copy (or mint) `src` into the empty slot `dest`: same object, rights
 * src & mask. badge 0 keeps the source's badge; a non-zero badge may only be
 * put on an unbadged Endpoint capability. Needs GRANT on the source.
 * The copy is linked right after its source, keeping copies adjacent; it is
 * never mapped (mappings belong to the capability that made them).
 * The caller checks the destination CNode (rights, L1 rule: cnode.h).
 */
errval_t caps_copy(struct cte *dest, struct cte *src, uint32_t rights_mask,
                   uint32_t badge)
{
    if (cte_is_empty(src)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (!cte_is_empty(dest)) {
        return SYS_ERR_SLOT_IN_USE;
    }
    if (src->cap.type == ObjType_Zombie || src->cap.type == ObjType_Retyping) {
        return SYS_ERR_NOT_COPYABLE;     /* an operation in progress: not an object */
    }
    if (!(src->cap.rights & CAP_RIGHT_GRANT)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (badge != 0 && (src->cap.type != ObjType_Endpoint || src->cap.badge != 0)) {
        return SYS_ERR_BADGE_INVALID;
    }
    if (src->cap.type == ObjType_RAM && ram_count_copies(src, RAM_MAX_COPIES) >= RAM_MAX_COPIES) {
        return SYS_ERR_TOO_MANY_COPIES;
    }
    cte_clear(dest);
    dest->cap = src->cap;
    if (src->cap.type == ObjType_RAM) {
        dest->ram_watermark = src->ram_watermark;
    }
    dest->cap.rights = src->cap.rights & rights_mask & CAP_RIGHTS_ALL;
    if (badge != 0) {
        dest->cap.badge = badge;
    }
    mdb_insert_after(src, dest);
    return SYS_ERR_OK;
}
