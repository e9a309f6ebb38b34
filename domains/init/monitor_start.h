/*
 * Starting this core's monitor (monitor_start.c, docs/multikernel.md "The
 * monitor"): every core's init spawns one right after its memory server,
 * process manager and RPC server are up, before anything crosses cores.
 * It gets what it needs at spawn (include/aos/icm.h: the Kernel cap, the
 * frame it shares with init, on core 0 the RAM of every core it starts,
 * elsewhere the channel frame core 0 shared with this core); core 0's
 * starts the other cores. From then on init reaches other cores only
 * through it (intercore.h).
 */
#ifndef INIT_MONITOR_START_H
#define INIT_MONITOR_START_H

#include <autarky/types.h>
#include <autarky/errors.h>

/* RAM each other core starts with (until RAM moves on demand). */
#define CORE_RAM_SHARE (64u << 20)

/* Spawn the monitor and wait (serving our clients) until it is up, then
 * link to it. On core 0, *started = the other cores it started; an error
 * of starting them is returned after the link is up (the cores started
 * so far keep running and are reachable). */
errval_t monitor_start(uint32_t *started);

#endif
