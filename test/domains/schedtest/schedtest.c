/*
 * schedtest: the SCHED_ cases, fairness under load (docs/safety.md rule 8).
 *
 * Run under -icount shift=0 (the `sched` suite), so that the virtual
 * counter counts instructions and every figure is exact and repeatable.
 */
#include <aos/aos_rpc.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../include/server_free.h"

#define CALLERS     3
#define HOGS        2
#define HOG_WINDOW  "6250000"   /* counter ticks a hog measures: 40 time slices */

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

static void kill_all(const domainid_t *pids, int n)
{
    int status;

    for (int i = 0; i < n; i++) {
        aos_rpc_process_kill(chan(), pids[i]);
        aos_rpc_process_wait(chan(), pids[i], &status);
    }
}

/*
 * CPU-bound domains beside domains that ping-pong RPCs with init. A
 * directed yield used to give the receiver a fresh time slice, so a client
 * and init calling each other never let the timer expire and the hogs
 * never ran. Now the yield hands over the rest of the slice: each hog
 * must get at least 90 % of 1/(runnable domains) of the CPU, the runnable
 * ones being the hogs, the callers and init.
 */
static void hogs_share_beside_pingpong(void)
{
    size_t before = server_free();
    domainid_t callers[CALLERS], hogs[HOGS];
    int want = 900 / (HOGS + CALLERS + 1), share[HOGS];

    for (int i = 0; i < CALLERS; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy calls", 0, &callers[i]));
    }
    for (int i = 0; i < HOGS; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy share " HOG_WINDOW, 0, &hogs[i]));
    }
    for (int i = 0; i < HOGS; i++) {
        UEXPECT_OK(aos_rpc_process_wait(chan(), hogs[i], &share[i]));
    }
    kill_all(callers, CALLERS);
    for (int i = 0; i < HOGS; i++) {
        printf("schedtest: hog %d had %d per mille of the CPU (at least %d wanted)\n",
               i, share[i], want);
        UEXPECT(share[i] >= want, "hog %d had %d per mille of the CPU, wanted at least %d",
                i, share[i], want);
    }
    UEXPECT_EQ("free RAM after", server_free(), before);
}

#define STREAMERS 6
#define CALLS     200

/*
 * Clients streaming requests (long strings in fragments, RAM, pid lists)
 * kept init's ring full, so another client's sends failed after their
 * retries (LIB_ERR_LMP_SEND_GAVE_UP). Now a client waits in the ring's
 * line (LMP_SEND_QUEUE) and is served in turn: every one of our calls
 * must succeed beside six streamers.
 */
static void calls_beside_streamers(void)
{
    size_t before = server_free();
    domainid_t streamers[STREAMERS];

    for (int i = 0; i < STREAMERS; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy rpc", 0, &streamers[i]));
    }
    for (uint32_t i = 0; i < CALLS; i++) {
        domainid_t *pids;
        size_t n;
        UEXPECT_OK(aos_rpc_send_number(aos_rpc_get_init_channel(), i));
        UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &pids, &n));
        free(pids);
        UEXPECT(n >= STREAMERS + 2, "only %lu domains listed", (unsigned long)n);
    }
    kill_all(streamers, STREAMERS);
    UEXPECT_EQ("free RAM after the streamers", server_free(), before);
}

static const struct utest_case cases[] = {
    { "SCHED_HOGS_SHARE_BESIDE_PINGPONG", hogs_share_beside_pingpong },
    { "SCHED_CALLS_BESIDE_STREAMERS", calls_beside_streamers },
    UTEST_END
};

int main(void)
{
    utest_run(cases);
    return utest_finish();
}
