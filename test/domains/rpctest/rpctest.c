/*
 * rpctest: the RPC_ cases, run in a fresh domain spawned by init
 * (`scons boot BOOT=rpctest`, part of `scons test`). Each case talks to
 * init over the domain's only channel; init checks afterwards that all
 * RAM the program got came back.
 */
#include "long_answer.h"
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/utest.h>
#include <aos/threads.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct aos_rpc *init_rpc(void)
{
    return aos_rpc_get_init_channel();
}

static void number(void)
{
    static const uint32_t values[] = { 0, 1, 42, 0x7fffffffu, 0xffffffffu };

    for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        UEXPECT_OK(aos_rpc_send_number(init_rpc(), values[i]));
    }
    for (unsigned i = 0; i < 1000; i++) {
        UEXPECT_OK(aos_rpc_send_number(init_rpc(), i));
    }
}

/* The server answers with the length and checksum of what it got. */
static void strings(void)
{
    static const uint32_t lengths[] = { 0, 1, 23, 24, 25, 51, 52, 53, 1000 };
    char buf[1001];

    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (char)('a' + i % 26);
    }
    UEXPECT_OK(aos_rpc_send_string(init_rpc(), ""));
    UEXPECT_OK(aos_rpc_send_string(init_rpc(), "hello, init"));
    for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        UEXPECT_OK(aos_rpc_send_bytes(init_rpc(), buf, lengths[i]));
    }
}

static void string_64k(void)
{
    uint32_t len = 64 * 1024;
    char *s = malloc(len + 1);

    UEXPECT(s != NULL, "malloc(64 KiB) failed");
    for (uint32_t i = 0; i < len; i++) {
        s[i] = (char)(' ' + (i * 7) % 95);
    }
    s[len] = '\0';
    errval_t err = aos_rpc_send_string(init_rpc(), s);
    free(s);
    UEXPECT_OK(err);
}

/* RAM of several sizes and alignments: right type, size, alignment, and
 * usable: retyped to a frame, mapped, written and read back. */
static void ram_caps(void)
{
    static const struct { size_t size, align; } req[] = {
        { 4096, 4096 }, { 5000, 4096 }, { 65536, 65536 }, { 4096, 1u << 20 },
        { 1u << 20, 4096 },
    };

    for (unsigned i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        struct capability_info ci;
        capaddr_t ram, frame;
        size_t got;
        void *buf;

        UEXPECT_OK(aos_rpc_get_ram_cap(init_rpc(), req[i].size, req[i].align, &ram, &got));
        UEXPECT_OK(cap_identify(ram, &ci));
        UEXPECT_EQ("type", ci.type, ObjType_RAM);
        UEXPECT(ci.size >= req[i].size && got == ci.size,
                "asked %zu bytes, got %zu (cap says %lu)", req[i].size, got,
                (unsigned long)ci.size);
        UEXPECT_EQ("alignment", ci.base % req[i].align, 0);
        UEXPECT_OK(slot_alloc(&frame));
        UEXPECT_OK(cap_retype_one(ram, ObjType_Frame, 0, BASE_PAGE_SIZE, frame));
        UEXPECT_OK(paging_map_frame(get_current_paging_state(), &buf, BASE_PAGE_SIZE,
                                    frame, VREGION_FLAGS_READ_WRITE));
        ((volatile uint32_t *)buf)[7] = 0xfeed0000u + i;
        UEXPECT_EQ("read back", ((volatile uint32_t *)buf)[7], 0xfeed0000u + i);
        UEXPECT_OK(paging_unmap(get_current_paging_state(), buf));
        UEXPECT_OK(cap_delete(frame));
        UEXPECT_OK(slot_free(frame));
        UEXPECT_OK(cap_delete(ram));
        UEXPECT_OK(slot_free(ram));
    }
}

/* What init gives cannot be revoked by its receiver: RAM from GET_RAM and
 * the endpoint to init come without the REVOKE right, so a domain cannot
 * delete init's copies (its bookkeeping, or the endpoint every domain
 * talks to it through). Before that right existed, a revoke here lost the
 * block for good and cut every domain off from init. */
static void given_caps_not_revocable(void)
{
    struct capability_info ci;
    capaddr_t ram;
    size_t got;

    UEXPECT_OK(aos_rpc_get_ram_cap(init_rpc(), 65536, 4096, &ram, &got));
    UEXPECT_OK(cap_identify(ram, &ci));
    UEXPECT_EQ("rights of given RAM", ci.rights, CAP_RIGHTS_GIVEN);
    UEXPECT_ERR(cap_revoke(ram), SYS_ERR_REVOKE_NO_RIGHT);
    UEXPECT_OK(cap_identify(CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_INITEP), &ci));
    UEXPECT_EQ("rights of the endpoint to init", ci.rights, CAP_RIGHTS_GIVEN);
    UEXPECT_ERR(cap_revoke(CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_INITEP)),
                SYS_ERR_REVOKE_NO_RIGHT);
    UEXPECT_ERR(cap_revoke(CAP_DISPFRAME), SYS_ERR_REVOKE_NO_RIGHT);
    UEXPECT_OK(aos_rpc_send_number(init_rpc(), 1));     /* init still hears us */
    UEXPECT_OK(ram_free(ram));                          /* and takes its block back */
}

/* What a domain retypes itself is its own: the new objects carry REVOKE
 * even though the RAM they came from does not, so the domain can take back
 * every copy of its own frame (here: two copies, one mapped), while the RAM
 * above stays out of its reach and still goes back to init. */
static void own_retype_revocable(void)
{
    struct capability_info ci;
    capaddr_t ram, frame, copy;
    size_t got;
    void *buf;

    UEXPECT_OK(aos_rpc_get_ram_cap(init_rpc(), 8192, 4096, &ram, &got));
    UEXPECT_OK(slot_alloc(&frame));
    UEXPECT_OK(slot_alloc(&copy));
    UEXPECT_OK(cap_retype_one(ram, ObjType_Frame, 0, 8192, frame));
    UEXPECT_OK(cap_identify(frame, &ci));
    UEXPECT_EQ("rights of a frame we retyped", ci.rights, CAP_RIGHTS_GIVEN | CAP_RIGHT_REVOKE);
    UEXPECT_OK(cap_copy_to(copy, frame));
    UEXPECT_OK(paging_map_frame(get_current_paging_state(), &buf, 8192, copy,
                                VREGION_FLAGS_READ_WRITE));
    ((volatile uint32_t *)buf)[1] = 0x5eed;
    UEXPECT_OK(paging_unmap(get_current_paging_state(), buf));
    UEXPECT_OK(cap_revoke(frame));                      /* the copy goes */
    UEXPECT_ERR(cap_identify(copy, &ci), SYS_ERR_SLOT_EMPTY);
    UEXPECT_OK(cap_identify(frame, &ci));               /* the frame stays */
    UEXPECT_ERR(cap_revoke(ram), SYS_ERR_REVOKE_NO_RIGHT);
    UEXPECT_OK(cap_delete(frame));
    UEXPECT_OK(slot_free(frame));
    UEXPECT_OK(slot_free(copy));
    UEXPECT_OK(ram_free(ram));                          /* init takes it back */
}

static void ram_cap_errors(void)
{
    capaddr_t ram;
    size_t got;

    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 0, 4096, &ram, &got), LIB_ERR_MM_BAD_SIZE);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 4096, 3000, &ram, &got),
                LIB_ERR_MM_BAD_ALIGNMENT);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 0x80000000u, 4096, &ram, &got),
                LIB_ERR_MM_OUT_OF_MEMORY);
    /* request words that would overflow a sum, or ask for more than exists
     * through the alignment (init judges the block, never adds them) */
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 0xffffffffu, 4096, &ram, &got),
                LIB_ERR_MM_BAD_SIZE);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 0xfffff001u, 0x80000000u, &ram, &got),
                LIB_ERR_MM_BAD_SIZE);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 4096, 0x80000000u, &ram, &got),
                LIB_ERR_MM_OUT_OF_MEMORY);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 4096, 0xffffffffu, &ram, &got),
                LIB_ERR_MM_BAD_ALIGNMENT);
    UEXPECT_ERR(aos_rpc_get_ram_cap(init_rpc(), 4096, 6, &ram, &got), LIB_ERR_MM_BAD_ALIGNMENT);
    UEXPECT_OK(aos_rpc_get_ram_cap(init_rpc(), 4096, 0, &ram, &got));   /* 0: a page */
    UEXPECT_EQ("block for alignment 0", got, 4096);
    UEXPECT_OK(ram_free(ram));
}

/* A raw request; returns the server's error. */
static errval_t raw(const uint32_t *words, uint32_t n, capaddr_t cap)
{
    struct lmp_msg reply;
    return aos_rpc_call(init_rpc(), words, n, cap, CPTR_NULL, &reply);
}

/*
 * Every request of a fixed size, sent one word short and one word long,
 * is refused LIB_ERR_RPC_MALFORMED before it is handled (init's
 * request_words, docs/safety.md rule 14). Word 1 is 0 throughout: were a
 * pid read, it would name this core's init, which no kill or wait ends
 * (and a GETCHAR that got through would hang the case: a verdict too).
 */
static void every_request_size_checked(void)
{
    static const struct { uint32_t op, words; } fixed[] = {
        { RPC_OP_NUMBER, 2 },        { RPC_OP_GET_RAM, 3 },      { RPC_OP_PUTCHAR, 2 },
        { RPC_OP_MEM_STATS, 1 },     { RPC_OP_PROC_GET_NAME, 2 }, { RPC_OP_PROC_ALL_PIDS, 1 },
        { RPC_OP_PROC_KILL, 2 },     { RPC_OP_PROC_WAIT, 2 },    { RPC_OP_PROC_INFO, 2 },
        { RPC_OP_PROC_VMMAP, 2 },    { RPC_OP_PROC_VMBLOCKS, 2 }, { RPC_OP_MONITOR_BIND, 1 },
        { RPC_OP_GETCHAR, 1 },
    };
    uint32_t w[LMP_MSG_WORDS] = { 0 };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        w[0] = RPC_HDR(fixed[i].op, 0);
        if (fixed[i].words > 1) {
            UEXPECT_ERR(raw(w, fixed[i].words - 1, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
        }
        UEXPECT_ERR(raw(w, fixed[i].words + 1, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    }
    UEXPECT_OK(aos_rpc_send_number(init_rpc(), 7));     /* and init still serves */
}

static void bad_requests(void)
{
    uint32_t w[LMP_MSG_WORDS] = { 0 };
    capaddr_t copy;

    w[0] = RPC_HDR(99, 0);
    UEXPECT_ERR(raw(w, 1, CPTR_NULL), LIB_ERR_RPC_BAD_OP);
    w[0] = RPC_HDR(0, 0);
    UEXPECT_ERR(raw(w, 1, CPTR_NULL), LIB_ERR_RPC_BAD_OP);
    w[0] = RPC_HDR(RPC_OP_NUMBER, 0);
    UEXPECT_ERR(raw(w, 1, CPTR_NULL), LIB_ERR_RPC_MALFORMED);       /* no value */
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_MALFORMED);       /* too many */
    w[0] = RPC_HDR(RPC_OP_NUMBER, RPC_FLAG_REPLY);
    UEXPECT_ERR(raw(w, 2, CPTR_NULL), LIB_ERR_RPC_MALFORMED);       /* a "reply" */
    w[0] = RPC_HDR(RPC_OP_GET_RAM, 0);
    UEXPECT_ERR(raw(w, 2, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    w[0] = RPC_HDR(RPC_OP_PUTS, 0);
    w[1] = 25;                                                      /* > RPC_PUTS_MAX */
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    w[1] = RPC_PUTS_FLUSH | 25;                                     /* the flag hides nothing */
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    w[1] = 0xffffffffu;
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    w[1] = RPC_PUTS_FLUSH;                                          /* no bytes: 2 words only */
    UEXPECT_ERR(raw(w, 3, CPTR_NULL), LIB_ERR_RPC_MALFORMED);
    UEXPECT_OK(raw(w, 2, CPTR_NULL));                               /* a flush of nothing */
    /* a capability where none belongs: deleted by the server */
    UEXPECT_OK(slot_alloc(&copy));
    UEXPECT_OK(cap_copy_to(copy, CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_ARGSPAGE)));
    w[0] = RPC_HDR(RPC_OP_NUMBER, 0);
    UEXPECT_ERR(raw(w, 2, copy), LIB_ERR_RPC_UNEXPECTED_CAP);
    UEXPECT_OK(cap_delete(copy));
    UEXPECT_OK(slot_free(copy));
    UEXPECT_OK(aos_rpc_send_number(init_rpc(), 7));                 /* still serving */
}

static void bad_strings(void)
{
    uint32_t w[LMP_MSG_WORDS] = { 0 };

    w[0] = RPC_HDR(RPC_OP_STRING, RPC_FLAG_LAST);                   /* no FIRST */
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_NO_FIRST);
    w[0] = RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST | RPC_FLAG_LAST);  /* says 100, has 24 */
    w[1] = 100;
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_STRING_TRUNCATED);
    w[1] = 4;                                                       /* says 4, has 24 */
    UEXPECT_ERR(raw(w, 8, CPTR_NULL), LIB_ERR_RPC_STRING_OVERRUN);
    w[1] = RPC_STRING_MAX + 1;
    UEXPECT_ERR(raw(w, 2, CPTR_NULL), LIB_ERR_RPC_STRING_TOO_LONG);
    w[1] = 0xffffffffu;
    UEXPECT_ERR(raw(w, 2, CPTR_NULL), LIB_ERR_RPC_STRING_TOO_LONG);
    w[0] = RPC_HDR(RPC_OP_STRING, RPC_FLAG_FIRST | RPC_FLAG_LAST);
    UEXPECT_ERR(raw(w, 1, CPTR_NULL), LIB_ERR_RPC_MALFORMED);       /* no length */
    UEXPECT_OK(aos_rpc_send_string(init_rpc(), "still serving"));
}

/* A reply nobody waits for (to a request sent without waiting) must not
 * be taken for the next call's: replies carry the call's sequence number. */
static void stale_reply_ignored(void)
{
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(0xee) };

    UEXPECT_OK(lmp_send(init_rpc()->ep, CPTR_NULL, LMP_FLAG_YIELD, w, 1));  /* malformed */
    UEXPECT_OK(aos_rpc_send_number(init_rpc(), 99));   /* its reply arrives first */
    UEXPECT_OK(aos_rpc_send_string(init_rpc(), "after a stale reply"));
}

static void serial(void)
{
    UEXPECT_OK(aos_rpc_serial_putchar(init_rpc(), '*'));
    UEXPECT_OK(aos_rpc_serial_putchar(init_rpc(), '\n'));
    static const char line[] = "rpctest: a line through PUTS, longer than one message\n";
    UEXPECT_OK(aos_rpc_serial_write(init_rpc(), line, sizeof(line) - 1));
}

/* Several threads share the one channel: every call gets its own reply. */
static int rpc_worker(void *arg)
{
    char text[64];
    int failures = 0;

    snprintf(text, sizeof(text), "thread %d says hello over a shared channel", (int)(uintptr_t)arg);
    for (int i = 0; i < 50; i++) {
        failures += err_is_fail(aos_rpc_send_number(init_rpc(), (uintptr_t)arg * 1000 + i));
        failures += err_is_fail(aos_rpc_send_string(init_rpc(), text));
    }
    return failures;
}

static void threads_share_channel(void)
{
    struct thread *t[8];

    for (uintptr_t i = 0; i < 8; i++) {
        t[i] = thread_create(rpc_worker, (void *)i);
        UEXPECT(t[i] != NULL, "thread_create %lu failed", (unsigned long)i);
    }
    for (int i = 0; i < 8; i++) {
        int failures = -1;
        UEXPECT_OK(thread_join(t[i], &failures));
        UEXPECT_EQ("failed calls in a thread", failures, 0);
    }
}

static const struct utest_case rpc_cases[] = {
    { "RPC_NUMBER", number },
    { "RPC_STRINGS", strings },
    { "RPC_STRING_64KIB", string_64k },
    { "RPC_RAM_CAPS", ram_caps },
    { "RPC_RAM_CAP_ERRORS", ram_cap_errors },
    { "RPC_GIVEN_CAPS_NOT_REVOCABLE", given_caps_not_revocable },
    { "CAP_OWN_RETYPE_REVOCABLE", own_retype_revocable },
    { "RPC_BAD_REQUESTS", bad_requests },
    { "RPC_EVERY_REQUEST_SIZE_CHECKED", every_request_size_checked },
    { "RPC_BAD_STRINGS", bad_strings },
    { "RPC_STALE_REPLY_IGNORED", stale_reply_ignored },
    { "RPC_SERIAL", serial },
    { "RPC_THREADS_SHARE_CHANNEL", threads_share_channel },
    UTEST_END
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "stall") == 0) {
        return long_answer_stall();         /* a helper of RPC_LONG_ANSWER_STALLED_CLIENT */
    }
    utest_run(rpc_cases);
    utest_run(long_answer_cases);
    return utest_finish();
}
