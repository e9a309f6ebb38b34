/*
 * busy: computes until it is killed (process-management tests). With an
 * argument N it allocates and touches N MiB first, so a kill has RAM to
 * give back.
 */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    volatile unsigned long spins = 0;

    if (argc > 1) {
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
