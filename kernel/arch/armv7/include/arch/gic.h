/*
 * Private interface of the interrupt controller and timer (gic.c, timer.c).
 */
#ifndef ARCH_ARMV7_GIC_H
#define ARCH_ARMV7_GIC_H

#define GIC_IRQ_VTIMER 27u   /* PPI 11: non-secure EL1 virtual timer */

void gic_init(void);           /* core 0: the distributor, then its own side */
void gic_cpu_init(void);       /* another core: its own side */
void timer_init(void);
void timer_disarm(void);

#endif
