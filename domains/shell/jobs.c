/*
 * Background jobs: the pids `run ... &` started. Before each prompt the
 * shell asks the spawning service about each (aos_rpc_process_get_info)
 * and reports the ones that have ended, once, as a foreground run would:
 * "[pid] exited with status N" or "[pid] killed". `kill` and `wait`
 * report themselves and take the pid off the list. A job the service no
 * longer knows is dropped without a word.
 *
 * When the shell ends it kills the jobs still running (as a terminal's
 * hang-up ends a Unix shell's jobs): nothing it started outlives it, and
 * the RAM init lent them is back when init checks the shell's run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aos/aos_rpc.h>
#include "shell.h"

#define SHELL_JOBS_MAX 16

static domainid_t jobs[SHELL_JOBS_MAX];   /* 0: free entry */

void shell_jobs_add(domainid_t pid)
{
    for (size_t i = 0; i < SHELL_JOBS_MAX; i++) {
        if (jobs[i] == 0) {
            jobs[i] = pid;
            return;
        }
    }
    /* full: this job's end is not reported; `wait` still works */
}

void shell_jobs_forget(domainid_t pid)
{
    for (size_t i = 0; i < SHELL_JOBS_MAX; i++) {
        if (jobs[i] == pid) {
            jobs[i] = 0;
        }
    }
}

void shell_jobs_report(void)
{
    struct aos_rpc *c = aos_rpc_get_process_channel();

    for (size_t i = 0; i < SHELL_JOBS_MAX && c != NULL; i++) {
        struct aos_proc_info info;
        if (jobs[i] == 0) {
            continue;
        }
        memset(&info, 0, sizeof(info));
        errval_t err = aos_rpc_process_get_info(c, jobs[i], &info);
        free(info.name);
        if (err_is_fail(err)) {
            jobs[i] = 0;
            continue;
        }
        if (info.state == PROC_STATE_EXITED) {
            shell_print_end(jobs[i], info.exit_status);
            jobs[i] = 0;
        } else if (info.state == PROC_STATE_KILLED) {
            shell_print_end(jobs[i], AOS_RPC_STATUS_KILLED);
            jobs[i] = 0;
        }
    }
}

void shell_jobs_end_all(void)
{
    struct aos_rpc *c = aos_rpc_get_process_channel();

    shell_jobs_report();
    for (size_t i = 0; i < SHELL_JOBS_MAX && c != NULL; i++) {
        if (jobs[i] == 0) {
            continue;
        }
        errval_t err = aos_rpc_process_kill(c, jobs[i]);
        if (err_is_ok(err)) {
            printf("[%lu] killed (the shell is leaving)\n", (unsigned long)jobs[i]);
        } else if (err_no(err) != INIT_ERR_ALREADY_ENDED) {
            shell_print_err("exit", err, "cannot kill job %lu", (unsigned long)jobs[i]);
        }
        jobs[i] = 0;
    }
}
