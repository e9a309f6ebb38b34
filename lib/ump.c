/*
 * UMP rings: messages between cores over one shared frame
 * (include/aos/ump.h for the layout, docs/ump.md for the protocol).
 *
 * Every cache line of the frame has one writer. The sender writes slots
 * and reads the receiver's ack line; the receiver reads slots and writes
 * its ack line. Neither side reads back a line it writes: its own
 * progress lives in struct ump_chan, so a peer scribbling over the frame
 * cannot change what this side believes it has sent or consumed.
 *
 * Sending a message of k slots: write the payloads and the control words
 * of slots 1..k-1 and the payload of slot 0, a store barrier, then slot
 * 0's control word. The first fragment is published last, so a receiver
 * that sees it sees the whole message, and a message is taken whole or
 * not at all.
 *
 * Every word the peer writes is read once (shared_load) into a local and
 * judged there; a shared word is never read again to decide anything.
 */
#include <aos/ump.h>
#include <arch/barrier.h>

#define SEQ_MASK 0xffffu

/* One aligned 32-bit load from the shared frame: a single access the
 * compiler may neither repeat nor split (an LDR on ARM). */
static inline uint32_t shared_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* One aligned 32-bit store to the shared frame (an STR on ARM). */
static inline void shared_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* The index `ahead` slots after `pos` in a ring of `nslots` slots. Needs
 * pos < nslots and ahead <= nslots, so the result is below nslots. */
static uint32_t ring_index(uint32_t nslots, uint32_t pos, uint32_t ahead)
{
    uint32_t i = pos + ahead;

    return i >= nslots ? i - nslots : i;
}

/* Slot `ahead` after `pos` (see ring_index) of `ring`. */
static struct ump_slot *slot_at(struct ump_ring *ring, uint32_t nslots,
                                uint32_t pos, uint32_t ahead)
{
    return &ring->slots[ring_index(nslots, pos, ahead)];
}

/* Words of a `len`-word message that fragment `j` carries. */
static uint32_t fragment_words(uint32_t len, uint32_t j)
{
    uint32_t done = j * UMP_PAYLOAD_WORDS;

    return len - done < UMP_PAYLOAD_WORDS ? len - done : UMP_PAYLOAD_WORDS;
}

/*
 * Set up one end of a channel over `bytes` bytes at `buf`, sending on the
 * half `side` names. `buf` must be 64-byte aligned and `bytes` a multiple
 * of 128 in UMP_CHAN_MIN_BYTES..UMP_CHAN_MAX_BYTES; the peer must use the
 * same buffer size and the other side. Zeroes the lines this end writes
 * (its sending ring's control words, its receiving ring's ack line), so
 * the peer may initialise before or after it; the frame must be zero (as
 * a new frame is) or quiet before either end's first message.
 */
errval_t ump_chan_init(struct ump_chan *c, void *buf, size_t bytes, enum ump_side side)
{
    char *half0 = buf, *half1 = (char *)buf + bytes / 2;

    if (c == NULL || buf == NULL || (side != UMP_SIDE_A && side != UMP_SIDE_B)) {
        return LIB_ERR_UMP_ARGS;
    }
    if (((uintptr_t)buf & (UMP_LINE_BYTES - 1)) != 0 || bytes % (2 * UMP_LINE_BYTES) != 0
        || bytes < UMP_CHAN_MIN_BYTES || bytes > UMP_CHAN_MAX_BYTES) {
        return LIB_ERR_UMP_BUF;
    }
    c->tx = (struct ump_ring *)(side == UMP_SIDE_A ? half0 : half1);
    c->rx = (struct ump_ring *)(side == UMP_SIDE_A ? half1 : half0);
    c->nslots = (uint32_t)(bytes / 2 / UMP_LINE_BYTES - 1);
    c->tx_pos = c->tx_count = c->tx_acked = 0;
    c->rx_pos = c->rx_count = 0;
    for (uint32_t i = 0; i < c->nslots; i++) {
        shared_store(&c->tx->slots[i].control, 0);
    }
    for (uint32_t i = 0; i < UMP_LINE_BYTES / 4; i++) {
        shared_store((uint32_t *)&c->rx->ack + i, 0);
    }
    return SYS_ERR_OK;
}

/*
 * Make sure `need` slots (<= nslots) are free to write. Reads the peer's
 * ack line only when the last valid ack does not already leave room, and
 * accepts it only if it lies between that ack and what was sent: an ack
 * claiming more, or going back, is LIB_ERR_UMP_BAD_ACK. The barrier after
 * the read orders it before every later store to the slots it frees (the
 * peer has finished reading them). Writes nothing to the frame.
 */
static errval_t tx_make_room(struct ump_chan *c, uint32_t need)
{
    uint32_t ack;

    if (c->nslots - (c->tx_count - c->tx_acked) >= need) {
        return SYS_ERR_OK;
    }
    ack = shared_load(&c->tx->ack.consumed);
    if (ack - c->tx_acked > c->tx_count - c->tx_acked) {
        return LIB_ERR_UMP_BAD_ACK;
    }
    c->tx_acked = ack;
    arch_barrier_shared();
    return c->nslots - (c->tx_count - ack) >= need ? SYS_ERR_OK : LIB_ERR_UMP_FULL;
}

/* Copy fragment `j` of the message `words` (`len` words) into `slot`'s
 * payload. The control word is not touched. */
static void tx_fill(struct ump_slot *slot, const uint32_t *words, uint32_t len, uint32_t j)
{
    uint32_t base = j * UMP_PAYLOAD_WORDS, n = fragment_words(len, j);

    for (uint32_t i = 0; i < n; i++) {
        shared_store(&slot->payload[i], words[base + i]);
    }
}

/*
 * Send one message of `nwords` words (0..UMP_MSG_MAX_WORDS), whole or
 * not at all: LIB_ERR_UMP_FULL (or LIB_ERR_UMP_BAD_ACK) writes nothing.
 * Fragments 1..k-1 are complete before the store barrier, fragment 0's
 * control word after it (see the top of the file).
 */
errval_t ump_send(struct ump_chan *c, const uint32_t *words, size_t nwords)
{
    uint32_t len = (uint32_t)nwords, k, seq;
    struct ump_slot *first;
    errval_t err;

    if (c == NULL || (words == NULL && nwords > 0)) {
        return LIB_ERR_UMP_ARGS;
    }
    if (nwords > UMP_MSG_MAX_WORDS) {
        return LIB_ERR_UMP_SEND_TOO_LONG;
    }
    k = (uint32_t)ump_msg_slots(nwords);
    err = tx_make_room(c, k);
    if (err_is_fail(err)) {
        return err;
    }
    for (uint32_t j = 1; j < k; j++) {
        struct ump_slot *slot = slot_at(c->tx, c->nslots, c->tx_pos, j);
        tx_fill(slot, words, len, j);
        shared_store(&slot->control,
                     UMP_CTL(c->tx_count + j, j == k - 1 ? UMP_CTL_LAST : 0, len));
    }
    first = slot_at(c->tx, c->nslots, c->tx_pos, 0);
    tx_fill(first, words, len, 0);
    seq = c->tx_count;
    arch_barrier_shared_stores();
    shared_store(&first->control, UMP_CTL(seq, UMP_CTL_FIRST | (k == 1 ? UMP_CTL_LAST : 0), len));
    c->tx_count += k;
    c->tx_pos = ring_index(c->nslots, c->tx_pos, k);
    return SYS_ERR_OK;
}

/* true if the send of a message of `nwords` words would not be refused
 * (room for all its fragments, a valid ack). May read the ack line. */
bool ump_can_send(struct ump_chan *c, size_t nwords)
{
    if (c == NULL || nwords > UMP_MSG_MAX_WORDS) {
        return false;
    }
    return err_is_ok(tx_make_room(c, (uint32_t)ump_msg_slots(nwords)));
}

/*
 * Does the head slot's control word `ctl` say "nothing new"? Either it was
 * never written (0) or it carries the sequence number of the previous lap
 * (the one the sender wrote `nslots` slots ago).
 */
static bool rx_head_empty(const struct ump_chan *c, uint32_t ctl)
{
    return ctl == 0 || UMP_CTL_SEQ(ctl) == ((c->rx_count - c->nslots) & SEQ_MASK);
}

/* Consume `n` (1..nslots) slots and tell the peer: the barrier orders
 * every read of them before the ack store that lets the peer reuse them. */
static void rx_consume(struct ump_chan *c, uint32_t n)
{
    c->rx_pos = ring_index(c->nslots, c->rx_pos, n);
    c->rx_count += n;
    arch_barrier_shared();
    shared_store(&c->rx->ack.consumed, c->rx_count);
}

/*
 * Read fragments 1..k-1 of the message whose valid first control word
 * gave `len`, copying each payload to `out` unless `out` is NULL.
 * Each control word must be exactly the one an honest sender writes
 * (next sequence number, LAST only on the last, the same length).
 * Returns k, or the index (1..k-1) of the first fragment that is not.
 */
static uint32_t rx_take_rest(struct ump_chan *c, uint32_t len, uint32_t k, uint32_t *out)
{
    for (uint32_t j = 1; j < k; j++) {
        struct ump_slot *slot = slot_at(c->rx, c->nslots, c->rx_pos, j);
        uint32_t ctl = shared_load(&slot->control);
        if (ctl != UMP_CTL(c->rx_count + j, j == k - 1 ? UMP_CTL_LAST : 0, len)) {
            return j;
        }
        for (uint32_t i = 0; out != NULL && i < fragment_words(len, j); i++) {
            out[j * UMP_PAYLOAD_WORDS + i] = shared_load(&slot->payload[i]);
        }
    }
    return k;
}

/*
 * Receive one whole message into words[0..max) and set *nwords to its
 * length. LIB_ERR_UMP_EMPTY: nothing waiting (nothing consumed).
 * LIB_ERR_UMP_RECV_TOO_LONG: the message has more than `max` words; it is
 * consumed and dropped, *nwords says how long it was. LIB_ERR_UMP_MALFORMED:
 * the slots from the head up to (not including) the first bad one are
 * consumed, at least one, so every call makes progress. On any error the
 * words of `words` are undefined, and *nwords is 0 but for TOO_LONG.
 */
errval_t ump_recv(struct ump_chan *c, uint32_t *words, size_t max, size_t *nwords)
{
    struct ump_slot *head;
    uint32_t ctl, len, k, taken;
    bool fits;

    if (c == NULL || nwords == NULL || (words == NULL && max > 0)) {
        return LIB_ERR_UMP_ARGS;
    }
    *nwords = 0;
    head = slot_at(c->rx, c->nslots, c->rx_pos, 0);
    ctl = shared_load(&head->control);
    if (rx_head_empty(c, ctl)) {
        return LIB_ERR_UMP_EMPTY;
    }
    arch_barrier_shared();      /* the control word before everything it publishes */
    len = ctl & UMP_CTL_LEN_MASK;
    k = (uint32_t)ump_msg_slots(len);
    if (len > UMP_MSG_MAX_WORDS
        || ctl != UMP_CTL(c->rx_count, UMP_CTL_FIRST | (k == 1 ? UMP_CTL_LAST : 0), len)) {
        rx_consume(c, 1);
        return LIB_ERR_UMP_MALFORMED;
    }
    fits = len <= max;
    for (uint32_t i = 0; fits && i < fragment_words(len, 0); i++) {
        words[i] = shared_load(&head->payload[i]);
    }
    taken = rx_take_rest(c, len, k, fits ? words : NULL);
    rx_consume(c, taken);
    if (taken != k) {
        return LIB_ERR_UMP_MALFORMED;
    }
    *nwords = len;
    return fits ? SYS_ERR_OK : LIB_ERR_UMP_RECV_TOO_LONG;
}

/* true if ump_recv would not answer LIB_ERR_UMP_EMPTY (a message, or
 * something malformed, waits). Reads one control word; changes nothing. */
bool ump_can_recv(const struct ump_chan *c)
{
    if (c == NULL) {
        return false;
    }
    return !rx_head_empty(c, shared_load(&c->rx->slots[c->rx_pos].control));
}
