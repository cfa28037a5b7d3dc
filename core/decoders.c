/* decoders.c: the decoders themselves (base64, hex, percent, \u and \x escapes, HTML entities), each writing decoded
 * bytes with the encoded bytes every one came from, and the test of whether a decoding is text. */
#include <string.h>

#include "alloc.h"
#include "decode.h"
#include "hex.h"

static const char *const NAMES[KS_DEC_N] = {"base64", "hex", "percent", "escape", "html"};

const char *ks__decoder_name(ks_decoder d) { return d < KS_DEC_N ? NAMES[d] : "?"; }

int ks__dspan_reserve(ks_dspan *d, const struct ks_allocator *a, size_t n)
{
    if (n <= d->cap)
        return 0;
    size_t cap = d->cap ? d->cap : 4096;
    while (cap < n)
        cap *= 2;
    unsigned char *b = ks__arealloc(a, d->bytes, cap);
    if (!b)
        return -1;
    d->bytes = b;
    uint32_t *lo = ks__arealloc(a, d->lo, cap * sizeof *lo);
    if (!lo)
        return -1;
    d->lo = lo;
    uint32_t *hi = ks__arealloc(a, d->hi, cap * sizeof *hi);
    if (!hi)
        return -1;
    d->hi = hi;
    d->cap = cap;
    return 0;
}

void ks__dspan_free(ks_dspan *d, const struct ks_allocator *a)
{
    ks__afree(a, d->bytes);
    ks__afree(a, d->lo);
    ks__afree(a, d->hi);
    memset(d, 0, sizeof *d);
}

int ks__b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int ks__is_b64(unsigned char c) { return ks__b64_value(c) >= 0; }

/* Text, as far as a secret goes: printable ASCII and whitespace, UTF-8's high bytes counted as
 * half. Random bytes (a hash, an image) score about 0.6; text scores near 1. */
static int looks_like_text(const unsigned char *p, size_t n)
{
    if (n < 8)
        return 0;
    size_t score = 0; /* in halves */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r')
            score += 2;
        else if (c >= 0x80)
            score += 1;
    }
    return score * 100 >= n * 2 * 85;
}

static void put(ks_dspan *d, unsigned char b, size_t lo, size_t hi)
{
    d->bytes[d->n] = b;
    d->lo[d->n] = (uint32_t)lo;
    d->hi[d->n] = (uint32_t)hi;
    d->n++;
}

int ks__decode_base64(const unsigned char *buf, size_t from, size_t to, ks_dspan *d)
{
    d->n = 0;
    size_t pos[4];
    unsigned q = 0, k = 0;
    for (size_t i = from; i < to; i++) {
        int v = ks__b64_value(buf[i]);
        if (v < 0)
            continue; /* a line break between quanta, or padding */
        q = q << 6 | (unsigned)v;
        pos[k++] = i;
        if (k == 4) {
            put(d, (unsigned char)(q >> 16), pos[0], pos[1] + 1);
            put(d, (unsigned char)(q >> 8), pos[1], pos[2] + 1);
            put(d, (unsigned char)q, pos[2], pos[3] + 1);
            q = 0;
            k = 0;
        }
    }
    if (k >= 2) { /* the last quantum, padded or not */
        q <<= 6 * (4 - k);
        put(d, (unsigned char)(q >> 16), pos[0], pos[1] + 1);
        if (k == 3)
            put(d, (unsigned char)(q >> 8), pos[1], pos[2] + 1);
    }
    return looks_like_text(d->bytes, d->n);
}

int ks__decode_hex(const unsigned char *buf, size_t from, size_t to, ks_dspan *d)
{
    d->n = 0;
    for (size_t i = from; i + 1 < to; i += 2) {
        int hi = ks__hex_value((char)buf[i]), lo = ks__hex_value((char)buf[i + 1]);
        if (hi < 0 || lo < 0)
            break; /* the run ends: what came before is decoded */
        put(d, (unsigned char)(hi << 4 | lo), i, i + 2);
    }
    return looks_like_text(d->bytes, d->n);
}

static int printable(unsigned v) { return v >= 0x20 && v < 0x7f; }

/* Reads up to `max` hex digits at buf[i..n); returns how many, the value in *v. */
static size_t hex_digits(const unsigned char *buf, size_t i, size_t n, size_t max, unsigned *v)
{
    size_t k = 0;
    *v = 0;
    while (k < max && i + k < n && ks__hex_value((char)buf[i + k]) >= 0)
        *v = *v << 4 | (unsigned)ks__hex_value((char)buf[i + k++]);
    return k;
}

static const struct {
    const char *name;
    unsigned char len, value;
} ENTITIES[] = {{"amp;", 4, '&'}, {"lt;", 3, '<'}, {"gt;", 3, '>'}, {"quot;", 5, '"'}, {"apos;", 5, '\''}};

/* The escape at buf[i] and its value; KS_DEC_N when there is none (or it is not printable ASCII). */
static ks_decoder escape_value(const unsigned char *buf, size_t i, size_t n, size_t *len, unsigned *value)
{
    unsigned v;
    switch (buf[i]) {
    case '%':
        if (hex_digits(buf, i + 1, n, 2, &v) == 2 && v > 0x20 && v < 0x7f) {
            *len = 3;
            *value = v;
            return KS_DEC_PERCENT;
        }
        return KS_DEC_N;
    case '\\':
        if (i + 1 >= n)
            return KS_DEC_N;
        if (buf[i + 1] == 'x' && hex_digits(buf, i + 2, n, 2, &v) == 2 && printable(v)) {
            *len = 4;
        } else if (buf[i + 1] == 'u' && hex_digits(buf, i + 2, n, 4, &v) == 4 && printable(v)) {
            *len = 6;
        } else if (buf[i + 1] == 'u' && i + 2 < n && buf[i + 2] == '{') { /* JavaScript's \u{41} */
            size_t k = hex_digits(buf, i + 3, n, 6, &v);
            if (!k || i + 3 + k >= n || buf[i + 3 + k] != '}' || !printable(v))
                return KS_DEC_N;
            *len = 4 + k;
        } else {
            return KS_DEC_N;
        }
        *value = v;
        return KS_DEC_ESCAPE;
    case '&':
        if (i + 1 >= n)
            return KS_DEC_N;
        if (buf[i + 1] == '#') {
            size_t k;
            if (i + 2 < n && (buf[i + 2] | 0x20) == 'x') {
                k = hex_digits(buf, i + 3, n, 6, &v);
                k = k ? k + 1 : 0; /* the x */
            } else {
                v = 0;
                for (k = 0; k < 7 && i + 2 + k < n && buf[i + 2 + k] >= '0' && buf[i + 2 + k] <= '9'; k++)
                    v = v * 10 + (unsigned)(buf[i + 2 + k] - '0');
            }
            if (!k || i + 2 + k >= n || buf[i + 2 + k] != ';' || !printable(v))
                return KS_DEC_N;
            *len = 3 + k;
            *value = v;
            return KS_DEC_HTML;
        }
        for (size_t e = 0; e < sizeof ENTITIES / sizeof *ENTITIES; e++) {
            size_t l = ENTITIES[e].len;
            if (i + 1 + l <= n && memcmp(buf + i + 1, ENTITIES[e].name, l) == 0) {
                *len = 1 + l;
                *value = ENTITIES[e].value;
                return KS_DEC_HTML;
            }
        }
        return KS_DEC_N;
    default:
        return KS_DEC_N;
    }
}

ks_decoder ks__escape_at(const unsigned char *buf, size_t i, size_t n, size_t *len)
{
    unsigned v;
    return escape_value(buf, i, n, len, &v);
}

size_t ks__decode_escapes(ks_decoder k, const unsigned char *buf, size_t from, size_t to, ks_dspan *d)
{
    d->n = 0;
    size_t decoded = 0;
    for (size_t i = from; i < to;) {
        unsigned char c = buf[i];
        size_t len;
        unsigned v;
        if ((c == '%' || c == '\\' || c == '&') && escape_value(buf, i, to, &len, &v) == k) {
            put(d, (unsigned char)v, i, i + len);
            decoded++;
            i += len;
        } else {
            put(d, c, i, i + 1);
            i++;
        }
    }
    return decoded;
}

/* Supersets of what escape_value takes: it decides; these only say where to look. Their kinds, by
 * index, are ESCAPE_KINDS. */
static const char *const ESCAPE_PATTERNS[] = {
    "%[2-7][0-9A-Fa-f]",      "\\\\u[0-9A-Fa-f]{4}",     "\\\\u\\{[0-9A-Fa-f]{1,6}\\}", "\\\\x[0-9A-Fa-f]{2}",
    "&#[0-9]{1,7};",          "&#[xX][0-9A-Fa-f]{1,6};", "&(?:amp|lt|gt|quot|apos);",
};
static const ks_decoder ESCAPE_KINDS[] = {KS_DEC_PERCENT, KS_DEC_ESCAPE, KS_DEC_ESCAPE, KS_DEC_ESCAPE,
                                          KS_DEC_HTML,    KS_DEC_HTML,   KS_DEC_HTML};

ks_decoder ks__escape_pattern_kind(size_t i)
{
    return i < sizeof ESCAPE_KINDS / sizeof *ESCAPE_KINDS ? ESCAPE_KINDS[i] : KS_DEC_N;
}

const char *const *ks__escape_patterns(size_t *n)
{
    *n = sizeof ESCAPE_PATTERNS / sizeof *ESCAPE_PATTERNS;
    return ESCAPE_PATTERNS;
}

size_t ks__escape_start(const unsigned char *buf, size_t end)
{
    for (size_t i = end; i-- > 0 && end - i <= KS_DEC_ESC_MAX;)
        if (buf[i] == '%' || buf[i] == '\\' || buf[i] == '&')
            return i;
    return end; /* not an escape after all: nothing is decoded there */
}
