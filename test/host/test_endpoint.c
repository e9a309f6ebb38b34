/*
 * Endpoint objects: EPCMD_BIND and the two-way unbinding when either the
 * endpoint or its dispatcher is destroyed (kernel/object/endpoint.c).
 * Sending (kernel/lmp.c) needs the scheduler and is tested in QEMU.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/dispatcher.h>
#include <kernel/endpoint.h>

#define EP_OFF    0x200000u
#define DISP_OFF  0x100000u

/* An endpoint in cn[1] slot `slot`, a dispatcher in cn[1] slot 10. */
static struct endpoint *new_ep(cslot_t slot, gensize_t offset)
{
    ASSERT_OK(fx_retype(ObjType_Endpoint, offset, OBJSIZE_ENDPOINT, 1, 1, slot));
    return endpoint_of_cap(&fx_slot(1, slot)->cap);
}

static struct dcb *new_disp(void)
{
    ASSERT_OK(fx_retype(ObjType_Dispatcher, DISP_OFF, OBJSIZE_DISPATCHER, 1, 1, 10));
    return pa_to_kva(fx_slot(1, 10)->cap.base);
}

static void test_ep_bind(void)
{
    struct endpoint *ep = new_ep(0, EP_OFF);
    struct dcb *dcb = new_disp();

    CU_ASSERT_PTR_NULL(ep->dcb);
    ASSERT_OK(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    CU_ASSERT_PTR_EQUAL(ep->dcb, dcb);
    CU_ASSERT_PTR_EQUAL(dcb->ep_list, ep);
}

static void test_ep_bind_errors(void)
{
    struct endpoint *ep = new_ep(0, EP_OFF);

    new_disp();
    /* not a dispatcher */
    ASSERT_ERR(fx_invoke(CPTR(1, 0), EPCMD_BIND, FX_RAM_CPTR, 0, 0, 0, 0, NULL),
               SYS_ERR_WRONG_CAP_TYPE);
    ASSERT_ERR(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 99), 0, 0, 0, 0, NULL),
               SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(fx_invoke(CPTR(1, 0), EPCMD_BIND + 1, CPTR(1, 10), 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);
    /* a read-only copy of the endpoint cannot bind */
    ASSERT_OK(caps_copy(fx_slot(1, 1), fx_slot(1, 0), CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    ASSERT_ERR(fx_invoke(CPTR(1, 1), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL),
               SYS_ERR_NO_RIGHTS);
    /* a read-only dispatcher cap cannot be bound to */
    ASSERT_OK(caps_copy(fx_slot(1, 11), fx_slot(1, 10), CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    ASSERT_ERR(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 11), 0, 0, 0, 0, NULL),
               SYS_ERR_NO_RIGHTS);
    CU_ASSERT_PTR_NULL(ep->dcb);
    ASSERT_OK(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    ASSERT_ERR(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL),
               SYS_ERR_EP_ALREADY_BOUND);
}

/* Deleting the last endpoint cap unlinks it; a copy alone does not. */
static void test_ep_destroy_unlinks(void)
{
    struct endpoint *a = new_ep(0, EP_OFF), *b = new_ep(1, EP_OFF + 64);
    struct endpoint *c = new_ep(2, EP_OFF + 128);
    struct dcb *dcb = new_disp();

    for (cslot_t s = 0; s < 3; s++) {
        ASSERT_OK(fx_invoke(CPTR(1, s), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    }
    ASSERT_OK(caps_copy(fx_slot(1, 20), fx_slot(1, 1), CAP_RIGHTS_ALL, 7));
    ASSERT_OK(caps_delete(fx_slot(1, 1)));        /* the badged copy keeps b alive */
    CU_ASSERT_PTR_EQUAL(b->dcb, dcb);
    ASSERT_OK(caps_delete(fx_slot(1, 20)));
    CU_ASSERT_PTR_NULL(b->dcb);
    CU_ASSERT_PTR_EQUAL(dcb->ep_list, c);         /* list: c, a */
    CU_ASSERT_PTR_EQUAL(c->next, a);
    CU_ASSERT_PTR_NULL(a->next);
    CU_ASSERT_PTR_EQUAL(a->prev, c);
    ASSERT_OK(caps_delete(fx_slot(1, 2)));
    CU_ASSERT_PTR_EQUAL(dcb->ep_list, a);
    CU_ASSERT_PTR_NULL(a->prev);
    ASSERT_MDB();
}

/* Destroying the dispatcher unbinds every endpoint, which then reports it. */
static void test_ep_dispatcher_destroy_unbinds(void)
{
    struct endpoint *a = new_ep(0, EP_OFF), *b = new_ep(1, EP_OFF + 64);

    new_disp();
    ASSERT_OK(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    ASSERT_OK(fx_invoke(CPTR(1, 1), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    ASSERT_OK(caps_delete(fx_slot(1, 10)));
    CU_ASSERT_PTR_NULL(a->dcb);
    CU_ASSERT_PTR_NULL(b->dcb);
    /* the endpoint may be bound again, to a new dispatcher */
    new_disp();
    ASSERT_OK(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
}

/* Revoking the RAM both came from destroys both without dangling links. */
static void test_ep_revoke_ram_both(void)
{
    new_ep(0, EP_OFF);
    new_disp();
    ASSERT_OK(fx_invoke(CPTR(1, 0), EPCMD_BIND, CPTR(1, 10), 0, 0, 0, 0, NULL));
    ASSERT_OK(caps_revoke(fx.ram));
    ASSERT_LIVE(0);
    /* retype the same memory again: fresh, unbound objects */
    CU_ASSERT_PTR_NULL(new_ep(0, EP_OFF)->dcb);
    CU_ASSERT_PTR_NULL(new_disp()->ep_list);
    ASSERT_MDB();
}

/* Undelivered KILLED notices: kept in order of deferral, each once,
 * dropped in O(1) from anywhere (the head, the middle, the tail). A dying
 * DCB is handed to dispatcher_destroying, which drops its notice. */
static void test_kill_notice_list(void)
{
    struct dcb *dcb = new_disp();
    struct dcb other[3];

    memset(other, 0, sizeof(other));
    CU_ASSERT_PTR_NULL(kill_notice_first());
    kill_notice_defer(dcb, 0x1234);
    kill_notice_defer(dcb, 0x5678);               /* once only */
    CU_ASSERT_PTR_EQUAL(kill_notice_first(), dcb);
    CU_ASSERT_EQUAL(dcb->notice_pc, 0x1234u);
    CU_ASSERT_PTR_NULL(dcb->notice_next);
    kill_notice_drop(dcb);
    CU_ASSERT_PTR_NULL(kill_notice_first());
    kill_notice_drop(dcb);                        /* harmless */
    for (int i = 0; i < 3; i++) {
        kill_notice_defer(&other[i], i);
    }
    kill_notice_drop(&other[1]);                  /* the middle */
    CU_ASSERT_PTR_EQUAL(kill_notice_first(), &other[0]);
    CU_ASSERT_PTR_EQUAL(other[0].notice_next, &other[2]);
    kill_notice_drop(&other[2]);                  /* the tail */
    kill_notice_defer(&other[1], 1);              /* goes behind other[0] */
    CU_ASSERT_PTR_EQUAL(other[0].notice_next, &other[1]);
    kill_notice_drop(&other[0]);
    kill_notice_drop(&other[1]);
    CU_ASSERT_PTR_NULL(kill_notice_first());
    fake_reset();
    ASSERT_OK(caps_delete(fx_slot(1, 10)));       /* the DCB dies */
    CU_ASSERT_EQUAL(fake.dcbs_destroyed, 1u);
}

HOST_SUITE(endpoint_suite, "endpoint objects", NULL, NULL, fx_setup,
           HOST_TEST(test_ep_bind),
           HOST_TEST(test_ep_bind_errors),
           HOST_TEST(test_ep_destroy_unlinks),
           HOST_TEST(test_ep_dispatcher_destroy_unbinds),
           HOST_TEST(test_ep_revoke_ram_both),
           HOST_TEST(test_kill_notice_list))
