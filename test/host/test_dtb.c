/*
 * Host tests of the device tree reader (kernel/dtb.c).
 *
 * A tiny builder assembles flattened device trees in memory (big-endian
 * header, structure block, strings block), so each test states exactly the
 * tree it parses: QEMU-like trees with 2+2 and 1+1 cells, several CPUs,
 * long bootargs, and corrupted blobs that must be rejected without reading
 * outside the buffer (run under ASan/valgrind to check the latter).
 *
 * kernel/dtb.c has no dependencies, so it is compiled into this file: the
 * host build stays "gcc test/host/<all>.c + the cap sources" (README.md),
 * and kernel/dtb.c must NOT also be listed in that link.
 */
#include "host_suite.h"
#include "../../kernel/dtb.c"
#include <string.h>
#include <stdlib.h>

/* ---- builder ---- */

#define BLOB_MAX 4096

struct fdt_builder {
    uint8_t st[BLOB_MAX];   uint32_t st_len;
    char strs[BLOB_MAX];    uint32_t strs_len;
    uint8_t blob[BLOB_MAX]; uint32_t blob_len;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void st_word(struct fdt_builder *b, uint32_t v)
{
    put32(b->st + b->st_len, v);
    b->st_len += 4;
}

static void st_bytes(struct fdt_builder *b, const void *data, uint32_t len)
{
    memcpy(b->st + b->st_len, data, len);
    b->st_len += len;
    while (b->st_len % 4) b->st[b->st_len++] = 0;
}

static uint32_t string_offset(struct fdt_builder *b, const char *name)
{
    for (uint32_t off = 0; off < b->strs_len; off += strlen(b->strs + off) + 1) {
        if (strcmp(b->strs + off, name) == 0) return off;
    }
    uint32_t off = b->strs_len;
    strcpy(b->strs + off, name);
    b->strs_len += strlen(name) + 1;
    return off;
}

static void begin_node(struct fdt_builder *b, const char *name)
{
    st_word(b, FDT_BEGIN_NODE);
    st_bytes(b, name, strlen(name) + 1);
}

static void end_node(struct fdt_builder *b) { st_word(b, FDT_END_NODE); }

static void prop(struct fdt_builder *b, const char *name, const void *val, uint32_t len)
{
    st_word(b, FDT_PROP);
    st_word(b, len);
    st_word(b, string_offset(b, name));
    st_bytes(b, val, len);
}

static void prop_u32(struct fdt_builder *b, const char *name, uint32_t v)
{
    uint8_t cell[4];
    put32(cell, v);
    prop(b, name, cell, 4);
}

static void prop_str(struct fdt_builder *b, const char *name, const char *s)
{
    prop(b, name, s, strlen(s) + 1);
}

/* Lay out header + struct + strings into b->blob. */
static void finish(struct fdt_builder *b)
{
    uint32_t off_struct = 40 + 16;          /* header + empty reserve map */
    uint32_t off_strings = off_struct + b->st_len;
    b->blob_len = off_strings + b->strs_len;
    memset(b->blob, 0, sizeof b->blob);
    put32(b->blob + 0, DTB_MAGIC);
    put32(b->blob + 4, b->blob_len);
    put32(b->blob + 8, off_struct);
    put32(b->blob + 12, off_strings);
    put32(b->blob + 16, 40);
    put32(b->blob + 20, 17);
    put32(b->blob + 24, 16);
    put32(b->blob + 32, b->strs_len);
    put32(b->blob + 36, b->st_len);
    memcpy(b->blob + off_struct, b->st, b->st_len);
    memcpy(b->blob + off_strings, b->strs, b->strs_len);
}

/* A QEMU virt-like tree: 2+2 cells, memory@40000000, `ncpus` cpus, bootargs. */
static void build_virt(struct fdt_builder *b, uint32_t ncpus, const char *bootargs)
{
    memset(b, 0, sizeof *b);
    begin_node(b, "");
    prop_u32(b, "#address-cells", 2);
    prop_u32(b, "#size-cells", 2);
    prop_str(b, "compatible", "linux,dummy-virt");
    begin_node(b, "chosen");
    if (bootargs) prop_str(b, "bootargs", bootargs);
    prop_str(b, "stdout-path", "/pl011@9000000");
    end_node(b);
    begin_node(b, "pl011@9000000");
    uint8_t uart_reg[16] = {0, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0};
    prop(b, "reg", uart_reg, 16);
    end_node(b);
    begin_node(b, "memory@40000000");
    prop_str(b, "device_type", "memory");
    uint8_t mem_reg[16] = {0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0};
    prop(b, "reg", mem_reg, 16);
    end_node(b);
    begin_node(b, "cpus");
    prop_u32(b, "#address-cells", 1);
    prop_u32(b, "#size-cells", 0);
    for (uint32_t i = 0; i < ncpus; i++) {
        char name[16];
        snprintf(name, sizeof name, "cpu@%u", i);
        begin_node(b, name);
        prop_str(b, "device_type", "cpu");
        prop_u32(b, "reg", i);
        end_node(b);
    }
    end_node(b);
    end_node(b);
    st_word(b, FDT_END);
    finish(b);
}

static struct fdt_builder B;
static struct dtb_info info;

/* ---- well-formed trees ---- */

static void test_virt_tree(void)
{
    build_virt(&B, 2, "console=ttyAMA0 hello");
    CU_ASSERT_EQUAL_FATAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
    CU_ASSERT_EQUAL(info.mem_base, 0x40000000u);
    CU_ASSERT_EQUAL(info.mem_size, 0x40000000u);
    CU_ASSERT_EQUAL(info.num_cpus, 2);
    CU_ASSERT_STRING_EQUAL(info.bootargs, "console=ttyAMA0 hello");
}

static void test_no_bootargs_is_empty(void)
{
    build_virt(&B, 1, NULL);
    CU_ASSERT_EQUAL_FATAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
    CU_ASSERT_STRING_EQUAL(info.bootargs, "");
    CU_ASSERT_EQUAL(info.num_cpus, 1);
}

static void test_long_bootargs_truncated(void)
{
    char args[600];
    memset(args, 'a', sizeof args - 1);
    args[sizeof args - 1] = '\0';
    build_virt(&B, 1, args);
    CU_ASSERT_EQUAL_FATAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
    CU_ASSERT_EQUAL(strlen(info.bootargs), DTB_BOOTARGS_MAX - 1);
}

/* 1+1 cells, memory node found by device_type only, 64-bit-free sizes. */
static void test_one_cell_tree(void)
{
    memset(&B, 0, sizeof B);
    begin_node(&B, "");
    prop_u32(&B, "#address-cells", 1);
    prop_u32(&B, "#size-cells", 1);
    st_word(&B, FDT_NOP);
    begin_node(&B, "ram");
    uint8_t reg[8] = {0x80, 0, 0, 0, 0x08, 0, 0, 0};
    prop(&B, "reg", reg, 8);
    prop_str(&B, "device_type", "memory");
    end_node(&B);
    end_node(&B);
    st_word(&B, FDT_END);
    finish(&B);
    CU_ASSERT_EQUAL_FATAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
    CU_ASSERT_EQUAL(info.mem_base, 0x80000000u);
    CU_ASSERT_EQUAL(info.mem_size, 0x08000000u);
    CU_ASSERT_EQUAL(info.num_cpus, 0);
}

/* A node merely named like memory in a deeper level does not count. */
static void test_no_memory_node(void)
{
    memset(&B, 0, sizeof B);
    begin_node(&B, "");
    begin_node(&B, "soc");
    begin_node(&B, "memory@0");
    uint8_t reg[12] = {0};
    reg[11] = 1;
    prop(&B, "reg", reg, 12);
    end_node(&B);
    end_node(&B);
    end_node(&B);
    st_word(&B, FDT_END);
    finish(&B);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_NO_MEMORY);
}

/* ---- corrupted blobs ---- */

static void test_bad_magic(void)
{
    build_virt(&B, 1, "x");
    B.blob[0] ^= 0xff;
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_MAGIC);
}

static void test_buffer_smaller_than_totalsize(void)
{
    build_virt(&B, 1, "x");
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len - 1, &info), DTB_ERR_TRUNCATED);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, 20, &info), DTB_ERR_TRUNCATED);
    CU_ASSERT_EQUAL(dtb_parse(NULL, 100, &info), DTB_ERR_TRUNCATED);
}

static void test_block_outside_blob(void)
{
    build_virt(&B, 1, "x");
    put32(B.blob + 36, B.blob_len);          /* size_dt_struct too large */
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_TRUNCATED);
    build_virt(&B, 1, "x");
    put32(B.blob + 12, 0xfffffff0u);         /* off_dt_strings wraps */
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_TRUNCATED);
}

static void test_old_version(void)
{
    build_virt(&B, 1, "x");
    put32(B.blob + 20, 16);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_VERSION);
}

static void test_missing_end_token(void)
{
    build_virt(&B, 1, "x");
    B.st_len -= 4;                           /* drop FDT_END */
    finish(&B);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
}

static void test_property_length_past_block(void)
{
    build_virt(&B, 1, "x");
    /* first PROP of the root: token at 8 (after BEGIN_NODE "" padded) */
    uint32_t off_struct = 56;
    CU_ASSERT_EQUAL_FATAL(be32(B.blob + off_struct + 8), FDT_PROP);
    put32(B.blob + off_struct + 12, 0x7fffffffu);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
}

static void test_name_offset_past_strings(void)
{
    build_virt(&B, 1, "x");
    put32(B.blob + 56 + 16, B.strs_len);     /* nameoff of the first PROP */
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
}

static void test_unterminated_strings_block(void)
{
    build_virt(&B, 1, "x");
    uint32_t off_strings = be32(B.blob + 12);
    B.blob[off_strings + B.strs_len - 1] = 'z';   /* last name loses its NUL */
    CU_ASSERT_NOT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
}

static void test_unbalanced_nodes(void)
{
    build_virt(&B, 1, "x");
    B.st_len -= 8;                           /* drop root END_NODE and END */
    st_word(&B, FDT_END);
    finish(&B);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
    build_virt(&B, 1, "x");
    B.st_len -= 4;
    end_node(&B);                            /* one END_NODE too many */
    st_word(&B, FDT_END);
    finish(&B);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
}

static void test_unknown_token(void)
{
    build_virt(&B, 1, "x");
    put32(B.blob + 56, 7);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_STRUCTURE);
}

static void test_bad_cells(void)
{
    memset(&B, 0, sizeof B);
    begin_node(&B, "");
    prop_u32(&B, "#address-cells", 3);
    end_node(&B);
    st_word(&B, FDT_END);
    finish(&B);
    CU_ASSERT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_ERR_CELLS);
}

static void test_short_memory_reg(void)
{
    build_virt(&B, 1, "x");
    /* find the memory reg (16 bytes, value starting 00 00 00 00 40) and shrink its length */
    uint32_t off_struct = 56;
    int patched = 0;
    for (uint32_t p = off_struct; p + 16 < off_struct + B.st_len; p += 4) {
        if (be32(B.blob + p) == FDT_PROP && be32(B.blob + p + 4) == 16
            && be32(B.blob + p + 12) == 0 && be32(B.blob + p + 16) == 0x40000000u) {
            put32(B.blob + p + 4, 12);       /* 12 < 4 * (2 + 2) */
            patched = 1;
        }
    }
    CU_ASSERT_EQUAL_FATAL(patched, 1);
    /* the remaining 4 value bytes now read as a token: either way, an error */
    CU_ASSERT_NOT_EQUAL(dtb_parse(B.blob, B.blob_len, &info), DTB_OK);
}

/* Every truncation of a valid blob must be rejected, reading nothing past the cut. */
static void test_every_truncation_rejected(void)
{
    build_virt(&B, 2, "console=ttyAMA0");
    for (uint32_t len = 0; len < B.blob_len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, B.blob, len);
        CU_ASSERT_NOT_EQUAL(dtb_parse(copy, len, &info), DTB_OK);
        free(copy);
    }
}

/* Every shortening of the structure block (the header updated to match)
 * must be rejected by the walker, which may not read past the new end. */
static void test_every_struct_truncation_rejected(void)
{
    build_virt(&B, 2, "console=ttyAMA0");
    uint32_t full = B.st_len;
    for (uint32_t len = 0; len < full; len++) {
        B.st_len = len;
        finish(&B);
        uint8_t *copy = malloc(B.blob_len);
        memcpy(copy, B.blob, B.blob_len);
        CU_ASSERT_NOT_EQUAL(dtb_parse(copy, B.blob_len, &info), DTB_OK);
        free(copy);
    }
}

HOST_SUITE(dtb_suite, "dtb: device tree parsing and rejection of corrupted blobs",
           NULL, NULL, NULL,
           HOST_TEST(test_virt_tree),
           HOST_TEST(test_no_bootargs_is_empty),
           HOST_TEST(test_long_bootargs_truncated),
           HOST_TEST(test_one_cell_tree),
           HOST_TEST(test_no_memory_node),
           HOST_TEST(test_bad_magic),
           HOST_TEST(test_buffer_smaller_than_totalsize),
           HOST_TEST(test_block_outside_blob),
           HOST_TEST(test_old_version),
           HOST_TEST(test_missing_end_token),
           HOST_TEST(test_property_length_past_block),
           HOST_TEST(test_name_offset_past_strings),
           HOST_TEST(test_unterminated_strings_block),
           HOST_TEST(test_unbalanced_nodes),
           HOST_TEST(test_unknown_token),
           HOST_TEST(test_bad_cells),
           HOST_TEST(test_short_memory_reg),
           HOST_TEST(test_every_truncation_rejected),
           HOST_TEST(test_every_struct_truncation_rejected))
