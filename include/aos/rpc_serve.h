/*
 * The server half of the RPC wire protocol (rpc/rpc_serve.c): how a
 * server on this core (init, a core's monitor) answers one client over
 * LMP (include/aos/aos_rpc_wire.h). A server keeps one struct rpc_client
 * per client; this module touches nothing else of it.
 *
 * A reply is one LMP message sent without waiting: a client whose ring is
 * full (or that armed no slot for a cap) loses it, it can only hurt
 * itself, and the server never blocks on a client. An answer longer than
 * one window goes out in windows the client pulls for.
 */
#ifndef AOS_RPC_SERVE_H
#define AOS_RPC_SERVE_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/lmp.h>
#include <aos/aos_rpc_wire.h>
#include <stdbool.h>

/* What a server keeps of one client to answer it. */
struct rpc_client {
    capaddr_t ep;                /* the client's endpoint (bound to its dispatcher) */
    uint32_t req_seq;            /* sequence number of the request being handled */
    struct rpc_string_tx tx;     /* a long answer going out in windows */
};

/*
 * Reply to request `seq` of `c` with `err`, `nextra` (<= 5) more words and
 * `cap`; false if it could not be delivered (then it is dropped). Inline:
 * on the round trip's path each handler's reply then compiles to the few
 * stores its constant arguments need (as a call it cost 36 of the ~1,450
 * instructions of rpcbench's round trip).
 */
static inline bool rpc_reply_seq(struct rpc_client *c, uint32_t seq, uint32_t op,
                                 errval_t err, const uint32_t *extra, uint32_t nextra,
                                 capaddr_t cap)
{
    uint32_t words[LMP_MSG_WORDS] = { RPC_HDR(op, RPC_FLAG_REPLY) | RPC_SEQ(seq) };

    rpc_put_err(&words[1], err);
    for (uint32_t i = 0; i < nextra && 3 + i < LMP_MSG_WORDS; i++) {
        words[3 + i] = extra[i];
    }
    return err_is_ok(lmp_try_send_msg(c->ep, cap, LMP_FLAG_YIELD, words, 3 + nextra));
}

/* The same for the request being handled (c->req_seq). */
static inline bool rpc_reply(struct rpc_client *c, uint32_t op, errval_t err,
                             const uint32_t *extra, uint32_t nextra, capaddr_t cap)
{
    return rpc_reply_seq(c, c->req_seq, op, err, extra, nextra, cap);
}

/* Answer request `seq` with `len` bytes of `data` as string fragments of
 * `op`, then the reply with `extra`, in windows; `data` may go away when
 * this returns (an answer longer than a window is copied). A new long
 * answer to `c` replaces an unfinished one. */
void rpc_answer_long_seq(struct rpc_client *c, uint32_t seq, uint32_t op, const void *data,
                         uint32_t len, const uint32_t *extra, uint32_t nextra);
void rpc_answer_long(struct rpc_client *c, uint32_t op, const void *data, uint32_t len,
                     const uint32_t *extra, uint32_t nextra);
/* A pull (a message of `nwords` words whose header is op | RPC_FLAG_MORE,
 * c->req_seq its sequence number): the next window of the answer to that
 * call, or LIB_ERR_RPC_NO_ANSWER if it is not going out, or
 * LIB_ERR_RPC_MALFORMED. */
void rpc_serve_pull(struct rpc_client *c, uint32_t op, uint32_t nwords);
/* Forget c's unfinished long answer (the client ended). */
void rpc_client_reset(struct rpc_client *c);

/* The one check of a PROC_SPAWN command line, wherever it arrives (init
 * from its clients and from other cores, a monitor from its clients):
 * `len` bytes at `line` received with `rx_err`. INIT_ERR_BAD_NAME if it is
 * missing, empty, longer than RPC_NAME_MAX (also LIB_ERR_RPC_STRING_TOO_
 * LONG) or holds a NUL; another receive error as it is. */
errval_t rpc_spawn_line_check(errval_t rx_err, const char *line, uint32_t len);

#endif
