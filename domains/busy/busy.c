/*
 * busy: computes until it is killed (process-management tests). With an
 * argument N it allocates and touches N MiB first, so a kill has RAM to
 * give back. `busy hog` instead asks init for 1 MiB blocks until it is
 * refused, says how far it got, and keeps them all (PROC_HOG_SPARES_OTHERS).
 */
#include <aos/aos_rpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hog(void)
{
    capaddr_t ram;
    size_t got, mib = 0;
    errval_t err;

    while (err_is_ok(err = aos_rpc_get_ram_cap(aos_rpc_get_init_channel(), 1u << 20,
                                               BASE_PAGE_SIZE, &ram, &got))) {
        mib++;
    }
    printf("busy: hogging %lu MiB, then %s\n", (unsigned long)mib, err_getcode(err_no(err)));
}

int main(int argc, char **argv)
{
    volatile unsigned long spins = 0;

    if (argc > 1 && strcmp(argv[1], "hog") == 0) {
        hog();
    } else if (argc > 1) {
        size_t bytes = (size_t)atoi(argv[1]) << 20;
        char *p = malloc(bytes);
        if (p != NULL) {
            memset(p, 0x5a, bytes);
        }
    }
    for (;;) {
        spins++;
    }
}
