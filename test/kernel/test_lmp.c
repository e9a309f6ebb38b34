/*
 * LMP_ cases: the kernel's message passing (SYS_LMP_SEND, SYS_WAIT,
 * EPCMD_BIND), exercised by init sending to itself through an endpoint
 * bound to its own dispatcher. Cross-domain delivery, waking and directed
 * yield are covered by the RPC_ tests of test/domains/rpctest.
 * Every case leaves the ring empty and every receive slot disarmed.
 */
#include <aos/lmp.h>
#include <aos/syscalls.h>
#include <string.h>
#include "testing.h"


/* An endpoint bound to init's own dispatcher, and a badged copy of it. */
static errval_t self_endpoint(capaddr_t *ep, capaddr_t *badged, uint32_t badge)
{
    errval_t err = scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, ep);
    if (err_is_fail(err)) {
        return err;
    }
    err = ep_bind(*ep, CAP_DISPATCHER);
    if (err_is_fail(err)) {
        return err;
    }
    *badged = SCRATCH(scratch_slot());
    return cap_mint(SCRATCH_CNODE, CPTR_L2_INDEX(*badged), *ep, CAP_RIGHTS_ALL, badge);
}

static void drain(void)
{
    struct lmp_msg msg;
    while (lmp_poll(&msg)) {
    }
    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        get_dispatcher()->lmp.recv_slots[i] = CPTR_NULL;
    }
}

static void send_recv_words(void)
{
    capaddr_t ep, badged;
    uint32_t words[LMP_MSG_WORDS];
    struct lmp_msg msg;

    EXPECT_OK(self_endpoint(&ep, &badged, 42));
    for (uint32_t n = 0; n <= LMP_MSG_WORDS; n++) {
        for (uint32_t i = 0; i < LMP_MSG_WORDS; i++) {
            words[i] = 0x1000 * n + i;
        }
        EXPECT_OK(lmp_try_send(badged, CPTR_NULL, 0, words, n));
        EXPECT_EQ("pending", lmp_pending(), 1);
        EXPECT(lmp_poll(&msg), "no message after a send of %lu words", (unsigned long)n);
        EXPECT_EQ("badge", msg.badge, 42);
        EXPECT_EQ("nwords", msg.nwords, n);
        EXPECT_EQ("cap", msg.cap, CPTR_NULL);
        for (uint32_t i = 0; i < LMP_MSG_WORDS; i++) {
            EXPECT_EQ("word", msg.words[i], i < n ? words[i] : 0);
        }
    }
    EXPECT(!lmp_poll(&msg), "a message appeared from nowhere");
}

static void unbadged_has_badge_zero(void)
{
    capaddr_t ep, badged;
    struct lmp_msg msg;

    EXPECT_OK(self_endpoint(&ep, &badged, 7));
    EXPECT_OK(lmp_try_send(ep, CPTR_NULL, 0, NULL, 0));
    EXPECT(lmp_poll(&msg), "no message");
    EXPECT_EQ("badge", msg.badge, 0);
}

static void ring_full_keeps_order(void)
{
    capaddr_t ep, badged;
    struct lmp_msg msg;

    EXPECT_OK(self_endpoint(&ep, &badged, 1));
    for (uint32_t i = 0; i < LMP_RING_SLOTS; i++) {
        EXPECT_OK(lmp_try_send(ep, CPTR_NULL, 0, &i, 1));   /* unbadged: no share limit */
    }
    uint32_t extra = 99;
    EXPECT_ERR(lmp_try_send(ep, CPTR_NULL, 0, &extra, 1), SYS_ERR_LMP_BUF_FULL);
    /* waiting in line for room in one's own ring would wait for ever:
     * a QUEUE send to oneself fails at once instead */
    EXPECT_ERR(lmp_try_send(badged, CPTR_NULL, LMP_FLAG_QUEUE, &extra, 1),
               SYS_ERR_LMP_BUF_FULL);
    for (uint32_t i = 0; i < LMP_RING_SLOTS; i++) {
        EXPECT(lmp_poll(&msg), "message %lu missing", (unsigned long)i);
        EXPECT_EQ("order", msg.words[0], i);
    }
    EXPECT(!lmp_poll(&msg), "the refused 17th message was delivered");
}

/* A badged sender holds at most LMP_SENDER_SHARE slots of the ring, so
 * one client streaming requests cannot starve the others; other badges
 * and unbadged sends still get in, and a slot drained makes room again. */
static void sender_share(void)
{
    capaddr_t ep1, b1, ep2, b2;
    struct lmp_msg msg;
    uint32_t w = 0;

    EXPECT_OK(self_endpoint(&ep1, &b1, 11));
    EXPECT_OK(self_endpoint(&ep2, &b2, 12));
    for (uint32_t i = 0; i < LMP_SENDER_SHARE; i++) {
        EXPECT_OK(lmp_try_send(b1, CPTR_NULL, 0, &w, 1));
    }
    EXPECT_ERR(lmp_try_send(b1, CPTR_NULL, 0, &w, 1), SYS_ERR_LMP_BUF_FULL);
    EXPECT_OK(lmp_try_send(b2, CPTR_NULL, 0, &w, 1));      /* another client */
    EXPECT_OK(lmp_try_send(ep1, CPTR_NULL, 0, &w, 1));     /* unbadged */
    EXPECT(lmp_poll(&msg), "no message");                  /* badge 11's first */
    EXPECT_EQ("badge", msg.badge, 11);
    EXPECT_OK(lmp_try_send(b1, CPTR_NULL, 0, &w, 1));      /* room again */
}

/* A garbage tail written by the domain only makes its own ring look full. */
static void garbage_tail_is_full(void)
{
    capaddr_t ep, badged;
    struct lmp_recv_area *lmp = &get_dispatcher()->lmp;
    uint32_t saved = lmp->tail;

    EXPECT_OK(self_endpoint(&ep, &badged, 1));
    lmp->tail = lmp->head + 5;         /* "minus five" messages waiting */
    errval_t err = lmp_try_send(badged, CPTR_NULL, 0, NULL, 0);
    lmp->tail = saved;
    EXPECT_ERR(err, SYS_ERR_LMP_BUF_FULL);
}

static void cap_transfer_copy_and_give(void)
{
    capaddr_t ep, badged, frame, slot_a, slot_b;
    struct capability_info ci;
    struct lmp_msg msg;

    EXPECT_OK(self_endpoint(&ep, &badged, 3));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_identify(frame, &ci));
    slot_a = SCRATCH(scratch_slot());
    slot_b = SCRATCH(scratch_slot());
    EXPECT_OK(lmp_arm_recv_slot(slot_a));
    EXPECT_OK(lmp_try_send(badged, frame, 0, NULL, 0));
    EXPECT_EQ("armed after delivery", lmp_armed_slots(), 0);
    EXPECT(lmp_poll(&msg), "no message");
    EXPECT_EQ("received slot", msg.cap, slot_a);
    /* the same rights, except REVOKE: never carried by a message */
    EXPECT_CAP(slot_a, ObjType_Frame, ci.rights & ~CAP_RIGHT_REVOKE, ci.base, ci.size);
    EXPECT_CAP(frame, ObjType_Frame, ci.rights, ci.base, ci.size);   /* copy: still there */
    EXPECT_ERR(cap_revoke(slot_a), SYS_ERR_REVOKE_NO_RIGHT);       /* ours stays */
    EXPECT_CAP(frame, ObjType_Frame, ci.rights, ci.base, ci.size);
    /* GIVE moves it */
    EXPECT_OK(lmp_arm_recv_slot(slot_b));
    EXPECT_OK(lmp_try_send(badged, slot_a, LMP_FLAG_GIVE, NULL, 0));
    EXPECT(lmp_poll(&msg), "no message");
    EXPECT_CAP(slot_b, ObjType_Frame, ci.rights & ~CAP_RIGHT_REVOKE, ci.base, ci.size);
    EXPECT_ERR(cap_identify(slot_a, &ci), SYS_ERR_SLOT_EMPTY);
}

static void cap_needs_recv_slot(void)
{
    capaddr_t ep, badged, frame, nogrant, used;

    EXPECT_OK(self_endpoint(&ep, &badged, 3));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_ERR(lmp_try_send(badged, frame, 0, NULL, 0), SYS_ERR_LMP_NO_RECV_SLOT);
    used = SCRATCH(scratch_slot());
    EXPECT_OK(cap_copy(SCRATCH_CNODE, CPTR_L2_INDEX(used), frame));
    EXPECT_OK(lmp_arm_recv_slot(used));             /* armed, but occupied */
    EXPECT_ERR(lmp_try_send(badged, frame, 0, NULL, 0), SYS_ERR_LMP_NO_RECV_SLOT);
    EXPECT_OK(lmp_arm_recv_slot(CPTR(200, 0)));     /* armed, no such CNode */
    EXPECT_ERR(lmp_try_send(badged, frame, 0, NULL, 0), SYS_ERR_LMP_NO_RECV_SLOT);
    EXPECT_EQ("nothing delivered", lmp_pending(), 0);
    EXPECT_OK(lmp_arm_recv_slot(SCRATCH(scratch_slot())));
    nogrant = SCRATCH(scratch_slot());
    EXPECT_OK(cap_mint(SCRATCH_CNODE, CPTR_L2_INDEX(nogrant), frame,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, 0));
    EXPECT_ERR(lmp_try_send(badged, nogrant, 0, NULL, 0), SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(lmp_try_send(badged, SCRATCH(250), 0, NULL, 0), SYS_ERR_SLOT_EMPTY);
    EXPECT_EQ("nothing delivered", lmp_pending(), 0);
    EXPECT_OK(lmp_arm_recv_slot(SCRATCH(scratch_slot())));
    EXPECT_ERR(lmp_arm_recv_slot(SCRATCH(scratch_slot())), LIB_ERR_LMP_RECV_SLOTS_FULL);
    EXPECT_ERR(lmp_arm_recv_slot(CPTR_NULL), LIB_ERR_LMP_RECV_SLOT_NULL);
}

/*
 * A receive slot follows the same rules as every other slot write
 * (docs/safety.md, rule 3): an armed slot of the root CNode itself takes
 * only an L2 CNode capability; a Frame sent there finds no usable slot,
 * so the root never holds anything but L2 CNodes.
 */
static void recv_slot_rules(void)
{
    capaddr_t ep, badged, frame, cnode;
    capaddr_t root_slot = ROOT_SLOT(ROOTCN_FREE_SLOTS);
    struct capability_info ci;
    struct lmp_msg msg;

    EXPECT_OK(self_endpoint(&ep, &badged, 3));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(lmp_arm_recv_slot(root_slot));
    EXPECT_ERR(lmp_try_send(badged, frame, 0, NULL, 0), SYS_ERR_LMP_NO_RECV_SLOT);
    EXPECT_ERR(cap_identify(root_slot, &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_EQ("nothing delivered", lmp_pending(), 0);
    EXPECT_OK(scratch_object(ObjType_L2CNode, OBJSIZE_L2CNODE, &cnode));
    EXPECT_OK(lmp_try_send(badged, cnode, 0, NULL, 0));    /* an L2 CNode may go there */
    EXPECT(lmp_poll(&msg), "no message");
    EXPECT_EQ("received slot", msg.cap, root_slot);
    EXPECT_OK(cap_identify(root_slot, &ci));
    EXPECT_EQ("type in the root slot", ci.type, ObjType_L2CNode);
}

static void send_errors(void)
{
    capaddr_t ep, badged, unbound, frame, ro, disp;
    uint32_t words[LMP_MSG_WORDS] = { 0 };
    struct sysret r;

    EXPECT_OK(self_endpoint(&ep, &badged, 3));
    EXPECT_ERR(sys_lmp_send(badged, CPTR_NULL, LMP_MSG_WORDS + 1, words),
               SYS_ERR_LMP_BAD_FLAGS);
    EXPECT_ERR(sys_lmp_send(badged, CPTR_NULL, 1u << 20, words), SYS_ERR_LMP_BAD_FLAGS);
    EXPECT_ERR(lmp_try_send(badged, CPTR_NULL, 0, words, LMP_MSG_WORDS + 1),
               LIB_ERR_LMP_MSG_TOO_LONG);
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_ERR(lmp_try_send(frame, CPTR_NULL, 0, NULL, 0), SYS_ERR_WRONG_CAP_TYPE);
    EXPECT_ERR(lmp_try_send(SCRATCH(251), CPTR_NULL, 0, NULL, 0), SYS_ERR_SLOT_EMPTY);
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &unbound));
    EXPECT_ERR(lmp_try_send(unbound, CPTR_NULL, 0, NULL, 0), SYS_ERR_EP_NOT_BOUND);
    ro = SCRATCH(scratch_slot());
    EXPECT_OK(cap_mint(SCRATCH_CNODE, CPTR_L2_INDEX(ro), ep, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(lmp_try_send(ro, CPTR_NULL, 0, NULL, 0), SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(ep_bind(ro, CAP_DISPATCHER), SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(ep_bind(ep, CAP_DISPATCHER), SYS_ERR_EP_ALREADY_BOUND);
    /* a dispatcher that was never set up cannot receive */
    EXPECT_OK(scratch_object(ObjType_Dispatcher, OBJSIZE_DISPATCHER, &disp));
    EXPECT_OK(ep_bind(unbound, disp));
    EXPECT_ERR(lmp_try_send(unbound, CPTR_NULL, 0, NULL, 0), SYS_ERR_LMP_TARGET_DEAD);
    /* ... and once it is gone the endpoint is unbound again */
    EXPECT_OK(cap_delete(disp));
    EXPECT_ERR(lmp_try_send(unbound, CPTR_NULL, 0, NULL, 0), SYS_ERR_EP_NOT_BOUND);
    r = sys_invoke(ep, EPCMD_BIND + 1, 0, 0, 0, 0, 0);
    EXPECT_ERR(r.err, SYS_ERR_ILLEGAL_INVOCATION);
    EXPECT_EQ("nothing delivered", lmp_pending(), 0);
}

/* SYS_WAIT returns at once when a message is already there. */
static void wait_returns_with_message(void)
{
    capaddr_t ep, badged;
    struct lmp_msg msg;
    uint32_t before = get_dispatcher()->timeslices;

    EXPECT_OK(self_endpoint(&ep, &badged, 5));
    EXPECT_OK(lmp_try_send(badged, CPTR_NULL, 0, NULL, 0));
    EXPECT_OK(sys_wait());
    EXPECT(get_dispatcher()->timeslices - before <= 1,
           "SYS_WAIT with a message waiting rescheduled the domain");
    lmp_recv(&msg);
    EXPECT_EQ("badge", msg.badge, 5);
}

/* Deleting the endpoint's last cap unbinds it; sends through it fail. */
static void endpoint_delete(void)
{
    capaddr_t ep, badged;

    EXPECT_OK(self_endpoint(&ep, &badged, 5));
    EXPECT_OK(cap_delete(ep));
    EXPECT_OK(lmp_try_send(badged, CPTR_NULL, 0, NULL, 0));   /* the copy lives */
    EXPECT_OK(cap_delete(badged));
    EXPECT_ERR(lmp_try_send(badged, CPTR_NULL, 0, NULL, 0), SYS_ERR_SLOT_EMPTY);
}

static void run_and_drain(void (*fn)(void)) { fn(); drain(); }

#define WRAP(fn) static void fn##_wrapped(void) { run_and_drain(fn); }
WRAP(send_recv_words)
WRAP(unbadged_has_badge_zero)
WRAP(ring_full_keeps_order)
WRAP(sender_share)
WRAP(garbage_tail_is_full)
WRAP(cap_transfer_copy_and_give)
WRAP(cap_needs_recv_slot)
WRAP(recv_slot_rules)
WRAP(send_errors)
WRAP(wait_returns_with_message)
WRAP(endpoint_delete)

const struct test_case lmp_tests[] = {
    { "LMP_SEND_RECV_0_TO_8_WORDS", send_recv_words_wrapped },
    { "LMP_UNBADGED_IS_BADGE_0", unbadged_has_badge_zero_wrapped },
    { "LMP_RING_FULL_KEEPS_ORDER", ring_full_keeps_order_wrapped },
    { "LMP_SENDER_SHARE", sender_share_wrapped },
    { "LMP_GARBAGE_TAIL_IS_FULL", garbage_tail_is_full_wrapped },
    { "LMP_CAP_TRANSFER_COPY_AND_GIVE", cap_transfer_copy_and_give_wrapped },
    { "LMP_CAP_NEEDS_RECV_SLOT", cap_needs_recv_slot_wrapped },
    { "LMP_RECV_SLOT_RULES", recv_slot_rules_wrapped },
    { "LMP_SEND_ERRORS", send_errors_wrapped },
    { "LMP_WAIT_RETURNS_WITH_MESSAGE", wait_returns_with_message_wrapped },
    { "LMP_ENDPOINT_DELETE", endpoint_delete_wrapped },
    TEST_CASES_END
};
