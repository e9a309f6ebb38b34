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
#include <stdbool.h>

struct proc;

/* Reply to request `seq` of `p` with `err`, `nextra` (<= 5) more words and
 * `cap`; false if it could not be delivered (then it is dropped). */
bool reply_seq(struct proc *p, uint32_t seq, uint32_t op, errval_t err,
               const uint32_t *extra, uint32_t nextra, capaddr_t cap);
/* The same for the request being handled (p->req_seq). */
bool reply(struct proc *p, uint32_t op, errval_t err, const uint32_t *extra,
           uint32_t nextra, capaddr_t cap);
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
