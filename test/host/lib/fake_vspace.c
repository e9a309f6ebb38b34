/*
 * A fake kernel for the paging layer's host tests (test_paging.c): a
 * cspace of ROOT_SLOTS L2 CNodes, page tables with their entries, and the
 * invocations vspace/paging.c makes (retype of L2 tables, copy, delete,
 * map, unmap) with the kernel's rules: a slot holds one cap, a cap makes
 * one mapping, deleting a cap removes its mapping, deleting a table
 * removes what is mapped into it. Plus the runtime around paging.c (a
 * one-thread mutex, slabs grown from the host heap) and the slot
 * allocator's ops. See fake_vspace.h.
 */
#include "host_suite.h"
#include "fake_vspace.h"
#include <aos/caps.h>
#include <aos/ram_alloc.h>
#include <stdlib.h>
#include <string.h>

/* ---- the runtime around paging.c, faked ---------------------------------- */

static struct thread *fake_thread = (struct thread *)0x1000;

struct thread *thread_self(void)
{
    return fake_thread;
}

void thread_mutex_init(struct thread_mutex *m)
{
    memset(m, 0, sizeof(*m));
}

/* One thread: a lock is never contended; misuse is counted (lock_misuse). */
int lock_misuse;

void thread_mutex_lock(struct thread_mutex *m)
{
    lock_misuse += m->locked != 0;
    m->locked = 1;
}

void thread_mutex_unlock(struct thread_mutex *m)
{
    lock_misuse += m->locked != 1;
    m->locked = 0;
}

/* Metadata slabs grow from the host heap (the real refill maps frames). */
static errval_t fake_slab_refill(struct slab_allocator *slabs, size_t bytes)
{
    void *buf = malloc(bytes);

    return buf != NULL ? slab_grow(slabs, buf, bytes) : LIB_ERR_SLAB_REFILL;
}

slab_refill_fn paging_slab_refill_fn(void)
{
    return fake_slab_refill;
}

/* Metadata pages grown from the host heap are not releasable, so no slab
 * page ever goes back (vspace/eager.c), and there are no frame-pool chunk
 * records (vspace/frame_pool.c). */
errval_t paging_free_eager(struct paging_state *st, void *buf)
{
    (void)st; (void)buf;
    CU_FAIL("paging_free_eager called");
    return LIB_ERR_NOT_IMPLEMENTED;
}

struct slab_allocator *paging_chunk_slab(bool big)
{
    (void)big;
    return NULL;
}

/* No RPC channel here: the tables' RAM blocks (vspace/tables.c) may be
 * asked for and given back at any time. */
bool paging_may_rpc(void)
{
    return true;
}

errval_t ram_free(capaddr_t ram)
{
    (void)ram;
    CU_FAIL("ram_free called");
    return LIB_ERR_NOT_IMPLEMENTED;
}

/* Lazily mapped pages (vspace/fault.c) are not used here. */
void paging_unmap_lazy(struct paging_state *st, lvaddr_t base, size_t bytes, bool eager)
{
    (void)st; (void)base; (void)bytes; (void)eager;
    CU_FAIL("paging_unmap_lazy called");
}

/* ---- fake cspace and page tables ------------------------------------------ */

struct fcap cs[ROOT_SLOTS][L2_CNODE_SLOTS];
struct ftable *tables[MAX_TABLES];
uint32_t next_frame_obj = 1;
/* failure injection: fail the n-th call from now (1 = next), 0 = never */
int map_fail_at, copy_fail_at, ram_fail_at;

bool countdown(int *n)
{
    return *n > 0 && --*n == 0;
}

struct fcap *slot_of(capaddr_t c)
{
    if ((c & CPTR_L1_SLOT) || CPTR_L1_INDEX(c) >= ROOT_SLOTS) {
        return NULL;
    }
    return &cs[CPTR_L1_INDEX(c)][CPTR_L2_INDEX(c)];
}

uint32_t new_table(bool l1)
{
    for (uint32_t t = 1; t < MAX_TABLES; t++) {
        if (tables[t] == NULL) {
            tables[t] = calloc(1, sizeof(struct ftable));
        }
        if (!tables[t]->live) {
            memset(tables[t], 0, sizeof(struct ftable));
            tables[t]->live = true;
            tables[t]->l1 = l1;
            return t;
        }
    }
    CU_FAIL_FATAL("out of fake tables");
    return 0;
}

/* Remove the mapping cap `m` made. */
static void unmap_cap(struct fcap *m)
{
    struct ftable *t = tables[m->map_table];

    for (uint32_t i = 0; i < m->map_count; i++) {
        t->e[m->map_entry + i] = (struct fentry){ 0, 0 };
    }
    m->mapped = false;
}

/* Deleting a table's (only) cap destroys it: what is mapped into it is
 * unmapped, and its own entry in an L1 goes. */
static void destroy_table(uint32_t t)
{
    for (int i = 0; i < ROOT_SLOTS; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            if (cs[i][j].mapped && cs[i][j].map_table == t) {
                cs[i][j].mapped = false;
            }
        }
    }
    tables[t]->live = false;
}

errval_t cap_delete(capaddr_t cap)
{
    struct fcap *c = slot_of(cap);

    if (c == NULL) {
        return SYS_ERR_L2_CNODE_NOT_FOUND;
    }
    if (c->kind == F_EMPTY) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (c->mapped) {
        unmap_cap(c);
    }
    if (c->kind == F_L2 || c->kind == F_L1) {
        destroy_table(c->obj);
    }
    memset(c, 0, sizeof(*c));
    return SYS_ERR_OK;
}

errval_t cap_copy(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src)
{
    struct fcap *s = slot_of(src);
    struct fcap *d = slot_of(CPTR(dest_cnode & 0xffffu, dest_slot));

    if (countdown(&copy_fail_at)) {
        return SYS_ERR_SLOT_IN_USE;
    }
    if (s == NULL || d == NULL || !(dest_cnode & CPTR_L1_SLOT)) {
        return SYS_ERR_L2_CNODE_NOT_FOUND;
    }
    if (s->kind == F_EMPTY) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (d->kind != F_EMPTY) {
        return SYS_ERR_SLOT_IN_USE;
    }
    CU_ASSERT_EQUAL(s->kind, F_FRAME);      /* paging copies frames only */
    *d = *s;
    d->mapped = false;
    return SYS_ERR_OK;
}

errval_t cap_retype(capaddr_t ram, enum objtype type, gensize_t offset,
                    gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                    cslot_t dest_slot)
{
    struct fcap *r = slot_of(ram);
    struct fcap *d = slot_of(CPTR(dest_cnode & 0xffffu, dest_slot));

    (void)offset;
    if (r == NULL || d == NULL || count != 1 || !(dest_cnode & CPTR_L1_SLOT)) {
        return SYS_ERR_L2_CNODE_NOT_FOUND;
    }
    if (r->kind != F_RAM) {
        return SYS_ERR_RETYPE_NOT_RAM;
    }
    if (d->kind != F_EMPTY) {
        return SYS_ERR_SLOT_IN_USE;
    }
    CU_ASSERT_EQUAL(type, ObjType_VNode_L2);    /* all paging.c retypes */
    CU_ASSERT_EQUAL(objsize, OBJSIZE_VNODE_L2);
    *d = (struct fcap){ .kind = F_L2, .origin = r->origin, .obj = new_table(false) };
    return SYS_ERR_OK;
}

errval_t vnode_map(capaddr_t vnode, capaddr_t src, uint32_t entry, uint32_t flags,
                   uint32_t offset, uint32_t count)
{
    struct fcap *v = slot_of(vnode), *s = slot_of(src);
    uint32_t limit;

    (void)flags;
    if (countdown(&map_fail_at)) {
        return SYS_ERR_VNODE_SLOT_INUSE;
    }
    if (v == NULL || s == NULL || v->kind == F_EMPTY || s->kind == F_EMPTY) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (s->mapped) {
        return SYS_ERR_ALREADY_MAPPED;
    }
    if (v->kind == F_L1) {
        if (s->kind != F_L2 || count != 1 || offset != 0) {
            return SYS_ERR_VNODE_TYPE_MISMATCH;
        }
        limit = VNODE_L1_USER_ENTRIES;
    } else if (v->kind == F_L2) {
        if (s->kind != F_FRAME) {
            return SYS_ERR_VNODE_TYPE_MISMATCH;
        }
        if ((uint64_t)offset + count > s->pages) {
            return SYS_ERR_FRAME_OFFSET;
        }
        limit = VNODE_L2_ENTRIES;
    } else {
        return SYS_ERR_VNODE_TYPE_MISMATCH;
    }
    if (count == 0 || (uint64_t)entry + count > limit) {
        return SYS_ERR_VNODE_INDEX;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (tables[v->obj]->e[entry + i].frame != 0) {
            return SYS_ERR_VNODE_SLOT_INUSE;
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        tables[v->obj]->e[entry + i] = (struct fentry){ s->obj, offset + i };
    }
    s->mapped = true;
    s->map_table = v->obj;
    s->map_entry = entry;
    s->map_count = count;
    s->map_offset = offset;
    return SYS_ERR_OK;
}

errval_t vnode_unmap(capaddr_t vnode, capaddr_t src)
{
    struct fcap *v = slot_of(vnode), *s = slot_of(src);

    if (v == NULL || s == NULL || v->kind == F_EMPTY || s->kind == F_EMPTY) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (!s->mapped) {
        return SYS_ERR_NOT_MAPPED;
    }
    if (s->map_table != v->obj) {
        return SYS_ERR_MAPPED_ELSEWHERE;
    }
    unmap_cap(s);
    return SYS_ERR_OK;
}

/* Only the `current` state (unused here) takes RAM from ram_alloc. */
errval_t ram_alloc_aligned(capaddr_t *ret, gensize_t size, gensize_t alignment,
                           gensize_t *ret_size)
{
    (void)ret; (void)size; (void)alignment; (void)ret_size;
    CU_FAIL("ram_alloc_aligned called");
    return LIB_ERR_NOT_IMPLEMENTED;
}

/* The slot allocator's CNodes: RAM outside the counted slots. */
static uint32_t sa_ram_next;

static errval_t sa_ram_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                             gensize_t *ret_size)
{
    (void)alignment;
    *ret = CPTR(SA_RAM_L1, sa_ram_next++ % L2_CNODE_SLOTS);
    *ret_size = size;
    return SYS_ERR_OK;
}

static errval_t sa_ram_free(capaddr_t ram)
{
    (void)ram;
    return SYS_ERR_OK;
}

static errval_t sa_retype(capaddr_t ram, enum objtype type, gensize_t offset,
                          gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                          cslot_t dest_slot)
{
    (void)ram; (void)offset; (void)objsize; (void)count; (void)dest_cnode;
    CU_ASSERT_EQUAL(type, ObjType_L2CNode);
    CU_ASSERT_TRUE(dest_slot >= SA_FIRST && dest_slot < ROOT_SLOTS);
    return SYS_ERR_OK;
}

const struct slot_alloc_ops fake_sa_ops = { sa_ram_alloc, sa_ram_free, sa_retype, NULL };

