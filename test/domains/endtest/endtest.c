/*
 * endtest: every way a domain can end, or refuse to, against its parent
 * (docs/safety.md, rules 6 and 7). Each case starts a `busy` that
 * misbehaves in one way and checks that init still sees it (ps shows it,
 * kill ends it), learns of its end, and gets all its RAM back; the kernel
 * never ends the system on its behalf.
 */
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <stdlib.h>
#include <string.h>
#include "../../include/server_free.h"

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

/* The state get_info reports for `pid` (0 if the call fails). */
static enum proc_state state_of(domainid_t pid)
{
    struct aos_proc_info info;

    memset(&info, 0, sizeof(info));
    if (err_is_fail(aos_rpc_process_get_info(chan(), pid, &info))) {
        return 0;
    }
    free(info.name);
    return info.state;
}

/* Is `pid` among the pids get_all_pids lists as alive? */
static bool listed(domainid_t pid)
{
    domainid_t *pids;
    size_t n;
    bool found = false;

    if (err_is_ok(aos_rpc_process_get_all_pids(chan(), &pids, &n))) {
        for (size_t i = 0; i < n; i++) {
            found |= pids[i] == pid;
        }
        free(pids);
    }
    return found;
}

/*
 * A domain stops its own dispatcher (it holds WRITE on its Dispatcher
 * cap). It is still a domain: get_info says STOPPED, ps lists it, and kill
 * ends it with all its RAM back. The old kernel powered the machine off
 * when init then waited and nothing was runnable.
 */
static void stopped_self_shown_and_killed(void)
{
    size_t before = server_free();
    domainid_t pid;
    int status, tries;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy stop", 0, &pid));
    for (tries = 0; tries < 500 && state_of(pid) != PROC_STATE_STOPPED; tries++) {
        sys_yield();
    }
    UEXPECT_EQ("state after it stopped itself", state_of(pid), PROC_STATE_STOPPED);
    UEXPECT(listed(pid), "pid %lu not listed while stopped", (unsigned long)pid);
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_EQ("state", state_of(pid), PROC_STATE_KILLED);
    UEXPECT_EQ("free RAM after the kill", server_free(), before);
}

/*
 * A domain tries to remove the exit endpoint init installed (so that
 * nobody would hear of its death), then faults while disabled. The kernel
 * refuses the removal (EXIT_EP_LOCKED: it lacks REVOKE on its Dispatcher
 * cap), kills it, tells init, and `wait` returns KILLED with every byte
 * back. The old kernel let it remove the endpoint: init never learned,
 * and waited for ever.
 */
static void exit_notice_cannot_be_silenced(void)
{
    size_t before = server_free();
    domainid_t pid;
    int status;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy unnotice", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_EQ("free RAM after its death", server_free(), before);
}

/*
 * A domain waits for a message nobody will send. It stays listed as
 * running, and kill ends it.
 */
static void waiting_forever_killed(void)
{
    size_t before = server_free();
    domainid_t pid;
    int status;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 0, &pid));
    for (int i = 0; i < 20; i++) {
        sys_yield();
    }
    UEXPECT_EQ("state while it waits", state_of(pid), PROC_STATE_RUNNING);
    UEXPECT(listed(pid), "pid %lu not listed while waiting", (unsigned long)pid);
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_EQ("free RAM after the kill", server_free(), before);
}

static const struct utest_case cases[] = {
    { "PROC_STOPPED_SELF_SHOWN_AND_KILLED", stopped_self_shown_and_killed },
    { "PROC_EXIT_NOTICE_CANNOT_BE_SILENCED", exit_notice_cannot_be_silenced },
    { "PROC_WAITING_FOREVER_KILLED", waiting_forever_killed },
    UTEST_END
};

int main(void)
{
    utest_run(cases);
    return utest_finish();
}
