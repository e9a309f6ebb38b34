/*
 * RAM given away for good (docs/multikernel.md, docs/safety.md rule 10).
 *
 * When this core hands memory to another core's CPU driver (a new core's
 * image and first RAM, later RAM that moves to a core running short), the
 * memory must leave this core's capability database for good, or a
 * holder of an ancestor could retype it again while the other core uses
 * it. Deleting the RAM capability is not enough: with no descendant left,
 * the ancestor's range is free to retype.
 *
 * So caps_give_away moves the capability into a slot of the kernel's own
 * (owner CTE_OWNER_GIVEN) that stays in the MDB as the descendant it was:
 * the overlap check of every retype of an ancestor sees it, and a revoke
 * of an ancestor stops at it (SYS_ERR_REVOKE_GIVEN_AWAY) instead of
 * deleting it. No invocation reaches these slots; nothing ever empties
 * them. A frame shared with another core for good (caps_share_for_good)
 * keeps a copy in one of them, with the same effect on its memory.
 *
 * The slots are an array the caller allocates from RAM at boot (not a
 * kernel variable: slots link to each other by physical address, and a
 * kernel variable's physical address differs on each core).
 */
#include <kernel/cap.h>
#include <kernel/mdb.h>

static struct cte *given;
static uint32_t given_max, given_count;

void caps_given_init(struct cte *slots, uint32_t max)
{
    given = slots;
    given_max = max;
    given_count = 0;
    for (uint32_t i = 0; i < max; i++) {
        cte_clear(&slots[i]);
        slots[i].owner = CTE_OWNER_GIVEN;
    }
}

/*
 * Could RAM capability `ram` be taken away from every domain of this core
 * for good? It must be the memory's only capability anyone holds: RAM
 * with the REVOKE right (its holder made it), no other copy and nothing
 * retyped from it (SYS_ERR_RAM_GIVEN_IN_USE); and there must be a slot
 * left for it (SYS_ERR_RAM_GIVEN_FULL).
 */
errval_t caps_give_away_check(const struct cte *ram)
{
    if (ram->cap.type != ObjType_RAM) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if (!(ram->cap.rights & CAP_RIGHT_REVOKE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (mdb_any_other_copy(ram) != NULL || mdb_first_descendant((struct cte *)ram) != NULL) {
        return SYS_ERR_RAM_GIVEN_IN_USE;
    }
    if (given_count >= given_max) {
        return SYS_ERR_RAM_GIVEN_FULL;
    }
    return SYS_ERR_OK;
}

/* Take `ram` away for good (after caps_give_away_check, this cannot fail).
 * Errors change nothing. */
errval_t caps_give_away(struct cte *ram)
{
    errval_t err = caps_give_away_check(ram);
    struct cte *slot;

    if (err_is_fail(err)) {
        return err;
    }
    slot = &given[given_count++];
    slot->cap = ram->cap;
    mdb_insert_after(ram, slot);        /* same place among its ancestor's descendants */
    mdb_remove(ram);
    cte_clear(ram);
    return SYS_ERR_OK;
}

/*
 * Frame `frame` is shared with another core for good (the channel between
 * two cores' inits): keep a copy of it in a kernel slot, so a revoke of
 * it or of its RAM stops there (SYS_ERR_REVOKE_GIVEN_AWAY) and the memory
 * is never reused on this core while the other core may still write it.
 * Errors change nothing: SYS_ERR_WRONG_CAP_TYPE, SYS_ERR_RAM_GIVEN_FULL,
 * caps_copy's.
 */
errval_t caps_share_for_good(struct cte *frame)
{
    errval_t err;

    if (frame->cap.type != ObjType_Frame) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if (given_count >= given_max) {
        return SYS_ERR_RAM_GIVEN_FULL;
    }
    err = caps_copy(&given[given_count], frame, CAP_RIGHTS_ALL, 0);
    if (err_is_ok(err)) {
        given_count++;
    }
    return err;
}

uint32_t caps_given_free(void)
{
    return given_max - given_count;
}
