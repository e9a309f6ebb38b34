/*
 * panic: the kernel cannot continue. Print one report line, starting with
 * "kernel panic: " (test scripts match on it), and power the machine off.
 * Interrupts are masked on kernel entry and stay masked, so nothing can
 * run after this.
 */
#include <kernel/printk.h>
#include <kernel/arch.h>

void panic(const char *fmt, ...)
{
    va_list ap;
    printk("\nkernel panic: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
    arch_poweroff();
}
