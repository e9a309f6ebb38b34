/*
 * RAM capabilities beyond retype (kernel/object/ram.c), for the rest of
 * the capability layer. Private to it.
 */
#ifndef KERNEL_RAM_H
#define KERNEL_RAM_H

#include <kernel/cap.h>

/* Copies in `ram`'s group, itself included, counting up to `limit`. */
uint32_t ram_count_copies(struct cte *ram, uint32_t limit);
/* A RAM capability is about to be emptied: if copies remain, one of them
 * takes over its high-water mark, so the group's mark never drops. */
void ram_cap_deleting(struct cte *cte);

#endif
