/*
 * rpctest's RPC_LONG_ANSWER_* cases: answers longer than a client's ring,
 * sent in windows the client pulls for (include/aos/aos_rpc_wire.h,
 * docs/messages.md "Long answers"), driven by hand so each step of the
 * protocol is seen: a window is at most RPC_WINDOW messages and nothing
 * follows it until the pull; a client that pauses, or makes other calls
 * meanwhile, gets the rest later; one that asks for another long answer or
 * stops reading gets an error when it pulls (never silence); and one that
 * stalls for good costs init nothing while it keeps serving everyone else.
 *
 * The long answer is this domain's own block list (VMBLOCKS) after
 * LONG_BLOCKS more HEAP blocks: about 60 fragments, 8 windows.
 */
#include "long_answer.h"
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/dispatch.h>
#include <aos/paging.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <aos/vmmap.h>
#include <stdlib.h>
#include <string.h>

#define LONG_BLOCKS 200
#define STALL_MARK  (256u << 20)   /* a HEAP block this large: "stalled now" */

static void *blocks[LONG_BLOCKS];

static struct aos_rpc *rpc(void)
{
    return aos_rpc_get_init_channel();
}

static domainid_t self(void)
{
    return spawn_my_pid();
}

/* LONG_BLOCKS one-page HEAP blocks (nothing touched: no RAM). */
static bool make_blocks(void)
{
    for (int i = 0; i < LONG_BLOCKS; i++) {
        if (err_is_fail(paging_alloc(get_current_paging_state(), &blocks[i], BASE_PAGE_SIZE,
                                     BASE_PAGE_SIZE))) {
            return false;
        }
    }
    return true;
}

static void free_blocks(void)
{
    for (int i = 0; i < LONG_BLOCKS; i++) {
        if (blocks[i] != NULL) {
            paging_free(get_current_paging_state(), blocks[i]);
            blocks[i] = NULL;
        }
    }
}

/* Send a request or a pull (MORE) for VMBLOCKS of ourselves by hand;
 * returns the sequence number it carries. */
static uint32_t send_raw(uint32_t flags, uint32_t seq, uint32_t send_flags)
{
    uint32_t w[2] = { RPC_HDR(RPC_OP_PROC_VMBLOCKS, flags) | RPC_SEQ(seq), self() };

    if (err_is_fail(lmp_send(rpc()->ep, CPTR_NULL, send_flags, w, flags ? 1 : 2))) {
        utest_fail("sending a VMBLOCKS %s failed", flags ? "pull" : "request");
    }
    return seq;
}

static uint32_t next_seq(void)
{
    return ++rpc()->seq;
}

/* What came of one window. */
struct window {
    uint32_t messages;       /* read in it */
    uint32_t early_more;     /* MORE on a message that was not the window's last */
    bool more;               /* it ended with MORE: pull for the next */
    bool replied;            /* it ended with the reply */
    errval_t err;            /* the reply's */
    uint32_t count;          /* the reply's word 3 (blocks) */
};

/* Read one window of the answer to call `seq`: messages until one carries
 * MORE or is the reply; the fragments go to rx. */
static struct window read_window(uint32_t seq, struct rpc_string_rx *rx)
{
    struct window w = { 0 };
    struct lmp_msg m;

    while (!w.more && !w.replied) {
        lmp_recv(&m);
        if (m.nwords == 0 || RPC_HDR_SEQ(m.words[0]) != seq
            || RPC_HDR_OP(m.words[0]) != RPC_OP_PROC_VMBLOCKS) {
            continue;                       /* stale */
        }
        w.messages++;
        if (m.words[0] & RPC_FLAG_REPLY) {
            w.replied = true;
            w.err = m.nwords >= 3 ? rpc_get_err(&m.words[1]) : LIB_ERR_RPC_BAD_REPLY;
            w.count = m.nwords >= 4 ? m.words[3] : 0;
            break;
        }
        rpc_string_rx_feed(rx, m.words, m.nwords);
        w.more = (m.words[0] & RPC_FLAG_MORE) != 0;
    }
    return w;
}

/* Nothing is waiting in our ring (lmp_poll takes it if there is). */
static bool ring_empty(void)
{
    struct lmp_msg m;
    return !lmp_poll(&m);
}

/* Every block we made is in the list of `n` entries in `data`. */
static bool all_listed(const char *data, uint32_t n)
{
    const struct vmmap_entry *e = (const void *)data;

    for (int i = 0; i < LONG_BLOCKS; i++) {
        bool found = false;
        for (uint32_t k = 0; k < n && !found; k++) {
            found = e[k].base == (uint32_t)(uintptr_t)blocks[i] && e[k].order == BASE_PAGE_BITS;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* The answer in windows of at most RPC_WINDOW messages, with nothing sent
 * after a window until we pull, and a pause between windows changes
 * nothing: the rest arrives whole when we ask. */
static void windows_and_pause(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t seq, windows = 0, len = 0;
    struct window w;
    char *data;

    UEXPECT(make_blocks(), "could not make %d blocks", LONG_BLOCKS);
    seq = send_raw(0, next_seq(), LMP_FLAG_YIELD);
    w = read_window(seq, &rx);
    UEXPECT(w.more && w.messages == RPC_WINDOW, "first window: %lu messages, %s",
            (unsigned long)w.messages, w.more ? "MORE" : "no MORE");
    for (int i = 0; i < 100; i++) {
        sys_yield();                        /* init runs: it must send nothing */
    }
    UEXPECT(ring_empty(), "init sent more than a window without a pull");
    while (w.more) {
        send_raw(RPC_FLAG_MORE, seq, LMP_FLAG_YIELD);
        w = read_window(seq, &rx);
        UEXPECT(w.messages <= RPC_WINDOW, "a window of %lu messages", (unsigned long)w.messages);
        windows++;
    }
    UEXPECT_OK(w.err);
    data = rpc_string_rx_take(&rx, &len);
    bool whole = data != NULL && len == w.count * sizeof(struct vmmap_entry)
                 && all_listed(data, w.count);
    free(data);
    free_blocks();
    UEXPECT(windows >= 5, "only %lu more windows", (unsigned long)windows);
    UEXPECT(whole, "the answer is not whole: %lu bytes for %lu blocks", (unsigned long)len,
            (unsigned long)w.count);
}

/* Short calls between two windows leave the answer where it was: the
 * rest arrives whole when we pull. Another long answer replaces it: a
 * late pull then gets LIB_ERR_RPC_NO_ANSWER as its reply, and so do a pull
 * with no answer going out and a pull of another op; a malformed pull is
 * MALFORMED. */
static void between_windows(void)
{
    uint32_t w2[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_PROC_VMBLOCKS, RPC_FLAG_MORE), 1 };
    struct rpc_string_rx rx = { 0 };
    struct lmp_msg reply;
    uint32_t seq, len = 0;
    size_t free_bytes, total;
    struct window w;
    char *name = NULL, *data;

    UEXPECT(make_blocks(), "could not make %d blocks", LONG_BLOCKS);
    seq = send_raw(0, next_seq(), LMP_FLAG_YIELD);
    w = read_window(seq, &rx);
    errval_t between = aos_rpc_send_number(rpc(), 5);
    if (err_is_ok(between)) {
        between = aos_rpc_mem_stats(rpc(), &free_bytes, &total);
    }
    while (w.more) {
        send_raw(RPC_FLAG_MORE, seq, LMP_FLAG_YIELD);
        w = read_window(seq, &rx);
    }
    data = rpc_string_rx_take(&rx, &len);
    bool whole = data != NULL && len == w.count * sizeof(struct vmmap_entry)
                 && all_listed(data, w.count);
    free(data);
    /* again, with a long-answer call in between */
    seq = send_raw(0, next_seq(), LMP_FLAG_YIELD);
    struct window first = read_window(seq, &rx);
    rpc_string_rx_reset(&rx);
    errval_t named = aos_rpc_process_get_name(aos_rpc_get_process_channel(), self(), &name);
    free(name);
    send_raw(RPC_FLAG_MORE, seq, LMP_FLAG_YIELD);
    struct window late = read_window(seq, &rx);
    rpc_string_rx_reset(&rx);
    free_blocks();
    UEXPECT_OK(between);
    UEXPECT_OK(w.err);
    UEXPECT(whole, "the answer is not whole after calls between its windows");
    UEXPECT(first.more, "the answer fit one window");
    UEXPECT_OK(named);
    UEXPECT(late.replied && late.messages == 1, "a late pull got %lu messages",
            (unsigned long)late.messages);
    UEXPECT_ERR(late.err, LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_ERR(aos_rpc_call(rpc(), w2, 1, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_ERR(aos_rpc_call(rpc(), w2, 2, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_MALFORMED);
    w2[0] = RPC_HDR(RPC_OP_PROC_ALL_PIDS, RPC_FLAG_MORE);
    UEXPECT_ERR(aos_rpc_call(rpc(), w2, 1, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_OK(aos_rpc_send_number(rpc(), 6));
}

/* A client that pulls without reading fills its own ring: init's send of
 * the third window fails, and init drops the answer instead of waiting or
 * retrying. The client's next pull, once it has read, gets an error; its
 * next calls work. */
static void unread(void)
{
    struct rpc_string_rx rx = { 0 };
    uint32_t seq, waiting;
    struct window w;
    domainid_t *pids;
    size_t n;

    UEXPECT(make_blocks(), "could not make %d blocks", LONG_BLOCKS);
    seq = send_raw(0, next_seq(), 0);
    for (int i = 0; i < 3; i++) {
        send_raw(RPC_FLAG_MORE, seq, 0);    /* 1 request + 3 pulls: our share of init's ring */
    }
    for (int i = 0; i < 20; i++) {
        sys_yield();                        /* init answers all four */
    }
    waiting = get_dispatcher()->lmp.head - get_dispatcher()->lmp.tail;
    while (!ring_empty()) {
    }
    send_raw(RPC_FLAG_MORE, seq, LMP_FLAG_YIELD);
    w = read_window(seq, &rx);
    rpc_string_rx_reset(&rx);
    free_blocks();
    UEXPECT_EQ("messages in the full ring", waiting, LMP_RING_SLOTS);
    UEXPECT(w.replied && w.messages == 1, "a pull after the drop got %lu messages",
            (unsigned long)w.messages);
    UEXPECT_ERR(w.err, LIB_ERR_RPC_NO_ANSWER);
    UEXPECT_OK(aos_rpc_process_get_all_pids(aos_rpc_get_process_channel(), &pids, &n));
    free(pids);
}

/* Twelve replies nobody waited for are still in our ring when we ask for
 * a long answer: the client empties its ring before each window, so the
 * window still finds room (12 stale + 8 would not fit in 16). */
static void after_stale_replies(void)
{
    uint32_t w[2] = { RPC_HDR(RPC_OP_NUMBER, 0) | RPC_SEQ(0xee), 1 };
    struct aos_vm_block *b = NULL;
    size_t n = 0, unlisted;
    uint32_t waiting;

    UEXPECT(make_blocks(), "could not make %d blocks", LONG_BLOCKS);
    for (int i = 0; i < 12; i++) {
        UEXPECT_OK(lmp_send(rpc()->ep, CPTR_NULL, LMP_FLAG_YIELD, w, 2));
    }
    /* init may be preempted before its last replies (a directed yield
     * hands over only the rest of our time slice): wait for all twelve */
    for (int t = 0; t < 100 && get_dispatcher()->lmp.head - get_dispatcher()->lmp.tail < 12; t++) {
        sys_yield();
    }
    waiting = get_dispatcher()->lmp.head - get_dispatcher()->lmp.tail;
    errval_t err = aos_rpc_process_get_vmblocks(aos_rpc_get_process_channel(), self(), &b, &n,
                                                &unlisted);
    free(b);
    free_blocks();
    UEXPECT_EQ("stale replies waiting", waiting, 12);
    UEXPECT_OK(err);
    UEXPECT(n > LONG_BLOCKS, "only %zu blocks", n);
}

/* A client that reads one window and then never again (`rpctest stall`):
 * init keeps serving everyone, including other long answers, and killing
 * the client gives every byte back. */
static void stalled_client(void)
{
    struct aos_rpc *chan = aos_rpc_get_process_channel();
    struct aos_vm_summary vm = { 0 };
    struct aos_vm_block *b = NULL;
    size_t before, n = 0, unlisted, free_bytes, total;
    domainid_t pid, hello;
    int status = -1, tries = 0;

    UEXPECT_OK(aos_rpc_mem_stats(rpc(), &before, &total));
    UEXPECT_OK(aos_rpc_process_spawn(chan, "rpctest stall", 0, &pid));
    while (vm.bytes[1] < STALL_MARK && tries++ < 100000) {
        if (err_is_fail(aos_rpc_process_get_vmmap(chan, pid, &vm))) {
            memset(&vm, 0, sizeof(vm));
        }
        sys_yield();
    }
    bool stalled = vm.bytes[1] >= STALL_MARK;
    errval_t spawned = aos_rpc_process_spawn(chan, "hello beside a stalled reader", 0, &hello);
    if (err_is_ok(spawned)) {
        aos_rpc_process_wait(chan, hello, &status);
    }
    bool made = make_blocks();
    errval_t listed = aos_rpc_process_get_vmblocks(chan, self(), &b, &n, &unlisted);
    free(b);
    free_blocks();
    UEXPECT_OK(aos_rpc_process_kill(chan, pid));
    UEXPECT_OK(aos_rpc_process_wait(chan, pid, &status));
    UEXPECT_EQ("status of the stalled reader", status, AOS_RPC_STATUS_KILLED);
    UEXPECT(stalled, "the stalled reader never got its first window");
    UEXPECT_OK(spawned);
    UEXPECT(made, "could not make %d blocks", LONG_BLOCKS);
    UEXPECT_OK(listed);
    UEXPECT(n > LONG_BLOCKS, "our own long answer has %zu blocks", n);
    UEXPECT_OK(aos_rpc_mem_stats(rpc(), &free_bytes, &total));
    UEXPECT_EQ("free RAM after killing the stalled reader", free_bytes, before);
}

const struct utest_case long_answer_cases[] = {
    { "RPC_LONG_ANSWER_WINDOWS_AND_PAUSE", windows_and_pause },
    { "RPC_LONG_ANSWER_BETWEEN_WINDOWS", between_windows },
    { "RPC_LONG_ANSWER_UNREAD", unread },
    { "RPC_LONG_ANSWER_AFTER_STALE_REPLIES", after_stale_replies },
    { "RPC_LONG_ANSWER_STALLED_CLIENT", stalled_client },
    UTEST_END
};

int long_answer_stall(void)
{
    struct rpc_string_rx rx = { 0 };
    struct window w;
    void *mark;

    if (!make_blocks()) {
        return 2;
    }
    w = read_window(send_raw(0, next_seq(), LMP_FLAG_YIELD), &rx);
    if (!w.more || err_is_fail(paging_alloc(get_current_paging_state(), &mark, STALL_MARK,
                                            BASE_PAGE_SIZE))) {
        return 3;
    }
    for (;;) {
        sys_yield();                        /* never reads again, never pulls */
    }
}
