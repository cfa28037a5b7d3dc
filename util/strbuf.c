/* strbuf.c: the growable string builder. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "strbuf.h"

void ks__sb_reserve(ks_strbuf *b, size_t extra)
{
    if (b->oom || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = ks__realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return;
    }
    b->s = s;
    b->cap = cap;
}

void ks__sb_putn(ks_strbuf *b, const void *data, size_t n)
{
    ks__sb_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void ks__sb_puts(ks_strbuf *b, const char *s) { ks__sb_putn(b, s, strlen(s)); }

void ks__sb_printf(ks_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    ks__sb_reserve(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ks__sb_put_u64(ks_strbuf *b, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while (v /= 10);
    ks__sb_putn(b, d + i, sizeof d - i);
}

void ks__sb_free(ks_strbuf *b)
{
    ks__free(b->s);
    memset(b, 0, sizeof *b);
}
