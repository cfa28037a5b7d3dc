/* git_delta.c: applies git deltas; the ops are adversarial input, so every copy and insert is bounded before it runs. */
#include <string.h>

#include "git_delta.h"

/* A little-endian base-128 size; returns the bytes used, or 0 when cut short or too large. */
static size_t size_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        uint64_t bits = p[i] & 0x7fu;
        unsigned shift = 7u * (unsigned)i;
        if (shift == 63 && bits > 1)
            return 0;
        x |= bits << shift;
        if (!(p[i] & 0x80u)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

static size_t read_sizes(const uint8_t *d, size_t len, uint64_t *base, uint64_t *result)
{
    size_t a = size_varint(d, len, base);
    if (!a)
        return 0;
    size_t b = size_varint(d + a, len - a, result);
    return b ? a + b : 0;
}

int ks__git_delta_sizes(const uint8_t *delta, size_t len, uint64_t *base_size, uint64_t *result_size)
{
    return read_sizes(delta, len, base_size, result_size) ? 0 : -1;
}

/* An insert is at most 127 bytes, and most deltas are many of them: a memcpy of a length the compiler only knows to
 * be small became `rep movsq`, whose start-up was 70% of applying the generated bench repository's deltas. With
 * 128 bytes to spare on both sides, whole 16-byte words are copied instead; the bytes past the insert's end are
 * written again by the ops after it (the result is filled in order, and its last op ends it exactly). */
#define INSERT_SLACK 128u

static inline void copy_short(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t k = 0; k < n; k += 16)
        memcpy(dst + k, src + k, 16);
}

static int fail(const char **why, const char *what)
{
    *why = what;
    return -1;
}

int ks__git_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta, size_t len, uint8_t *out,
                        size_t out_len, const char **why)
{
    uint64_t want_base, want_out;
    size_t i = read_sizes(delta, len, &want_base, &want_out);
    if (!i)
        return fail(why, "delta sizes cut short or too large");
    if (want_base != base_len)
        return fail(why, "delta base size does not match its base");
    if (want_out != out_len)
        return fail(why, "delta result size does not match the object's");
    size_t o = 0;
    while (i < len) {
        uint8_t op = delta[i++];
        if (op & 0x80u) {
            /* copy: bits 0-3 say which offset bytes follow, bits 4-6 which size bytes */
            uint64_t off = 0, n = 0;
            for (unsigned b = 0; b < 7; b++) {
                if (!(op & (1u << b)))
                    continue;
                if (i >= len)
                    return fail(why, "delta copy op cut short");
                if (b < 4)
                    off |= (uint64_t)delta[i++] << (8 * b);
                else
                    n |= (uint64_t)delta[i++] << (8 * (b - 4));
            }
            if (n == 0)
                n = 0x10000;
            if (off > base_len || n > base_len - off)
                return fail(why, "delta copies from outside its base");
            if (n > out_len - o)
                return fail(why, "delta writes past its result size");
            memcpy(out + o, base + off, (size_t)n);
            o += (size_t)n;
        } else if (op) {
            if (op > len - i)
                return fail(why, "delta insert op cut short");
            if (op > out_len - o)
                return fail(why, "delta writes past its result size");
            if (len - i >= INSERT_SLACK && out_len - o >= INSERT_SLACK)
                copy_short(out + o, delta + i, op);
            else
                memcpy(out + o, delta + i, op);
            i += op;
            o += op;
        } else {
            return fail(why, "delta uses the reserved op 0");
        }
    }
    if (o != out_len)
        return fail(why, "delta result shorter than its size");
    return 0;
}
