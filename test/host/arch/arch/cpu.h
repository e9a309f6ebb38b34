/* Host stand-in for <arch/cpu.h>: the capability layer's host tests never
 * reach the code that reads these registers. */
#ifndef HOST_ARCH_CPU_H
#define HOST_ARCH_CPU_H

#include <stdint.h>

static inline uint32_t arch_counter_low(void) { return 0; }
static inline void arch_set_user_tls(uint32_t value) { (void)value; }
static inline uint32_t arch_get_user_rw_tls(void) { return 0; }
static inline void arch_set_user_rw_tls(uint32_t value) { (void)value; }

#endif
