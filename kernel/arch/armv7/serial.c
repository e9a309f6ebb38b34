/*
 * PL011 UART console (QEMU virt: 0x09000000, mapped at PL011_VBASE).
 * QEMU's PL011 needs no setup (baud rate and enable bits are ignored), so
 * the driver only polls the flag register: TXFF before writing a byte,
 * RXFE before reading one.
 */
#include <kernel/arch.h>
#include <arch/memory.h>

#define UART_DR   0x00u    /* data */
#define UART_FR   0x18u    /* flags */
#define FR_RXFE   (1u << 4)
#define FR_TXFF   (1u << 5)

static inline volatile uint32_t *uart_reg(uint32_t offset)
{
    return (volatile uint32_t *)(uintptr_t)(PL011_VBASE + offset);
}

void serial_putchar(char c)
{
    while (*uart_reg(UART_FR) & FR_TXFF) {
        /* transmit FIFO full: wait */
    }
    *uart_reg(UART_DR) = (uint32_t)(unsigned char)c;
}

int serial_getchar_nonblock(void)
{
    if (*uart_reg(UART_FR) & FR_RXFE) {
        return -1;
    }
    return (int)(*uart_reg(UART_DR) & 0xffu);
}
