/* escape.h: byte-exact escaping of untrusted bytes (paths, matches) for JSON and for terminals. */
#ifndef KS_CLI_ESCAPE_H
#define KS_CLI_ESCAPE_H

#include <stddef.h>

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int oom;
} strbuf;

void sb_reserve(strbuf *b, size_t extra);
void sb_putn(strbuf *b, const void *data, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal (the hot path of every report: no format string to parse). */
void sb_put_u64(strbuf *b, unsigned long long v);
void sb_free(strbuf *b);

/* Returns 1 when the bytes are valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const unsigned char *s, size_t n);
/* Appends a JSON string literal (with quotes); invalid UTF-8 becomes U+FFFD, so pair it with
 * a base64 field when utf8_valid() is false. */
void json_string(strbuf *b, const unsigned char *s, size_t n);
/* Appends standard base64. */
void base64(strbuf *b, const unsigned char *s, size_t n);
/* Appends bytes for a terminal: printable ASCII and valid UTF-8 as is (minus bidi overrides),
 * everything else as \xNN, \n, \t, \r, \\ ; never a raw control character. */
void term_string(strbuf *b, const unsigned char *s, size_t n);

#endif
