/*
 * Frames lent to another core (kernel/include/kernel/loan.h: the states
 * and who moves an entry between them; docs/safety.md rule 12).
 *
 * Every transition that another core may race with is a compare-and-swap
 * on the entry's state: lend takes FREE -> FILLING, claim LENT -> CLAIMED,
 * reclaim LENT or RETURNED -> FREE. The lender writes the other fields
 * only while it holds FILLING and publishes them with a release store of
 * LENT; whoever reads them first loads the state with acquire. RETURNED is
 * a release store by the borrower, which alone holds CLAIMED.
 *
 * The pins are this core's kernel slots (like the slots of RAM given for
 * good, kernel/cap/given.c): owner CTE_OWNER_LENT, unreachable by any
 * cptr, so a revoke of the lender's frame or its RAM stops at the pin
 * (SYS_ERR_REVOKE_LENT) and a retype over the range overlaps it.
 */
#include <kernel/cap.h>
#include <kernel/mdb.h>
#include <kernel/loan.h>

static struct core_loan *table;
static struct cte *pins;
static uint32_t this_core, cores;

void loans_use(struct core_loan *t, struct cte *p, uint32_t core, uint32_t ncores)
{
    table = t;
    pins = p;
    this_core = core;
    cores = ncores;
}

void loans_init(struct core_loan *t, struct cte *p, uint32_t core, uint32_t ncores)
{
    loans_use(t, p, core, ncores);
    for (uint32_t i = 0; i < CORE_LOANS; i++) {
        cte_clear(&pins[i]);
        pins[i].owner = CTE_OWNER_LENT;
    }
}

enum core_loan_state loan_state(uint32_t id)
{
    return id < CORE_LOANS ? (enum core_loan_state)__atomic_load_n(&table[id].state,
                                                                    __ATOMIC_ACQUIRE)
                           : LOAN_FREE;
}

/* Move entry `e` from `from` to `to` if no other core got there first. */
static bool loan_cas(struct core_loan *e, uint32_t from, uint32_t to)
{
    return __atomic_compare_exchange_n(&e->state, &from, to, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* ---- the table alone (host-tested against a model) ---- */

int loan_table_take(void)
{
    for (uint32_t i = 0; i < CORE_LOANS; i++) {
        if (loan_cas(&table[i], LOAN_FREE, LOAN_FILLING)) {
            return (int)i;
        }
    }
    return -1;
}

void loan_table_publish(uint32_t id, uint32_t borrower, uint32_t rights, lpaddr_t base,
                        gensize_t size)
{
    struct core_loan *e = &table[id];

    e->lender = this_core;
    e->borrower = borrower;
    e->rights = rights;
    e->base = base;
    e->size = size;
    __atomic_store_n(&e->state, LOAN_LENT, __ATOMIC_RELEASE);
}

void loan_table_drop(uint32_t id)
{
    __atomic_store_n(&table[id].state, LOAN_FREE, __ATOMIC_RELEASE);
}

errval_t loan_table_claim(uint32_t id)
{
    if (id >= CORE_LOANS || loan_state(id) != LOAN_LENT || table[id].borrower != this_core
        || !loan_cas(&table[id], LOAN_LENT, LOAN_CLAIMED)) {
        return SYS_ERR_LOAN_INVALID;
    }
    return SYS_ERR_OK;
}

errval_t loan_table_claimed_here(uint32_t id)
{
    if (id >= CORE_LOANS || loan_state(id) != LOAN_CLAIMED || table[id].borrower != this_core) {
        return SYS_ERR_LOAN_INVALID;
    }
    return SYS_ERR_OK;
}

void loan_table_returned(uint32_t id)
{
    __atomic_store_n(&table[id].state, LOAN_RETURNED, __ATOMIC_RELEASE);
}

errval_t loan_table_end(uint32_t id)
{
    struct core_loan *e;

    if (id >= CORE_LOANS) {
        return SYS_ERR_LOAN_INVALID;
    }
    e = &table[id];
    if (e->lender != this_core || loan_state(id) == LOAN_FREE
        || loan_state(id) == LOAN_FILLING) {
        return SYS_ERR_LOAN_INVALID;
    }
    if (!loan_cas(e, LOAN_RETURNED, LOAN_FREE) && !loan_cas(e, LOAN_LENT, LOAN_FREE)) {
        return SYS_ERR_LOAN_CLAIMED;        /* the borrower still has it */
    }
    return SYS_ERR_OK;
}

/* ---- with capabilities ---- */

/* A frame that may be lent: a Frame the caller may read, write and copy,
 * at most LOAN_MAX_BYTES, to another core that exists. */
static errval_t lend_check(const struct cte *frame, uint32_t borrower)
{
    const uint32_t need = CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT;

    if (borrower >= cores || borrower == this_core) {
        return SYS_ERR_CORE_INVALID;
    }
    if (frame->cap.type != ObjType_Frame) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if ((frame->cap.rights & need) != need) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (frame->cap.size > LOAN_MAX_BYTES) {
        return SYS_ERR_LOAN_SIZE;
    }
    return SYS_ERR_OK;
}

errval_t loan_lend(struct cte *frame, uint32_t borrower, uint32_t *id)
{
    errval_t err = lend_check(frame, borrower);
    int i;

    if (err_is_fail(err)) {
        return err;
    }
    i = loan_table_take();
    if (i < 0) {
        return SYS_ERR_LOANS_FULL;
    }
    err = caps_copy(&pins[i], frame, CAP_RIGHTS_ALL, 0);
    if (err_is_fail(err)) {
        loan_table_drop((uint32_t)i);
        return err;
    }
    loan_table_publish((uint32_t)i, borrower,
                       (frame->cap.rights & (CAP_RIGHT_READ | CAP_RIGHT_WRITE))
                       | CAP_RIGHT_GRANT | CAP_RIGHT_REVOKE,
                       frame->cap.base, frame->cap.size);
    *id = (uint32_t)i;
    return SYS_ERR_OK;
}

errval_t loan_claim(uint32_t id, struct cte *dest)
{
    errval_t err;

    if (!cte_is_empty(dest)) {
        return SYS_ERR_SLOT_IN_USE;
    }
    err = loan_table_claim(id);
    if (err_is_fail(err)) {
        return err;
    }
    /* the lender zeroed or filled it: nothing is zeroed here */
    return caps_create_existing(dest, ObjType_Frame, table[id].base, table[id].size,
                                table[id].rights);
}

/*
 * Rule 11's check: the loan is claimed by this core, `frame` is a Frame
 * over exactly its range, and nothing else on this core refers to that
 * memory (no other copy, no descendant; a mapping is held by a capability,
 * so none is left either).
 */
errval_t loan_return_check(uint32_t id, const struct cte *frame)
{
    errval_t err = loan_table_claimed_here(id);

    if (err_is_fail(err)) {
        return err;
    }
    if (frame->cap.type != ObjType_Frame || frame->cap.base != table[id].base
        || frame->cap.size != table[id].size) {
        return SYS_ERR_LOAN_INVALID;
    }
    if (mdb_any_other_copy(frame) != NULL || mdb_first_descendant((struct cte *)frame) != NULL
        || frame->map_vnode != 0) {
        return SYS_ERR_LOAN_IN_USE;
    }
    return SYS_ERR_OK;
}

errval_t loan_return(uint32_t id, struct cte *frame)
{
    errval_t err = loan_return_check(id, frame);

    if (err_is_fail(err)) {
        return err;
    }
    err = caps_delete(frame);       /* the last one: nothing is mapped through it */
    if (err_is_fail(err)) {
        return err;
    }
    loan_table_returned(id);
    return SYS_ERR_OK;
}

errval_t loan_reclaim(uint32_t id)
{
    errval_t err;

    if (id >= CORE_LOANS || cte_is_empty(&pins[id])) {
        return SYS_ERR_LOAN_INVALID;        /* not lent by this core */
    }
    err = loan_table_end(id);
    if (err_is_fail(err)) {
        return err;
    }
    return caps_delete(&pins[id]);          /* a copy: the frame's other caps keep it */
}
