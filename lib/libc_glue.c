/*
 * picolibc glue: the console streams (stdin, stdout, stderr).
 *
 * Output is collected per line and written with one SYS_PRINT (the
 * kernel's debug console) when a line ends, the buffer fills or the
 * stream is flushed. Input polls the console and yields while nothing
 * waits. (The domain runtime milestone moves the console behind init's
 * serial RPC.) malloc needs no glue here: picolibc's sbrk grows into the
 * temporary arena [__heap_start, __heap_end) of lib/arch/armv7/domain.ld.
 */
#include <stdio.h>
#include <aos/syscalls.h>

#define CONSOLE_LINE 256

static char out_line[CONSOLE_LINE];
static size_t out_len;

static int console_flush(FILE *f)
{
    (void)f;
    if (out_len > 0) {
        sys_print(out_line, out_len);
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
