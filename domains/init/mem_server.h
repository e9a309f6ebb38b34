/*
 * init's memory server (mem_server.c): every RAM cap the kernel handed
 * init goes into one memory manager (lib/mm.c), which is init's own RAM
 * source and answers other domains' GET_RAM requests.
 */
#ifndef INIT_MEM_SERVER_H
#define INIT_MEM_SERVER_H

#include <autarky/types.h>
#include <autarky/errors.h>

/* Build the manager from the boot info and make it init's RAM source;
 * also brings up init's slot allocator and paging. */
errval_t mem_server_init(void);
/* Free and total bytes the manager holds. */
void mem_server_stats(gensize_t *free_bytes, gensize_t *total_bytes);
gensize_t mem_server_free(void);

#endif
