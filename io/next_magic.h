/* next_magic.h: after damage in a stream of frames, where the next frame's magic is, upstream read on a piece at a
 * time to find it (a magic split between pieces too), so that the frames after the damage are read. */
#ifndef KS_IO_NEXT_MAGIC_H
#define KS_IO_NEXT_MAGIC_H

#include <stddef.h>
#include <stdint.h>

#include <archive.h>

#define KS_MAGIC_MAX 8 /* the longest magic looked for */

/* Where `magic` (m bytes, 2 to KS_MAGIC_MAX) next begins in a source: looked for from p[0..n) (the rest of upstream's
 * last piece, at `at` in the source) on, then in the pieces `up` hands out (unless `up_eof`). Its offset, with its
 * first *held_n bytes copied to `held` when a piece before the one it ends in held them; UINT64_MAX when none follows
 * (or upstream failed, which the caller meets when it reads on). */
uint64_t ks__next_magic(const unsigned char *magic, size_t m, archive_read_callback *up, void *up_data,
                        struct archive *a, int up_eof, const unsigned char *p, size_t n, uint64_t at,
                        unsigned char held[KS_MAGIC_MAX], size_t *held_n);

#endif
