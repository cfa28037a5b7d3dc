/* escape.h: escaping of untrusted bytes (paths, matches) for JSON, terminals, CSV and XML, and JSON strings read back. */
#ifndef KS_CLI_ESCAPE_H
#define KS_CLI_ESCAPE_H

#include <stddef.h>

#include "strbuf.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one (n > 0). */
size_t utf8_seq(const unsigned char *s, size_t n);
/* Returns 1 when the bytes are valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const unsigned char *s, size_t n);
/* Appends a JSON string literal (with quotes); invalid UTF-8 becomes U+FFFD, so pair it with
 * a base64 field: returns 1 when the bytes were valid UTF-8 (as utf8_valid), 0 when one was replaced. */
int json_string(ks_strbuf *b, const unsigned char *s, size_t n);
/* Appends the bytes a JSON string stands for, given what is between its quotes with valid escapes
 * (surrogate pairs joined, a lone surrogate as U+FFFD); b->s is set even when nothing is appended. */
void json_unescape(ks_strbuf *b, const char *s, size_t n);
/* Appends standard base64. */
void base64(ks_strbuf *b, const unsigned char *s, size_t n);
/* Appends bytes for a terminal: printable ASCII and valid UTF-8 as is (minus bidi overrides),
 * everything else as \xNN, \n, \t, \r, \\ ; never a raw control character. */
void term_string(ks_strbuf *b, const unsigned char *s, size_t n);

/* Appends one RFC 4180 field: quoted when it holds a comma, quote, CR or LF, quotes doubled; a field starting
 * with = + - @ tab or CR gets a leading ' (no spreadsheet formula); invalid UTF-8 becomes U+FFFD. */
void csv_cell(ks_strbuf *b, const unsigned char *s, size_t n);
/* Appends XML 1.0 character data (attribute: for an attribute value in double quotes): & < > " ' escaped, CR
 * (and in an attribute tab and LF) as character references; what XML 1.0 cannot hold (other C0 controls,
 * U+FFFE, U+FFFF, invalid UTF-8) becomes U+FFFD. */
void xml_string(ks_strbuf *b, const unsigned char *s, size_t n, int attribute);

#endif
