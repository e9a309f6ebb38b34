/*
 * The user thread pointer (TPIDRURO): user mode can read it but not write
 * it, and GCC and picolibc read the TLS pointer from it directly. The
 * kernel loads it with the running domain's value on every dispatch and
 * when the domain asks (SYS_SET_TLS, on each user-level thread switch).
 */
#include <kernel/arch.h>
#include <arch/cp15.h>

void arch_set_user_tls(uint32_t value)
{
    cp15_write_tpidruro(value);
}
