/*
 * Long answers in windows: the server's side of the window protocol of
 * include/aos/aos_rpc_wire.h (docs/messages.md, "Long answers").
 *
 * A client's ring has LMP_RING_SLOTS slots and nothing may block the
 * server, so an answer of any length goes out at most RPC_WINDOW messages
 * at a time: the fragments of one window, the last flagged MORE, and then
 * nothing until the client, having read them, pulls for the next. The
 * client's ring is empty when it pulls (only the server sends to it, and
 * it sent nothing since the window), so every send of a window finds room.
 * Pure functions over words and one buffer (malloc'd, or the caller's):
 * host-tested in test/host/lib/test_rpc_window.c; the sending is
 * rpc/rpc_serve.c.
 */
#include <aos/aos_rpc_wire.h>
#include <stdlib.h>
#include <string.h>

void rpc_string_tx_reset(struct rpc_string_tx *tx)
{
    char *fixed = tx->fixed;
    uint32_t fixed_max = tx->fixed_max;

    if (tx->owned) {
        free((void *)tx->buf);
    }
    memset(tx, 0, sizeof(*tx));
    tx->fixed = fixed;              /* the caller's buffer stays ours to use */
    tx->fixed_max = fixed_max;
}

/* Copy `len` bytes of `data` for an answer spanning windows: into the
 * caller's fixed buffer if it set one, else into a malloc'd (owned) one. */
static errval_t tx_copy(struct rpc_string_tx *tx, const void *data, uint32_t len)
{
    char *copy = tx->fixed;

    if (copy != NULL && len > tx->fixed_max) {
        return LIB_ERR_RPC_STRING_TOO_LONG;
    }
    if (copy == NULL) {
        copy = malloc(len ? len : 1);
        if (copy == NULL) {
            return LIB_ERR_RPC_NO_MEMORY;
        }
        tx->owned = true;
    }
    memcpy(copy, data, len);
    tx->buf = copy;
    return SYS_ERR_OK;
}

errval_t rpc_string_tx_start(struct rpc_string_tx *tx, uint32_t op, uint32_t seq,
                             const void *data, uint32_t len,
                             const uint32_t *extra, uint32_t nextra)
{
    rpc_string_tx_reset(tx);
    if (nextra > RPC_ANSWER_EXTRA || len > RPC_STRING_MAX) {
        return LIB_ERR_RPC_MALFORMED;
    }
    tx->buf = data;
    if (rpc_string_fragments(len) >= RPC_WINDOW) {   /* fragments + reply > one window */
        errval_t err = tx_copy(tx, data, len);
        if (err_is_fail(err)) {
            return err;
        }
    }
    tx->len = len;
    tx->op = op;
    tx->seq = seq;
    for (uint32_t i = 0; i < nextra; i++) {
        tx->extra[i] = extra[i];
    }
    tx->nextra = nextra;
    tx->active = true;
    return SYS_ERR_OK;
}

uint32_t rpc_string_tx_next(struct rpc_string_tx *tx, uint32_t words[LMP_MSG_WORDS])
{
    uint32_t i = tx->next, nw, flags;

    if (!tx->active || i >= rpc_string_fragments(tx->len)) {
        return 0;
    }
    nw = rpc_pack_string_fragment(tx->buf, tx->len, i, words);
    flags = RPC_HDR_FLAGS(words[0]);
    if (i % RPC_WINDOW == RPC_WINDOW - 1) {
        flags |= RPC_FLAG_MORE;             /* message i + 1 starts the next window */
    }
    words[0] = RPC_HDR(tx->op, flags) | RPC_SEQ(tx->seq);
    tx->next = i + 1;
    return nw;
}
