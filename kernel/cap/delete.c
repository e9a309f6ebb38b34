/*
 * Delete and revoke.
 *
 * Deleting a slot empties it. If it held the last copy of its object, the
 * object is destroyed: a CNode's slots and a Dispatcher's embedded slots
 * are deleted in turn, which may destroy further objects. That cascade is
 * driven by an explicit stack of pending slots threaded through
 * cte.delete_next, never by C recursion, so the kernel stack stays bounded
 * however deep CNodes nest. Memory is never freed: it simply stops being
 * referenced, and the RAM capability it came from can retype it again.
 *
 * Revoke deletes every other copy and every descendant of a capability,
 * which (MDB ordering, mdb.h) are exactly its neighbours in the MDB.
 */
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/vnode.h>
#include <kernel/dispatcher.h>
#include <kernel/endpoint.h>
#include <kernel/arch.h>

struct delete_run {
    cte_ref_t pending;      /* stack of slots still to delete */
    struct cte *watch;      /* revoke: the revoked slot, NULL otherwise */
    bool watch_deleted;     /* the watched slot was emptied by the cascade */
};

static void pending_push(struct delete_run *run, struct cte *cte)
{
    cte->delete_next = run->pending;
    run->pending = cte_to_ref(cte);
}

static struct cte *pending_pop(struct delete_run *run)
{
    struct cte *cte = cte_from_ref(run->pending);

    if (cte != NULL) {
        run->pending = cte->delete_next;
        cte->delete_next = 0;
    }
    return cte;
}

/* The last capability to an object is gone: queue the slots it contains. */
static void object_destroy(struct delete_run *run, const struct capability *cap)
{
    struct cte *slots = NULL;
    cslot_t n = 0;

    if (objtype_is_cnode(cap->type)) {
        slots = cte_from_ref(cap->base);
        n = cap->size / CTE_SIZE;
    } else if (cap->type == ObjType_Dispatcher) {
        dispatcher_unbind_endpoints((struct dcb *)cte_from_ref(cap->base));
        slots = ((struct dcb *)cte_from_ref(cap->base))->ctes;
        n = DCB_NUM_CTES;
    } else if (cap->type == ObjType_Endpoint) {
        endpoint_destroyed(cap);
    } else if (cap->type == ObjType_VNode_L1) {
        arch_user_vspace_destroyed(cap->base);  /* never walk it again */
    }
    for (cslot_t i = 0; i < n; i++) {
        if (!cte_is_empty(&slots[i])) {
            pending_push(run, &slots[i]);
        }
    }
}

/*
 * Empty one slot: tell the dispatcher if the slot lives in a DCB, remove
 * mappings, unlink from the MDB, and destroy the object if this was its
 * last copy. Never recurses: contained slots go onto the pending stack.
 */
static void delete_one(struct delete_run *run, struct cte *cte)
{
    struct capability cap;
    bool last;

    if (cte == run->watch) {
        run->watch_deleted = true;
    }
    if (cte->owner >= CTE_OWNER_DCB_FIRST) {
        dispatcher_slot_deleted(cte);
    }
    vnode_cap_deleting(cte);
    last = mdb_any_other_copy(cte) == NULL;
    cap = cte->cap;
    mdb_remove(cte);
    cte_clear(cte);
    if (last) {
        object_destroy(run, &cap);
    }
}

/* Delete `first` and everything its deletion destroys. */
static void delete_cascade(struct delete_run *run, struct cte *first)
{
    struct cte *cte;

    pending_push(run, first);
    while ((cte = pending_pop(run)) != NULL) {
        if (!cte_is_empty(cte)) {
            delete_one(run, cte);
        }
    }
}

errval_t caps_delete(struct cte *cte)
{
    struct delete_run run = { 0, NULL, false };

    if (cte_is_empty(cte)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    delete_cascade(&run, cte);
    return SYS_ERR_OK;
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
 * none is left. If a cascade empties `cte` itself (it lived in a CNode the
 * revoke destroyed), stop at once: its links are gone, so the rest of its
 * descendants cannot be found any more and are left in place.
 */
errval_t caps_revoke(struct cte *cte)
{
    struct delete_run run = { 0, cte, false };
    struct cte *victim;

    if (cte_is_empty(cte)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    while ((victim = revoke_next_victim(cte)) != NULL) {
        delete_cascade(&run, victim);
        if (run.watch_deleted) {
            return SYS_ERR_REVOKE_DELETED_SELF;
        }
    }
    return SYS_ERR_OK;
}
