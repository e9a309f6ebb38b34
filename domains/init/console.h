/*
 * init's console service (console.c). Only core 0's init owns the UART;
 * every init prints through SYS_PRINT under the kernels' console lock, a
 * whole line of a process at a time, so lines of domains on different
 * cores never interleave. Uses the process table (procs.h), the server
 * half of the wire protocol (aos/rpc_serve.h) and, on other cores, core 0
 * (remote_procs.h).
 */
#ifndef INIT_CONSOLE_H
#define INIT_CONSOLE_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

struct proc;

/* Add `len` bytes of p's output: a line goes out when it ends or fills
 * PROC_OUT_MAX. */
void console_out(struct proc *p, const char *s, uint32_t len);
/* What p printed without a newline goes out now (it asks something else,
 * or it ended). */
void console_flush(struct proc *p);
/* p asks for a character (its request being handled): deferred until
 * input comes (SYS_ERR_OK), or the error to answer now. */
errval_t console_getchar(struct proc *p);
/* Answer waiting GETCHARs while input is there, this core's processes
 * first, then other cores'; true while someone still waits for input. */
bool console_serve(void);

#endif
