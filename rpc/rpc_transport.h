/*
 * How a struct aos_rpc moves its messages (include/aos/aos_rpc.h): the
 * RPC layer (rpc/aos_rpc.c) builds requests and matches replies, the
 * transport only sends one message and takes the next one.
 *
 *   LMP (rpc/aos_rpc.c):  the kernel's rings, to init on this core
 *   UMP (rpc/rpc_xchan.c): a frame shared with a domain on another core,
 *                          woken by its doorbell
 */
#ifndef RPC_TRANSPORT_H
#define RPC_TRANSPORT_H

#include <aos/aos_rpc.h>

struct rpc_transport {
    /* Send `n` words (and `cap`, LMP only). `flags`: LMP_FLAG_* ; with
     * LMP_FLAG_YIELD it is a call's request (LMP: waits in line for
     * room), else a fragment before it (LMP: retries while full). */
    errval_t (*send)(struct aos_rpc *rpc, const uint32_t *words, uint32_t n,
                     capaddr_t cap, uint32_t flags);
    /* Wait for the next message (a UMP channel that closes: an error). */
    errval_t (*recv)(struct aos_rpc *rpc, struct lmp_msg *m);
};

extern const struct rpc_transport rpc_transport_lmp;
/* The channel a call naming core `core` goes on: our monitor binding for
 * another core, when `rpc` is the init channel (rpc/aos_rpc.c). */
struct aos_rpc *rpc_route(struct aos_rpc *rpc, coreid_t core);
/* The channel a call for the other cores goes on: our monitor binding
 * when `rpc` is the init channel and we have (or get) one, else `rpc`. */
struct aos_rpc *rpc_to_monitor(struct aos_rpc *rpc);
extern const struct rpc_transport rpc_transport_ump;

#endif
