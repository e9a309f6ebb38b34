/*
 * UMP: messages between two domains on different cores over one shared
 * frame (lib/ump.c; protocol, barriers and limits in docs/ump.md).
 * Barrelfish's user-level message passing is the model.
 *
 * The frame holds two rings, one per direction: side A sends on the
 * first half and receives on the second, side B the other way round.
 * A ring is one acknowledgement line written only by its receiver,
 * then slots of one cache line each, written only by its sender:
 *
 *   buf                                 buf + bytes/2
 *   ┌─────┬────────┬────────┬─────┬─────┬─────┬────────┬─────┐
 *   │ ack │ slot 0 │ slot 1 │ ... │ N-1 │ ack │ slot 0 │ ... │
 *   └─────┴────────┴────────┴─────┴─────┴─────┴────────┴─────┘
 *   ◀──────── A sends, B receives ─────▶◀─ B sends, A receives ─▶
 *
 * A message of 0..UMP_MSG_MAX_WORDS words travels as one or more
 * fragments (one per slot, UMP_PAYLOAD_WORDS words each) and is sent and
 * received whole or not at all. The peer is not trusted: nothing it writes
 * into the frame makes this side read or write outside the frame, loop or
 * crash; it only shows up as LIB_ERR_UMP_MALFORMED or LIB_ERR_UMP_BAD_ACK.
 *
 * The channel state is a small struct the caller owns (no allocation).
 * One thread at a time per direction: a channel end is not locked.
 */
#ifndef AOS_UMP_H
#define AOS_UMP_H

#include <autarky/errors.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UMP_LINE_BYTES      64u     /* a slot, the ack line: one cache line */
#define UMP_PAYLOAD_WORDS   15u     /* message words one slot carries */
#define UMP_MSG_MAX_WORDS   1024u   /* longest message (4 KiB) */
/* slots the longest message takes: 69 */
#define UMP_MSG_MAX_SLOTS   ((UMP_MSG_MAX_WORDS + UMP_PAYLOAD_WORDS - 1) / UMP_PAYLOAD_WORDS)

/* The frame size to use: 127 slots each way (one longest message, or 127
 * of up to 15 words, in flight per direction). */
#define UMP_CHAN_BYTES      (16u * 1024)
/* Smallest channel: each ring holds one longest message (8,960 bytes). */
#define UMP_CHAN_MIN_BYTES  (2 * UMP_LINE_BYTES * (1 + UMP_MSG_MAX_SLOTS))
/* Largest channel (8,191 slots per ring; the 16-bit sequence numbers need
 * far fewer than 65,536). */
#define UMP_CHAN_MAX_BYTES  (1024u * 1024)

/*
 * A slot's control word, written after its payload:
 *   [31:16] sequence number: the slot's index in the ring's stream of
 *           slots, modulo 2^16 (tells a fresh slot from last lap's)
 *   [15]    FIRST: the message's first fragment
 *   [14]    LAST: its last fragment
 *   [13:11] zero
 *   [10:0]  the whole message's length in words (0..UMP_MSG_MAX_WORDS),
 *           the same in every fragment
 * No valid control word is 0 (a first or last fragment has a flag, a
 * middle one a length above UMP_PAYLOAD_WORDS), so 0 means "never written".
 */
#define UMP_CTL_FIRST       (1u << 15)
#define UMP_CTL_LAST        (1u << 14)
#define UMP_CTL_RESERVED    (7u << 11)
#define UMP_CTL_LEN_MASK    0x7ffu
#define UMP_CTL_SEQ(ctl)    ((uint32_t)(ctl) >> 16)
#define UMP_CTL(seq, flags, len) \
    (((uint32_t)(seq) & 0xffffu) << 16 | (uint32_t)(flags) | ((uint32_t)(len) & UMP_CTL_LEN_MASK))

/* One slot: payload words, then the control word (last, so the line is
 * complete when the receiver sees it). Written only by the sender. */
struct ump_slot {
    uint32_t payload[UMP_PAYLOAD_WORDS];
    uint32_t control;
} __attribute__((aligned(UMP_LINE_BYTES)));

/* A ring's acknowledgement line, written only by the receiver: how many
 * slots it has consumed in all (modulo 2^32). The other words are zero and
 * reserved (for the receiver's "wake me" flag of the doorbell protocol). */
struct ump_ack_line {
    uint32_t consumed;
    uint32_t reserved[UMP_LINE_BYTES / 4 - 1];
} __attribute__((aligned(UMP_LINE_BYTES)));

/* One direction's half of the frame. */
struct ump_ring {
    struct ump_ack_line ack;
    struct ump_slot slots[];
};

_Static_assert(sizeof(struct ump_slot) == UMP_LINE_BYTES, "a slot is one line");
_Static_assert(sizeof(struct ump_ack_line) == UMP_LINE_BYTES, "the ack is one line");
_Static_assert(UMP_MSG_MAX_WORDS <= UMP_CTL_LEN_MASK, "length fits the control word");

/* Which half of the frame this end sends on. The two ends of a channel
 * must be initialised with different sides and the same buffer size. */
enum ump_side {
    UMP_SIDE_A,     /* sends on the first half */
    UMP_SIDE_B,     /* sends on the second half */
};

/* One end of a channel. Its fields are private to lib/ump.c; nothing in
 * it is read back from the shared frame. */
struct ump_chan {
    struct ump_ring *tx;        /* the ring this end sends on */
    struct ump_ring *rx;        /* the ring this end receives on */
    uint32_t nslots;            /* slots per ring */
    uint32_t tx_pos;            /* next slot to write, < nslots */
    uint32_t tx_count;          /* slots written in all (mod 2^32) */
    uint32_t tx_acked;          /* last valid ack read from the peer */
    uint32_t rx_pos;            /* next slot to read, < nslots */
    uint32_t rx_count;          /* slots consumed in all (mod 2^32) */
};

/* Slots a message of `nwords` words takes (an empty message takes one). */
static inline size_t ump_msg_slots(size_t nwords)
{
    return nwords == 0 ? 1 : (nwords + UMP_PAYLOAD_WORDS - 1) / UMP_PAYLOAD_WORDS;
}

errval_t ump_chan_init(struct ump_chan *c, void *buf, size_t bytes, enum ump_side side);
errval_t ump_send(struct ump_chan *c, const uint32_t *words, size_t nwords);
errval_t ump_recv(struct ump_chan *c, uint32_t *words, size_t max, size_t *nwords);
bool ump_can_send(struct ump_chan *c, size_t nwords);
bool ump_can_recv(const struct ump_chan *c);

#endif
