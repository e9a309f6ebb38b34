/*
 * The kernel's own string and memory functions (kernel/lib/string.c).
 * The kernel is freestanding: no C library. The compiler may also emit
 * calls to memset/memcpy/memmove for structure copies and zeroing.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include <stddef.h>

void  *memset(void *dst, int c, size_t n);
void  *memcpy(void *restrict dst, const void *restrict src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
/* Copy at most size-1 bytes and NUL-terminate (if size > 0);
 * returns strlen(src), so truncation happened if the result >= size. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
