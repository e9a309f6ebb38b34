/*
 * picolibc glue: the console streams (stdin, stdout, stderr).
 *
 * Output is collected per line and written with one SYS_PRINT (the
 * kernel's debug console) when a line ends, the buffer fills or the
 * stream is flushed. In init the line goes to the kernel's debug console
 * (SYS_PRINT) and input polls it; every other domain reaches the console
 * through init's serial RPC once libc_glue_use_rpc() was called. malloc needs no glue here: picolibc's sbrk grows into the
 * temporary arena [__heap_start, __heap_end) of lib/arch/armv7/domain.ld.
 */
#include <stdio.h>
#include <aos/syscalls.h>
#include <aos/aos_rpc.h>
#include <aos/runtime.h>

#define CONSOLE_LINE 256

static char out_line[CONSOLE_LINE];
static size_t out_len;

static struct aos_rpc *console_rpc;   /* NULL: the kernel's debug console */

void libc_glue_use_rpc(struct aos_rpc *rpc)
{
    console_rpc = rpc;
}

static int console_flush(FILE *f)
{
    (void)f;
    if (out_len > 0) {
        if (console_rpc != NULL) {
            aos_rpc_serial_write(console_rpc, out_line, out_len);
        } else {
            sys_print(out_line, out_len);
        }
        out_len = 0;
    }
    return 0;
}

static int console_putc(char c, FILE *f)
{
    out_line[out_len++] = c;
    if (c == '\n' || out_len == CONSOLE_LINE) {
        console_flush(f);
    }
    return (unsigned char)c;
}

static int console_getc(FILE *f)
{
    int c;
    (void)f;
    console_flush(f);
    if (console_rpc != NULL) {
        char ch;
        return err_is_ok(aos_rpc_serial_getchar(console_rpc, &ch)) ? (unsigned char)ch : EOF;
    }
    while ((c = sys_getchar()) < 0) {
        sys_yield();
    }
    return c;
}

static FILE console = FDEV_SETUP_STREAM(console_putc, console_getc,
                                        console_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

void libc_glue_init(void)
{
    out_len = 0;
}
