/* utf16.c: UTF-16 text recognised (byte order mark, or zero bytes in one lane) and narrowed one byte per code unit. */
#include <string.h>

#include "utf16.h"

static int texty(unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t'; }

/* Which lane of the first pairs holds text with zeros beside it, when nearly every pair says the same. */
static ks_utf16 lanes(const unsigned char *h, size_t n)
{
    size_t pairs = (n > 512 ? 512 : n) / 2;
    /* every file's first chunk comes here: most have no zero byte at all, and memchr says so fast */
    if (pairs < 32 || !memchr(h, 0, 2 * pairs))
        return KS_UTF16_NONE;
    size_t le = 0, be = 0;
    for (size_t i = 0; i < pairs; i++) {
        unsigned char a = h[2 * i], b = h[2 * i + 1];
        le += texty(a) && b == 0;
        be += a == 0 && texty(b);
    }
    if (le * 10 >= pairs * 9)
        return KS_UTF16_LE;
    if (be * 10 >= pairs * 9)
        return KS_UTF16_BE;
    return KS_UTF16_NONE;
}

ks_utf16 ks__utf16_sniff(const unsigned char *h, size_t n, size_t *bom, int *unsure)
{
    *bom = 0;
    *unsure = 0;
    ks_utf16 mark = KS_UTF16_NONE;
    if (n >= 2 && h[0] == 0xff && h[1] == 0xfe) {
        if (n >= 4 && h[2] == 0 && h[3] == 0)
            return KS_UTF16_NONE; /* UTF-32LE's mark */
        mark = KS_UTF16_LE;
    } else if (n >= 2 && h[0] == 0xfe && h[1] == 0xff) {
        mark = KS_UTF16_BE;
    }
    if (mark == KS_UTF16_NONE)
        /* No mark: mostly ASCII text with a zero in every other byte. Binary files have zeros too, but
         * rarely text in the other lane of nearly every pair. */
        return lanes(h, n);
    /* One file in 65,536 of random bytes starts with a mark: unless mostly-ASCII text follows it, the
     * bytes may be no text at all (or text in another script), so they are scanned as they are too. */
    *bom = 2;
    *unsure = lanes(h + 2, n - 2) != mark;
    return mark;
}

size_t ks__utf16_narrow(const unsigned char *in, size_t n, ks_utf16 order, unsigned char *out, int *carry)
{
    size_t o = 0, i = 0;
    if (*carry >= 0 && n) {
        unsigned char lo = order == KS_UTF16_LE ? (unsigned char)*carry : in[0];
        unsigned char hi = order == KS_UTF16_LE ? in[0] : (unsigned char)*carry;
        out[o++] = hi ? 0x1a : lo;
        *carry = -1;
        i = 1;
    }
    for (; i + 1 < n; i += 2) {
        unsigned char lo = order == KS_UTF16_LE ? in[i] : in[i + 1];
        unsigned char hi = order == KS_UTF16_LE ? in[i + 1] : in[i];
        out[o++] = hi ? 0x1a : lo;
    }
    if (i < n)
        *carry = in[i];
    return o;
}
