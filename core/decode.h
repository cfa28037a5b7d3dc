/* decode.h: encoded text inside an object (base64, hex, percent-encoding, \u and \x escapes, HTML entities) found,
 * decoded with a map back to the encoded bytes, and scanned again (decode_find.c, decoders.c, scan_decoded.c). */
#ifndef KS_CORE_DECODE_H
#define KS_CORE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

/* The decoders, in the order their names are listed (ks__decoder_name). */
typedef enum ks_decoder {
    KS_DEC_BASE64 = 0,
    KS_DEC_HEX,
    KS_DEC_PERCENT,
    KS_DEC_ESCAPE, /* \uXXXX, \u{X..}, \xXX: JSON, JavaScript, Python, C */
    KS_DEC_HTML,   /* &#NN; &#xHH; &amp; &lt; &gt; &quot; &apos; */
    KS_DEC_N
} ks_decoder;

const char *ks__decoder_name(ks_decoder d);

/* Shortest base64 run looked at (15 decoded bytes: shorter secrets are not worth a decode). */
#define KS_DEC_MIN_B64 20
/* Shortest hex run looked at (16 decoded bytes). */
#define KS_DEC_MIN_HEX 32
/* Bytes of plain text kept on each side of a cluster of escapes, so that a rule sees the key name
 * (`password = "...\u0040..."`) that comes before the value. */
#define KS_DEC_ESC_CONTEXT 256
/* A cluster of escapes is cut where it crosses a multiple of this in the object, so that a span
 * covers at most this plus its context. */
#define KS_DEC_ESC_BLOCK ((uint64_t)32 << 10)
/* The fewest encoded bytes of a base64 or hex run that are decoded, whatever the rules' widths. */
#define KS_DEC_MIN_WINDOW ((size_t)4096)

/* Decoded bytes with, for each, the encoded bytes [lo, hi) it came from (offsets in the buffer the
 * encoded text was found in, or further out when maps are composed). */
typedef struct ks_dspan {
    unsigned char *bytes;
    uint32_t *lo, *hi;
    size_t n, cap;
} ks_dspan;

/* Makes room for `n` decoded bytes; 0 or -1 (out of memory). */
struct ks_allocator;
int ks__dspan_reserve(ks_dspan *d, const struct ks_allocator *a, size_t n);
void ks__dspan_free(ks_dspan *d, const struct ks_allocator *a);

/* Decodes the base64 run [from, to) of buf (standard or URL-safe alphabet, '=' padding and line
 * breaks between whole quanta allowed) into d; returns 1 when what came out is mostly text (only
 * text can hold a secret a rule recognises), else 0. */
int ks__decode_base64(const unsigned char *buf, size_t from, size_t to, ks_dspan *d);
/* The same for a run of hex digits (an even number of them; decoding stops at a byte that is not one). */
int ks__decode_hex(const unsigned char *buf, size_t from, size_t to, ks_dspan *d);
/* Decodes the escapes of kind `k` (percent, escape, html) in [from, to) of buf, copying other bytes
 * as they are; an escape cut by `to` stays as it is. Returns the number of escapes decoded. */
size_t ks__decode_escapes(ks_decoder k, const unsigned char *buf, size_t from, size_t to, ks_dspan *d);

/* Whether an escape of some kind starts at buf[i] (buf[i] is '%', '\\' or '&'): its kind, and its
 * length in *len; KS_DEC_N when none. Only escapes of printable ASCII count: they are what a
 * secret is written with, and others (printf's "%02x") would make spans for nothing. */
ks_decoder ks__escape_at(const unsigned char *buf, size_t i, size_t n, size_t *len);

/* The runs of base64-alphabet bytes in buf [0, n) (holding KS_DEC_MIN_B64 bytes of the standard
 * alphabet in a row) whose first characters are those of base64 or hex of text, in increasing
 * order: on_run gets the run's first byte and the byte after its last. A non-zero return stops the
 * walk and is returned; the callback may set *resume to a position to go on from (past what it took). */
typedef struct ks_dfind_ops {
    int (*on_run)(void *ctx, size_t from, size_t to, size_t *resume);
} ks_dfind_ops;
int ks__decode_find(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx);
/* The same with at most the given instruction set (0 plain C, 1 SSSE3, 2 AVX2, 3 AVX-512 BW), the
 * best this CPU has below it: the fuzzer holds every one to the same runs. */
int ks__decode_find_isa(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx, int isa);

/* The escapes the decoders take, as patterns compiled into the rules' own Vectorscan database (each
 * starts with a literal, so they cost that scan next to nothing): *n of them. A match of pattern i
 * ends an escape that starts at most KS_DEC_ESC_MAX bytes before its end (ks__escape_start). */
const char *const *ks__escape_patterns(size_t *n);
/* The kind of escape pattern i finds (KS_DEC_N past the last). */
ks_decoder ks__escape_pattern_kind(size_t i);
#define KS_DEC_ESC_MAX 12
/* Where the escape whose match ends at buf[end] (exclusive) begins: the last '%', '\\' or '&' before it. */
size_t ks__escape_start(const unsigned char *buf, size_t end);

/* The value of a base64 character, standard or URL-safe (0..63), or -1 (the validators use it too). */
int ks__b64_value(unsigned char c);

/* 1 for a byte of the base64 alphabets (both), which runs are made of. */
int ks__is_b64(unsigned char c);

#endif
