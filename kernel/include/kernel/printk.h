/*
 * Kernel console output (kernel/lib/printk.c) and panic (kernel/lib/panic.c).
 *
 * printk writes straight to the serial console, one byte at a time; it is
 * synchronous and safe to call anywhere in the kernel (no locks: the kernel
 * is single-threaded and runs with interrupts masked).
 *
 * Formats: %d %i %u %x %X %o %p %s %c %%, with flags '-' and '0', a field
 * width (number or '*'), and length modifiers l, ll, z.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);

/* Format into buf (always NUL-terminated when size > 0); returns the length
 * the full output would have had, like snprintf. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Print "kernel panic: <message>" and power off. Never returns. */
void panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* The console is shared by every core's CPU driver: printk and SYS_PRINT
 * write a whole call under this lock (kernel/lib/printk.c), so lines from
 * different cores never interleave. Not nested. */
void console_lock(void);
void console_unlock(void);

#endif
