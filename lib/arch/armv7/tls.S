/*
 * Thread pointer for picolibc's TLS (errno and friends).
 *
 * ARM keeps the thread pointer in TPIDRURO, which user mode can read but
 * not write; picolibc's own _set_tls writes it and would fault. GCC and
 * the prebuilt picolibc read TPIDRURO directly (mrc), so _set_tls asks
 * the kernel to load it (SYS_SET_TLS; the kernel keeps it per domain) and
 * also keeps a copy in memory for __aeabi_read_tp. These definitions
 * override picolibc's (libaos.a is linked before libc). The thread
 * scheduler calls _set_tls on every switch. __aeabi_read_tp may clobber
 * only r0.
 */
#include <autarky/syscall.h>

    .syntax unified
    .arm
    .text

    .global __aeabi_read_tp
    .type __aeabi_read_tp, %function
__aeabi_read_tp:
    ldr     r0, =tls_thread_pointer
    ldr     r0, [r0]
    bx      lr
    .size __aeabi_read_tp, . - __aeabi_read_tp

/* void _set_tls(void *tls_block): thread pointer = block - TCB offset */
    .global _set_tls
    .type _set_tls, %function
_set_tls:
    ldr     r1, =__arm32_tls_tcb_offset
    sub     r0, r0, r1
    ldr     r1, =tls_thread_pointer
    str     r0, [r1]
    mov     r1, r0                      /* and TPIDRURO, for code that reads it */
    mov     r0, #SYS_SET_TLS
    svc     #0
    bx      lr
    .size _set_tls, . - _set_tls

    .bss
    .align 2
    .global tls_thread_pointer
tls_thread_pointer:
    .word 0
