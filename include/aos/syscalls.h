/*
 * Raw system calls (lib/arch/armv7/syscall.S). See include/autarky/syscall.h
 * for the register convention. Prefer the typed wrappers in <aos/caps.h>.
 */
#ifndef AOS_SYSCALLS_H
#define AOS_SYSCALLS_H

#include <autarky/types.h>
#include <autarky/errors.h>

struct sysret {
    uint32_t err;          /* enum errcode from r0 */
    uint32_t r1, r2, r3;   /* results */
};

/* SYS_INVOKE on cap `cptr` with command `cmd` and arguments a1..a5. */
struct sysret sys_invoke(capaddr_t cptr, uint32_t cmd, uint32_t a1, uint32_t a2,
                         uint32_t a3, uint32_t a4, uint32_t a5);
/* Any system call by number, with up to 7 arguments (tests use it for bad numbers). */
struct sysret sys_raw(uint32_t num, uint32_t a1, uint32_t a2, uint32_t a3,
                      uint32_t a4, uint32_t a5, uint32_t a6, uint32_t a7);
errval_t sys_yield(void);
errval_t sys_print(const char *buf, size_t len);
int sys_getchar(void);                 /* -1 if no byte waits */
uint64_t sys_counter(void);            /* virtual counter via the kernel */
/* SYS_LMP_SEND (include/autarky/lmp.h): all 8 words are read, `flags`
 * (LMP_SEND_*) says how many are sent. */
errval_t sys_lmp_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
                      const uint32_t words[8]);
errval_t sys_wait(void);               /* block until a message waits */

/* Read the virtual counter directly (CNTVCT, user-readable). */
static inline uint64_t counter_read(void)
{
    uint32_t lo, hi;
    __asm__ volatile("isb; mrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#endif
