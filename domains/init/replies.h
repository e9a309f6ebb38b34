/*
 * init's answers to a process (replies.c): one-message replies, and long
 * answers in windows the client pulls for. Used by the RPC server, the
 * console and the answers that come back from other cores; it calls
 * nothing of theirs.
 */
#ifndef INIT_REPLIES_H
#define INIT_REPLIES_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/lmp.h>
#include <aos/aos_rpc_wire.h>
#include <stdbool.h>
#include "procs.h"

/*
 * Reply to request `seq` of `p` with `err`, `nextra` (<= 5) more words and
 * `cap`; false if it could not be delivered (then it is dropped). Inline:
 * on the round trip's path each handler's reply then compiles to the few
 * stores its constant arguments need (as a call it cost 36 of the ~1,450
 * instructions of rpcbench's round trip).
 */
static inline bool reply_seq(struct proc *p, uint32_t seq, uint32_t op, errval_t err,
                             const uint32_t *extra, uint32_t nextra, capaddr_t cap)
{
    uint32_t words[LMP_MSG_WORDS] = { RPC_HDR(op, RPC_FLAG_REPLY) | RPC_SEQ(seq) };

    rpc_put_err(&words[1], err);
    for (uint32_t i = 0; i < nextra && 3 + i < LMP_MSG_WORDS; i++) {
        words[3 + i] = extra[i];
    }
    return err_is_ok(lmp_try_send_msg(p->si.child_ep, cap, LMP_FLAG_YIELD, words,
                                      3 + nextra));
}

/* The same for the request being handled (p->req_seq). */
static inline bool reply(struct proc *p, uint32_t op, errval_t err, const uint32_t *extra,
                         uint32_t nextra, capaddr_t cap)
{
    return reply_seq(p, p->req_seq, op, err, extra, nextra, cap);
}
/* Answer request `seq` with `len` bytes of `data` as string fragments of
 * `op`, then the reply with `extra`, in windows; `data` may go away when
 * this returns. A new long answer of `p` replaces an unfinished one. */
void answer_long_seq(struct proc *p, uint32_t seq, uint32_t op, const void *data,
                     uint32_t len, const uint32_t *extra, uint32_t nextra);
void answer_long(struct proc *p, uint32_t op, const void *data, uint32_t len,
                 const uint32_t *extra, uint32_t nextra);
/* The next window of p's long answer (the client pulled for it). */
void reply_window(struct proc *p);

#endif
