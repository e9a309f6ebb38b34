/*
 * This CPU driver's core, and starting the others (kernel/include/kernel/
 * core.h, docs/multikernel.md).
 *
 * Every variable here is this core's own (the CPU driver's private
 * section): core 0 sets them at boot, another core from the parameters
 * core 0 wrote into its copy before starting it.
 */
#include <kernel/core.h>
#include <kernel/mdb.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/startup.h>
#include <kernel/syscall.h>
#include <kernel/dispatcher.h>
#include <kernel/doorbell.h>
#include <arch/memory.h>

static uint32_t this_core, cores;
static struct dcb *root_dcb;
static struct kernel_shared *shared;
static bool started[MAX_CORES];                 /* core 0: cores it has started */

_Static_assert(sizeof(struct kernel_shared) <= KERNEL_SHARED_BYTES,
              "the memory the cores share: KERNEL_SHARED_BYTES (startup.c)");

/* Written by core 0 into a new core's copy of this variable (smp.c). */
struct core_boot_params core_boot_params;

uint32_t core_id(void)
{
    return this_core;
}

uint32_t core_count(void)
{
    return cores;
}

struct kernel_shared *kernel_shared(void)
{
    return shared;
}

const struct core_boot_params *core_params(void)
{
    return this_core == 0 ? NULL : &core_boot_params;
}

void core_init_boot(uint32_t ncores, struct kernel_shared *s)
{
    this_core = 0;
    cores = ncores > MAX_CORES ? MAX_CORES : ncores;
    shared = s;
    started[0] = true;
    __atomic_fetch_or(&shared->cores_up, 1u, __ATOMIC_SEQ_CST);
}

void core_init_secondary(const struct core_boot_params *p)
{
    this_core = p->core_id;
    cores = p->ncores;
    shared = pa_to_kva(p->shared_pa);
    __atomic_fetch_or(&shared->cores_up, 1u << this_core, __ATOMIC_SEQ_CST);
}

/*
 * The memory a new core gets: RAM its holder can give away for good
 * (caps_give_away checks that), 1 MiB aligned (its first MiB becomes the
 * CPU driver's section) and at least CORE_MIN_RAM.
 */
#define CORE_MIN_RAM (4u << 20)

static errval_t core_check_ram(const struct cte *ram)
{
    if (ram->cap.type != ObjType_RAM) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if (ram->cap.base % SECTION_SIZE != 0 || ram->cap.size < CORE_MIN_RAM) {
        return SYS_ERR_CORE_RAM_SIZE;
    }
    return SYS_ERR_OK;
}

errval_t core_start(uint32_t id, struct cte *ram, struct cte *channel)
{
    struct core_boot_params p;
    errval_t err;

    if (this_core != 0) {
        return SYS_ERR_CORE_NOT_BOOT;
    }
    if (id == 0 || id >= cores) {
        return SYS_ERR_CORE_INVALID;
    }
    if (started[id]) {
        return SYS_ERR_CORE_STARTED;
    }
    err = core_check_ram(ram);
    if (err_is_ok(err)) {
        err = caps_give_away_check(ram);
    }
    if (err_is_fail(err)) {
        return err;
    }
    if (channel->cap.type != ObjType_Frame) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if (!(channel->cap.rights & CAP_RIGHT_GRANT)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (caps_given_free() < 2) {
        return SYS_ERR_RAM_GIVEN_FULL;
    }
    memset(&p, 0, sizeof(p));
    p.core_id = id;
    p.ncores = cores;
    p.image_pa = ram->cap.base;
    p.ram_base = ram->cap.base + SECTION_SIZE;
    p.ram_size = ram->cap.size - SECTION_SIZE;
    p.shared_pa = kva_to_pa(shared);
    p.channel_pa = channel->cap.base;
    p.channel_size = channel->cap.size;
    syscall_ram_range(&p.machine_ram_base, &p.machine_ram_end);
    p.n_modules = startup_module_frames(p.module_pa, BOOTINFO_MAX_MODULES);
    err = arch_start_core(&p);
    if (err_is_fail(err)) {
        return err;
    }
    started[id] = true;
    caps_give_away(ram);                /* checked above: the new core's now */
    return caps_share_for_good(channel);
}

void core_set_root(struct dcb *dcb)
{
    root_dcb = dcb;
}

bool core_is_root(const struct dcb *dcb)
{
    return dcb == root_dcb && dcb != NULL;
}

void core_root_doorbell(uint32_t doorbell)
{
    shared->root_doorbell[this_core] = doorbell;
}

/* Our first domain is dead: nobody manages this core's domains any more.
 * Tell every other core's first domain (bounded: one ring per core). */
void core_root_died(void)
{
    __atomic_fetch_or(&shared->cores_down, 1u << this_core, __ATOMIC_SEQ_CST);
    for (uint32_t c = 0; c < cores; c++) {
        uint32_t doorbell = shared->root_doorbell[c];
        if (c != this_core && doorbell != 0) {
            doorbell_ring(c, doorbell);
        }
    }
}

errval_t core_kill_root(uint32_t core)
{
    if (core >= cores || core == this_core) {
        return SYS_ERR_CORE_INVALID;
    }
    __atomic_fetch_or(&shared->kill_root_request, 1u << core, __ATOMIC_SEQ_CST);
    doorbell_ring(core, 0);             /* doorbell 0: the kernel's own */
    return SYS_ERR_OK;
}

void core_take_kill_request(void)
{
    uint32_t bit = 1u << this_core;

    if ((__atomic_fetch_and(&shared->kill_root_request, ~bit, __ATOMIC_SEQ_CST) & bit)
        && root_dcb != NULL && root_dcb->state != DCB_KILLED && root_dcb->state != DCB_EMPTY) {
        dispatcher_kill(root_dcb, "killed on a debug request of another core", 0, 0);
    }
}

/*
 * Take a free gift entry (compare-and-swap: any core may be giving at the
 * same time); NULL if all CORE_GIFTS are on their way.
 */
static struct core_gift *gift_take(uint32_t *id)
{
    for (uint32_t i = 0; i < CORE_GIFTS; i++) {
        uint32_t expect = GIFT_FREE;
        if (__atomic_compare_exchange_n(&shared->gifts[i].state, &expect, GIFT_FILLING, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            *id = i;
            return &shared->gifts[i];
        }
    }
    return NULL;
}

/*
 * The memory leaves this core for good (caps_give_away, rule 10), then
 * the gift is published: its fields, a release, GIVEN. Nothing changes on
 * an error.
 */
errval_t core_give_ram(struct cte *ram, uint32_t to, uint32_t *gift)
{
    struct core_gift *g;
    errval_t err;

    if (to >= cores || to == this_core) {
        return SYS_ERR_CORE_INVALID;
    }
    err = caps_give_away_check(ram);
    if (err_is_fail(err)) {
        return err;
    }
    g = gift_take(gift);
    if (g == NULL) {
        return SYS_ERR_GIFTS_FULL;
    }
    g->to = to;
    g->base = ram->cap.base;
    g->size = ram->cap.size;
    caps_give_away(ram);
    __atomic_store_n(&g->state, GIFT_GIVEN, __ATOMIC_RELEASE);
    return SYS_ERR_OK;
}

/*
 * Only a gift for this core, published (GIVEN), is claimed, and only
 * once: the entry goes back to FREE by compare-and-swap before the RAM
 * capability is made, so two claims of it cannot both succeed.
 */
errval_t core_claim_ram(uint32_t id, struct cte *dest)
{
    struct core_gift *g;
    uint32_t expect = GIFT_GIVEN;
    lpaddr_t base;
    gensize_t size;

    if (id >= CORE_GIFTS) {
        return SYS_ERR_GIFT_INVALID;
    }
    g = &shared->gifts[id];
    if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != GIFT_GIVEN || g->to != this_core) {
        return SYS_ERR_GIFT_INVALID;
    }
    base = g->base;
    size = g->size;
    if (!__atomic_compare_exchange_n(&g->state, &expect, GIFT_FREE, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED)) {
        return SYS_ERR_GIFT_INVALID;
    }
    return caps_create_boot(dest, ObjType_RAM, base, size, CAP_RIGHTS_ALL);
}
