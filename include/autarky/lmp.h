/*
 * Local message passing (LMP): the kernel's only IPC primitive.
 *
 * A message is up to LMP_MSG_WORDS words plus at most one capability,
 * sent with SYS_LMP_SEND through an Endpoint capability. An Endpoint is a
 * small kernel object bound once (EPCMD_BIND) to the dispatcher that
 * receives on it; copies of the endpoint cap, each minted with its own
 * badge, are what senders hold. The receiver learns who sent a message
 * from the badge, never from anything the sender says.
 *
 * Delivery is asynchronous: the kernel writes the message into the
 * receiver's ring in its dispatcher frame, or fails with
 * SYS_ERR_LMP_BUF_FULL. A send with LMP_SEND_QUEUE that finds no room
 * waits in line instead: the sender blocks in the receiver's FIFO queue
 * of waiting senders, and the kernel delivers its message, in queue order,
 * when the receiver has room again (kernel/lmp_sendq.c). While anyone
 * waits in line, no badged sender gets ahead of them, so no set of
 * clients can keep another from reaching a server (docs/safety.md, rule 8). A capability goes into one of the empty
 * slots the receiver armed in recv_slots[] (the kernel zeroes the entry it
 * used); without one the send fails with SYS_ERR_LMP_NO_RECV_SLOT and
 * nothing is delivered.
 *
 *   receiver's dispatcher frame (struct dispatcher_shared.lmp)
 *   ┌──────────────────────────────────────────────────────────────┐
 *   │ head (kernel: messages written)   tail (domain: messages read) │
 *   │ recv_slots[4]: empty cptrs in the receiver's cspace, or 0      │
 *   │ ring[16]: { badge, info (nwords, HAS_CAP), cap, words[8] }     │
 *   └──────────────────────────────────────────────────────────────┘
 *   message i lives in ring[i % LMP_RING_SLOTS]; head - tail = messages
 *   waiting. The kernel treats tail as untrusted (the domain writes it).
 *
 * SYS_LMP_SEND  r1 = endpoint cptr, r2 = cptr of the cap to send (0: none),
 *               r3 = LMP_SEND_* flags | nwords, r4..r11 = words
 * SYS_WAIT      block until this domain's ring holds a message (returns at
 *               once if it already does)
 */
#ifndef AUTARKY_LMP_H
#define AUTARKY_LMP_H

#include <autarky/types.h>

#define LMP_MSG_WORDS       8
#define LMP_RING_SLOTS      16
#define LMP_SENDER_SHARE    (LMP_RING_SLOTS / 4)  /* slots one badge may hold (kernel/lmp.c) */
#define LMP_RECV_CAP_SLOTS  4
#define LMP_LINE_MAX        1024  /* senders waiting in one receiver's line (kernel/lmp_sendq.c) */

/* SYS_LMP_SEND r3 */
#define LMP_SEND_NWORDS_MASK 0xfu
#define LMP_SEND_YIELD      (1u << 8)   /* run the receiver now (directed yield) */
#define LMP_SEND_GIVE       (1u << 9)   /* move the cap: the sender's slot is emptied */
#define LMP_SEND_QUEUE      (1u << 10)  /* no room: wait in line (blocks) instead of BUF_FULL */
#define LMP_SEND_FLAGS_MASK (LMP_SEND_NWORDS_MASK | LMP_SEND_YIELD | LMP_SEND_GIVE | \
                             LMP_SEND_QUEUE)

/* struct lmp_msg_slot.info */
#define LMP_INFO_NWORDS(i)  ((i) & 0xfu)
#define LMP_INFO_HAS_CAP    (1u << 8)

/* Word 0 of the message the kernel sends through a dispatcher's exit
 * endpoint when it kills the domain (DISPCMD_SET_EXIT_EP); words 1-2 are
 * the domain id and the pc of the fault. */
#define LMP_KERNEL_MSG_KILLED 0x4b494c4cu   /* "KILL" */

struct lmp_msg_slot {
    uint32_t badge;                 /* badge of the endpoint cap it came through */
    uint32_t info;                  /* nwords | LMP_INFO_HAS_CAP */
    capaddr_t cap;                  /* receiver's slot now holding the cap */
    uint32_t words[LMP_MSG_WORDS];
};

struct lmp_recv_area {
    volatile uint32_t head;                         /* written by the kernel */
    volatile uint32_t tail;                         /* written by the domain */
    volatile capaddr_t recv_slots[LMP_RECV_CAP_SLOTS];
    uint32_t delivered;                             /* kernel: messages ever written */
    struct lmp_msg_slot ring[LMP_RING_SLOTS];
};

#endif
