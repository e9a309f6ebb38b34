/*
 * Basic types shared by the kernel (CPU driver) and user domains.
 * Physical addresses are 32 bits on ARMv7 without LPAE.
 */
#ifndef AUTARKY_TYPES_H
#define AUTARKY_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint32_t lpaddr_t;    /* physical address */
typedef uint32_t lvaddr_t;    /* virtual address (user or kernel) */
typedef uint32_t gensize_t;   /* size of a physical object */
typedef uint32_t capaddr_t;   /* capability address in a domain's cspace */
typedef uint32_t cslot_t;     /* slot index inside one CNode */
typedef uint32_t domainid_t;  /* process identifier (spawn service) */
typedef uint8_t  coreid_t;    /* CPU core number */

#define BASE_PAGE_BITS   12
#define BASE_PAGE_SIZE   (1u << BASE_PAGE_BITS)
#define SECTION_BITS     20
#define SECTION_SIZE     (1u << SECTION_BITS)

#define ROUND_UP(x, a)   ((((x) + (a) - 1) / (a)) * (a))
#define ROUND_DOWN(x, a) (((x) / (a)) * (a))
#define IS_POW2(x)       ((x) != 0 && (((x) & ((x) - 1)) == 0))
#define ARRAY_LENGTH(a)  (sizeof(a) / sizeof((a)[0]))

#endif
