/*
 * Message passing for domains (lib/lmp.c) over the kernel's LMP
 * (include/autarky/lmp.h): send a few words and at most one capability
 * through an Endpoint cap; take messages from this domain's ring.
 *
 * One consumer: the ring belongs to the domain, so exactly one piece of
 * code reads it at a time — the RPC layer (rpc/) holds its lock around
 * every receive. Receive slots for capabilities are armed by the
 * receiver before a capability can arrive.
 */
#ifndef AOS_LMP_H
#define AOS_LMP_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/lmp.h>
#include <autarky/captypes.h>

struct lmp_msg {
    uint32_t badge;                 /* who sent it (the endpoint's badge) */
    uint32_t nwords;
    capaddr_t cap;                  /* slot holding a received cap, or CPTR_NULL */
    uint32_t words[LMP_MSG_WORDS];
};

/* Send flags for lmp_send */
#define LMP_FLAG_YIELD  LMP_SEND_YIELD  /* let the receiver run at once */
#define LMP_FLAG_GIVE   LMP_SEND_GIVE   /* move the cap instead of copying it */
#define LMP_FLAG_QUEUE  LMP_SEND_QUEUE  /* no room: wait in the receiver's line */

/* One attempt: the kernel's error (e.g. SYS_ERR_LMP_BUF_FULL) unchanged. */
errval_t lmp_try_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
                      const uint32_t *words, size_t nwords);
/* The same without copying: `words` is a whole message buffer
 * (LMP_MSG_WORDS readable words), of which `nwords` are sent. */
errval_t lmp_try_send_msg(capaddr_t ep, capaddr_t cap, uint32_t flags,
                          const uint32_t words[LMP_MSG_WORDS], size_t nwords);
/* Send, yielding and retrying while the receiver's ring is full or it has
 * no receive slot armed, at most `LMP_SEND_RETRIES` times. */
#define LMP_SEND_RETRIES 100000
errval_t lmp_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
                  const uint32_t *words, size_t nwords);

/* Take the next message if one waits. */
bool lmp_poll(struct lmp_msg *msg);
/* Wait for the next message (blocks the dispatcher in SYS_WAIT). */
void lmp_recv(struct lmp_msg *msg);
/* Messages waiting in the ring. */
uint32_t lmp_pending(void);

/* Arm an empty slot for an incoming capability (LIB_ERR_LMP_RECV_SLOTS_FULL
 * when all LMP_RECV_CAP_SLOTS are armed). */
errval_t lmp_arm_recv_slot(capaddr_t slot);
/* Take `slot` out of the armed set (if it is still there). */
void lmp_disarm_recv_slot(capaddr_t slot);
/* Number of armed receive slots (the kernel disarms the ones it fills). */
uint32_t lmp_armed_slots(void);

/* How lmp_recv waits; the threads package replaces it so that other
 * threads run while one waits. Default: sys_wait(). */
extern void (*lmp_wait_fn)(void);

#endif
