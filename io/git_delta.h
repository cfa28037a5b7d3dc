/* git_delta.h: git's delta format (a base's size, the result's size, then copy and insert ops) applied with every bound checked. */
#ifndef KS_IO_GIT_DELTA_H
#define KS_IO_GIT_DELTA_H

#include <stddef.h>
#include <stdint.h>

/* Reads the two sizes a delta of len bytes starts with; returns 0, or -1 when they are cut short or
 * do not fit 64 bits. */
int ks__git_delta_sizes(const uint8_t *delta, size_t len, uint64_t *base_size, uint64_t *result_size);

/* Applies delta (len bytes) to base (base_len bytes), writing exactly out_len bytes to out. Returns
 * 0, or -1 with *why set to a static reason: sizes that do not match base_len and out_len, a copy
 * outside the base, an op that would overrun out, the reserved op 0, ops cut short, or a result
 * shorter than announced. Never reads or writes outside the three buffers. */
int ks__git_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta, size_t len, uint8_t *out,
                        size_t out_len, const char **why);

#endif
