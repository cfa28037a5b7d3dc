/* git_pack.h: one pack (.pack with its .idx) mapped read-only: object headers, inflation, random-access reads of
 * any object with its delta chain resolved, and (git_pack_walk.c) every object once, in delta-tree order. */
#ifndef KS_IO_GIT_PACK_H
#define KS_IO_GIT_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "git_idset.h"
#include "git_idx.h"
#include "git_object.h"
#include "keysweep.h"

struct libdeflate_decompressor;
typedef struct ks_git_pack ks_git_pack;

/* What reading needs besides the pack; one per thread (the decompressor is not shared). */
typedef struct ks_git_reader {
    const ks_allocator *alloc;
    struct libdeflate_decompressor *z;
    size_t max_object; /* larger objects (and deltas) are refused with KS_ELIMIT, never allocated */
    /* Finds the base of a REF_DELTA that this pack does not hold (a thin pack's, or a damaged one's):
     * returns 0 with *data (from alloc; the caller frees it), or a KS_E* code with why filled. NULL: none. */
    int (*find_base)(void *ctx, const uint8_t id[KS_GIT_ID_LEN], ks_git_type *type, uint8_t **data, size_t *size,
                     char *why, size_t why_len);
    void *find_ctx;
} ks_git_reader;

/* Sets up r with its own decompressor; returns 0 or KS_ENOMEM. max_object 0 means 1 GiB. */
int ks__git_reader_init(ks_git_reader *r, const ks_allocator *a, size_t max_object);
void ks__git_reader_fini(ks_git_reader *r);

/* Maps pack_path and idx_path, checks the index (ks__git_idx_parse), the pack's header ("PACK", version
 * 2 or 3, the index's object count), that both name the same pack checksum, and that every offset
 * starts a distinct object inside the pack's data. Returns 0 with *out, or KS_EIO/KS_ECORRUPT/KS_ENOMEM
 * with why filled. */
int ks__git_pack_open(const ks_allocator *a, const char *pack_path, const char *idx_path, ks_git_pack **out,
                      char *why, size_t why_len);

/* The same over bytes in memory (which must outlive the pack); name is what problems report as its path. */
int ks__git_pack_open_mem(const ks_allocator *a, const char *name, const uint8_t *idx, size_t idx_len,
                          const uint8_t *pack, size_t pack_len, ks_git_pack **out, char *why, size_t why_len);

void ks__git_pack_close(ks_git_pack *p);

const char *ks__git_pack_path(const ks_git_pack *p);
const uint8_t *ks__git_pack_bytes(const ks_git_pack *p);
const ks_git_idx *ks__git_pack_index(const ks_git_pack *p);

/* Objects in pack order: k-th object's offset, the end of its packed bytes, and its index position. */
uint32_t ks__git_pack_count(const ks_git_pack *p);
uint64_t ks__git_pack_offset_at(const ks_git_pack *p, uint32_t k);
uint64_t ks__git_pack_end_at(const ks_git_pack *p, uint32_t k);
uint32_t ks__git_pack_pos_at(const ks_git_pack *p, uint32_t k);

/* Tells the kernel that the whole pack is about to be read (a walk reads it nearly front to back, the
 * bases of a chain behind it): read ahead. */
void ks__git_pack_will_read_all(const ks_git_pack *p);

/* The pack-order number of the object starting at offset: 1 with *k, or 0 when none starts there. */
int ks__git_pack_k_of(const ks_git_pack *p, uint64_t offset, uint32_t *k);

/* An object's header as stored. */
typedef struct ks_git_pack_hdr {
    ks_git_type type;       /* as stored: OFS_DELTA and REF_DELTA included */
    uint64_t size;          /* inflated size: the object's, or for a delta the delta's */
    uint64_t data;          /* offset of its zlib stream */
    uint64_t base_offset;   /* OFS_DELTA: the base's offset (checked to be before this object) */
    const uint8_t *base_id; /* REF_DELTA: the base's id */
} ks_git_pack_hdr;

/* Reads the header of the object at offset, whose packed bytes end at end; returns 0, or KS_ECORRUPT
 * with *why set to a static reason. */
int ks__git_pack_header(const ks_git_pack *p, uint64_t offset, uint64_t end, ks_git_pack_hdr *h, const char **why);

/* Inflates the object (or delta) h describes, whose zlib stream lies before end, into a new buffer of
 * exactly h->size bytes (*out, from r->alloc). Returns 0, KS_ELIMIT (over r->max_object), KS_ENOMEM, or
 * KS_ECORRUPT with why filled. */
int ks__git_pack_inflate(const ks_git_pack *p, ks_git_reader *r, const ks_git_pack_hdr *h, uint64_t end,
                         uint8_t **out, char *why, size_t why_len);

/* Inflates the delta h describes (its zlib stream before end) and applies it to base (base_len bytes): the
 * result in *out (from r->alloc) and *out_len. Returns 0, KS_ELIMIT, KS_ENOMEM or KS_ECORRUPT with why filled. */
int ks__git_pack_apply_delta(const ks_git_pack *p, ks_git_reader *r, const ks_git_pack_hdr *h, uint64_t end,
                             const uint8_t *base, size_t base_len, uint8_t **out, size_t *out_len, char *why,
                             size_t why_len);

/* The object at offset with its delta chain resolved (iteratively; a chain longer than the pack's object
 * count is a cycle, reported as corrupt): its real type, and its bytes in *data (from r->alloc, which the
 * caller frees). Bases outside the pack come from r->find_base. Returns 0 or a KS_E* code with why filled. */
int ks__git_pack_read(ks_git_pack *p, ks_git_reader *r, uint64_t offset, ks_git_type *type, uint8_t **data,
                      size_t *size, char *why, size_t why_len);

/* What a walk hands out and how. */
typedef struct ks_git_walk_options {
    unsigned types;       /* KS_GIT_TYPE_BIT()s of the types to hand out; the rest are skipped without inflating */
    size_t base_budget;   /* bytes of delta bases held while their deltas are resolved (0: 64 MiB) */
    int verify;           /* check each packed object's CRC-32 and each handed-out object's id */
    ks_git_idset *seen;   /* ids handed out before (skipped) and now (added); NULL: no deduplication */
    int (*on_object)(const ks_git_object *o, void *ctx);      /* nonzero stops the walk */
    void (*on_problem)(const ks_git_problem *pr, void *ctx);  /* may be NULL */
    void *ctx;
    const ks_git_idset *want; /* only these ids are handed out (the others only resolved as bases); NULL: all */
    /* Threads resolving the pack's delta trees at once (0 or 1: the caller's alone). Objects and problems
     * still reach the callbacks on the caller's thread, in the order one thread gives; seen must then be
     * a set several threads may use (ks__git_idset_new_shared). One difference: each lane has its share of
     * base_budget (8 MiB at least) and its own rebuild bound, so on a pack shaped to defeat the budget (see
     * rebuild_top) which objects are reported over that bound depends on the lanes. */
    unsigned lanes;
    uint64_t group_bytes; /* lanes: roots cut into groups of about this many packed bytes (0: chosen from the pack) */
} ks_git_walk_options;

/* Hands out every object of the pack whose type is asked for, each delta chain resolved once: the pack
 * is walked as a forest of delta trees (roots in pack order), a base's bytes held while its deltas are
 * resolved, within base_budget (bases over it are dropped and rebuilt when next needed). An object
 * that cannot be read is reported through on_problem, counted, and the walk goes on; objects whose
 * delta base cannot be read, or that form a cycle, are reported once each at the end. Memory: the
 * pack-order tables (about 17 bytes an object), base_budget, and a few objects up to r->max_object.
 * Returns 0, KS_ETERMINATED (on_object stopped it) or KS_ENOMEM; c (may be NULL) is added to. */
int ks__git_pack_walk(ks_git_pack *p, ks_git_reader *r, const ks_git_walk_options *o, ks_git_counts *c);

#endif
