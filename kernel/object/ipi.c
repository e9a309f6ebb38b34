/*
 * IPI capabilities: the right to ring one doorbell of one core
 * (kernel/include/kernel/doorbell.h). Only the Kernel capability makes
 * them (KERNELCMD_CREATE_IPI): init hands them to the two ends of a
 * channel between cores. A ring only wakes its target's owner; it carries
 * no data and costs the target one pass over its pending bits.
 */
#include <kernel/cap.h>
#include <kernel/core.h>
#include <kernel/doorbell.h>
#include <kernel/ipi.h>
#include <autarky/invocations.h>

/*
 * KERNELCMD_CREATE_IPI: a new IPI cap in the empty slot `dest_cptr`. Each
 * is an object of its own, though it rings the same doorbell as others:
 * its badge (which no mint changes on an IPI cap) is a number this core
 * never gave before, and cap_is_copy compares it, so a revoke takes the
 * copies made of this one and never another IPI cap of the doorbell (two
 * channels to one domain each keep their own ring; docs/capabilities.md).
 */
errval_t ipi_create(struct cte *root, capaddr_t dest_cptr, uint32_t core, uint32_t doorbell)
{
    static uint32_t last_identity;      /* this core's: one CPU driver each */
    struct cte *dest;
    errval_t err;

    if (core >= core_count() || doorbell == 0 || doorbell >= DOORBELL_MAX) {
        return SYS_ERR_IPI_INVALID;
    }
    err = caps_lookup_dest(root, dest_cptr, ObjType_IPI, &dest);
    if (err_is_fail(err)) {
        return err;
    }
    err = caps_create_boot(dest, ObjType_IPI, IPI_BASE(core, doorbell), 0, CAP_RIGHTS_ALL);
    if (err_is_ok(err)) {
        dest->cap.badge = ++last_identity;  /* 2^32 creations before it repeats */
    }
    return err;
}

errval_t ipi_invoke(struct cte *ipi, uint32_t cmd)
{
    if (cmd != IPICMD_NOTIFY) {
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
    if (!(ipi->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    doorbell_ring(IPI_CORE(ipi->cap.base), IPI_DOORBELL(ipi->cap.base));
    return SYS_ERR_OK;
}
