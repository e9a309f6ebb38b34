/*
 * The multikernel (docs/multikernel.md): one CPU driver per core.
 *
 * Every core runs its own copy of this kernel: text, rodata and bss in one
 * private 1 MiB section that each core maps at the same virtual address
 * (kernel.ld), so every kernel variable is per core without being written
 * as such, and nothing a CPU driver keeps is visible to another. Core 0
 * boots from QEMU; it starts another core when its init asks
 * (KERNELCMD_START_CORE), in memory init gives it for good: the first
 * 1 MiB of that memory becomes the new core's CPU driver, the rest its
 * first domain's RAM.
 *
 * The one thing the CPU drivers share is struct kernel_shared, explicit
 * shared memory core 0 allocates at boot (kernel/core.c): the console's
 * line lock and the doorbells' pending bits.
 */
#ifndef KERNEL_CORE_H
#define KERNEL_CORE_H

#include <autarky/types.h>
#include <autarky/bootinfo.h>
#include <kernel/arch.h>
#include <kernel/doorbell.h>
#include <kernel/loan.h>

struct cte;

#define MAX_CORES BOOTINFO_MAX_CORES

/* What core 0 tells a core it starts, written into the new core's copy of
 * the CPU driver before the core runs (kernel/arch/<arch>/smp.c). */
struct core_boot_params {
    uint32_t core_id;
    uint32_t ncores;                    /* cores in the machine */
    lpaddr_t image_pa;                  /* this CPU driver's private section */
    lpaddr_t ram_base;                  /* RAM for the first domain: */
    gensize_t ram_size;                 /*   [ram_base, ram_base + ram_size) */
    lpaddr_t machine_ram_base;          /* all of RAM, for SYS_PRINT's checks */
    lpaddr_t machine_ram_end;
    lpaddr_t shared_pa;                 /* struct kernel_shared */
    lpaddr_t channel_pa;                /* a frame its init shares with core 0's */
    gensize_t channel_size;
    uint32_t n_modules;                 /* the boot modules' frames (read only) */
    lpaddr_t module_pa[BOOTINFO_MAX_MODULES];
};

/* RAM one core gives another (KERNELCMD_GIVE_RAM, KERNELCMD_CLAIM_RAM). */
#define CORE_GIFTS 32
enum core_gift_state { GIFT_FREE, GIFT_FILLING, GIFT_GIVEN };
struct core_gift {
    volatile uint32_t state;            /* enum core_gift_state */
    uint32_t to;                        /* the core that may claim it */
    lpaddr_t base;
    gensize_t size;
};

/* Shared by every core's CPU driver: explicit shared memory, allocated by
 * core 0 at boot (KERNEL_SHARED_BYTES). Only ever accessed with the
 * barriers its users state. */
#define KERNEL_SHARED_BYTES BASE_PAGE_SIZE
struct kernel_shared {
    volatile uint32_t console_lock;     /* a line of console output (printk.c) */
    volatile uint32_t cores_up;         /* bit per core that has booted */
    /* Doorbells rung for each core, a bit per doorbell (doorbell.c):
     * set by any core with an atomic OR, taken by its owner with an
     * atomic exchange. */
    volatile uint32_t doorbells[MAX_CORES][DOORBELL_WORDS];
    /* Which of a core's pending words may have bits worth an interrupt:
     * bit w for word w, set by a ringer that interrupts (atomic OR) after
     * its bit and before the interrupt, taken by the owner's interrupt
     * (atomic exchange) before the words, so it looks at one word, not
     * all DOORBELL_WORDS (doorbell.c). */
    volatile uint32_t doorbell_words[MAX_CORES];
    /* RAM on its way from one core to another (core.c): an entry is
     * taken FREE -> FILLING with a compare-and-swap by the giver, made
     * GIVEN after its fields, and taken GIVEN -> FREE by the receiver. */
    struct core_gift gifts[CORE_GIFTS];
    /* Cores whose first domain (init) has died: a bit each, set by that
     * core (core_root_died); and the doorbell of each core's first
     * domain, rung when another core's dies (0: none yet). */
    volatile uint32_t cores_down;
    volatile uint32_t root_doorbell[MAX_CORES];
    /* A debug request to kill a core's first domain (KERNELCMD_DEBUG_
     * KILL_CORE_ROOT), taken by that core on its doorbell interrupt. */
    volatile uint32_t kill_root_request;
    /* Frames lent between cores (kernel/cap/loan.c, its header). */
    struct core_loan loans[CORE_LOANS];
};

/* This core's copy, written by core 0 before it started this core. */
extern struct core_boot_params core_boot_params;

/* This CPU driver's core (0 = the boot core). */
uint32_t core_id(void);
uint32_t core_count(void);
struct kernel_shared *kernel_shared(void);

/* Core 0, at boot: the shared memory, allocated by the caller. */
void core_init_boot(uint32_t ncores, struct kernel_shared *shared);
/* Another core, at boot: what core 0 told it. */
void core_init_secondary(const struct core_boot_params *p);
/* The boot parameters this core was started with (NULL on core 0). */
const struct core_boot_params *core_params(void);

/* KERNELCMD_START_CORE (core 0's Kernel capability only): start core `id`
 * in the memory of RAM capability `ram` (consumed: the memory leaves this
 * core for good), its init sharing frame `channel` with the caller. */
errval_t core_start(uint32_t id, struct cte *ram, struct cte *channel);

/* This core's first domain (startup.c sets it). Its death is every other
 * core's business: core_root_died marks this core down and rings each
 * other core's first domain, whose kernel then copies the mask of dead
 * cores into its dispatcher frame (cores_down, doorbell.c). */
void core_set_root(struct dcb *dcb);
bool core_is_root(const struct dcb *dcb);
void core_root_died(void);
/* A doorbell of the first domain was made: publish it for the others. */
void core_root_doorbell(uint32_t doorbell);
/* KERNELCMD_DEBUG_KILL_CORE_ROOT: have core `core` kill its first domain. */
errval_t core_kill_root(uint32_t core);
/* On this core's doorbell interrupt: a kill of our first domain asked? */
void core_take_kill_request(void);

/* KERNELCMD_GIVE_RAM: RAM `ram` (given away for good, caps_give_away's
 * rules) goes to core `to`; *gift names it there. */
errval_t core_give_ram(struct cte *ram, uint32_t to, uint32_t *gift);
/* KERNELCMD_CLAIM_RAM: RAM gift `gift` for this core becomes a RAM
 * capability in the empty slot `dest` (checked by the caller). */
errval_t core_claim_ram(uint32_t gift, struct cte *dest);

#endif
