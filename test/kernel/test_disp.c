/*
 * DISP_: dispatchers. init builds a second domain by hand (a Dispatcher,
 * a cspace, a vspace, a dispatcher frame and one page of code), starts,
 * stops and destroys it, watches the kernel kill it when it faults while
 * disabled, and checks every DISPCMD error.
 * Kernel side: kernel/object/dispatcher.c, kernel/sched.c, kernel/trap.c;
 * the model: docs/dispatchers.md.
 *
 * The child lives in window TEST_VA(CHILD_WINDOW), mapped in both vspaces
 * at the same address through two L2 tables:
 *
 *   page 0  code (+ its upcall stack growing down from the page's end)
 *   page 1  the child's dispatcher frame (init writes its fields here)
 */
#include <aos/lmp.h>
#include "testing.h"

#include <string.h>
#include <aos/syscalls.h>
#include <autarky/layout.h>
#include <autarky/syscall.h>

#define CHILD_WINDOW     4
#define CHILD_CODE_VA    TEST_VA(CHILD_WINDOW)
#define CHILD_DISP_VA    (TEST_VA(CHILD_WINDOW) + BASE_PAGE_SIZE)
#define KILLED_NAME      "expect-kill"   /* `scons test` allows this kill */

/* ARM instructions for the child's only page of code. */
#define INSN_MOV_R0_0    0xe3a00000u     /* mov r0, #0 */
#define INSN_LDR_R0_R0   0xe5900000u     /* ldr r0, [r0] */
#define INSN_B_SELF      0xeafffffeu     /* b . */

/* Loads from address 0 (the NULL guard): a data abort while disabled. */
static const uint32_t faulting_code[] = { INSN_MOV_R0_0, INSN_LDR_R0_R0, INSN_B_SELF };
/* Spins for ever (disabled: the kernel resumes it after each preemption). */
static const uint32_t spinning_code[] = { INSN_B_SELF };

struct child {
    capaddr_t disp;            /* the Dispatcher */
    capaddr_t cspace;          /* its root: an L1 CNode with an L2 CNode in slot 0 */
    capaddr_t vspace;          /* its VNode L1 */
    capaddr_t frame;           /* its dispatcher frame (init maps this cap) */
    struct dispatcher_shared *shared;   /* init's view of that frame */
    capaddr_t window;          /* the L2 table mapping init's view (CHILD_WINDOW) */
};

/*
 * Build everything a domain needs, short of DISPCMD_SETUP: `code` is
 * copied to the child's code page and its dispatcher frame names it and
 * sets entry_run and upcall_sp.
 */
static errval_t build_child(struct child *c, const uint32_t *code, size_t words,
                            const char *name)
{
    capaddr_t init_table, child_table, code_frame;
    cslot_t code_copy = scratch_slot(), frame_copy = scratch_slot();
    errval_t err;

    /* init's window onto the child's pages */
    err = scratch_l2_table(CHILD_WINDOW, &init_table);
    c->window = init_table;
    if (err_is_ok(err)) {
        err = scratch_mapped_frame(init_table, 0, 1, VREGION_FLAGS_READ_WRITE, &code_frame);
    }
    if (err_is_ok(err)) {
        err = scratch_mapped_frame(init_table, 1, 1, VREGION_FLAGS_READ_WRITE, &c->frame);
    }
    /* the child's cspace: L1 CNode (256 slots) + one L2 CNode at slot 0 */
    if (err_is_ok(err)) {
        err = scratch_object(ObjType_L1CNode, OBJSIZE_L1CNODE_MIN, &c->cspace);
    }
    if (err_is_ok(err)) {
        err = cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                         scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE),
                         OBJSIZE_L2CNODE, 1, c->cspace, 0);
    }
    /* the child's vspace: L1 + L2 covering the same window */
    if (err_is_ok(err)) {
        err = scratch_object(ObjType_VNode_L1, OBJSIZE_VNODE_L1, &c->vspace);
    }
    if (err_is_ok(err)) {
        err = scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &child_table);
    }
    if (err_is_ok(err)) {
        err = vnode_map(c->vspace, child_table, TEST_L1_ENTRY(CHILD_WINDOW),
                        VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE, 0, 1);
    }
    /* copies of the two frames, mapped into the child */
    if (err_is_ok(err)) {
        err = cap_copy(SCRATCH_CNODE, code_copy, code_frame);
    }
    if (err_is_ok(err)) {
        err = vnode_map(child_table, SCRATCH(code_copy), 0,
                        VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE, 0, 1);
    }
    if (err_is_ok(err)) {
        err = cap_copy(SCRATCH_CNODE, frame_copy, c->frame);
    }
    if (err_is_ok(err)) {
        err = vnode_map(child_table, SCRATCH(frame_copy), 1, VREGION_FLAGS_READ_WRITE, 0, 1);
    }
    if (err_is_ok(err)) {
        err = scratch_object(ObjType_Dispatcher, OBJSIZE_DISPATCHER, &c->disp);
    }
    if (err_is_fail(err)) {
        return err;
    }
    /* The code reaches the child through the same physical page; QEMU does
     * not model caches, real hardware would need a clean to PoU here. */
    memcpy((void *)CHILD_CODE_VA, code, words * sizeof(uint32_t));
    c->shared = (struct dispatcher_shared *)CHILD_DISP_VA;
    strncpy(c->shared->name, name, DISP_NAME_LEN - 1);
    c->shared->udisp = CHILD_DISP_VA;
    c->shared->entry_run = CHILD_CODE_VA;
    c->shared->entry_fault = 0;
    c->shared->upcall_sp = CHILD_CODE_VA + BASE_PAGE_SIZE;
    return SYS_ERR_OK;
}

static errval_t setup_child(const struct child *c)
{
    return disp_setup(c->disp, c->cspace, c->vspace, c->frame, CHILD_DISP_VA);
}

/* A fresh Dispatcher is not set up: START fails, STOP finds it not running. */
static void start_before_setup(void)
{
    capaddr_t disp;

    EXPECT_OK(scratch_object(ObjType_Dispatcher, OBJSIZE_DISPATCHER, &disp));
    EXPECT_ERR(disp_start(disp), SYS_ERR_DISP_NOT_SETUP);
    EXPECT_ERR(disp_stop(disp), SYS_ERR_DISP_NOT_RUNNABLE);
}

/* SETUP looks each argument up with its type: L1 CNode, VNode L1, Frame. */
static void setup_wrong_cap_types(void)
{
    struct child c;
    capaddr_t l2cnode, l2table, ram;
    uint32_t before;

    EXPECT_OK(build_child(&c, spinning_code, 1, "wrong-types"));
    EXPECT_OK(scratch_object(ObjType_L2CNode, OBJSIZE_L2CNODE, &l2cnode));
    EXPECT_OK(scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &l2table));
    EXPECT_OK(scratch_object(ObjType_RAM, BASE_PAGE_SIZE, &ram));
    before = capcount();
    const struct { capaddr_t cs, vs, fr; enum errcode want; const char *what; } bad[] = {
        { c.vspace, c.vspace, c.frame, SYS_ERR_WRONG_CAP_TYPE, "cspace = VNode L1" },
        { l2cnode, c.vspace, c.frame, SYS_ERR_WRONG_CAP_TYPE, "cspace = L2 CNode" },
        { c.cspace, c.cspace, c.frame, SYS_ERR_WRONG_CAP_TYPE, "vspace = L1 CNode" },
        { c.cspace, l2table, c.frame, SYS_ERR_WRONG_CAP_TYPE, "vspace = VNode L2" },
        { c.cspace, c.vspace, ram, SYS_ERR_WRONG_CAP_TYPE, "frame = RAM" },
        { c.cspace, c.vspace, CAP_UART, SYS_ERR_WRONG_CAP_TYPE, "frame = DevFrame" },
        { c.cspace, c.vspace, c.disp, SYS_ERR_WRONG_CAP_TYPE, "frame = Dispatcher" },
        { SCRATCH(230), c.vspace, c.frame, SYS_ERR_SLOT_EMPTY, "cspace slot empty" },
        { c.cspace, SCRATCH(230), c.frame, SYS_ERR_SLOT_EMPTY, "vspace slot empty" },
        { c.cspace, c.vspace, CPTR(400, 0), SYS_ERR_L1_INDEX_OUT_OF_RANGE, "frame cptr bad" },
    };
    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = disp_setup(c.disp, bad[i].cs, bad[i].vs, bad[i].fr, CHILD_DISP_VA);
        EXPECT(err_no(err) == bad[i].want, "setup with %s: expected %s, got %s",
               bad[i].what, err_getcode(bad[i].want), errname(err));
    }
    EXPECT_EQ("live caps after failed setups", capcount(), before);
    EXPECT_ERR(disp_start(c.disp), SYS_ERR_DISP_NOT_SETUP);
}

/*
 * SYS_ERR_DISP_FRAME_SIZE guards frames smaller than a page or than
 * struct dispatcher_shared. Frames are page multiples and the struct is
 * far below a page, so no capability can trigger it from user space;
 * what can be checked is that the smallest frame (one page) is accepted
 * and that the struct does fit into it.
 */
static void setup_smallest_frame(void)
{
    struct child c;

    EXPECT(sizeof(struct dispatcher_shared) <= BASE_PAGE_SIZE,
           "struct dispatcher_shared is %lu bytes, more than a page",
           (unsigned long)sizeof(struct dispatcher_shared));
    EXPECT_OK(build_child(&c, spinning_code, 1, "small-frame"));
    EXPECT_OK(setup_child(&c));
}

/* The frame's user address must be page aligned, above the NULL guard and
 * below the kernel. */
static void setup_bad_address(void)
{
    struct child c;
    static const lvaddr_t bad[] = { 0, 0x1000, USER_NULL_GUARD_SIZE - BASE_PAGE_SIZE,
                                    CHILD_DISP_VA + 4, USER_TOP, 0xfffff000u };

    EXPECT_OK(build_child(&c, spinning_code, 1, "bad-address"));
    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = disp_setup(c.disp, c.cspace, c.vspace, c.frame, bad[i]);
        EXPECT(err_no(err) == SYS_ERR_INVALID_ARGS,
               "setup at 0x%lx: expected SYS_ERR_INVALID_ARGS, got %s",
               (unsigned long)bad[i], errname(err));
    }
    EXPECT_OK(disp_setup(c.disp, c.cspace, c.vspace, c.frame, USER_NULL_GUARD_SIZE));
}

/* The DCB keeps copies: each of the three caps needs GRANT; every DISPCMD
 * needs WRITE on the Dispatcher cap. */
static void setup_needs_rights(void)
{
    struct child c;
    cslot_t nogrant = scratch_slot(), ro_disp = scratch_slot();

    EXPECT_OK(build_child(&c, spinning_code, 1, "rights"));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, nogrant, c.frame, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(disp_setup(c.disp, c.cspace, c.vspace, SCRATCH(nogrant), CHILD_DISP_VA),
               SYS_ERR_NO_RIGHTS);
    EXPECT_OK(cap_delete(SCRATCH(nogrant)));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, nogrant, c.cspace, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(disp_setup(c.disp, SCRATCH(nogrant), c.vspace, c.frame, CHILD_DISP_VA),
               SYS_ERR_NO_RIGHTS);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_disp, c.disp, CAP_RIGHTS_ALL & ~CAP_RIGHT_WRITE, 0));
    EXPECT_ERR(disp_setup(SCRATCH(ro_disp), c.cspace, c.vspace, c.frame, CHILD_DISP_VA),
               SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(disp_start(SCRATCH(ro_disp)), SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(disp_stop(SCRATCH(ro_disp)), SYS_ERR_NO_RIGHTS);
}

/*
 * A second domain runs: a set-up spinning child started with START is
 * scheduled alongside init (its timeslices grow, its saved pc is its
 * code); START twice and SETUP while runnable are refused; STOP takes it
 * off the CPU and a second STOP finds it not runnable; it can be started
 * again. SETUP holds three capability copies in the DCB, SETUP again
 * replaces them.
 */
static void start_stop_second_domain(void)
{
    struct child c;
    uint32_t before, ran;

    EXPECT_OK(build_child(&c, spinning_code, ARRAY_LENGTH(spinning_code), "spinner"));
    before = capcount();
    EXPECT_OK(setup_child(&c));
    EXPECT_EQ("live caps after setup (3 DCB copies)", capcount(), before + 3);
    EXPECT_OK(setup_child(&c));
    EXPECT_EQ("live caps after a second setup", capcount(), before + 3);
    EXPECT(c.shared->domain_id != 0 && c.shared->domain_id != get_dispatcher()->domain_id,
           "child domain id %lu (init's is %lu)", (unsigned long)c.shared->domain_id,
           (unsigned long)get_dispatcher()->domain_id);
    EXPECT_EQ("child timeslices before start", c.shared->timeslices, 0);
    EXPECT_OK(disp_start(c.disp));
    EXPECT_ERR(disp_start(c.disp), SYS_ERR_DISP_ALREADY_RUNNABLE);
    EXPECT_ERR(setup_child(&c), SYS_ERR_DISP_ALREADY_RUNNABLE);
    for (int i = 0; i < 3; i++) {
        EXPECT_OK(sys_yield());
    }
    ran = c.shared->timeslices;
    EXPECT(ran >= 3, "child ran %lu time slices over 3 yields of init", (unsigned long)ran);
    EXPECT_EQ("child's disabled flag (upcalls run disabled)", c.shared->disabled, 1);
    EXPECT_EQ("child's saved pc", c.shared->disabled_area.pc, CHILD_CODE_VA);
    EXPECT_OK(disp_stop(c.disp));
    EXPECT_ERR(disp_stop(c.disp), SYS_ERR_DISP_NOT_RUNNABLE);
    EXPECT_OK(sys_yield());
    EXPECT_OK(sys_yield());
    EXPECT_EQ("child timeslices while stopped", c.shared->timeslices, ran);
    EXPECT_OK(disp_start(c.disp));
    EXPECT_OK(sys_yield());
    EXPECT(c.shared->timeslices > ran, "restarted child did not run");
    EXPECT_OK(disp_stop(c.disp));
}

/* TPIDRURW, the thread register user mode may write. */
static uint32_t read_tpidrurw(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 2" : "=r"(v));
    return v;
}

static void write_tpidrurw(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c13, c0, 2" : : "r"(v));
}

#define CHILD_TLS_MAGIC   0xc0ffee11u
#define CHILD_TLS_REPORT  (CHILD_CODE_VA + 0x800)   /* where the child stores what it reads */

/*
 * Safety rule "no register carries one domain's data to another"
 * (docs/safety.md): a domain writes TPIDRURW, init must never read that
 * value in its own, and the child keeps reading its own value across
 * every switch.
 *
 *   0: ldr r0, =magic   1: mcr p15,0,r0,c13,c0,2 (TPIDRURW = magic)
 *   2: ldr r2, =report  3: mrc p15,0,r1,c13,c0,2  4: str r1, [r2]  5: b 3
 */
static void rw_thread_register_private(void)
{
    const uint32_t code[] = { 0xe59f0010u, 0xee0d0f50u, 0xe59f200cu, 0xee1d1f50u,
                              0xe5821000u, 0xeafffffcu, CHILD_TLS_MAGIC, CHILD_TLS_REPORT };
    volatile uint32_t *report = (volatile uint32_t *)CHILD_TLS_REPORT;
    struct child c;
    int yields;

    write_tpidrurw(0x1171u);
    EXPECT_OK(build_child(&c, code, ARRAY_LENGTH(code), "tls-writer"));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(disp_start(c.disp));
    for (yields = 0; yields < 20 && *report != CHILD_TLS_MAGIC; yields++) {
        EXPECT_OK(sys_yield());
        EXPECT_EQ("init's TPIDRURW after the child ran", read_tpidrurw(), 0x1171u);
    }
    EXPECT_EQ("what the child reads", *report, CHILD_TLS_MAGIC);
    write_tpidrurw(0x2272u);
    for (int i = 0; i < 3; i++) {
        *report = 0;
        EXPECT_OK(sys_yield());
        EXPECT_EQ("init's TPIDRURW after another switch", read_tpidrurw(), 0x2272u);
    }
    EXPECT_EQ("the child still reads its own value", *report, CHILD_TLS_MAGIC);
    EXPECT_OK(disp_stop(c.disp));
    write_tpidrurw(0);
}

#define MANY_CNODES       8
#define MANY_DISPATCHERS  (MANY_CNODES * L2_CNODE_SLOTS)   /* 2,048 */
#define MANY_CPTR(i)      CPTR(ROOTCN_FREE_SLOTS + (i) / L2_CNODE_SLOTS, (i) % L2_CNODE_SLOTS)

/*
 * The same across a block: the child sets TPIDRURW and waits in SYS_WAIT
 * (it leaves the CPU through sched_block, not a preemption); init writes
 * its own value and wakes the child with a message; the child reads back
 * its value.
 *
 *   0: ldr r0, =magic  1: mcr (TPIDRURW = magic)  2: ldr r2, =report
 *   3: mov r0, #SYS_WAIT  4: svc #0  5: mrc r1  6: str r1, [r2]  7: b 3
 */
static void rw_thread_register_kept_across_wait(void)
{
    const uint32_t code[] = { 0xe59f0018u, 0xee0d0f50u, 0xe59f2014u,
                              0xe3a00000u | SYS_WAIT, 0xef000000u, 0xee1d1f50u,
                              0xe5821000u, 0xeafffffau, CHILD_TLS_MAGIC, CHILD_TLS_REPORT };
    volatile uint32_t *report = (volatile uint32_t *)CHILD_TLS_REPORT;
    struct child c;
    capaddr_t ep;
    enum disp_state st = DISP_STATE_RUNNABLE;
    uint32_t word = 1;

    EXPECT_OK(build_child(&c, code, ARRAY_LENGTH(code), "tls-waiter"));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    EXPECT_OK(ep_bind(ep, c.disp));
    EXPECT_OK(disp_start(c.disp));
    for (int i = 0; i < 20 && st != DISP_STATE_WAITING; i++) {
        EXPECT_OK(sys_yield());
        EXPECT_OK(disp_get_state(c.disp, &st));
    }
    EXPECT_EQ("child state", st, DISP_STATE_WAITING);
    write_tpidrurw(0x3373u);
    EXPECT_OK(lmp_try_send(ep, CPTR_NULL, 0, &word, 1));
    for (int i = 0; i < 20 && *report != CHILD_TLS_MAGIC; i++) {
        EXPECT_OK(sys_yield());
    }
    EXPECT_EQ("what the woken child reads", *report, CHILD_TLS_MAGIC);
    EXPECT_EQ("init's own", read_tpidrurw(), 0x3373u);
    EXPECT_OK(disp_stop(c.disp));
    write_tpidrurw(0);
}

/*
 * Class "no kernel path recurses on a user-controlled count"
 * (docs/safety.md, rule 5): 2,048 dispatchers stand in the run queue back
 * to back, and then none of them can run any more (their shared frame
 * loses its run entry point). Dispatching each one kills it; the kernel
 * used to go dispatch -> kill -> run_next -> dispatch recursively, 24
 * bytes of stack a level, through its 16 KiB stack and on into its own
 * page tables. Now it loops, all are killed and init runs on.
 *
 * Until then each child just yields (it runs disabled, so each dispatch
 * resumes it at its yield loop): mov r0, #SYS_YIELD; svc #0; b .-8
 */
void many_unrunnable_dispatchers(void)
{
    const uint32_t yield_loop[] = { 0xe3a00000u | SYS_YIELD, 0xef000000u, 0xeafffffcu };
    struct child c;
    uint32_t dead = 0;

    EXPECT_OK(build_child(&c, yield_loop, ARRAY_LENGTH(yield_loop), KILLED_NAME));
    for (int n = 0; n < MANY_CNODES; n++) {
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                             scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE), OBJSIZE_L2CNODE,
                             1, CAP_ROOTCN, ROOTCN_FREE_SLOTS + n));
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Dispatcher,
                             scratch_offset(L2_CNODE_SLOTS * OBJSIZE_DISPATCHER,
                                            OBJSIZE_DISPATCHER),
                             OBJSIZE_DISPATCHER, L2_CNODE_SLOTS,
                             ROOT_SLOT(ROOTCN_FREE_SLOTS + n), 0));
    }
    for (uint32_t i = 0; i < MANY_DISPATCHERS; i++) {
        EXPECT_OK(disp_setup(MANY_CPTR(i), c.cspace, c.vspace, c.frame, CHILD_DISP_VA));
        EXPECT_OK(disp_start(MANY_CPTR(i)));
    }
    c.shared->entry_run = 0;        /* from now on none of them can run */
    c.shared->disabled = 0;
    EXPECT_OK(sys_yield());
    for (uint32_t i = 0; i < MANY_DISPATCHERS; i++) {
        dead += err_no(disp_start(MANY_CPTR(i))) == SYS_ERR_DISP_NOT_RUNNABLE;
    }
    EXPECT_EQ("dispatchers killed", dead, MANY_DISPATCHERS);
}

/*
 * A domain that faults while disabled cannot handle it: the kernel kills
 * it (printing "killed domain 'expect-kill'") and init keeps running.
 * START is the non-destructive probe: ALREADY_RUNNABLE while it lives,
 * NOT_RUNNABLE once it is dead; STOP then says NOT_RUNNABLE too.
 */
static void killed_on_fault_while_disabled(void)
{
    struct child c;
    errval_t err = SYS_ERR_DISP_ALREADY_RUNNABLE;
    int yields;

    EXPECT_OK(build_child(&c, faulting_code, ARRAY_LENGTH(faulting_code), KILLED_NAME));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(disp_start(c.disp));
    for (yields = 0; yields < 100 && err_no(err) == SYS_ERR_DISP_ALREADY_RUNNABLE; yields++) {
        EXPECT_OK(sys_yield());
        err = disp_start(c.disp);
    }
    EXPECT(err_no(err) == SYS_ERR_DISP_NOT_RUNNABLE,
           "after %d yields START says %s, expected SYS_ERR_DISP_NOT_RUNNABLE (killed)",
           yields, errname(err));
    EXPECT_ERR(disp_stop(c.disp), SYS_ERR_DISP_NOT_RUNNABLE);
    EXPECT_EQ("child time slices before it died", c.shared->timeslices, 1);
    EXPECT_OK(sys_yield());   /* and init is still scheduled */
}

/*
 * The exit endpoint: a killed domain's parent hears of it through the
 * endpoint it registered, with the badge it chose, the domain id and pc.
 * DISPCMD_SET_EXIT_EP checks its argument.
 */
static void exit_endpoint_told_of_kill(void)
{
    struct child c;
    capaddr_t ep, badged, frame;
    struct lmp_msg msg;
    int yields;

    EXPECT_OK(build_child(&c, faulting_code, ARRAY_LENGTH(faulting_code), KILLED_NAME));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    EXPECT_OK(ep_bind(ep, CAP_DISPATCHER));
    badged = SCRATCH(scratch_slot());
    EXPECT_OK(cap_mint(SCRATCH_CNODE, CPTR_L2_INDEX(badged), ep, CAP_RIGHTS_ALL, 77));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_ERR(disp_set_exit_ep(c.disp, frame), SYS_ERR_WRONG_CAP_TYPE);
    EXPECT_ERR(disp_set_exit_ep(c.disp, SCRATCH(250)), SYS_ERR_SLOT_EMPTY);
    EXPECT_OK(disp_set_exit_ep(c.disp, badged));
    EXPECT_OK(disp_set_exit_ep(c.disp, CPTR_NULL));      /* removed again ... */
    EXPECT_OK(disp_set_exit_ep(c.disp, badged));         /* ... and set */
    /* safety rule 7: without REVOKE (every cap a domain is given) an
     * installed exit endpoint can be neither removed nor replaced */
    cslot_t given = scratch_slot();
    EXPECT_OK(cap_mint(SCRATCH_CNODE, given, c.disp, CAP_RIGHTS_GIVEN, 0));
    EXPECT_ERR(disp_set_exit_ep(SCRATCH(given), CPTR_NULL), SYS_ERR_DISP_EXIT_EP_LOCKED);
    EXPECT_ERR(disp_set_exit_ep(SCRATCH(given), ep), SYS_ERR_DISP_EXIT_EP_LOCKED);
    EXPECT_OK(disp_start(c.disp));
    for (yields = 0; yields < 100 && lmp_pending() == 0; yields++) {
        EXPECT_OK(sys_yield());
    }
    EXPECT(lmp_poll(&msg), "no message after %d yields", yields);
    EXPECT_EQ("badge", msg.badge, 77);
    EXPECT_EQ("word 0", msg.words[0], LMP_KERNEL_MSG_KILLED);
    EXPECT_EQ("domain id", msg.words[1], c.shared->domain_id);
    EXPECT_EQ("nwords", msg.nwords, 3);
    EXPECT_ERR(disp_start(c.disp), SYS_ERR_DISP_NOT_RUNNABLE);
}

/*
 * DISPCMD_GET_STATE follows a dispatcher through its life, for any holder
 * of a capability (no rights needed): empty, stopped (set up), runnable,
 * stopped again, killed.
 */
/*
 * Build and start a child whose dispatch kills it (no run entry), then
 * stop it: *stopped = SYS_ERR_OK, or SYS_ERR_DISP_NOT_RUNNABLE if a
 * preemption in between dispatched it already (the caller tries again
 * with a new one). A failed check leaves SYS_ERR_INVALID_ARGS there.
 */
static void start_then_stop(struct child *c, cslot_t *no_rights, errval_t *stopped)
{
    enum disp_state st;

    *stopped = SYS_ERR_INVALID_ARGS;
    *no_rights = scratch_slot();
    EXPECT_OK(build_child(c, faulting_code, ARRAY_LENGTH(faulting_code), KILLED_NAME));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, *no_rights, c->disp, 0, 0));
    EXPECT_OK(disp_get_state(SCRATCH(*no_rights), &st));
    EXPECT_EQ("state before setup", st, DISP_STATE_EMPTY);
    EXPECT_OK(setup_child(c));
    EXPECT_OK(disp_get_state(SCRATCH(*no_rights), &st));
    EXPECT_EQ("state after setup", st, DISP_STATE_STOPPED);
    c->shared->entry_run = 0;
    EXPECT_OK(disp_start(c->disp));
    EXPECT_OK(disp_get_state(SCRATCH(*no_rights), &st));
    if (st == DISP_STATE_KILLED) {
        *stopped = SYS_ERR_DISP_NOT_RUNNABLE;   /* dispatched before we looked */
        return;
    }
    EXPECT_EQ("state after start", st, DISP_STATE_RUNNABLE);
    *stopped = disp_stop(c->disp);
}

static void get_state_follows_life(void)
{
    struct child c;
    cslot_t no_rights;
    enum disp_state st;
    errval_t err = SYS_ERR_DISP_NOT_RUNNABLE;
    int yields;

    for (int tries = 0; tries < 3 && err_no(err) == SYS_ERR_DISP_NOT_RUNNABLE; tries++) {
        if (tries > 0) {
            EXPECT_OK(cap_delete(c.window));    /* the next child's view goes there */
        }
        start_then_stop(&c, &no_rights, &err);
    }
    EXPECT_OK(err);
    EXPECT_OK(disp_get_state(SCRATCH(no_rights), &st));
    EXPECT_EQ("state after stop", st, DISP_STATE_STOPPED);
    EXPECT_OK(disp_start(c.disp));
    for (yields = 0; yields < 10 && st != DISP_STATE_KILLED; yields++) {
        EXPECT_OK(sys_yield());     /* dispatching it kills it: no run entry */
        EXPECT_OK(disp_get_state(SCRATCH(no_rights), &st));
    }
    EXPECT_EQ("state once dispatched without a run entry", st, DISP_STATE_KILLED);
}

/*
 * A KILLED notice that finds the receiver's ring full is not lost: the
 * kernel sends it again when the receiver waits or yields.
 */
static void kill_notice_waits_for_room(void)
{
    struct child c;
    capaddr_t ep, badged;
    struct lmp_msg msg;
    uint32_t word = 0;
    int yields;

    EXPECT_OK(build_child(&c, faulting_code, ARRAY_LENGTH(faulting_code), KILLED_NAME));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    EXPECT_OK(ep_bind(ep, CAP_DISPATCHER));
    badged = SCRATCH(scratch_slot());
    EXPECT_OK(cap_mint(SCRATCH_CNODE, CPTR_L2_INDEX(badged), ep, CAP_RIGHTS_ALL, 78));
    EXPECT_OK(disp_set_exit_ep(c.disp, badged));
    while (err_is_ok(lmp_try_send(ep, CPTR_NULL, 0, &word, 1))) {   /* fill our ring */
        word++;
    }
    EXPECT_EQ("ring full", lmp_pending(), LMP_RING_SLOTS);
    EXPECT_OK(disp_start(c.disp));
    for (yields = 0; yields < 100 && err_no(disp_start(c.disp)) != SYS_ERR_DISP_NOT_RUNNABLE;
         yields++) {
        EXPECT_OK(sys_yield());
    }
    EXPECT_EQ("still only our own messages", lmp_pending(), LMP_RING_SLOTS);
    for (uint32_t i = 0; i < LMP_RING_SLOTS; i++) {
        EXPECT(lmp_poll(&msg) && msg.badge == 0, "message %lu is not ours", (unsigned long)i);
    }
    EXPECT_OK(sys_yield());                 /* room now: the notice comes */
    EXPECT(lmp_poll(&msg), "the KILLED notice was lost");
    EXPECT_EQ("badge", msg.badge, 78);
    EXPECT_EQ("word 0", msg.words[0], LMP_KERNEL_MSG_KILLED);
}

/*
 * Revoking the RAM under a running domain destroys its DCB and takes it
 * off the CPU; the system (init) keeps running and no capability is left.
 */
static void revoke_running_domain(void)
{
    struct child c;
    uint32_t before = capcount();

    EXPECT_OK(build_child(&c, spinning_code, ARRAY_LENGTH(spinning_code), "revoked"));
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(disp_start(c.disp));
    EXPECT_OK(sys_yield());
    EXPECT(c.shared->timeslices >= 1, "child never ran");
    EXPECT_OK(cap_revoke(SCRATCH_RAM));
    EXPECT_EQ("live caps after revoke", capcount(), before);
    for (int i = 0; i < 3; i++) {
        EXPECT_OK(sys_yield());
    }
}

/* Deleting the Dispatcher cap of a stopped, set-up domain deletes the
 * three copies in its DCB too. */
static void delete_dispatcher(void)
{
    struct child c;
    uint32_t before;

    EXPECT_OK(build_child(&c, spinning_code, ARRAY_LENGTH(spinning_code), "deleted"));
    before = capcount();
    EXPECT_OK(setup_child(&c));
    EXPECT_OK(disp_start(c.disp));
    EXPECT_OK(sys_yield());
    EXPECT_OK(cap_delete(c.disp));
    EXPECT_EQ("live caps after deleting the dispatcher", capcount(), before - 1);
    EXPECT_OK(sys_yield());
}

const struct test_case disp_tests[] = {
    { "DISP_START_BEFORE_SETUP", start_before_setup },
    { "DISP_SETUP_WRONG_CAP_TYPES", setup_wrong_cap_types },
    { "DISP_SETUP_SMALLEST_FRAME", setup_smallest_frame },
    { "DISP_SETUP_BAD_ADDRESS", setup_bad_address },
    { "DISP_SETUP_NEEDS_RIGHTS", setup_needs_rights },
    { "DISP_START_STOP_SECOND_DOMAIN", start_stop_second_domain },
    { "DISP_RW_THREAD_REGISTER_PRIVATE", rw_thread_register_private },
    { "DISP_RW_THREAD_REGISTER_KEPT_ACROSS_WAIT", rw_thread_register_kept_across_wait },
    { "DISP_MANY_UNRUNNABLE_DISPATCHERS", many_unrunnable_dispatchers },
    { "DISP_GET_STATE_FOLLOWS_LIFE", get_state_follows_life },
    { "DISP_KILLED_ON_FAULT_WHILE_DISABLED", killed_on_fault_while_disabled },
    { "DISP_EXIT_ENDPOINT_TOLD_OF_KILL", exit_endpoint_told_of_kill },
    { "DISP_KILL_NOTICE_WAITS_FOR_ROOM", kill_notice_waits_for_room },
    { "DISP_REVOKE_RUNNING_DOMAIN", revoke_running_domain },
    { "DISP_DELETE_DISPATCHER", delete_dispatcher },
    TEST_CASES_END
};
