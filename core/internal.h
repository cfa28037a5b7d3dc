/* internal.h: core's private structures and ks__ helpers (rules, engine, scanner, filter, validators); never installed. */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

#include "alloc.h"
#include "compiler.h"
#include "hash.h"
#include "strvec.h"

/* The widest match a rule may have: chunk overlap equals the widest rule, so keep it sane. */
#define KS_MAX_RULE_WIDTH 16384u
/* Limits that keep a hostile rule file from taking minutes and gigabytes to compile. */
#define KS_MAX_PATTERN_LEN 65536u
#define KS_MAX_RULES 50000u

/* ---- diagnostics (error.c) ---- */
void ks__diag_emit(ks_diag_fn fn, void *ctx, int code, const char *file, unsigned long line,
                   const char *rule_id, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* ---- rules (rules.c) ---- */
typedef struct ks_rule {
    char *id;
    char *name;
    char *pattern;
    char *description;
    char *confidence;
    char *validate;
    char *source;
    unsigned long line;
    double min_entropy;
    ks_strvec examples, negative_examples, references, categories, keywords;
    struct ks_cond *cond; /* conditions imported from Gitleaks (shared, immutable); NULL for YAML rules */
} ks_rule;

struct ks_rules {
    ks_rule *items;
    size_t n, cap;
};

void ks__rule_free(ks_rule *r);
int ks__rule_copy(ks_rule *dst, const ks_rule *src);
void ks__rule_info(const ks_rule *r, ks_rule_info *info);
/* Appends `n` rules, moving them in (the caller's array is left empty); all-or-nothing. */
int ks__rules_append(ks_rules *rules, ks_rule *add, size_t n, ks_diag_fn on_error, void *ctx);

/* ---- conditions imported from Gitleaks configurations (filter.c) ----
 * Gitleaks rules may apply only to some paths and carry allowlists that exempt reviewed findings.
 * Path-free checks run in scan.c on every confirmed match; path checks run where the path is known
 * (ks_engine_path_allows, called by the CLI). Both objects are immutable once built and shared by
 * reference between rule copies (a global allowlist serves every rule of its file). */
enum { KS_ALLOW_SECRET, KS_ALLOW_MATCH, KS_ALLOW_LINE }; /* what `regexes` are matched against */
typedef struct ks_allow {
    _Atomic size_t refs;
    int all;             /* condition = "AND": every criterion the list has must hold; else any one */
    int target;          /* KS_ALLOW_* (Gitleaks' regexTarget) */
    int has_commits;     /* commits cannot be checked on files: an AND list with them never holds */
    size_t n_regexes, n_paths;
    pcre2_code **regexes, **paths;
    ks_strvec stopwords; /* lowercase; a secret that contains one, ignoring case, is exempt */
} ks_allow;
typedef struct ks_cond {
    _Atomic size_t refs;
    pcre2_code *path;    /* the rule reports only in files whose path matches; NULL: everywhere */
    ks_allow **allows;   /* each holds a reference */
    size_t n_allows;
} ks_cond;
ks_allow *ks__allow_ref(ks_allow *a);
void ks__allow_unref(ks_allow *a);
ks_cond *ks__cond_ref(ks_cond *c);
void ks__cond_unref(ks_cond *c);

/* ---- validators (validators.c) ---- */
typedef int (*ks_validator_fn)(const unsigned char *secret, size_t len, long arg);
typedef struct ks_validator {
    ks_validator_fn fn; /* NULL when the rule has none */
    long arg;
    const char *name;   /* canonical name reported in findings */
} ks_validator;
/* Resolves a `validate:` value; returns 0 or KS_ERULE for an unknown name. */
int ks__validator_lookup(const char *spec, ks_validator *out);
double ks__shannon_entropy(const unsigned char *s, size_t len);

/* ---- built-in rule data (generated: builtin_rules.c) ---- */
typedef struct ks_builtin_file {
    const char *name;
    const char *data;
    size_t len;
} ks_builtin_file;
extern const ks_builtin_file ks__builtin_files[];
extern const size_t ks__builtin_file_count;

/* ---- engine (engine.c) ---- */
typedef struct ks_erule {
    ks_rule rule;
    unsigned max_width;
    ks_validator validator;
    _Atomic int secret_group;    /* set before `confirm` is published */
    int priority;                /* confidence: low 1, medium 2, high 3; a finding shadows a lower one */
    _Atomic(pcre2_code *) confirm; /* compiled on first use, shared by all threads */
} ks_erule;

struct ks_engine {
    ks_erule *rules;
    size_t n_rules;
    hs_database_t *db;
    size_t db_bytes;
    size_t max_width;
    uint32_t max_capture;        /* largest capture count, sizes per-scanner match data */
    unsigned flags;
    int from_cache;
};

/* Returns the confirm regex of rule i, compiling it on first use; NULL on failure. */
pcre2_code *ks__engine_confirm(const ks_engine *e, size_t i);

/* ---- database cache (db_cache.c) ---- */
typedef struct ks_cache_key {
    uint64_t h[2];
} ks_cache_key;
void ks__cache_key(const ks_erule *rules, size_t n, ks_cache_key *key);
/* Loads a cached database and the per-rule widths; returns 0 or a negative code (never fatal). */
int ks__cache_load(const char *dir, const ks_cache_key *key, size_t n_rules, unsigned *widths,
                   hs_database_t **db);
/* Stores a database and widths; failures are ignored by callers. */
int ks__cache_store(const char *dir, const ks_cache_key *key, size_t n_rules, const unsigned *widths,
                    const hs_database_t *db);

/* ---- scanning (scan.c) ---- */
typedef struct ks_cand {
    size_t start;  /* offsets relative to the region buffer */
    size_t end;
    size_t sstart, send; /* the secret */
    uint32_t rule;
    int owned; /* starts in the owned range; others, just right of it, only shadow (scan.c) */
} ks_cand;

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
     * finding are looked at for the keysweep:allow marker. */
    const unsigned char *mem;
    size_t mem_len;
    uint64_t mem_base;
    const char *path; /* the object's path: path conditions are applied when known */
} ks_region;

int ks__scan_region(ks_scanner *s, const ks_region *r, ks_lines *lines, ks_match_fn cb, void *ctx);
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

/* 1 when an imported allowlist exempts candidate c of region rg without knowing the path (filter.c). */
int ks__cond_drops(const ks_cond *cond, ks_scanner *s, const ks_region *rg, const ks_cand *c);

/* Bytes the stream's buffer holds allocated (tests check that memory stays bounded). */
size_t ks__stream_capacity(const ks_stream *st);

#endif
