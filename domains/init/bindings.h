/*
 * Every domain's binding to its core's monitor (bindings.c,
 * docs/multikernel.md "The binding"): when a domain asks for it
 * (RPC_OP_MONITOR_BIND) init gives it an endpoint to the monitor badged
 * with its pid, and gives the monitor a
 * copy of the domain's own endpoint (in the monitor's client table, the
 * frame init shares with it), so the monitor answers each domain on that
 * domain's endpoint only. Called by the RPC server and procs.c; calls
 * only intercore.h of init's.
 */
#ifndef INIT_BINDINGS_H
#define INIT_BINDINGS_H

#include <autarky/errors.h>
#include <aos/icm.h>

struct proc;

/* From now on a process that asks gets a binding to `monitor`, whose
 * frame is `f` (monitor_start.c, once the monitor is up). */
void bindings_init(struct proc *monitor, struct monitor_frame *f);
/* Bind running `p`: its place in the monitor's table, then its
 * TASKCN_SLOT_MONITOREP. INIT_ERR_NO_MONITOR without a monitor (none yet,
 * or p is the monitor), INIT_ERR_TOO_MANY_PROCS if the table is full,
 * SYS_ERR_SLOT_IN_USE if p holds something in that slot (a second call). */
errval_t binding_give(struct proc *p);
/* p is about to end: the monitor no longer answers it, and p's place in
 * the table is not given to anyone while the monitor may still be
 * answering p (its endpoint copy goes with p's RAM, spawn_cleanup). If p
 * called the monitor for another core, the monitor is told of its end
 * (ICM_CLIENT_ENDED) and forgets its calls; an answer already on its way
 * finds no client and is dropped. */
void binding_take(struct proc *p);

#endif
