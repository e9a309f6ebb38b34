/*
 * CNode helpers shared by copy and retype (kernel/object/cnode.c).
 * Private to the capability layer.
 */
#ifndef KERNEL_CNODE_H
#define KERNEL_CNODE_H

#include <kernel/cap.h>

/*
 * Can slots [first, first + count) of the CNode capability `cnode` receive
 * new capabilities of type `type`? Checks, in this order:
 *   SYS_ERR_DEST_NOT_CNODE      cnode is not an L1/L2 CNode cap
 *   SYS_ERR_NO_RIGHTS           cnode lacks CAP_RIGHT_WRITE
 *   SYS_ERR_SLOT_OUT_OF_RANGE   a slot lies beyond the CNode (or count is 0)
 *   SYS_ERR_L1_SLOT_TYPE        an L1 CNode, and `type` is not L2 CNode
 *   SYS_ERR_SLOT_IN_USE         a slot is occupied
 * Changes nothing.
 */
errval_t cnode_check_dest(const struct cte *cnode, cslot_t first,
                          uint32_t count, enum objtype type);

#endif
