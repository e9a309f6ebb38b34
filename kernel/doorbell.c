/*
 * Doorbells between cores (kernel/include/kernel/doorbell.h).
 *
 *   core B: SYS_WAIT (doorbell_arm)           core A: IPICMD_NOTIFY
 *   ---------------------------------         ------------------------------
 *   fetch_or(armed[B][id/32], bit)            fetch_or(pending[B][id/32], bit)
 *   was = fetch_and(pending, ~bit)            was = fetch_and(armed, ~bit)
 *   rung (was & bit)? disarm, return          armed (was & bit)?
 *   else block ◀────────────── SGI ─────────────  arch_send_ipi(B)
 *   SGI: doorbell_handle_pending              (before the SGI: fetch_or(words[B],
 *     marked = xchg(words[B], 0)                 1 << id/32), the word's mark)
 *     for each marked word: bits = xchg(w, 0), for each bit: owner[id]
 *       waiting? sched_wake   else: notified = 1
 *
 * Both sides set their own bit, then take the other's, each step a
 * sequentially consistent read-modify-write; so at least one of them sees
 * the other's (the Dekker pattern): either the waiter finds the ring and
 * does not block, or the ringer finds the waiter armed and interrupts it,
 * or both (then the interrupt finds nothing to do). Exactly one ringer
 * takes an armed bit, so a core gets at most one doorbell interrupt per
 * SYS_WAIT of its domains: a domain ringing in a loop costs a core whose
 * domain is running nothing at all. Nothing is lost and nothing is
 * counted: a doorbell only says "look". Doorbell 0, the kernel's own
 * (requests between CPU drivers), and each core's first domain's (init)
 * interrupt whenever their bit was clear: init polls while it serves
 * console input and must still see another core's news.
 *
 * A ringer that interrupts marks the word of its bit first (words[B]),
 * and the interrupt takes the marks before the words, so the interrupt
 * that follows a ring finds its word marked; a left-over mark costs a look
 * at a zero word, and a bit set without an interrupt is the owner's own
 * SYS_WAIT's to take (doorbell_arm), or goes with its word when another
 * ring marks it. The handler used to exchange all 32 words: a sixth of a
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

static volatile uint32_t *armed_of(uint32_t core)
{
    return kernel_shared()->doorbells_armed[core];
}

static volatile uint32_t *marks_of(uint32_t core)
{
    return &kernel_shared()->doorbell_words[core];
}

/* Clear doorbell `id`'s bit in `words` and say whether it was set. */
static bool take_bit(volatile uint32_t *words, uint32_t id)
{
    uint32_t bit = 1u << (id % 32);

    return (__atomic_fetch_and(&words[id / 32], ~bit, __ATOMIC_SEQ_CST) & bit) != 0;
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
            take_bit(pending_of(core_id()), i);     /* rings of its last owner */
            take_bit(armed_of(core_id()), i);
            if (core_is_root(dcb)) {
                core_root_doorbell(i);
            }
            dcb->notified = 0;
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
}

/* Wake the owner of doorbell `id` of this core, if it has one. Doorbell
 * 0 is the kernel's own: another core asks something of this one. The
 * first domain learns which cores are down on every wake. */
static void doorbell_wake(uint32_t id)
{
    struct dcb *dcb = owner[id];

    if (id == 0) {
        core_take_kill_request();
        return;
    }
    if (dcb == NULL) {
        return;                         /* rung after its owner was destroyed */
    }
    if (core_is_root(dcb)) {
        dcb_shared(dcb)->cores_down = kernel_shared()->cores_down;
    }
    if (dcb->state == DCB_WAITING) {
        sched_wake(dcb);
    } else {
        dcb->notified = 1;
    }
}

/* Doorbell 0 (the kernel's own) and the first domain's (init, which also
 * polls and must learn of other cores' news while it runs) interrupt
 * whenever their bit was clear; only the inits ring them. */
static bool always_interrupts(uint32_t core, uint32_t id)
{
    return id == 0 || id == __atomic_load_n(&kernel_shared()->root_doorbell[core],
                                            __ATOMIC_RELAXED);
}

void doorbell_ring(uint32_t core, uint32_t id)
{
    uint32_t bit = 1u << (id % 32), old;

    if (core == core_id()) {
        doorbell_wake(id);
        return;
    }
    old = __atomic_fetch_or(&pending_of(core)[id / 32], bit, __ATOMIC_SEQ_CST);
    if (always_interrupts(core, id) ? !(old & bit) : take_bit(armed_of(core), id)) {
        __atomic_fetch_or(marks_of(core), 1u << (id / 32), __ATOMIC_SEQ_CST);
        arch_send_ipi(core);
    }
}

bool doorbell_arm(struct dcb *dcb)
{
    uint32_t id = dcb->doorbell, me = core_id();

    if (id == 0 || id >= DOORBELL_MAX) {
        return false;                   /* no doorbell: nothing can ring */
    }
    __atomic_fetch_or(&armed_of(me)[id / 32], 1u << (id % 32), __ATOMIC_SEQ_CST);
    if (!take_bit(pending_of(me), id)) {
        return false;
    }
    take_bit(armed_of(me), id);         /* rung first: we do not block */
    if (core_is_root(dcb)) {
        dcb_shared(dcb)->cores_down = kernel_shared()->cores_down;
    }
    return true;
}

void doorbell_handle_pending(void)
{
    volatile uint32_t *mine = pending_of(core_id());
    uint32_t marks = __atomic_exchange_n(marks_of(core_id()), 0, __ATOMIC_SEQ_CST);

    _Static_assert(DOORBELL_WORDS <= 32, "a mark per word");
    while (marks != 0) {
        uint32_t w = (uint32_t)__builtin_ctz(marks);
        marks &= marks - 1;
        uint32_t bits = __atomic_exchange_n(&mine[w], 0, __ATOMIC_SEQ_CST);
        while (bits != 0) {
            uint32_t b = (uint32_t)__builtin_ctz(bits);
            bits &= bits - 1;
            doorbell_wake(w * 32 + b);
        }
    }
}

bool doorbell_take_notified(struct dcb *dcb)
{
    bool was = dcb->notified != 0;

    dcb->notified = 0;
    return was;
}
