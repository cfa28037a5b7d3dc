/* fuzz_json_encoder.c: libFuzzer target: any bytes through json_string, term_string and base64 give valid,
 * bounded, reversible output with no raw control characters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "fuzz_check.h"

/* An independent UTF-8 decoder (RFC 3629): returns the sequence length at s, 0 when invalid; *cp gets the code point. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    unsigned v = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static int hexval(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

static void check_json(const unsigned char *in, size_t n)
{
    ks_strbuf b = {0};
    json_string(&b, in, n);
    CHECK(!b.oom && b.len >= 2 && b.s[0] == '"' && b.s[b.len - 1] == '"', "json: not a quoted string");
    CHECK(b.len <= 6 * n + 2, "json: %zu bytes for %zu input bytes", b.len, n);
    const unsigned char *o = (const unsigned char *)b.s;
    /* Decode the literal back, checking the grammar (RFC 8259) on the way. */
    unsigned char *dec = malloc(b.len + 1);
    size_t dl = 0;
    for (size_t i = 1; i + 1 < b.len;) {
        unsigned cp;
        CHECK(o[i] >= 0x20 && o[i] != '"', "json: raw 0x%02x at %zu", o[i], i);
        if (o[i] == '\\') {
            CHECK(i + 2 < b.len, "json: dangling backslash");
            char e = (char)o[i + 1];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e && simple) {
                dec[dl++] = (unsigned char)("\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
                i += 2;
                continue;
            }
            CHECK(e == 'u' && i + 6 < b.len, "json: bad escape \\%c", e);
            int v = 0;
            for (int k = 2; k < 6; k++) {
                int h = hexval(o[i + k]);
                CHECK(h >= 0, "json: bad \\u escape");
                v = v << 4 | h;
            }
            CHECK(v < 0x80, "json: \\u%04x outside ASCII (the encoder only escapes controls)", v);
            dec[dl++] = (unsigned char)v;
            i += 6;
            continue;
        }
        size_t l = utf8_next(o + i, b.len - 1 - i, &cp);
        CHECK(l, "json: invalid UTF-8 at %zu", i);
        memcpy(dec + dl, o + i, l);
        dl += l;
        i += l;
    }
    /* Valid UTF-8 round-trips exactly; invalid input is for *_b64 fields, here it only must stay well-formed. */
    int valid = utf8_valid(in, n);
    size_t i = 0;
    unsigned cp;
    while (i < n && utf8_next(in + i, n - i, &cp))
        i += utf8_next(in + i, n - i, &cp);
    CHECK(valid == (i == n), "utf8_valid says %d, the reference decoder %d", valid, i == n);
    if (valid)
        CHECK(dl == n && !memcmp(dec, in, n), "json: valid UTF-8 does not round-trip");
    free(dec);
    ks__sb_free(&b);
}

static void check_term(const unsigned char *in, size_t n)
{
    ks_strbuf b = {0};
    term_string(&b, in, n);
    CHECK(!b.oom && b.len <= 4 * n, "term: %zu bytes for %zu input bytes", b.len, n);
    const unsigned char *o = (const unsigned char *)b.s;
    unsigned char *dec = malloc(b.len + 1);
    size_t dl = 0;
    for (size_t i = 0; i < b.len;) {
        unsigned cp;
        CHECK(o[i] >= 0x20 && o[i] != 0x7f, "term: raw control 0x%02x", o[i]);
        if (o[i] == '\\') {
            CHECK(i + 1 < b.len, "term: dangling backslash");
            char e = (char)o[i + 1];
            if (e == 'x') {
                CHECK(i + 3 < b.len && hexval(o[i + 2]) >= 0 && hexval(o[i + 3]) >= 0, "term: bad \\x");
                dec[dl++] = (unsigned char)(hexval(o[i + 2]) << 4 | hexval(o[i + 3]));
                i += 4;
            } else {
                CHECK(e == '\\' || e == 'n' || e == 't' || e == 'r', "term: bad escape \\%c", e);
                dec[dl++] = e == '\\' ? '\\' : e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
                i += 2;
            }
            continue;
        }
        size_t l = utf8_next(o + i, b.len - i, &cp);
        CHECK(l, "term: invalid UTF-8 at %zu", i);
        /* C1 controls and bidi overrides/isolates reorder or hijack what a terminal shows. */
        CHECK(!(cp >= 0x80 && cp <= 0x9f) && !(cp >= 0x202a && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069),
              "term: raw U+%04X", cp);
        memcpy(dec + dl, o + i, l);
        dl += l;
        i += l;
    }
    CHECK(dl == n && !memcmp(dec, in, n), "term: output does not decode back to the input");
    free(dec);
    ks__sb_free(&b);
}

static void check_base64(const unsigned char *in, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ks_strbuf b = {0};
    base64(&b, in, n);
    CHECK(!b.oom && b.len == (n + 2) / 3 * 4, "base64: %zu bytes for %zu", b.len, n);
    for (size_t i = 0; i < b.len; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char *p = b.s[i + k] == '=' ? NULL : strchr(tbl, b.s[i + k]);
            CHECK(b.s[i + k] == '=' ? i + 4 == b.len && k >= 2 : p && *p, "base64: bad char");
            pad += !p;
            v = v << 6 | (p ? (unsigned)(p - tbl) : 0);
        }
        size_t at = i / 4 * 3;
        for (int k = 0; k < 3 - pad; k++)
            CHECK(at + (size_t)k < n && in[at + k] == (unsigned char)(v >> (16 - 8 * k)), "base64: round trip");
    }
    ks__sb_free(&b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    check_json(data, size);
    check_term(data, size);
    check_base64(data, size);
    return 0;
}
