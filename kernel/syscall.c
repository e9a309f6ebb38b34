/*
 * Debug console system calls. The kernel never dereferences a user
 * pointer: it asks the MMU whether user mode may read each page
 * (arch_user_readable), checks that the physical page is RAM it maps, and
 * reads it through its own direct map.
 */
#include <kernel/syscall.h>
#include <kernel/printk.h>
#include <kernel/arch.h>
#include <autarky/syscall.h>
#include <autarky/layout.h>
#include <arch/memory.h>

static lpaddr_t ram_base, ram_end;

void syscall_set_ram_range(lpaddr_t base, lpaddr_t end)
{
    ram_base = base;
    ram_end = end;
}

void syscall_ram_range(lpaddr_t *base, lpaddr_t *end)
{
    *base = ram_base;
    *end = ram_end;
}

/* Translate one user page for reading, or fail. */
static errval_t user_page_to_kva(lvaddr_t va, const char **kva)
{
    lpaddr_t pa;

    if (va >= USER_TOP || !arch_user_readable(va, &pa)) {
        return SYS_ERR_INVALID_USER_BUFFER;
    }
    if (pa < ram_base || pa >= ram_end) {
        return SYS_ERR_INVALID_USER_BUFFER;   /* device memory: refuse */
    }
    *kva = pa_to_kva(ROUND_DOWN(pa, BASE_PAGE_SIZE));
    return SYS_ERR_OK;
}

errval_t sys_print(lvaddr_t buf, uint32_t len)
{
    /* A buffer of SYS_PRINT_MAX bytes spans at most this many pages. */
    const char *page_kva[SYS_PRINT_MAX / BASE_PAGE_SIZE + 1];
    lvaddr_t first = ROUND_DOWN(buf, BASE_PAGE_SIZE);
    uint32_t pages = 0;
    errval_t err;

    if (len > SYS_PRINT_MAX || buf + len < buf || buf + len > USER_TOP) {
        return SYS_ERR_INVALID_USER_BUFFER;
    }
    /* Translate every page first so a bad buffer prints nothing. */
    for (lvaddr_t page = first; page < buf + len; page += BASE_PAGE_SIZE) {
        err = user_page_to_kva(page, &page_kva[pages++]);
        if (err_is_fail(err)) {
            return err;
        }
    }
    console_lock();
    for (uint32_t i = 0; i < len; i++) {
        lvaddr_t offset = buf + i - first;
        serial_putchar(page_kva[offset / BASE_PAGE_SIZE][offset % BASE_PAGE_SIZE]);
    }
    console_unlock();
    return SYS_ERR_OK;
}
