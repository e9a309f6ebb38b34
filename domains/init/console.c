/*
 * init's console service (console.h): each process's output a line at a
 * time, and its GETCHARs answered in order as input arrives.
 */
#include "console.h"
#include "procs.h"
#include <aos/rpc_serve.h>
#include "remote_procs.h"
#include <aos/dispatch.h>
#include <aos/aos_rpc_wire.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>
#include <stdio.h>

/*
 * A process's console output goes out a line at a time, each in one
 * SYS_PRINT, which the kernels print whole under the console lock: lines
 * of domains on different cores never interleave (a PUTS carries 24
 * bytes). A partial line goes out when the process asks anything else
 * (a prompt before GETCHAR, say), fills PROC_OUT_MAX, or ends.
 */
void console_flush(struct proc *p)
{
    if (p->outlen > 0) {
        fflush(stdout);          /* keep init's own output in order */
        sys_print(p->out, p->outlen);
        p->outlen = 0;
    }
}

void console_out(struct proc *p, const char *s, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        p->out[p->outlen++] = s[i];
        if (s[i] == '\n' || p->outlen == PROC_OUT_MAX) {
            console_flush(p);
        }
    }
}

/* GETCHAR of `p` (request p->cl.req_seq): answered by console_serve when a
 * byte is there. On another core the domain asks its monitor, which asks
 * core 0 (it owns the UART). An error means: answer it now with that. */
errval_t console_getchar(struct proc *p)
{
    if (get_bootinfo()->core_id != 0) {
        return INIT_ERR_ASK_MONITOR;
    }
    p->getchar_pending = true;
    p->getchar_seq = p->cl.req_seq;
    return SYS_ERR_OK;
}

/* A byte read from the console that its reader could not take (its ring
 * full, or its core dead): the next reader's. -1 for none. */
static int held = -1;

static int next_input(void)
{
    int c = held >= 0 ? held : sys_getchar();

    held = -1;
    return c;
}

/* Answer pending GETCHARs while console input is there: this core's
 * domains first, then those of other cores (remote_procs.c), in order.
 * No byte is lost to a reader that cannot take it. */
bool console_serve(void)
{
    struct proc *p;

    while ((p = proc_getchar_waiter()) != NULL) {
        int c = next_input();
        if (c < 0) {
            return true;        /* still waiting */
        }
        p->getchar_pending = false;
        uint32_t ch = (uint32_t)c;
        if (!rpc_reply_seq(&p->cl, p->getchar_seq, RPC_OP_GETCHAR, SYS_ERR_OK, &ch, 1,
                           CPTR_NULL)) {
            held = c;
        }
    }
    while (remote_procs_console_waiting()) {   /* then domains of other cores */
        int c = next_input();
        if (c < 0) {
            return true;
        }
        if (!remote_procs_console_give((char)c)) {
            held = c;
        }
    }
    return false;
}
