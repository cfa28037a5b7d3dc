/* engine_int.h: the compiled engine: rules with their confirm regexes and validators, the Vectorscan database (engine.c). */
#ifndef KS_CORE_ENGINE_INT_H
#define KS_CORE_ENGINE_INT_H

#include <hs/hs.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"
#include "rules_int.h"
#include "validators.h"

typedef struct ks_erule {
    ks_rule rule;
    unsigned max_width;
    ks_validator validator;
    _Atomic int secret_group;    /* set before `confirm` is published */
    int priority;                /* confidence: low 1, medium 2, high 3; a finding shadows a lower one */
    int yields;                  /* a generic rule: silent where a provider rule matched the same secret */
    int in_path_db;              /* searched in the path database (ks_engine.path_db), not the main one */
    const char *severity;        /* ks__rule_severity, static */
    _Atomic(pcre2_code *) confirm; /* compiled on first use, shared by all threads */
} ks_erule;

struct ks_engine {
    ks_allocator alloc;          /* the caller's hook, copied; only valid when `a` points at it */
    const ks_allocator *a;       /* what every allocation of the engine and its objects goes through; NULL: libc */
    pcre2_general_context *gctx; /* PCRE2 objects through `a` (NULL with libc) */
    pcre2_compile_context *cctx; /* confirm regexes compiled with gctx's memory functions */
    int db_placed;               /* the database lives in memory from `a` (free it, not hs_free_database) */
    ks_erule *rules;
    size_t n_rules;
    hs_database_t *db;
    /* The rules with a path condition (`path:`), in a database of their own that is searched only in objects
     * whose path one of them accepts, or whose path is unknown: a rule whose evidence is the file name (.pgpass)
     * may then have no literal without slowing every other file. NULL when there are none (or nothing else). */
    hs_database_t *path_db;
    int path_db_placed;
    size_t *path_rules;          /* their indices */
    size_t n_path_rules;
    size_t db_bytes;
    size_t max_width;
    unsigned decode_depth;       /* levels of decoding (decode.h); 0: off */
    size_t decode_window;        /* encoded bytes of a base64 or hex run that are decoded */
    size_t reach;                /* max_width, or decode_window when larger: context every region holds */
    uint32_t max_capture;        /* largest capture count, sizes per-scanner match data */
    unsigned flags;
    int from_cache;
    ks_known_keys known;         /* digests of published test material, from the rule set (engine's allocator) */
    unsigned char allow_shift[256]; /* the allow markers' search table (ks__allow_shift_init) */
};

/* The allow markers are searched for with a window of the shortest one's length (keysweep.h's markers). */
#define KS_ALLOW_SKIP_WINDOW (sizeof KS_ALLOW_MARKER - 1)
/* Fills the allow-marker search's skip table (scan.c), once per engine. */
void ks__allow_shift_init(unsigned char shift[256]);

/* 1 when the path database is to be searched in an object with this path (NULL: unknown); md: the caller's. */
int ks__engine_path_pass(const ks_engine *e, const char *path, pcre2_match_data *md);

/* The engine's allocator, for its scanners, streams and pipelines (NULL: libc). */
static inline const ks_allocator *ks__engine_alloc(const ks_engine *e) { return e->a; }

/* Returns the confirm regex of rule i, compiling it on first use; NULL on failure. */
pcre2_code *ks__engine_confirm(const ks_engine *e, size_t i);

#endif
