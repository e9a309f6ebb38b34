/*
 * bigspawn: the SPAWN_ cases of large images (issue 13), run from the test
 * image only (SConstruct), where the bigimage variants are boot modules:
 * bigconst (16 MiB .rodata), bigdata (16 MiB .data), bigbss (64 MiB .bss),
 * maxbss (507 MiB .bss) and toobig (508 MiB .bss).
 *
 * Every run of a program must exit with status 0 (it checked every word of
 * its array and the checksum over them, test/domains/bigimage) and leave
 * the memory server's free RAM exactly where it was before the spawn.
 */
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/debug.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../include/server_free.h"

#define ROUNDS 10

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

/* Spawn `cmd`, wait for it: status 0 and free RAM exactly as before. */
static bool run(const char *cmd)
{
    size_t before = server_free(), after;
    domainid_t pid;
    int status = -1;
    errval_t err = aos_rpc_process_spawn(chan(), (char *)cmd, 0, &pid);

    if (err_is_fail(err)) {
        char chain[ERR_CHAIN_MAX];
        err_format_chain(err, chain, sizeof(chain));
        utest_fail("cannot start '%s': %s", cmd, chain);
        return false;
    }
    err = aos_rpc_process_wait(chan(), pid, &status);
    after = server_free();
    if (err_is_fail(err) || status != 0) {
        utest_fail("'%s' (pid %lu): wait %s, status %d", cmd, (unsigned long)pid,
                   err_getcode(err_no(err)), status);
        return false;
    }
    if (after != before) {
        utest_fail("'%s': free RAM %zu bytes before, %zu after", cmd, before, after);
        return false;
    }
    return true;
}

/* `cmd` ten times in a row, each followed by hello. */
static void ten_with_hello(const char *cmd)
{
    size_t before = server_free();

    for (int i = 0; i < ROUNDS; i++) {
        if (!run(cmd) || !run("hello")) {
            return;
        }
    }
    UEXPECT_EQ("free RAM over all runs", server_free(), before);
}

static void big_const(void)
{
    ten_with_hello("bigconst");
}

static void big_data(void)
{
    ten_with_hello("bigdata");
}

static void big_bss(void)
{
    ten_with_hello("bigbss");
}

/* Ten rounds of all three and hello, the order rotating every round, so
 * each follows each (a teardown of one, then a build of another). */
static void interleaved(void)
{
    static const char *const cmds[] = { "bigconst", "bigbss", "hello", "bigdata" };
    size_t before = server_free();

    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 4; i++) {
            if (!run(cmds[(r + i * (r % 2 ? 3 : 1)) % 4])) {
                return;
            }
        }
    }
    UEXPECT_EQ("free RAM over all rounds", server_free(), before);
}

/* All three alive at once (and hello), three times. */
static void together(void)
{
    static const char *const cmds[] = { "bigconst", "bigdata", "bigbss", "hello" };
    size_t before = server_free();

    for (int r = 0; r < 3; r++) {
        domainid_t pids[4];
        for (int i = 0; i < 4; i++) {
            UEXPECT_OK(aos_rpc_process_spawn(chan(), (char *)cmds[i], 0, &pids[i]));
        }
        for (int i = 0; i < 4; i++) {
            int status = -1;
            UEXPECT_OK(aos_rpc_process_wait(chan(), pids[i], &status));
            UEXPECT(status == 0, "'%s' ended with status %d", cmds[i], status);
        }
        UEXPECT_EQ("free RAM after the round", server_free(), before);
    }
}

/* About the largest image that fits below SPAWN_IMAGE_LIMIT (507 MiB of
 * .bss) runs, twice, with hello in between. */
static void at_limit(void)
{
    if (run("maxbss") && run("hello")) {
        run("maxbss");
    }
}

/* One more MiB does not fit: refused with its own error before anything
 * is built, and everything still works. */
static void past_limit(void)
{
    size_t before = server_free();
    domainid_t pid;
    errval_t err = aos_rpc_process_spawn(chan(), "toobig", 0, &pid);

    UEXPECT_ERR(err, LIB_ERR_SPAWN_IMAGE_RANGE);
    UEXPECT_EQ("free RAM after the refusal", server_free(), before);
    UEXPECT(run("bigconst") && run("hello"), "nothing runs after the refusal");
}

/* What `pid` holds (0 if it cannot be asked). */
static size_t held_by(domainid_t pid)
{
    struct aos_proc_info info;

    if (err_is_fail(aos_rpc_process_get_info(chan(), pid, &info))) {
        return 0;
    }
    free(info.name);
    return info.ram_bytes;
}

/*
 * The memory server's free RAM plus what `pid` and this domain hold:
 * constant while nobody else allocates. `pid` may still be starting up
 * (taking and returning blocks while we ask), so ask until two answers a
 * while apart agree (0: they never did).
 */
static size_t free_and_held(domainid_t pid)
{
    size_t last = 0;

    for (int tries = 0; tries < 100; tries++) {
        size_t now = server_free() + held_by(pid) + held_by(spawn_my_pid());
        if (now == last) {
            return now;
        }
        last = now;
        for (int i = 0; i < 20; i++) {
            sys_yield();
        }
    }
    return 0;
}

/*
 * A spawn that runs out of RAM half-way, because another large image holds
 * most of it, gives back everything it took; what fits still runs beside
 * the holder, and killing the holder returns the rest.
 */
static void out_of_ram(void)
{
    size_t start = server_free(), before;
    domainid_t holder, pid;
    int status = 0;
    errval_t err;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "maxbss hold", 0, &holder));
    before = free_and_held(holder);
    UEXPECT(before != 0, "the holder's RAM never settled");
    UEXPECT(server_free() + (507u << 20) <= start, "the holder holds only %zu bytes",
            start - server_free());
    err = aos_rpc_process_spawn(chan(), "maxbss", 0, &pid);
    UEXPECT(err_is_fail(err), "a second 507 MiB image started beside the first");
    UEXPECT_EQ("free RAM and the holder's after the failed spawn", free_and_held(holder),
               before);
    UEXPECT(run("bigbss") && run("hello"), "nothing runs beside the holder");
    UEXPECT_OK(aos_rpc_process_kill(chan(), holder));
    UEXPECT_OK(aos_rpc_process_wait(chan(), holder, &status));
    UEXPECT_EQ("holder's status", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_EQ("free RAM after the holder", server_free(), start);
    UEXPECT(run("maxbss"), "the large image does not run again");
}

static const struct utest_case cases[] = {
    { "SPAWN_BIG_CONST_X10", big_const },
    { "SPAWN_BIG_DATA_X10", big_data },
    { "SPAWN_BIG_BSS_X10", big_bss },
    { "SPAWN_BIG_INTERLEAVED", interleaved },
    { "SPAWN_BIG_TOGETHER", together },
    { "SPAWN_IMAGE_AT_LIMIT", at_limit },
    { "SPAWN_IMAGE_PAST_LIMIT", past_limit },
    { "SPAWN_BIG_OUT_OF_RAM", out_of_ram },
    UTEST_END
};

int main(void)
{
    utest_run(cases);
    return utest_finish();
}
