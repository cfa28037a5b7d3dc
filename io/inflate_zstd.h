/* inflate_zstd.h: zstd streams decoded with libzstd, read as libarchive reads a source (as inflate_gzip.h does for
 * gzip), so that a big one can be decoded on a thread of its own ahead of libarchive's framing. */
#ifndef KS_IO_INFLATE_ZSTD_H
#define KS_IO_INFLATE_ZSTD_H

#include <stdint.h>

#include <archive.h>

typedef struct ks_zstd ks_zstd;

#define KS_ZSTD_MAGIC "\x28\xb5\x2f\xfd" /* a frame's first 4 bytes */

/* A decoder of the zstd stream that `upstream` (called with `upstream_data`, and with the archive it
 * is read for) hands over in pieces; NULL when out of memory. */
ks_zstd *ks__zstd_new(archive_read_callback *upstream, void *upstream_data);

void ks__zstd_free(ks_zstd *z);

/* An archive_read_callback (its callback data a ks_zstd): the next decompressed bytes, 0 at the end of
 * the last frame, -1 with the archive's error set when the stream is not zstd, is corrupt or is cut
 * short (after the bytes that came before the damage). Frames follow one another; skippable frames
 * are skipped. */
la_ssize_t ks__zstd_read(struct archive *a, void *z, const void **out);

/* Decodes on a thread of its own from now on (decode_ahead.h); 0, or -1 (it goes on decoding here). */
int ks__zstd_start_ahead(ks_zstd *z);

/* The compressed bytes taken from upstream so far (decoding ahead: those behind the bytes handed out). */
uint64_t ks__zstd_bytes_in(const ks_zstd *z);

/* Once ks__zstd_read returned 0 (the end): where in upstream's bytes the last frame ended when bytes that begin no
 * frame follow it (trailing data, to be read from there); UINT64_MAX when none follow, before the end, or after a
 * failure. */
uint64_t ks__zstd_end(const ks_zstd *z);

/* Once ks__zstd_read failed (where what it gave could not be opened): why, when the bytes were zstd all the same (a
 * frame's magic and a header that libzstd took, or that was whole and right at the start), for the caller to say
 * before it scans them as they are; NULL when it did not fail, or the bytes may be no zstd at all. */
const char *ks__zstd_damaged(const ks_zstd *z);

/* Once ks__zstd_read failed for damage in a frame: where in upstream's bytes the next frame begins, to be read on from
 * (its first *held_n bytes at *held when upstream handed them before its last piece), or with none after it, where the
 * bytes that gave no output begin (to be scanned as they are); UINT64_MAX when it did not fail so. */
uint64_t ks__zstd_damage_at(const ks_zstd *z, const void **held, size_t *held_n);

/* Once ks__zstd_read failed for damage in a frame: where in upstream's bytes those that gave no output begin (at or
 * before ks__zstd_damage_at); UINT64_MAX when it did not fail so. */
uint64_t ks__zstd_failed_at(const ks_zstd *z);

#endif
