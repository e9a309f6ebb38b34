/*
 * The user thread registers.
 *
 * TPIDRURO: user mode can read it but not write it, and GCC and picolibc
 * read the TLS pointer from it directly. The kernel loads it with the
 * running domain's value on every dispatch and when the domain asks
 * (SYS_SET_TLS, on each user-level thread switch).
 *
 * TPIDRURW: user mode reads and writes it freely, so it is part of a
 * domain's state like r0-r15: saved when the domain leaves the CPU and
 * loaded when it comes back (docs/safety.md, rule "no register carries
 * one domain's data to another").
 */
#include <kernel/arch.h>
#include <arch/cp15.h>

void arch_set_user_tls(uint32_t value)
{
    cp15_write_tpidruro(value);
}

uint32_t arch_get_user_rw_tls(void)
{
    return cp15_read_tpidrurw();
}

void arch_set_user_rw_tls(uint32_t value)
{
    cp15_write_tpidrurw(value);
}
