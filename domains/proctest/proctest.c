/*
 * proctest: the PROC_ cases, written against the process-management
 * interface of include/aos/aos_rpc.h as any program would use it.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/dispatch.h>
#include <aos/threads.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

static size_t server_free(void)
{
    size_t f = 0, t;
    aos_rpc_mem_stats(chan(), &f, &t);
    return f;
}

static size_t running_count(void)
{
    domainid_t *pids;
    size_t n = 0;
    if (err_is_ok(aos_rpc_process_get_all_pids(chan(), &pids, &n))) {
        free(pids);
    }
    return n;
}

static void spawn_name_wait(void)
{
    domainid_t pid;
    char *name;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello a \"b c\"", 0, &pid));
    UEXPECT(pid > get_dispatcher()->domain_id || pid > 0, "pid %lu", (unsigned long)pid);
    UEXPECT_OK(aos_rpc_process_get_name(chan(), pid, &name));
    UEXPECT(strcmp(name, "hello a \"b c\"") == 0, "name '%s'", name);
    free(name);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("exit status", status, 0);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello --exit 7", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("exit status", status, 7);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));   /* again: still known */
    UEXPECT_EQ("exit status, asked twice", status, 7);
}

static void all_pids_and_info(void)
{
    domainid_t *pids, pid;
    size_t n;
    bool init_seen = false, busy_seen = false;
    struct aos_proc_info info;
    int status;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 2", 0, &pid));
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &pids, &n));
    for (size_t i = 0; i < n; i++) {
        init_seen |= pids[i] == 0;
        busy_seen |= pids[i] == pid;
    }
    free(pids);
    UEXPECT(init_seen && busy_seen, "init or the new domain missing from %zu pids", n);
    UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
    UEXPECT(strcmp(info.name, "busy 2") == 0, "name '%s'", info.name);
    free(info.name);
    UEXPECT_EQ("state", info.state, PROC_STATE_RUNNING);
    UEXPECT_EQ("core", info.core, 0);
    UEXPECT(info.ram_bytes > 0, "no RAM accounted");
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status of a killed domain", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &pids, &n));
    for (size_t i = 0; i < n; i++) {
        UEXPECT(pids[i] != pid, "a killed domain is still listed");
    }
    free(pids);
    UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
    free(info.name);
    UEXPECT_EQ("state after kill", info.state, PROC_STATE_KILLED);
}

/* A busy domain holding 8 MiB is killed: the memory server gets it all back. */
static void kill_gives_ram_back(void)
{
    size_t before, running_before = running_count();
    domainid_t pid;
    int status;

    before = server_free();
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 8", 0, &pid));
    for (int i = 0; i < 50; i++) {
        thread_yield();
        sys_yield();                        /* let it touch its 8 MiB */
    }
    UEXPECT(server_free() < before, "the busy domain holds no RAM");
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_ERR(aos_rpc_process_kill(chan(), pid), INIT_ERR_ALREADY_ENDED);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("free RAM after the kill", server_free(), before);
    UEXPECT_EQ("running domains", running_count(), running_before);
}

/* 1,000 domains in a row, ending by exit, fault and kill in turn. */
static void thousand_domains(void)
{
    size_t before = server_free(), running_before = running_count();
    int status;

    for (int i = 0; i < 1000; i++) {
        domainid_t pid;
        const char *cmd = i % 3 == 0 ? "hello" : i % 3 == 1 ? "faulter null" : "busy";
        UEXPECT_OK(aos_rpc_process_spawn(chan(), (char *)cmd, 0, &pid));
        if (i % 3 == 2) {
            UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
        }
        UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
        UEXPECT_EQ("status", status, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : AOS_RPC_STATUS_KILLED);
    }
    UEXPECT_EQ("free RAM after 1,000 domains", server_free(), before);
    UEXPECT_EQ("running domains", running_count(), running_before);
}

static void bad_input(void)
{
    char long_name[400];
    domainid_t pid;
    char *name;
    int status;

    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), long_name, 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "   ", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "/bin/hello", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "nosuchmodule", 0, &pid), INIT_ERR_NO_SUCH_MODULE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "init", 0, &pid), INIT_ERR_NOT_SPAWNABLE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello", 1, &pid), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello \"unclosed", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_get_name(chan(), 999999, &name), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 0), INIT_ERR_KILL_INIT);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 999999), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 999999, &status), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 0, &status), INIT_ERR_KILL_INIT);
    /* raw malformed requests */
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_PROC_KILL, 0) };
    struct lmp_msg reply;
    UEXPECT_ERR(aos_rpc_call(chan(), w, 1, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_MALFORMED);
    w[0] = RPC_HDR(RPC_OP_PROC_SPAWN, RPC_FLAG_LAST);              /* no FIRST */
    UEXPECT_ERR(aos_rpc_call(chan(), w, 8, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_NO_FIRST);
    w[0] = RPC_HDR(RPC_OP_PROC_SPAWN, RPC_FLAG_FIRST | RPC_FLAG_LAST);
    w[1] = 100;                                                     /* truncated */
    UEXPECT_ERR(aos_rpc_call(chan(), w, 3, CPTR_NULL, CPTR_NULL, &reply),
                LIB_ERR_RPC_STRING_TRUNCATED);
    w[1] = 4096;                                                    /* oversized */
    memcpy(&w[2], "hello", 6);
    UEXPECT_ERR(aos_rpc_call(chan(), w, 8, CPTR_NULL, CPTR_NULL, &reply),
                LIB_ERR_RPC_STRING_TRUNCATED);
    /* still serving */
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
}

/* More spawns than the service runs at once: the extra ones get an error. */
#define PROC_FLOOD 100

static void flood(void)
{
    domainid_t pids[PROC_FLOOD];
    int n = 0, status;
    errval_t err = SYS_ERR_OK;

    while (n < PROC_FLOOD && err_is_ok(err = aos_rpc_process_spawn(chan(), "busy", 0, &pids[n]))) {
        n++;
    }
    UEXPECT_ERR(err, INIT_ERR_TOO_MANY_PROCS);
    UEXPECT(n > 10, "only %d domains ran at once", n);
    for (int i = 0; i < n; i++) {
        UEXPECT_OK(aos_rpc_process_kill(chan(), pids[i]));
        UEXPECT_OK(aos_rpc_process_wait(chan(), pids[i], &status));
    }
}

static const struct utest_case cases[] = {
    { "PROC_SPAWN_NAME_WAIT", spawn_name_wait },
    { "PROC_ALL_PIDS_INFO_KILL", all_pids_and_info },
    { "PROC_KILL_GIVES_RAM_BACK", kill_gives_ram_back },
    { "PROC_BAD_INPUT", bad_input },
    { "PROC_FLOOD", flood },
    { "PROC_1000_DOMAINS", thousand_domains },
    UTEST_END
};

int main(void)
{
    utest_run(cases);
    return utest_finish();
}
