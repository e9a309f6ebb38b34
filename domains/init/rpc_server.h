/*
 * init's RPC server (rpc_server.c): answers every domain it started. It
 * uses the process manager (procs.h) and the memory server
 * (mem_server.h); neither calls it (procs.c reaches it only through the
 * hooks rpc_server_init installs).
 */
#ifndef INIT_RPC_SERVER_H
#define INIT_RPC_SERVER_H

#include <stdbool.h>

struct proc;

/* Install the server's hooks in the process manager (after procs_init). */
void rpc_server_init(void);
/* Serve one message (waiting for it if `block`); false if none came. */
bool rpc_server_step(bool block);

#endif
