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
#include <aos/slot_alloc.h>
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

/* ---- two pages, one frame (meshing: morecore/small_runs.c) ---- */

/* The frame behind `va` if it is a pool frame of our own mapped there
 * (not an alias, not foreign), else 0; *sh its shadow. */
static capaddr_t own_frame(struct paging_state *st, lvaddr_t va, struct paging_shadow **sh)
{
    capaddr_t f;

    *sh = st->l2[L1_INDEX(va)];
    if (*sh == NULL) {
        return 0;
    }
    f = (*sh)->frame[L2_INDEX(va)];
    return f == PAGING_FRAME_FOREIGN || (f & PAGING_FRAME_ALIAS) ? 0 : f;
}

/* Zero a frame mapped nowhere, through the scratch page (lock held);
 * false if it could not be mapped there (it is not zeroed). */
static bool zero_frame(struct paging_state *st, capaddr_t frame)
{
    struct paging_shadow *ssh;

    if (scratch == 0 && (scratch = paging_arena_page()) == 0) {
        return false;
    }
    if (err_is_fail(paging_map_page(st, scratch, frame, VREGION_FLAGS_READ_WRITE))) {
        return false;
    }
    ssh = st->l2[L1_INDEX(scratch)];
    arch_zero_32s((void *)scratch, BASE_PAGE_SIZE);
    vnode_unmap(ssh->table, frame);
    ssh->frame[L2_INDEX(scratch)] = 0;
    paging_shadow_count(st, ssh, -1);
    return true;
}

#define SHARE_MAX 32                /* pages one call points at a frame */

/*
 * Make the pages src[0..n) map the frame of page `dst`: src[0] maps a pool
 * frame of its own, src[1..n) map copies of that frame (pages meshed into
 * src[0] before); dst maps a pool frame of its own. Copies of dst's frame
 * cap are made first; then, in disabled mode, move(arg) copies the live
 * bytes over and every src page is unmapped and mapped onto dst's frame;
 * then src[0]'s old frame is zeroed and goes back to the pool (if it
 * cannot be zeroed, it stays out of use: a pool frame must read zero), the
 * old copies are deleted, and dst's frame is pinned (compaction must not
 * move a frame two pages share). False, with nothing changed, if a page is not
 * what it should be or the copies cannot be made.
 */
bool paging_share_frame(lvaddr_t dst, const lvaddr_t *src, int n, void (*move)(void *arg),
                        void *arg)
{
    struct paging_state *st = get_current_paging_state();
    struct paging_shadow *dsh, *sh[SHARE_MAX];
    capaddr_t dframe, old[SHARE_MAX], copy[SHARE_MAX];
    int made = 0, mapped = 0;
    bool was, ok = n > 0 && n <= SHARE_MAX;
    errval_t err = SYS_ERR_OK;

    paging_lock(st);
    dframe = own_frame(st, dst, &dsh);
    for (int i = 0; ok && i < n; i++) {
        sh[i] = st->l2[L1_INDEX(src[i])];
        old[i] = sh[i] != NULL ? sh[i]->frame[L2_INDEX(src[i])] : 0;
        ok = old[i] != 0 && old[i] != PAGING_FRAME_FOREIGN
             && ((old[i] & PAGING_FRAME_ALIAS) != 0) == (i > 0);
    }
    for (; ok && dframe != 0 && made < n; made++) {
        if (err_is_fail(slot_alloc(&copy[made]))) {
            break;
        }
        if (err_is_fail(cap_copy_to(copy[made], dframe))) {
            slot_free(copy[made]);
            break;
        }
    }
    if (!ok || dframe == 0 || made < n) {
        while (made-- > 0) {
            cap_delete(copy[made]);
            slot_free(copy[made]);
        }
        paging_unlock(st);
        return false;
    }
    was = threads_disable();
    move(arg);
    for (; mapped < n && err_is_ok(err); mapped++) {
        capaddr_t was_mapped = old[mapped] & ~PAGING_FRAME_ALIAS;
        vnode_unmap(sh[mapped]->table, was_mapped);
        err = vnode_map(sh[mapped]->table, copy[mapped], L2_INDEX(src[mapped]),
                        VREGION_FLAGS_READ_WRITE, 0, 1);
        if (err_is_fail(err)) {         /* (cannot happen: the entry was just emptied) */
            vnode_map(sh[mapped]->table, was_mapped, L2_INDEX(src[mapped]),
                      VREGION_FLAGS_READ_WRITE, 0, 1);
        }
    }
    if (err_is_fail(err)) {             /* put back those already moved, bytes and all */
        for (int i = 0; i < mapped - 1; i++) {
            vnode_unmap(sh[i]->table, copy[i]);
            vnode_map(sh[i]->table, old[i] & ~PAGING_FRAME_ALIAS, L2_INDEX(src[i]),
                      VREGION_FLAGS_READ_WRITE, 0, 1);
        }
    }
    threads_restore(was);
    if (err_is_fail(err)) {
        for (int i = 0; i < n; i++) {
            cap_delete(copy[i]);
            slot_free(copy[i]);
        }
        paging_unlock(st);
        return false;
    }
    for (int i = 0; i < n; i++) {
        sh[i]->frame[L2_INDEX(src[i])] = copy[i] | PAGING_FRAME_ALIAS;
        if (i > 0) {
            cap_delete(old[i] & ~PAGING_FRAME_ALIAS);
            slot_free(old[i] & ~PAGING_FRAME_ALIAS);
        }
    }
    if (zero_frame(st, old[0])) {
        frame_pool_put(old[0]);         /* free frames read zero */
    } else {
        frame_pool_pin(old[0], true);   /* never handed out again; the domain's end returns it */
    }
    frame_pool_pin(dframe, true);
    paging_unlock(st);
    return true;
}

/* Page `va` maps another page's frame (paging_share_frame): unmap it and
 * drop the cap copy; the frame stays with its owner page. */
void paging_unshare(lvaddr_t va)
{
    struct paging_state *st = get_current_paging_state();
    struct paging_shadow *sh;

    paging_lock(st);
    sh = st->l2[L1_INDEX(va)];
    if (sh != NULL && (sh->frame[L2_INDEX(va)] & PAGING_FRAME_ALIAS)) {
        paging_drop_alias(st, sh, va);
    }
    paging_unlock(st);
}
