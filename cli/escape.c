/* escape.c: JSON, terminal, CSV and XML escaping of untrusted bytes, and JSON strings read back (baselines). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

int utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

int json_string(ks_strbuf *b, const unsigned char *s, size_t n)
{
    int valid = 1;
    static const char hex[] = "0123456789abcdef";
    ks__sb_reserve(b, n + 2);
    ks__sb_putn(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            size_t j = i;
            while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
                j++;
            ks__sb_putn(b, s + i, j - i);
            i = j;
            continue;
        }
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ks__sb_putn(b, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (named) {
                ks__sb_puts(b, named);
            } else {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                ks__sb_putn(b, e, 6);
            }
            i++;
        } else {
            size_t l = utf8_seq(s + i, n - i);
            if (l) {
                ks__sb_putn(b, s + i, l);
                i += l;
            } else {
                ks__sb_puts(b, "\xef\xbf\xbd"); /* U+FFFD; the exact bytes travel in a *_b64 field */
                valid = 0;
                i++;
            }
        }
    }
    ks__sb_putn(b, "\"", 1);
    return valid;
}

void base64(ks_strbuf *b, const unsigned char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ks__sb_reserve(b, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        char o[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
        ks__sb_putn(b, o, 4);
    }
}

void term_string(ks_strbuf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            ks__sb_putn(b, s + i, 1);
            i++;
            continue;
        }
        if (c == '\\' || c == '\n' || c == '\t' || c == '\r') {
            ks__sb_puts(b, c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r");
            i++;
            continue;
        }
        size_t l = c >= 0x80 ? utf8_seq(s + i, n - i) : 0;
        /* C1 controls (U+0080-U+009F) and bidi overrides/isolates reorder or hijack a terminal. */
        int unsafe = l == 2 && c == 0xc2 && s[i + 1] < 0xa0;
        if (l == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] >= 0xaa && s[i + 2] <= 0xae))
            unsafe = 1;
        if (l == 3 && c == 0xe2 && s[i + 1] == 0x81 && (s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9))
            unsafe = 1;
        if (l && !unsafe) {
            ks__sb_putn(b, s + i, l);
            i += l;
            continue;
        }
        size_t k = l ? l : 1;
        for (size_t j = 0; j < k; j++) {
            char e[4] = {'\\', 'x', hex[s[i + j] >> 4], hex[s[i + j] & 15]};
            ks__sb_putn(b, e, 4);
        }
        i += k;
    }
}

/* Whether an RFC 4180 field needs quotes: a separator, a quote or a line break in it. */
static int csv_needs_quotes(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

void csv_cell(ks_strbuf *b, const unsigned char *s, size_t n)
{
    /* A spreadsheet runs a cell that starts with one of these as a formula (OWASP's "CSV injection"): the quote
     * makes it text; Excel and LibreOffice hide it, and a program reading the file sees the value behind it. */
    int formula = n && s[0] && strchr("=+-@\t\r", s[0]);
    int quoted = csv_needs_quotes(s, n);
    if (quoted)
        ks__sb_putn(b, "\"", 1);
    if (formula)
        ks__sb_putn(b, "'", 1);
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (!l) {
            ks__sb_puts(b, "\xef\xbf\xbd"); /* U+FFFD: a CSV file is UTF-8 text */
            i++;
        } else {
            if (s[i] == '"')
                ks__sb_putn(b, "\"", 1); /* doubled */
            ks__sb_putn(b, s + i, l);
            i += l;
        }
    }
    if (quoted)
        ks__sb_putn(b, "\"", 1);
}

void xml_string(ks_strbuf *b, const unsigned char *s, size_t n, int attribute)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t l = utf8_seq(s + i, n - i);
        const char *e = NULL;
        switch (c) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&apos;"; break;
        /* parsers turn CR into LF everywhere, and tab and LF into spaces in attributes, unless written as references */
        case '\r': e = "&#13;"; break;
        case '\n': e = attribute ? "&#10;" : "\n"; break;
        case '\t': e = attribute ? "&#9;" : "\t"; break;
        default:
            /* XML 1.0 has no way to write the other C0 controls, U+FFFE, U+FFFF or bytes that are not UTF-8 */
            if (!l || c < 0x20 || (l == 3 && c == 0xef && s[i + 1] == 0xbf && s[i + 2] >= 0xbe))
                e = "\xef\xbf\xbd";
        }
        if (e) {
            ks__sb_puts(b, e);
            i += l ? l : 1;
        } else {
            ks__sb_putn(b, s + i, l);
            i += l;
        }
    }
}

/* Appends code point cp as UTF-8. */
static void put_utf8(ks_strbuf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xc0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    ks__sb_putn(b, u, n);
}

/* The 4 hex digits at s (validated by the caller's parser). */
static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

void json_unescape(ks_strbuf *b, const char *s, size_t n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    ks__sb_reserve(b, n + 1);
    for (size_t i = 0; i < n;) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t plain = bs ? (size_t)(bs - (s + i)) : n - i;
        ks__sb_putn(b, s + i, plain);
        i += plain;
        if (i + 1 >= n)
            break;
        char e = s[i + 1];
        if (e != 'u' || i + 6 > n) {
            const char *k = strchr(from, e);
            if (k && e)
                ks__sb_putn(b, &to[k - from], 1);
            i += 2;
            continue;
        }
        unsigned cp = hex4(s + i + 2);
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            unsigned lo = hex4(s + i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
        }
        put_utf8(b, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp); /* a lone surrogate is no character */
    }
    if (!b->s)
        ks__sb_putn(b, "", 0);
}
