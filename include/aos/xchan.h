/*
 * Channels between domains on different cores (rpc/rpc_xchan.c,
 * domains/monitor/channels.c, docs/multikernel.md "Channels between
 * domains").
 *
 * A channel is one frame of the connecting domain's core's RAM, lent to
 * the accepting domain's core (kernel/include/kernel/loan.h), mapped by
 * both domains and by both cores' monitors:
 *
 *   0    line 0: closed flag, written only by the lender's monitor
 *   64   line 1: closed flag, written only by the borrower's monitor
 *   128  UMP rings (include/aos/ump.h): the connector sends on side A,
 *        the acceptor on side B
 *
 * A monitor sets its line's flag when its domain's end of the channel is
 * gone (it closed it or ended) or the other core died, and rings the
 * doorbell of the domain on its side (and of the peer, if it can); a
 * domain that finds either flag set fails every call on the channel with
 * LIB_ERR_XCHAN_CLOSED instead of waiting.
 */
#ifndef AOS_XCHAN_H
#define AOS_XCHAN_H

#include <autarky/types.h>
#include <aos/ump.h>
#include <aos/aos_rpc_wire.h>

#define XCHAN_FRAME_BYTES  (16u * 1024)
#define XCHAN_UMP_OFFSET   (2 * UMP_LINE_BYTES)
#define XCHAN_UMP_BYTES    (XCHAN_FRAME_BYTES - XCHAN_UMP_OFFSET)

struct xchan_line {
    volatile uint32_t closed;
    uint32_t reserved[UMP_LINE_BYTES / 4 - 1];
} __attribute__((aligned(UMP_LINE_BYTES)));

struct xchan_header {
    struct xchan_line line[2];      /* [0]: the lender's monitor, [1]: the borrower's */
};
_Static_assert(sizeof(struct xchan_header) == XCHAN_UMP_OFFSET, "two lines");

/* A domain's end of a channel (rpc/rpc_xchan.c; struct aos_rpc.x). */
struct aos_xchan {
    struct ump_chan ump;
    void *frame;                /* our mapping of the frame */
    capaddr_t frame_cap;        /* our copy (no REVOKE right) */
    capaddr_t ring;             /* IPI cap: rings the peer's doorbell */
    uint32_t id;                /* our monitor's number for the channel */
    domainid_t peer;
    struct rpc_string_rx rx;    /* serving: a string being received */
};

/* How long a sender waits for room in a full ring, yielding: half a second
 * of the counter (62.5 MHz). A bound in time, not in tries: the receiver's
 * core may not run for a while (a busy host runs QEMU's vCPUs when it can;
 * 20,000 yields, the first bound, passed in a few milliseconds and failed a
 * 12,000-byte string while the suite ran beside others). A receiver does
 * not poll: it looks once and blocks in SYS_WAIT. A waiting core that
 * polls burns what its peer needs under -icount (the vCPUs run in turn: 64
 * looks made a round trip 13,575 instructions instead of 3,248), and on
 * hardware a blocked core costs nothing but the wake. */
#define XCHAN_SEND_WAIT_TICKS  (62500000ull / 2)

/* The flag of one side's monitor (0 lender, 1 borrower): a release store,
 * so what that monitor wrote before is seen first. */
static inline void xchan_set_closed(void *frame, uint32_t line)
{
    __atomic_store_n(&((struct xchan_header *)frame)->line[line].closed, 1, __ATOMIC_RELEASE);
}
static inline bool xchan_is_closed(const void *frame)
{
    const struct xchan_header *h = frame;
    return __atomic_load_n(&h->line[0].closed, __ATOMIC_ACQUIRE) != 0
           || __atomic_load_n(&h->line[1].closed, __ATOMIC_ACQUIRE) != 0;
}

#endif
