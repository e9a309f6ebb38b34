/*
 * What a running child publishes to its spawner, read back
 * (include/aos/spawn.h): its page-fault count in its dispatcher frame and
 * its address-space map in the vmmap page after it (the child layout,
 * include/autarky/layout.h). The child writes both, so neither is
 * trusted: the vmmap copy goes through vmmap_read's checks, and the count
 * is only a number to report.
 */
#include <aos/spawn.h>
#include <aos/vmmap.h>
#include <autarky/dispatcher.h>
#include <autarky/layout.h>
#include "spawn_internal.h"

static void read_faults(void *buf, size_t bytes, void *ctx)
{
    (void)bytes;
    *(uint32_t *)ctx = ((struct dispatcher_shared *)buf)->page_faults;
}

uint32_t spawn_page_faults(struct spawninfo *si)
{
    uint32_t faults = 0;

    spawn_fill_frame(si->dispframe, BASE_PAGE_SIZE, read_faults, &faults);
    return faults;
}

struct vm_read {
    struct vmmap_copy *copy;
    errval_t err;
};

static void read_vm(void *buf, size_t bytes, void *ctx)
{
    struct vm_read *r = ctx;

    (void)bytes;
    r->err = vmmap_read((const struct vmmap_page *)((char *)buf + (USER_VMMAP_VADDR
                                                                   - USER_DISP_VADDR)),
                        r->copy);
}

errval_t spawn_read_vmmap(struct spawninfo *si, struct vmmap_copy *copy)
{
    struct vm_read r = { .copy = copy, .err = SYS_ERR_OK };
    errval_t err = spawn_fill_frame(si->dispframe, USER_DISP_FRAME_SIZE, read_vm, &r);

    return err_is_fail(err) ? err : r.err;
}
