/*
 * Doorbells and IPI capabilities (kernel/doorbell.c, kernel/object/ipi.c)
 * on the fake cores of fake_kernel.c: numbers handed out once per
 * dispatcher and freed with it, a ring of another core sets its pending
 * bit and interrupts it once until it looks, the interrupt wakes a waiting
 * owner or leaves the bit for a running one's next wait (so a ring
 * storm costs a running owner's core one interrupt), and only a Kernel-made IPI cap with WRITE
 * rings anything.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/doorbell.h>
#include <kernel/dispatcher.h>
#include <kernel/core.h>
#include <kernel/ipi.h>

static struct dcb dcbs[3];

static void setup(void)
{
    fx_setup();
    doorbell_init();
    memset(dcbs, 0, sizeof(dcbs));
}

static void test_numbers_once_per_dispatcher(void)
{
    uint32_t a, again, b;

    ASSERT_OK(doorbell_create(&dcbs[0], &a));
    ASSERT_OK(doorbell_create(&dcbs[0], &again));
    ASSERT_OK(doorbell_create(&dcbs[1], &b));
    CU_ASSERT_EQUAL(a, again);
    CU_ASSERT_NOT_EQUAL(a, b);
    CU_ASSERT_TRUE(a >= 1 && a < DOORBELL_MAX && b >= 1 && b < DOORBELL_MAX);
    /* freed with its dispatcher, and not handed out again at once */
    doorbell_dispatcher_destroyed(&dcbs[0]);
    CU_ASSERT_EQUAL(dcbs[0].doorbell, 0);
    ASSERT_OK(doorbell_create(&dcbs[2], &again));
    CU_ASSERT_NOT_EQUAL(again, a);
}

static void test_table_full(void)
{
    static struct dcb many[DOORBELL_MAX];
    uint32_t id;

    memset(many, 0, sizeof(many));
    for (uint32_t i = 0; i < DOORBELL_MAX - 1; i++) {
        ASSERT_OK(doorbell_create(&many[i], &id));
    }
    ASSERT_ERR(doorbell_create(&many[DOORBELL_MAX - 1], &id), SYS_ERR_DOORBELL_FULL);
    CU_ASSERT_EQUAL(many[DOORBELL_MAX - 1].doorbell, 0);
    doorbell_dispatcher_destroyed(&many[17]);
    ASSERT_OK(doorbell_create(&many[DOORBELL_MAX - 1], &id));
    CU_ASSERT_EQUAL(id, many[DOORBELL_MAX - 1].doorbell);
}

/* Core 1 rings core 2 three times: one interrupt until core 2 looks. */
static void test_ring_other_core_interrupts_once(void)
{
    uint32_t id;

    fake.core = 2;
    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    dcbs[0].state = DCB_WAITING;
    fake.core = 1;
    doorbell_ring(2, id);
    doorbell_ring(2, id);
    doorbell_ring(2, id);
    CU_ASSERT_EQUAL(fake.ipis_sent, 1);
    CU_ASSERT_EQUAL(fake.ipi_last_core, 2);
    CU_ASSERT_EQUAL(dcbs[0].state, DCB_WAITING);    /* nothing happens on core 1 */
    fake.core = 2;
    doorbell_handle_pending();
    CU_ASSERT_EQUAL(dcbs[0].state, DCB_RUNNABLE);
    CU_ASSERT_EQUAL(fake.unblocked, 1);
    CU_ASSERT_EQUAL(fake.unblocked_err[0], SYS_ERR_OK);
    CU_ASSERT_FALSE(doorbell_take_notified(&dcbs[0]));  /* woken, not noticed twice */
    /* once it looked, the next ring interrupts again */
    fake.core = 1;
    doorbell_ring(2, id);
    CU_ASSERT_EQUAL(fake.ipis_sent, 2);
}

/* Doorbells in three different words: each ring marks its word, one
 * interrupt's look takes every marked word and wakes all three owners,
 * and leaves no mark behind. */
static void test_rings_in_several_words(void)
{
    static struct dcb many[DOORBELL_MAX];
    const uint32_t wanted[3] = { 5, 40, DOORBELL_MAX - 1 };

    memset(many, 0, sizeof(many));
    fake.core = 2;
    for (uint32_t i = 1; i < DOORBELL_MAX; i++) {
        uint32_t id;
        ASSERT_OK(doorbell_create(&many[i], &id));
        CU_ASSERT_EQUAL(id, i);             /* a fresh table hands out 1, 2, ... */
    }
    kernel_shared()->doorbell_words[2] = 0;
    fake.core = 1;
    for (int i = 0; i < 3; i++) {
        many[wanted[i]].state = DCB_WAITING;
        doorbell_ring(2, wanted[i]);
    }
    CU_ASSERT_EQUAL(fake.ipis_sent, 3);
    CU_ASSERT_EQUAL(kernel_shared()->doorbell_words[2],
                    1u << 0 | 1u << 1 | 1u << ((DOORBELL_MAX - 1) / 32));
    fake.core = 2;
    doorbell_handle_pending();
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(many[wanted[i]].state, DCB_RUNNABLE);
    }
    CU_ASSERT_EQUAL(fake.unblocked, 3);
    CU_ASSERT_EQUAL(kernel_shared()->doorbell_words[2], 0u);
    CU_ASSERT_EQUAL(kernel_shared()->doorbells[2][1], 0u);
}

/* A ring while the owner runs leaves a notice its next wait takes. */
static void test_ring_while_running_leaves_notice(void)
{
    uint32_t id;

    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    dcbs[0].state = DCB_RUNNABLE;
    doorbell_ring(0, id);                   /* same core: at once, no interrupt */
    CU_ASSERT_EQUAL(fake.ipis_sent, 0);
    CU_ASSERT_EQUAL(fake.unblocked, 0);
    CU_ASSERT_TRUE(doorbell_take_notified(&dcbs[0]));
    CU_ASSERT_FALSE(doorbell_take_notified(&dcbs[0]));
}

/*
 * Safety rule 8 across cores: a peer that rings in a loop while the owner
 * runs interrupts the owner's core once, not once per ring. The interrupt
 * that finds the owner running leaves the bit set; rings then find it set
 * and send nothing; the owner's next SYS_WAIT takes it and returns at
 * once, and only then can a ring interrupt again.
 */
static void test_ring_storm_costs_running_owner_one_interrupt(void)
{
    uint32_t id;

    fake.core = 2;
    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    dcbs[0].state = DCB_RUNNABLE;           /* computing, not waiting */
    for (int round = 0; round < 3; round++) {
        fake.core = 1;
        for (int i = 0; i < 1000; i++) {
            doorbell_ring(2, id);
            if (i == 0) {
                fake.core = 2;
                doorbell_handle_pending();  /* the one interrupt: owner running */
                fake.core = 1;
            }
        }
        CU_ASSERT_EQUAL(fake.ipis_sent, (uint32_t)round + 1);
        CU_ASSERT_EQUAL(fake.unblocked, 0);
        fake.core = 2;
        CU_ASSERT_TRUE(doorbell_take_notified(&dcbs[0]));   /* its SYS_WAIT: at once */
        CU_ASSERT_FALSE(doorbell_take_notified(&dcbs[0]));  /* then it would block */
    }
}

/* A number handed out again starts without its last owner's ring. */
static void test_reused_number_starts_clean(void)
{
    static struct dcb many[DOORBELL_MAX];
    uint32_t id, again;

    memset(many, 0, sizeof(many));
    fake.core = 2;
    for (uint32_t i = 1; i < DOORBELL_MAX; i++) {
        ASSERT_OK(doorbell_create(&many[i], &id));
    }
    many[7].state = DCB_RUNNABLE;
    fake.core = 1;
    doorbell_ring(2, 7);
    fake.core = 2;
    doorbell_handle_pending();              /* owner running: the bit stays */
    doorbell_dispatcher_destroyed(&many[7]);
    ASSERT_OK(doorbell_create(&dcbs[0], &again));
    CU_ASSERT_EQUAL(again, 7);              /* the only free number */
    CU_ASSERT_FALSE(doorbell_take_notified(&dcbs[0]));
}

/* A ring of a freed doorbell, or of one never made, wakes nobody. */
static void test_ring_nobody(void)
{
    uint32_t id;

    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    dcbs[0].state = DCB_WAITING;
    doorbell_dispatcher_destroyed(&dcbs[0]);
    fake.core = 3;
    doorbell_ring(0, id);
    doorbell_ring(0, DOORBELL_MAX - 1);
    fake.core = 0;
    doorbell_handle_pending();
    CU_ASSERT_EQUAL(fake.unblocked, 0);
    CU_ASSERT_EQUAL(dcbs[0].state, DCB_WAITING);
}

/* Only the Kernel capability makes IPI caps, for real cores and numbers;
 * ringing needs WRITE; copies are separate caps, not copies of each other. */
static void test_ipi_caps(void)
{
    struct cte *a = fx_slot(1, 0), *b = fx_slot(1, 1);

    ASSERT_ERR(ipi_create(fx.root, CPTR(1, 0), 4, 1), SYS_ERR_IPI_INVALID);
    ASSERT_ERR(ipi_create(fx.root, CPTR(1, 0), 1, 0), SYS_ERR_IPI_INVALID);
    ASSERT_ERR(ipi_create(fx.root, CPTR(1, 0), 1, DOORBELL_MAX), SYS_ERR_IPI_INVALID);
    ASSERT_ERR(ipi_create(fx.root, CPTR(9, 0), 1, 5), SYS_ERR_L2_CNODE_NOT_FOUND);
    ASSERT_OK(ipi_create(fx.root, CPTR(1, 0), 1, 5));
    ASSERT_ERR(ipi_create(fx.root, CPTR(1, 0), 1, 6), SYS_ERR_SLOT_IN_USE);
    ASSERT_OK(ipi_create(fx.root, CPTR(1, 1), 1, 6));
    CU_ASSERT_EQUAL(a->cap.type, ObjType_IPI);
    CU_ASSERT_FALSE(cap_is_copy(&a->cap, &b->cap));
    /* a second cap of a's very doorbell is an object of its own: a revoke
     * of a takes a's copy, never it (nor b) */
    ASSERT_OK(ipi_create(fx.root, CPTR(1, 2), 1, 5));
    ASSERT_OK(caps_copy(fx_slot(1, 3), a, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_FALSE(cap_is_copy(&a->cap, &fx_slot(1, 2)->cap));
    CU_ASSERT_TRUE(cap_is_copy(&a->cap, &fx_slot(1, 3)->cap));
    ASSERT_OK(caps_revoke(a));
    CU_ASSERT_TRUE(cte_is_empty(fx_slot(1, 3)));
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(1, 2)));
    CU_ASSERT_FALSE(cte_is_empty(b));
    ASSERT_OK(caps_revoke(fx_slot(1, 2)));
    CU_ASSERT_FALSE(cte_is_empty(a));
    ASSERT_OK(ipi_invoke(a, IPICMD_NOTIFY));
    CU_ASSERT_EQUAL(fake.ipis_sent, 1);
    CU_ASSERT_EQUAL(fake.ipi_last_core, 1);
    CU_ASSERT_EQUAL(kernel_shared()->doorbells[1][0], 1u << 5);
    ASSERT_ERR(ipi_invoke(a, IPICMD_NOTIFY + 1), SYS_ERR_ILLEGAL_INVOCATION);
    ASSERT_OK(caps_copy(fx_slot(2, 0), a, CAP_RIGHTS_ALL & ~CAP_RIGHT_WRITE, 0));
    ASSERT_ERR(ipi_invoke(fx_slot(2, 0), IPICMD_NOTIFY), SYS_ERR_NO_RIGHTS);
    CU_ASSERT_EQUAL(fake.ipis_sent, 1);
    ASSERT_MDB();
}

/* The first domain's doorbell is published for the other cores, and each
 * of its wakes copies the mask of dead cores into its dispatcher frame;
 * doorbell 0 is the kernel's own (a request from another core). */
static void test_root_doorbell_and_kernel_doorbell(void)
{
    struct dispatcher_shared *frame = pa_to_kva(0x40003000u);  /* free arena page */
    uint32_t id;

    _Static_assert(sizeof(struct dispatcher_shared) <= 4096, "one page");
    fake.root = &dcbs[0];
    /* the dispatcher frame cap the DCB names: its base is the frame's pa */
    dcbs[0].ctes[DCB_CTE_DISPFRAME].cap.base = 0x40003000u;
    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    CU_ASSERT_EQUAL(fake.root_doorbell, id);
    kernel_shared()->cores_down = 1u << 3;
    dcbs[0].state = DCB_WAITING;
    fake.core = 2;
    doorbell_ring(0, id);
    fake.core = 0;
    doorbell_handle_pending();
    CU_ASSERT_EQUAL(frame->cores_down, 1u << 3);
    CU_ASSERT_EQUAL(dcbs[0].state, DCB_RUNNABLE);
    /* doorbell 0 wakes nobody: it takes the kernel's request */
    fake.core = 1;
    doorbell_ring(0, 0);
    fake.core = 0;
    doorbell_handle_pending();
    CU_ASSERT_EQUAL(fake.kill_requests_taken, 1);
    CU_ASSERT_EQUAL(fake.unblocked, 1);
}

/* A core dies while the first domain runs with its bit left set: the
 * death's ring finds the bit set and interrupts nobody, so the first
 * domain's next SYS_WAIT, which takes the bit, must bring the mask of
 * dead cores (mp-dead hung without it). */
static void test_root_learns_dead_core_from_bit_left_set(void)
{
    struct dispatcher_shared *frame = pa_to_kva(0x40003000u);
    uint32_t id;

    fake.root = &dcbs[0];
    dcbs[0].ctes[DCB_CTE_DISPFRAME].cap.base = 0x40003000u;
    ASSERT_OK(doorbell_create(&dcbs[0], &id));
    frame->cores_down = 0;
    kernel_shared()->cores_down = 0;
    dcbs[0].state = DCB_RUNNABLE;
    fake.core = 2;
    doorbell_ring(0, id);                   /* some news from core 2 */
    fake.core = 0;
    doorbell_handle_pending();              /* running: the bit stays */
    CU_ASSERT_EQUAL(fake.ipis_sent, 1);
    kernel_shared()->cores_down = 1u << 3;  /* core 3's init dies and rings */
    fake.core = 3;
    doorbell_ring(0, id);
    CU_ASSERT_EQUAL(fake.ipis_sent, 1);     /* the bit was set: no interrupt */
    CU_ASSERT_EQUAL(frame->cores_down, 0u);
    fake.core = 0;
    CU_ASSERT_TRUE(doorbell_take_notified(&dcbs[0]));
    CU_ASSERT_EQUAL(frame->cores_down, 1u << 3);
}

HOST_SUITE(doorbell_suite, "doorbells and IPI caps", NULL, NULL, setup,
           HOST_TEST(test_rings_in_several_words),
           HOST_TEST(test_numbers_once_per_dispatcher),
           HOST_TEST(test_table_full),
           HOST_TEST(test_ring_other_core_interrupts_once),
           HOST_TEST(test_ring_while_running_leaves_notice),
           HOST_TEST(test_ring_storm_costs_running_owner_one_interrupt),
           HOST_TEST(test_reused_number_starts_clean),
           HOST_TEST(test_root_learns_dead_core_from_bit_left_set),
           HOST_TEST(test_ring_nobody),
           HOST_TEST(test_ipi_caps),
           HOST_TEST(test_root_doorbell_and_kernel_doorbell))
