/* escape.h: byte-exact escaping of untrusted bytes (paths, matches) for JSON and for terminals, and JSON strings read back. */
#ifndef KS_CLI_ESCAPE_H
#define KS_CLI_ESCAPE_H

#include <stddef.h>

#include "strbuf.h"

/* Returns 1 when the bytes are valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const unsigned char *s, size_t n);
/* Appends a JSON string literal (with quotes); invalid UTF-8 becomes U+FFFD, so pair it with
 * a base64 field when utf8_valid() is false. */
void json_string(ks_strbuf *b, const unsigned char *s, size_t n);
/* Appends the bytes a JSON string stands for, given what is between its quotes with valid escapes
 * (surrogate pairs joined, a lone surrogate as U+FFFD); b->s is set even when nothing is appended. */
void json_unescape(ks_strbuf *b, const char *s, size_t n);
/* Appends standard base64. */
void base64(ks_strbuf *b, const unsigned char *s, size_t n);
/* Appends bytes for a terminal: printable ASCII and valid UTF-8 as is (minus bidi overrides),
 * everything else as \xNN, \n, \t, \r, \\ ; never a raw control character. */
void term_string(ks_strbuf *b, const unsigned char *s, size_t n);

#endif
