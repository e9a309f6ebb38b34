/*
 * init's memory server (mem_server.c).
 *
 * All RAM from boot goes into the *public* memory manager, which serves
 * every other domain: GET_RAM requests and everything init builds for a
 * domain it spawns. init's own bookkeeping (slabs, slot CNodes, page
 * tables of its own) comes from a *private* pool carved out of it once at
 * start-up, so init's caches growing never shows up as a change in the
 * public pool: "free RAM before == free RAM after" is exactly "the domain
 * gave everything back".
 *
 *   boot RAM caps ──mm_add──> public mm ──32 MiB block──> private mm (init's own)
 *                                 │
 *                                 ├── GET_RAM from domains (accounted per process)
 *                                 └── spawn: cspace, page tables, frames, DCB
 */
#ifndef INIT_MEM_SERVER_H
#define INIT_MEM_SERVER_H

#include <autarky/types.h>
#include <autarky/errors.h>

#define MEM_SERVER_PRIVATE_POOL (32u << 20)
/* The same on a core other than 0, which starts with less RAM (cores.h). */
#define MEM_SERVER_PRIVATE_POOL_CORE (4u << 20)

/* Build both managers from the boot info, make the private one init's RAM
 * source; also brings up init's slot allocator and paging. */
errval_t mem_server_init(void);
/* The public pool: RAM for other domains. */
errval_t mem_server_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                          gensize_t *ret_size);
/* Return a public block (revokes every copy and descendant first). */
errval_t mem_server_free_block(capaddr_t ram);
errval_t mem_server_give_to_core(gensize_t size, capaddr_t *ret);
/* RAM moving between cores (docs/multikernel.md): another core's server
 * that runs out asks core 0 for at least MEM_SERVER_REFILL (waiting at
 * most MEM_SERVER_REFILL_DEADLINE counter ticks); core 0 gives blocks up
 * to MEM_SERVER_REFILL_MAX and keeps MEM_SERVER_KEEP beyond each. */
#define MEM_SERVER_REFILL          (32u << 20)
#define MEM_SERVER_REFILL_MAX      (256u << 20)
#define MEM_SERVER_KEEP            (64u << 20)
#define MEM_SERVER_REFILL_DEADLINE (2ull * 62500000)
errval_t mem_server_refill(gensize_t bytes);
errval_t mem_server_give_ram(uint32_t core, gensize_t bytes, uint32_t *gift, uint32_t *size);
/* Free and total bytes of the public pool. */
void mem_server_stats(gensize_t *free_bytes, gensize_t *total_bytes);
gensize_t mem_server_free(void);
/* Free RAM plus what moved to other cores since boot: what a program must
 * leave unchanged (commands.c; RAM that moved is checked on its core). */
gensize_t mem_server_kept(void);

#endif
