/*
 * IPI capabilities (kernel/object/ipi.c): ring a doorbell of a core.
 */
#ifndef KERNEL_IPI_H
#define KERNEL_IPI_H

#include <autarky/types.h>
#include <autarky/errors.h>

struct cte;

errval_t ipi_create(struct cte *root, capaddr_t dest_cptr, uint32_t core, uint32_t doorbell);
errval_t ipi_invoke(struct cte *ipi, uint32_t cmd);

#endif
