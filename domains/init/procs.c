/*
 * Starting boot modules as processes, finding them by pid, tearing them
 * down. See procs.h.
 *
 * Boot modules are mapped read-only into init once, at first use, and
 * stay mapped: building a child reads its ELF from there.
 */
#include "procs.h"
#include "mem_server.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>
#include <string.h>

static capaddr_t server_ep;
static struct proc *procs;
static uint32_t next_pid = 1;
static const void *module_image[BOOTINFO_MAX_MODULES];

errval_t procs_init(void)
{
    capaddr_t ram;
    errval_t err = ram_alloc(&ram, BASE_PAGE_SIZE);

    spawn_set_ram_source(mem_server_alloc, mem_server_free_block);
    if (err_is_ok(err)) {
        err = slot_alloc(&server_ep);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, server_ep);
    }
    if (err_is_ok(err)) {
        err = ep_bind(server_ep, CAP_DISPATCHER);
    }
    return err;
}

/* The ELF of boot module `name`, mapped into init. */
static errval_t find_module(const char *name, const void **image, size_t *size)
{
    const struct bootinfo *bi = get_bootinfo();

    for (uint32_t i = 0; i < bi->n_modules; i++) {
        const struct boot_module_info *m = &bi->modules[i];
        if (strncmp(m->name, name, BOOTINFO_NAME_LEN) != 0) {
            continue;
        }
        if (module_image[i] == NULL) {
            void *buf;
            size_t bytes = (m->size + BASE_PAGE_SIZE - 1) & ~(size_t)(BASE_PAGE_SIZE - 1);
            errval_t err = paging_map_frame(get_current_paging_state(), &buf, bytes,
                                            m->cap, VREGION_FLAGS_READ);
            if (err_is_fail(err)) {
                return err;
            }
            module_image[i] = buf;
        }
        *image = module_image[i];
        *size = m->size;
        return SYS_ERR_OK;
    }
    return INIT_ERR_NO_SUCH_MODULE;
}

errval_t proc_spawn(int argc, const char *const argv[], struct proc **ret)
{
    const void *image;
    size_t size;
    struct proc *p;
    errval_t err;

    if (argc < 1) {
        return LIB_ERR_SPAWN_ARGS;
    }
    err = find_module(argv[0], &image, &size);
    if (err_is_fail(err)) {
        return err;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    p->pid = next_pid++;
    err = spawn_load(&p->si, image, size, argc, argv, server_ep, p->pid);
    if (err_is_ok(err)) {
        err = spawn_start(&p->si);
        if (err_is_fail(err)) {
            spawn_cleanup(&p->si);
        }
    }
    if (err_is_fail(err)) {
        free(p);
        return err;
    }
    p->next = procs;
    procs = p;
    *ret = p;
    return SYS_ERR_OK;
}

struct proc *proc_find(uint32_t pid)
{
    for (struct proc *p = procs; p != NULL; p = p->next) {
        if (p->pid == pid) {
            return p;
        }
    }
    return NULL;
}

void proc_reap(struct proc *p)
{
    struct proc **pp = &procs;

    while (*pp != NULL && *pp != p) {
        pp = &(*pp)->next;
    }
    if (*pp == p) {
        *pp = p->next;
    }
    spawn_cleanup(&p->si);
    rpc_string_rx_reset(&p->rx);
    free(p);
}

struct proc *proc_getchar_waiter(void)
{
    struct proc *found = NULL;

    for (struct proc *p = procs; p != NULL; p = p->next) {
        if (p->getchar_pending && !p->exited) {
            found = p;          /* the list is newest first: keep the last */
        }
    }
    return found;
}
