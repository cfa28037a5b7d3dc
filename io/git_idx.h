/* git_idx.h: a pack's .idx (version 2) read in place: every bound checked when it is parsed, then id -> offset lookups. */
#ifndef KS_IO_GIT_IDX_H
#define KS_IO_GIT_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "git_object.h"

/* Pointers into the caller's bytes, which must outlive it. */
typedef struct ks_git_idx {
    uint32_t n;              /* objects */
    const uint8_t *ids;      /* n sorted ids */
    const uint8_t *crcs;     /* n big-endian CRC-32s of the packed objects */
    const uint8_t *off32;    /* n big-endian 31-bit offsets, or (MSB set) indexes into off64 */
    const uint8_t *off64;    /* n64 big-endian 64-bit offsets */
    uint32_t n64;
    const uint8_t *pack_sum; /* the SHA-1 the pack ends with, as the index records it */
} ks_git_idx;

/* Parses len bytes of an index: magic and version 2, a fanout that never decreases and matches the
 * ids, ids strictly ascending, tables that fit the size exactly, and every large-offset reference in
 * range. Returns 0, or KS_ECORRUPT with why (why_len bytes) saying what is wrong. The offsets are
 * not checked against the pack here (ks__git_pack_open does). */
int ks__git_idx_parse(ks_git_idx *x, const uint8_t *data, size_t len, char *why, size_t why_len);

/* The pack offset of the object at position i (< n). */
uint64_t ks__git_idx_offset(const ks_git_idx *x, uint32_t i);

/* The CRC-32 recorded for the object at position i (< n). */
uint32_t ks__git_idx_crc(const ks_git_idx *x, uint32_t i);

/* The id at position i (< n). */
static inline const uint8_t *ks__git_idx_id(const ks_git_idx *x, uint32_t i)
{
    return x->ids + (size_t)i * KS_GIT_ID_LEN;
}

/* Finds id: returns 1 with *pos set, or 0 when the index does not hold it. */
int ks__git_idx_find(const ks_git_idx *x, const uint8_t id[KS_GIT_ID_LEN], uint32_t *pos);

#endif
