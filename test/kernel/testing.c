/*
 * The test framework of init's boot-time kernel tests (see testing.h and
 * docs/testing.md): running cases, the scratch area, leak checks, the
 * exception handler and the fault probes.
 */
#include "testing.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <aos/syscalls.h>

struct fault_log fault_log;

static bool faults_armed;
static char failure[256];          /* first failure of the running case */
static uint32_t passed, failed;

static struct {
    capaddr_t region;              /* boot RAM region the scratch RAM came from */
    gensize_t region_size;
    lpaddr_t base;                 /* physical base of the scratch RAM */
    gensize_t next_offset;         /* bump allocator, reset per case */
    cslot_t next_slot;             /* next scratch slot, reset per case */
    uint32_t baseline_capcount;    /* live caps with the scratch RAM in place */
    uint32_t boot_capcount;        /* live caps before testing_init */
    uint64_t boot_free_ram;        /* sum of the boot RAM regions' sizes */
    gensize_t size;                /* of the scratch RAM (SCRATCH_RAM_SIZE by default) */
} scratch;

const char *errname(errval_t err)
{
    return err_getcode(err_no(err));
}

void test_fail(const char *fmt, ...)
{
    va_list ap;

    if (failure[0] != '\0') {
        return;                    /* keep the first failure */
    }
    va_start(ap, fmt);
    vsnprintf(failure, sizeof(failure), fmt, ap);
    va_end(ap);
    if (failure[0] == '\0') {
        strcpy(failure, "(no message)");
    }
}

uint32_t testing_failed(void)
{
    return failed;
}

uint32_t capcount(void)
{
    uint32_t n = 0;
    errval_t err = kernel_capcount(CAP_KERNEL, &n);

    if (err_is_fail(err)) {
        test_fail("kernel_capcount: %s", errname(err));
    }
    return n;
}

/* ---- scratch area ---- */

lpaddr_t scratch_ram_base(void)
{
    return scratch.base;
}

cslot_t scratch_slot(void)
{
    if (scratch.next_slot >= L2_CNODE_SLOTS) {
        test_fail("out of scratch slots");
        return L2_CNODE_SLOTS - 1;
    }
    return scratch.next_slot++;
}

gensize_t scratch_offset(gensize_t size, gensize_t align)
{
    gensize_t off = ROUND_UP(scratch.next_offset, align);

    if (off + size > scratch.size || off + size < off) {
        test_fail("out of scratch RAM (%lu bytes wanted)", (unsigned long)size);
        return scratch.size;       /* retype will fail with INVALID_OFFSET */
    }
    scratch.next_offset = off + size;
    return off;
}

errval_t scratch_objects(enum objtype type, gensize_t objsize, uint32_t count,
                         capaddr_t *first)
{
    gensize_t align = objsize < BASE_PAGE_SIZE ? objsize : BASE_PAGE_SIZE;
    cslot_t slot;

    if (type == ObjType_L1CNode || type == ObjType_L2CNode || type == ObjType_VNode_L1) {
        align = OBJSIZE_L2CNODE;   /* 16 KiB */
    }
    slot = scratch_slot();
    for (uint32_t i = 1; i < count; i++) {
        scratch_slot();
    }
    *first = SCRATCH(slot);
    return cap_retype(SCRATCH_RAM, type, scratch_offset(objsize * count, align),
                      objsize, count, SCRATCH_CNODE, slot);
}

errval_t scratch_l2_table(uint32_t index, capaddr_t *table)
{
    errval_t err = scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, table);

    if (err_is_fail(err)) {
        return err;
    }
    return vnode_map(CAP_VNODE_L1, *table, TEST_L1_ENTRY(index),
                     VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE, 0, 1);
}

errval_t scratch_mapped_frame(capaddr_t table, uint32_t page, uint32_t pages,
                              uint32_t flags, capaddr_t *frame)
{
    errval_t err = scratch_object(ObjType_Frame, pages * BASE_PAGE_SIZE, frame);

    if (err_is_fail(err)) {
        return err;
    }
    return vnode_map(table, *frame, page, flags, 0, pages);
}

/* Empty every scratch slot and root slot a case may have used. Returns a
 * description of the first problem, or NULL. */
static const char *scratch_reset(void)
{
    static char why[96];
    struct capability_info ci;
    errval_t err;

    err = cap_revoke(SCRATCH_RAM);
    if (err_is_fail(err)) {
        snprintf(why, sizeof(why), "revoke of the scratch RAM: %s", errname(err));
        return why;
    }
    for (cslot_t s = SCRATCH_FIRST_SLOT; s < L2_CNODE_SLOTS; s++) {
        if (err_is_ok(cap_identify(SCRATCH(s), &ci))) {
            err = cap_delete(SCRATCH(s));
            if (err_is_fail(err)) {
                snprintf(why, sizeof(why), "delete of scratch slot %u: %s",
                         (unsigned)s, errname(err));
                return why;
            }
        }
    }
    for (cslot_t s = ROOTCN_FREE_SLOTS; s < L2_CNODE_SLOTS; s++) {
        if (err_is_ok(cap_identify(ROOT_SLOT(s), &ci))) {
            err = cap_delete(ROOT_SLOT(s));
            if (err_is_fail(err)) {
                snprintf(why, sizeof(why), "delete of root slot %u: %s",
                         (unsigned)s, errname(err));
                return why;
            }
        }
    }
    scratch.next_offset = 0;
    scratch.next_slot = SCRATCH_FIRST_SLOT;
    return NULL;
}

/*
 * Is all of `ram` free, i.e. without any descendant? Two RAM children
 * covering it exactly can only be retyped if nothing overlaps them.
 * Uses slots `slot` and `slot + 1` of the scratch CNode, which must be empty.
 */
static errval_t ram_is_whole(capaddr_t ram, gensize_t size, cslot_t slot)
{
    errval_t err = cap_retype(ram, ObjType_RAM, 0, size / 2, 2, SCRATCH_CNODE, slot);

    if (err_is_fail(err)) {
        return err;
    }
    return cap_revoke(ram);
}

/* ---- running cases ---- */

static void report(const char *id)
{
    if (failure[0] == '\0') {
        passed++;
        printf("TEST %s ... PASS\n", id);
    } else {
        failed++;
        printf("TEST %s ... FAIL: %s\n", id, failure);
    }
}

/* After a case: clean up and check that nothing was leaked. */
static void after_case(void)
{
    const char *why;
    uint32_t now;
    errval_t err;

    faults_disarm();
    why = scratch_reset();
    if (why != NULL) {
        test_fail("cleanup: %s", why);
        return;
    }
    now = capcount();
    if (now != scratch.baseline_capcount) {
        test_fail("leak: %lu live caps after cleanup, expected %lu",
                  (unsigned long)now, (unsigned long)scratch.baseline_capcount);
        return;
    }
    err = ram_is_whole(SCRATCH_RAM, scratch.size, SCRATCH_FIRST_SLOT);
    if (err_is_fail(err)) {
        test_fail("leak: scratch RAM not free after cleanup: %s", errname(err));
    }
}

void testing_run(const struct test_case *cases)
{
    for (const struct test_case *c = cases; c->id != NULL; c++) {
        failure[0] = '\0';
        scratch.next_offset = 0;
        scratch.next_slot = SCRATCH_FIRST_SLOT;
        c->run();
        after_case();
        report(c->id);
    }
}

void testing_keep_caps(uint32_t n)
{
    scratch.baseline_capcount += n;
    scratch.boot_capcount += n;
}

const struct mem_region *spare_region(gensize_t size)
{
    const struct bootinfo *bi = get_bootinfo();

    for (uint32_t i = 0; i < bi->n_regions; i++) {
        if (bi->regions[i].size >= size && bi->regions[i].cap != scratch.region) {
            return &bi->regions[i];
        }
    }
    return NULL;
}

/* Sum of the sizes the kernel reports for the boot RAM regions. */
static uint64_t boot_ram_total(const struct bootinfo *bi)
{
    struct capability_info ci;
    uint64_t total = 0;

    for (uint32_t i = 0; i < bi->n_regions; i++) {
        if (err_is_ok(cap_identify(bi->regions[i].cap, &ci)) && ci.type == ObjType_RAM) {
            total += ci.size;
        }
    }
    return total;
}

static bool fault_handler(const struct fault_info *fault, struct arch_registers *regs);

bool testing_init(void)
{
    return testing_init_size(SCRATCH_RAM_SIZE);
}

bool testing_init_size(gensize_t size)
{
    const struct bootinfo *bi = get_bootinfo();
    const struct mem_region *best = NULL;
    errval_t err;

    if (bi == NULL) {
        printf("testing: no bootinfo\n");
        return false;
    }
    scratch.boot_capcount = capcount();
    scratch.boot_free_ram = boot_ram_total(bi);
    for (uint32_t i = 0; i < bi->n_regions; i++) {
        if (bi->regions[i].size > size
            && (best == NULL || bi->regions[i].size > best->size)) {
            best = &bi->regions[i];
        }
    }
    if (best == NULL) {
        printf("testing: no RAM region larger than %lu bytes\n",
               (unsigned long)size);
        return false;
    }
    scratch.region = best->cap;
    scratch.region_size = best->size;
    scratch.base = best->base;
    scratch.size = size;
    err = cap_retype(best->cap, ObjType_RAM, 0, size, 1,
                     SCRATCH_CNODE, SCRATCH_RAM_SLOT);
    if (err_is_fail(err)) {
        printf("testing: cannot retype the scratch RAM: %s\n", errname(err));
        return false;
    }
    scratch.next_slot = SCRATCH_FIRST_SLOT;
    scratch.baseline_capcount = capcount();
    set_exception_handler(fault_handler);
    return true;
}

/*
 * The last case: give the scratch RAM back, then the system must be as
 * init found it: the same number of live caps, the same free RAM, and the
 * scratch region without descendants.
 */
static void check_no_leaks_after_run(void)
{
    const struct bootinfo *bi = get_bootinfo();
    uint32_t now;
    uint64_t free_ram;

    EXPECT_OK(cap_delete(SCRATCH_RAM));
    now = capcount();
    EXPECT(now == scratch.boot_capcount,
           "%lu live caps at the end, expected %lu as before the run",
           (unsigned long)now, (unsigned long)scratch.boot_capcount);
    free_ram = boot_ram_total(bi);
    EXPECT(free_ram == scratch.boot_free_ram,
           "boot RAM regions total %llu bytes, expected %llu",
           (unsigned long long)free_ram, (unsigned long long)scratch.boot_free_ram);
    EXPECT_OK(ram_is_whole(scratch.region, scratch.region_size, SCRATCH_FIRST_SLOT));
    EXPECT_EQ("live caps after the region check", capcount(), scratch.boot_capcount);
}

void testing_finish(void)
{
    failure[0] = '\0';
    faults_disarm();
    check_no_leaks_after_run();
    report("CAP_NO_LEAKS_AFTER_RUN");
    printf("%lu passed, %lu failed\n", (unsigned long)passed, (unsigned long)failed);
}

/* ---- faults ---- */

void faults_arm(void)
{
    memset((void *)&fault_log, 0, sizeof(fault_log));
    faults_armed = true;
}

void faults_disarm(void)
{
    faults_armed = false;
}

/*
 * Runs disabled on the upcall stack. A prefetch abort at the pc itself
 * came from a call to a non-executable address: go back to the caller.
 * Anything else: skip the faulting (ARM, 4-byte) instruction.
 */
static bool fault_handler(const struct fault_info *fault, struct arch_registers *regs)
{
    if (!faults_armed) {
        return false;
    }
    fault_log.last = *fault;
    fault_log.count++;
    if (fault->type == FAULT_PREFETCH_ABORT && fault->addr == regs->pc) {
        regs->pc = regs->lr;
    } else {
        regs->pc += 4;
    }
    fault_log.resumed_pc = regs->pc;
    return true;
}

uint32_t probe_read32(lvaddr_t addr)
{
    uint32_t v = PROBE_SENTINEL;

    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    return v;
}

void probe_write32(lvaddr_t addr, uint32_t value)
{
    __asm__ volatile("str %0, [%1]" : : "r"(value), "r"(addr) : "memory");
}

uint32_t probe_ldrd(lvaddr_t addr)
{
    register uint32_t lo __asm__("r2") = PROBE_SENTINEL;
    register uint32_t hi __asm__("r3") = PROBE_SENTINEL;
    register lvaddr_t p __asm__("r0") = addr;

    __asm__ volatile("ldrd r2, r3, [r0]" : "+r"(lo), "+r"(hi) : "r"(p) : "memory");
    return lo;
}

uint32_t probe_ldm(lvaddr_t addr)
{
    register uint32_t lo __asm__("r2") = PROBE_SENTINEL;
    register uint32_t hi __asm__("r3") = PROBE_SENTINEL;
    register lvaddr_t p __asm__("r0") = addr;

    __asm__ volatile("ldm r0, {r2, r3}" : "+r"(lo), "+r"(hi) : "r"(p) : "memory");
    return lo;
}

void probe_udf(void)
{
    __asm__ volatile(".word 0xe7f000f0" : : : "memory");   /* UDF #0 (ARM) */
}

void probe_call(lvaddr_t target)
{
    __asm__ volatile("blx %0" : : "r"(target)
                     : "r0", "r1", "r2", "r3", "r12", "lr", "cc", "memory");
}
