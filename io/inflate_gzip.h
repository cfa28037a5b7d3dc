/* inflate_gzip.h: gzip streams decoded with ISA-L's igzip (about 3x zlib here), read as libarchive reads a source,
 * so that libarchive frames the decompressed bytes while the inflating is ISA-L's. */
#ifndef KS_IO_INFLATE_GZIP_H
#define KS_IO_INFLATE_GZIP_H

#include <stdint.h>

#include <archive.h>

typedef struct ks_gzip ks_gzip;

/* A decoder of the gzip stream that `upstream` (called with `upstream_data`, and with the archive it
 * is read for) hands over in pieces; NULL when out of memory. */
ks_gzip *ks__gzip_new(archive_read_callback *upstream, void *upstream_data);

void ks__gzip_free(ks_gzip *g);

/* An archive_read_callback (its callback data a ks_gzip): the next decompressed bytes, 0 at the end
 * of the last member, -1 with the archive's error set when the stream is not gzip, is corrupt or is
 * cut short. Members follow one another as gzip and libarchive's own filter read them: a member
 * ends at its 8-byte trailer (not checked, as libarchive does not), and what follows the last
 * member that is not a gzip header is not read. */
la_ssize_t ks__gzip_read(struct archive *a, void *g, const void **out);

/* Decodes on a thread of its own from now on, a few blocks (1 MiB) ahead of ks__gzip_read, which then
 * waits only when it is ahead: for a big stream whose reader has work of its own (libarchive's
 * framing, what the members are handed to). Upstream is then called on that thread only, with an
 * archive of its own (for its errors). Returns 0, or -1 when there is no memory or thread for it
 * (it goes on decoding on the reader's thread). */
int ks__gzip_start_ahead(ks_gzip *g);

/* The compressed bytes taken from upstream so far (what the ratio guard compares with); decoding
 * ahead, those behind the bytes handed out. */
uint64_t ks__gzip_bytes_in(const ks_gzip *g);

/* Once ks__gzip_read returned 0 (the end): where in upstream's bytes the last member's trailer ended,
 * so that what follows it (trailing data, which is not gzip) can be read from there; UINT64_MAX before
 * the end or after a failure. */
uint64_t ks__gzip_end(const ks_gzip *g);

/* Once ks__gzip_read failed (where what it gave could not be opened): why, when the bytes were gzip all the same (a
 * whole first header with extra flags and an OS that gzip writes), for the caller to say before it scans them as they
 * are; NULL when it did not fail, or the bytes may be no gzip at all. */
const char *ks__gzip_damaged(const ks_gzip *g);

/* Once ks__gzip_read failed after it gave bytes: where in upstream's bytes those that gave no output begin, for the
 * caller to scan them as they are (damage in a member's deflate data: what follows it, which may be no gzip at all;
 * 0 when it opened on little output, cut short: all of them, which may have been text after a gzip header);
 * UINT64_MAX when there are none. */
uint64_t ks__gzip_damage_at(const ks_gzip *g);

#endif
