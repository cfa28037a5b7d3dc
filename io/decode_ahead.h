/* decode_ahead.h: a stream decoder (gzip, zstd, xz, lz4) run on a thread of its own, a few blocks ahead of
 * libarchive, which reads the blocks as its source: the decompressing overlaps the framing and what the members
 * are handed to. */
#ifndef KS_IO_DECODE_AHEAD_H
#define KS_IO_DECODE_AHEAD_H

#include <stdint.h>

#include <archive.h>

/* What one block holds at most. */
#define KS_AHEAD_BLOCK (256u * 1024u)

/* The decoder's next bytes into dst (KS_AHEAD_BLOCK of room): how many, 0 at the end, or -1 with the
 * error set on `errs` (an archive of the thread's own, never the reader's). */
typedef la_ssize_t (*ks_ahead_fill_fn)(void *ctx, struct archive *errs, unsigned char *dst);

/* The compressed bytes the decoder has taken so far. */
typedef uint64_t (*ks_ahead_taken_fn)(void *ctx);

typedef struct ks_ahead ks_ahead;

/* Starts calling fill (and taken) on a thread of its own, which then owns the decoder until
 * ks__ahead_stop; NULL when there is no memory or thread for it. */
ks_ahead *ks__ahead_start(ks_ahead_fill_fn fill, ks_ahead_taken_fn taken, void *ctx);

/* An archive_read_callback's work: the next block, in order (the one handed out before goes back:
 * libarchive is done with a block once it reads the next); 0 at the end, -1 with a's error set. */
la_ssize_t ks__ahead_read(ks_ahead *h, struct archive *a, const void **out);

/* The compressed bytes behind the blocks handed out (what the ratio guard compares with). */
uint64_t ks__ahead_bytes_in(const ks_ahead *h);

/* 1 when what a decoder wrote before it failed may be read on the reader's thread: it decodes inline (h is NULL), or
 * ks__ahead_read handed out its failure (written on the decoder's thread before); else 0. */
int ks__ahead_settled(const ks_ahead *h);

/* Stops the thread (after the block it is decoding) and frees everything; NULL is ignored. */
void ks__ahead_stop(ks_ahead *h);

#endif
