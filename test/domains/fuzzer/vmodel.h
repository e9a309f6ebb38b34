/*
 * The model behind VSPACE_FUZZ_SEQ (vseq.c, vmodel.c): what the sequence
 * built out of its pool of RAM and mapped into its windows, and so what
 * every address of the windows must translate to. The operations change
 * the kernel's state and then, following its answers, the model; the
 * oracle (judge) probes every address whose answer changed.
 */
#ifndef FUZZER_VMODEL_H
#define FUZZER_VMODEL_H

#include "fuzz.h"
#include <aos/caps.h>

#define POOL_BYTES      (256u << 10)
#define POOL_SLOT       0
#define WINDOWS         8
#define ENTRIES         ((int)VNODE_L2_ENTRIES)
#define MAX_OBJS        64
#define SLOTS           ((int)L2_CNODE_SLOTS)   /* the sandbox CNode */
#define TEST_ROOTS      2                       /* root slots for CNodes under test */
#define NCAPS           (SLOTS + TEST_ROOTS)
#define FRAME_MAX_PAGES 4
#define PAGE_WORDS      (BASE_PAGE_SIZE / 4)
#define TABLE_FLAGS     (VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE)
#define STEPS           (400 * fz_rounds)
#define FREED_MEMORY    8

enum vkind { V_NONE, V_FRAME, V_TABLE, V_CNODE };

struct vobj {
    enum vkind kind;
    uint32_t uid;                       /* unique in the run: identity and messages */
    uint32_t offset, size;              /* bytes into the pool */
    uint32_t ncaps;                     /* live capabilities naming it */
    uint32_t pages;                     /* frame */
    uint32_t stamp[FRAME_MAX_PAGES];    /* frame: word 0 of each page as last written */
    bool fresh[FRAME_MAX_PAGES];        /* frame: page not read through a mapping yet */
    bool was_mapped;                    /* table: has been mapped into a window */
    int16_t entry[ENTRIES];             /* table: the frame cap at each entry, or -1 */
};

/* A capability: index 1..SLOTS-1 is that slot of the sandbox CNode,
 * SLOTS + r the test root slot r. */
struct vcap {
    bool live;
    int obj;
    uint32_t rights;
    bool mapped;                        /* the one mapping this capability made */
    int in_table;                       /* frame: the table object; table: -1 (our L1) */
    uint32_t entry, count, offset, flags;   /* table: entry is the window */
};

struct vmodel {
    cslot_t sb_root, test_root[TEST_ROOTS];     /* the sandbox CNode's root slot; two more */
    capaddr_t sb_cn, cn_ram, init_ram;          /* the sandbox CNode; RAM of it and the pool */
    lvaddr_t win_base;                          /* WINDOWS MiB of our address space */
    struct vobj objs[MAX_OBJS];
    struct vcap caps[NCAPS];
    int window[WINDOWS];                        /* table cap mapped at each window, or -1 */
    uint32_t expect[WINDOWS][ENTRIES];          /* each address's answer at the last judge */
    bool ever[WINDOWS][ENTRIES];                /* mapped at least once */
    uint16_t ever_list[WINDOWS * ENTRIES];
    uint32_t ever_n;
    struct { uint32_t uid, page, step; } gone[WINDOWS][ENTRIES];  /* what it last mapped */
    struct { uint32_t offset, size; } freed[FREED_MEMORY];         /* memory that died lately */
    uint32_t freed_n, next_uid, step, stale_checks;
    int sample_window;                          /* a window whose table is new, or -1 */
    char op[96];                                /* what the step did, for findings */
};
extern struct vmodel vm;

#define POOL CPTR(vm.sb_root, POOL_SLOT)

static inline capaddr_t cap_at(int c)
{
    return c < SLOTS ? CPTR(vm.sb_root, c) : (CPTR_L1_SLOT | vm.test_root[c - SLOTS]);
}

static inline struct vobj *obj_of(int c)
{
    return &vm.objs[vm.caps[c].obj];
}

/* Empty the model: nothing built, nothing mapped. */
void model_reset(void);
/* A random live capability to an object of `kind` (V_NONE: any) for which
 * `want` holds (NULL: any), or -1. */
int pick(enum vkind kind, bool (*want)(int c));
bool is_mapped(int c);
bool is_unmapped(int c);
bool in_window(int c);
bool copy_of_mapped(int c);
int free_slots(uint32_t count);
int free_root(void);
uint32_t free_objs(void);
int obj_new(enum vkind kind, uint32_t offset, uint32_t size);
void cap_new(int c, int o, uint32_t rights);
int overlapping(uint32_t offset, uint32_t bytes);
void model_unmap(int c);
void model_delete(int c);
const char *kind_name(enum vkind kind);

/* The oracle: probe (w, e) against the model; after each step, probe
 * what changed; a fresh CNode in a test root slot is empty. */
void check_va(int w, int e);
void judge(void);
void check_cnode_empty(int c);

#endif
