/*
 * The fake kernel behind test_paging.c (fake_vspace.c): what its cspace
 * and page tables hold, and failure injection.
 */
#ifndef FAKE_VSPACE_H
#define FAKE_VSPACE_H

#include "../../../vspace/paging_types.h"
#include <aos/slot_alloc.h>

#define ROOT_SLOTS   64                 /* root slots of the fake cspace */
#define FIXED_L1     2                  /* the test's own caps: CPTR(2, i) */
#define SA_RAM_L1    3                  /* the slot allocator's CNode RAM */
#define SA_FIRST     4                  /* the slot allocator's first CNode */
#define MAX_TABLES   4096

enum fkind { F_EMPTY, F_RAM, F_FRAME, F_L1, F_L2 };

struct fcap {
    uint8_t kind;
    uint8_t origin;         /* 0: not from a child; s + 1: state s's memory */
    uint32_t obj;           /* frame: object id; L1/L2: table index */
    uint32_t pages;         /* frame size */
    bool mapped;            /* this cap made a mapping: */
    uint32_t map_table, map_entry, map_count, map_offset;
};

struct fentry {
    uint32_t frame;         /* 0: empty; frame object id (L2), table index (L1) */
    uint32_t page;
};

struct ftable {
    bool live, l1;
    struct fentry e[VNODE_L1_USER_ENTRIES];     /* L2 tables use the first 256 */
};

extern struct fcap cs[ROOT_SLOTS][L2_CNODE_SLOTS];
extern struct ftable *tables[MAX_TABLES];   /* index 0 unused */
extern uint32_t next_frame_obj;             /* ids for new frame objects */
/* Fail the n-th call from now of vnode_map, cap_copy or a ram_fn (1 = the
 * next; 0 = never); each counts down to 0 when it fires. */
extern int map_fail_at, copy_fail_at, ram_fail_at;
/* Locking errors seen by the one-thread mutex (must stay 0). */
extern int lock_misuse;
/* The slot allocator's RAM and CNode retypes (outside the counted slots). */
extern const struct slot_alloc_ops fake_sa_ops;

/* Count down *n; true when it reaches 0 now. */
bool countdown(int *n);
/* The fake slot a cptr names, or NULL (outside the fake cspace). */
struct fcap *slot_of(capaddr_t c);
/* A new, empty table object. */
uint32_t new_table(bool l1);

#endif
