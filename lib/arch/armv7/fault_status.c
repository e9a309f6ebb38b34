/*
 * What an ARMv7 abort's fault status register says (include/aos/dispatch.h,
 * fault_cause): the kernel passes the raw DFSR (data abort) or IFSR
 * (prefetch abort) in fault_info.fsr, and a pager must know whether the
 * address was unmapped (a translation fault: mapping a page may resolve
 * it) or mapped but not for this access (a permission fault: mapping can
 * never resolve it, the access itself is wrong).
 *
 * Both formats of the ARMv7-A architecture manual (B4.1.52, B4.1.96):
 *   short descriptors (bit 9 clear): FS = bit 10 : bits 3..0
 *     0x05 / 0x07  translation fault, section / page
 *     0x0d / 0x0f  permission fault, section / page
 *     0x03 / 0x06  access flag fault, section / page
 *     0x09 / 0x0b  domain fault, section / page
 *     0x08, 0x16, 0x0c, 0x0e, 0x19, 0x18, 0x1c, 0x1e  external aborts, parity
 *   long descriptors (LPAE, bit 9 set): STATUS = bits 5..0
 *     0b0001LL translation, 0b0010LL access flag, 0b0011LL permission (LL:
 *     the level), 0b01xxxx external aborts and parity errors
 * Anything else (debug events, TLB conflicts, lockdown, ...) is OTHER.
 */
#include <aos/dispatch.h>

#define FSR_LPAE          (1u << 9)
#define FSR_SHORT_FS(fsr) ((((fsr) >> 6) & 0x10u) | ((fsr) & 0xfu))
#define FSR_LONG_STATUS(fsr) ((fsr) & 0x3fu)

/* The short-descriptor format (the one the kernel uses today). */
static enum fault_cause short_cause(uint32_t fs)
{
    switch (fs) {
    case 0x05: case 0x07: return FAULT_CAUSE_TRANSLATION;
    case 0x0d: case 0x0f: return FAULT_CAUSE_PERMISSION;
    case 0x03: case 0x06: return FAULT_CAUSE_ACCESS_FLAG;
    case 0x09: case 0x0b: return FAULT_CAUSE_DOMAIN;
    case 0x08: case 0x0c: case 0x0e: case 0x16:
    case 0x18: case 0x19: case 0x1c: case 0x1e: return FAULT_CAUSE_EXTERNAL;
    default: return FAULT_CAUSE_OTHER;
    }
}

/* The long-descriptor (LPAE) format. */
static enum fault_cause long_cause(uint32_t status)
{
    switch (status >> 2) {
    case 0x1: return FAULT_CAUSE_TRANSLATION;
    case 0x2: return FAULT_CAUSE_ACCESS_FLAG;
    case 0x3: return FAULT_CAUSE_PERMISSION;
    default:
        return (status & 0x30u) == 0x10u ? FAULT_CAUSE_EXTERNAL : FAULT_CAUSE_OTHER;
    }
}

enum fault_cause fault_cause(const struct fault_info *f)
{
    if (f->type != FAULT_DATA_ABORT && f->type != FAULT_PREFETCH_ABORT) {
        return FAULT_CAUSE_OTHER;           /* undefined, alignment: no FSR to read */
    }
    return (f->fsr & FSR_LPAE) ? long_cause(FSR_LONG_STATUS(f->fsr))
                               : short_cause(FSR_SHORT_FS(f->fsr));
}

const char *fault_cause_name(enum fault_cause cause)
{
    switch (cause) {
    case FAULT_CAUSE_TRANSLATION: return "translation fault";
    case FAULT_CAUSE_PERMISSION: return "permission fault";
    case FAULT_CAUSE_ACCESS_FLAG: return "access flag fault";
    case FAULT_CAUSE_DOMAIN: return "domain fault";
    case FAULT_CAUSE_EXTERNAL: return "external abort";
    default: return "fault status the runtime does not know";
    }
}
