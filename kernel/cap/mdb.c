/*
 * The mapping database: a doubly-linked list of every non-empty slot,
 * threaded through struct cte by physical address (cte_ref_t). See
 * kernel/include/kernel/mdb.h for the ordering invariant and
 * docs/capabilities.md for why it is enough for copy, delete and revoke.
 */
/* cte_clear's loop must stay a loop, not become a memset call */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include <kernel/mdb.h>
#include <kernel/string.h>

static cte_ref_t mdb_head;
static uint32_t mdb_live;

/* Every field zero but `owner`. Word stores, not memset: a slot is cleared
 * on every capability created (each page mapped by a fault, say), and
 * memset's generic path costs three times as much for 64 bytes. */
typedef uint32_t __attribute__((may_alias)) cte_word_t;

void cte_clear(struct cte *cte)
{
    uint8_t owner = cte->owner;
    cte_word_t *w = (cte_word_t *)cte;

    _Static_assert(sizeof(*cte) % sizeof(uint32_t) == 0, "cte: whole words");
#pragma GCC unroll 16
    for (size_t i = 0; i < sizeof(*cte) / sizeof(uint32_t); i++) {
        w[i] = 0;
    }
    cte->owner = owner;
}

/* Same object: type, base and size; for IPI caps, which name a doorbell
 * rather than memory, also the identity ipi_create gave it (its badge). */
bool cap_is_copy(const struct capability *a, const struct capability *b)
{
    return a->type == b->type && a->base == b->base && a->size == b->size
           && (a->type != ObjType_IPI || a->badge == b->badge);
}

/*
 * Range containment with 64-bit ends (a RAM cap may end at 4 GiB).
 * Zero-sized caps (Kernel, IRQ) are never anybody's descendants.
 */
bool cap_is_descendant(const struct capability *ancestor,
                       const struct capability *c)
{
    uint64_t a_end = (uint64_t)ancestor->base + ancestor->size;
    uint64_t c_end = (uint64_t)c->base + c->size;

    if (ancestor->type != ObjType_RAM || c->size == 0 || c->type == ObjType_Null) {
        return false;
    }
    if (c->base < ancestor->base || c_end > a_end) {
        return false;
    }
    return !(c->type == ObjType_RAM && c->size == ancestor->size);
}

struct cte *mdb_next(const struct cte *cte)
{
    return cte_from_ref(cte->mdb_next);
}

struct cte *mdb_prev(const struct cte *cte)
{
    return cte_from_ref(cte->mdb_prev);
}

void mdb_insert_after(struct cte *pos, struct cte *cte)
{
    cte_ref_t self = cte_to_ref(cte);
    cte_ref_t next_ref = pos ? pos->mdb_next : mdb_head;
    struct cte *next = cte_from_ref(next_ref);

    cte->mdb_prev = pos ? cte_to_ref(pos) : 0;
    cte->mdb_next = next_ref;
    if (next != NULL) {
        next->mdb_prev = self;
    }
    if (pos != NULL) {
        pos->mdb_next = self;
    } else {
        mdb_head = self;
    }
    mdb_live++;
}

void mdb_remove(struct cte *cte)
{
    struct cte *prev = mdb_prev(cte);
    struct cte *next = mdb_next(cte);

    if (prev != NULL) {
        prev->mdb_next = cte->mdb_next;
    } else {
        mdb_head = cte->mdb_next;
    }
    if (next != NULL) {
        next->mdb_prev = cte->mdb_prev;
    }
    cte->mdb_prev = cte->mdb_next = 0;
    mdb_live--;
}

struct cte *mdb_first_copy(struct cte *cte)
{
    struct cte *prev;

    while ((prev = mdb_prev(cte)) != NULL && cap_is_copy(&prev->cap, &cte->cap)) {
        cte = prev;
    }
    return cte;
}

struct cte *mdb_last_copy(struct cte *cte)
{
    struct cte *next;

    while ((next = mdb_next(cte)) != NULL && cap_is_copy(&next->cap, &cte->cap)) {
        cte = next;
    }
    return cte;
}

struct cte *mdb_any_other_copy(const struct cte *cte)
{
    struct cte *prev = mdb_prev(cte), *next = mdb_next(cte);

    if (prev != NULL && cap_is_copy(&prev->cap, &cte->cap)) {
        return prev;
    }
    if (next != NULL && cap_is_copy(&next->cap, &cte->cap)) {
        return next;
    }
    return NULL;
}

struct cte *mdb_first_descendant(struct cte *cte)
{
    struct cte *next = mdb_next(mdb_last_copy(cte));

    if (next != NULL && cap_is_descendant(&cte->cap, &next->cap)) {
        return next;
    }
    return NULL;
}

uint32_t mdb_count(void)
{
    return mdb_live;
}

uint32_t caps_count_live(void)
{
    return mdb_live;
}

void mdb_reset(void)
{
    mdb_head = 0;
    mdb_live = 0;
}

/* Links agree in both directions and the live count matches. */
static const char *mdb_check_links(void)
{
    uint32_t n = 0;
    cte_ref_t prev = 0;

    for (struct cte *c = cte_from_ref(mdb_head); c != NULL; c = mdb_next(c)) {
        if (c->mdb_prev != prev) {
            return "mdb_prev does not match the previous entry";
        }
        if (cte_is_empty(c)) {
            return "empty slot linked into the MDB";
        }
        if (++n > mdb_live) {
            return "MDB longer than the live count (cycle?)";
        }
        prev = cte_to_ref(c);
    }
    return n == mdb_live ? NULL : "MDB shorter than the live count";
}

/*
 * Every descendant Y of a RAM entry X comes after X, and everything between
 * them is a copy or descendant of X; copies are adjacent. Quadratic: tests only.
 */
const char *mdb_check_invariants(void)
{
    const char *fault = mdb_check_links();

    if (fault != NULL) {
        return fault;
    }
    for (struct cte *x = cte_from_ref(mdb_head); x != NULL; x = mdb_next(x)) {
        bool left_group = false, seen_descendant = false;
        for (struct cte *y = mdb_next(x); y != NULL; y = mdb_next(y)) {
            bool copy = cap_is_copy(&x->cap, &y->cap);
            bool descendant = cap_is_descendant(&x->cap, &y->cap);
            if (!copy && !descendant) {
                left_group = true;
            } else if (left_group) {
                return "a copy or descendant is separated from its capability";
            } else if (copy && seen_descendant) {
                return "a copy follows a descendant (copies not adjacent)";
            }
            seen_descendant |= descendant;
        }
        for (struct cte *y = mdb_prev(x); y != NULL; y = mdb_prev(y)) {
            if (cap_is_descendant(&x->cap, &y->cap)) {
                return "a descendant precedes its ancestor";
            }
        }
    }
    return NULL;
}
