/*
 * bigimage: a domain whose ELF carries one large array, for the SPAWN_ cases
 * of large images (test/domains/bigspawn). Built only into the test image
 * (SConstruct), in variants that differ in where the array lives
 * (array.S):
 *
 *   bigconst  16 MiB of .rodata: mapped from the boot module's frame,
 *             shared by every run
 *   bigdata   16 MiB of .data: copied into frames of the child's own
 *   bigbss    64 MiB of .bss: zeroed frames of the child's own
 *   maxbss    507 MiB of .bss: about the largest image that fits below
 *             SPAWN_IMAGE_LIMIT (docs/spawn.md)
 *   toobig    508 MiB of .bss: does not fit, must never start
 *
 * Every run reads the whole array back and checks each word and the
 * checksum over it: the pattern (word i = PATTERN(i), the file
 * site_scons/test_pattern.py generates) or zero. A writable array is then
 * overwritten and read back, so a run that found another run's writes
 * (frames shared or not cleared) fails. maxbss checks one word per page
 * and writes every page. Exit status 0 if all is right, 1 otherwise; with
 * the argument "hold" it then yields until it is killed (it keeps its RAM).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <aos/syscalls.h>

#define PATTERN(i) ((uint32_t)(i) * 0x9e3779b1u ^ 0x5a5ac3c3u)

extern uint32_t big_array[];
extern char big_array_end[];

#if BIGIMAGE_KIND == 0
#define BIG_WORDS ((size_t)(big_array_end - (const char *)big_array) / 4)
#else
#define BIG_WORDS ((size_t)(big_array_end - (char *)big_array) / 4)
#endif

#define PAGE_WORDS 1024u

/* Read every `step`-th word: how many differ from what should be there
 * (the pattern, or zero); *sum = a checksum over what was read. */
static size_t read_back(volatile const uint32_t *a, size_t n, size_t step, bool pattern,
                        uint32_t *sum)
{
    size_t bad = 0;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i += step) {
        uint32_t w = a[i];
        bad += w != (pattern ? PATTERN(i) : 0);
        h = (h ^ w) * 16777619u;
    }
    *sum = h;
    return bad;
}

/* The checksum read_back must find. */
static uint32_t expected_sum(size_t n, size_t step, bool pattern)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i += step) {
        h = (h ^ (pattern ? PATTERN(i) : 0)) * 16777619u;
    }
    return h;
}

/* Write the inverted pattern (or the pattern over zeroes) and read it back. */
static size_t overwrite(volatile uint32_t *a, size_t n, size_t step, bool was_pattern)
{
    size_t bad = 0;

    for (size_t i = 0; i < n; i += step) {
        a[i] = was_pattern ? ~PATTERN(i) : PATTERN(i);
    }
    for (size_t i = 0; i < n; i += step) {
        bad += a[i] != (was_pattern ? ~PATTERN(i) : PATTERN(i));
    }
    return bad;
}

int main(int argc, char **argv)
{
    bool pattern = BIGIMAGE_KIND != 2;
    size_t n = BIG_WORDS, step = n > (256u << 20) / 4 ? PAGE_WORDS : 1;
    uint32_t sum, want = expected_sum(n, step, pattern);
    size_t bad = read_back(big_array, n, step, pattern, &sum);

    if (BIGIMAGE_KIND != 0) {
        bad += overwrite(big_array, n, step, pattern);
    }
    printf("%s: %zu KiB, checksum 0x%08lx (expected 0x%08lx), %zu bad words\n", argv[0],
           n / 256, (unsigned long)sum, (unsigned long)want, bad);
    fflush(stdout);
    while (argc > 1 && strcmp(argv[1], "hold") == 0) {
        sys_yield();
    }
    return bad == 0 && sum == want ? 0 : 1;
}
