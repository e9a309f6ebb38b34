/*
 * free: the memory server's free and total RAM (aos_rpc_mem_stats on the
 * channel to init), in MiB with one decimal, and in bytes.
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

void shell_cmd_free(int argc, char **argv, const char *line)
{
    struct aos_rpc *c = aos_rpc_get_init_channel();
    size_t free_bytes, total_bytes;
    errval_t err;

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
    err = aos_rpc_mem_stats(c, &free_bytes, &total_bytes);
    if (err_is_fail(err)) {
        shell_print_err("free", err, "cannot ask the memory server");
        return;
    }
    printf("free: ");
    print_mib(free_bytes);
    printf(" free of ");
    print_mib(total_bytes);
    printf(" (%lu of %lu bytes)\n", (unsigned long)free_bytes,
           (unsigned long)total_bytes);
}
