/*
 * The paging layer's bookkeeping (vspace/paging.c) for address spaces a
 * spawner builds for its children, against a fake kernel and a reference
 * model, the way init uses it: explicit mappings of frames over many 1 MiB
 * sections (each section an L2 table, each further table a copy of the
 * frame cap), unmaps, failures injected in the middle of a mapping, and
 * teardown (the child's memory revoked, then paging_state_forget).
 *
 * Two bugs of issue 13 live here: a mapping over more sections than the
 * shadow slab's reserve failed with LIB_ERR_PAGING_NO_METADATA (the slabs
 * were refilled only after a whole operation), and the copies of a frame
 * that did not come from the child's memory (a boot module's, shared by
 * every child of it) survived teardown while their slots were freed, so
 * the next user of such a slot got SYS_ERR_SLOT_IN_USE.
 *
 * After every step the fake kernel's page tables must equal the model's
 * mappings page for page, paging's shadows must agree with both, every
 * occupied slot must be accounted for, and after every teardown no free
 * slot of the slot allocator may hold a capability.
 */
#include "host_suite.h"
#include "fake_vspace.h"
#include <aos/caps.h>
#include <autarky/layout.h>
#include <stdlib.h>
#include <string.h>

#define NSTATES      3
#define MODULE_PAGES 8192               /* a 32 MiB "boot module" frame */

/* ---- the model ------------------------------------------------------------ */

#define WINDOW_BASE  0x00400000u        /* mappings go into [base, base + 48 MiB) */
#define WINDOW_PAGES (48u * 256)
#define MAX_MAPS     64
#define MAX_RAMS     512

struct mmap {
    lvaddr_t vaddr;
    uint32_t pages;
    uint32_t frame_obj, first_page;
    capaddr_t caller_cap;               /* the cap passed to the map call */
};

struct mstate {
    struct paging_state *st;
    capaddr_t l1;
    struct mmap maps[MAX_MAPS];
    uint32_t nmaps;
    capaddr_t rams[MAX_RAMS];           /* our RAM for its tables (ram_fn) */
    uint32_t nrams;
};

static struct mstate ms[NSTATES];
static capaddr_t module_frame = CPTR(FIXED_L1, 100);
static uint32_t module_obj;

/* ram_fn: RAM for a state's tables, from "the child's memory". */
static errval_t state_ram(void *ctx, capaddr_t *ret, gensize_t bytes)
{
    struct mstate *m = ctx;
    errval_t err;

    (void)bytes;
    if (countdown(&ram_fail_at) || m->nrams == MAX_RAMS) {
        return LIB_ERR_RAM_ALLOC;
    }
    err = slot_alloc(ret);
    if (err_is_ok(err)) {
        CU_ASSERT_EQUAL(slot_of(*ret)->kind, F_EMPTY);
        *slot_of(*ret) = (struct fcap){ .kind = F_RAM, .origin = (uint8_t)(m - ms + 1) };
        m->rams[m->nrams++] = *ret;
    }
    return err;
}

static void state_init(struct mstate *m)
{
    struct fcap *l1 = slot_of(m->l1);

    *l1 = (struct fcap){ .kind = F_L1, .obj = new_table(true) };
    CU_ASSERT_EQUAL_FATAL(paging_init_state(m->st, m->l1), SYS_ERR_OK);
    m->st->ram_fn = state_ram;
    m->st->ram_ctx = m;
    m->nmaps = 0;
    m->nrams = 0;
}

static bool overlaps(const struct mstate *m, lvaddr_t va, uint32_t pages)
{
    for (uint32_t i = 0; i < m->nmaps; i++) {
        const struct mmap *x = &m->maps[i];
        if (va < x->vaddr + x->pages * BASE_PAGE_SIZE
            && x->vaddr < va + pages * BASE_PAGE_SIZE) {
            return true;
        }
    }
    return false;
}

/* The model's pages of state m in the window: obj 0 where unmapped. */
static struct fentry model_pages[WINDOW_PAGES];

static void model_fill(const struct mstate *m)
{
    memset(model_pages, 0, sizeof(model_pages));
    for (uint32_t i = 0; i < m->nmaps; i++) {
        const struct mmap *x = &m->maps[i];
        uint32_t at = (uint32_t)((x->vaddr - WINDOW_BASE) / BASE_PAGE_SIZE);
        for (uint32_t p = 0; p < x->pages; p++) {
            model_pages[at + p] = (struct fentry){ x->frame_obj, x->first_page + p };
        }
    }
}

static uint32_t sections_of(lvaddr_t va, uint32_t pages)
{
    return L1_INDEX(va + pages * BASE_PAGE_SIZE - 1) - L1_INDEX(va) + 1;
}

static uint32_t count_occupied(void)
{
    uint32_t n = 0;
    for (int i = SA_FIRST; i < ROOT_SLOTS; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            n += cs[i][j].kind != F_EMPTY;
        }
    }
    return n;
}

/*
 * Kernel tables == model, paging's shadows == both, and every occupied
 * slot is one the model expects: per state its tables and table RAM, per
 * live mapping the caller's cap and a copy for each further section.
 * (Mismatches are counted and asserted once: this runs after every step.)
 */
static void check_all(void)
{
    uint32_t expect_slots = 0;

    for (int s = 0; s < NSTATES; s++) {
        struct mstate *m = &ms[s];
        struct ftable *l1 = tables[slot_of(m->l1)->obj];
        uint32_t bad_table = 0, bad_entry = 0, bad_shadow = 0;

        model_fill(m);
        for (uint32_t i = 0; i < VNODE_L1_USER_ENTRIES; i++) {
            struct paging_shadow *sh = m->st->l2[i];
            uint32_t t = l1->e[i].frame, in_section = 0;
            bad_table += (sh != NULL) != (t != 0);          /* a table iff a shadow */
            bad_table += (sh != NULL) != (paging_next_shadow(m->st, i) == i);
            if (sh == NULL || t == 0) {
                continue;
            }
            expect_slots++;                                 /* the table's cap */
            bad_table += slot_of(sh->table)->kind != F_L2 || slot_of(sh->table)->obj != t;
            bad_table += i < L1_INDEX(WINDOW_BASE)
                         || i >= L1_INDEX(WINDOW_BASE) + WINDOW_PAGES / VNODE_L2_ENTRIES;
            if (bad_table != 0) {
                break;
            }
            for (uint32_t j = 0; j < VNODE_L2_ENTRIES; j++) {
                struct fentry want = model_pages[(i - L1_INDEX(WINDOW_BASE))
                                                 * VNODE_L2_ENTRIES + j];
                struct fentry got = tables[t]->e[j];
                bad_entry += got.frame != want.frame
                             || (want.frame != 0 && got.page != want.page);
                bad_shadow += sh->frame[j] != (want.frame != 0 ? PAGING_FRAME_FOREIGN : 0);
                in_section += want.frame != 0;
            }
            bad_shadow += sh->mapped != in_section;
        }
        CU_ASSERT_EQUAL(bad_table, 0);
        CU_ASSERT_EQUAL(bad_entry, 0);
        CU_ASSERT_EQUAL(bad_shadow, 0);
        for (uint32_t i = 0; i < m->nmaps; i++) {
            expect_slots += sections_of(m->maps[i].vaddr, m->maps[i].pages);
        }
        expect_slots += m->nrams;
    }
    CU_ASSERT_EQUAL(count_occupied(), expect_slots);
}

/* No slot the allocator would hand out holds a capability. */
static void check_free_slots_empty(void)
{
    size_t n = slot_alloc_free_count();
    capaddr_t *got = malloc(n * sizeof(capaddr_t));
    size_t taken = 0;

    uint32_t occupied = 0, bad_free = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    while (taken < n && err_is_ok(slot_alloc(&got[taken]))) {
        occupied += slot_of(got[taken])->kind != F_EMPTY;
        taken++;
    }
    CU_ASSERT_EQUAL(taken, n);
    CU_ASSERT_EQUAL(occupied, 0);
    while (taken > 0) {
        bad_free += err_is_fail(slot_free(got[--taken]));
    }
    CU_ASSERT_EQUAL(bad_free, 0);
    free(got);
}

/* ---- operations ----------------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* A cap to map: a copy of the module frame (as spawn shares code), or a
 * frame of its own from the child's memory (as spawn copies data). */
static capaddr_t caller_cap(struct mstate *m, uint32_t pages, bool module,
                            uint32_t *obj, uint32_t *first_page)
{
    capaddr_t c;

    CU_ASSERT_EQUAL_FATAL(slot_alloc(&c), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(slot_of(c)->kind, F_EMPTY);
    if (module) {
        *slot_of(c) = *slot_of(module_frame);
        *obj = module_obj;
        *first_page = rnd(MODULE_PAGES - pages + 1);
    } else {
        *slot_of(c) = (struct fcap){ .kind = F_FRAME, .origin = (uint8_t)(m - ms + 1),
                                     .obj = next_frame_obj++, .pages = pages };
        *obj = slot_of(c)->obj;
        *first_page = 0;
    }
    return c;
}

static void drop_caller_cap(capaddr_t c)
{
    cap_delete(c);
    CU_ASSERT_EQUAL(slot_free(c), SYS_ERR_OK);
}

static void op_map(struct mstate *m, bool big, bool inject)
{
    uint32_t pages = big ? 256 + rnd(24 * 256) : 1 + rnd(64);
    uint32_t at = rnd(WINDOW_PAGES - pages + 1), obj, first;
    lvaddr_t va = WINDOW_BASE + at * BASE_PAGE_SIZE;
    bool module = rnd(2) == 0;
    bool clash = overlaps(m, va, pages);
    capaddr_t c;
    errval_t err;

    if (m->nmaps == MAX_MAPS) {
        return;
    }
    c = caller_cap(m, pages, module, &obj, &first);
    if (inject) {
        switch (rnd(3)) {
        case 0: map_fail_at = 1 + (int)rnd(sections_of(va, pages) + 1); break;
        case 1: copy_fail_at = 1 + (int)rnd(sections_of(va, pages)); break;
        default: ram_fail_at = 1 + (int)rnd(2); break;
        }
    }
    err = paging_map_fixed_offset(m->st, va, c, (size_t)first * BASE_PAGE_SIZE,
                                  pages * BASE_PAGE_SIZE, VREGION_FLAGS_READ);
    bool injected = inject && map_fail_at == 0 && copy_fail_at == 0 && ram_fail_at == 0;
    map_fail_at = copy_fail_at = ram_fail_at = 0;
    if (clash || injected) {
        CU_ASSERT_TRUE(err_is_fail(err));
    } else {
        CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
    }
    if (err_is_ok(err)) {
        m->maps[m->nmaps++] = (struct mmap){ va, pages, obj, first, c };
    } else {
        drop_caller_cap(c);
    }
}

static void op_unmap(struct mstate *m)
{
    if (m->nmaps == 0) {
        CU_ASSERT_EQUAL(paging_unmap(m->st, (void *)WINDOW_BASE), LIB_ERR_PAGING_NOT_MAPPED);
        return;
    }
    uint32_t i = rnd(m->nmaps);
    struct mmap x = m->maps[i];

    CU_ASSERT_EQUAL(paging_unmap(m->st, (void *)(uintptr_t)x.vaddr), SYS_ERR_OK);
    CU_ASSERT_FALSE(slot_of(x.caller_cap)->mapped);
    drop_caller_cap(x.caller_cap);
    m->maps[i] = m->maps[--m->nmaps];
}

/* The child ends: its memory is revoked (everything made from it, in any
 * slot, is deleted), the spawner forgets the state and deletes its own
 * slots (spawn_cleanup's order). */
static void op_teardown(struct mstate *m)
{
    uint8_t origin = (uint8_t)(m - ms + 1);

    for (int i = 0; i < ROOT_SLOTS; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            if (cs[i][j].kind != F_EMPTY && cs[i][j].origin == origin) {
                cap_delete(CPTR(i, j));
            }
        }
    }
    paging_state_forget(m->st);
    for (uint32_t i = 0; i < m->nmaps; i++) {
        drop_caller_cap(m->maps[i].caller_cap);
    }
    for (uint32_t i = 0; i < m->nrams; i++) {
        CU_ASSERT_EQUAL(slot_of(m->rams[i])->kind, F_EMPTY);
        CU_ASSERT_EQUAL(slot_free(m->rams[i]), SYS_ERR_OK);
    }
    /* the L1 table is the child's too: nothing may be left in it */
    struct ftable *l1 = tables[slot_of(m->l1)->obj];
    for (uint32_t i = 0; i < VNODE_L1_USER_ENTRIES; i++) {
        CU_ASSERT_EQUAL(l1->e[i].frame, 0);
    }
    cap_delete(m->l1);
    check_free_slots_empty();
    state_init(m);
}

/* ---- the tests ------------------------------------------------------------ */

static int paging_suite_init(void)
{
    memset(cs, 0, sizeof(cs));
    return err_is_ok(slot_alloc_init_ops(&fake_sa_ops, CPTR_L1_SLOT, SA_FIRST, SA_FIRST + 1,
                                         ROOT_SLOTS)) ? 0 : 1;
}

/* The states are empty after the last test (all torn down): only our
 * memory is left to free. */
static int paging_suite_cleanup(void)
{
    for (int s = 0; s < NSTATES; s++) {
        free(ms[s].st);
        ms[s].st = NULL;
    }
    for (uint32_t t = 0; t < MAX_TABLES; t++) {
        free(tables[t]);
        tables[t] = NULL;
    }
    return 0;
}

static void setup_states(void)
{
    module_obj = next_frame_obj++;
    *slot_of(module_frame) = (struct fcap){ .kind = F_FRAME, .obj = module_obj,
                                            .pages = MODULE_PAGES };
    for (int s = 0; s < NSTATES; s++) {
        if (ms[s].st == NULL) {
            ms[s].st = malloc(sizeof(struct paging_state));
            ms[s].l1 = CPTR(FIXED_L1, s);
            state_init(&ms[s]);
        }
    }
}

/* One mapping of 24 sections: more tables than the shadow slab's reserve
 * holds, which used to fail with LIB_ERR_PAGING_NO_METADATA. */
static void test_map_over_many_sections(void)
{
    struct mstate *m = &ms[0];
    uint32_t obj, first;
    errval_t err;
    capaddr_t c;

    setup_states();
    c = caller_cap(m, 24 * 256, true, &obj, &first);
    err = paging_map_fixed_offset(m->st, WINDOW_BASE + 0x3000, c,
                                  (size_t)first * BASE_PAGE_SIZE, 24 * 256 * BASE_PAGE_SIZE,
                                  VREGION_FLAGS_READ);
    CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
    if (err_is_ok(err)) {
        m->maps[m->nmaps++] = (struct mmap){ WINDOW_BASE + 0x3000, 24 * 256, obj, first, c };
    } else {
        drop_caller_cap(c);
    }
    check_all();
    op_teardown(m);
    check_all();
}

/* A module frame mapped over two sections (so one copy is ours), then the
 * child torn down: the copy must go, not only its slot. */
static void test_teardown_deletes_module_copies(void)
{
    struct mstate *m = &ms[1];
    uint32_t obj, first, before = count_occupied();
    errval_t err;
    capaddr_t c;

    setup_states();
    c = caller_cap(m, 300, true, &obj, &first);
    err = paging_map_fixed_offset(m->st, WINDOW_BASE + 0xf0000, c,
                                  (size_t)first * BASE_PAGE_SIZE, 300 * BASE_PAGE_SIZE,
                                  VREGION_FLAGS_READ);
    CU_ASSERT_EQUAL(err_no(err), SYS_ERR_OK);
    if (err_is_ok(err)) {
        m->maps[m->nmaps++] = (struct mmap){ WINDOW_BASE + 0xf0000, 300, obj, first, c };
    } else {
        drop_caller_cap(c);
    }
    check_all();
    op_teardown(m);
    CU_ASSERT_EQUAL(count_occupied(), before);
    check_all();
}

/* A random mix on three states, each step checked against the model. */
static void test_random_against_model(void)
{
    setup_states();
    rng_state = 13;
    for (int step = 0; step < 6000; step++) {
        struct mstate *m = &ms[rnd(NSTATES)];
        uint32_t r = rnd(100);
        if (r < 45) {
            op_map(m, false, false);
        } else if (r < 55) {
            op_map(m, true, false);
        } else if (r < 65) {
            op_map(m, rnd(2) == 0, true);
        } else if (r < 95) {
            op_unmap(m);
        } else {
            op_teardown(m);
        }
        check_all();
    }
    for (int s = 0; s < NSTATES; s++) {
        op_teardown(&ms[s]);
    }
    check_all();
    CU_ASSERT_EQUAL(count_occupied(), 0);
    CU_ASSERT_EQUAL(lock_misuse, 0);
}

HOST_SUITE(paging_suite, "paging: a spawner's mappings and teardown against a model",
           paging_suite_init, paging_suite_cleanup, NULL,
           HOST_TEST(test_map_over_many_sections),
           HOST_TEST(test_teardown_deletes_module_copies),
           HOST_TEST(test_random_against_model))
