/*
 * The heap platform for the host tests (heap_host.h): regions are memfds
 * mapped shared, so giving a page back punches a hole in the file (its RAM
 * really goes) and meshing maps two virtual pages onto one page of the
 * file, as the domain's paging code maps them onto one frame. Every call
 * is checked against what the platform knows of each page: which page of
 * the file it maps (its own, or another's after a mesh).
 */
#define _GNU_SOURCE
#include "heap_host.h"
#include "../../../morecore/small_runs.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE        4096u
#define MAX_REGIONS 64

struct heap_host heap_host;

static struct region {
    uintptr_t base;
    size_t bytes;
    int fd;
    uint32_t *maps;                 /* page i maps the file's page maps[i] */
} regions[MAX_REGIONS];

void heap_host_reset(void)
{
    bool (*touches)(uintptr_t, size_t) = heap_host.touches_live;

    memset(&heap_host, 0, sizeof(heap_host));
    heap_host.touches_live = touches;
}

static struct region *region_of(uintptr_t a)
{
    for (int i = 0; i < MAX_REGIONS; i++) {
        if (regions[i].bytes != 0 && a - regions[i].base < regions[i].bytes) {
            return &regions[i];
        }
    }
    return NULL;
}

static bool live_in(uintptr_t lo, size_t n)
{
    return heap_host.touches_live != NULL && heap_host.touches_live(lo, n);
}

static void punch(const struct region *r, uint32_t file_page)
{
    fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)file_page * PAGE, PAGE);
}

static bool map_page(const struct region *r, uintptr_t page, uint32_t file_page)
{
    return mmap((void *)page, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, r->fd,
                (off_t)file_page * PAGE) == (void *)page;
}

void heap_lock(void)
{
}

void heap_unlock(void)
{
}

/* A region below 2 GiB (malloc_medium.c indexes its regions by address),
 * aligned to its size. */
void *heap_region_alloc(size_t bytes)
{
    struct region *r = NULL;
    uintptr_t p, base;
    int fd;

    for (int i = 0; i < MAX_REGIONS && r == NULL; i++) {
        r = regions[i].bytes == 0 ? &regions[i] : NULL;
    }
    if (r == NULL || (fd = memfd_create("heap_host", 0)) < 0) {
        return NULL;
    }
    p = (uintptr_t)mmap(NULL, 2 * bytes, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_32BIT, -1, 0);
    if ((void *)p == MAP_FAILED || ftruncate(fd, (off_t)bytes) != 0) {
        close(fd);
        return NULL;
    }
    base = (p + bytes - 1) & ~(uintptr_t)(bytes - 1);
    if (base > p) {
        munmap((void *)p, base - p);
    }
    munmap((void *)(base + bytes), p + 2 * bytes - (base + bytes));
    if (mmap((void *)base, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
        != (void *)base) {
        abort();
    }
    r->maps = malloc(bytes / PAGE * sizeof(uint32_t));
    for (uint32_t i = 0; i < bytes / PAGE; i++) {
        r->maps[i] = i;
    }
    r->base = base;
    r->bytes = bytes;
    r->fd = fd;
    heap_host.regions_out++;
    return (void *)base;
}

void heap_region_free(void *region)
{
    struct region *r = region_of((uintptr_t)region);

    if (r == NULL || r->base != (uintptr_t)region || live_in(r->base, r->bytes)) {
        heap_host.bad_release++;
        return;
    }
    munmap(region, r->bytes);
    close(r->fd);
    free(r->maps);
    memset(r, 0, sizeof(*r));
    heap_host.regions_out--;
}

/* The pages go back: reading them again gives zeros. Each must map its
 * own page of the file (a meshed page is unaliased first). */
void heap_pages_release(uintptr_t base, size_t bytes)
{
    struct region *r = region_of(base);

    if (r == NULL || base % PAGE != 0 || bytes % PAGE != 0 || live_in(base, bytes)) {
        heap_host.bad_release++;
        return;
    }
    for (uintptr_t a = base; a < base + bytes; a += PAGE) {
        uint32_t i = (uint32_t)((a - r->base) / PAGE);
        if (r->maps[i] != i) {
            heap_host.bad_release++;
        }
        punch(r, i);
    }
    heap_host.released_bytes += bytes;
}

/* src[0] maps its own page of the file, src[1..n) map src[0]'s; dst maps
 * its own. After move(), all of src map dst's page and src[0]'s goes. */
bool heap_page_mesh(uintptr_t dst, const uintptr_t *src, int n, void (*move)(void *arg),
                    void *arg)
{
    struct region *r = region_of(dst);
    uint32_t d, s0;

    if (r == NULL || dst % PAGE != 0 || n < 1 || n > (int)MESH_GROUP_MAX) {
        heap_host.bad_mesh++;
        return false;
    }
    d = (uint32_t)((dst - r->base) / PAGE);
    s0 = (uint32_t)((src[0] - r->base) / PAGE);
    if (r->maps[d] != d || region_of(src[0]) != r || r->maps[s0] != s0 || s0 == d) {
        heap_host.bad_mesh++;
        return false;
    }
    for (int i = 1; i < n; i++) {
        uint32_t s = (uint32_t)((src[i] - r->base) / PAGE);
        if (region_of(src[i]) != r || src[i] % PAGE != 0 || r->maps[s] != s0) {
            heap_host.bad_mesh++;
            return false;
        }
    }
    if (heap_host.refuse_mesh) {
        return false;
    }
    move(arg);
    for (int i = 0; i < n; i++) {
        uint32_t s = (uint32_t)((src[i] - r->base) / PAGE);
        if (!map_page(r, src[i], d)) {
            abort();
        }
        r->maps[s] = d;
    }
    punch(r, s0);
    heap_host.meshes++;
    return true;
}

/* The page maps its own page of the file again (a hole: zeros). */
void heap_page_unalias(uintptr_t page)
{
    struct region *r = region_of(page);
    uint32_t i;

    if (r == NULL || page % PAGE != 0) {
        heap_host.bad_mesh++;
        return;
    }
    i = (uint32_t)((page - r->base) / PAGE);
    if (r->maps[i] == i || !map_page(r, page, i)) {
        heap_host.bad_mesh++;
    }
    r->maps[i] = i;
    heap_host.unaliases++;
}

size_t heap_host_ram(const void *region)
{
    struct region *r = region_of((uintptr_t)region);
    struct stat st;

    if (r == NULL || fstat(r->fd, &st) != 0) {
        return 0;
    }
    return (size_t)st.st_blocks * 512;
}
