/*
 * VSPACE_FUZZ_SEQ: sequences of page-table and memory operations in the
 * fuzzer's own address space, judged against a model of every
 * translation (issue 9, item 1 and its class; docs/safety.md rules 1-2).
 *
 * The sequence owns a pool of RAM (a RAM child of a block from init) and
 * WINDOWS MiB of its own address space (a HEAP block the
 * page-fault handler never fills, because only probes touch it). Each step
 * is one random operation with valid-looking arguments:
 *
 *   retype   frames, L2 tables or L2 CNodes from the pool, mostly over
 *            memory something died in a moment ago (a CNode may go into a
 *            root slot, where its 256 slots must be empty)
 *   copy     any capability (tables too: a table with copies), or mint it
 *            with fewer rights; a CNode copy into a root slot
 *   map      a table at an L1 entry of a window, a frame into a table
 *   unmap, modify, delete, revoke (refused: no domain holds REVOKE)
 *   return   give the pool's RAM back to init, everything in it alive and
 *            mapped: init revokes it; then a new pool
 *   touch    read and write through every address ever mapped
 *   attack   retype a frame or table into a root slot
 *
 * The model follows the kernel's answers (an operation that failed
 * changed nothing) and knows, for every address of the windows, which
 * frame page it must reach and whether writably, or that it must fault.
 * After each step every address whose answer changed is probed: a
 * mapped one must read the value last written to that page (a fresh
 * frame reads zero throughout) and take a write exactly when it is
 * writable; an unmapped one must fault. So a translation that survives an
 * unmap, a delete or a revoke, or that reaches other memory, is a finding
 * ("stale translation"), as is a retype over memory something still
 * lives in, a fresh CNode that is not empty, and a root slot holding
 * anything but an L2 CNode.
 */
#include "vmodel.h"
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <string.h>

/* ---- operations ------------------------------------------------------------ */

/* Where a retype goes: mostly into memory something died in lately. */
static uint32_t choose_offset(uint32_t align, uint32_t bytes)
{
    if (vm.freed_n > 0 && chance(60)) {
        uint32_t back = rnd() % (vm.freed_n < FREED_MEMORY ? vm.freed_n : FREED_MEMORY);
        uint32_t k = vm.freed_n - 1 - back;
        uint32_t base = vm.freed[k % FREED_MEMORY].offset & ~(align - 1);
        uint32_t off = base + (rnd() % (vm.freed[k % FREED_MEMORY].size / align + 1)) * align;
        if (off + bytes <= POOL_BYTES) {
            return off;
        }
    }
    return (rnd() % ((POOL_BYTES - bytes) / align + 1)) * align;
}

static void op_retype(void)
{
    static const uint32_t frame_pages[] = { 1, 1, 2, 4 };
    uint32_t r = rnd() % 100, count = 1, size, align;
    enum objtype type;
    enum vkind kind;
    capaddr_t dest_cn = vm.sb_cn;
    int first;

    if (r < 45) {
        kind = V_FRAME, type = ObjType_Frame;
        size = frame_pages[rnd() % 4] * BASE_PAGE_SIZE, align = BASE_PAGE_SIZE;
        count = 1 + (rnd() % 4 == 0);
    } else if (r < 80) {
        kind = V_TABLE, type = ObjType_VNode_L2;
        size = align = OBJSIZE_VNODE_L2, count = 1 + rnd() % 3;
    } else {
        kind = V_CNODE, type = ObjType_L2CNode;
        size = align = OBJSIZE_L2CNODE;
    }
    uint32_t offset = choose_offset(align, count * size);
    if (kind == V_CNODE && chance(60) && (first = free_root()) >= 0) {
        dest_cn = CAP_ROOTCN;
    } else if ((first = free_slots(count)) < 0) {
        return;
    }
    if (free_objs() < count) {
        return;
    }
    int live = overlapping(offset, count * size);
    snprintf(vm.op, sizeof(vm.op), "retype %lu %s at pool 0x%lx", (unsigned long)count,
             fz_type_name(type), (unsigned long)offset);
    errval_t err = fz_call(cap_retype(POOL, type, offset, size, count, dest_cn,
                                      first < SLOTS ? (cslot_t)first : vm.test_root[first - SLOTS]),
                           "retype");
    if (err_is_ok(err) && live >= 0) {
        fz_fail("step %lu (%s): the retype succeeded over live object #%lu at 0x%lx",
                (unsigned long)vm.step, vm.op, (unsigned long)vm.objs[live].uid,
                (unsigned long)vm.objs[live].offset);
    } else if (err_no(err) == SYS_ERR_RETYPE_OVERLAP && live < 0) {
        fz_fail("step %lu (%s): refused as overlapping, but nothing lives there (RAM lost)",
                (unsigned long)vm.step, vm.op);
    }
    if (err_is_fail(err)) {
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        cap_new(first + (int)i, obj_new(kind, offset + i * size, size), CAP_RIGHTS_ALL);
    }
    if (first >= SLOTS) {
        check_cnode_empty(first);
    }
}

static void op_copy(void)
{
    int src = chance(40) ? pick(V_TABLE, chance(50) ? in_window : NULL) : pick(V_NONE, NULL);
    int dest;

    if (src < 0) {
        return;
    }
    bool cnode = obj_of(src)->kind == V_CNODE;
    if ((cnode ? chance(30) : chance(4)) && (dest = free_root()) >= 0) {
        /* into a root slot: a CNode becomes addressable, anything else must
         * be refused */
        snprintf(vm.op, sizeof(vm.op), "copy %s s%d into root slot %lu",
                 kind_name(obj_of(src)->kind), src, (unsigned long)vm.test_root[dest - SLOTS]);
        errval_t err = fz_call(cap_copy(CAP_ROOTCN, vm.test_root[dest - SLOTS], cap_at(src)),
                               "copy into the root");
        if (err_is_ok(err)) {
            cap_new(dest, vm.caps[src].obj, vm.caps[src].rights);
            if (cnode) {
                check_cnode_empty(dest);
            }
        }
        fz_root_scan(vm.op);
        return;
    }
    if ((dest = free_slots(1)) < 0) {
        return;
    }
    uint32_t mask = chance(30) ? (rnd() & CAP_RIGHTS_ALL) : CAP_RIGHTS_ALL;
    snprintf(vm.op, sizeof(vm.op), "mint s%d into s%d, rights 0x%lx", src, dest,
             (unsigned long)mask);
    if (err_is_ok(fz_call(cap_mint(vm.sb_cn, (cslot_t)dest, cap_at(src), mask, 0), "mint"))) {
        cap_new(dest, vm.caps[src].obj, vm.caps[src].rights & mask);
    }
}

static void op_map_table(void)
{
    uint32_t r = rnd() % 100;
    int t = pick(V_TABLE, r < 30 ? copy_of_mapped : r < 80 ? is_unmapped : NULL);
    int w = (int)(rnd() % WINDOWS);

    if (t < 0) {
        t = pick(V_TABLE, NULL);
    }
    for (int k = 0; k < WINDOWS && chance(80) && vm.window[w] >= 0; k++) {
        w = (w + 1) % WINDOWS;                  /* mostly a free window */
    }
    if (t < 0) {
        return;
    }
    snprintf(vm.op, sizeof(vm.op), "map table s%d (#%lu) at window %d", t,
             (unsigned long)obj_of(t)->uid, w);
    errval_t err = fz_call(vnode_map(CAP_VNODE_L1, cap_at(t),
                                     (vm.win_base >> SECTION_BITS) + (uint32_t)w,
                                     TABLE_FLAGS, 0, 1), "map a table");
    if (err_is_fail(err)) {
        return;
    }
    if (vm.window[w] >= 0 || vm.caps[t].mapped) {
        fz_fail("step %lu (%s): mapped, though %s", (unsigned long)vm.step, vm.op,
                vm.window[w] >= 0 ? "the L1 entry was in use" : "this capability was mapped");
        return;
    }
    vm.caps[t].mapped = true;
    vm.caps[t].in_table = -1;
    vm.caps[t].entry = (uint32_t)w;
    vm.window[w] = t;
    if (!obj_of(t)->was_mapped) {
        obj_of(t)->was_mapped = true;
        vm.sample_window = w;                      /* a new table translates nothing */
    }
}

static void op_unmap_table(void)
{
    int t = pick(V_TABLE, chance(80) ? in_window : NULL);

    if (t < 0) {
        return;
    }
    snprintf(vm.op, sizeof(vm.op), "unmap table s%d (#%lu) from our L1", t,
             (unsigned long)obj_of(t)->uid);
    if (err_is_ok(fz_call(vnode_unmap(CAP_VNODE_L1, cap_at(t)), "unmap a table"))) {
        if (!in_window(t)) {
            fz_fail("step %lu (%s): unmapped, though it was not mapped",
                    (unsigned long)vm.step, vm.op);
        }
        model_unmap(t);
    }
}

/* A frame mapped into a table (mostly one mapped in a window), at an
 * entry mostly used before. */
static void op_map_frame(void)
{
    int f = pick(V_FRAME, chance(85) ? is_unmapped : NULL);
    int t = pick(V_TABLE, chance(80) ? in_window : NULL);

    if (f < 0 || t < 0) {
        return;
    }
    uint32_t pages = obj_of(f)->pages, offset = rnd() % pages;
    uint32_t count = 1 + rnd() % (pages - offset);
    uint32_t e = rnd() % ENTRIES;
    if (vm.ever_n > 0 && chance(60)) {
        e = vm.ever_list[rnd() % vm.ever_n] % ENTRIES;
    }
    uint32_t flags = chance(75) ? VREGION_FLAGS_READ_WRITE : VREGION_FLAGS_READ;
    snprintf(vm.op, sizeof(vm.op), "map frame s%d (#%lu) pages %lu+%lu into table s%d (#%lu) "
             "at %lu",
             f, (unsigned long)obj_of(f)->uid, (unsigned long)offset, (unsigned long)count,
             t, (unsigned long)obj_of(t)->uid, (unsigned long)e);
    errval_t err = fz_call(vnode_map(cap_at(t), cap_at(f), e, flags, offset, count),
                           "map a frame");
    if (err_is_fail(err)) {
        return;
    }
    bool taken = e + count > ENTRIES || vm.caps[f].mapped;
    for (uint32_t i = 0; i < count && !taken; i++) {
        taken = obj_of(t)->entry[e + i] >= 0;
    }
    if (taken || ((flags & VREGION_FLAGS_WRITE) && !(vm.caps[f].rights & CAP_RIGHT_WRITE))) {
        fz_fail("step %lu (%s): mapped, though %s", (unsigned long)vm.step, vm.op,
                taken ? "an entry was in use or the cap mapped" : "the cap lacks WRITE");
        return;
    }
    vm.caps[f].mapped = true;
    vm.caps[f].in_table = vm.caps[t].obj;
    vm.caps[f].entry = e;
    vm.caps[f].count = count;
    vm.caps[f].offset = offset;
    vm.caps[f].flags = flags;
    for (uint32_t i = 0; i < count; i++) {
        obj_of(t)->entry[e + i] = (int16_t)f;
    }
}

/* A table capability for a frame's mapping: mostly a copy of the table it
 * is mapped in (any copy names it), else any table. */
static int table_for(int f)
{
    if (vm.caps[f].mapped && chance(85)) {
        int cand[NCAPS], n = 0;
        for (int c = 1; c < NCAPS; c++) {
            if (vm.caps[c].live && vm.caps[c].obj == vm.caps[f].in_table) {
                cand[n++] = c;
            }
        }
        if (n > 0) {
            return cand[rnd() % n];
        }
    }
    return pick(V_TABLE, NULL);
}

/* Unmap a frame, or change its mapping's rights (`modify`). */
static void op_unmap_frame(bool modify)
{
    int f = pick(V_FRAME, chance(85) ? is_mapped : NULL), t;

    if (f < 0 || (t = table_for(f)) < 0) {
        return;
    }
    uint32_t flags = chance(50) ? VREGION_FLAGS_READ_WRITE : VREGION_FLAGS_READ;
    snprintf(vm.op, sizeof(vm.op), "%s frame s%d (#%lu) in table s%d (#%lu)",
             modify ? (flags & VREGION_FLAGS_WRITE ? "make rw" : "make ro") : "unmap",
             f, (unsigned long)obj_of(f)->uid, t, (unsigned long)obj_of(t)->uid);
    errval_t err = modify ? vnode_modify(cap_at(t), cap_at(f), flags)
                          : vnode_unmap(cap_at(t), cap_at(f));
    if (err_is_fail(fz_call(err, modify ? "modify" : "unmap a frame"))) {
        return;
    }
    if (!vm.caps[f].mapped || vm.caps[f].in_table != vm.caps[t].obj) {
        fz_fail("step %lu (%s): done, though the frame is not mapped in that table",
                (unsigned long)vm.step, vm.op);
    } else if (modify && (flags & VREGION_FLAGS_WRITE) && !(vm.caps[f].rights & CAP_RIGHT_WRITE)) {
        fz_fail("step %lu (%s): made writable without WRITE", (unsigned long)vm.step, vm.op);
    } else if (modify) {
        vm.caps[f].flags = flags;
    } else {
        model_unmap(f);
    }
}

static void op_delete(void)
{
    int c = pick(V_NONE, NULL);

    if (c < 0) {
        return;
    }
    snprintf(vm.op, sizeof(vm.op), "delete s%d (#%lu, %lu caps)", c, (unsigned long)obj_of(c)->uid,
             (unsigned long)obj_of(c)->ncaps);
    errval_t err = fz_call(cap_delete(cap_at(c)), "delete");
    if (err_is_ok(err)) {
        model_delete(c);
    } else {
        fz_fail("step %lu (%s): refused: %s", (unsigned long)vm.step, vm.op,
                err_getcode(err_no(err)));
    }
}

static void op_revoke(void)
{
    int c = pick(V_NONE, NULL);

    if (c < 0) {
        return;
    }
    snprintf(vm.op, sizeof(vm.op), "revoke s%d (#%lu, %lu caps)", c, (unsigned long)obj_of(c)->uid,
             (unsigned long)obj_of(c)->ncaps);
    if (err_is_ok(fz_call(cap_revoke(cap_at(c)), "revoke"))) {
        for (int k = 1; k < NCAPS; k++) {
            if (k != c && vm.caps[k].live && vm.caps[k].obj == vm.caps[c].obj) {
                model_delete(k);
            }
        }
    }
}

static errval_t pool_get(void)
{
    errval_t err = fz_call(ram_alloc_aligned(&vm.init_ram, 2 * POOL_BYTES, 2 * POOL_BYTES, NULL),
                           "RAM");
    if (err_is_ok(err)) {       /* a RAM child: RAM to retype that is all ours */
        err = fz_call(cap_retype(vm.init_ram, ObjType_RAM, 0, POOL_BYTES, 1, vm.sb_cn, POOL_SLOT),
                      "retype the pool");
    }
    return err;
}

/*
 * Give the pool's RAM back to init while everything in it lives and is
 * mapped: init revokes it (a domain holds no REVOKE: the rights of
 * retyped objects are those of the RAM, and init's RAM comes without), so
 * every object dies and every mapping goes, in our address space, from
 * another domain's call. Then a new pool.
 */
static void op_return_pool(void)
{
    snprintf(vm.op, sizeof(vm.op), "give the pool back to init");
    if (err_is_fail(fz_call(ram_free(vm.init_ram), "free RAM"))) {
        fz_fail("step %lu (%s): refused", (unsigned long)vm.step, vm.op);
        return;
    }
    for (int c = 1; c < NCAPS; c++) {
        if (vm.caps[c].live) {
            model_delete(c);
        }
    }
    judge();
    errval_t err = pool_get();
    if (err_is_fail(err)) {
        fz_fail("step %lu: no new pool: %s", (unsigned long)vm.step, err_getcode(err_no(err)));
    }
}

/* Retype a frame or a table straight into a root slot: refused. */
static void op_root_attack(void)
{
    int r = free_root();
    bool frame = chance(50);
    uint32_t size = frame ? BASE_PAGE_SIZE : OBJSIZE_VNODE_L2;
    uint32_t offset = choose_offset(size, size);

    if (r < 0 || free_objs() == 0) {
        return;
    }
    snprintf(vm.op, sizeof(vm.op), "retype a %s into root slot %lu", frame ? "Frame" : "VNode_L2",
             (unsigned long)vm.test_root[r - SLOTS]);
    if (err_is_ok(fz_call(cap_retype(POOL, frame ? ObjType_Frame : ObjType_VNode_L2, offset,
                                     size, 1, CAP_ROOTCN, vm.test_root[r - SLOTS]),
                          "retype into the root"))) {
        cap_new(r, obj_new(frame ? V_FRAME : V_TABLE, offset, size), CAP_RIGHTS_ALL);
    }
    fz_root_scan(vm.op);
}

static void op_touch_all(void)
{
    snprintf(vm.op, sizeof(vm.op), "touch all %lu addresses ever mapped", (unsigned long)vm.ever_n);
    for (uint32_t i = 0; i < vm.ever_n && !fz_failed; i++) {
        check_va((int)(vm.ever_list[i] / ENTRIES), (int)(vm.ever_list[i] % ENTRIES));
    }
}

/* ---- set-up and the run ---------------------------------------------------- */

static bool setup(void)
{
    void *win = NULL;
    errval_t err;

    model_reset();
    err = fz_call(slot_alloc_root_slot(&vm.sb_root), "root slot");
    for (int r = 0; r < TEST_ROOTS && err_is_ok(err); r++) {
        err = fz_call(slot_alloc_root_slot(&vm.test_root[r]), "root slot");
    }
    if (err_is_ok(err)) {
        err = fz_call(ram_alloc_aligned(&vm.cn_ram, OBJSIZE_L2CNODE, OBJSIZE_L2CNODE, NULL), "RAM");
    }
    if (err_is_ok(err)) {
        err = fz_call(cap_retype(vm.cn_ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, CAP_ROOTCN,
                                 vm.sb_root), "retype the sandbox");
        vm.sb_cn = CPTR_L1_SLOT | vm.sb_root;
    }
    if (err_is_ok(err)) {
        err = pool_get();
    }
    if (err_is_ok(err)) {
        err = paging_alloc(get_current_paging_state(), &win, WINDOWS * SECTION_SIZE,
                           WINDOWS * SECTION_SIZE);
    }
    if (err_is_fail(err)) {
        fz_fail("setting up: %s", err_getcode(err_no(err)));
        return false;
    }
    vm.win_base = (lvaddr_t)win;
    probe_install(vm.win_base, WINDOWS * SECTION_SIZE);
    return true;
}

/* Everything is deleted, capability by capability, and then no address
 * of the windows may translate (judged like any step). */
static void teardown(void)
{
    vm.step++;
    snprintf(vm.op, sizeof(vm.op), "delete everything");
    for (int c = 1; c < NCAPS && !fz_failed; c++) {
        if (vm.caps[c].live) {
            if (err_is_fail(fz_call(cap_delete(cap_at(c)), "delete"))) {
                fz_fail("step %lu (%s): delete of s%d refused", (unsigned long)vm.step, vm.op, c);
            }
            model_delete(c);
        }
    }
    if (!fz_failed) {
        judge();
        fz_root_scan("after deleting everything");
    }
    probe_uninstall();
    ram_free(vm.init_ram);         /* init revokes whatever a finding left */
    for (int r = 0; r < TEST_ROOTS; r++) {
        cap_delete(CPTR_L1_SLOT | vm.test_root[r]);
        slot_free_root_slot(vm.test_root[r]);
    }
    cap_delete(vm.sb_cn);
    slot_free_root_slot(vm.sb_root);
    ram_free(vm.cn_ram);
    paging_free(get_current_paging_state(), (void *)vm.win_base);
}

void fuzz_vspace_seq(void)
{
    if (!setup()) {
        return;
    }
    for (vm.step = 1; vm.step <= STEPS && !fz_failed; vm.step++) {
        uint32_t r = rnd() % 100;
        vm.op[0] = '\0';
        if (r < 16) {
            op_retype();
        } else if (r < 26) {
            op_copy();
        } else if (r < 36) {
            op_map_table();
        } else if (r < 41) {
            op_unmap_table();
        } else if (r < 61) {
            op_map_frame();
        } else if (r < 68) {
            op_unmap_frame(false);
        } else if (r < 72) {
            op_unmap_frame(true);
        } else if (r < 84) {
            op_delete();
        } else if (r < 87) {
            op_revoke();
        } else if (r < 88) {
            op_return_pool();
        } else if (r < 90) {
            op_root_attack();
        } else {
            op_touch_all();
        }
        if (!fz_failed) {
            judge();
        }
    }
    uint32_t steps = vm.step - 1;
    teardown();
    printf("fuzzer: vspace sequence: %lu steps, %lu calls, %lu probes (%lu faulted, "
           "%lu of unmapped addresses), %lu objects\n", (unsigned long)steps,
           (unsigned long)fz_calls, (unsigned long)probe_count, (unsigned long)probe_faults,
           (unsigned long)vm.stale_checks, (unsigned long)(vm.next_uid - 1));
}

