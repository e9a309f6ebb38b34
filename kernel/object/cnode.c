/*
 * CNode objects: arrays of 64-byte slots. An L2 CNode has 256 slots; an L1
 * CNode (the root of a cspace) has size/64 slots and holds only L2 CNode
 * capabilities. Destroying a CNode (kernel/cap/delete.c) deletes every
 * slot inside it.
 */
#include <kernel/cnode.h>
#include <kernel/objtype.h>
#include <kernel/mdb.h>
#include <arch/memory.h>

struct cte *cnode_slot(const struct cte *cnode, cslot_t slot)
{
    return (struct cte *)pa_to_kva(cnode->cap.base) + slot;
}

cslot_t cnode_num_slots(const struct cte *cnode)
{
    switch (cnode->cap.type) {
    case ObjType_L2CNode:
        return L2_CNODE_SLOTS;
    case ObjType_L1CNode:
        return cnode->cap.size / CTE_SIZE;
    default:
        return 0;
    }
}

errval_t cnode_check_dest(const struct cte *cnode, cslot_t first,
                          uint32_t count, enum objtype type)
{
    cslot_t slots = cnode_num_slots(cnode);

    if (!objtype_is_cnode(cnode->cap.type)) {
        return SYS_ERR_DEST_NOT_CNODE;
    }
    if (!(cnode->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (count == 0 || first >= slots || count > slots - first) {
        return SYS_ERR_SLOT_OUT_OF_RANGE;
    }
    if (cnode->cap.type == ObjType_L1CNode && type != ObjType_L2CNode) {
        return SYS_ERR_L1_SLOT_TYPE;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (!cte_is_empty(cnode_slot(cnode, first + i))) {
            return SYS_ERR_SLOT_IN_USE;
        }
    }
    return SYS_ERR_OK;
}
