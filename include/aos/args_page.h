/*
 * What a spawner leaves a new domain (spawn/, the spawner's side) and the
 * domain's runtime reads at start-up (vspace/layout.c, spawn_parse_args):
 * the layout of its address space and its arguments page. A data format
 * only, so it sits at the bottom of the runtime's layers
 * (docs/architecture.md) where both sides can include it.
 *
 * Child layout (virtual): see include/aos/spawn.h.
 */
#ifndef AOS_ARGS_PAGE_H
#define AOS_ARGS_PAGE_H

#include <autarky/types.h>

#define SPAWN_STACK_SIZE   (64u * 1024)     /* boot stack: runtime start-up only */
/* The child's root CNode: 1024 slots (64 KiB), room for its own L2 CNodes
 * (see SLOT_ALLOC_MAX_ROOT_SLOTS). */
#define SPAWN_ROOT_CNODE_SLOTS 1024u
#define SPAWN_MAX_ARGS     64
#define SPAWN_MAX_LAYOUT   24
#define SPAWN_HEAP_BASE    0x20000000u      /* the child's first HEAP block */
#define SPAWN_HEAP_SIZE    (64u << 20)
/* The largest image: every loadable segment (its .bss too) must lie in
 * [USER_IMAGE_BASE, SPAWN_IMAGE_LIMIT), 508 MiB, below the first heap
 * block (LIB_ERR_SPAWN_IMAGE_RANGE otherwise; docs/spawn.md). */
#define SPAWN_IMAGE_LIMIT  SPAWN_HEAP_BASE

/*
 * The child's address space as the spawner laid it out, so that the
 * child's own paging_state continues from it: each entry is a block the
 * child must keep reserved with `tag`. FIXED entries are whole sections
 * whose L2 tables the spawner made and keeps (the child never maps into
 * them itself); the first HEAP entry is morecore's first block.
 */
struct spawn_layout_entry {
    uint32_t base, size;
    uint16_t tag;             /* enum buddy_tag */
    uint16_t reserved;        /* 0 */
};

/* The arguments page at USER_ARGS_VADDR: the layout, then argc, then argc
 * NUL-terminated strings back to back in `strings` (`bytes` in total);
 * `pid`: the badge the spawner gave the child's endpoint to it (init: the
 * child's pid, which the kernel's domain id is not). */
struct spawn_args_page {
    uint32_t nlayout;
    struct spawn_layout_entry layout[SPAWN_MAX_LAYOUT];
    uint32_t argc;
    uint32_t bytes;
    uint32_t pid;
    char strings[BASE_PAGE_SIZE - 16 - SPAWN_MAX_LAYOUT * 12];
};
#define SPAWN_ARGS_BYTES   sizeof(((struct spawn_args_page *)0)->strings)
_Static_assert(sizeof(struct spawn_args_page) == BASE_PAGE_SIZE, "one page");

#endif
