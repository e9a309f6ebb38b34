/*
 * RAM given to another core for good (kernel/cap/given.c): the memory
 * leaves every domain of this core, and no ancestor can get it back,
 * neither by retyping the range again nor by revoking (rule 10 of
 * docs/safety.md). A frame shared for good keeps its memory from being
 * reused the same way.
 */
#include "host_suite.h"
#include "cap_fixture.h"

#define GIVEN_PA    0x40002000u      /* free arena between kslots and root */
#define GIVEN_MAX   3

static struct cte *given_slots(void)
{
    struct cte *slots = pa_to_kva(GIVEN_PA);
    caps_given_init(slots, GIVEN_MAX);
    return slots;
}

static void test_give_away_keeps_the_range_from_its_ancestor(void)
{
    struct cte *slots = given_slots(), *child = fx_slot(1, 0);

    ASSERT_OK(fx_retype(ObjType_RAM, 0x400000, 0x400000, 1, 1, 0));
    ASSERT_OK(caps_give_away(child));
    CU_ASSERT_TRUE(cte_is_empty(child));
    CU_ASSERT_EQUAL(slots[0].cap.type, ObjType_RAM);
    CU_ASSERT_EQUAL(slots[0].cap.base, FX_RAM_PA + 0x400000);
    CU_ASSERT_EQUAL(slots[0].owner, CTE_OWNER_GIVEN);
    ASSERT_MDB();
    /* the ancestor cannot retype the range again, inside or across it */
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x400000, 0x1000, 1, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(fx_retype(ObjType_RAM, 0, 0x800000, 1, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_OK(fx_retype(ObjType_Frame, 0x800000, 0x1000, 1, 1, 1));   /* beside it: fine */
    /* a revoke of the ancestor stops at it, every time (the ancestor's
     * other copy, met first, is gone) */
    ASSERT_OK(caps_copy(fx_slot(2, 0), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_ERR(caps_revoke(fx_slot(2, 0)), SYS_ERR_REVOKE_GIVEN_AWAY);
    CU_ASSERT_TRUE(cte_is_empty(fx.ram));
    CU_ASSERT_FALSE(cte_is_empty(&slots[0]));
    ASSERT_ERR(caps_revoke(fx_slot(2, 0)), SYS_ERR_REVOKE_GIVEN_AWAY);
    CU_ASSERT_FALSE(cte_is_empty(&slots[0]));
    ASSERT_ERR(caps_retype(fx_slot(2, 0), ObjType_Frame, 0x400000, 0x1000, 1, fx.cn[1], 2),
               SYS_ERR_RETYPE_OVERLAP);
    /* deleting every ancestor leaves it where it is */
    ASSERT_OK(caps_delete(fx_slot(2, 0)));
    CU_ASSERT_FALSE(cte_is_empty(&slots[0]));
    ASSERT_MDB();
}

static void test_give_away_refuses_shared_memory(void)
{
    struct cte *slots = given_slots(), *child = fx_slot(1, 0);

    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x400000, 1, 1, 0));
    /* a copy anywhere: someone else still holds the memory */
    ASSERT_OK(caps_copy(fx_slot(2, 0), child, CAP_RIGHTS_ALL, 0));
    fx_snapshot();
    ASSERT_ERR(caps_give_away(child), SYS_ERR_RAM_GIVEN_IN_USE);
    CU_ASSERT_TRUE(fx_unchanged());
    ASSERT_OK(caps_delete(fx_slot(2, 0)));
    /* something retyped from it */
    ASSERT_OK(caps_retype(child, ObjType_Frame, 0x1000, 0x1000, 1, fx.cn[2], 1));
    ASSERT_ERR(caps_give_away(child), SYS_ERR_RAM_GIVEN_IN_USE);
    ASSERT_OK(caps_delete(fx_slot(2, 1)));
    /* no REVOKE right: a received copy is not its holder's to give */
    ASSERT_OK(caps_copy(fx_slot(2, 2), child, CAP_RIGHTS_ALL & ~CAP_RIGHT_REVOKE, 0));
    ASSERT_OK(caps_delete(child));
    ASSERT_ERR(caps_give_away(fx_slot(2, 2)), SYS_ERR_NO_RIGHTS);
    /* not RAM */
    ASSERT_ERR(caps_give_away(fx.cn[1]), SYS_ERR_WRONG_CAP_TYPE);
    CU_ASSERT_TRUE(cte_is_empty(&slots[0]));
    ASSERT_MDB();
}

static void test_give_away_table_full(void)
{
    given_slots();
    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, GIVEN_MAX + 1, 1, 0));
    for (cslot_t i = 0; i < GIVEN_MAX; i++) {
        ASSERT_OK(caps_give_away(fx_slot(1, i)));
    }
    CU_ASSERT_EQUAL(caps_given_free(), 0);
    ASSERT_ERR(caps_give_away(fx_slot(1, GIVEN_MAX)), SYS_ERR_RAM_GIVEN_FULL);
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(1, GIVEN_MAX)));
    ASSERT_MDB();
}

static void test_share_for_good_pins_the_frame(void)
{
    struct cte *slots = given_slots(), *frame = fx_slot(1, 1);

    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, 1, 1, 0));
    ASSERT_OK(caps_retype(fx_slot(1, 0), ObjType_Frame, 0, 0x4000, 1, fx.cn[1], 1));
    ASSERT_ERR(caps_share_for_good(fx_slot(1, 0)), SYS_ERR_WRONG_CAP_TYPE);
    ASSERT_OK(caps_share_for_good(frame));
    CU_ASSERT_EQUAL(slots[0].cap.type, ObjType_Frame);
    /* its holder deletes its cap: the memory is still not free */
    ASSERT_OK(caps_delete(frame));
    ASSERT_ERR(caps_revoke(fx_slot(1, 0)), SYS_ERR_REVOKE_GIVEN_AWAY);
    ASSERT_ERR(caps_retype(fx_slot(1, 0), ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 2),
               SYS_ERR_RETYPE_OVERLAP);
    CU_ASSERT_FALSE(cte_is_empty(&slots[0]));
    ASSERT_MDB();
}

HOST_SUITE(given_suite, "RAM given to another core", NULL, NULL, fx_setup,
           HOST_TEST(test_give_away_keeps_the_range_from_its_ancestor),
           HOST_TEST(test_give_away_refuses_shared_memory),
           HOST_TEST(test_give_away_table_full),
           HOST_TEST(test_share_for_good_pins_the_frame))
