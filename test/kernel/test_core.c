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
#define CHANNEL_BYTES CORE_CHANNEL_BYTES

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

/* Where core `core` starts: 8 MiB of the spare region's top, a channel
 * frame 1 MiB below (each core its own range). */
struct core_place {
    const struct mem_region *region;
    gensize_t ram_off, frame_off;
};

static bool core_place(uint32_t core, struct core_place *pl)
{
    pl->region = spare_region(8 * CORE_RAM);
    if (pl->region == NULL) {
        return false;
    }
    pl->ram_off = pl->region->size - 2 * core * CORE_RAM;   /* regions are naturally aligned */
    pl->frame_off = pl->ram_off - (1u << 20);
    return true;
}

/*
 * Start core `core` in its place, its channel frame in scratch slot
 * `frame` mapped at TEST_VA(0), our doorbell in the channel; wait for its
 * init. Leaves 2 caps for good (testing_keep_caps): the given RAM and the
 * kernel's copy of the channel.
 */
static errval_t start_core_at(uint32_t core, const struct core_place *pl, cslot_t ram,
                              cslot_t frame, struct core_channel **ret)
{
    struct core_channel *ch = (struct core_channel *)TEST_VA(0);
    capaddr_t table;
    uint32_t doorbell;
    errval_t err = cap_retype(pl->region->cap, ObjType_RAM, pl->ram_off, CORE_RAM, 1,
                              SCRATCH_CNODE, ram);

    if (err_is_ok(err)) {
        err = cap_retype(pl->region->cap, ObjType_Frame, pl->frame_off, CHANNEL_BYTES, 1,
                         SCRATCH_CNODE, frame);
    }
    if (err_is_ok(err)) {
        err = scratch_l2_table(0, &table);
    }
    if (err_is_ok(err)) {
        err = vnode_map(table, SCRATCH(frame), 0, VREGION_FLAGS_READ_WRITE, 0,
                        CHANNEL_BYTES / BASE_PAGE_SIZE);
    }
    if (err_is_ok(err)) {
        err = disp_doorbell(CAP_DISPATCHER, &doorbell);
    }
    if (err_is_fail(err)) {
        return err;
    }
    ch->up = 0;
    ch->doorbell_core0 = doorbell;
    err = kernel_start_core(CAP_KERNEL, core, SCRATCH(ram), SCRATCH(frame));
    if (err_is_ok(err)) {
        testing_keep_caps(2);
        *ret = ch;
    }
    return err;
}

/*
 * Core 1 starts in 8 MiB of a boot region (not the scratch's: that is
 * revoked after every case) and its init comes up. The memory is gone
 * for good: the region can neither retype the range nor revoke past it,
 * the channel frame's memory stays pinned after we delete our cap, and
 * the core cannot be started twice.
 */
static void start_core_gives_ram_for_good(void)
{
    struct core_place pl;
    cslot_t ram = scratch_slot(), frame = scratch_slot(), probe = scratch_slot();
    struct core_channel *ch;
    struct capability_info ci;

    EXPECT(ncores() >= 2, "needs a machine of 2 cores or more");
    EXPECT(core_place(1, &pl), "no spare RAM region of %u MiB", 8 * CORE_RAM >> 20);
    EXPECT_OK(start_core_at(1, &pl, ram, frame, &ch));
    EXPECT_ERR(cap_identify(SCRATCH(ram), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT(core_came_up(ch), "core 1's init did not come up within 5 s");
    /* the RAM: the region cannot have it back */
    EXPECT_ERR(cap_retype(pl.region->cap, ObjType_Frame, pl.ram_off, 4096, 1, SCRATCH_CNODE,
                          probe), SYS_ERR_RETYPE_OVERLAP);
    EXPECT_ERR(cap_retype(pl.region->cap, ObjType_RAM, pl.ram_off - CORE_RAM, 2 * CORE_RAM, 1,
                          SCRATCH_CNODE, probe), SYS_ERR_RETYPE_OVERLAP);
    /* a revoke of the region deletes what it can (our channel frame, met
     * first, and with it our mapping of it) and stops at the given RAM,
     * every time */
    EXPECT_OK(cap_identify(SCRATCH(frame), &ci));
    EXPECT_ERR(cap_revoke(pl.region->cap), SYS_ERR_REVOKE_GIVEN_AWAY);
    EXPECT_ERR(cap_identify(SCRATCH(frame), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_revoke(pl.region->cap), SYS_ERR_REVOKE_GIVEN_AWAY);
    /* the channel's memory stays pinned with our cap gone */
    EXPECT_ERR(cap_retype(pl.region->cap, ObjType_Frame, pl.frame_off, 4096, 1, SCRATCH_CNODE,
                          probe), SYS_ERR_RETYPE_OVERLAP);
    /* once is all */
    EXPECT_OK(cap_retype(pl.region->cap, ObjType_RAM, 0, CORE_RAM, 1, SCRATCH_CNODE, probe));
    EXPECT_OK(cap_retype(pl.region->cap, ObjType_Frame, CORE_RAM, CHANNEL_BYTES, 1,
                         SCRATCH_CNODE, frame));
    EXPECT_ERR(kernel_start_core(CAP_KERNEL, 1, SCRATCH(probe), SCRATCH(frame)),
               SYS_ERR_CORE_STARTED);
    EXPECT_OK(cap_delete(SCRATCH(frame)));
    EXPECT_OK(cap_delete(SCRATCH(probe)));
}

#define PINGS 100

/*
 * Core 2's init, blocked in SYS_WAIT, is woken only by a ring of its
 * doorbell; it answers each ping and rings ours, which wakes us from
 * SYS_WAIT in turn. 100 round trips, each answer exactly the ping sent.
 * Prints the mean cost of a round trip (a figure, not a verdict).
 */
static void doorbell_ping_pong(void)
{
    struct core_place pl;
    cslot_t ram = scratch_slot(), frame = scratch_slot(), ring = scratch_slot();
    cslot_t ro_disp = scratch_slot();
    struct core_channel *ch;
    uint32_t db, again;
    uint64_t start;

    EXPECT(ncores() >= 3, "needs a machine of 3 cores or more");
    EXPECT(core_place(2, &pl), "no spare RAM region");
    EXPECT_OK(start_core_at(2, &pl, ram, frame, &ch));
    EXPECT(core_came_up(ch), "core 2's init did not come up within 5 s");
    EXPECT(ch->doorbell >= 1 && ch->doorbell < 1024, "core 2's doorbell %lu",
           (unsigned long)ch->doorbell);
    /* an IPI cap for a core or doorbell that does not exist */
    EXPECT_ERR(kernel_create_ipi(CAP_KERNEL, SCRATCH(ring), ncores(), ch->doorbell),
               SYS_ERR_IPI_INVALID);
    EXPECT_ERR(kernel_create_ipi(CAP_KERNEL, SCRATCH(ring), 2, 0), SYS_ERR_IPI_INVALID);
    EXPECT_ERR(kernel_create_ipi(CAP_KERNEL, SCRATCH(ring), 2, 1024), SYS_ERR_IPI_INVALID);
    EXPECT_ERR(kernel_create_ipi(SCRATCH_RAM, SCRATCH(ring), 2, ch->doorbell),
               SYS_ERR_ILLEGAL_INVOCATION);
    /* doorbells come only through the Kernel cap, for a Dispatcher with WRITE */
    EXPECT_ERR(disp_doorbell(SCRATCH_RAM, &db), SYS_ERR_WRONG_CAP_TYPE);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_disp, CAP_DISPATCHER, CAP_RIGHT_READ, 0));
    EXPECT_ERR(disp_doorbell(SCRATCH(ro_disp), &db), SYS_ERR_NO_RIGHTS);
    EXPECT_OK(disp_doorbell(CAP_DISPATCHER, &db));
    EXPECT_OK(disp_doorbell(CAP_DISPATCHER, &again));
    EXPECT_EQ("a dispatcher's doorbell, asked twice", again, db);
    EXPECT_OK(kernel_create_ipi(CAP_KERNEL, SCRATCH(ring), 2, ch->doorbell));
    EXPECT_CAP(SCRATCH(ring), ObjType_IPI, CAP_RIGHTS_ALL, IPI_BASE(2, ch->doorbell), 0);
    start = counter_read();
    for (uint32_t i = 1; i <= PINGS; i++) {
        ch->ping = i;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        EXPECT_OK(ipi_notify(SCRATCH(ring)));
        while (ch->pong != i) {
            EXPECT(ch->pong == i - 1, "pong %lu after ping %lu", (unsigned long)ch->pong,
                   (unsigned long)i);
            EXPECT_OK(sys_wait());      /* only core 2's ring wakes us */
        }
    }
    printf("mp: doorbell round trip core 0 <-> core 2: %llu ticks (%llu instructions "
           "under -icount)\n", (unsigned long long)((counter_read() - start) / PINGS),
           (unsigned long long)((counter_read() - start) * 16 / PINGS));
}

const struct test_case core_tests[] = {
    { "MP_START_CORE_REFUSED", start_core_refused },
    { "MP_START_CORE_GIVES_RAM_FOR_GOOD", start_core_gives_ram_for_good },
    { "MP_DOORBELL_PING_PONG", doorbell_ping_pong },
    TEST_CASES_END
};
