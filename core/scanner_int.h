/* scanner_int.h: the per-thread scanner and the region scan every caller (ks_scan, streams, the pipeline) goes through (scanner.c, scan.c, lines.c, stream.c). */
#ifndef KS_CORE_SCANNER_INT_H
#define KS_CORE_SCANNER_INT_H

#include <hs/hs.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "engine_int.h"
#include "filter.h"
#include "keysweep.h"

typedef struct ks_cand {
    size_t start;  /* offsets relative to the region buffer */
    size_t end;
    size_t sstart, send; /* the secret */
    uint32_t rule;
    int owned; /* starts in the owned range; others, just right of it, only shadow (scan.c) */
} ks_cand;

/* A finding in decoded bytes, held until the region reports it in order (scan_decoded.c). Offsets
 * are region-buffer-relative and point at the encoded bytes; the match is copied to the scanner's
 * dbytes because the decoded buffer it was found in is reused. */
typedef struct ks_dfound {
    size_t start, end, sstart;
    size_t moff, mlen, soff, slen; /* match in dbytes; secret within the match */
    uint32_t rule;
    uint8_t ok;
    uint8_t owned; /* 0: just past the owned range, kept only to shadow (scan.c) */
    uint8_t n_chain;
    uint8_t chain[KS_MAX_DECODE_DEPTH];
} ks_dfound;

/* Escapes close together: where the first and the last begin, and their kinds (1 << ks_decoder).
 * Escapes join a cluster when they begin within 2 * KS_DEC_ESC_CONTEXT bytes of its last one and
 * in the same KS_DEC_ESC_BLOCK of the object, so that clusters depend on the object alone. */
typedef struct ks_esc_cluster {
    size_t first, last;
    unsigned kinds;
} ks_esc_cluster;

/* Adds an escape of kind k beginning at `at` to the scanner's clusters; 0 or KS_ENOMEM. */
struct ks_scanner;
int ks__esc_add(struct ks_scanner *s, size_t at, unsigned k);

/* Line accounting carried across regions of one object. */
typedef struct ks_lines {
    uint64_t counted_to;   /* absolute offset up to which newlines are counted */
    uint64_t newlines;     /* newlines in [0, counted_to) */
    uint64_t last_nl_end;  /* absolute offset just past the last newline seen (0 if none) */
} ks_lines;

struct ks_scanner {
    const ks_engine *engine;
    hs_scratch_t *scratch;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    ks_cand *cands;
    size_t n_cands, cap_cands;
    int cand_error;
    /* per hs_scan call */
    const unsigned char *region;
    size_t own_begin, own_end;
    size_t cand_shift;     /* added to candidate offsets (the tail pass scans a copy) */
    unsigned char *tail_buf; /* 64-byte end-aligned copy of a region's tail, see scan.c */
    size_t tail_cap;
    size_t region_own_max; /* 0: the default; tests lower it to exercise region edges */
    size_t cand_floor;     /* candidates below belong to an enclosing buffer: never merged with */
    /* Matches of provider rules that start up to a width before the owned range are kept (not owned)
     * so that a generic rule yields to them whichever region owns it (scan.c); off in the tail pass,
     * whose copy lacks left context. */
    int left_shadows;
    const char *path;      /* the region's path (NULL: unknown): provider rules with a path condition shadow only where it holds */
    int path_pass;         /* the region's path lets the path rules' database be searched (ks__engine_path_pass) */
    /* decoding (scan_decoded.c): one buffer per level, and the findings of the region being scanned */
    ks_dspan dec[KS_MAX_DECODE_DEPTH];
    ks_dfound *dfound;
    size_t n_dfound, cap_dfound;
    /* escapes, as the scans find them, in clusters (scan.c adds, scan_decoded.c decodes), level by
     * level, each above the last; trig_base: the buffer's offset in the object (0 below level 0) */
    ks_esc_cluster *trig;
    size_t n_trig, cap_trig;
    uint64_t trig_base;
    unsigned char *dbytes;
    size_t n_dbytes, cap_dbytes;
    atomic_flag busy;
};

/* One region of an object: buf holds bytes [base, base+len) of it; findings starting in
 * [own_begin, own_end) (buffer-relative) are reported. `at_end` tells that buf ends the object. */
typedef struct ks_region {
    const unsigned char *buf;
    size_t len;
    uint64_t base;
    size_t own_begin, own_end;
    int last; /* the object's last region: its newlines need no counting past the last finding */
    /* All of the object the caller holds in memory (a superset of buf), where the lines around a
     * finding are looked at for the allow markers. */
    const unsigned char *mem;
    size_t mem_len;
    uint64_t mem_base;
    const char *path; /* the object's path: path conditions are applied when known */
} ks_region;

int ks__scan_region(ks_scanner *s, const ks_region *r, ks_lines *lines, ks_match_fn cb, void *ctx);
/* Appends the candidates of a whole buffer of decoded bytes (every start owned) to s->cands. */
int ks__scan_whole(ks_scanner *s, const unsigned char *buf, size_t len);
/* Calls fn for each candidate of s->cands [from, to) (sorted by cmp order) that is reported: owned,
 * the longest of its (rule, start), not shadowed by a more confident rule, and valid (ok 1) or a
 * near miss when the engine shows those (ok 0). A non-zero return from fn stops and is returned. */
typedef int (*ks_accept_fn)(ks_scanner *s, const unsigned char *buf, const ks_cand *c, int ok, void *ctx);
int ks__resolve(ks_scanner *s, const unsigned char *buf, size_t from, size_t to, ks_accept_fn fn, void *ctx);
/* Sorts s->cands [from, to) by start, rule and longest end first. */
void ks__sort_cands(ks_scanner *s, size_t from, size_t to);
/* The decoding pass over a region: fills s->dfound with the findings in encoded text whose encoded
 * start the region owns, sorted by start (scan_decoded.c). Returns 0 or KS_ENOMEM / KS_ESCAN. */
int ks__decode_region(ks_scanner *s, const ks_region *rg);
/* Frees the scanner's decoding buffers. */
void ks__decode_free(ks_scanner *s);
/* Bytes a caller that scans an object in pieces keeps on each side of an owned range so that
 * every finding is seen whole, with its right context and its allow window (scan.c). */
size_t ks__overlap(const ks_engine *e);
/* Scans the owned absolute range [own_from, own_to) of buf (bytes [base, base+len) of the object,
 * which ends at buf+len or continues past it) region by region. */
int ks__scan_owned(ks_scanner *s, const unsigned char *buf, size_t len, uint64_t base, uint64_t own_from,
                   uint64_t own_to, int last, const char *path, ks_lines *lines, ks_match_fn cb, void *ctx);
/* opts->path when opts has that field set, else NULL (older, shorter ks_scan_opts are accepted). */
const char *ks__scan_opts_path(const ks_scan_opts *opts);
/* Counts newlines in [from, to) of a buffer and updates *lines (from is absolute = lines->counted_to). */
void ks__lines_advance(ks_lines *lines, const unsigned char *buf, uint64_t buf_base, uint64_t to);
int ks__scanner_acquire(ks_scanner *s);
void ks__scanner_release(ks_scanner *s);

/* 1 when rule condition c has no path regex, the path is unknown (NULL), or it matches the path (filter.c). */
int ks__cond_path_holds(const ks_cond *c, const char *path, pcre2_match_data *md);
/* 1 when an imported allowlist exempts candidate c of region rg without knowing the path (filter.c). */
int ks__cond_drops(const ks_cond *cond, ks_scanner *s, const ks_region *rg, const ks_cand *c);

/* Bytes the stream's buffer holds allocated (tests check that memory stays bounded). */
size_t ks__stream_capacity(const ks_stream *st);
/* Appends n zero bytes (a sparse member's hole) as ks_stream_write would, findings and their lines and columns the
 * same, but passes over those more than two overlaps from either end without scanning them: a hole of any size costs
 * what four overlaps of zeros do. Returns 0 or a KS_E* code. */
int ks__stream_zeros(ks_stream *st, ks_scanner *sc, uint64_t n);

#endif
