/*
 * Delete and revoke, in bounded steps.
 *
 * Deleting a slot empties it. If it held the last copy of its object, the
 * object is destroyed. For most objects that is O(1). A CNode or a
 * Dispatcher holds slots of its own, which must be deleted first, and they
 * may hold more CNodes: a domain can build a tree of any size, so its
 * destruction is done in steps that the kernel can pause (docs/safety.md,
 * rule 9), seL4's way:
 *
 *   - the last capability to a CNode or Dispatcher becomes a *zombie* in
 *     its slot (ObjType_Zombie, the original type in cap.flags, same base
 *     and size): nothing can be done with it but deleting it, and as long
 *     as it exists its memory is still a descendant of its RAM, so nothing
 *     can be retyped over the slots it still contains;
 *   - the zombie's slots are deleted one by one (cap.badge counts how far
 *     it got). A slot holding the last copy of another CNode becomes a
 *     zombie too and is finished first: the reaper descends into it,
 *     remembering the way back in delete_next, and climbs back up when it
 *     is done. No C recursion: the kernel stack stays flat however deep
 *     the tree (1,800 nested CNodes in the host tests);
 *   - a reaping that pauses leaves its place in the top zombie
 *     (reap_cursor), and the zombies on its way down carry the top's
 *     name (reap_top), so the next call resumes there in O(1) instead of
 *     climbing down a chain a domain may have made thousands deep. If
 *     another reaping (a revoke of the RAM) went through meanwhile, the
 *     names no longer match and the reaper starts again from the top;
 *   - when every slot is empty (and a Dispatcher has unbound its
 *     endpoints), the zombie's own slot is emptied;
 *   - an L1 page table with tables mapped through it is reaped the same
 *     way, a batch of mappings a step (vnode_forget_some), each batch
 *     flushed before the kernel can pause, so no translation survives
 *     into user mode.
 *
 * After each step the reaper asks preempt_due(); if this kernel entry has
 * used its budget it returns SYS_ERR_RESTART, the domain makes the same
 * call again, and the reaper finds its zombies where it left them (a
 * zombie met in a slot is always descended into). Memory is never freed:
 * it stops being referenced, and its RAM ancestor may retype it again once
 * no descendant (zombies included) overlaps.
 *
 * Revoke deletes every other copy and every descendant of a capability,
 * which (MDB ordering, mdb.h) are exactly its neighbours in the MDB: one
 * neighbour at a time, so it pauses and resumes the same way.
 */
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/vnode.h>
#include <kernel/dispatcher.h>
#include <kernel/endpoint.h>
#include <kernel/arch.h>
#include <kernel/preempt.h>
#include <kernel/ram.h>

struct delete_run {
    struct cte *watch;      /* revoke: the revoked slot, NULL otherwise */
    bool watch_deleted;     /* the watched slot was emptied (or became a zombie) */
};

/*
 * Does deleting `cte` destroy an object that holds many things of its own:
 * a CNode or Dispatcher (slots), or an L1 page table with tables mapped
 * through it (up to 2,048 mappings)?
 */
static bool needs_reaping(const struct cte *cte)
{
    enum objtype t = cte->cap.type;

    if (!objtype_is_cnode(t) && t != ObjType_Dispatcher
        && !(t == ObjType_VNode_L1 && cte->mapped_head != 0)) {
        return false;
    }
    return mdb_any_other_copy(cte) == NULL;
}

/* Empty slots skipped in one step: a 65,536-slot CNode is mostly empty. */
#define REAP_EMPTY_PER_STEP 256

/* The slots inside the object of zombie `z`. */
static struct cte *zombie_slots(const struct cte *z, uint32_t *n)
{
    if (z->cap.flags == ObjType_Dispatcher) {
        *n = DCB_NUM_CTES;
        return ((struct dcb *)cte_from_ref(z->cap.base))->ctes;
    }
    *n = z->cap.size / CTE_SIZE;
    return cte_from_ref(z->cap.base);
}

static void note_watch(struct delete_run *run, struct cte *cte)
{
    if (cte == run->watch) {
        run->watch_deleted = true;
    }
}

/* What the last capability to an object leaves to do, once it is gone
 * (`type`: the object's type, a zombie's original one). */
static void object_destroyed(enum objtype type, lpaddr_t base)
{
    if (type == ObjType_Endpoint) {
        endpoint_destroyed(base);
    } else if (type == ObjType_VNode_L1) {
        arch_user_vspace_destroyed(base);       /* never walk it again */
    }
}

/* Empty a slot whose deletion destroys nothing with slots inside: O(1)
 * (a table's mappings are bounded by its size). */
static void delete_simple(struct delete_run *run, struct cte *cte)
{
    enum objtype type;
    lpaddr_t base;
    bool last;

    note_watch(run, cte);
    if (cte->owner >= CTE_OWNER_DCB_FIRST) {
        dispatcher_slot_deleted(cte);
    }
    vnode_cap_deleting(cte);
    ram_cap_deleting(cte);
    last = mdb_any_other_copy(cte) == NULL;
    type = cte->cap.type;
    base = cte->cap.base;
    mdb_remove(cte);
    cte_clear(cte);
    if (last) {
        object_destroyed(type, base);
    }
}

/* The last capability to a CNode or Dispatcher becomes its zombie. */
static void make_zombie(struct delete_run *run, struct cte *cte)
{
    note_watch(run, cte);
    if (cte->owner >= CTE_OWNER_DCB_FIRST) {
        dispatcher_slot_deleted(cte);
    }
    if (cte->cap.type == ObjType_Dispatcher) {
        dispatcher_destroying((struct dcb *)cte_from_ref(cte->cap.base));  /* off the CPU now */
    }
    cte->cap.flags = cte->cap.type;
    cte->cap.type = ObjType_Zombie;
    cte->cap.badge = 0;                 /* the next slot to delete */
    cte->delete_next = 0;
}

/*
 * One step of zombie `z` (reached from `top`): delete or zombify its next
 * slot, or descend into a zombie there. Returns the zombie to work on next
 * (z itself, a child), or NULL when z has nothing left inside.
 *
 * The one zombie that may turn up inside what it is destroying is `top`:
 * every other zombie on the way down sits in its parent's slot, the only
 * place its last capability is, but top's slot may lie anywhere, also in
 * its own object or a descendant's (a CNode holding its own last cap, a
 * DCB and a CNode holding each other's). Such a slot is skipped, as a
 * cycle would be otherwise; top's own slot is emptied last.
 */
static struct cte *reap_step(struct delete_run *run, struct cte *top, struct cte *z)
{
    uint32_t n, skipped = 0;
    struct cte *slots;

    if (z->cap.flags == ObjType_VNode_L1) {
        return vnode_forget_some(z) ? z : NULL;   /* a batch of its mappings */
    }
    slots = zombie_slots(z, &n);
    while (z->cap.badge < n) {
        struct cte *s = &slots[z->cap.badge];
        if (s == top || cte_is_empty(s)) {
            z->cap.badge++;
            if (++skipped == REAP_EMPTY_PER_STEP) {
                return z;               /* a step's worth of empty slots */
            }
            continue;
        }
        if (s->cap.type != ObjType_Zombie && needs_reaping(s)) {
            make_zombie(run, s);
        }
        if (s->cap.type == ObjType_Zombie) {
            s->delete_next = cte_to_ref(z);   /* the way back up */
            s->reap_top = cte_to_ref(top);
            return s;
        }
        delete_simple(run, s);
        z->cap.badge++;
        return z;
    }
    if (z->cap.flags == ObjType_Dispatcher
        && dispatcher_unbind_one_endpoint((struct dcb *)cte_from_ref(z->cap.base))) {
        return z;                       /* one endpoint unbound per step */
    }
    return NULL;
}

/*
 * Finish zombie `top` and everything under it, a step at a time, pausing
 * (SYS_ERR_RESTART) when the kernel entry's budget is used.
 */
static errval_t reap(struct delete_run *run, struct cte *top)
{
    struct cte *z = cte_from_ref(top->reap_cursor);

    if (z == NULL || z->cap.type != ObjType_Zombie || z->reap_top != cte_to_ref(top)) {
        z = top;                        /* no valid place to resume: from the top */
    }
    for (;;) {
        struct cte *next = reap_step(run, top, z);
        if (next == NULL) {
            struct cte *parent = cte_from_ref(z->delete_next);
            enum objtype type = z->cap.flags;
            lpaddr_t base = z->cap.base;
            note_watch(run, z);
            mdb_remove(z);
            cte_clear(z);
            object_destroyed(type, base);
            if (z == top) {
                return SYS_ERR_OK;
            }
            parent->cap.badge++;
            next = parent;
        }
        z = next;
        if (preempt_due()) {
            top->reap_cursor = cte_to_ref(z);
            return SYS_ERR_RESTART;
        }
    }
}

/* Delete one slot for `run`: at once, or through its zombie. */
static errval_t delete_slot(struct delete_run *run, struct cte *cte)
{
    if (cte->cap.type != ObjType_Zombie && !needs_reaping(cte)) {
        delete_simple(run, cte);
        return SYS_ERR_OK;
    }
    if (cte->cap.type != ObjType_Zombie) {
        make_zombie(run, cte);
    }
    return reap(run, cte);
}

errval_t caps_delete(struct cte *cte)
{
    struct delete_run run = { NULL, false };

    if (cte_is_empty(cte)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    return delete_slot(&run, cte);
}

/* The next copy or descendant of `cte` still in the MDB, or NULL. */
static struct cte *revoke_next_victim(struct cte *cte)
{
    struct cte *prev = mdb_prev(cte), *next = mdb_next(cte);

    if (prev != NULL && cap_is_copy(&prev->cap, &cte->cap)) {
        return prev;
    }
    if (next != NULL && (cap_is_copy(&next->cap, &cte->cap)
                         || cap_is_descendant(&cte->cap, &next->cap))) {
        return next;
    }
    return NULL;
}

/*
 * Delete the neighbours of `cte` that are its copies or descendants until
 * none is left, pausing when the budget is used (the next call carries on:
 * what is left are still its neighbours). If a cascade empties `cte` itself
 * (it lived in a CNode the revoke destroyed), stop at once: its links are
 * gone, so the rest of its descendants cannot be found any more and are
 * left in place. A descendant given to another core (kernel/cap/given.c)
 * stops it too, with SYS_ERR_REVOKE_GIVEN_AWAY: that memory never comes
 * back; so does the pin of a frame lent to another core (kernel/cap/
 * loan.c), with SYS_ERR_REVOKE_LENT until the loan ends. What the revoke
 * deleted before either stays deleted.
 */
errval_t caps_revoke(struct cte *cte)
{
    struct delete_run run = { cte, false };
    struct cte *victim;

    if (cte_is_empty(cte)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    while ((victim = revoke_next_victim(cte)) != NULL) {
        if (victim->owner == CTE_OWNER_GIVEN) {
            return SYS_ERR_REVOKE_GIVEN_AWAY;   /* another core's memory now */
        }
        if (victim->owner == CTE_OWNER_LENT) {
            return SYS_ERR_REVOKE_LENT;         /* back when the loan ends */
        }
        errval_t err = delete_slot(&run, victim);
        if (run.watch_deleted) {
            return SYS_ERR_REVOKE_DELETED_SELF;
        }
        if (err_is_fail(err)) {
            return err;                 /* SYS_ERR_RESTART */
        }
        if (preempt_due()) {
            return SYS_ERR_RESTART;
        }
    }
    return SYS_ERR_OK;
}
