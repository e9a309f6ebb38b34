/*
 * The mapping database (MDB): one doubly-linked list of every non-empty
 * capability slot in the system (kernel/cap/mdb.c).
 *
 * Ordering invariant (seL4's idea, see docs/capabilities.md):
 *   - all copies of a capability (same type, base, size) are adjacent;
 *   - the descendants of a RAM capability follow its group of copies
 *     contiguously: the run of entries after the last copy whose range lies
 *     inside the RAM range (and which are not copies) are exactly its
 *     descendants.
 * This works because ranges form a laminar family: boot originals do not
 * overlap and retype refuses to overlap existing descendants.
 *
 * Private to the capability layer (kernel/cap, kernel/object).
 */
#ifndef KERNEL_MDB_H
#define KERNEL_MDB_H

#include <kernel/cap.h>

static inline bool cte_is_empty(const struct cte *cte)
{
    return cte->cap.type == ObjType_Null;
}

/* Empty a slot: capability and all links zero; `owner` (a property of the
 * slot, not of the capability) is kept. The slot must be out of the MDB. */
void cte_clear(struct cte *cte);

/* Same object: same type, base and size. */
bool cap_is_copy(const struct capability *a, const struct capability *b);
/* `c` lies inside the RAM capability `ancestor` and is not a copy of it
 * (a RAM child must be strictly smaller). Only RAM has descendants. */
bool cap_is_descendant(const struct capability *ancestor,
                       const struct capability *c);

struct cte *mdb_next(const struct cte *cte);
struct cte *mdb_prev(const struct cte *cte);
/* Link the non-empty slot `cte` into the MDB right after `pos`
 * (pos NULL: at the head of the list). */
void mdb_insert_after(struct cte *pos, struct cte *cte);
/* Unlink `cte` from the MDB (its capability is left as it is). */
void mdb_remove(struct cte *cte);

/* First and last entry of the group of copies `cte` belongs to. */
struct cte *mdb_first_copy(struct cte *cte);
struct cte *mdb_last_copy(struct cte *cte);
/* Any other copy of the same object, or NULL if `cte` is the last one. */
struct cte *mdb_any_other_copy(const struct cte *cte);
/* The first descendant of `cte`'s copy group, or NULL if none. */
struct cte *mdb_first_descendant(struct cte *cte);

uint32_t mdb_count(void);
/* Forget every entry (host tests only: the arena is reset around them). */
void mdb_reset(void);
/* Walk the whole list and check links, the live count and the ordering
 * invariant. Returns NULL if all holds, else a description of the fault
 * (tests call it after every operation). */
const char *mdb_check_invariants(void);

#endif
