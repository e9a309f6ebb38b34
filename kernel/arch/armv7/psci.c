/*
 * Power control through PSCI. QEMU virt implements PSCI itself, reached
 * with `hvc #0`; SYSTEM_OFF ends QEMU with exit status 0.
 */
#include <kernel/arch.h>

#define PSCI_SYSTEM_OFF 0x84000008u

void arch_poweroff(void)
{
    register uint32_t r0 __asm__("r0") = PSCI_SYSTEM_OFF;
    __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0) : : "memory");
    /* PSCI returned: no firmware. Nothing else can stop the machine. */
    for (;;) {
        __asm__ volatile("cpsid if\n\twfi");
    }
}
