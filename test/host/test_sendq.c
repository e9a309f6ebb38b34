/*
 * The line of waiting senders (kernel/lmp_sendq.c) against a faked
 * scheduler and delivery (fake_kernel.c): senders are served in the order
 * they came, a drain stops when the ring is full and moves at most one
 * ring's worth, a stopped sender leaves with BUF_FULL, a dying receiver
 * sends everybody away with TARGET_DEAD, a dying sender leaves quietly.
 */
#include "host_suite.h"
#include "fake_kernel.h"
#include <kernel/dispatcher.h>
#include <string.h>

#define NSENDERS 20

static struct dcb receiver, senders[NSENDERS];

static void sendq_setup(void)
{
    memset(&receiver, 0, sizeof(receiver));
    memset(senders, 0, sizeof(senders));
    fake_reset();
    fake.deliver_result = SYS_ERR_OK;
}

/* Sender i waits in the receiver's line with words[0] = i. */
static void wait_in_line(int i)
{
    struct lmp_send_args a = { .ep = 1, .flags = 1, .words = { (uint32_t)i } };
    struct arch_registers regs;

    memset(&regs, 0, sizeof(regs));
    senders[i].state = DCB_RUNNABLE;
    if (setjmp(fake_run_next_jmp) == 0) {
        lmp_sendq_wait(&senders[i], &receiver, &a, &regs);
    }
    CU_ASSERT_EQUAL(senders[i].state, DCB_SENDING);
}

static void test_served_in_order(void)
{
    for (int i = 0; i < 5; i++) {
        wait_in_line(i);
    }
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.delivered, 5u);
    CU_ASSERT_EQUAL(fake.unblocked, 5u);
    for (unsigned i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(fake.delivered_word0[i], i);
        CU_ASSERT_PTR_EQUAL(fake.unblocked_dcb[i], &senders[i]);
        CU_ASSERT_EQUAL(fake.unblocked_err[i], SYS_ERR_OK);
    }
    CU_ASSERT_PTR_NULL(receiver.sendq_head);
    CU_ASSERT_PTR_NULL(receiver.sendq_tail);
}

static void test_drain_stops_when_full(void)
{
    for (int i = 0; i < NSENDERS; i++) {
        wait_in_line(i);
    }
    fake.ring_used = LMP_RING_SLOTS - 3;
    fake.ring_fills = true;
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.delivered, 3u);
    CU_ASSERT_PTR_EQUAL(receiver.sendq_head, &senders[3]);
    /* the receiver emptied its ring: at most one ring's worth moves */
    fake.ring_used = 0;
    fake.ring_fills = false;
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.delivered, 3u + LMP_RING_SLOTS);
    CU_ASSERT_PTR_EQUAL(receiver.sendq_head, &senders[3 + LMP_RING_SLOTS]);
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.delivered, (unsigned)NSENDERS);
    CU_ASSERT_PTR_NULL(receiver.sendq_head);
}

static void test_turn_result_returned(void)
{
    wait_in_line(0);
    fake.deliver_result = SYS_ERR_LMP_NO_RECV_SLOT;
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.unblocked, 1u);
    CU_ASSERT_EQUAL(fake.unblocked_err[0], SYS_ERR_LMP_NO_RECV_SLOT);
}

static void test_cancel_from_middle(void)
{
    for (int i = 0; i < 3; i++) {
        wait_in_line(i);
    }
    lmp_sendq_cancel(&senders[1]);
    CU_ASSERT_EQUAL(fake.unblocked, 1u);
    CU_ASSERT_EQUAL(fake.unblocked_err[0], SYS_ERR_LMP_BUF_FULL);
    CU_ASSERT_PTR_EQUAL(senders[0].sendq_next, &senders[2]);
    CU_ASSERT_PTR_EQUAL(senders[2].sendq_prev, &senders[0]);
    lmp_sendq_cancel(&senders[1]);                 /* not in line: nothing */
    CU_ASSERT_EQUAL(fake.unblocked, 1u);
    lmp_sendq_drain(&receiver);
    CU_ASSERT_EQUAL(fake.delivered, 2u);
    CU_ASSERT_EQUAL(fake.delivered_word0[1], 2u);
}

static void test_detach_receiver_and_sender(void)
{
    for (int i = 0; i < 4; i++) {
        wait_in_line(i);
    }
    lmp_sendq_detach(&senders[3]);                 /* a dying sender: quietly */
    CU_ASSERT_EQUAL(fake.unblocked, 0u);
    CU_ASSERT_EQUAL(senders[3].state, DCB_STOPPED);
    CU_ASSERT_PTR_EQUAL(receiver.sendq_tail, &senders[2]);
    lmp_sendq_detach(&receiver);                   /* a dying receiver */
    CU_ASSERT_EQUAL(fake.unblocked, 3u);
    for (unsigned i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(fake.unblocked_err[i], SYS_ERR_LMP_TARGET_DEAD);
        CU_ASSERT_PTR_NULL(senders[i].sendq_receiver);
    }
    CU_ASSERT_PTR_NULL(receiver.sendq_head);
    CU_ASSERT_EQUAL(fake.delivered, 0u);
}

HOST_SUITE(sendq_suite, "LMP: the line of waiting senders", NULL, NULL, sendq_setup,
           HOST_TEST(test_served_in_order),
           HOST_TEST(test_drain_stops_when_full),
           HOST_TEST(test_turn_result_returned),
           HOST_TEST(test_cancel_from_middle),
           HOST_TEST(test_detach_receiver_and_sender))
