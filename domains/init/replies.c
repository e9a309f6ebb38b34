/*
 * How init answers a process (replies.h): a reply is one LMP message,
 * sent without waiting (a client whose ring is full loses it: it can only
 * hurt itself); an answer longer than half a client's ring goes out in
 * windows the client pulls for (include/aos/aos_rpc_wire.h, "Long
 * answers"), so it never fills the ring.
 */
#include "replies.h"
#include "procs.h"
#include <aos/lmp.h>
#include <aos/aos_rpc_wire.h>

/*
 * Send the next window of p's long answer (include/aos/aos_rpc_wire.h):
 * fragments until one ends the window (MORE: the client pulls for the
 * rest) or, after the last fragment, the reply. At most RPC_WINDOW
 * messages and never a wait: the client's ring is empty when it asks (it
 * has read the window before), so they fit unless the client filled its
 * own ring (by sending to itself, or with requests whose replies it did
 * not read); then the answer is dropped, as any undeliverable reply is.
 */
void reply_window(struct proc *p)
{
    struct rpc_string_tx *tx = &p->tx;
    uint32_t words[LMP_MSG_WORDS], nw;

    while ((nw = rpc_string_tx_next(tx, words)) != 0) {
        bool ends = (words[0] & RPC_FLAG_MORE) != 0;
        if (err_is_fail(lmp_try_send_msg(p->si.child_ep, CPTR_NULL, ends ? LMP_FLAG_YIELD : 0,
                                         words, nw))) {
            rpc_string_tx_reset(tx);        /* its ring is full: nobody reads */
            return;
        }
        if (ends) {
            return;                         /* the rest when it pulls */
        }
    }
    reply_seq(p, tx->seq, tx->op, SYS_ERR_OK, tx->extra, tx->nextra, CPTR_NULL);
    rpc_string_tx_reset(tx);
}

/*
 * Answer the request being handled with `len` bytes of `data` as string
 * fragments of its op, then the reply with `extra`, in windows (`data` may
 * go away when this returns). p holds one answer at a time: a new one
 * replaces an unfinished one, which also goes when p ends. Until then a
 * client may pull for the rest whenever it likes, with other (short)
 * calls in between; what init keeps meanwhile is one copy of at most
 * RPC_STRING_MAX bytes per process (4 KiB for the longest answer today,
 * a block list).
 */
void answer_long_seq(struct proc *p, uint32_t seq, uint32_t op, const void *data,
                     uint32_t len, const uint32_t *extra, uint32_t nextra)
{
    errval_t err = rpc_string_tx_start(&p->tx, op, seq, data, len, extra, nextra);

    if (err_is_fail(err)) {
        reply_seq(p, seq, op, err, NULL, 0, CPTR_NULL);
        return;
    }
    reply_window(p);
}

void answer_long(struct proc *p, uint32_t op, const void *data, uint32_t len,
                 const uint32_t *extra, uint32_t nextra)
{
    answer_long_seq(p, p->req_seq, op, data, len, extra, nextra);
}
