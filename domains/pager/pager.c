/*
 * pager: the self-paging demonstration.
 *
 *   pager [-v] [MiB]
 *
 * mallocs MiB (default 32) in blocks of mixed sizes, writes every page,
 * reads everything back, frees it, and prints how many page faults its
 * own handler took and resolved. With -v the handler prints each fault
 * as it resolves it: domain, address and the tag of the block it hit.
 */
#include <aos/paging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 4096

static uint32_t *blocks[MAX_BLOCKS];
static size_t sizes[MAX_BLOCKS];

int main(int argc, char **argv)
{
    struct paging_state *st = get_current_paging_state();
    struct paging_info before, after;
    size_t want, total = 0, n = 0, bad = 0;
    int arg = 1;

    if (arg < argc && strcmp(argv[arg], "-v") == 0) {
        paging_set_verbose(st, true);
        arg++;
    }
    want = (size_t)(arg < argc ? atoi(argv[arg]) : 32) << 20;
    paging_get_info(st, &before);
    while (total < want && n < MAX_BLOCKS) {
        size_t sz = (n % 5 == 0) ? 3u << 20 : (n % 5 == 1) ? 700u * 1024
                  : (n % 5 == 2) ? 64u * 1024 : (n % 5 == 3) ? 5000 : 150u * 1024;
        blocks[n] = malloc(sz);
        if (blocks[n] == NULL) {
            printf("pager: malloc(%zu) failed after %zu bytes\n", sz, total);
            break;
        }
        sizes[n] = sz;
        for (size_t w = 0; w < sz / 4; w += 1024) {       /* one word per page */
            blocks[n][w] = (uint32_t)(n << 16) ^ (uint32_t)w;
        }
        total += sz;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t w = 0; w < sizes[i] / 4; w += 1024) {
            bad += blocks[i][w] != ((uint32_t)(i << 16) ^ (uint32_t)w);
        }
        free(blocks[i]);
    }
    paging_get_info(st, &after);
    printf("pager: %zu bytes in %zu mallocs written and verified (%zu bad words); "
           "%lu page faults taken and resolved by this domain's handler\n",
           total, n, bad, (unsigned long)(after.faults - before.faults));
    return bad == 0 && total >= want ? 0 : 1;
}
