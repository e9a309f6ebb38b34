/*
 * init's table of the domains it started (procs.c) and the RPC server
 * that answers them (rpc_server.c).
 *
 * A process is identified by its pid, which is also the badge on the
 * endpoint it uses to reach init: the kernel stamps every message with
 * it, so a process cannot speak for another.
 */
#ifndef INIT_PROCS_H
#define INIT_PROCS_H

#include <aos/spawn.h>
#include <aos/aos_rpc_wire.h>

struct proc {
    uint32_t pid;
    struct spawninfo si;
    struct rpc_string_rx rx;     /* a string being received */
    bool exited;
    bool killed;                 /* by the kernel (status is then meaningless) */
    int status;
    bool getchar_pending;        /* a GETCHAR waits for console input */
    uint32_t strings, numbers;   /* what it sent (tests, statistics) */
    struct proc *next;
};

/* init's receiving endpoint; children get copies minted with their pid. */
errval_t procs_init(void);
/* Spawn boot module argv[0] with argv; it runs when this returns OK. */
errval_t proc_spawn(int argc, const char *const argv[], struct proc **ret);
struct proc *proc_find(uint32_t pid);
/* Tear an exited process down and forget it. */
void proc_reap(struct proc *p);

/* Serve one message (waiting for it if `block`); false if none came. */
bool rpc_server_step(bool block);
/* The oldest process waiting in GETCHAR, or NULL. */
struct proc *proc_getchar_waiter(void);

#endif
