/*
 * free: each core's memory server's free and total RAM
 * (aos_rpc_mem_stats_core on the channel to init), in MiB with one
 * decimal, and in bytes, then their sums.
 */
#include <stdio.h>
#include <aos/aos_rpc.h>
#include "shell.h"

/* "123.4" for a byte count, without floating point. */
static void print_mib(size_t bytes)
{
    unsigned long long tenths = ((unsigned long long)bytes * 10) >> 20;
    printf("%llu.%llu MiB", tenths / 10, tenths % 10);
}

/* One line of `free`: "LABEL: X MiB free of Y MiB (x of y bytes)". */
static void print_free(const char *label, size_t free_bytes, size_t total_bytes)
{
    printf("%s: ", label);
    print_mib(free_bytes);
    printf(" free of ");
    print_mib(total_bytes);
    printf(" (%lu of %lu bytes)\n", (unsigned long)free_bytes, (unsigned long)total_bytes);
}

/* A line per core (asked until a core number is refused), then the sum. */
void shell_cmd_free(int argc, char **argv, const char *line)
{
    struct aos_rpc *c = aos_rpc_get_init_channel();
    size_t free_sum = 0, total_sum = 0;
    coreid_t core;
    char label[16];

    (void)argv;
    (void)line;
    if (argc != 1) {
        printf("free: takes no arguments\n");
        return;
    }
    if (c == NULL) {
        printf("free: no channel to the memory server\n");
        return;
    }
    for (core = 0; core < 8; core++) {
        size_t free_bytes, total_bytes;
        errval_t err = aos_rpc_mem_stats_core(c, core, &free_bytes, &total_bytes);
        if (err_no(err) == INIT_ERR_NO_SUCH_CORE) {
            break;
        }
        if (err_is_fail(err)) {
            shell_print_err("free", err, "cannot ask core %u's memory server", (unsigned)core);
            return;
        }
        snprintf(label, sizeof(label), "core %u", (unsigned)core);
        print_free(label, free_bytes, total_bytes);
        free_sum += free_bytes;
        total_sum += total_bytes;
    }
    print_free("total", free_sum, total_sum);
}
