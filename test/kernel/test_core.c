/*
 * MP_: starting another core (KERNELCMD_START_CORE, kernel/core.c) and
 * what the memory it is given becomes (kernel/cap/given.c, rule 10 of
 * docs/safety.md). Run by `kernel-cores` on a machine of two or more
 * cores: every refused start changes nothing, and the one start that
 * works gives its RAM away for good: no ancestor can retype or revoke it
 * back, and the channel frame's memory stays pinned.
 */
#include <stdio.h>
#include <aos/caps.h>
#include <aos/syscalls.h>
#include <aos/core_channel.h>
#include <autarky/bootinfo.h>
#include "testing.h"

#define CORE_RAM      (8u << 20)
#define CHANNEL_BYTES (16u << 10)

static uint32_t ncores(void)
{
    return get_bootinfo()->ncores;
}

/* Every start that must be refused, each with its own error; afterwards
 * the RAM is still ours, whole, and the system has the same caps. */
static void start_core_refused(void)
{
    capaddr_t ram, small, frame, ep;
    cslot_t copy = scratch_slot(), weak = scratch_slot(), child = scratch_slot();
    cslot_t odd = scratch_slot(), nogrant = scratch_slot();
    uint32_t before;

    EXPECT(ncores() >= 2, "needs a machine of 2 cores or more, this one has %lu",
           (unsigned long)ncores());
    EXPECT_OK(scratch_object(ObjType_RAM, CORE_RAM, &ram));
    EXPECT_OK(scratch_object(ObjType_RAM, 1u << 20, &small));
    EXPECT_OK(scratch_object(ObjType_Frame, CHANNEL_BYTES, &frame));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    before = capcount();
    /* no such core, or the boot core itself */
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 0, ram, frame), SYS_ERR_CORE_INVALID);
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, ncores(), ram, frame), SYS_ERR_CORE_INVALID);
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 0xffffffffu, ram, frame), SYS_ERR_CORE_INVALID);
    /* the memory: not RAM, too small, not 1 MiB aligned */
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, frame, frame), SYS_ERR_WRONG_CAP_TYPE);
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, small, frame), SYS_ERR_CORE_RAM_SIZE);
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_RAM,
                         scratch_offset(2 * CORE_RAM, 1u << 20) + (64u << 10), CORE_RAM, 1,
                         SCRATCH_CNODE, odd));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, SCRATCH(odd), frame), SYS_ERR_CORE_RAM_SIZE);
    /* the memory is not only the caller's: a copy, a descendant, no REVOKE */
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, ram));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, ram, frame), SYS_ERR_RAM_GIVEN_IN_USE);
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, SCRATCH(copy), frame), SYS_ERR_RAM_GIVEN_IN_USE);
    EXPECT_EQ("live caps after refused starts", capcount(), before + 2);   /* odd, copy */
    EXPECT_OK(cap_delete(SCRATCH(copy)));
    EXPECT_OK(cap_retype(ram, ObjType_Frame, CORE_RAM - 4096, 4096, 1, SCRATCH_CNODE, child));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, ram, frame), SYS_ERR_RAM_GIVEN_IN_USE);
    EXPECT_OK(cap_delete(SCRATCH(child)));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, weak, ram, CAP_RIGHTS_ALL & ~CAP_RIGHT_REVOKE, 0));
    EXPECT_OK(cap_delete(ram));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, SCRATCH(weak), frame), SYS_ERR_NO_RIGHTS);
    EXPECT_OK(cap_copy(SCRATCH_CNODE, cptr_slot(ram), SCRATCH(weak)));
    EXPECT_OK(cap_delete(SCRATCH(weak)));
    EXPECT_OK(cap_revoke(SCRATCH_RAM));             /* a RAM cap with REVOKE again */
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_RAM, 0, CORE_RAM, 1, SCRATCH_CNODE,
                         cptr_slot(ram)));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, CORE_RAM, CHANNEL_BYTES, 1,
                         SCRATCH_CNODE, cptr_slot(frame)));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Endpoint, CORE_RAM + CHANNEL_BYTES,
                         OBJSIZE_ENDPOINT, 1, SCRATCH_CNODE, cptr_slot(ep)));
    before = capcount();
    /* the channel: not a frame, a frame without GRANT */
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, ram, ep), SYS_ERR_WRONG_CAP_TYPE);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, nogrant, frame, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, ram, SCRATCH(nogrant)), SYS_ERR_NO_RIGHTS);
    EXPECT_OK(cap_delete(SCRATCH(nogrant)));
    /* only the Kernel capability starts a core */
    EXPECT_ERR(kernel_start_core(ram, 1, ram, frame), SYS_ERR_ILLEGAL_INVOCATION);
    /* nothing changed: the RAM is still ours and whole */
    EXPECT_EQ("live caps after refused starts", capcount(), before);
    EXPECT_CAP(ram, ObjType_RAM, CAP_RIGHTS_ALL, scratch_ram_base(), CORE_RAM);
    EXPECT_OK(cap_retype(ram, ObjType_Frame, 0, CORE_RAM, 1, SCRATCH_CNODE, child));
}

/* Wait for the init of the core behind channel `ch` to say it is up. */
static bool core_came_up(const struct core_channel *ch)
{
    uint64_t deadline = counter_read() + CORE_UP_DEADLINE_TICKS;

    while (ch->up == 0 && counter_read() < deadline) {
        sys_yield();
    }
    return ch->up != 0;
}

/*
 * Core 1 starts in 8 MiB of a boot region (not the scratch's: that is
 * revoked after every case) and its init comes up. The memory is gone
 * for good: the region can neither retype the range nor revoke past it,
 * the channel frame's memory stays pinned after we delete our cap, and
 * the core cannot be started twice. Leaves 2 caps for good (testing_keep_caps):
 * the given RAM and the kernel's copy of the channel.
 */
static void start_core_gives_ram_for_good(void)
{
    const struct mem_region *r = spare_region(4 * CORE_RAM);
    cslot_t ram = scratch_slot(), frame = scratch_slot(), probe = scratch_slot();
    capaddr_t table;
    gensize_t ram_off, frame_off;
    struct capability_info ci;

    EXPECT(ncores() >= 2, "needs a machine of 2 cores or more");
    EXPECT(r != NULL, "no spare RAM region of %u MiB", 4 * CORE_RAM >> 20);
    ram_off = r->size - CORE_RAM;                   /* regions are naturally aligned */
    frame_off = ram_off - (1u << 20);
    EXPECT_OK(cap_retype(r->cap, ObjType_RAM, ram_off, CORE_RAM, 1, SCRATCH_CNODE, ram));
    EXPECT_OK(cap_retype(r->cap, ObjType_Frame, frame_off, CHANNEL_BYTES, 1, SCRATCH_CNODE,
                         frame));
    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(vnode_map(table, SCRATCH(frame), 0, VREGION_FLAGS_READ_WRITE, 0,
                        CHANNEL_BYTES / BASE_PAGE_SIZE));
    struct core_channel *ch = (struct core_channel *)TEST_VA(0);
    ch->up = 0;
    EXPECT_OK(kernel_start_core(CAP_KERNEL, 1, SCRATCH(ram), SCRATCH(frame)));
    testing_keep_caps(2);
    EXPECT_ERR(cap_identify(SCRATCH(ram), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT(core_came_up(ch), "core 1's init did not come up within 5 s");
    /* the RAM: the region cannot have it back */
    EXPECT_ERR(cap_retype(r->cap, ObjType_Frame, ram_off, 4096, 1, SCRATCH_CNODE, probe),
               SYS_ERR_RETYPE_OVERLAP);
    EXPECT_ERR(cap_retype(r->cap, ObjType_RAM, ram_off - CORE_RAM, 2 * CORE_RAM, 1,
                          SCRATCH_CNODE, probe), SYS_ERR_RETYPE_OVERLAP);
    /* a revoke of the region deletes what it can (our channel frame, met
     * first, and with it our mapping of it) and stops at the given RAM,
     * every time */
    EXPECT_OK(cap_identify(SCRATCH(frame), &ci));
    EXPECT_ERR(cap_revoke(r->cap), SYS_ERR_REVOKE_GIVEN_AWAY);
    EXPECT_ERR(cap_identify(SCRATCH(frame), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_revoke(r->cap), SYS_ERR_REVOKE_GIVEN_AWAY);
    /* the channel's memory stays pinned with our cap gone */
    EXPECT_ERR(cap_retype(r->cap, ObjType_Frame, frame_off, 4096, 1, SCRATCH_CNODE, probe),
               SYS_ERR_RETYPE_OVERLAP);
    /* once is all */
    EXPECT_OK(cap_retype(r->cap, ObjType_RAM, 0, CORE_RAM, 1, SCRATCH_CNODE, probe));
    EXPECT_OK(cap_retype(r->cap, ObjType_Frame, CORE_RAM, CHANNEL_BYTES, 1, SCRATCH_CNODE,
                         frame));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, SCRATCH(probe), SCRATCH(frame)),
               SYS_ERR_CORE_STARTED);
    EXPECT_OK(cap_delete(SCRATCH(frame)));
    EXPECT_OK(cap_delete(SCRATCH(probe)));
}

const struct test_case core_tests[] = {
    { "MP_START_CORE_REFUSED", start_core_refused },
    { "MP_START_CORE_GIVES_RAM_FOR_GOOD", start_core_gives_ram_for_good },
    TEST_CASES_END
};
