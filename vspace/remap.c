/*
 * Moving a page to another frame without moving its bytes' address: a
 * self-paging domain can do what a Linux process cannot do cheaply. Used
 * by the frame pool to empty a chunk that a few pages still pin
 * (frame_pool.c, compaction), so the chunk can go back to the memory
 * server.
 *
 *   before:  va ──> old frame (chunk 57)        scratch ──> (nothing)
 *   1.       va ──> old frame                   scratch ──> new frame (chunk 2)
 *   2.       disabled: copy va -> scratch, zero va, unmap both, map new at va
 *   after:   va ──> new frame                   old frame: free, zero
 *
 * Step 2 runs in disabled mode, so no other thread of the domain runs
 * between the copy and the new mapping: nothing written through `va` can
 * be lost, and no thread can see the page half moved (a thread that
 * touched it would find it mapped again when it next runs). The thread
 * that moves must not move the page its own stack is on: its stack block
 * is left alone. Everything step 2 needs is read before it starts; it
 * touches only `va`, the scratch page, its own stack and the kernel.
 *
 * The paging lock is held throughout.
 */
#include "paging_types.h"
#include "frame_pool.h"
#include <aos/caps.h>
#include <aos/threads.h>
#include <arch/memops.h>

static lvaddr_t scratch;               /* a FIXED page of our own, mapped only here */

void paging_own_stack(lvaddr_t *base, lvaddr_t *top)
{
    struct paging_state *st = get_current_paging_state();
    struct buddy_block b;
    lvaddr_t sp = (lvaddr_t)__builtin_frame_address(0);

    if (err_is_ok(buddy_lookup(&st->buddy, sp, &b))) {
        *base = b.base;
        *top = b.base + b.size;
    } else {
        *base = *top = sp;
    }
}

/* Step 2: the copy and the three kernel calls, disabled. If the new
 * frame cannot be mapped (it cannot fail: the entry was just emptied and
 * the frame is mapped nowhere), the old one goes back, bytes intact. */
static errval_t move_disabled(lvaddr_t va, capaddr_t va_table, capaddr_t old_frame,
                              capaddr_t scratch_table, capaddr_t new_frame, uint32_t flags)
{
    bool was = threads_disable();
    errval_t err;

    arch_memcpy((void *)scratch, (const void *)va, BASE_PAGE_SIZE);
    vnode_unmap(va_table, old_frame);
    vnode_unmap(scratch_table, new_frame);
    err = vnode_map(va_table, new_frame, L2_INDEX(va), flags, 0, 1);
    if (err_is_fail(err)) {
        vnode_map(va_table, old_frame, L2_INDEX(va), flags, 0, 1);
    }
    threads_restore(was);
    return err;
}

/* Zero a frame that is mapped nowhere, through the scratch page. */
static void zero_unmapped(capaddr_t scratch_table, capaddr_t frame)
{
    if (err_is_ok(vnode_map(scratch_table, frame, L2_INDEX(scratch), VREGION_FLAGS_READ_WRITE,
                            0, 1))) {
        arch_zero_32s((void *)scratch, BASE_PAGE_SIZE);
        vnode_unmap(scratch_table, frame);
    }
}

bool paging_relocate_frame(lvaddr_t va, capaddr_t old_frame, capaddr_t new_frame)
{
    struct paging_state *st = get_current_paging_state();
    struct paging_shadow *sh = st->l2[L1_INDEX(va)], *ssh;
    lvaddr_t stack_base, stack_top;
    errval_t err;

    paging_own_stack(&stack_base, &stack_top);
    if (sh == NULL || sh->frame[L2_INDEX(va)] != old_frame
        || (va >= stack_base && va < stack_top)) {
        return false;
    }
    if (scratch == 0 && (scratch = paging_arena_page()) == 0) {
        return false;
    }
    if (err_is_fail(paging_map_page(st, scratch, new_frame, VREGION_FLAGS_READ_WRITE))) {
        return false;
    }
    ssh = st->l2[L1_INDEX(scratch)];
    sh = st->l2[L1_INDEX(va)];          /* (the map may have made a table) */
    err = move_disabled(va, sh->table, old_frame, ssh->table, new_frame,
                        VREGION_FLAGS_READ_WRITE);
    ssh->frame[L2_INDEX(scratch)] = 0;
    if (err_is_fail(err)) {
        zero_unmapped(ssh->table, new_frame);
        paging_shadow_count(st, ssh, -1);
        return false;
    }
    zero_unmapped(ssh->table, old_frame);   /* free frames read zero */
    paging_shadow_count(st, ssh, -1);
    sh->frame[L2_INDEX(va)] = new_frame;
    return true;
}
