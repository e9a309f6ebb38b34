/*
 * How a server answers one client (include/aos/rpc_serve.h): long
 * answers in windows. A reply is one LMP message sent without waiting; an
 * answer longer than half a client's ring goes out in windows the client
 * pulls for (include/aos/aos_rpc_wire.h, "Long answers"), so it never
 * fills the ring. Used by init's RPC server and by each core's monitor.
 */
#include <aos/rpc_serve.h>
#include <string.h>
#include <aos/lmp.h>
#include <aos/aos_rpc_wire.h>

/*
 * Send the next window of c's long answer: fragments until one ends the
 * window (MORE: the client pulls for the rest) or, after the last
 * fragment, the reply. At most RPC_WINDOW messages and never a wait: the
 * client's ring is empty when it asks (it has read the window before), so
 * they fit unless the client filled its own ring (by sending to itself,
 * or with requests whose replies it did not read); then the answer is
 * dropped, as any undeliverable reply is.
 */
static void reply_window(struct rpc_client *c)
{
    struct rpc_string_tx *tx = &c->tx;
    uint32_t words[LMP_MSG_WORDS], nw;

    while ((nw = rpc_string_tx_next(tx, words)) != 0) {
        bool ends = (words[0] & RPC_FLAG_MORE) != 0;
        if (err_is_fail(lmp_try_send_msg(c->ep, CPTR_NULL, ends ? LMP_FLAG_YIELD : 0,
                                         words, nw))) {
            rpc_string_tx_reset(tx);        /* its ring is full: nobody reads */
            return;
        }
        if (ends) {
            return;                         /* the rest when it pulls */
        }
    }
    rpc_reply_seq(c, tx->seq, tx->op, SYS_ERR_OK, tx->extra, tx->nextra, CPTR_NULL);
    rpc_string_tx_reset(tx);
}

/*
 * Answer request `seq` with `len` bytes of `data`, then the reply with
 * `extra`, in windows (`data` may go away when this returns). c holds one
 * answer at a time: a new one replaces an unfinished one, which also goes
 * when the client ends (rpc_client_reset). Until then a client may pull
 * for the rest whenever it likes, with other (short) calls in between;
 * what the server keeps meanwhile is one copy of at most RPC_STRING_MAX
 * bytes per client.
 */
void rpc_answer_long_seq(struct rpc_client *c, uint32_t seq, uint32_t op, const void *data,
                         uint32_t len, const uint32_t *extra, uint32_t nextra)
{
    errval_t err = rpc_string_tx_start(&c->tx, op, seq, data, len, extra, nextra);

    if (err_is_fail(err)) {
        rpc_reply_seq(c, seq, op, err, NULL, 0, CPTR_NULL);
        return;
    }
    reply_window(c);
}

void rpc_answer_long(struct rpc_client *c, uint32_t op, const void *data, uint32_t len,
                     const uint32_t *extra, uint32_t nextra)
{
    rpc_answer_long_seq(c, c->req_seq, op, data, len, extra, nextra);
}

/* A pull: only a one-word message for the answer going out (same op, same
 * sequence number) gets the next window; anything else drops that answer
 * and is answered with why. */
void rpc_serve_pull(struct rpc_client *c, uint32_t op, uint32_t nwords)
{
    struct rpc_string_tx *tx = &c->tx;

    if (nwords != 1) {
        rpc_string_tx_reset(tx);
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else if (!tx->active || tx->op != op || tx->seq != c->req_seq) {
        rpc_string_tx_reset(tx);            /* (a pull of another answer) */
        rpc_reply(c, op, LIB_ERR_RPC_NO_ANSWER, NULL, 0, CPTR_NULL);
    } else {
        reply_window(c);
    }
}

void rpc_client_reset(struct rpc_client *c)
{
    rpc_string_tx_reset(&c->tx);
}

errval_t rpc_spawn_line_check(errval_t rx_err, const char *line, uint32_t len)
{
    if (err_no(rx_err) == LIB_ERR_RPC_STRING_TOO_LONG) {
        return INIT_ERR_BAD_NAME;
    }
    if (err_is_fail(rx_err)) {
        return rx_err;
    }
    if (line == NULL || len == 0 || len > RPC_NAME_MAX || memchr(line, 0, len) != NULL) {
        return INIT_ERR_BAD_NAME;
    }
    return SYS_ERR_OK;
}
