/*
 * A small cspace built with the real capability code inside the host arena,
 * reset before every test (cap_fixture.c):
 *
 *   fx.kslots[64]   kernel-owned slots (like a DCB's), fx.root = kslots[0]
 *   fx.root         L1 CNode, 256 slots, at FX_ROOT_PA
 *   fx.cn[0..3]     L2 CNodes in root slots 0..3 (cptr CPTR(i, slot))
 *   fx.ram          RAM cap of FX_RAM_SIZE bytes at FX_RAM_PA, in cn[0] slot 0
 */
#ifndef HOST_CAP_FIXTURE_H
#define HOST_CAP_FIXTURE_H

#include <CUnit/CUnit.h>
#include <kernel/cap.h>
#include <kernel/mdb.h>
#include <autarky/invocations.h>
#include <arch/memory.h>
#include "fake_kernel.h"

#define FX_KSLOTS_PA   0x40000000u
#define FX_ROOT_PA     0x40004000u
#define FX_CN_PA(i)    (0x40008000u + (i) * OBJSIZE_L2CNODE)
#define FX_NUM_CN      4
#define FX_RAM_PA      0x42000000u
#define FX_RAM_SIZE    (32u << 20)
#define FX_RAM_CPTR    CPTR(0, 0)
#define FX_DEV_PA      0x09000000u   /* outside the arena: must never be touched */

struct fixture {
    struct cte *kslots;
    struct cte *root;
    struct cte *cn[FX_NUM_CN];
    struct cte *ram;
    uint32_t baseline;       /* live caps right after set-up */
};

extern struct fixture fx;

/* CUnit per-test set-up: fresh arena, MDB, fakes and cspace. */
void fx_setup(void);

static inline struct cte *fx_slot(unsigned cn, cslot_t slot)
{
    return cnode_slot(fx.cn[cn], slot);
}

/* Retype fx.ram into cn[cn] slots [slot, slot + count). */
errval_t fx_retype(enum objtype type, gensize_t offset, gensize_t objsize,
                   uint32_t count, unsigned cn, cslot_t slot);
/* SYS_INVOKE with the fixture's root; *out (may be NULL) gets the registers. */
errval_t fx_invoke(capaddr_t cap, uint32_t cmd, uint32_t a1, uint32_t a2,
                   uint32_t a3, uint32_t a4, uint32_t a5,
                   struct arch_registers *out);

/* Whole-arena snapshot, for "an error changed nothing" checks. */
void fx_snapshot(void);
bool fx_unchanged(void);

#define ASSERT_ERR(expr, code) CU_ASSERT_EQUAL(err_no(expr), (code))
#define ASSERT_OK(expr)        ASSERT_ERR(expr, SYS_ERR_OK)
#define ASSERT_MDB()                                                         \
    do {                                                                     \
        const char *why_ = mdb_check_invariants();                           \
        if (why_ != NULL) {                                                  \
            fprintf(stderr, "\n  MDB invariant broken: %s\n", why_);         \
        }                                                                    \
        CU_ASSERT_PTR_NULL(why_);                                            \
    } while (0)
#define ASSERT_LIVE(delta) CU_ASSERT_EQUAL(caps_count_live(), fx.baseline + (delta))

#endif
