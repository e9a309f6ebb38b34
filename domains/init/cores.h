/*
 * The other cores (cores.c, docs/multikernel.md).
 *
 * Core 0's init starts every other core of the machine at boot: it gives
 * each one CORE_RAM_SHARE of RAM for good (the first MiB becomes that
 * core's CPU driver, the rest its init's RAM) and a channel frame both
 * inits share. The init on another core runs the same program; it starts
 * its memory server over its share and then serves.
 *
 *   core 0 init                         kernel (core 0)          core N
 *   mem_server_give_to_core(64 MiB) ─┐
 *   frame_alloc(channel)             ├─ KERNELCMD_START_CORE ──▶ CPU driver boots,
 *                                    │   (RAM given for good,     loads init from the
 *                                    │    channel shared for good) shared boot modules
 *   "init: core 0 started core N" ◀──┘                          "init: core N up"
 */
#ifndef INIT_CORES_H
#define INIT_CORES_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/core_channel.h>

/* RAM each other core starts with (until RAM moves on demand). */
#define CORE_RAM_SHARE (64u << 20)

/* Core 0: start every other core; the count started in *started. The
 * first error stops it (the cores started so far keep running). */
errval_t cores_start_all(uint32_t *started);

/* Another core's init, after its memory server is up: tell core 0 and
 * serve for ever. */
void cores_serve(void) __attribute__((noreturn));

#endif
