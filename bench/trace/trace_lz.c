/*
 * LZ77 packing of a trace's op stream (format in trace_format.h). Traces
 * repeat themselves a lot (a program allocates in the same patterns over
 * and over): sqlite's 892 KB op stream packs into well under 100 KB, so a
 * trace module stays small enough to be a boot module of its own.
 *
 * The packer is greedy: at each position it looks up the last position
 * whose next four bytes hash alike, takes the match if it is one, else
 * emits a literal. The unpacker checks every length and offset against
 * both buffers, so a corrupt module is refused, never followed.
 */
#include "trace_format.h"
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 16

size_t trace_lz_bound(size_t n)
{
    return n + n / 255 + 16;
}

static uint32_t hash4(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
                 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* A nibble's overflow: 255s, then the rest. */
static uint8_t *put_length(uint8_t *o, size_t extra)
{
    while (extra >= 255) {
        *o++ = 255;
        extra -= 255;
    }
    *o++ = (uint8_t)extra;
    return o;
}

/* One sequence: `lit` literals from `src`, then (if mlen) a match. */
static uint8_t *put_sequence(uint8_t *o, const uint8_t *src, size_t lit, size_t offset,
                             size_t mlen)
{
    uint8_t *token = o++;
    size_t m = mlen != 0 ? mlen - TRACE_LZ_MIN_MATCH : 0;

    *token = (uint8_t)((lit < 15 ? lit : 15) << 4 | (m < 15 ? m : 15));
    if (lit >= 15) {
        o = put_length(o, lit - 15);
    }
    memcpy(o, src, lit);
    o += lit;
    if (mlen != 0) {
        *o++ = (uint8_t)(offset & 0xff);
        *o++ = (uint8_t)(offset >> 8);
        if (m >= 15) {
            o = put_length(o, m - 15);
        }
    }
    return o;
}

size_t trace_lz_pack(const uint8_t *in, size_t n, uint8_t *out)
{
    uint32_t *last = malloc(sizeof(uint32_t) << HASH_BITS);  /* position + 1, 0: none */
    size_t i = 0, anchor = 0;
    uint8_t *o = out;

    if (last == NULL) {
        return 0;
    }
    memset(last, 0, sizeof(uint32_t) << HASH_BITS);
    while (i + TRACE_LZ_MIN_MATCH <= n) {
        uint32_t h = hash4(in + i);
        size_t cand = last[h], len = 0;
        last[h] = (uint32_t)i + 1;
        if (cand != 0 && i - (cand - 1) <= TRACE_LZ_MAX_OFFSET) {
            cand--;
            while (i + len < n && in[cand + len] == in[i + len]) {
                len++;
            }
        }
        if (len < TRACE_LZ_MIN_MATCH) {
            i++;
            continue;
        }
        o = put_sequence(o, in + anchor, i - anchor, i - cand, len);
        for (size_t k = i + 1; k < i + len && k + TRACE_LZ_MIN_MATCH <= n; k++) {
            last[hash4(in + k)] = (uint32_t)k + 1;
        }
        i += len;
        anchor = i;
    }
    o = put_sequence(o, in + anchor, n - anchor, 0, 0);
    free(last);
    return (size_t)(o - out);
}

/* A nibble of 15 continues in bytes; NULL if the input ends first. */
static const uint8_t *get_length(const uint8_t *p, const uint8_t *end, size_t *len)
{
    uint8_t b;

    do {
        if (p == end) {
            return NULL;
        }
        b = *p++;
        *len += b;
    } while (b == 255 && *len < ((size_t)1 << 30));
    return p;
}

const char *trace_lz_unpack(const uint8_t *in, size_t in_bytes, uint8_t *out,
                            size_t out_bytes)
{
    const uint8_t *p = in, *end = in + in_bytes;
    size_t done = 0;

    while (p < end) {
        uint8_t token = *p++;
        size_t lit = token >> 4, mlen = token & 15, offset;
        if (lit == 15 && (p = get_length(p, end, &lit)) == NULL) {
            return "packed stream cut short in a literal length";
        }
        if (lit > (size_t)(end - p) || lit > out_bytes - done) {
            return "packed stream: literals run past the end";
        }
        memcpy(out + done, p, lit);
        p += lit;
        done += lit;
        if (p == end) {
            break;                      /* the last sequence: literals only */
        }
        if (end - p < 2) {
            return "packed stream cut short in an offset";
        }
        offset = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        if (mlen == 15 && (p = get_length(p, end, &mlen)) == NULL) {
            return "packed stream cut short in a match length";
        }
        mlen += TRACE_LZ_MIN_MATCH;
        if (offset == 0 || offset > done) {
            return "packed stream: a match reaches before the start";
        }
        if (mlen > out_bytes - done) {
            return "packed stream: a match runs past the end";
        }
        for (size_t k = 0; k < mlen; k++, done++) {     /* may overlap itself */
            out[done] = out[done - offset];
        }
    }
    return done == out_bytes ? NULL : "packed stream: shorter than the header says";
}
