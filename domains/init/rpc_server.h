/*
 * init's RPC server (rpc_server.c): answers every domain it started.
 */
#ifndef INIT_RPC_SERVER_H
#define INIT_RPC_SERVER_H

#include <stdbool.h>

struct proc;

/* Serve one message (waiting for it if `block`); false if none came. */
bool rpc_server_step(bool block);
/* Answer `waiter`'s PROC_WAIT: `ended` has ended. */
void rpc_reply_wait(struct proc *waiter, struct proc *ended);

#endif
