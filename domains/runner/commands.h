/*
 * The runner's command lines (commands.c): the boot command list from the
 * kernel command line (`scons boot BOOT="cmd1; cmd2"`), which init hands
 * to the runner (main.c).
 *
 *   line     := command (';' command)*
 *   command  := word+            run boot module word[0] with argv = words,
 *                                wait for it to exit
 *             | 'repeat' N word+ run that command N times
 *             | 'expect-status' (N | 'killed') word+
 *                                run it; it must end with status N (or be
 *                                killed by the kernel) instead of 0
 *             | 'free'           print the memory server's free/total RAM
 *             | 'kill-core-init' N
 *                                have core N's kernel kill its init, then
 *                                wait until core N is seen down (tests)
 *   word     := characters without blanks or ';', or "quoted text"
 *
 * Every command prints one verdict line,
 *   TEST CMD <command> ... PASS
 *   TEST CMD <command> ... FAIL: <why>
 * and fails if the program exits non-zero (or not as expected), cannot
 * be started, or leaves the memory server with less RAM than before it
 * started (free + given to other cores + the runner's own: aos_rpc.h
 * aos_mem_account).
 */
#ifndef RUNNER_COMMANDS_H
#define RUNNER_COMMANDS_H

#include <stdbool.h>

/* Run every command of `line` in order; returns how many failed. */
unsigned commands_run_line(const char *line, unsigned *passed);

#endif
