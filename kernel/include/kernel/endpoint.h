/*
 * Endpoint objects (kernel/object/endpoint.c): where a message goes.
 *
 * An Endpoint is OBJSIZE_ENDPOINT bytes retyped from RAM. EPCMD_BIND ties
 * it, once, to the dispatcher that receives through it; the DCB keeps a
 * list of its bound endpoints so that the two can never point at a dead
 * object: destroying the DCB unbinds them all, destroying an endpoint
 * unlinks it from its DCB.
 *
 *   DCB ──ep_list──> endpoint ──next──> endpoint ──next──> NULL
 *    ^                   │                  │
 *    └──────── dcb ──────┴──────────────────┘
 */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <kernel/cap.h>

struct dcb;

struct endpoint {
    struct dcb *dcb;                /* receiver, NULL while unbound */
    struct endpoint *next, *prev;   /* the receiver's ep_list */
};

/* The endpoint object a cap names. */
struct endpoint *endpoint_of_cap(const struct capability *cap);

errval_t endpoint_invoke(struct cte *root, struct cte *ep, uint32_t cmd,
                         const uint32_t args[5]);

/* Object destruction hooks (kernel/cap/delete.c, last copy deleted). */
void endpoint_destroyed(lpaddr_t base);
/* A dying DCB's endpoints are unbound one per call (a domain may have
 * bound any number): false once none is left. */
bool dispatcher_unbind_one_endpoint(struct dcb *dcb);

#endif
