/*
 * The steps of spawn_load (include/aos/spawn.h): cspace, vspace, image,
 * stack, arguments, dispatcher; and spawn_cleanup, their inverse.
 * Each step records what it allocates (spawn/spawn.c) before using it, so
 * a failure at any point is undone by spawn_cleanup.
 */
#include <aos/spawn.h>
#include <aos/elf.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../vspace/paging_types.h"
#include "spawn_internal.h"

/* Put a copy of our `src` into the child's `cnode` at `slot`, without the
 * REVOKE right: the child may delete it, not revoke our copies
 * (include/autarky/captypes.h). */
static errval_t give(capaddr_t cnode, cslot_t slot, capaddr_t src)
{
    return cap_mint(cnode, slot, src, CAP_RIGHTS_GIVEN, 0);
}

/* An L2 CNode for the child's root slot `root_slot`; *ret = our copy. */
static errval_t child_l2_cnode(struct spawninfo *si, cslot_t root_slot, capaddr_t *ret)
{
    errval_t err = spawn_object(si, ObjType_L2CNode, OBJSIZE_L2CNODE, ret);
    if (err_is_fail(err)) {
        return err;
    }
    return give(si->l1cnode, root_slot, *ret);
}

/* Root CNode with TASKCN, PAGECN (holding the VNode L1) and SLOT_ALLOC0. */
static errval_t build_cspace(struct spawninfo *si)
{
    errval_t err = spawn_object(si, ObjType_L1CNode, SPAWN_ROOT_CNODE_SLOTS * CTE_SIZE,
                                &si->l1cnode);
    if (err_is_ok(err)) {
        err = child_l2_cnode(si, ROOTCN_SLOT_TASKCN, &si->taskcn);
    }
    if (err_is_ok(err)) {
        err = child_l2_cnode(si, ROOTCN_SLOT_PAGECN, &si->pagecn);
    }
    if (err_is_ok(err)) {
        err = child_l2_cnode(si, ROOTCN_SLOT_SLOT_ALLOC0, &si->slotcn);
    }
    if (err_is_ok(err)) {
        err = give(si->taskcn, TASKCN_SLOT_TASKCN, si->taskcn);
    }
    if (err_is_ok(err)) {
        err = give(si->taskcn, TASKCN_SLOT_ROOTCN, si->l1cnode);
    }
    if (err_is_ok(err)) {
        err = spawn_object(si, ObjType_VNode_L1, OBJSIZE_VNODE_L1, &si->vnode_l1);
    }
    if (err_is_ok(err)) {
        err = give(si->pagecn, 0, si->vnode_l1);
    }
    return err_is_fail(err) ? err_push(err, LIB_ERR_SPAWN_CSPACE) : err;
}

static errval_t build_vspace(struct spawninfo *si)
{
    errval_t err;

    si->vspace = calloc(1, sizeof(*si->vspace));
    if (si->vspace == NULL) {
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    err = paging_init_state(si->vspace, si->vnode_l1);
    si->vspace->ram_fn = spawn_table_ram;
    si->vspace->ram_ctx = si;
    return err;
}

/* ---- the ELF image ---- */

struct segment_fill {
    const struct elf_info *info;
    size_t index;
    errval_t err;
};

/*
 * Copy the file bytes of the segment that fall into this chunk. The rest
 * needs no writing: the frames are new, and the kernel zeroed them.
 */
static void fill_segment_chunk(void *buf, size_t bytes, lvaddr_t vaddr, void *ctx)
{
    struct segment_fill *sf = ctx;
    const struct elf_segment *seg = &sf->info->segs[sf->index];
    lvaddr_t lo = seg->vaddr > vaddr ? seg->vaddr : vaddr;
    lvaddr_t hi = seg->vaddr + seg->filesz < vaddr + bytes ? seg->vaddr + seg->filesz
                                                           : vaddr + bytes;

    if (lo < hi) {
        memcpy((char *)buf + (lo - vaddr), sf->info->image + seg->offset + (lo - seg->vaddr),
               hi - lo);
    }
}

/*
 * A read-only segment whose pages sit page-aligned in the image's frame:
 * map a copy of the frame there instead of copying (code is shared).
 */
static bool share_segment(struct spawninfo *si, const struct elf_info *info, size_t i,
                          const struct elf_pages *pages, capaddr_t elf_frame,
                          errval_t *err)
{
    size_t file_offset = info->segs[i].offset - pages->copy_to;
    capaddr_t copy;

    if (elf_frame == CPTR_NULL || (pages->flags & VREGION_FLAGS_WRITE)
        || file_offset % BASE_PAGE_SIZE != 0
        || file_offset + pages->size > ROUND_UP(info->size, BASE_PAGE_SIZE)) {
        return false;
    }
    *err = spawn_slot(si, &copy);
    if (err_is_ok(*err)) {
        *err = cap_copy_to(copy, elf_frame);
    }
    if (err_is_ok(*err)) {
        *err = paging_map_fixed_offset(si->vspace, pages->start, copy, file_offset,
                                       pages->size, pages->flags);
    }
    return true;
}

/*
 * Parse and check the image before anything is built for it: a malformed
 * ELF is LIB_ERR_SPAWN_ELF over the parser's code (docs/elf.md); an image
 * reaching past SPAWN_IMAGE_LIMIT, into the child's first heap block, is
 * LIB_ERR_SPAWN_IMAGE_RANGE. Nothing else bounds an image's size.
 */
static errval_t check_image(const void *elf, size_t size, struct elf_info *info)
{
    errval_t err = elf_parse(elf, size, info);

    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SPAWN_ELF);
    }
    return info->highest > SPAWN_IMAGE_LIMIT ? LIB_ERR_SPAWN_IMAGE_RANGE : SYS_ERR_OK;
}

/* Map every segment of the checked image `info` into the child. */
static errval_t load_image(struct spawninfo *si, const struct elf_info *info,
                           capaddr_t elf_frame)
{
    errval_t err = SYS_ERR_OK;

    for (size_t i = 0; err_is_ok(err) && i < info->nsegs; i++) {
        struct elf_pages pages;
        struct segment_fill sf = { info, i, SYS_ERR_OK };
        err = elf_segment_pages(info, i, &pages);
        if (err_is_ok(err) && !share_segment(si, info, i, &pages, elf_frame, &err)) {
            err = spawn_map_region(si, pages.start, pages.size, pages.flags, NULL,
                                   fill_segment_chunk, &sf);
        }
        if (err_is_ok(err)) {
            err = sf.err;
        }
    }
    si->entry = info->entry;
    return err_is_fail(err) ? err_push(err, LIB_ERR_SPAWN_ELF) : err;
}

/* ---- arguments ---- */

struct args_fill {
    uint32_t pid;
    int argc;
    const char *const *argv;
    uint32_t nlayout;
    struct spawn_layout_entry layout[SPAWN_MAX_LAYOUT];
};

static void fill_args(void *buf, size_t bytes, lvaddr_t vaddr, void *ctx)
{
    const struct args_fill *af = ctx;
    struct spawn_args_page *page = buf;
    uint32_t used = 0;

    (void)bytes;
    (void)vaddr;
    page->nlayout = af->nlayout;
    memcpy(page->layout, af->layout, sizeof(page->layout));
    page->argc = (uint32_t)af->argc;
    page->pid = af->pid;
    for (int i = 0; i < af->argc; i++) {
        size_t n = strlen(af->argv[i]) + 1;
        memcpy(page->strings + used, af->argv[i], n);
        used += n;
    }
    page->bytes = used;
}

static errval_t check_args(int argc, const char *const argv[])
{
    size_t total = 0;

    if (argc < 1 || argc > SPAWN_MAX_ARGS) {
        return LIB_ERR_SPAWN_ARGS;
    }
    for (int i = 0; i < argc; i++) {
        if (argv[i] == NULL) {
            return LIB_ERR_SPAWN_ARGS;
        }
        total += strlen(argv[i]) + 1;
    }
    return total <= SPAWN_ARGS_BYTES ? SYS_ERR_OK : LIB_ERR_SPAWN_ARGS;
}

_Static_assert(SPAWN_MAX_LAYOUT >= 3, "build_layout lists up to three blocks");

/* One FIXED layout entry covering the sections [first, last]. */
static void layout_span(struct args_fill *af, uint32_t first, uint32_t last)
{
    af->layout[af->nlayout++] = (struct spawn_layout_entry){
        first << 20, (last - first + 1) << 20, BUDDY_TAG_FIXED, 0 };
}

/*
 * The layout handed to the child: the sections we made L2 tables for, as
 * at most two FIXED spans (those below its first heap block: dispatcher,
 * arguments and image, gaps included; those above: the boot stack), then
 * the first HEAP block. The child reserves exactly these and never maps
 * into them itself, so it needs neither our tables nor a shadow of its own
 * for them; and a layout of three blocks with section-aligned edges takes
 * at most 76 buddy nodes however large the image is, well inside the
 * child's static node reserve (docs/spawn.md), so no metadata refill can
 * take part of a range before it is reserved. The arguments page's own
 * section has its table already (the dispatcher frame's), so the list is
 * complete before that page is mapped.
 */
static errval_t build_layout(struct spawninfo *si, struct args_fill *af)
{
    uint32_t heap = L1_INDEX(SPAWN_HEAP_BASE), low_last = 0, high_first = 0, high_last = 0;
    bool low = false, high = false;
    errval_t err = paging_reserve(si->vspace, SPAWN_HEAP_BASE, SPAWN_HEAP_SIZE,
                                  BUDDY_TAG_HEAP);

    for (uint32_t i = paging_next_shadow(si->vspace, 0); i < VNODE_L1_USER_ENTRIES;
         i = paging_next_shadow(si->vspace, i + 1)) {
        if (i < heap) {
            low_last = i;
            low = true;
        } else {
            high_first = high ? high_first : i;
            high_last = i;
            high = true;
        }
    }
    af->nlayout = 0;
    if (low) {
        layout_span(af, L1_INDEX(USER_DISP_VADDR), low_last);
    }
    if (high) {
        layout_span(af, high_first, high_last);
    }
    af->layout[af->nlayout++] = (struct spawn_layout_entry){
        SPAWN_HEAP_BASE, SPAWN_HEAP_SIZE, BUDDY_TAG_HEAP, 0 };
    return err;
}

static errval_t build_args(struct spawninfo *si, int argc, const char *const argv[])
{
    struct args_fill *af = calloc(1, sizeof(*af));
    errval_t err;

    if (af == NULL) {
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    af->pid = si->badge;
    af->argc = argc;
    af->argv = argv;
    err = build_layout(si, af);
    if (err_is_ok(err)) {
        err = spawn_map_region(si, USER_ARGS_VADDR, BASE_PAGE_SIZE, VREGION_FLAGS_READ,
                               &si->argsframe, fill_args, af);
    }
    free(af);
    if (err_is_ok(err)) {
        err = give(si->taskcn, TASKCN_SLOT_ARGSPAGE, si->argsframe);
    }
    return err;
}

/* ---- dispatcher ---- */

static void fill_dispatcher(void *buf, size_t bytes, lvaddr_t vaddr, void *ctx)
{
    struct dispatcher_shared *disp = buf;
    const struct spawninfo *si = ctx;

    (void)bytes;
    (void)vaddr;
    disp->udisp = USER_DISP_VADDR;
    disp->entry_run = si->entry;
    disp->upcall_sp = USER_STACK_TOP;
    disp->disabled = 0;
    snprintf(disp->name, DISP_NAME_LEN, "%s", si->name);
}

/* Dispatcher, its frame and the endpoints both ways. */
static errval_t build_dispatcher(struct spawninfo *si, capaddr_t parent_ep)
{
    capaddr_t ram;
    gensize_t at;                   /* one page: the DCB, then the endpoint */
    errval_t err = spawn_carve(si, BASE_PAGE_SIZE, &ram, &at);

    if (err_is_ok(err)) {
        err = spawn_slot(si, &si->dispatcher);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_Dispatcher, at, OBJSIZE_DISPATCHER, si->dispatcher);
    }
    if (err_is_ok(err)) {
        err = spawn_slot(si, &si->child_ep);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_Endpoint, at + OBJSIZE_DISPATCHER,
                             OBJSIZE_ENDPOINT, si->child_ep);
    }
    if (err_is_ok(err)) {
        err = ep_bind(si->child_ep, si->dispatcher);
    }
    if (err_is_ok(err)) {           /* its 2nd page: the vmmap page, left zero */
        err = spawn_map_region(si, USER_DISP_VADDR, USER_DISP_FRAME_SIZE,
                               VREGION_FLAGS_READ_WRITE, &si->dispframe,
                               fill_dispatcher, si);
    }
    if (err_is_ok(err)) {
        err = give(si->taskcn, TASKCN_SLOT_DISPATCHER, si->dispatcher);
    }
    if (err_is_ok(err)) {
        err = give(si->taskcn, TASKCN_SLOT_DISPFRAME, si->dispframe);
    }
    if (err_is_ok(err)) {
        err = cap_mint(si->taskcn, TASKCN_SLOT_INITEP, parent_ep, CAP_RIGHTS_GIVEN, si->badge);
    }
    if (err_is_ok(err)) {
        err = disp_setup(si->dispatcher, si->l1cnode, si->vnode_l1, si->dispframe,
                         USER_DISP_VADDR);
    }
    if (err_is_ok(err)) {           /* we hear of it if the kernel kills it */
        capaddr_t exit_ep;
        err = spawn_slot(si, &exit_ep);
        if (err_is_ok(err)) {
            err = cap_mint(cptr_cnode(exit_ep), cptr_slot(exit_ep), parent_ep,
                           CAP_RIGHTS_ALL, si->badge);
        }
        if (err_is_ok(err)) {
            err = disp_set_exit_ep(si->dispatcher, exit_ep);
        }
    }
    return err_is_fail(err) ? err_push(err, LIB_ERR_SPAWN_DISPATCHER) : err;
}

errval_t spawn_load(struct spawninfo *si, const void *elf, size_t size,
                    capaddr_t elf_frame, int argc, const char *const argv[],
                    capaddr_t parent_ep, uint32_t badge)
{
    struct elf_info *info = malloc(sizeof(*info));
    errval_t err = info != NULL ? check_args(argc, argv) : LIB_ERR_SPAWN_NO_MEMORY;

    if (err_is_ok(err)) {
        err = check_image(elf, size, info);
    }
    if (err_is_fail(err)) {
        free(info);
        return err;
    }
    memset(si, 0, sizeof(*si));
    snprintf(si->name, DISP_NAME_LEN, "%s", argv[0]);
    si->badge = badge;
    err = build_cspace(si);
    if (err_is_ok(err)) {
        err = build_vspace(si);
    }
    if (err_is_ok(err)) {
        err = load_image(si, info, elf_frame);
    }
    free(info);
    if (err_is_ok(err)) {
        err = spawn_map_region(si, USER_STACK_TOP - SPAWN_STACK_SIZE, SPAWN_STACK_SIZE,
                               VREGION_FLAGS_READ_WRITE, NULL, NULL, NULL);
    }
    if (err_is_ok(err)) {
        err = build_dispatcher(si, parent_ep);
    }
    if (err_is_ok(err)) {
        err = build_args(si, argc, argv);
    }
    if (err_is_fail(err)) {
        spawn_cleanup(si);
    }
    return err;
}

errval_t spawn_start(struct spawninfo *si)
{
    return disp_start(si->dispatcher);
}

/*
 * Return every block: the RAM source revokes it first (mm_free), so all
 * objects built from it die, in every cspace. Then free our slots and
 * metadata. Our paging records for the
 * child only name our slots: forget them without invoking anything.
 */
void spawn_cleanup(struct spawninfo *si)
{
    for (uint32_t i = 0; i < si->ram.count; i++) {
        spawn_ram_free(si->ram.caps[i]);   /* revokes, then returns the block */
    }
    if (si->vspace != NULL) {
        paging_state_forget(si->vspace);
        free(si->vspace);
        si->vspace = NULL;
    }
    for (uint32_t i = 0; i < si->slots.count; i++) {
        cap_delete(si->slots.caps[i]);   /* what the revokes left (the exit endpoint) */
        slot_free(si->slots.caps[i]);
    }
    free(si->ram.caps);
    free(si->slots.caps);
    memset(&si->ram, 0, sizeof(si->ram));
    memset(&si->slots, 0, sizeof(si->slots));
}
