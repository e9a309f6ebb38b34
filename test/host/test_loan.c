/*
 * Frames lent to another core (kernel/cap/loan.c, rule 12 of
 * docs/safety.md): the loan table against a reference model under random
 * sequences of every core's calls, the lender's pin, and the borrower's
 * claim and return, which must find the claimed frame to be its core's
 * last capability to the memory.
 *
 * One capability database plays several cores: loans_use switches the
 * core the loan code acts for (each has its own pins).
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/loan.h>
#include <stdlib.h>

#define PINS_PA(core)  (0x40002000u + (core) * 0x1000u)   /* free arena, 2 cores */
#define NCORES         4
#define LENT_PA        0x41000000u    /* another core's frame: no cap here covers it */

static struct core_loan table[CORE_LOANS];
static struct cte *pins[2];

static void as_core(uint32_t core)
{
    loans_use(table, pins[core % 2], core, NCORES);
}

static void loan_setup(void)
{
    fx_setup();
    memset(table, 0, sizeof(table));
    for (uint32_t c = 0; c < 2; c++) {
        pins[c] = pa_to_kva(PINS_PA(c));
        loans_init(table, pins[c], c, NCORES);
    }
    as_core(0);
}

/* ---- the table against a model ---- */

struct model_loan {
    enum core_loan_state state;
    uint32_t lender, borrower;
};

/* One random call of a random core; the model says what it must answer. */
static void model_step(struct model_loan *m, uint32_t *live)
{
    uint32_t core = (uint32_t)rand() % NCORES, id = (uint32_t)rand() % (CORE_LOANS + 2);
    struct model_loan *e = id < CORE_LOANS ? &m[id] : NULL;
    errval_t err;

    loans_use(table, pins[0], core, NCORES);
    switch (rand() % 4) {
    case 0: {                                   /* lend to another core */
        uint32_t to = (core + 1 + (uint32_t)rand() % (NCORES - 1)) % NCORES;
        int got = loan_table_take();
        if (*live == CORE_LOANS) {
            CU_ASSERT_EQUAL(got, -1);
            return;
        }
        CU_ASSERT_TRUE(got >= 0 && m[got].state == LOAN_FREE);
        if (got < 0) {
            return;
        }
        loan_table_publish((uint32_t)got, to, CAP_RIGHTS_ALL, 0x1000u * (uint32_t)got, 0x1000);
        m[got] = (struct model_loan){ LOAN_LENT, core, to };
        (*live)++;
        return;
    }
    case 1:                                     /* claim */
        err = loan_table_claim(id);
        if (e != NULL && e->state == LOAN_LENT && e->borrower == core) {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
            e->state = LOAN_CLAIMED;
        } else {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_LOAN_INVALID);
        }
        return;
    case 2:                                     /* return */
        err = loan_table_claimed_here(id);
        if (e != NULL && e->state == LOAN_CLAIMED && e->borrower == core) {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
            loan_table_returned(id);
            e->state = LOAN_RETURNED;
        } else {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_LOAN_INVALID);
        }
        return;
    default:                                    /* end (lender) */
        err = loan_table_end(id);
        if (e == NULL || e->state == LOAN_FREE || e->lender != core) {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_LOAN_INVALID);
        } else if (e->state == LOAN_CLAIMED) {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_LOAN_CLAIMED);
        } else {
            CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
            e->state = LOAN_FREE;
            (*live)--;
        }
        return;
    }
}

static void test_table_follows_model(void)
{
    static struct model_loan m[CORE_LOANS];
    uint32_t live = 0;

    srand(12);
    memset(m, 0, sizeof(m));
    for (int step = 0; step < 200000; step++) {
        model_step(m, &live);
        if (step % 1000 == 0) {
            for (uint32_t i = 0; i < CORE_LOANS; i++) {
                CU_ASSERT_EQUAL(loan_state(i), m[i].state);
                if (m[i].state != LOAN_FREE) {
                    CU_ASSERT_EQUAL(table[i].lender, m[i].lender);
                    CU_ASSERT_EQUAL(table[i].borrower, m[i].borrower);
                }
            }
        }
    }
    CU_ASSERT_TRUE(live > 0);
}

/* ---- the lender ---- */

#define RAM     fx_slot(1, 0)
#define FRAME   fx_slot(1, 1)

static void make_frame(void)
{
    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, 1, 1, 0));
    ASSERT_OK(caps_retype(RAM, ObjType_Frame, 0, 0x4000, 1, fx.cn[1], 1));
}

static void test_lend_pins_until_reclaimed(void)
{
    uint32_t id;

    make_frame();
    ASSERT_OK(loan_lend(FRAME, 2, &id));
    CU_ASSERT_EQUAL(loan_state(id), LOAN_LENT);
    CU_ASSERT_EQUAL(pins[0][id].owner, CTE_OWNER_LENT);
    CU_ASSERT_EQUAL(pins[0][id].cap.base, FRAME->cap.base);
    CU_ASSERT_EQUAL(table[id].rights, CAP_RIGHTS_ALL & ~CAP_RIGHT_EXECUTE);   /* no code */
    /* the lender's init lets go of everything: the memory stays lent */
    ASSERT_OK(caps_delete(FRAME));
    ASSERT_ERR(caps_revoke(RAM), SYS_ERR_REVOKE_LENT);
    ASSERT_ERR(caps_retype(RAM, ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 2), SYS_ERR_RETYPE_OVERLAP);
    /* claimed: the lender cannot end it */
    as_core(2);
    ASSERT_OK(loan_table_claim(id));
    as_core(0);
    ASSERT_ERR(loan_reclaim(id), SYS_ERR_LOAN_CLAIMED);
    CU_ASSERT_FALSE(cte_is_empty(&pins[0][id]));
    /* returned: the pin goes, the RAM is free to retype again */
    table[id].state = LOAN_RETURNED;
    ASSERT_OK(loan_reclaim(id));
    CU_ASSERT_TRUE(cte_is_empty(&pins[0][id]));
    CU_ASSERT_EQUAL(loan_state(id), LOAN_FREE);
    ASSERT_ERR(loan_reclaim(id), SYS_ERR_LOAN_INVALID);
    ASSERT_OK(caps_revoke(RAM));
    ASSERT_OK(caps_retype(RAM, ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 2));
    ASSERT_MDB();
}

static void test_lend_refused(void)
{
    uint32_t id;

    make_frame();
    fx_snapshot();
    ASSERT_ERR(loan_lend(FRAME, 0, &id), SYS_ERR_CORE_INVALID);       /* to itself */
    ASSERT_ERR(loan_lend(FRAME, NCORES, &id), SYS_ERR_CORE_INVALID);
    ASSERT_ERR(loan_lend(RAM, 1, &id), SYS_ERR_WRONG_CAP_TYPE);
    CU_ASSERT_TRUE(fx_unchanged());
    ASSERT_OK(caps_copy(fx_slot(1, 2), FRAME, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    ASSERT_ERR(loan_lend(fx_slot(1, 2), 1, &id), SYS_ERR_NO_RIGHTS);  /* read-only */
    ASSERT_OK(caps_retype(RAM, ObjType_Frame, 0x80000, 0x80000, 1, fx.cn[1], 3));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x200000, 0x200000, 1, 1, 4));
    ASSERT_ERR(loan_lend(fx_slot(1, 4), 1, &id), SYS_ERR_LOAN_SIZE);  /* over 1 MiB */
    /* a full table changes nothing */
    for (uint32_t i = 0; i < CORE_LOANS; i++) {
        ASSERT_OK(loan_lend(fx_slot(1, 3), 1, &id));
    }
    ASSERT_ERR(loan_lend(FRAME, 1, &id), SYS_ERR_LOANS_FULL);
    ASSERT_MDB();
}

/* ---- the borrower ---- */

/* Core 1 lent 16 KiB at LENT_PA to core 0 (its own database, not ours). */
static uint32_t lent_to_us(void)
{
    as_core(1);
    int id = loan_table_take();
    CU_ASSERT_TRUE(id >= 0);
    loan_table_publish((uint32_t)id, 0, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT
                       | CAP_RIGHT_REVOKE, LENT_PA, 0x4000);
    as_core(0);
    return (uint32_t)id;
}

static void test_claim_once_on_the_named_core(void)
{
    uint32_t id = lent_to_us();
    struct cte *claimed = fx_slot(2, 0);

    as_core(3);
    ASSERT_ERR(loan_claim(id, claimed), SYS_ERR_LOAN_INVALID);       /* not for core 3 */
    as_core(0);
    ASSERT_ERR(loan_claim(CORE_LOANS, claimed), SYS_ERR_LOAN_INVALID);
    ASSERT_ERR(loan_claim(id, fx.ram), SYS_ERR_SLOT_IN_USE);
    CU_ASSERT_EQUAL(loan_state(id), LOAN_LENT);
    ASSERT_OK(loan_claim(id, claimed));
    CU_ASSERT_EQUAL(claimed->cap.type, ObjType_Frame);
    CU_ASSERT_EQUAL(claimed->cap.base, LENT_PA);
    CU_ASSERT_EQUAL(claimed->cap.size, 0x4000u);
    ASSERT_ERR(loan_claim(id, fx_slot(2, 1)), SYS_ERR_LOAN_INVALID); /* once */
    ASSERT_ERR(loan_reclaim(id), SYS_ERR_LOAN_INVALID);              /* not our loan */
    ASSERT_MDB();
}

static void test_return_only_the_last_cap(void)
{
    uint32_t id = lent_to_us();
    struct cte *claimed = fx_slot(2, 0), *copy = fx_slot(2, 1), *l2 = fx_slot(2, 2);

    ASSERT_OK(loan_claim(id, claimed));
    ASSERT_OK(caps_copy(copy, claimed, CAP_RIGHTS_ALL & ~CAP_RIGHT_REVOKE, 0));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x4000, OBJSIZE_VNODE_L2, 1, 2, 2));
    ASSERT_OK(vnode_map(l2, copy, 0, VREGION_FLAGS_READ_WRITE, 0, 4));
    fx_snapshot();
    /* a domain still holds it, mapped */
    ASSERT_ERR(loan_return(id, claimed), SYS_ERR_LOAN_IN_USE);
    ASSERT_ERR(loan_return(id, copy), SYS_ERR_LOAN_IN_USE);
    CU_ASSERT_TRUE(fx_unchanged());
    /* the wrong frame, the wrong loan */
    ASSERT_OK(fx_retype(ObjType_Frame, 0x10000, 0x4000, 1, 2, 3));
    ASSERT_ERR(loan_return(id, fx_slot(2, 3)), SYS_ERR_LOAN_INVALID);
    ASSERT_ERR(loan_return(id + 1, claimed), SYS_ERR_LOAN_INVALID);
    /* the borrower's init revokes: copies and their mappings go */
    ASSERT_OK(caps_revoke(claimed));
    CU_ASSERT_TRUE(cte_is_empty(copy));
    CU_ASSERT_EQUAL(((uint32_t *)pa_to_kva(l2->cap.base))[0], 0u);
    ASSERT_OK(loan_return(id, claimed));
    CU_ASSERT_TRUE(cte_is_empty(claimed));
    CU_ASSERT_EQUAL(loan_state(id), LOAN_RETURNED);
    ASSERT_ERR(loan_return(id, claimed), SYS_ERR_LOAN_INVALID);
    /* the lender ends it */
    as_core(1);
    ASSERT_OK(loan_table_end(id));
    CU_ASSERT_EQUAL(loan_state(id), LOAN_FREE);
    ASSERT_MDB();
}

HOST_SUITE(loan_suite, "frames lent to another core", NULL, NULL, loan_setup,
           HOST_TEST(test_table_follows_model),
           HOST_TEST(test_lend_pins_until_reclaimed),
           HOST_TEST(test_lend_refused),
           HOST_TEST(test_claim_once_on_the_named_core),
           HOST_TEST(test_return_only_the_last_cap))
