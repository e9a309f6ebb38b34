/*
 * fuzzer: random system calls, capability invocations and RPCs from user
 * space, and sequences of valid calls judged by oracles, to show that
 * none of them crashes, hangs or corrupts the kernel or init (the guide:
 * "user space can never crash the kernel or another domain").
 *
 *   fuzzer [SEED [ROUNDS [CASE...]]]
 *
 * SEED fixes everything (default 1), so a failure repeats; ROUNDS
 * multiplies every count (default 1: the short run of `scons test`);
 * CASEs run only the cases named (default: all). Each case draws from its
 * own stream (fz_reseed), so it runs the same alone or among the others.
 *
 * Single calls (this file):
 *   CAP_FUZZ_INVOKE   20,000 invocations with random commands and
 *                     arguments on a sandbox: a CNode of the fuzzer's own
 *                     (in a root slot it reserved) holding RAM and
 *                     whatever the invocations make of it (frames, CNodes,
 *                     page tables, endpoints, dispatchers), and on
 *                     malformed capability addresses
 *   SYS_FUZZ_CALLS    5,000 system calls with random numbers and arguments
 *                     (user buffers in kernel space, unmapped, too long)
 *   RPC_FUZZ          2,000 requests to init with random operations, flags,
 *                     lengths and words; one in ten sent without waiting
 *                     (unfinished strings, stale sequence numbers)
 * Sequences (issue 9: holes that need several valid calls in a row):
 *   VSPACE_FUZZ_SEQ      page tables mapped, copied, remapped, frames
 *                        unmapped, deleted and their memory retyped, against
 *                        a model of every translation (vseq.c,
 *                        vmodel.c)
 *   LMP_FUZZ_RECV_SLOTS  capabilities sent into every kind of receive slot;
 *                        the root CNode holds only L2 CNodes (lmpseq.c)
 *   PROC_FUZZ_LIFE       child domains that misuse their own dispatcher and
 *                        end in every way; init learns of each end
 *                        (lifeseq.c)
 *   FUZZ_STILL_WORKS     afterwards: RPCs, fresh pages, a spawned domain
 *
 * Every answer must be an error code the kernel or init defines; the
 * fuzzer must survive; init checks when it exits that all its RAM came
 * back. Left out of the single calls, because a correct kernel does them:
 * starting a dispatcher (its garbage domain would be killed, which is
 * correct but noisy), SYS_RESUME (resumes garbage registers), SYS_WAIT
 * (blocks), SYS_SET_TLS (breaks our own thread pointer), and the RPCs that
 * end or block the caller (EXIT, GETCHAR, WAIT, KILL of ourselves); what
 * a domain may do to its own dispatcher is done by the children of
 * PROC_FUZZ_LIFE.
 */
#include "fuzz.h"
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <autarky/invocations.h>
#include <autarky/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVOCATIONS  (20000 * fz_rounds)
#define SYSCALLS     (5000 * fz_rounds)
#define RPCS         (2000 * fz_rounds)
#define SANDBOX_RAM  (256u * 1024)

/* ---- the sandbox -------------------------------------------------------- */

static cslot_t root;                /* our root slot holding the sandbox CNode */
static capaddr_t sandbox_cn;        /* that CNode cap: CPTR_L1_SLOT | root */
static capaddr_t ram;               /* the RAM from init (its copy is in slot 1) */

static errval_t sandbox_make(void)
{
    capaddr_t cn_ram;
    errval_t err = slot_alloc_root_slot(&root);

    if (err_is_ok(err)) {
        err = ram_alloc_aligned(&cn_ram, OBJSIZE_L2CNODE, OBJSIZE_L2CNODE, NULL);
    }
    if (err_is_ok(err)) {
        err = cap_retype(cn_ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, CAP_ROOTCN, root);
        sandbox_cn = CPTR_L1_SLOT | root;
        cap_delete(cn_ram);         /* the CNode keeps the memory: init revokes it */
        slot_free(cn_ram);
    }
    if (err_is_ok(err)) {
        err = ram_alloc_aligned(&ram, SANDBOX_RAM, SANDBOX_RAM, NULL);
    }
    if (err_is_ok(err)) {
        err = cap_copy(sandbox_cn, 1, ram);
    }
    return err;
}

/* Everything the sandbox made goes: the RAM's descendants by revoke, the
 * CNode with all it holds by delete (the cascade). */
static void sandbox_destroy(void)
{
    cap_revoke(ram);
    cap_delete(ram);
    slot_free(ram);
    cap_delete(sandbox_cn);
    slot_free_root_slot(root);
}

/* A capability address: mostly a sandbox slot or the sandbox CNode, else
 * one that is malformed (bits no address has, so never one of our own). */
static capaddr_t pick_cap(void)
{
    uint32_t r = rnd() % 100;

    if (r < 80) {
        return CPTR(root, rnd() % 16);      /* the busy part of the sandbox */
    }
    if (r < 90) {
        return sandbox_cn;
    }
    return (rnd() & 0x3fffffffu) | 0x40000000u;
}

static uint32_t pick_arg(void)
{
    switch (rnd() % 8) {
    case 0: return rnd() % 300;                         /* slots, counts, entries */
    case 1: return pick_cap();
    case 2: return sandbox_cn;
    case 3: return (rnd() % 64) * BASE_PAGE_SIZE;       /* offsets, sizes */
    case 4: return RETYPE_ARG_TYPE_COUNT(rnd() % (ObjType_Num + 2), rnd() % 4);
    case 5: return rnd() & 0xffu;                       /* flags, rights */
    case 6: return 0;
    default: return rnd();
    }
}

static bool is_dispatcher(capaddr_t c)
{
    struct capability_info ci;
    return err_is_ok(cap_identify(c, &ci)) && ci.type == ObjType_Dispatcher;
}

static capaddr_t slot_in_sandbox(void)
{
    return CPTR(root, 1 + rnd() % 15);
}

/* A plausible invocation, mutated: the right command for some type, the
 * arguments that command takes pointed at the sandbox, one of them now
 * and then replaced by anything. Most fail (wrong type, slot taken, range
 * overlaps), but enough succeed to build objects of every kind, copy,
 * map, bind and destroy them. */
static void plausible(capaddr_t *target, uint32_t *cmd, uint32_t a[5])
{
    static const struct { uint32_t type, size; } kinds[] = {
        { ObjType_RAM, BASE_PAGE_SIZE }, { ObjType_Frame, BASE_PAGE_SIZE },
        { ObjType_L2CNode, OBJSIZE_L2CNODE }, { ObjType_L1CNode, OBJSIZE_L1CNODE_MIN },
        { ObjType_VNode_L1, OBJSIZE_VNODE_L1 }, { ObjType_VNode_L2, OBJSIZE_VNODE_L2 },
        { ObjType_Dispatcher, OBJSIZE_DISPATCHER }, { ObjType_Endpoint, OBJSIZE_ENDPOINT },
    };
    uint32_t k = rnd() % 8;

    *target = slot_in_sandbox();
    a[0] = a[1] = a[2] = a[3] = a[4] = 0;
    switch (rnd() % 8) {
    case 0:
    case 1:                                             /* retype RAM */
        *target = rnd() % 2 ? CPTR(root, 1) : *target;
        *cmd = RAMCMD_RETYPE;
        a[0] = RETYPE_ARG_TYPE_COUNT(kinds[k].type, 1 + rnd() % 3);
        a[1] = (rnd() % 64) * BASE_PAGE_SIZE;
        a[2] = kinds[k].size;
        a[3] = sandbox_cn;
        a[4] = 2 + rnd() % 14;
        break;
    case 2:                                             /* copy or mint */
        *cmd = rnd() % 2 ? CAPCMD_COPY : CAPCMD_MINT;
        a[0] = sandbox_cn;
        a[1] = 2 + rnd() % 14;
        a[2] = rnd() & CAP_RIGHTS_ALL;
        a[3] = rnd();
        break;
    case 3:                                             /* delete, revoke, identify */
        *cmd = 1 + rnd() % 5;
        break;
    case 4:                                             /* map into a table */
        *cmd = VNODECMD_MAP;
        a[0] = slot_in_sandbox();
        a[1] = rnd() % 4 ? rnd() % 256 : rnd() % 5000;
        a[2] = rnd() & 0x7u;
        a[3] = rnd() % 3;
        a[4] = 1 + rnd() % 3;
        break;
    case 5:                                             /* unmap, modify */
        *cmd = rnd() % 2 ? VNODECMD_UNMAP : VNODECMD_MODIFY;
        a[0] = slot_in_sandbox();
        a[1] = rnd() & 0x7u;
        break;
    case 6:                                             /* dispatcher set-up, stop, exit ep */
        *cmd = rnd() % 3 ? DISPCMD_SETUP : (rnd() % 2 ? DISPCMD_STOP : DISPCMD_SET_EXIT_EP);
        a[0] = slot_in_sandbox();
        a[1] = slot_in_sandbox();
        a[2] = slot_in_sandbox();
        a[3] = rnd() % 2 ? 0x00100000u : rnd();
        break;
    default:                                            /* bind an endpoint */
        *cmd = EPCMD_BIND;
        a[0] = slot_in_sandbox();
        break;
    }
    if (rnd() % 4 == 0) {
        a[rnd() % 5] = pick_arg();                      /* mutate one */
    }
}

static void fuzz_invoke(void)
{
    uint32_t ok = 0, distinct = 0;
    static bool seen[ERRCODE_COUNT];

    fz_reseed(1);
    UEXPECT_OK(sandbox_make());
    for (uint32_t i = 0; i < INVOCATIONS; i++) {
        capaddr_t target = pick_cap();
        uint32_t cmd = rnd() % 100 < 90 ? rnd() % 24 : rnd();
        uint32_t a[5] = { pick_arg(), pick_arg(), pick_arg(), pick_arg(), pick_arg() };

        if (rnd() % 4 != 0) {
            plausible(&target, &cmd, a);    /* three in four: shaped to get further */
        }

        if ((cmd == DISPCMD_START && is_dispatcher(target))
            || (target == sandbox_cn && (cmd == CAPCMD_DELETE || cmd == CAPCMD_REVOKE))) {
            continue;               /* keep the sandbox itself */
        }
        if (i % 64 == 0) {
            cap_copy(sandbox_cn, 1, ram);   /* RAM again if a delete took it */
        }
        struct sysret r = sys_invoke(target, cmd, a[0], a[1], a[2], a[3], a[4]);
        fz_calls++;
        if (r.err >= ERRCODE_COUNT) {
            utest_fail("invocation %lu (cap 0x%lx cmd %lu) answered %lu, not an error code",
                       (unsigned long)i, (unsigned long)target, (unsigned long)cmd,
                       (unsigned long)r.err);
            break;
        }
        ok += r.err == SYS_ERR_OK;
        distinct += !seen[r.err];
        seen[r.err] = true;
    }
    sandbox_destroy();
    printf("fuzzer: %lu invocations, %lu succeeded, %lu distinct answers\n",
           (unsigned long)INVOCATIONS,
           (unsigned long)ok, (unsigned long)distinct);
    UEXPECT(ok >= 200, "only %lu invocations succeeded: the sandbox was too empty",
            (unsigned long)ok);
    UEXPECT(distinct >= 10, "only %lu distinct answers", (unsigned long)distinct);
}

/* ---- system calls --------------------------------------------------------- */

static char text[64];

/* A user buffer address: ours, in the NULL guard, unmapped heap, the
 * kernel, or one whose end wraps. */
static uint32_t pick_buffer(void)
{
    switch (rnd() % 5) {
    case 0: return (uint32_t)text;
    case 1: return rnd() % (1u << 20);                   /* the NULL guard */
    case 2: return 0x80000000u - 1 - rnd() % 64;        /* across the top */
    case 3: return 0x80000000u + rnd() % 0x10000000u;   /* kernel */
    default: return rnd() | 0x80000000u;
    }
}

static void fuzz_syscalls(void)
{
    static const uint32_t allowed[] = { SYS_INVOKE, SYS_YIELD, SYS_PRINT, SYS_GETCHAR,
                                        SYS_COUNTER, SYS_LMP_SEND, 0, SYS_COUNT, 77 };
    uint32_t printed = 0;

    fz_reseed(2);
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 2] = '\n';
    UEXPECT_OK(sandbox_make());
    for (uint32_t i = 0; i < SYSCALLS; i++) {
        uint32_t num = rnd() % 100 < 95 ? allowed[rnd() % 9] : rnd();
        uint32_t a[7];
        for (int k = 0; k < 7; k++) {
            a[k] = pick_arg();
        }
        if (num == SYS_RESUME || num == SYS_WAIT || num == SYS_SET_TLS) {
            continue;
        }
        if (num == SYS_PRINT) {
            a[0] = pick_buffer();
            a[1] = rnd() % 100 < 90 ? rnd() % 64 : rnd();
            if (a[0] == (uint32_t)text && a[1] < sizeof(text)) {
                if (printed++ >= 3) {
                    continue;           /* three lines of x show it works */
                }
                a[1] = sizeof(text) - 1;
            }
        }
        if (num == SYS_LMP_SEND || num == SYS_INVOKE) {
            a[0] = pick_cap();
        }
        if (num == SYS_INVOKE && is_dispatcher(a[0]) && a[1] == DISPCMD_START) {
            continue;
        }
        struct sysret r = sys_raw(num, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
        fz_calls++;
        if (r.err >= ERRCODE_COUNT) {
            utest_fail("system call %lu (number %lu) answered %lu, not an error code",
                       (unsigned long)i, (unsigned long)num, (unsigned long)r.err);
            break;
        }
    }
    sandbox_destroy();
}

/* ---- RPCs ---------------------------------------------------------------- */

static void fuzz_rpcs(void)
{
    static const uint32_t ops[] = {
        0, RPC_OP_NUMBER, RPC_OP_STRING, RPC_OP_GET_RAM, RPC_OP_PUTS, RPC_OP_FREE_RAM,
        RPC_OP_MEM_STATS, RPC_OP_PROC_SPAWN, RPC_OP_PROC_GET_NAME, RPC_OP_PROC_ALL_PIDS,
        RPC_OP_PROC_KILL, RPC_OP_PROC_INFO, RPC_OP_PROC_VMMAP, RPC_OP_PROC_VMBLOCKS,
        RPC_OP_COUNT, 200,
    };
    domainid_t self = spawn_my_pid();
    struct aos_rpc *chan = aos_rpc_get_init_channel();
    capaddr_t slot;

    fz_reseed(3);
    UEXPECT_OK(slot_alloc(&slot));
    for (uint32_t i = 0; i < RPCS; i++) {
        uint32_t w[LMP_MSG_WORDS], n = 1 + rnd() % LMP_MSG_WORDS, op = ops[rnd() % 16];
        uint32_t flags = rnd() % 4 == 0 ? (rnd() & RPC_FLAGS_MASK) : 0;
        struct lmp_msg reply;

        for (uint32_t k = 1; k < LMP_MSG_WORDS; k++) {
            w[k] = rnd() % 3 == 0 ? rnd() % 64 : rnd();
        }
        if (op == RPC_OP_STRING || op == RPC_OP_PROC_SPAWN || op == RPC_OP_PUTS) {
            for (uint32_t k = 2; k < LMP_MSG_WORDS; k++) {
                w[k] = 0x61616161u + (rnd() & 0x0f0f0f0fu);   /* printable: init may print it */
            }
        }
        if (op == RPC_OP_STRING || op == RPC_OP_PROC_SPAWN) {
            flags = RPC_FLAG_FIRST | RPC_FLAG_LAST;     /* one fragment: always answered */
        }
        if (op == RPC_OP_PROC_KILL && (w[1] == self || rnd() % 2)) {
            w[1] = 100000 + rnd() % 1000;               /* never us; never issued */
        }
        if (op == RPC_OP_GET_RAM) {
            w[1] = rnd() % 100 < 80 ? rnd() % (64u << 10) : rnd();
            w[2] = 1u << (rnd() % 32);
        }
        if (rnd() % 10 == 0) {
            /* a fragment or request nobody waits for: any flags, any
             * sequence number; its answer (if any) is stale by the next
             * call, which must skip it */
            w[0] = RPC_HDR(op, rnd() & RPC_FLAGS_MASK & ~RPC_FLAG_REPLY) | RPC_SEQ(rnd());
            (void)lmp_send(chan->ep, CPTR_NULL, 0, w, n);
            fz_calls++;
            continue;
        }
        w[0] = RPC_HDR(op, flags & ~RPC_FLAG_REPLY);
        errval_t err = aos_rpc_call(chan, w, n, CPTR_NULL, slot, &reply);
        fz_calls++;
        if (err_no(err) >= ERRCODE_COUNT) {
            utest_fail("request %lu (op %lu) answered %lu", (unsigned long)i,
                       (unsigned long)op, (unsigned long)err);
            break;
        }
        if (err_is_ok(err) && reply.cap != CPTR_NULL) {
            ram_free(slot);                             /* a RAM block we asked for */
            slot_alloc(&slot);
        }
    }
    slot_free(slot);
}

/* ---- afterwards ---------------------------------------------------------- */

static void still_works(void)
{
    struct aos_rpc *chan = aos_rpc_get_init_channel();
    volatile uint32_t *p = malloc(1u << 20);
    domainid_t pid;
    int status = -1;

    UEXPECT_OK(aos_rpc_send_number(chan, 42));
    UEXPECT_OK(aos_rpc_send_string(chan, "fuzzer: still talking"));
    UEXPECT(p != NULL, "malloc(1 MiB) failed");
    for (uint32_t i = 0; i < (1u << 20) / 4; i += 1024) {
        p[i] = i;
    }
    for (uint32_t i = 0; i < (1u << 20) / 4; i += 1024) {
        UEXPECT(p[i] == i, "fresh page %lu lost its value", (unsigned long)(i / 1024));
    }
    free((void *)p);
    UEXPECT_OK(aos_rpc_process_spawn(aos_rpc_get_process_channel(), "hello fuzz", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(aos_rpc_get_process_channel(), pid, &status));
    UEXPECT_EQ("a spawned hello's status", status, 0);
}

static void vspace_seq(void)
{
    fz_reseed(4);
    fuzz_vspace_seq();
}

static void lmp_seq(void)
{
    fz_reseed(5);
    fuzz_lmp_seq();
}

static void life_seq(void)
{
    fz_reseed(6);
    fuzz_life_seq();
}

static const struct utest_case cases[] = {
    { "CAP_FUZZ_INVOKE", fuzz_invoke },
    { "SYS_FUZZ_CALLS", fuzz_syscalls },
    { "RPC_FUZZ", fuzz_rpcs },
    { "VSPACE_FUZZ_SEQ", vspace_seq },
    { "LMP_FUZZ_RECV_SLOTS", lmp_seq },
    { "PROC_FUZZ_LIFE", life_seq },
    { "FUZZ_STILL_WORKS", still_works },
    UTEST_END
};

/* `fuzzer [SEED [ROUNDS [CASE...]]]` (see the top of the file). */
int main(int argc, char **argv)
{
    static struct utest_case chosen[sizeof(cases) / sizeof(cases[0])];
    int n = 0;

    if (argc > 1) {
        fz_seed = (uint32_t)strtoul(argv[1], NULL, 0) | 1u;
    }
    if (argc > 2 && strtoul(argv[2], NULL, 0) > 0) {
        fz_rounds = (uint32_t)strtoul(argv[2], NULL, 0);
    }
    for (const struct utest_case *c = cases; c->id != NULL; c++) {
        bool named = argc <= 3;
        for (int a = 3; a < argc; a++) {
            named |= strcmp(argv[a], c->id) == 0;
        }
        if (named) {
            chosen[n++] = *c;
        }
    }
    chosen[n] = (struct utest_case)UTEST_END;
    /* Bind to our monitor first (none on one core): the system-call case
     * may put a capability into any empty slot of our TASKCN, the
     * binding's among them (TASKCN_SLOT_MONITOREP, filled on first use),
     * and PROC_FUZZ_LIFE's get_all_pids needs the binding on more cores. */
    (void)aos_rpc_get_monitor_channel();
    utest_run(chosen);
    fz_reseed(0);
    printf("fuzzer: seed %lu, rounds %lu: %llu calls\n", (unsigned long)fz_seed,
           (unsigned long)fz_rounds, (unsigned long long)fz_total_calls);
    return utest_finish();
}
