/*
 * Message passing for domains: sending with retry, and reading this
 * domain's ring (see include/aos/lmp.h and include/autarky/lmp.h).
 *
 * Ring protocol (single consumer): the kernel fills ring[head % N] and
 * then increments head; we copy ring[tail % N] out and only then
 * increment tail, so the kernel never overwrites a message being read.
 */
#include <aos/lmp.h>
#include <aos/syscalls.h>
#include <aos/dispatch.h>
#include <string.h>

static void lmp_default_wait(void)
{
    sys_wait();
}

void (*lmp_wait_fn)(void) = lmp_default_wait;

errval_t lmp_try_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
                      const uint32_t *words, size_t nwords)
{
    uint32_t buf[LMP_MSG_WORDS] = { 0 };

    if (nwords > LMP_MSG_WORDS
        || (flags & ~(LMP_FLAG_YIELD | LMP_FLAG_GIVE | LMP_FLAG_QUEUE))) {
        return LIB_ERR_LMP_MSG_TOO_LONG;
    }
    if (nwords > 0) {
        memcpy(buf, words, nwords * sizeof(uint32_t));
    }
    return sys_lmp_send(ep, cap, flags | (uint32_t)nwords, buf);
}

errval_t lmp_try_send_msg(capaddr_t ep, capaddr_t cap, uint32_t flags,
                          const uint32_t words[LMP_MSG_WORDS], size_t nwords)
{
    if (nwords > LMP_MSG_WORDS
        || (flags & ~(LMP_FLAG_YIELD | LMP_FLAG_GIVE | LMP_FLAG_QUEUE))) {
        return LIB_ERR_LMP_MSG_TOO_LONG;
    }
    return sys_lmp_send(ep, cap, flags | (uint32_t)nwords, words);
}

/*
 * A client's send: wait in the receiver's line while its ring is full
 * (LMP_FLAG_QUEUE: the kernel delivers in arrival order, so no other
 * client can keep this one out), and retry a missing receive slot, giving
 * the receiver the CPU in between so it can arm one. A server must not use
 * this towards its clients: it would wait for them.
 */
errval_t lmp_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
                  const uint32_t *words, size_t nwords)
{
    uint32_t buf[LMP_MSG_WORDS] = { 0 };

    if (nwords > LMP_MSG_WORDS) {
        return LIB_ERR_LMP_MSG_TOO_LONG;
    }
    for (size_t i = 0; i < nwords; i++) {
        buf[i] = words[i];
    }
    errval_t err = SYS_ERR_LMP_BUF_FULL;

    for (uint32_t i = 0; i < LMP_SEND_RETRIES; i++) {
        err = lmp_try_send_msg(ep, cap, flags | LMP_FLAG_QUEUE, buf, nwords);
        if (err_no(err) != SYS_ERR_LMP_BUF_FULL
            && err_no(err) != SYS_ERR_LMP_NO_RECV_SLOT) {
            return err;
        }
        sys_yield();
    }
    return err_push(err, LIB_ERR_LMP_SEND_GAVE_UP);
}

static struct lmp_recv_area *my_ring(void)
{
    return &get_dispatcher()->lmp;
}

uint32_t lmp_pending(void)
{
    struct lmp_recv_area *lmp = my_ring();
    return lmp->head - lmp->tail;
}

bool lmp_poll(struct lmp_msg *msg)
{
    struct lmp_recv_area *lmp = my_ring();
    uint32_t tail = lmp->tail;
    const struct lmp_msg_slot *slot;

    if (lmp->head == tail) {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    slot = &lmp->ring[tail % LMP_RING_SLOTS];
    msg->badge = slot->badge;
    msg->nwords = LMP_INFO_NWORDS(slot->info);
    if (msg->nwords > LMP_MSG_WORDS) {
        msg->nwords = LMP_MSG_WORDS;
    }
    msg->cap = (slot->info & LMP_INFO_HAS_CAP) ? slot->cap : CPTR_NULL;
    for (int i = 0; i < LMP_MSG_WORDS; i++) {
        msg->words[i] = slot->words[i];
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    lmp->tail = tail + 1;
    return true;
}

void lmp_recv(struct lmp_msg *msg)
{
    while (!lmp_poll(msg)) {
        lmp_wait_fn();
    }
}

errval_t lmp_arm_recv_slot(capaddr_t slot)
{
    struct lmp_recv_area *lmp = my_ring();

    if (slot == CPTR_NULL) {
        return LIB_ERR_LMP_RECV_SLOT_NULL;
    }
    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        if (lmp->recv_slots[i] == CPTR_NULL) {
            lmp->recv_slots[i] = slot;
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_LMP_RECV_SLOTS_FULL;
}

uint32_t lmp_armed_slots(void)
{
    struct lmp_recv_area *lmp = my_ring();
    uint32_t n = 0;

    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        n += lmp->recv_slots[i] != CPTR_NULL;
    }
    return n;
}

void lmp_disarm_recv_slot(capaddr_t slot)
{
    struct lmp_recv_area *lmp = my_ring();

    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        if (lmp->recv_slots[i] == slot) {
            lmp->recv_slots[i] = CPTR_NULL;
        }
    }
}
