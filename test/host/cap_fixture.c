/*
 * The per-test cspace (see cap_fixture.h), built only with the public
 * capability API so that set-up itself exercises it.
 */
#include "cap_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture fx;

static unsigned char *snapshot;
static uint32_t snapshot_live;

static void must(errval_t err, const char *what)
{
    if (err_is_fail(err)) {
        fprintf(stderr, "fixture: %s failed (code %u)\n", what, (unsigned)err_no(err));
        abort();
    }
}

void fx_setup(void)
{
    memset(host_phys_arena, 0, HOST_PHYS_SIZE);
    mdb_reset();
    fake_reset();
    fx.kslots = pa_to_kva(FX_KSLOTS_PA);
    fx.root = &fx.kslots[0];
    must(caps_create_boot(fx.root, ObjType_L1CNode, FX_ROOT_PA, OBJSIZE_L1CNODE_MIN,
                          CAP_RIGHTS_ALL), "root CNode");
    for (unsigned i = 0; i < FX_NUM_CN; i++) {
        fx.cn[i] = cnode_slot(fx.root, i);
        must(caps_create_boot(fx.cn[i], ObjType_L2CNode, FX_CN_PA(i),
                              OBJSIZE_L2CNODE, CAP_RIGHTS_ALL), "L2 CNode");
    }
    fx.ram = fx_slot(0, 0);
    must(caps_create_boot(fx.ram, ObjType_RAM, FX_RAM_PA, FX_RAM_SIZE,
                          CAP_RIGHTS_ALL), "RAM");
    fx.baseline = caps_count_live();
}

errval_t fx_retype(enum objtype type, gensize_t offset, gensize_t objsize,
                   uint32_t count, unsigned cn, cslot_t slot)
{
    return caps_retype(fx.ram, type, offset, objsize, count, fx.cn[cn], slot);
}

errval_t fx_invoke(capaddr_t cap, uint32_t cmd, uint32_t a1, uint32_t a2,
                   uint32_t a3, uint32_t a4, uint32_t a5,
                   struct arch_registers *out)
{
    struct arch_registers regs;
    errval_t err;

    memset(&regs, 0, sizeof(regs));
    regs.r[1] = cap;
    regs.r[2] = cmd;
    regs.r[3] = a1;
    regs.r[4] = a2;
    regs.r[5] = a3;
    regs.r[6] = a4;
    regs.r[7] = a5;
    err = sys_invoke(fx.root, &regs);
    if (out != NULL) {
        *out = regs;
    }
    return err;
}

void fx_snapshot(void)
{
    if (snapshot == NULL) {
        snapshot = malloc(HOST_PHYS_SIZE);
        if (snapshot == NULL) {
            abort();
        }
    }
    memcpy(snapshot, host_phys_arena, HOST_PHYS_SIZE);
    snapshot_live = caps_count_live();
}

bool fx_unchanged(void)
{
    return snapshot != NULL && snapshot_live == caps_count_live()
        && memcmp(snapshot, host_phys_arena, HOST_PHYS_SIZE) == 0;
}
