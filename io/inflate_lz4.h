/* inflate_lz4.h: lz4 streams (frames, and the legacy format) decoded with liblz4, read as libarchive reads a source
 * (as inflate_zstd.h does for zstd), ending exactly where the stream does. */
#ifndef KS_IO_INFLATE_LZ4_H
#define KS_IO_INFLATE_LZ4_H

#include <stdint.h>

#include <archive.h>

typedef struct ks_lz4 ks_lz4;

/* A decoder of the lz4 stream that `upstream` (called with `upstream_data`, and with the archive it is read for)
 * hands over in pieces; NULL when out of memory. */
ks_lz4 *ks__lz4_new(archive_read_callback *upstream, void *upstream_data);

void ks__lz4_free(ks_lz4 *l);

/* An archive_read_callback (its callback data a ks_lz4): the next decompressed bytes (decoding inline, a legacy
 * block of up to 8 MiB in one piece), 0 at the stream's end, -1 with the archive's error set when the stream is not
 * lz4, is corrupt or is cut short (after the bytes that came before the damage, and what decodes of a cut block). Frames, skippable frames and legacy streams may follow one another; a legacy stream ends at the
 * source's end, at another frame, or at a block size no legacy block has (zero padding, trailing data). */
la_ssize_t ks__lz4_read(struct archive *a, void *l, const void **out);

/* From now on, a block cut short by upstream's end gives nothing (it is only said): for a stream tried as a candidate
 * in trailing data, where such a block may have taken in the container that follows it. */
void ks__lz4_whole_blocks_only(ks_lz4 *l);

/* Decodes on a thread of its own from now on (decode_ahead.h); 0, or -1 (it goes on decoding here). */
int ks__lz4_start_ahead(ks_lz4 *l);

/* The compressed bytes taken from upstream so far (decoding ahead: those behind the bytes handed out). */
uint64_t ks__lz4_bytes_in(const ks_lz4 *l);

/* Once ks__lz4_read returned 0 (the end): where in upstream's bytes the stream ended when bytes that begin no frame
 * follow it (trailing data, to be read from there); UINT64_MAX when none follow, before the end, or after a failure. */
uint64_t ks__lz4_end(const ks_lz4 *l);

/* Once ks__lz4_read failed (where what it gave could not be opened): why, when the bytes were lz4 all the same (a
 * frame's header whole and right, or the legacy magic and a block size), for the caller to say before it scans them as
 * they are; NULL when it did not fail, or the bytes may be no lz4 at all. */
const char *ks__lz4_damaged(const ks_lz4 *l);

/* Once ks__lz4_read failed from damage in the stream's middle (not a cut, not upstream's failure): where in upstream's
 * bytes those that gave no output begin (the damaged block's), for the caller to scan them as they are (lz4 keeps
 * literals as they are: a key after the damage is still there); *held: the first *held_n of them when they were
 * gathered here from several of upstream's pieces, else NULL. UINT64_MAX when it did not fail so. */
uint64_t ks__lz4_damage_at(const ks_lz4 *l, const void **held, size_t *held_n);

#endif
