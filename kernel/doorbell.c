/*
 * Doorbells between cores (kernel/include/kernel/doorbell.h).
 *
 *   core A: IPICMD_NOTIFY                     core B
 *   ------------------------                  ------------------------------
 *   old = fetch_or(pending[B][id/32], bit)    SGI: doorbell_handle_pending
 *   if old had the bit clear:                   words = xchg(words[B], 0)
 *       fetch_or(words[B], 1 << id/32)          for each word w in words:
 *       arch_send_ipi(B)  ─────── SGI ──────▶     bits = pending[B][w]
 *                                                 for each bit: owner[id]
 *                                                   waiting? take the bit,
 *                                                            sched_wake
 *                                                   running? leave the bit
 *   core B: SYS_WAIT
 *     its bit set? take it, return at once   else block
 *
 * A ring whose bit is already set sends nothing. The bit is set either
 * because an interrupt for it is on its way (the handler takes the bit
 * before it wakes the owner, so a ring after that sets it again and
 * interrupts again), or because the owner was running when the interrupt
 * came: then the handler leaves the bit, and the owner takes it at its
 * next SYS_WAIT, which returns at once. So while the owner runs, further
 * rings cost its core nothing: a peer ringing in a loop interrupts the
 * owner's core at most once per SYS_WAIT of the owner (safety rule 8).
 * Both the handler and SYS_WAIT run on the owner's core with interrupts
 * masked, so they never interleave: no ring is lost between them.
 * Nothing is counted: a doorbell only says "look".
 * The word's bit in words[B] is set after the doorbell's bit and before
 * the interrupt, and taken before the words, so the interrupt that follows
 * a ring always finds the word marked (a mark left over from a word
 * already taken only costs a look at a zero word). Without the marks, each
 * interrupt took all 32 words with atomic exchanges: a sixth of a
 * cross-core RPC round trip.
 *
 * The sender's stores to the shared frame it rings about are ordered
 * before the bit (the fetch_or is sequentially consistent) and before the
 * interrupt (arch_send_ipi issues a DSB before it writes the GIC).
 */
#include <kernel/doorbell.h>
#include <kernel/dispatcher.h>
#include <kernel/core.h>
#include <kernel/arch.h>

/* Owner of each doorbell of this core (a kernel variable: per core). */
static struct dcb *owner[DOORBELL_MAX];
static uint32_t search_from;            /* the next search starts at 1 + this */

void doorbell_init(void)
{
    for (uint32_t i = 0; i < DOORBELL_MAX; i++) {
        owner[i] = NULL;
    }
    search_from = 0;
}

static volatile uint32_t *pending_of(uint32_t core)
{
    return kernel_shared()->doorbells[core];
}

static volatile uint32_t *words_of(uint32_t core)
{
    return &kernel_shared()->doorbell_words[core];
}

/* Clear the bits of `mask` in `*word`; which of them were set. */
static uint32_t take_bits(volatile uint32_t *word, uint32_t mask)
{
    return __atomic_fetch_and(word, ~mask, __ATOMIC_SEQ_CST) & mask;
}

/* The first domain learns which cores are down whenever it is looked at
 * for a ring (a ring about a dead core may be among them). */
static void root_learns_dead_cores(struct dcb *dcb)
{
    if (core_is_root(dcb)) {
        dcb_shared(dcb)->cores_down = kernel_shared()->cores_down;
    }
}

/* Find a free number: at most one pass over the table (bounded, rule 9). */
errval_t doorbell_create(struct dcb *dcb, uint32_t *id)
{
    if (dcb->doorbell != 0) {
        *id = dcb->doorbell;
        return SYS_ERR_OK;
    }
    for (uint32_t n = 0; n < DOORBELL_MAX - 1; n++) {
        uint32_t i = 1 + (search_from + n) % (DOORBELL_MAX - 1);
        if (owner[i] == NULL) {
            owner[i] = dcb;
            dcb->doorbell = i;
            if (core_is_root(dcb)) {
                core_root_doorbell(i);
            }
            dcb->doorbell_word = &pending_of(core_id())[i / 32];
            take_bits(dcb->doorbell_word, 1u << (i % 32));  /* left by its last owner */
            search_from = i % (DOORBELL_MAX - 1);   /* numbers are not reused soon */
            *id = i;
            return SYS_ERR_OK;
        }
    }
    return SYS_ERR_DOORBELL_FULL;
}

void doorbell_dispatcher_destroyed(struct dcb *dcb)
{
    if (dcb->doorbell != 0 && dcb->doorbell < DOORBELL_MAX && owner[dcb->doorbell] == dcb) {
        owner[dcb->doorbell] = NULL;
    }
    dcb->doorbell = 0;
    dcb->doorbell_word = NULL;
}

/*
 * Doorbell `id` of this core has its pending bit set: may the bit be
 * taken? Yes for doorbell 0, the kernel's own (another core asks something
 * of this one), for a bit with no owner (a ring after its owner was
 * destroyed) and for an owner waiting in SYS_WAIT. An owner that runs
 * keeps its bit: its next SYS_WAIT takes it and returns at once, and rings
 * till then find it set and interrupt nobody. (Taking every bit and
 * putting a running owner's back would open a window in which a ringer
 * finds it clear: a ringer in a loop then interrupted the core about once
 * in ten rings.) The first domain learns which cores are down on every
 * look.
 */
static bool doorbell_takes(uint32_t id)
{
    struct dcb *dcb = owner[id];

    if (id == 0 || dcb == NULL) {
        return true;
    }
    root_learns_dead_cores(dcb);
    return dcb->state == DCB_WAITING;
}

/* Look at word `w` of this core's pending bits (`mine`), whose set bits
 * are `bits`: take the bits doorbell_takes allows with one atomic AND,
 * then act on each (so a ring after the take interrupts again). */
static void doorbell_look(volatile uint32_t *mine, uint32_t w, uint32_t bits)
{
    uint32_t take = 0;

    for (uint32_t rest = bits; rest != 0; rest &= rest - 1) {
        uint32_t b = (uint32_t)__builtin_ctz(rest);
        take |= doorbell_takes(w * 32 + b) ? 1u << b : 0;
    }
    if (take == 0) {
        return;
    }
    take_bits(&mine[w], take);
    for (; take != 0; take &= take - 1) {
        uint32_t id = w * 32 + (uint32_t)__builtin_ctz(take);
        if (id == 0) {
            core_take_kill_request();
        } else if (owner[id] != NULL) {
            sched_wake(owner[id]);
        }
    }
}

void doorbell_ring(uint32_t core, uint32_t id)
{
    uint32_t bit = 1u << (id % 32), old;

    old = __atomic_fetch_or(&pending_of(core)[id / 32], bit, __ATOMIC_SEQ_CST);
    if (core == core_id()) {
        doorbell_look(pending_of(core), id / 32, bit);
    } else if (!(old & bit)) {
        __atomic_fetch_or(words_of(core), 1u << (id / 32), __ATOMIC_SEQ_CST);
        arch_send_ipi(core);
    }
}

void doorbell_handle_pending(void)
{
    volatile uint32_t *mine = pending_of(core_id());
    uint32_t words = __atomic_exchange_n(words_of(core_id()), 0, __ATOMIC_SEQ_CST);

    _Static_assert(DOORBELL_WORDS <= 32, "a bit per word");
    while (words != 0) {
        uint32_t w = (uint32_t)__builtin_ctz(words);
        words &= words - 1;
        doorbell_look(mine, w, __atomic_load_n(&mine[w], __ATOMIC_SEQ_CST));
    }
}

/* A bit left set may stand for several rings, among them one about a dead
 * core that found it set and sent no interrupt: the first domain learns
 * the dead cores here too (core_root_died sets cores_down before it rings,
 * so a take that sees its ring sees the mask). */
bool doorbell_take_notified(struct dcb *dcb)
{
    uint32_t bit = 1u << (dcb->doorbell % 32);
    bool rung;

    /* a plain look first, the atomic take only for a set bit: a ring
     * after the look finds the bit clear and interrupts us once we block */
    rung = dcb->doorbell != 0 && (*dcb->doorbell_word & bit) != 0
           && take_bits(dcb->doorbell_word, bit) != 0;
    if (rung) {
        root_learns_dead_cores(dcb);
    }
    return rung;
}
