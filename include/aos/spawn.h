/*
 * Starting a new domain from an ELF image (spawn/spawn.c).
 *
 * The spawner builds everything the child needs from RAM it allocates and
 * records (struct spawninfo.ram): cspace, page tables, dispatcher, frames
 * for its segments, stack, arguments page and an endpoint through which it
 * will receive replies. Ending the child is the reverse: spawn_cleanup
 * revokes every recorded RAM block (destroying every object built from
 * it, including whatever the child retyped from RAM it got later, if the
 * caller recorded that RAM too) and hands the blocks back.
 *
 * Child layout (virtual):            Child cspace (root L1 CNode, 1024 slots):
 *   0x0010_0000 dispatcher frame       0 TASKCN   (TASKCN_SLOT_* of bootinfo.h)
 *   0x0011_0000 arguments page         1 PAGECN   slot 0: its VNode L1
 *   0x0040_0000 ELF segments, up to    2 SLOT_ALLOC0: empty, for its slot allocator
 *   0x2000_0000 (SPAWN_IMAGE_LIMIT)    6.. free (its slot allocator grows here)
 *   0x2000_0000 first heap block, then its own vspace
 *   0x7fef_0000 stack (64 KiB)
 */
#ifndef AOS_SPAWN_H
#define AOS_SPAWN_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/dispatcher.h>

#include <aos/args_page.h>   /* the child layout and arguments page */

/* A growable list of capability addresses. */
struct cap_list {
    capaddr_t *caps;
    uint32_t count, max;
};

struct paging_state;

struct spawninfo {
    char name[DISP_NAME_LEN];
    uint32_t badge;                /* badge of the child's endpoint to its parent */
    lvaddr_t entry;
    /* our capabilities to the child's objects (all in `slots`) */
    capaddr_t l1cnode, taskcn, pagecn, slotcn;
    capaddr_t vnode_l1, dispatcher, argsframe;
    capaddr_t dispframe;           /* 8 KiB: the dispatcher, then the vmmap page */
    capaddr_t child_ep;            /* send to the child (bound to its dispatcher) */
    struct paging_state *vspace;   /* the child's page tables, kept by us */
    struct cap_list ram;           /* RAM blocks everything above came from */
    size_t ram_bytes;              /* their total size */
    capaddr_t arena;               /* the block objects are carved from now */
    gensize_t arena_size, arena_used;
    struct cap_list slots;         /* our slots to free at cleanup */
};

/*
 * Build a child from `elf` (size bytes, validated here) with arguments
 * argv[0..argc-1] (argv[0] names it), whose endpoint to us is a copy of
 * `parent_ep` minted with `badge`. The child does not run yet. On failure
 * everything built so far is cleaned up. If `elf_frame` names a frame
 * holding the image (CPTR_NULL: none), read-only segments map its pages
 * instead of copies: every child of one module shares its code.
 */
errval_t spawn_load(struct spawninfo *si, const void *elf, size_t size,
                    capaddr_t elf_frame, int argc, const char *const argv[],
                    capaddr_t parent_ep, uint32_t badge);
errval_t spawn_start(struct spawninfo *si);
/* Where spawn gets (and returns) the RAM for children: by default this
 * domain's own source (ram_alloc_aligned / ram_free); init passes its
 * memory server's public pool. `free` must revoke the block first. */
void spawn_set_ram_source(errval_t (*alloc)(capaddr_t *ret, gensize_t size,
                                            gensize_t alignment, gensize_t *ret_size),
                          errval_t (*free)(capaddr_t ram));
/* Record a RAM block given to the child later (e.g. by RPC), so that
 * spawn_cleanup reclaims it too. */
errval_t spawn_account_ram(struct spawninfo *si, capaddr_t ram, gensize_t bytes);
/* What a running child publishes, read back (spawn/spawn_inspect.c; the
 * child writes both, so neither is trusted): the page faults it has
 * taken, and its vmmap page checked by vmmap_read (its errors:
 * INIT_ERR_VMMAP_NOT_YET, _BUSY, _GARBLED). */
struct vmmap_copy;
uint32_t spawn_page_faults(struct spawninfo *si);
errval_t spawn_read_vmmap(struct spawninfo *si, struct vmmap_copy *copy);
/* spawn_load of boot module argv[0] (spawn/spawn_module.c): only a core's
 * first domain holds the modules. INIT_ERR_NO_SUCH_MODULE if there is
 * none of that name. */
errval_t spawn_load_module(struct spawninfo *si, int argc, const char *const argv[],
                           capaddr_t parent_ep, uint32_t badge);
/* Take the block [base, base + size) out of the child's accounting: *ret =
 * our cap to it (the caller returns it). LIB_ERR_SPAWN_NOT_ACCOUNTED if the
 * child was never given exactly that block (its spawn arenas never were). */
errval_t spawn_unaccount_ram(struct spawninfo *si, lpaddr_t base, gensize_t size,
                             capaddr_t *ret);
/* Stop the child if it runs and give everything back. */
void spawn_cleanup(struct spawninfo *si);

/* Arguments of this domain, from its arguments page (the runtime calls it
 * once at start-up). Returns argc; argv points into the page. */
int spawn_parse_args(char *argv[], int max);
/* This domain's pid as its spawner gave it (arguments page; init's
 * children: their pid, not the kernel's domain id). Not for init. */
domainid_t spawn_my_pid(void);

#endif
