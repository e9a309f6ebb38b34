/*
 * Capability addressing: resolving a cptr in a two-level cspace.
 *
 *   cptr bits [23:8]  slot of the root L1 CNode, which must hold an L2 CNode
 *   cptr bits [7:0]   slot in that L2 CNode
 *   CPTR_L1_SLOT set: bits [15:0] name a slot of the root CNode itself.
 * Any other bit set makes the level-1 index out of range. No rights are
 * needed to look a slot up; operations check the rights they need.
 */
#include <kernel/cap.h>
#include <kernel/mdb.h>
#include <kernel/cnode.h>

#define CPTR_L1_SLOT_INDEX_MASK 0xffffu
#define CPTR_VALID_BITS         0x00ffffffu

errval_t caps_lookup_slot(struct cte *root, capaddr_t cptr, struct cte **ret)
{
    cslot_t root_slots;
    uint32_t l1;
    struct cte *l2cnode;

    if (root == NULL || root->cap.type != ObjType_L1CNode) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    root_slots = cnode_num_slots(root);
    if (cptr & CPTR_L1_SLOT) {
        l1 = cptr & ~CPTR_L1_SLOT;
        if (l1 > CPTR_L1_SLOT_INDEX_MASK || l1 >= root_slots) {
            return SYS_ERR_L1_INDEX_OUT_OF_RANGE;
        }
        *ret = cnode_slot(root, l1);
        return SYS_ERR_OK;
    }
    l1 = CPTR_L1_INDEX(cptr);
    if ((cptr & ~CPTR_VALID_BITS) != 0 || l1 >= root_slots) {
        return SYS_ERR_L1_INDEX_OUT_OF_RANGE;
    }
    l2cnode = cnode_slot(root, l1);
    if (l2cnode->cap.type != ObjType_L2CNode) {
        return SYS_ERR_L2_CNODE_NOT_FOUND;
    }
    *ret = cnode_slot(l2cnode, CPTR_L2_INDEX(cptr));
    return SYS_ERR_OK;
}

/*
 * The slot named by `cptr` as the destination of a new capability of type
 * `type`: resolved to the CNode capability that holds it (the root itself
 * for a CPTR_L1_SLOT cptr, else the L2 CNode in the root slot) and checked
 * by cnode_check_dest, the one function every slot write passes
 * (docs/safety.md, rule 3).
 */
errval_t caps_lookup_dest(struct cte *root, capaddr_t cptr, enum objtype type,
                          struct cte **ret)
{
    struct cte *cnode, *slot;
    cslot_t index;
    errval_t err = caps_lookup_slot(root, cptr, &slot);

    if (err_is_fail(err)) {
        return err;
    }
    if (cptr & CPTR_L1_SLOT) {
        cnode = root;
        index = cptr & CPTR_L1_SLOT_INDEX_MASK;
    } else {
        cnode = cnode_slot(root, CPTR_L1_INDEX(cptr));
        index = CPTR_L2_INDEX(cptr);
    }
    err = cnode_check_dest(cnode, index, 1, type);
    if (err_is_fail(err)) {
        return err;
    }
    *ret = slot;
    return SYS_ERR_OK;
}

errval_t caps_lookup_cap(struct cte *root, capaddr_t cptr, enum objtype type,
                         struct cte **ret)
{
    struct cte *slot;
    errval_t err = caps_lookup_slot(root, cptr, &slot);

    if (err_is_fail(err)) {
        return err;
    }
    if (cte_is_empty(slot)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (type != ObjType_Null && slot->cap.type != type) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    *ret = slot;
    return SYS_ERR_OK;
}
