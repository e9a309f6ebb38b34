/*
 * The one large array of a bigimage variant (bigimage.c), assembled rather
 * than compiled: a 16 MiB C initializer takes the compiler a long time,
 * .incbin of the generated pattern (site_scons/test_pattern.py) none.
 *
 *   BIGIMAGE_KIND 0: .rodata, the pattern      (PATTERN_BIN: its file)
 *   BIGIMAGE_KIND 1: .data,   the pattern
 *   BIGIMAGE_KIND 2: .bss,    BIGIMAGE_BYTES of zeroes
 */
#if BIGIMAGE_KIND == 0
    .section .rodata.bigimage, "a"
#elif BIGIMAGE_KIND == 1
    .section .data.bigimage, "aw"
#else
    .section .bss.bigimage, "aw", %nobits
#endif
    .balign 4096
    .global big_array
    .global big_array_end
big_array:
#if BIGIMAGE_KIND == 2
    .space BIGIMAGE_BYTES
#else
    .incbin PATTERN_BIN
#endif
big_array_end:
