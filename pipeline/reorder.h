/* reorder.h: the writer's reorderer: findings and chunk completions arrive in any order, and leave in file order with
 * exact lines and columns; a pure, single-threaded object (no locks, no I/O), unit-tested on its own. */
#ifndef KS_PIPELINE_REORDER_H
#define KS_PIPELINE_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

/* KS_REC_NOTE never reaches the reorderer: the writer reports it at once (a member skipped, a
 * container stopped). */
typedef enum ks_rec_kind { KS_REC_FINDING, KS_REC_CHUNK_DONE, KS_REC_NOTE } ks_rec_kind;

/* What a worker sends the writer about one chunk of one file: a finding, with its line counted
 * from the chunk's owned start, or the chunk's completion with its newline count. */
typedef struct ks_rec {
    ks_rec_kind kind;
    void *file;           /* the caller's per-file record: handed back to the sink */
    uint32_t chunk;
    struct ks_rec *next;  /* the reorderer's pending list */
    /* KS_REC_FINDING */
    uint32_t rule;
    int near_miss, allowed, known_test_key;
    const char *validator;
    const char *near_miss_reason; /* engine-owned or static, as ks_match's */
    uint64_t start, end, secret_start, secret_end;
    uint64_t nl_before;   /* newlines between the chunk's owned start and the match */
    uint64_t column;      /* exact when nl_before > 0, the chunk starts the file, or in stream mode */
    size_t match_len, secret_off, secret_len;
    /* A finding inside a container's member or decoded text: line and column are exact already;
     * a member's chain (NUL-terminated, object_len bytes without it) follows the match. */
    int in_member;
    int has_object;       /* the chain follows the match (a container's member) */
    size_t object_len;
    const char *decoder;  /* what decoded the bytes ("utf16le", "base64,hex"): in the record, after
                           * the match and the chain; NULL for none */
    /* KS_REC_NOTE: whether it stops the file (fatal); match[] holds the chain, a NUL, the text */
    int fatal;
    /* KS_REC_CHUNK_DONE */
    uint64_t newlines;    /* newlines in the chunk's owned range */
    uint64_t last_nl_end; /* absolute offset just past its last newline (0: none) */
    uint64_t bytes;       /* bytes scanned */
    int err;              /* 0, or a positive errno */
    /* chunk 0 of a container: it was scanned as its members (so the raw bytes of its other
     * chunks are not reported), how many containers it held and members it had */
    int container;
    uint64_t containers, members;
    unsigned char match[]; /* KS_REC_FINDING: the match's bytes */
} ks_rec;

/* The writer's state of one file, kept inside the caller's per-file record. */
typedef struct ks_order {
    const ks_allocator *a; /* frees the records it is given and its own arrays (NULL: libc) */
    uint32_t n_chunks;
    int stream_mode;      /* lines and columns arrive absolute already */
    uint32_t next_emit;   /* the first chunk not yet emitted */
    uint64_t nl_prefix;   /* newlines before chunk next_emit */
    uint64_t last_nl_end;
    uint64_t bytes;
    int err;
    int untracked;        /* no memory for the chunk tables: findings are dropped, the file fails */
    int container;        /* chunk 0 said the file is a container: raw findings of the rest go */
    ks_rec **pending, **tails, **done; /* per chunk: findings in start order, and its completion */
} ks_order;

/* Where what became certain goes. */
typedef struct ks_order_sink {
    /* One finding of `file`, in file order, with its exact 1-based line and byte column. */
    void (*finding)(void *ctx, void *file, const ks_rec *r, uint64_t line, uint64_t column);
    /* Every chunk of `file` has reported: bytes scanned and the first error (ENOMEM when the
     * reorderer itself ran out). Called once, last; the caller may free the file in it. */
    void (*file_done)(void *ctx, void *file, uint64_t bytes, int err);
} ks_order_sink;

/* Sets up the state of a file of n_chunks chunks (>= 1). */
void ks__order_init(ks_order *o, const ks_allocator *a, uint32_t n_chunks, int stream_mode);

/* Takes one record of o's file (r->file), and frees it; calls the sink for every finding and the
 * completion that became certain. The records of one chunk come in the order its worker made them:
 * its findings by start, then its completion; chunks may interleave in any order. After
 * file_done, o is not touched again. */
void ks__order_take(ks_order *o, ks_rec *r, const ks_order_sink *sink, void *ctx);

/* Frees o's tables and the records they still hold (a file abandoned before completion). */
void ks__order_free(ks_order *o);

#endif
