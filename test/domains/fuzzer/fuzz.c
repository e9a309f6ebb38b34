/*
 * The fuzzer's shared machinery (fuzz.h): the random streams, the judge
 * of every answer, findings, and the one oracle several sequences use:
 * the root CNode holds nothing but L2 CNodes.
 */
#include "fuzz.h"
#include <aos/caps.h>
#include <aos/utest.h>
#include <autarky/bootinfo.h>
#include <stdarg.h>
#include <stdio.h>

uint32_t fz_seed = 1;
uint32_t fz_rounds = 1;
uint32_t fz_calls;
uint64_t fz_total_calls;
bool fz_failed;

static uint32_t state;

/* Each case's stream starts from the seed and the case's number (an odd
 * multiplier keeps distinct pairs distinct). */
void fz_reseed(uint32_t case_no)
{
    state = fz_seed * 2654435761u + case_no * 40503u + 1u;
    fz_total_calls += fz_calls;
    fz_calls = 0;
    fz_failed = false;
}

uint32_t rnd(void)
{
    state = state * 1103515245u + 12345u;
    return (state >> 8) ^ (state << 24);
}

void fz_fail(const char *fmt, ...)
{
    char why[200];
    va_list ap;

    if (fz_failed) {
        return;
    }
    fz_failed = true;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    utest_fail("%s [call %lu]", why, (unsigned long)fz_calls);
}

errval_t fz_call(errval_t err, const char *what)
{
    fz_calls++;
    if (err_no(err) >= ERRCODE_COUNT) {
        fz_fail("%s answered %lu, not an error code", what, (unsigned long)err_no(err));
    } else if (err_no(err) == SYS_ERR_RESTART) {
        fz_fail("%s answered SYS_ERR_RESTART, which never reaches a domain", what);
    }
    return err;
}

const char *fz_type_name(uint32_t type)
{
    static const char *const names[] = {
        "Null", "RAM", "Frame", "DevFrame", "L1CNode", "L2CNode", "VNode_L1",
        "VNode_L2", "Dispatcher", "Endpoint", "Kernel", "IRQ", "Zombie", "Retyping",
    };
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* Slots of our root CNode (its size from identify; 0 if that fails). */
static uint32_t root_slots(void)
{
    struct capability_info ci;

    if (err_is_fail(fz_call(cap_identify(CAP_ROOTCN, &ci), "identify root CNode"))) {
        return 0;
    }
    return (uint32_t)(ci.size / CTE_SIZE);
}

/*
 * The root CNode's rule (docs/safety.md, rule 3): cptr resolution walks a
 * root slot as an L2 CNode, so each one holds an L2 CNode or nothing.
 * Identifies every slot; the first one holding anything else is a
 * finding, `when` says after what.
 */
bool fz_root_scan(const char *when)
{
    uint32_t n = root_slots();
    struct capability_info ci;

    if (n == 0) {
        fz_fail("our root CNode has no slots, %s", when);
        return false;
    }
    for (uint32_t i = 0; i < n && !fz_failed; i++) {
        errval_t err = fz_call(cap_identify(CPTR_L1_SLOT | i, &ci), "identify root slot");
        if (err_is_ok(err) && ci.type != ObjType_L2CNode) {
            fz_fail("root slot %lu holds a %s (base 0x%llx), %s", (unsigned long)i,
                    fz_type_name(ci.type), (unsigned long long)ci.base, when);
        } else if (err_is_fail(err) && err_no(err) != SYS_ERR_SLOT_EMPTY) {
            fz_fail("identify of root slot %lu answered %s, %s", (unsigned long)i,
                    err_getcode(err_no(err)), when);
        }
    }
    return !fz_failed;
}
