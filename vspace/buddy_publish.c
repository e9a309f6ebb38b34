/*
 * The list of a domain's ALLOCATED buddy blocks and their totals by tag in
 * its vmmap page (include/aos/vmmap.h), kept by the buddy allocator itself:
 *
 *   page->entry[0 .. count)   one entry per listed block, unordered
 *   node->pub_slot            the index of its entry, or NOT_LISTED
 *
 * Add appends, O(1); remove moves the last entry into the hole and finds
 * that entry's node by its base (buddy_lookup_node, O(log n)) to fix its
 * index. The page holds no pointers: the process manager reads it. Both run under the caller's lock (the paging lock), inside one
 * sequence-lock write section each. A block that finds the list full is
 * counted in `unlisted` instead, and stays unlisted until it is freed:
 * the list never claims to be complete when it is not.
 */
#include "buddy_publish.h"
#include <autarky/layout.h>
#include <string.h>

#define NOT_LISTED 0xffffffffu

_Static_assert(VMMAP_TAGS == BUDDY_TAG_COUNT, "vmmap totals: one per buddy tag");

static void write_begin(struct vmmap_page *pg)
{
    pg->seq++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void write_end(struct vmmap_page *pg)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pg->seq++;
}

static void list_block(struct vmmap_page *pg, struct buddy_node *n)
{
    pg->tag_bytes[n->tag] += (uint32_t)1 << n->order;
    pg->tag_blocks[n->tag]++;
    if (pg->count >= VMMAP_MAX_ENTRIES) {
        n->pub_slot = NOT_LISTED;
        pg->unlisted++;
        return;
    }
    n->pub_slot = pg->count;
    pg->entry[pg->count] = (struct vmmap_entry){
        .base = (uint32_t)n->base, .order = n->order, .tag = n->tag,
    };
    pg->count++;
}

void buddy_pub_add(struct buddy *b, struct buddy_node *n)
{
    struct vmmap_page *pg = b->pub;

    if (pg == NULL) {
        return;
    }
    write_begin(pg);
    list_block(pg, n);
    write_end(pg);
}

void buddy_pub_remove(struct buddy *b, struct buddy_node *n)
{
    struct vmmap_page *pg = b->pub;
    uint32_t slot;

    if (pg == NULL) {
        return;
    }
    write_begin(pg);
    pg->tag_bytes[n->tag] -= (uint32_t)1 << n->order;
    pg->tag_blocks[n->tag]--;
    slot = n->pub_slot;
    if (slot == NOT_LISTED || slot >= pg->count) {
        pg->unlisted -= pg->unlisted > 0;
    } else {
        struct vmmap_entry *last = &pg->entry[pg->count - 1];
        if (slot != pg->count - 1) {
            pg->entry[slot] = *last;
            buddy_lookup_node(b, last->base)->pub_slot = slot;
        }
        memset(last, 0, sizeof(*last));
        pg->count--;
    }
    write_end(pg);
}

/* Depth-first over the tree; lists every ALLOCATED leaf. At most one
 * pending sibling per level. */
errval_t buddy_publish(struct buddy *b, struct vmmap_page *page)
{
    struct buddy_node *stack[BUDDY_LEVELS + 2];
    size_t sp = 0;

    if (b == NULL || b->root == NULL || page == NULL || b->pub != NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    write_begin(page);
    page->magic = 0;
    page->count = 0;
    page->unlisted = 0;
    memset(page->tag_bytes, 0, sizeof(page->tag_bytes));
    memset(page->tag_blocks, 0, sizeof(page->tag_blocks));
    stack[sp++] = b->root;
    while (sp > 0) {
        struct buddy_node *n = stack[--sp];
        if (n->state == BUDDY_SPLIT) {
            stack[sp++] = n->child[1];
            stack[sp++] = n->child[0];
        } else if (n->state == BUDDY_ALLOCATED) {
            list_block(page, n);
        }
    }
    page->magic = VMMAP_MAGIC;
    b->pub = page;
    write_end(page);
    return SYS_ERR_OK;
}

/* An entry a domain could have published: a real tag, an order the buddy
 * allocator uses, aligned to its size, inside user space. */
static bool vmmap_entry_valid(const struct vmmap_entry *e)
{
    return e->tag > BUDDY_TAG_NONE && e->tag < BUDDY_TAG_COUNT
           && e->order >= BUDDY_MIN_ORDER && e->order <= BUDDY_MAX_ORDER
           && (e->base & (((uint32_t)1 << e->order) - 1)) == 0
           && (uint64_t)e->base + ((uint64_t)1 << e->order) <= USER_TOP;
}

/* The reader's half of the sequence lock (write_begin, write_end). */
errval_t vmmap_read(const struct vmmap_page *pg, struct vmmap_copy *c)
{
    uint32_t seq = pg->seq;

    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (pg->magic != VMMAP_MAGIC) {
        return INIT_ERR_VMMAP_NOT_YET;
    }
    c->count = pg->count;
    c->unlisted = pg->unlisted;
    if (c->count > VMMAP_MAX_ENTRIES) {
        return INIT_ERR_VMMAP_GARBLED;
    }
    memcpy(c->tag_bytes, pg->tag_bytes, sizeof(c->tag_bytes));
    memcpy(c->tag_blocks, pg->tag_blocks, sizeof(c->tag_blocks));
    if (c->entries != NULL) {
        memcpy(c->entries, pg->entry, c->count * sizeof(struct vmmap_entry));
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (seq % 2 != 0 || pg->seq != seq) {
        return INIT_ERR_VMMAP_BUSY;         /* preempted inside an update */
    }
    for (uint32_t i = 0; c->entries != NULL && i < c->count; i++) {
        if (!vmmap_entry_valid(&c->entries[i])) {
            return INIT_ERR_VMMAP_GARBLED;
        }
    }
    return SYS_ERR_OK;
}
