/*
 * Strings of any length over 8-word messages: packing on the client,
 * reassembly on the server (wire format in include/aos/aos_rpc_wire.h).
 * Pure functions over words and one malloc'd buffer: host-tested in
 * test/host/lib/test_rpc_wire.c.
 *
 * Reassembly invariant: rx->active <=> a FIRST was taken and its LAST not
 * yet; rx->got <= rx->len always (extra bytes only set rx->err); rx->err
 * holds the first problem of the transfer and is reported once, at LAST.
 */
#include <aos/aos_rpc_wire.h>
#include <stdlib.h>
#include <string.h>

uint32_t rpc_pack_string_fragment(const char *s, uint32_t len, uint32_t index,
                                  uint32_t words[LMP_MSG_WORDS])
{
    uint32_t nfrag = rpc_string_fragments(len), start, room, n, flags = 0;
    uint32_t first_word;

    memset(words, 0, LMP_MSG_WORDS * sizeof(uint32_t));
    if (index == 0) {
        flags |= RPC_FLAG_FIRST;
        start = 0;
        room = RPC_STRING_FIRST_BYTES;
        words[1] = len;
        first_word = 2;
    } else {
        start = RPC_STRING_FIRST_BYTES + (index - 1) * RPC_STRING_NEXT_BYTES;
        room = RPC_STRING_NEXT_BYTES;
        first_word = 1;
    }
    if (index + 1 >= nfrag) {
        flags |= RPC_FLAG_LAST;
    }
    n = start < len ? (len - start < room ? len - start : room) : 0;
    memcpy(&words[first_word], s + start, n);
    words[0] = RPC_HDR(RPC_OP_STRING, flags);
    return first_word + (n + 3) / 4;
}

void rpc_string_rx_reset(struct rpc_string_rx *rx)
{
    char *fixed = rx->fixed;
    uint32_t fixed_max = rx->fixed_max;

    if (rx->buf != fixed) {
        free(rx->buf);
    }
    memset(rx, 0, sizeof(*rx));
    rx->fixed = fixed;              /* the caller's buffer stays ours to use */
    rx->fixed_max = fixed_max;
}

/* Append up to `n` bytes; more than declared is an overrun. */
static void rx_append(struct rpc_string_rx *rx, const void *data, uint32_t n)
{
    uint32_t room = rx->len - rx->got;

    if (n > room) {
        if (err_is_ok(rx->err)) {
            rx->err = LIB_ERR_RPC_STRING_OVERRUN;
        }
        n = room;
    }
    if (rx->buf != NULL) {
        memcpy(rx->buf + rx->got, data, n);
    }
    rx->got += n;
}

/*
 * Data bytes in a fragment carrying `data_words` words: all of them, except
 * that the final fragment may pad its last word (up to 3 bytes past the
 * declared length).
 */
static uint32_t fragment_bytes(const struct rpc_string_rx *rx, uint32_t hdr,
                               uint32_t data_words)
{
    uint32_t bytes = data_words * 4, room = rx->len - rx->got;

    if ((hdr & RPC_FLAG_LAST) && bytes > room && bytes - room < 4) {
        bytes = room;
    }
    return bytes;
}

/*
 * A FIRST fragment: start a transfer. An unfinished one is dropped
 * silently: its client never sent LAST, so it waits for no reply (e.g.
 * aos_rpc_send_bytes gave up after a failed send), and its problem is not
 * this transfer's.
 */
static void rx_first(struct rpc_string_rx *rx, const uint32_t *words, uint32_t nwords)
{
    rpc_string_rx_reset(rx);
    rx->active = true;
    if (nwords < 2) {
        rx->err = LIB_ERR_RPC_MALFORMED;
        return;
    }
    rx->len = words[1];
    if (rx->len > RPC_STRING_MAX) {
        rx->err = LIB_ERR_RPC_STRING_TOO_LONG;
        rx->len = 0;
        return;
    }
    if (rx->fixed != NULL && rx->len > rx->fixed_max) {
        rx->err = LIB_ERR_RPC_STRING_TOO_LONG;
        rx->len = 0;
        return;
    }
    rx->buf = rx->fixed != NULL ? rx->fixed : malloc(rx->len + 1);
    if (rx->buf == NULL) {
        rx->err = LIB_ERR_RPC_NO_MEMORY;
        rx->len = 0;
        return;
    }
    rx_append(rx, &words[2], fragment_bytes(rx, words[0], nwords - 2));
}

enum rpc_rx_result rpc_string_rx_feed(struct rpc_string_rx *rx,
                                      const uint32_t *words, uint32_t nwords)
{
    uint32_t flags;

    if (nwords == 0 || nwords > LMP_MSG_WORDS) {
        rx->err = LIB_ERR_RPC_MALFORMED;
        return RPC_RX_DONE;
    }
    flags = RPC_HDR_FLAGS(words[0]);         /* only now is there a word 0 */
    if (flags & RPC_FLAG_FIRST) {
        rx_first(rx, words, nwords);
    } else if (!rx->active) {
        rx->err = LIB_ERR_RPC_NO_FIRST;
        return RPC_RX_DONE;
    } else {
        rx_append(rx, &words[1], fragment_bytes(rx, words[0], nwords - 1));
    }
    if (!(flags & RPC_FLAG_LAST)) {
        return RPC_RX_MORE;
    }
    rx->active = false;
    if (err_is_ok(rx->err) && rx->got != rx->len) {
        rx->err = LIB_ERR_RPC_STRING_TRUNCATED;
    }
    return RPC_RX_DONE;
}

char *rpc_string_rx_take(struct rpc_string_rx *rx, uint32_t *len)
{
    char *s = NULL;

    if (err_is_ok(rx->err) && !rx->active && rx->buf != NULL) {
        s = rx->buf;
        s[rx->len] = '\0';
        if (len != NULL) {
            *len = rx->len;
        }
        rx->buf = NULL;
    }
    rpc_string_rx_reset(rx);
    return s;
}
