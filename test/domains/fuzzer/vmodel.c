/*
 * VSPACE_FUZZ_SEQ's model and oracle (vmodel.h): objects and capabilities
 * as the kernel's answers made them, the translation each address of the
 * windows must have, and the probes that check it.
 */
#include "vmodel.h"
#include <stdio.h>
#include <string.h>

struct vmodel vm;

static lvaddr_t va_of(int w, int e)
{
    return vm.win_base + (lvaddr_t)w * SECTION_SIZE + (lvaddr_t)e * BASE_PAGE_SIZE;
}

const char *kind_name(enum vkind kind)
{
    return kind == V_FRAME ? "frame" : kind == V_TABLE ? "table" : "CNode";
}

void model_reset(void)
{
    memset(&vm, 0, sizeof(vm));
    vm.next_uid = 1;
    vm.sample_window = -1;
    for (int w = 0; w < WINDOWS; w++) {
        vm.window[w] = -1;
    }
}

/* ---- the model ------------------------------------------------------------ */

/* A random live capability to an object of `kind` (V_NONE: any) for which
 * `want` holds (NULL: any), or -1. */
int pick(enum vkind kind, bool (*want)(int c))
{
    int cand[NCAPS], n = 0;

    for (int c = 1; c < NCAPS; c++) {
        if (vm.caps[c].live && (kind == V_NONE || obj_of(c)->kind == kind)
            && (want == NULL || want(c))) {
            cand[n++] = c;
        }
    }
    return n ? cand[rnd() % n] : -1;
}

/* Filters for pick: the capability's own mapping. */
bool is_mapped(int c)   { return vm.caps[c].mapped; }
bool is_unmapped(int c) { return !vm.caps[c].mapped; }
bool in_window(int c)   { return vm.caps[c].mapped && vm.caps[c].in_table < 0; }

/* A table capability not mapped itself whose table is mapped through
 * another: the way to map one table at a second L1 entry. */
bool copy_of_mapped(int c)
{
    for (int w = 0; w < WINDOWS && !vm.caps[c].mapped; w++) {
        if (vm.window[w] >= 0 && vm.caps[vm.window[w]].obj == vm.caps[c].obj) {
            return true;
        }
    }
    return false;
}

/* `count` consecutive empty sandbox slots from a random place, or -1. */
int free_slots(uint32_t count)
{
    uint32_t start = rnd();

    for (uint32_t t = 0; t < SLOTS - 1; t++) {
        uint32_t s = 1 + (start + t) % (SLOTS - 1), i;
        for (i = 0; i < count && s + i < SLOTS && !vm.caps[s + i].live; i++) {
        }
        if (i == count) {
            return (int)s;
        }
    }
    return -1;
}

/* An empty test root slot (its capability index), or -1. */
int free_root(void)
{
    for (int k = 0, r = (int)(rnd() % TEST_ROOTS); k < TEST_ROOTS; k++) {
        if (!vm.caps[SLOTS + (r + k) % TEST_ROOTS].live) {
            return SLOTS + (r + k) % TEST_ROOTS;
        }
    }
    return -1;
}

/* Object records left: a retype of more objects is not tried. */
uint32_t free_objs(void)
{
    uint32_t n = 0;
    for (int o = 0; o < MAX_OBJS; o++) {
        n += vm.objs[o].kind == V_NONE;
    }
    return n;
}

/* A record for an object the kernel just made: a fresh frame reads zero,
 * a fresh table maps nothing. Its index, or -1 when none is left. */
int obj_new(enum vkind kind, uint32_t offset, uint32_t size)
{
    for (int o = 0; o < MAX_OBJS; o++) {
        if (vm.objs[o].kind == V_NONE) {
            memset(&vm.objs[o], 0, sizeof(vm.objs[o]));
            vm.objs[o].kind = kind;
            vm.objs[o].uid = vm.next_uid++;
            vm.objs[o].offset = offset;
            vm.objs[o].size = size;
            vm.objs[o].pages = size / BASE_PAGE_SIZE;
            for (int i = 0; i < FRAME_MAX_PAGES; i++) {
                vm.objs[o].fresh[i] = true;
            }
            for (int e = 0; e < ENTRIES; e++) {
                vm.objs[o].entry[e] = -1;
            }
            return o;
        }
    }
    return -1;
}

/* Capability `c` now names object `o` with `rights`, unmapped. */
void cap_new(int c, int o, uint32_t rights)
{
    memset(&vm.caps[c], 0, sizeof(vm.caps[c]));
    vm.caps[c].live = true;
    vm.caps[c].obj = o;
    vm.caps[c].rights = rights;
    vm.caps[c].in_table = -1;
    vm.objs[o].ncaps++;
}

/* The live object overlapping [offset, offset + bytes) of the pool, or -1. */
int overlapping(uint32_t offset, uint32_t bytes)
{
    for (int o = 0; o < MAX_OBJS; o++) {
        if (vm.objs[o].kind != V_NONE && offset < vm.objs[o].offset + vm.objs[o].size
            && vm.objs[o].offset < offset + bytes) {
            return o;
        }
    }
    return -1;
}

/* The mapping capability `c` made is gone (none: nothing changes). */
void model_unmap(int c)
{
    struct vcap *k = &vm.caps[c];

    if (!k->mapped) {
        return;
    }
    if (obj_of(c)->kind == V_FRAME) {
        for (uint32_t i = 0; i < k->count; i++) {
            vm.objs[k->in_table].entry[k->entry + i] = -1;
        }
    } else {
        vm.window[k->entry] = -1;
    }
    k->mapped = false;
}

/* The last capability went: a table's frames are unmapped with it
 * (docs/safety.md rule 2); its memory may be retyped again. */
static void obj_die(int o)
{
    struct vobj *v = &vm.objs[o];

    if (v->kind == V_TABLE) {
        for (int e = 0; e < ENTRIES; e++) {
            if (v->entry[e] >= 0) {
                vm.caps[v->entry[e]].mapped = false;
                v->entry[e] = -1;
            }
        }
    }
    vm.freed[vm.freed_n % FREED_MEMORY].offset = v->offset;
    vm.freed[vm.freed_n % FREED_MEMORY].size = v->size;
    vm.freed_n++;
    v->kind = V_NONE;
}

/* Capability `c` was deleted: its mapping goes, and with its object's
 * last capability the object. */
void model_delete(int c)
{
    model_unmap(c);
    vm.caps[c].live = false;
    if (--obj_of(c)->ncaps == 0) {
        obj_die(vm.caps[c].obj);
    }
}

/* What (w, e) must translate to: 0 for a fault, else the frame's uid,
 * the page in it and whether it is writable (bit 1), with bit 0 set. */
static uint32_t expect_at(int w, int e, int *frame, uint32_t *page)
{
    int fc;
    uint32_t pg;

    if (vm.window[w] < 0 || (fc = obj_of(vm.window[w])->entry[e]) < 0) {
        return 0;
    }
    pg = vm.caps[fc].offset + (uint32_t)e - vm.caps[fc].entry;
    if (frame != NULL) {
        *frame = vm.caps[fc].obj;
        *page = pg;
    }
    return (obj_of(fc)->uid << 5) | (pg << 2)
           | ((vm.caps[fc].flags & VREGION_FLAGS_WRITE) ? 2u : 0u) | 1u;
}

/* ---- the oracle ----------------------------------------------------------- */

/* A page read through a mapping for the first time: all zero. */
static void check_fresh(lvaddr_t va, int o, uint32_t page)
{
    uint32_t v;

    for (uint32_t i = 1; i < PAGE_WORDS && !fz_failed; i++) {
        if (!probe_read(va + 4 * i, &v) || v != 0) {
            fz_fail("step %lu (%s): word %lu of fresh frame #%lu page %lu at 0x%08lx reads "
                    "0x%08lx, not zero", (unsigned long)vm.step, vm.op, (unsigned long)i,
                    (unsigned long)vm.objs[o].uid, (unsigned long)page,
                    (unsigned long)va, (unsigned long)v);
        }
    }
    vm.objs[o].fresh[page] = false;
}

/*
 * Probe (w, e) against the model: unmapped, a read must fault; mapped, it
 * must read what was last written to that page (a fresh page: zero
 * throughout), and a write must go through exactly when the mapping is
 * writable (it writes a new value, which every alias must then read).
 */
void check_va(int w, int e)
{
    lvaddr_t va = va_of(w, e);
    uint32_t page = 0, v;
    int o = -1;
    uint32_t code = expect_at(w, e, &o, &page);
    bool read = probe_read(va, &v);

    if (code == 0) {
        vm.stale_checks++;
        if (read && vm.gone[w][e].step != 0) {
            fz_fail("step %lu (%s): 0x%08lx still reads 0x%08lx after step %lu took frame "
                    "#%lu page %lu away: stale translation", (unsigned long)vm.step, vm.op,
                    (unsigned long)va, (unsigned long)v, (unsigned long)vm.gone[w][e].step,
                    (unsigned long)vm.gone[w][e].uid, (unsigned long)vm.gone[w][e].page);
        } else if (read) {
            fz_fail("step %lu (%s): 0x%08lx reads 0x%08lx, nothing was mapped there",
                    (unsigned long)vm.step, vm.op, (unsigned long)va, (unsigned long)v);
        }
        return;
    }
    struct vobj *f = &vm.objs[o];
    if (!read) {
        fz_fail("step %lu (%s): 0x%08lx faults, frame #%lu page %lu is mapped there",
                (unsigned long)vm.step, vm.op, (unsigned long)va, (unsigned long)f->uid,
                (unsigned long)page);
        return;
    }
    if (v != f->stamp[page]) {
        fz_fail("step %lu (%s): 0x%08lx reads 0x%08lx, frame #%lu page %lu holds 0x%08lx: "
                "the translation reaches other memory", (unsigned long)vm.step, vm.op,
                (unsigned long)va, (unsigned long)v, (unsigned long)f->uid,
                (unsigned long)page, (unsigned long)f->stamp[page]);
        return;
    }
    if (f->fresh[page]) {
        check_fresh(va, o, page);
    }
    if (code & 2u) {
        uint32_t s = rnd() | 1u;
        if (!probe_write(va, s)) {
            fz_fail("step %lu (%s): a write to 0x%08lx faults, it is mapped read-write",
                    (unsigned long)vm.step, vm.op, (unsigned long)va);
        }
        f->stamp[page] = s;
    } else if (probe_write(va, ~v)) {
        fz_fail("step %lu (%s): a write to 0x%08lx went through a read-only mapping",
                (unsigned long)vm.step, vm.op, (unsigned long)va);
    }
}

/*
 * After every step: each address whose answer the step changed is
 * probed (if it was ever mapped: the others fault before and after),
 * then 16 addresses of a table mapped for the first time, then four
 * addresses ever mapped, at random.
 */
void judge(void)
{
    for (int w = 0; w < WINDOWS && !fz_failed; w++) {
        for (int e = 0; e < ENTRIES && !fz_failed; e++) {
            uint32_t code = expect_at(w, e, NULL, NULL), old = vm.expect[w][e];
            if (code == old) {
                continue;
            }
            if (old != 0 && code == 0) {
                vm.gone[w][e].uid = old >> 5;
                vm.gone[w][e].page = (old >> 2) & 7u;
                vm.gone[w][e].step = vm.step;
            }
            vm.expect[w][e] = code;
            if (code != 0 && !vm.ever[w][e]) {
                vm.ever[w][e] = true;
                vm.ever_list[vm.ever_n++] = (uint16_t)(w * ENTRIES + e);
            }
            if (vm.ever[w][e]) {
                check_va(w, e);
            }
        }
    }
    for (int i = 0; i < 16 && vm.sample_window >= 0 && !fz_failed; i++) {
        check_va(vm.sample_window, (int)(rnd() % ENTRIES));
    }
    vm.sample_window = -1;
    for (int i = 0; i < 4 && vm.ever_n > 0 && !fz_failed; i++) {
        uint32_t k = vm.ever_list[rnd() % vm.ever_n];
        check_va((int)(k / ENTRIES), (int)(k % ENTRIES));
    }
}

/* A fresh CNode in test root slot `c`: every one of its slots is empty. */
void check_cnode_empty(int c)
{
    struct capability_info ci;
    cslot_t r = vm.test_root[c - SLOTS];

    for (uint32_t k = 0; k < L2_CNODE_SLOTS && !fz_failed; k++) {
        errval_t err = fz_call(cap_identify(CPTR(r, k), &ci), "identify");
        if (err_no(err) != SYS_ERR_SLOT_EMPTY) {
            fz_fail("step %lu (%s): slot %lu of CNode #%lu (pool 0x%lx) is not empty: %s %s",
                    (unsigned long)vm.step, vm.op, (unsigned long)k, (unsigned long)obj_of(c)->uid,
                    (unsigned long)obj_of(c)->offset, err_getcode(err_no(err)),
                    err_is_ok(err) ? fz_type_name(ci.type) : "");
        }
    }
}
