/*
 * FAULT_: user exceptions reach init's exception handler (through the
 * kernel's fault upcall and the runtime's dispatch_fault) with the right
 * type, address and access, and execution continues after them.
 * Kernel side: kernel/arch/armv7/exn.c, kernel/trap.c; the handler and
 * the probes are in testing.c.
 */
#include "testing.h"

#include <autarky/layout.h>

/* Reading the kernel half (0x8000_0000) is a data abort, read. */
static void read_kernel_address(void)
{
    uint32_t v;

    faults_arm();
    v = probe_read32(KERNEL_VBASE);
    EXPECT_FAULT(FAULT_DATA_ABORT, KERNEL_VBASE, FAULT_ACCESS_READ);
    EXPECT_EQ("value of the skipped load", v, PROBE_SENTINEL);
}

/* Writing an unmapped user address: data abort, write, that address. */
static void write_unmapped(void)
{
    lvaddr_t addr = TEST_VA(7) + 0x1234;

    faults_arm();
    probe_write32(addr, 0xdeadbeef);
    EXPECT_FAULT(FAULT_DATA_ABORT, addr, FAULT_ACCESS_WRITE);
}

/* Writing a read-only mapping faults as a write; reading it does not. */
static void write_read_only(void)
{
    capaddr_t table, frame;
    lvaddr_t addr = TEST_VA(0) + BASE_PAGE_SIZE + 8;
    uint32_t v;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 1, 1, VREGION_FLAGS_READ, &frame));
    faults_arm();
    v = probe_read32(addr);
    EXPECT_EQ("faults after a read of a read-only page", fault_log.count, 0);
    EXPECT_EQ("value read from a new frame", v, 0);
    probe_write32(addr, 1);
    EXPECT_FAULT(FAULT_DATA_ABORT, addr, FAULT_ACCESS_WRITE);
    /* init's own text is read-only too */
    faults_arm();
    probe_write32((lvaddr_t)&read_kernel_address, 0);
    EXPECT_FAULT(FAULT_DATA_ABORT, (lvaddr_t)&read_kernel_address, FAULT_ACCESS_WRITE);
}

/* An undefined instruction reports its own address as addr and pc. */
static void undefined_instruction(void)
{
    faults_arm();
    probe_udf();
    EXPECT(fault_log.count == 1, "expected 1 fault, got %lu", (unsigned long)fault_log.count);
    EXPECT_EQ("fault type", fault_log.last.type, FAULT_UNDEFINED);
    EXPECT_EQ("fault addr = fault pc", fault_log.last.addr, fault_log.last.pc);
    EXPECT((lvaddr_t)fault_log.last.pc >= (lvaddr_t)&probe_udf
           && fault_log.last.pc < (lvaddr_t)&probe_udf + 16,
           "undefined instruction at 0x%lx, not in probe_udf (0x%lx)",
           (unsigned long)fault_log.last.pc, (unsigned long)(lvaddr_t)&probe_udf);
}

/*
 * VFP/NEON are closed to every domain (CPACR = 0), so there is no
 * floating-point register state that could carry data between domains:
 * reading FPSCR or the VFP ID register is an undefined instruction.
 */
static void vfp_is_undefined(void)
{
    faults_arm();
    __asm__ volatile(".word 0xeef10a10" : : : "r0", "memory");   /* vmrs r0, fpscr */
    __asm__ volatile(".word 0xeef00a10" : : : "r0", "memory");   /* vmrs r0, fpsid */
    __asm__ volatile(".word 0xf2000d40" : : : "memory");         /* vadd.f32 q0, q0, q0 */
    EXPECT(fault_log.count == 3, "expected 3 faults, got %lu", (unsigned long)fault_log.count);
    EXPECT_EQ("fault type", fault_log.last.type, FAULT_UNDEFINED);
}

/* LDRD and LDM need word alignment even with SCTLR.A off: an odd address
 * is an alignment fault naming that address. */
static void misaligned_ldrd_ldm(void)
{
    capaddr_t table, frame;
    lvaddr_t odd = TEST_VA(0) + 0x101;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ_WRITE, &frame));
    faults_arm();
    EXPECT_EQ("LDRD result", probe_ldrd(odd), PROBE_SENTINEL);
    EXPECT_FAULT(FAULT_ALIGNMENT, odd, FAULT_ACCESS_READ);
    faults_arm();
    EXPECT_EQ("LDM result", probe_ldm(odd), PROBE_SENTINEL);
    EXPECT_FAULT(FAULT_ALIGNMENT, odd, FAULT_ACCESS_READ);
    /* aligned, the same instructions just work */
    faults_arm();
    EXPECT_EQ("aligned LDRD result", probe_ldrd(TEST_VA(0) + 0x100), 0);
    EXPECT_EQ("aligned LDM result", probe_ldm(TEST_VA(0) + 0x100), 0);
    EXPECT_EQ("faults of aligned accesses", fault_log.count, 0);
}

/* Calling an unmapped address is a prefetch abort at the target. */
static void call_unmapped(void)
{
    lvaddr_t target = TEST_VA(9) + 0x40;

    faults_arm();
    probe_call(target);
    EXPECT_FAULT(FAULT_PREFETCH_ABORT, target, FAULT_ACCESS_EXEC);
    EXPECT_EQ("fault pc", fault_log.last.pc, target);
}

/* Calling into a mapped page without EXECUTE is a prefetch abort too;
 * with EXECUTE the same code runs. */
static void call_execute_never(void)
{
    capaddr_t table, frame;
    volatile uint32_t *code = (volatile uint32_t *)TEST_VA(0);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ_WRITE, &frame));
    code[0] = 0xe12fff1e;   /* bx lr */
    faults_arm();
    probe_call(TEST_VA(0));
    EXPECT_FAULT(FAULT_PREFETCH_ABORT, TEST_VA(0), FAULT_ACCESS_EXEC);
    EXPECT_OK(vnode_modify(table, frame, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE));
    faults_arm();
    probe_call(TEST_VA(0));
    EXPECT_EQ("faults calling executable code", fault_log.count, 0);
}

/* Several faults in a row each arrive and each is resumed. */
static void repeated_faults(void)
{
    faults_arm();
    for (int i = 0; i < 10; i++) {
        probe_read32(TEST_VA(3) + 4 * i);
    }
    EXPECT_EQ("fault count", fault_log.count, 10);
    EXPECT_EQ("last fault addr", fault_log.last.addr, TEST_VA(3) + 36);
}

const struct test_case fault_tests[] = {
    { "FAULT_READ_KERNEL_ADDRESS", read_kernel_address },
    { "FAULT_WRITE_UNMAPPED", write_unmapped },
    { "FAULT_WRITE_READ_ONLY", write_read_only },
    { "FAULT_UNDEFINED_INSTRUCTION", undefined_instruction },
    { "FAULT_VFP_UNDEFINED", vfp_is_undefined },
    { "FAULT_ALIGNMENT_LDRD_LDM", misaligned_ldrd_ldm },
    { "FAULT_CALL_UNMAPPED", call_unmapped },
    { "FAULT_CALL_EXECUTE_NEVER", call_execute_never },
    { "FAULT_REPEATED", repeated_faults },
    TEST_CASES_END
};
