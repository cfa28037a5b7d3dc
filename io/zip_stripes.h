/* zip_stripes.h: a zip file's members decompressed on several threads at once, each reading the zip through a handle
 * of its own and taking every Nth member (a zip's members are independent: its central directory says where each
 * begins), their bytes handed to one reader in archive order. */
#ifndef KS_IO_ZIP_STRIPES_H
#define KS_IO_ZIP_STRIPES_H

#include <stdint.h>

#include <archive.h>
#include <archive_entry.h>

/* At most this many threads decompress one zip. */
#define KS_STRIPES_MAX 8u

typedef struct ks_stripes ks_stripes;

/* Whether the member at entry `e` of `a` has bytes to read: a regular file (or one whose type is 0, as
 * some writers leave it), not encrypted. The striping threads and the reader decide alike with it. */
int ks__zip_member_has_data(struct archive *a, struct archive_entry *e);

/* Starts `threads` (2 to KS_STRIPES_MAX) threads decompressing the zip of `size` bytes that begins `base`
 * bytes into `fd` (after a lead: read with pread, never moved), which libarchive must read by its central
 * directory (each thread skips the members it does not take, and only then are the entries the same whatever
 * was skipped); NULL when there is no memory or thread for them (then read it as usual). */
ks_stripes *ks__stripes_start(int fd, uint64_t base, uint64_t size, unsigned threads);

/* 1 when a thread's read of the file failed (an I/O error, which the member it read says as its failure); 0 when
 * none did, or s is NULL. */
int ks__stripes_read_failed(ks_stripes *s);

/* The next bytes of member `index` (its place among the zip's entries, counting every entry, from 0),
 * whose bytes the caller reads in order, members in increasing order (bytes of members it left
 * unfinished are dropped): how many (*out valid until the next call), 0 at its end, or -1 with a's
 * error set (the member is corrupt or cut short). *warning is libarchive's warning on those bytes (a CRC
 * that does not match: the bytes are whole), valid as *out is, or NULL. *in is the position in the zip of the
 * handle that decompressed them once it had (libarchive's archive_filter_bytes: what the ratio guard compares
 * with, as for a zip read without threads), set with every return but one at a member's end. */
la_ssize_t ks__stripes_next(ks_stripes *s, struct archive *a, uint64_t index, const void **out, const char **warning,
                            uint64_t *in);

/* Stops the threads and frees everything; NULL is ignored. */
void ks__stripes_stop(ks_stripes *s);

#endif
