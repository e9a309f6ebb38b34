/*
 * System-call stubs (ABI: include/autarky/syscall.h).
 * r0 = number, r1..r7 = arguments; r0 = error code, r1..r3 = results.
 * r4..r7 are callee-saved in the AAPCS, so stubs that use them save them.
 */
#include <autarky/syscall.h>

    .syntax unified
    .arm
    .text

/*
 * struct sysret sys_raw(num, a1, a2, a3, a4, a5, a6, a7)
 * The struct is returned through memory: r0 = result pointer, so the
 * arguments arrive shifted by one: r1 = num, r2 = a1, r3 = a2, stack = a3..a7.
 */
    .global sys_raw
    .type sys_raw, %function
sys_raw:
    push    {r4-r8, lr}
    mov     r8, r0              /* result pointer */
    mov     r0, r1              /* number */
    mov     r1, r2              /* a1 */
    mov     r2, r3              /* a2 */
    ldr     r3, [sp, #24]       /* a3 (after 6 saved registers) */
    ldr     r4, [sp, #28]
    ldr     r5, [sp, #32]
    ldr     r6, [sp, #36]
    ldr     r7, [sp, #40]
    svc     #0
    stm     r8, {r0-r3}
    pop     {r4-r8, pc}
    .size sys_raw, . - sys_raw

/* struct sysret sys_invoke(cptr, cmd, a1, a2, a3, a4, a5) */
    .global sys_invoke
    .type sys_invoke, %function
sys_invoke:
    push    {r4-r8, lr}
    mov     r8, r0              /* result pointer */
    mov     r0, #SYS_INVOKE
    /* r1 = cptr, r2 = cmd, r3 = a1 already in place */
    ldr     r4, [sp, #24]       /* a2 */
    ldr     r5, [sp, #28]
    ldr     r6, [sp, #32]
    ldr     r7, [sp, #36]       /* a5 */
    svc     #0
    stm     r8, {r0-r3}
    pop     {r4-r8, pc}
    .size sys_invoke, . - sys_invoke

/* errval_t (uint64_t) sys_yield(void) */
    .global sys_yield
    .type sys_yield, %function
sys_yield:
    mov     r0, #SYS_YIELD
    svc     #0
    mov     r1, #0
    bx      lr
    .size sys_yield, . - sys_yield

/* errval_t sys_print(const char *buf, size_t len) */
    .global sys_print
    .type sys_print, %function
sys_print:
    mov     r2, r1
    mov     r1, r0
    mov     r0, #SYS_PRINT
    svc     #0
    mov     r1, #0
    bx      lr
    .size sys_print, . - sys_print

/* int sys_getchar(void) */
    .global sys_getchar
    .type sys_getchar, %function
sys_getchar:
    mov     r0, #SYS_GETCHAR
    svc     #0
    mov     r0, r1
    bx      lr
    .size sys_getchar, . - sys_getchar

/* uint64_t sys_counter(void) */
    .global sys_counter
    .type sys_counter, %function
sys_counter:
    mov     r0, #SYS_COUNTER
    svc     #0
    mov     r0, r1
    mov     r1, r2
    bx      lr
    .size sys_counter, . - sys_counter

/* void sys_resume(void): the kernel resumes enabled_area (full CPSR). */
    .global sys_resume
    .type sys_resume, %function
sys_resume:
    mov     r0, #SYS_RESUME
    svc     #0
    bx      lr                  /* only on error */
    .size sys_resume, . - sys_resume

/*
 * errval_t sys_lmp_send(capaddr_t ep, capaddr_t cap, uint32_t flags,
 *                       const uint32_t words[LMP_MSG_WORDS])
 * All eight words are loaded (r4..r11); `flags` says how many count.
 */
    .global sys_lmp_send
    .type sys_lmp_send, %function
sys_lmp_send:
    push    {r4-r11, lr}
    ldm     r3, {r4-r11}
    mov     r3, r2              /* flags */
    mov     r2, r1              /* cap */
    mov     r1, r0              /* endpoint */
    mov     r0, #SYS_LMP_SEND
    svc     #0
    mov     r1, #0
    pop     {r4-r11, pc}
    .size sys_lmp_send, . - sys_lmp_send

/* errval_t sys_wait(void): block until a message waits in our ring. */
    .global sys_wait
    .type sys_wait, %function
sys_wait:
    mov     r0, #SYS_WAIT
    svc     #0
    mov     r1, #0
    bx      lr
    .size sys_wait, . - sys_wait
