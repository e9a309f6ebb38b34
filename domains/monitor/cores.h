/*
 * The other cores (cores.c, docs/multikernel.md).
 *
 * Core 0's monitor starts every other core of the machine at boot, with
 * the RAM its init gave it for each (the first MiB becomes that core's
 * CPU driver, the rest its init's RAM) and a channel frame the two
 * monitors share. The init on another core runs the same program and
 * spawns its own monitor, which joins core 0's over that channel.
 *
 *   core 0 monitor                      kernel (core 0)          core N
 *   RAM from init (at spawn)  ───────┐
 *   frame_alloc(channel)             ├─ KERNELCMD_START_CORE ──▶ CPU driver boots,
 *                                    │   (RAM given for good,     init from the shared
 *                                    │    channel shared for good) boot modules, its
 *   link to core N's monitor ◀───────┘                          monitor: up = 1
 */
#ifndef MONITOR_CORES_H
#define MONITOR_CORES_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/core_channel.h>

/* Core 0: start cores 1..ncores-1; the count started in *started. The
 * first error stops it (the cores started so far keep running). */
errval_t cores_start_all(uint32_t ncores, uint32_t *started);

/* Another core: map the channel core 0 shared with us, link to core 0's
 * monitor and tell it we are up (with our init's free RAM, `free_mib`).
 * *ch and *ring_core0 serve cores_answer_ping. */
errval_t cores_join(uint32_t free_mib, struct core_channel **ch, capaddr_t *ring_core0);

/* Another core: answer a new ping of core 0 (the MP_ tests' round trip). */
void cores_answer_ping(struct core_channel *ch, capaddr_t ring_core0);

#endif
