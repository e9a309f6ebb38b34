/*
 * The domain's own address space at start-up (paging_init): which ranges
 * are already taken before the runtime reserves anything itself.
 *
 *   init      the kernel built it: the dispatcher, boot info and arguments
 *             pages and the ELF image from 1 MiB up, the boot stack below
 *             USER_STACK_TOP. Their sections (and the kernel's L2 tables
 *             in them) are reserved FIXED whole.
 *   others    the spawner describes the layout in the arguments page
 *             (struct spawn_layout_entry): FIXED spans of sections whose
 *             L2 tables it made and keeps (as for init, we never map
 *             into them), and the first HEAP block for morecore. Then the
 *             buddy starts listing its blocks in the vmmap page the
 *             spawner mapped (aos/vmmap.h).
 */
#include "paging_types.h"
#include <aos/args_page.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>

extern char __image_end[];

static lvaddr_t first_heap_base;
static size_t first_heap_size;

void paging_first_heap(lvaddr_t *base, size_t *size)
{
    *base = first_heap_base;
    *size = first_heap_size;
}

static errval_t layout_init(struct paging_state *st)
{
    lvaddr_t end = ROUND_UP((lvaddr_t)__image_end, SECTION_SIZE);
    errval_t err = paging_reserve(st, USER_DISP_VADDR, end - USER_DISP_VADDR,
                                  BUDDY_TAG_FIXED);

    if (err_is_ok(err)) {
        err = paging_reserve(st, ROUND_DOWN(USER_STACK_TOP - USER_INIT_STACK_SIZE, SECTION_SIZE),
                             USER_TOP - ROUND_DOWN(USER_STACK_TOP - USER_INIT_STACK_SIZE,
                                                   SECTION_SIZE), BUDDY_TAG_FIXED);
    }
    if (err_is_ok(err)) {
        err = paging_reserve(st, SPAWN_HEAP_BASE, SPAWN_HEAP_SIZE, BUDDY_TAG_HEAP);
        first_heap_base = SPAWN_HEAP_BASE;
        first_heap_size = SPAWN_HEAP_SIZE;
    }
    return err;
}

static errval_t layout_child(struct paging_state *st)
{
    const struct spawn_args_page *page = (const struct spawn_args_page *)USER_ARGS_VADDR;
    uint32_t n = page->nlayout < SPAWN_MAX_LAYOUT ? page->nlayout : SPAWN_MAX_LAYOUT;
    errval_t err = SYS_ERR_OK;

    for (uint32_t i = 0; i < n && err_is_ok(err); i++) {
        const struct spawn_layout_entry *e = &page->layout[i];
        if (e->tag == BUDDY_TAG_NONE || e->tag >= BUDDY_TAG_COUNT) {
            return LIB_ERR_PAGING_BAD_RANGE;
        }
        err = paging_reserve(st, e->base, e->size, (enum buddy_tag)e->tag);
        if (err_is_ok(err) && e->tag == BUDDY_TAG_HEAP && first_heap_size == 0) {
            first_heap_base = e->base;
            first_heap_size = e->size;
        }
    }
    return err;
}

errval_t paging_init(void)
{
    struct paging_state *st = get_current_paging_state();
    errval_t err = paging_init_state(st, CAP_VNODE_L1);

    if (err_is_fail(err)) {
        return err;
    }
    if (get_bootinfo() != NULL) {
        return layout_init(st);
    }
    err = layout_child(st);
    if (err_is_ok(err)) {           /* from now on init can read our blocks */
        err = buddy_publish(&st->buddy, (struct vmmap_page *)USER_VMMAP_VADDR);
    }
    return err;
}
