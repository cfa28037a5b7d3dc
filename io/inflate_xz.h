/* inflate_xz.h: xz streams decoded with liblzma, read as libarchive reads a source (as inflate_zstd.h does for zstd),
 * one stream after another, so that what follows the last one is trailing data and not a failure. */
#ifndef KS_IO_INFLATE_XZ_H
#define KS_IO_INFLATE_XZ_H

#include <stdint.h>

#include <archive.h>

typedef struct ks_xz ks_xz;

/* A decoder of the xz stream that `upstream` (called with `upstream_data`, and with the archive it is read for)
 * hands over in pieces; NULL when out of memory. */
ks_xz *ks__xz_new(archive_read_callback *upstream, void *upstream_data);

void ks__xz_free(ks_xz *x);

/* An archive_read_callback (its callback data a ks_xz): the next decompressed bytes, 0 at the end of the last
 * stream, -1 with the archive's error set when the stream is not xz, is corrupt, needs more than 256 MiB of memory
 * or is cut short (after the bytes that came before the damage). Streams follow one another, zero padding between
 * them passed over; anything else after a stream ends it (ks__xz_end). */
la_ssize_t ks__xz_read(struct archive *a, void *x, const void **out);

/* Decodes on a thread of its own from now on (decode_ahead.h); 0, or -1 (it goes on decoding here). */
int ks__xz_start_ahead(ks_xz *x);

/* The compressed bytes taken from upstream so far (decoding ahead: those behind the bytes handed out). */
uint64_t ks__xz_bytes_in(const ks_xz *x);

/* After ks__xz_read failed: why, when the stream is xz that keysweep will not decode (it needs more than 256 MiB of
 * memory, or options liblzma does not have), which is a limit and no corruption; NULL otherwise (or decoding
 * ahead). */
const char *ks__xz_refused(const ks_xz *x);

/* After ks__xz_read failed (where what it gave could not be opened): why, when the bytes were xz all the same (it
 * failed past a stream header whose CRC is right), for the caller to say before it scans them as they are; NULL when
 * it did not fail, was refused, or the bytes may be no xz at all. */
const char *ks__xz_damaged(const ks_xz *x);

/* Once ks__xz_read failed for damage in a stream: where in upstream's bytes the next stream begins, to be read on from
 * (its first *held_n bytes at *held when upstream handed them before its last piece); UINT64_MAX when none follows. */
uint64_t ks__xz_damage_at(const ks_xz *x, const void **held, size_t *held_n);

/* Once ks__xz_read returned 0 (the end): where in upstream's bytes the last stream (and its padding) ended when
 * other bytes follow it (trailing data, to be read from there); UINT64_MAX when none follow, before the end, or
 * after a failure. */
uint64_t ks__xz_end(const ks_xz *x);

#endif
