/* text_stream.h: a stream for one object that may be UTF-16 text (a member of an archive, a git blob, piped input):
 * its first bytes decide, as io/utf16.c sniffs a file's, and UTF-16 is scanned as its characters. */
#ifndef KS_PIPELINE_TEXT_STREAM_H
#define KS_PIPELINE_TEXT_STREAM_H

#include <stdint.h>

#include "keysweep.h"
#include "alloc.h"

typedef struct ks_text_stream ks_text_stream;

/* What a text stream does with the object's bytes. */
typedef enum ks_text_mode {
    KS_TEXT_RAW = 0,        /* a ks_stream and nothing more */
    KS_TEXT_UTF16 = 1,      /* UTF-16 text is scanned as its characters, anything else as it is */
    KS_TEXT_UTF16_ONLY = 2, /* only UTF-16 text's characters: the caller scans the bytes as they are itself */
    /* or'ed into one of the above: the bytes as they are are gathered, up to KS_TEXT_GATHER_MAX, before they reach
     * the engine, and an object no bigger is scanned in one ks_scan at close. Each write to a ks_stream rescans the
     * widest rule's reach on both sides of what it makes certain (10 KiB each with the built-in pack), which a
     * member or a pipe, handed over in pieces, paid once a piece. For streams that may hold that much while open. */
    KS_TEXT_GATHER = 4,
} ks_text_mode;

#define KS_TEXT_GATHER_MAX ((size_t)256 << 10)

/* Opens a stream like ks_stream_open (opts' path is copied). Unless `mode` is KS_TEXT_RAW, the first 512 bytes
 * are held until they say what the object is. UTF-16 text's findings reach `cb` with start, end, secret_start
 * and secret_end pointing at the encoded bytes, line and column counting its characters, and "utf16le" or
 * "utf16be" first among their decoders; with KS_TEXT_UTF16, a byte order mark before what is not mostly-ASCII
 * UTF-16 has the bytes scanned both ways. Returns 0 or a KS_E* code. */
int ks__text_stream_open(const ks_allocator *a, const ks_engine *engine, const ks_scan_opts *opts, ks_text_mode mode,
                         ks_match_fn cb, void *ctx, ks_text_stream **out);

/* Appends `len` bytes, as ks_stream_write. Returns 0 or a KS_E* code (or the callback's stop). */
int ks__text_stream_write(ks_text_stream *s, ks_scanner *scanner, const void *data, size_t len);

/* Appends `n` zero bytes (a sparse member's hole), as a write of them would, but at the cost of a few overlaps of
 * zeros whatever n is (ks__stream_zeros). Returns 0 or a KS_E* code. */
int ks__text_stream_zeros(ks_text_stream *s, ks_scanner *scanner, uint64_t n);

/* Ends the object, reports what is left and frees the stream (also on failure), as ks_stream_close. */
int ks__text_stream_close(ks_text_stream *s, ks_scanner *scanner);

/* Appends the object's last `len` bytes and ends it, as a write and a close would. An object written whole in this
 * one call, and scanned as its bytes, is scanned where it lies: gathering would copy it first. */
int ks__text_stream_close_with(ks_text_stream *s, ks_scanner *scanner, const void *data, size_t len);

/* Frees the stream without reporting more (NULL: nothing). */
void ks__text_stream_abort(ks_text_stream *s);

#endif
