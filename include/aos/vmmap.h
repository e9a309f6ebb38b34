/*
 * A domain's address space as a list of blocks and totals by tag, for the
 * process manager's vmmap (docs/vspace.md, "Publishing the blocks").
 *
 * Every domain spawned by init has one page at USER_VMMAP_VADDR that init
 * can read too (it keeps a capability to the frame). The domain's buddy
 * allocator keeps the list of its ALLOCATED blocks there, in no particular
 * order, up to date on every allocation and free: an entry is added when a
 * block is taken and swapped out with the last one when it is released, so
 * add is O(1) and release O(log n) (vspace/buddy_publish.c): the buddy node
 * remembers its entry's index, and the swap finds the node of the entry it
 * moves by a lookup of its base.
 *
 * The page is written only by its domain, under its paging lock, and read
 * by init with no lock: `seq` is odd while an update is in progress
 * (a sequence lock), so a reader that sees it odd, or changed across its
 * copy, knows its copy is torn. A reader trusts nothing here: the domain
 * may have scribbled over the page. It checks `magic`, clamps `count` and
 * checks every tag and order: vmmap_read, beside the writer in
 * vspace/buddy_publish.c, so both halves of the protocol are in one file.
 */
#ifndef AOS_VMMAP_H
#define AOS_VMMAP_H

#include <stdint.h>
#include <autarky/errors.h>

#define VMMAP_MAGIC        0x564d4150u     /* "VMAP" */
#define VMMAP_TAGS         5u              /* enum buddy_tag: none, HEAP, STACK,
                                              GUARD, FIXED */
#define VMMAP_MAX_ENTRIES  505u

struct vmmap_entry {
    uint32_t base;
    uint8_t order;          /* the block is 2^order bytes */
    uint8_t tag;            /* enum buddy_tag */
    uint16_t reserved;
};

struct vmmap_page {
    volatile uint32_t seq;  /* odd: an update is in progress */
    uint32_t magic;         /* VMMAP_MAGIC once the list is complete */
    uint32_t count;         /* entries in use */
    uint32_t unlisted;      /* allocated blocks that found the list full */
    uint32_t tag_bytes[VMMAP_TAGS];     /* totals of all blocks, unlisted too */
    uint32_t tag_blocks[VMMAP_TAGS];
    struct vmmap_entry entry[VMMAP_MAX_ENTRIES];
};
_Static_assert(sizeof(struct vmmap_page) <= 4096, "one page");

/* What a reader takes from another domain's page (vmmap_read). */
struct vmmap_copy {
    struct vmmap_entry *entries;        /* room for VMMAP_MAX_ENTRIES, or NULL:
                                           the totals only */
    uint32_t count, unlisted;
    uint32_t tag_bytes[VMMAP_TAGS], tag_blocks[VMMAP_TAGS];
};

/*
 * Copy `pg`, written by another domain, trusting nothing: INIT_ERR_VMMAP_
 * NOT_YET before its list is complete, INIT_ERR_VMMAP_BUSY if the copy is
 * torn by an update in progress (try again), INIT_ERR_VMMAP_GARBLED for a
 * count out of range or an entry whose tag, order or range is impossible.
 */
errval_t vmmap_read(const struct vmmap_page *pg, struct vmmap_copy *c);

#endif
