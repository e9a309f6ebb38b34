/*
 * Memory and string functions for the freestanding kernel.
 *
 * Simple byte loops, with a word-at-a-time fast path for memset/memcpy when
 * both pointers are word aligned (the common case: page zeroing, structure
 * copies). GCC would recognise these loops as memset/memcpy and turn them
 * into calls to themselves; the pragma below forbids that.
 */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include <kernel/string.h>
#include <stdint.h>
#include <arch/memops.h>

#define WORD_ALIGNED(p) ((((uintptr_t)(p)) & (sizeof(uint32_t) - 1)) == 0)

void *memset(void *dst, int c, size_t n)
{
    return arch_memset(dst, c, n);      /* shared with domains: arch/memops.h */
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    return arch_memcpy(dst, src, n);
}

/* Like memcpy, but the areas may overlap: copies backwards when dst is above src. */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0) {
        return dst;
    }
    if (d < s || d >= s + n) {
        while (n-- > 0) {
            *d++ = *s++;
        }
    } else {
        d += n;
        s += n;
        while (n-- > 0) {
            *--d = *--s;
        }
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
        if (ca == '\0') {
            return 0;
        }
    }
    return 0;
}

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t copy = len < size - 1 ? len : size - 1;
        memcpy(dst, src, copy);
        dst[copy] = '\0';
    }
    return len;
}
