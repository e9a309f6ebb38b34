/*
 * Slot references: slots link to each other by physical address so that
 * struct cte has the same 64-byte layout on the 32-bit target and on the
 * 64-bit host (where <arch/memory.h> maps a fake physical arena).
 */
#include <kernel/cap.h>
#include <arch/memory.h>

_Static_assert(sizeof(struct cte) == CTE_SIZE, "struct cte must be 64 bytes");
_Static_assert(sizeof(struct capability) == 16, "struct capability must be 16 bytes");

struct cte *cte_from_ref(cte_ref_t ref)
{
    return ref == 0 ? NULL : (struct cte *)pa_to_kva(ref);
}

cte_ref_t cte_to_ref(const struct cte *cte)
{
    return cte == NULL ? 0 : kva_to_pa(cte);
}
