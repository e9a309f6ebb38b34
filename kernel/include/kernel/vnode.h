/*
 * Mapping records kept by kernel/object/vnode.c, for the delete path.
 * Private to the capability layer.
 *
 * A mapped capability (Frame, DevFrame, VNode L2) records the table
 * capability it was mapped through (map_vnode), the first entry, the number
 * of entries and the page offset into the frame, and is linked into that
 * table capability's list (mapped_head, map_prev/map_next).
 */
#ifndef KERNEL_VNODE_H
#define KERNEL_VNODE_H

#include <kernel/cap.h>

/*
 * The slot `cte` is about to be emptied (it is still in the MDB):
 *  - the mapping `cte` made is removed (entries cleared, TLB flushed);
 *  - if `cte` is a page-table capability, the mappings made through it are
 *    handed to another copy of it if one remains, else removed.
 */
void vnode_cap_deleting(struct cte *cte);

/*
 * A dying table (a zombie, kernel/cap/delete.c) gives up its mappings a
 * batch at a time: clear up to a step's worth, make the change visible and
 * flush. Returns false when none was left.
 */
bool vnode_forget_some(struct cte *table);

#endif
