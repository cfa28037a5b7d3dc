/* strbuf.h: the one growable string builder (reports, regex rewriting, TOML strings): NUL-terminated, sticky out-of-memory flag. */
#ifndef KS_UTIL_STRBUF_H
#define KS_UTIL_STRBUF_H

#include <stddef.h>

/* Zero-initialise. After a failed allocation `oom` is set and every later call is a no-op, so a
 * caller checks once at the end. `s` is NUL-terminated whenever it is not NULL. */
typedef struct ks_strbuf {
    char *s;
    size_t len, cap;
    int oom;
} ks_strbuf;

void ks__sb_reserve(ks_strbuf *b, size_t extra);
void ks__sb_putn(ks_strbuf *b, const void *data, size_t n);
void ks__sb_puts(ks_strbuf *b, const char *s);
void ks__sb_printf(ks_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal (hot paths: no format string to parse). */
void ks__sb_put_u64(ks_strbuf *b, unsigned long long v);
void ks__sb_free(ks_strbuf *b);

#endif
