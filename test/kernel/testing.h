/*
 * init's boot-time kernel tests: a tiny test framework.
 *
 * Every case has an ID with a category prefix (CAP_, VSPACE_, FAULT_,
 * DISP_, SYS_, LMP_) and prints exactly one line:
 *
 *     TEST CAP_RETYPE_FRAME ... PASS
 *     TEST CAP_RETYPE_FRAME ... FAIL: <what was expected, what came back>
 *
 * A case is a void function that returns at its first failed check
 * (EXPECT_* macros below). Before each case the framework hands out a clean
 * scratch area; after it, it revokes the scratch RAM, empties every scratch
 * slot and checks that the kernel's live capability count and the scratch
 * RAM are back to where they were: a case that leaks fails.
 *
 * Scratch resources (see docs/testing.md):
 *   - the scratch RAM: a 4 MiB RAM capability in slot 0 of the
 *     ROOTCN_SLOT_SLOT_ALLOC0 L2 CNode, retyped out of a big boot region;
 *     scratch_object() carves objects out of it;
 *   - scratch slots 1..255 of that CNode (scratch_slot());
 *   - root CNode slots ROOTCN_FREE_SLOTS.. for new L2 CNodes;
 *   - user addresses from TEST_VA_BASE on (1 MiB L1 entries, unused by init).
 */
#ifndef INIT_TESTING_H
#define INIT_TESTING_H

#include <stdbool.h>
#include <stdint.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <autarky/dispatcher.h>

/* ---- scratch capability space and memory ---- */

#define SCRATCH_CN_L1        ROOTCN_SLOT_SLOT_ALLOC0
#define SCRATCH_CNODE        (CPTR_L1_SLOT | SCRATCH_CN_L1)  /* the L2 CNode cap itself */
#define SCRATCH_RAM_SLOT     0
#define SCRATCH_RAM          CPTR(SCRATCH_CN_L1, SCRATCH_RAM_SLOT)
#define SCRATCH_RAM_SIZE     (4u << 20)
#define SCRATCH(slot)        CPTR(SCRATCH_CN_L1, (slot))
#define SCRATCH_FIRST_SLOT   1
#define ROOT_SLOT(i)         (CPTR_L1_SLOT | (i))

/* User virtual addresses tests may map at: L1 entries 0x100.. (0x1000_0000..). */
#define TEST_VA_BASE         0x10000000u
#define TEST_L1_ENTRY(i)     ((TEST_VA_BASE >> SECTION_BITS) + (i))
#define TEST_VA(i)           ((lvaddr_t)TEST_L1_ENTRY(i) << SECTION_BITS)

/* Physical base of the scratch RAM (for checking retyped objects' bases). */
lpaddr_t scratch_ram_base(void);

/* A fresh, empty scratch slot index (1..255); resets before every case. */
cslot_t scratch_slot(void);

/* Retype `count` objects of `type` (`objsize` bytes each) from the scratch
 * RAM at the next suitably aligned free offset into consecutive fresh
 * scratch slots; *first gets the first slot's cptr. */
errval_t scratch_objects(enum objtype type, gensize_t objsize, uint32_t count,
                         capaddr_t *first);
static inline errval_t scratch_object(enum objtype type, gensize_t objsize,
                                      capaddr_t *cap)
{
    return scratch_objects(type, objsize, 1, cap);
}
/* The next free offset in the scratch RAM aligned to `align`, reserving
 * `size` bytes (for cases that call cap_retype themselves). */
gensize_t scratch_offset(gensize_t size, gensize_t align);

/* A new L2 table mapped into init's own L1 at TEST_L1_ENTRY(index): the
 * 1 MiB window TEST_VA(index) is then ready for frames. */
errval_t scratch_l2_table(uint32_t index, capaddr_t *table);
/* A new zeroed frame of `pages` pages mapped `flags` at TEST_VA(index)
 * + page * 4 KiB through `table` (from scratch_l2_table). */
errval_t scratch_mapped_frame(capaddr_t table, uint32_t page, uint32_t pages,
                              uint32_t flags, capaddr_t *frame);

/* A boot RAM region of at least `size` bytes other than the one the
 * scratch RAM comes from (NULL if none), for memory a case gives away. */
const struct mem_region *spare_region(gensize_t size);

/* The running case has left `n` live caps for good: the kernel's slots of
 * memory given to another core (MP_START_CORE_GIVES_RAM_FOR_GOOD). The
 * leak checks expect them from then on. */
void testing_keep_caps(uint32_t n);

/* Live capability slots in the whole system (KERNELCMD_DEBUG_CAPCOUNT). */
uint32_t capcount(void);

/* ---- faults ---- */

/*
 * While armed, init's exception handler records each fault and resumes
 * after the faulting instruction (pc += 4), or, for a prefetch abort at
 * the pc itself (a call to an address that cannot be executed), returns
 * to the caller (pc = lr). Unarmed, any fault is fatal as usual. The
 * framework disarms after every case.
 */
struct fault_log {
    volatile uint32_t count;
    struct fault_info last;
    uint32_t resumed_pc;      /* pc the handler resumed at */
};
extern struct fault_log fault_log;
void faults_arm(void);        /* also clears the log */
void faults_disarm(void);

/* Single-instruction probes: a faulting access is skipped by the handler,
 * so the returned value is PROBE_SENTINEL when the load did not happen. */
#define PROBE_SENTINEL 0x5ca1ab1eu
uint32_t probe_read32(lvaddr_t addr);
void probe_write32(lvaddr_t addr, uint32_t value);
uint32_t probe_ldrd(lvaddr_t addr);   /* LDRD r2, r3, [addr] */
uint32_t probe_ldm(lvaddr_t addr);    /* LDM addr, {r2, r3} */
void probe_udf(void);                 /* a permanently undefined instruction */
void probe_call(lvaddr_t target);     /* BLX target (ARM state) */

/* ---- assertions: record the first failure and leave the case ---- */

void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *errname(errval_t err);

/* `expr` (an errval_t) must come back as exactly `code`. */
#define EXPECT_ERR(expr, code) do {                                         \
        errval_t e_ = (expr);                                               \
        if (err_no(e_) != (code)) {                                         \
            test_fail("%s: expected %s, got %s (line %d)", #expr,           \
                      err_getcode(code), errname(e_), __LINE__);            \
            return;                                                         \
        }                                                                   \
    } while (0)
#define EXPECT_OK(expr) EXPECT_ERR(expr, SYS_ERR_OK)

/* Two unsigned 32-bit values must be equal. */
#define EXPECT_EQ(what, got, want) do {                                     \
        uint32_t g_ = (uint32_t)(got), w_ = (uint32_t)(want);               \
        if (g_ != w_) {                                                     \
            test_fail("%s: expected 0x%lx, got 0x%lx (line %d)", (what),    \
                      (unsigned long)w_, (unsigned long)g_, __LINE__);      \
            return;                                                         \
        }                                                                   \
    } while (0)

#define EXPECT(cond, ...) do {                                              \
        if (!(cond)) {                                                      \
            test_fail(__VA_ARGS__);                                         \
            return;                                                         \
        }                                                                   \
    } while (0)

/* identify `cap` and compare type, rights, base and size. */
#define EXPECT_CAP(cap, type_, rights_, base_, size_) do {                  \
        struct capability_info ci_;                                         \
        EXPECT_OK(cap_identify((cap), &ci_));                               \
        EXPECT_EQ("type of " #cap, ci_.type, (type_));                      \
        EXPECT_EQ("rights of " #cap, ci_.rights, (rights_));                \
        EXPECT_EQ("base of " #cap, ci_.base, (base_));                      \
        EXPECT_EQ("size of " #cap, ci_.size, (size_));                      \
    } while (0)

/* Exactly one fault of `type_` at `addr_` with `access_` since faults_arm(). */
#define EXPECT_FAULT(type_, addr_, access_) do {                            \
        EXPECT(fault_log.count == 1, "expected 1 fault, got %lu (line %d)", \
               (unsigned long)fault_log.count, __LINE__);                   \
        EXPECT_EQ("fault type", fault_log.last.type, (type_));              \
        EXPECT_EQ("fault addr", fault_log.last.addr, (addr_));              \
        EXPECT_EQ("fault access", fault_log.last.access, (access_));        \
    } while (0)

/* ---- cases and categories ---- */

struct test_case {
    const char *id;
    void (*run)(void);
};

#define TEST_CASES_END { NULL, NULL }

/* Each category file exports its table, terminated by TEST_CASES_END. */
extern const struct test_case cap_tests[];
extern const struct test_case vspace_tests[];
extern const struct test_case fault_tests[];
extern const struct test_case sys_tests[];
extern const struct test_case disp_tests[];
extern const struct test_case lmp_tests[];
extern const struct test_case bounds_tests[];   /* `kernel-bounds`, under -icount */
extern const struct test_case core_tests[];     /* `kernel-cores`, on 2+ cores */
/* DISP_MANY_UNRUNNABLE_DISPATCHERS, also run by the bounds group. */
void many_unrunnable_dispatchers(void);

/* Set up the scratch RAM (SCRATCH_RAM_SIZE bytes, or `size`) and the fault
 * handler; false if impossible. */
bool testing_init(void);
bool testing_init_size(gensize_t size);
/* Run every case of `cases` with cleanup and leak checks in between. */
void testing_run(const struct test_case *cases);
/* Give the scratch RAM back and check the whole system for leaks (counted
 * as one more case, TEST_LEAKS_FINAL); then print "N passed, N failed". */
void testing_finish(void);
uint32_t testing_failed(void);

#endif
