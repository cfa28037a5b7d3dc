/* keysweep.h: the public C API of libkeysweep, a secret-scanning engine built on Vectorscan and PCRE2. */
#ifndef KEYSWEEP_H
#define KEYSWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KS_STATIC_DEFINE)
#define KS_API
#elif defined(KS_BUILDING_LIBRARY)
#define KS_API __attribute__((visibility("default")))
#else
#define KS_API
#endif

#define KS_VERSION_MAJOR 0
#define KS_VERSION_MINOR 1
#define KS_VERSION_PATCH 0
#define KS_VERSION_STRING "0.1.0"

/*
 * Error codes. Every function that can fail returns 0 or one of these
 * (negative) values; numbers are append-only and never reused.
 */
#define KS_ERRORS(X)                                                            \
    X(KS_EINVAL, -1, "invalid argument")                                        \
    X(KS_ENOMEM, -2, "out of memory")                                           \
    X(KS_EIO, -3, "input/output error")                                         \
    X(KS_EPARSE, -4, "rule file could not be parsed")                           \
    X(KS_ERULE, -5, "invalid rule")                                             \
    X(KS_EDUPLICATE, -6, "duplicate rule id")                                   \
    X(KS_ECOMPILE, -7, "pattern failed to compile")                             \
    X(KS_EUNBOUNDED, -8, "pattern match width is unbounded or too large")       \
    X(KS_ETERMINATED, -9, "scan stopped by the callback")                       \
    X(KS_ESCAN, -10, "Vectorscan scan failed")                                  \
    X(KS_ECPU, -11, "CPU lacks the instructions Vectorscan needs (SSSE3)")      \
    X(KS_ENORULES, -12, "no rules to compile")                                  \
    X(KS_ESTATE, -13, "object used in the wrong state")                         \
    X(KS_ESCRATCH_BUSY, -14, "scanner already in use by another scan")                 \
    X(KS_ELIMIT, -15, "a container budget ran out: the rest of the object was not scanned") \
    X(KS_ECORRUPT, -16, "a container is corrupt or truncated: on_problem said where, and what was not scanned")

enum ks_error {
#define KS__ERR_ENUM(name, value, text) name = value,
    KS_ERRORS(KS__ERR_ENUM)
#undef KS__ERR_ENUM
};

/* Returns a static, human-readable description of a KS_E* code (or "unknown error"). */
KS_API const char *ks_strerror(int code);

/* Returns the static symbolic name of a KS_E* code, e.g. "KS_EINVAL" (or "KS_E?"). */
KS_API const char *ks_errname(int code);

/* Returns keysweep's version string, e.g. "0.1.0". */
KS_API const char *ks_version(void);

/* Returns the version string of the Vectorscan library keysweep runs against. */
KS_API const char *ks_vectorscan_version(void);

/* Returns 0 when this CPU can run Vectorscan, KS_ECPU otherwise. */
KS_API int ks_check_cpu(void);

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

/*
 * One error about one rule or rule file. `file` and `rule_id` are empty
 * when unknown; `line` is 1-based (0 when unknown). `text` holds the whole
 * message ready to print: "FILE:LINE: rule ID: MESSAGE". `code` 0 marks a
 * note rather than an error (e.g. how many rules a Gitleaks import loaded).
 */
typedef struct ks_diag {
    int code;
    unsigned long line;
    char file[512];
    char rule_id[128];
    char message[512];
    char text[1280];
} ks_diag;

/* Receives every error found while loading or compiling rules; the pointer is valid only during the call. */
typedef void (*ks_diag_fn)(const ks_diag *diag, void *ctx);

/* ------------------------------------------------------------------ */
/* Rule sets                                                           */
/* ------------------------------------------------------------------ */

typedef struct ks_rules ks_rules;

/* Creates an empty rule set in *out; returns 0, or KS_EINVAL/KS_ENOMEM with *out set to NULL. */
KS_API int ks_rules_create(ks_rules **out);

/* Frees a rule set; NULL is a no-op. Engines built from it stay valid. */
KS_API void ks_rules_destroy(ks_rules *rules);

/*
 * Adds the built-in rule pack embedded in the library.
 * Returns 0, KS_EDUPLICATE if an id is already present, or KS_ENOMEM; on error nothing is added.
 */
KS_API int ks_rules_load_builtin(ks_rules *rules, ks_diag_fn on_error, void *ctx);

/*
 * Parses rules from YAML text (a top-level `rules:` list, keysweep or Nosey Parker format).
 * `source` names the text in diagnostics (may be NULL). Every problem found is passed to
 * on_error (may be NULL); returns 0 or the first error's code, and on error adds nothing.
 * Vectorscan-specific checks (supported syntax, bounded width) happen in ks_engine_create.
 */
KS_API int ks_rules_load_yaml(ks_rules *rules, const char *text, size_t len, const char *source,
                              ks_diag_fn on_error, void *ctx);

/*
 * Loads a YAML rule file, or every *.yml / *.yaml file of a directory (sorted by name, not
 * recursive). All-or-nothing like ks_rules_load_yaml; KS_EIO when a path cannot be read.
 * A file whose name ends in .toml is a Gitleaks configuration: see ks_rules_load_gitleaks.
 */
KS_API int ks_rules_load_path(ks_rules *rules, const char *path, ks_diag_fn on_error, void *ctx);

/*
 * Imports the rules of a Gitleaks (or Betterleaks) TOML configuration: `[[rules]]` with id,
 * description, regex, secretGroup, entropy, keywords, tags and path, and the allowlists of each
 * rule and of the file. Unlike YAML this is rule by rule: a rule keysweep cannot run (Vectorscan
 * rejects its regex, its width stays unbounded, it matches paths only, its id is taken...) is
 * passed to on_error with its id and the reason, and the others load; a note (code 0) then
 * counts them. Malformed TOML adds nothing (KS_EPARSE, with the line). Returns 0 when at least
 * one rule loaded, else the first error's code. detectors/README.md details the mapping.
 */
KS_API int ks_rules_load_gitleaks(ks_rules *rules, const char *text, size_t len, const char *source,
                                  ks_diag_fn on_error, void *ctx);

/* Returns the number of rules in the set (0 for NULL). */
KS_API size_t ks_rules_count(const ks_rules *rules);

/* A read-only view of one rule; pointers stay valid while the owning set or engine lives. Set
 * `size` to sizeof(ks_rule_info) (or 0) before asking: fields are only ever appended, and the
 * library fills no more than the caller's struct holds. */
typedef struct ks_rule_info {
    size_t size;
    const char *id;
    const char *name;
    const char *pattern;
    const char *description;  /* "" when absent */
    const char *confidence;   /* "low", "medium" or "high" */
    const char *validate;     /* validator name, "" when none */
    double min_entropy;       /* 0 when none */
    const char *source;       /* file the rule came from */
    unsigned long line;       /* line of the rule in that file */
    size_t n_examples;
    const char *const *examples;
    size_t n_negative_examples;
    const char *const *negative_examples;
    size_t n_references;
    const char *const *references;
    size_t n_categories;
    const char *const *categories;
    size_t n_keywords;
    const char *const *keywords;
    /* "critical", "high", "medium" or "low": the rule's `severity`, else derived (detectors/README.md) */
    const char *severity;
    /* The rule's path condition (a PCRE2 regex: it reports only in objects whose path matches), "" when none */
    const char *path;
    /* The equivalent rule of peers, named so that their reports' consumers recognise it (detectors/README.md):
     * Gitleaks' rule id ("" when none), TruffleHog's detector name ("" when none) and its DetectorType number
     * (-1 when none) */
    const char *gitleaks_id;
    const char *trufflehog_detector;
    int trufflehog_type;
    /* What the engine searches for instead of `pattern` ("" when it searches for `pattern`): a cheaper
     * expression, anchored on a rarer part of the match, that matches wherever `pattern` does and ends where
     * it ends; each of its matches is then confirmed with `pattern` (detectors/README.md) */
    const char *prefilter;
} ks_rule_info;

/* Fills *info for rule `index` of the set; returns 0 or KS_EINVAL when out of range. */
KS_API int ks_rules_get(const ks_rules *rules, size_t index, ks_rule_info *info);

/* ------------------------------------------------------------------ */
/* Engines: compiled, immutable, shareable between threads             */
/* ------------------------------------------------------------------ */

typedef struct ks_engine ks_engine;

/*
 * A memory allocator for one engine and everything made from it: its rule table and confirm
 * regexes, its Vectorscan database, and its scanners, streams and pipelines (PCRE2 match data
 * and JIT stacks included). Two things Vectorscan and PCRE2 do not let a caller place stay with
 * them: Vectorscan's per-scanner scratch (hs_alloc_scratch; keysweep never calls
 * hs_set_allocator, which is process-wide) and PCRE2's JIT machine code (mapped pages). Rule sets
 * (ks_rules) and the Gitleaks allowlists they share with engines use the C library. The functions
 * must be thread-safe (scanners and pipelines run on many threads) and return memory aligned as
 * malloc's; malloc and realloc return NULL on failure, and are never asked for 0 bytes.
 */
typedef struct ks_allocator {
    void *(*malloc)(size_t n, void *ctx);
    void *(*realloc)(void *p, size_t n, void *ctx);
    void (*free)(void *p, void *ctx);
    void *ctx;
} ks_allocator;

/* Engine options; zero-initialise, then set what you need. */
typedef struct ks_engine_options {
    size_t size;           /* sizeof(ks_engine_options), or 0: fields are only ever appended */
    /* Directory for the compiled-database cache, created if needed. NULL: no cache: a library
     * that is not asked never writes to disk (ks_default_cache_dir gives the usual place). */
    const char *cache_dir;
    unsigned flags;
    /* The engine's allocator (copied; ctx must outlive the engine). NULL: the C library's. */
    const ks_allocator *allocator;
    /* Encoded text (base64, hex, percent-encoding, \u and \x escapes, HTML entities) is decoded and
     * scanned again, and what it decodes to in turn, this many levels deep; 0: KS_DEFAULT_DECODE_DEPTH
     * (2), at most KS_MAX_DECODE_DEPTH (4). KS_ENGINE_NO_DECODE turns decoding off. */
    unsigned max_decode_depth;
} ks_engine_options;

#define KS_ENGINE_NO_CACHE 0x1u       /* never read or write the database cache, even with cache_dir */
#define KS_ENGINE_SHOW_NEAR_MISS 0x2u /* report matches that fail their validator, marked as such */
/* A finding on a line that contains an allow marker (any line of a multi-line match; markers are
 * looked for at most KS_ALLOW_WINDOW bytes before and after the match) was reviewed: it is not
 * reported. The markers are keysweep's own KS_ALLOW_MARKER, and the ones Gitleaks and TruffleHog
 * users already wrote, KS_ALLOW_MARKER_GITLEAKS and KS_ALLOW_MARKER_TRUFFLEHOG (exact, lower case).
 * With this flag it is, marked `allowed`, for callers that count them. */
#define KS_ENGINE_REPORT_ALLOWED 0x4u
/* Scan bytes only as they are: no decoding of base64, hex, percent-encoding, escapes or entities. */
#define KS_ENGINE_NO_DECODE 0x8u
/* A secret on the rule set's list of published test material (ks_rules_load_builtin adds it: example
 * keys from providers' documentation, test keys TLS libraries ship) is not reported. With this flag it
 * is, marked `known_test_key`, for callers that count or show them. */
#define KS_ENGINE_REPORT_TEST_KEYS 0x10u
#define KS_DEFAULT_DECODE_DEPTH 2u
#define KS_MAX_DECODE_DEPTH 4u
#define KS_ALLOW_MARKER "keysweep:allow"
#define KS_ALLOW_MARKER_GITLEAKS "gitleaks:allow"
#define KS_ALLOW_MARKER_TRUFFLEHOG "trufflehog:ignore"
#define KS_ALLOW_WINDOW 4096

/*
 * Compiles every rule of `rules` into one Vectorscan database (or loads it from the cache)
 * and stores the engine in *out. `opts` may be NULL. Every rule that Vectorscan rejects,
 * or whose width is unbounded, is reported to on_error with its file, line and id.
 * Returns 0, KS_EINVAL, KS_ENOMEM, KS_ENORULES, KS_ECPU, KS_ECOMPILE or KS_EUNBOUNDED;
 * on error *out is NULL. The engine copies what it needs: `rules` may be destroyed after.
 */
KS_API int ks_engine_create(const ks_rules *rules, const ks_engine_options *opts, ks_engine **out,
                            ks_diag_fn on_error, void *ctx);

/* Writes the usual cache directory, $XDG_CACHE_HOME/keysweep or else ~/.cache/keysweep, into buf
 * (n bytes); returns 0, or KS_EINVAL when neither variable names an absolute path or buf is short. */
KS_API int ks_default_cache_dir(char *buf, size_t n);

/* Frees an engine; NULL is a no-op. All its scanners and streams must be destroyed first. */
KS_API void ks_engine_destroy(ks_engine *engine);

/* Facts about an engine. Set `size` as for ks_rule_info. */
typedef struct ks_engine_stats {
    size_t size;
    size_t n_rules;
    size_t max_width;       /* longest possible match in bytes, over all rules */
    size_t database_bytes;  /* size of the Vectorscan database */
    int from_cache;         /* 1 when the database was loaded from the cache */
    /* Context a finding may need on either side: max_width, or when decoding is on and it is larger,
     * the base64 or hex bytes decoded from the start of a run (4096 at least). Streams and pipelines
     * keep this much (plus KS_ALLOW_WINDOW) around what they cut. */
    size_t reach;
} ks_engine_stats;

/* Fills *stats; returns 0 or KS_EINVAL. */
KS_API int ks_engine_stats_get(const ks_engine *engine, ks_engine_stats *stats);

/* Fills *info for rule `index` of the engine; returns 0 or KS_EINVAL when out of range. */
KS_API int ks_engine_rule(const ks_engine *engine, size_t index, ks_rule_info *info);

struct ks_match;

/*
 * Path conditions: a rule's `path` (YAML or Gitleaks), an imported allowlist's `paths`. Scans see
 * bytes, not names, so a caller that knows the object's path (NULL: none) asks here before it
 * reports a finding `m` of this engine. Returns 1 to report it, 0 when the rule does not apply to
 * that path or an allowlist exempts the finding there. Always 1 for rules without path
 * conditions, and for NULL arguments.
 */
KS_API int ks_engine_path_allows(const ks_engine *engine, const struct ks_match *m, const char *path);

/* ------------------------------------------------------------------ */
/* Findings                                                            */
/* ------------------------------------------------------------------ */

/*
 * One finding. Offsets are absolute byte offsets in the object (base_offset included);
 * `line` and `column` are 1-based, the column counted in bytes. The byte pointers and
 * strings are valid only during the callback.
 */
typedef struct ks_match {
    size_t rule_index;
    const char *rule_id;
    const char *rule_name;
    uint64_t start;
    uint64_t end;               /* one past the last byte */
    uint64_t line;
    uint64_t column;
    const unsigned char *match;
    size_t match_len;
    const unsigned char *secret;
    size_t secret_len;
    uint64_t secret_start;      /* absolute offset of the secret */
    const char *validator;      /* validator that passed ("entropy", "crc32", ...), "" for none */
    int near_miss;              /* 1: failed its validator (only with KS_ENGINE_SHOW_NEAR_MISS) */
    int allowed;                /* 1: its line holds an allow marker (only with KS_ENGINE_REPORT_ALLOWED) */
    /* Inside a container (pipelines): the member's chain in the file, levels separated by '!'
     * ("srv/.env", "inner.zip!deep/creds.txt"); offsets, line and column are then the member's.
     * Bytes after a container's end (a key appended to a .tar, text after a zip) are a member of
     * their own, "[trailing@N]", N the offset of their first non-zero byte in the object holding
     * the container ("app.jar![trailing@4096]"). NULL for the bytes of the object itself. */
    const char *object;
    /* The decoders that made the bytes this finding is in, outermost first, separated by ','
     * ("base64", "utf16le", "base64,percent"; the names: "base64", "hex", "percent", "escape" for
     * \uXXXX and \xXX, "html" for entities, "utf16le", "utf16be"), NULL for none. Then match and
     * secret are the decoded bytes, while start, end and secret_start point at the encoded bytes in
     * the object as it is stored, which line and column locate (for UTF-16 text, which is decoded
     * whole, line and column count its characters). A secret found both as it is and decoded is
     * reported once, as it is. */
    const char *decoder;
    /* The rule's severity: "critical", "high", "medium" or "low" (ks_rule_info.severity). */
    const char *severity;
    /* One past the secret's last byte (absolute). In decoded bytes, the end of the encoded match. */
    uint64_t secret_end;
    /* For a near miss, the check that failed: "entropy" (min_entropy) or the rule's validator as it
     * names it ("github-crc32", "jwt", "pem", "base64:32", "generic"); NULL otherwise. */
    const char *near_miss_reason;
    int known_test_key;         /* 1: published test material (only with KS_ENGINE_REPORT_TEST_KEYS) */
} ks_match;

/* Called once per finding, in increasing start order; return 0 to go on, non-zero to stop the scan. */
typedef int (*ks_match_fn)(const ks_match *match, void *ctx);

/* ------------------------------------------------------------------ */
/* Scanners: one per thread                                            */
/* ------------------------------------------------------------------ */

typedef struct ks_scanner ks_scanner;

/* Creates a scanner (Vectorscan scratch and PCRE2 match data) for `engine`; returns 0, KS_EINVAL or KS_ENOMEM. */
KS_API int ks_scanner_create(const ks_engine *engine, ks_scanner **out);

/* Frees a scanner; NULL is a no-op. */
KS_API void ks_scanner_destroy(ks_scanner *scanner);

/* The engine a scanner was created for (NULL for NULL). */
KS_API const ks_engine *ks_scanner_engine(const ks_scanner *scanner);

/* Options of one scan or stream; NULL means every default. Zero-initialise, then set `size`. */
typedef struct ks_scan_opts {
    size_t size;      /* sizeof(ks_scan_opts), or 0: fields are only ever appended */
    /* The object's path or name. With it the library applies the path conditions of imported
     * rules itself (a Gitleaks rule's `path`, an allowlist's `paths`: see ks_engine_path_allows),
     * so a caller gets exactly the findings the CLI reports for that file. NULL: unknown, and path
     * conditions are not applied. The string is copied by ks_stream_open. */
    const char *path;
} ks_scan_opts;

/*
 * Scans one whole object held in memory (any size, also above 4 GiB) and calls `cb` for
 * each finding, each (rule, start) once with its longest end. Offsets are reported as
 * base_offset + position; lines count from the start of `buf`. `opts` may be NULL.
 * Returns 0, KS_ETERMINATED when cb stopped the scan, KS_EINVAL, KS_ENOMEM, KS_ESCAN
 * or KS_ESCRATCH_BUSY (the scanner is in use by another call).
 */
KS_API int ks_scan(ks_scanner *scanner, const void *buf, size_t len, uint64_t base_offset,
                   const ks_scan_opts *opts, ks_match_fn cb, void *ctx);

/* ------------------------------------------------------------------ */
/* Streams: one object written in arbitrary pieces                     */
/* ------------------------------------------------------------------ */

typedef struct ks_stream ks_stream;

/*
 * Opens a stream for one object of `engine`. A stream holds no scanner: each write and the
 * close take one (of that engine, free at the time of the call), as Vectorscan's hs_scan_stream
 * takes its scratch, so any number of open streams share a few scanners. Findings, offsets and
 * lines equal those of ks_scan over the whole object. Memory stays bounded: an open stream keeps
 * about twice (the engine's reach + KS_ALLOW_WINDOW) bytes between writes (ks_stream_bytes),
 * and a write briefly holds that plus its piece. `opts` may be NULL. Returns 0, KS_EINVAL or
 * KS_ENOMEM.
 */
KS_API int ks_stream_open(const ks_engine *engine, const ks_scan_opts *opts, ks_match_fn cb, void *ctx,
                          ks_stream **out);

/*
 * Appends `len` bytes to the object and reports, on `scanner`, the findings that are now
 * certain. Returns 0, KS_ETERMINATED (the callback stopped it: only close remains), KS_EINVAL
 * (also for a scanner of another engine), KS_ENOMEM, KS_ESCAN or KS_ESCRATCH_BUSY.
 */
KS_API int ks_stream_write(ks_stream *stream, ks_scanner *scanner, const void *data, size_t len);

/*
 * Reports the remaining findings on `scanner`, then frees the stream (also on error). A NULL
 * stream returns KS_EINVAL. Returns 0, KS_ETERMINATED, KS_EINVAL, KS_ENOMEM, KS_ESCAN or
 * KS_ESCRATCH_BUSY (then the stream is freed without reporting the rest).
 */
KS_API int ks_stream_close(ks_stream *stream, ks_scanner *scanner);

/* Bytes an open stream holds allocated (its state, its path and its buffer); 0 for NULL. */
KS_API size_t ks_stream_bytes(const ks_stream *stream);

/* Frees a stream without reporting what is pending; NULL is a no-op. */
KS_API void ks_stream_abort(ks_stream *stream);

/* ------------------------------------------------------------------ */
/* Container streams: a stream that opens archives written into it      */
/* ------------------------------------------------------------------ */

/*
 * A container stream is a ks_stream for objects that may be containers, as an appliance sees them
 * go by: its first 265 bytes (or all of a shorter object) are looked at, and a
 * container (by its magic, as ks_pipeline_opts lists them) is scanned as its members, nested ones
 * opened in turn within the budgets below, each finding with the member's chain in
 * ks_match.object and the member's own offsets and lines: what a pipeline reports for the same
 * bytes in a file (bytes after a container's end included, as "[trailing@N]"). A script ("#!") or a
 * Windows executable ("MZ") is gathered up to its first MiB (or close): a zip whose first local
 * header is there (an executable jar, a self-extracting stub), or a compressed stream or tar that
 * begins one of a script's lines (a makeself installer's payload), is opened from there, the lead
 * before it scanned as the object's own bytes, as a pipeline does with such a file. UTF-16 text, the
 * object or a member, is scanned as its characters, as a pipeline scans it (ks_match.decoder).
 * Anything else is scanned exactly as ks_stream scans it. Libarchive pulls where
 * a stream is pushed, so a container is read on a thread of the stream's own (started with every
 * signal blocked), in lock-step with the caller: it runs only inside ks_container_stream_write and
 * ks_container_stream_close, and every callback comes on the caller's thread, with its scanner.
 */
typedef struct ks_container_stream ks_container_stream;

/* A member skipped (fatal 0: an encrypted one) or the expansion stopped (fatal 1: a budget ran
 * out, a container is corrupt or truncated) at `object` ("" for the object itself); `what` says
 * it in words. The strings live during the call. */
typedef void (*ks_problem_fn)(void *ctx, const char *object, int fatal, const char *what);

/* Container options; zero-initialise, then set what you need. Budgets hold for the object, every
 * nested level together, as ks_pipeline_opts' archive_* fields hold for a file. */
typedef struct ks_container_opts {
    size_t size;             /* sizeof(ks_container_opts), or 0: fields are only ever appended */
    unsigned flags;          /* KS_CONTAINER_* */
    unsigned depth;          /* containers one inside another; 0: KS_DEFAULT_ARCHIVE_DEPTH */
    uint64_t max_output;     /* members' bytes in all; 0: the larger of 1 GiB and 50x the bytes written so far */
    uint64_t max_members;    /* 0: KS_DEFAULT_ARCHIVE_MEMBERS */
    unsigned max_ratio;      /* bytes out per byte written, past 16 MiB out; 0: KS_DEFAULT_ARCHIVE_RATIO */
    ks_problem_fn on_problem; /* may be NULL; called with the stream's ctx */
    /* A 7z archive keeps its index at its end: it is held in memory whole, up to this many bytes,
     * and opened at close (one inside another archive, once its member is read; with the 7z
     * archives it is inside, held at the same time, together); a bigger one is scanned as its
     * bytes (KS_ELIMIT). 0: 64 MiB. */
    size_t max_spool;
} ks_container_opts;

#define KS_CONTAINER_OFF 0x1u           /* open nothing: the stream is a plain ks_stream */
#define KS_CONTAINER_NO_DECOMPRESS 0x2u /* open archives, but not compressed streams (nor .tar.gz) */
#define KS_CONTAINER_NO_UTF16 0x4u      /* scan UTF-16 text (the object, a member) as its bytes, not its characters */

/*
 * Opens a container stream for one object of `engine`; `opts` (its path, which members see as
 * "PATH!MEMBER" for path conditions, or MEMBER alone without one) and `copts` may be NULL.
 * Memory stays bounded whatever is written: a plain object holds what a ks_stream holds; a
 * container holds up to 64 KiB of input not yet handed over, the current member's ks_stream
 * (its bytes gathered up to 256 KiB at a time before they are scanned, so that a small member
 * costs one scan), about 1.5 MiB per nesting level (libarchive's blocks, and what a nested member
 * that may be no container needs kept) and the decompressors' windows that each stream declares;
 * a 7z is held whole, up to max_spool; a script or executable, up to 1 MiB and a zip header (1,058
 * bytes) until its lead is decided. Returns 0, KS_EINVAL or KS_ENOMEM.
 */
KS_API int ks_container_stream_open(const ks_engine *engine, const ks_scan_opts *opts, const ks_container_opts *copts,
                                    ks_match_fn cb, void *ctx, ks_container_stream **out);

/*
 * Appends `len` bytes and reports, on `scanner`, the findings that are now certain. Bytes after the
 * end of a container, or after a budget stopped it, are taken and not scanned. Returns 0,
 * KS_ETERMINATED (the callback stopped it), KS_EINVAL (also a scanner of another engine),
 * KS_ENOMEM, KS_ESCAN or KS_ESCRATCH_BUSY; inside a container every error but KS_EINVAL leaves
 * only close (which returns it again) or abort.
 */
KS_API int ks_container_stream_write(ks_container_stream *stream, ks_scanner *scanner, const void *data, size_t len);

/*
 * Ends the object: reports the remaining findings on `scanner`, then frees the stream (also on
 * error; NULL returns KS_EINVAL). Returns 0, what ks_stream_close returns, or, with every finding
 * before it reported, KS_ELIMIT (a budget ran out) or KS_ECORRUPT (a container is corrupt or
 * truncated); on_problem said where.
 */
KS_API int ks_container_stream_close(ks_container_stream *stream, ks_scanner *scanner);

/* Frees a stream without reporting what is pending, ending its thread; NULL is a no-op. */
KS_API void ks_container_stream_abort(ks_container_stream *stream);

/* ------------------------------------------------------------------ */
/* Walking trees                                                        */
/* ------------------------------------------------------------------ */

/* Why the walker left something out; counted by ks_walk_ops.on_skip. */
typedef enum ks_skip_reason {
    KS_SKIP_SPECIAL,   /* FIFO, socket, device: never opened for reading */
    KS_SKIP_SYMLINK,   /* a symbolic link, not followed (follow_symlinks 0) */
    KS_SKIP_EXCLUDED,  /* matched an exclude glob, or is_ignored said so */
    KS_SKIP_HARDLINK,  /* content already scanned through another link */
    KS_SKIP_TOO_LARGE, /* over max_file_size */
    KS_SKIP_LOOP,      /* directory already visited (following links) */
    KS_SKIP_OUTSIDE,   /* a symbolic link leading outside the root (following links) */
    KS_SKIP_PSEUDO_FS, /* a mount of a pseudo file system (proc, sysfs, tracefs...) below a root */
    KS_SKIP_OTHER_FS,  /* a mount of another file system below a root (one_file_system) */
    KS_SKIP_VANISHED,  /* listed, then gone before it could be opened */
    KS_SKIP_N
} ks_skip_reason;

/* Returns the static short name of a skip reason ("special", "symlink", ...), or "?". */
KS_API const char *ks_skip_name(ks_skip_reason why);

/* Walk options; zero-initialise, then set what you need. */
typedef struct ks_walk_opts {
    size_t size;                 /* sizeof(ks_walk_opts), or 0: fields are only ever appended */
    int follow_symlinks;         /* follow links, never leaving the root nor looping */
    int one_file_system;         /* do not enter directories on another device than their root's */
    uint64_t max_file_size;      /* larger files are skipped (KS_SKIP_TOO_LARGE); 0: no limit */
    const char *const *excludes; /* NULL-terminated globs matched against the name and the path */
    size_t max_open_dirs;        /* directory descriptors held along the current path; 0: 64 */
    /* Optional: richer exclusion than globs (ignore files). Asked for each regular file and
     * directory found under a root, once its type is known; non-zero skips it as KS_SKIP_EXCLUDED. */
    int (*is_ignored)(void *ignore_ctx, const char *path, const char *name, int is_dir);
    void *ignore_ctx;
} ks_walk_opts;

/* What a walk reports; every call comes from the thread that called ks_walk. */
typedef struct ks_walk_ops {
    size_t size; /* sizeof(ks_walk_ops), or 0 */
    /* A regular file opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC (st from fstat); the callee
     * owns fd and must close it. Return 0 to go on, non-zero to stop the walk. */
    int (*on_file)(void *ctx, int fd, const char *path, const struct stat *st);
    /* Something left out; explicit_root is 1 when it was the root itself. May be NULL. */
    void (*on_skip)(void *ctx, const char *path, ks_skip_reason why, int explicit_root);
    /* A step that failed: err is a positive errno value, `what` names the step ("open", "read
     * directory"...). The walk goes on. May be NULL. */
    void (*on_error)(void *ctx, const char *path, int err, const char *what);
    /* A git directory (HEAD, objects/ and refs/ in it: a work tree's .git, a bare repository): its
     * objects/ is then not walked (packs and loose objects are compressed; ks_pipeline_submit_git
     * reads them as the history they hold), the rest of it is. Also called, after on_file, for a
     * regular file named .git (a submodule's or linked worktree's pointer, "gitdir: DIR", which
     * ks_pipeline_submit_git_opts follows; any other such file it refuses with KS_EINVAL). Return 0 to
     * go on, non-zero to stop the walk. May be NULL: objects/ is then walked as files. */
    int (*on_git_dir)(void *ctx, const char *path);
} ks_walk_ops;

/*
 * Walks one root (a directory, a regular file, or anything else, which is skipped) on the calling
 * thread, without recursion, through directory descriptors (never rebuilt paths), with a bounded
 * number of descriptors. FIFOs, sockets and devices are never opened. A root is always walked,
 * whatever file system it lies on; below it, mounts of pseudo file systems are skipped without
 * being entered or triggering an automount. Returns 0, KS_EINVAL, or the non-zero value an on_file
 * call returned to stop the walk.
 */
KS_API int ks_walk(const char *root, const ks_walk_opts *opts, const ks_walk_ops *ops, void *ctx);

/* ------------------------------------------------------------------ */
/* Pipelines: files through pinned worker threads, findings in order    */
/* ------------------------------------------------------------------ */

/*
 * A pipeline scans files with the engine on its own threads: the caller submits open files (from
 * ks_walk, or from anywhere), workers read them (io_uring, or pread) in chunks and scan them, and
 * one writer thread hands the findings to a sink, file by file and in offset order, with exact
 * lines. It applies everything ks_scan applies, path conditions included (the submitted path).
 */
typedef struct ks_pipeline ks_pipeline;

/* What reading one repository's history took and left (ks_pipeline_sink.on_git). */
typedef struct ks_git_totals {
    size_t size;               /* sizeof(ks_git_totals): fields are only ever appended */
    uint64_t selected;         /* blobs the selection named (ks_git_opts); 0 when every blob was taken */
    uint64_t scanned;          /* blobs handed to the scanners (a blob another repository of the scan had is not) */
    uint64_t too_large;        /* blobs over ks_git_opts.max_blob_size, not scanned */
    uint64_t missing_promised; /* objects absent from a partial clone, which its promisor remote holds: skipped */
    uint64_t missing;          /* objects absent from a repository that should hold them: the scan is incomplete */
} ks_git_totals;

/* What a pipeline reports; every call comes from its writer thread, one at a time. */
typedef struct ks_pipeline_sink {
    size_t size; /* sizeof(ks_pipeline_sink), or 0 */
    /* One finding of file `path` (the pointers live during the call). Non-zero stops the pipeline. */
    int (*on_finding)(void *ctx, const char *path, const ks_match *m);
    /* A file is finished: `bytes` scanned; err is 0, a positive errno (the file could not be read
     * whole; the findings before the failure were reported), ECANCELED (the pipeline stopped first),
     * or EFBIG: a file of unknown size was cut at its limit, and the bytes before it were scanned
     * (not a failure). May be NULL. */
    void (*on_file_done)(void *ctx, const char *path, uint64_t bytes, int err);
    /* Nothing is waiting right now: a good moment to flush output and draw progress. May be NULL. */
    void (*on_idle)(void *ctx);
    /* Inside a container of file `path`, at `object` ("" for the file itself): a member skipped
     * (fatal 0: encrypted, say) or the expansion stopped (fatal 1: a budget ran out, or a container
     * is corrupt or truncated; the findings before it were reported, and the file then ends with
     * EOVERFLOW or EBADMSG). `what` says it in words. May be NULL. */
    void (*on_object_problem)(void *ctx, const char *path, const char *object, int fatal, const char *what);
    /* File `path` was a container, scanned as its members: containers opened (nested ones too) and
     * members scanned; called before its on_file_done (never for a repository's history: on_git is).
     * May be NULL. */
    void (*on_container)(void *ctx, const char *path, uint64_t containers, uint64_t members);
    /* The history of repository `path` (ks_pipeline_submit_git) was read: what it took and left; called
     * before its on_file_done (on_container is not called for it). May be NULL. */
    void (*on_git)(void *ctx, const char *path, const ks_git_totals *totals);
} ks_pipeline_sink;

/* Pipeline options; zero-initialise, then set what you need. */
typedef struct ks_pipeline_opts {
    size_t size;             /* sizeof(ks_pipeline_opts), or 0 */
    unsigned threads;        /* workers; 0: one per CPU of the affinity mask */
    size_t chunk_size;       /* bytes each worker reads and scans at a time; 0: KS_PIPELINE_DEFAULT_CHUNK */
    unsigned buffers;        /* chunk buffers (reads in flight and chunks queued); 0: sized to the workers */
    /* "auto" or NULL: io_uring where this kernel and its limits allow one per worker, else pread
     * (on_diag says why); "uring": io_uring or fail; "pread": pread. */
    const char *reader;
    unsigned flags;          /* KS_PIPELINE_* */
    unsigned max_open_files; /* descriptors of submitted files not yet closed; 0: KS_PIPELINE_DEFAULT_OPEN_FILES */
    /* Notes about the pipeline itself (code 0: io_uring refused, pread used instead) and why it
     * could not start (code KS_EIO). May be NULL. */
    ks_diag_fn on_diag;
    void *diag_ctx;
    /* Containers, recognised by their magic bytes (never their names): gzip, bzip2, xz, zstd and
     * lz4 streams, tar, zip (jar, docx, xlsx...), 7z, ar (.deb, .a), cpio, rpm and ISO 9660. A file that is
     * one is scanned as its members (its raw bytes are not), nested ones opened in turn, each member
     * with its own offsets and lines and its chain in ks_match.object. Budgets per file: */
    unsigned archive_depth;        /* containers one inside another; 0: KS_DEFAULT_ARCHIVE_DEPTH */
    uint64_t archive_max_output;   /* members' bytes in all; 0: the larger of 1 GiB and 50x the file */
    uint64_t archive_max_members;  /* 0: KS_DEFAULT_ARCHIVE_MEMBERS */
    unsigned archive_max_ratio;    /* bytes out per byte of the file, past 16 MiB out; 0: KS_DEFAULT_ARCHIVE_RATIO */
    uint64_t archive_max_input;    /* larger files are scanned as bytes, not opened; 0: no limit */
    /* Threads that decompress one big container ahead of the workers scanning it (a gzip or zstd
     * stream on one; a zip's members, or a git pack's delta trees, on this many at once, each a lane;
     * at most 8). 0: one per CPU beyond the first, at most the workers (on 2 CPUs, lanes beside 2
     * workers cost more than they gave); a git pack's on one, unless set here. */
    unsigned archive_threads;
} ks_pipeline_opts;

#define KS_PIPELINE_NO_PIN 0x1u    /* do not pin workers to CPUs */
#define KS_PIPELINE_READ_ONLY 0x2u /* benchmarks: read every chunk, scan nothing */
/* Workers run at a nice value 5 above the thread that creates the pipeline, so that the thread
 * submitting files (a walker) and the writer get the CPU as soon as they need it: a walker that
 * waits behind scanning workers opens no files and leaves the disk idle. This flag keeps the
 * workers at the creator's priority. */
#define KS_PIPELINE_SAME_PRIORITY 0x4u
#define KS_PIPELINE_NO_CONTAINERS 0x8u  /* scan containers as the bytes they are */
#define KS_PIPELINE_NO_DECOMPRESS 0x10u /* open archives, but not compressed streams (nor .tar.gz) */
/* Text stored as UTF-16 (by its byte order mark, or a zero in every other byte) is scanned as its
 * code units, each narrowed to a byte (ks_match.decoder says so); this flag scans it as bytes. */
#define KS_PIPELINE_NO_DECODE 0x20u
#define KS_DEFAULT_ARCHIVE_DEPTH 8u
#define KS_DEFAULT_ARCHIVE_MEMBERS 1000000u
#define KS_DEFAULT_ARCHIVE_RATIO 200u
#define KS_PIPELINE_DEFAULT_CHUNK ((size_t)1 << 20)
#define KS_PIPELINE_DEFAULT_OPEN_FILES 128u
/* How far a file whose size reads as 0 (procfs, a pipe) is read when the caller sets no limit:
 * /proc/PID/pagemap alone yields 8 bytes per page of an address space. */
#define KS_UNKNOWN_SIZE_LIMIT ((uint64_t)64 << 20)

/*
 * Chooses the reader, sets it up for every worker, and starts the worker and writer threads with
 * every signal blocked (workers at a lower priority: KS_PIPELINE_SAME_PRIORITY). All memory comes from the engine's allocator. Returns 0, KS_EINVAL,
 * KS_ENOMEM, or KS_EIO (the reader could not be set up: on_diag says why); on error *out is NULL.
 */
KS_API int ks_pipeline_create(const ks_engine *engine, const ks_pipeline_opts *opts, const ks_pipeline_sink *sink,
                              void *ctx, ks_pipeline **out);

/*
 * Queues one open file for scanning under `path`; the pipeline owns fd from now on and closes it.
 * Waits while every chunk buffer is busy or max_open_files descriptors are held. Call it from one
 * thread only. A file of known `size` is read up to that size, however much it grows; size 0
 * means unknown (procfs, a pipe): it is read to EOF, or to `limit` bytes when limit is not 0 (then
 * reported with EFBIG if more followed). Returns 0, KS_ENOMEM, or KS_ETERMINATED when the pipeline
 * is stopping (fd is closed in every case).
 */
KS_API int ks_pipeline_submit(ks_pipeline *p, int fd, const char *path, uint64_t size, uint64_t limit);

/*
 * Queues the history of a git repository: every blob in the object store of `git_dir` (a work
 * tree's .git, or a bare repository; its packs and loose objects), each id once, scanned as the
 * members of one object named `git_dir`: a finding's ks_match.object is the blob's 40-hex id, its
 * offsets and lines the blob's. The blobs are shared out between the workers as a big container's
 * members are. What cannot be read (a corrupt pack, a missing object) is a fatal note naming the
 * pack and offset, and the rest is still read. Call it from the thread that submits files. Returns
 * 0, KS_EINVAL (not a git directory: HEAD, objects/ and refs/), KS_EIO (it cannot be opened),
 * KS_ENOMEM, or KS_ETERMINATED when the pipeline is stopping.
 */
KS_API int ks_pipeline_submit_git(ks_pipeline *p, const char *git_dir);

/* Which blobs of a repository's history to scan (ks_pipeline_submit_git_opts, ks_git_select); zero-initialise,
 * then set what you need. With none of range, since_commit, branch, reachable_only and staged: every blob of
 * its object store, reachable or not. */
typedef struct ks_git_opts {
    size_t size; /* sizeof(ks_git_opts), or 0 */
    /* "A..B": the blobs that the commits reachable from B and not from A introduced, a blob being introduced
     * by a commit when some path of its tree holds it and that path held another blob (or nothing) in every
     * parent (a root commit: all its blobs); taken even when it existed before under another path. "A...B":
     * the commits reachable from either and not from their merge base. */
    const char *range;
    const char *since_commit; /* REV: the same as range "REV..TIP", TIP being branch, else HEAD */
    const char *branch;       /* REF: only blobs in the trees of the commits reachable from it */
    int reachable_only;       /* only blobs reachable from HEAD, every ref, their reflogs and the index */
    /* only the blobs of the index whose entry differs from HEAD's tree at its path (all of them when HEAD is
     * unborn): what `git commit` would record now; the work tree plays no part */
    int staged;
    uint64_t max_blob_size;        /* larger blobs are not scanned, only counted (too_large); 0: no limit */
    const ks_allocator *allocator; /* ks_git_select's memory (the pipeline uses its engine's); NULL: the C library's */
} ks_git_opts;

/*
 * ks_pipeline_submit_git restricted to the blobs `opts` selects (NULL: every blob), where `repo` may also be
 * a work tree holding .git, a .git file pointing elsewhere (`gitdir: ...`: a submodule's or a linked
 * worktree's), or a linked worktree's git directory; the repositories of one pipeline are read once each (two
 * worktrees of one repository share its history; with staged, each worktree has its own index). A revision
 * that does not resolve, a missing object (but one a partial clone's promisor remote holds, which is counted
 * and skipped) or a damaged one is a fatal note naming it. Returns 0, KS_EINVAL (not a repository, or
 * range and since_commit both set, or staged with a range or branch), KS_EIO, KS_ENOMEM or KS_ETERMINATED.
 */
KS_API int ks_pipeline_submit_git_opts(ks_pipeline *p, const char *repo, const ks_git_opts *opts);

/*
 * Computes the blobs `opts` selects in the repository `repo` (as ks_pipeline_submit_git_opts takes it; its
 * max_blob_size plays no part) and calls on_blob with each one's 40 hex digits, once, in no set order; a
 * non-zero return stops it. With no selection in opts, every blob reachable from HEAD, the refs, their
 * reflogs and the index. Returns 0; KS_EINVAL (as ks_pipeline_submit_git_opts, or a revision that does not
 * resolve); KS_EIO (not a repository libgit2 opens); KS_ENOMEM; KS_ETERMINATED (on_blob stopped it); or
 * KS_ECORRUPT: a commit or tree is missing or damaged, and the rest was still called back. `why` (may be
 * NULL) receives one line saying what failed.
 */
KS_API int ks_git_select(const char *repo, const ks_git_opts *opts, int (*on_blob)(void *ctx, const char *hex),
                         void *ctx, char *why, size_t why_len);

/*
 * Walks `root` (ks_walk with `wo`, which may be NULL) and submits every regular file found; files
 * of unknown size are read up to wo->max_file_size, or KS_UNKNOWN_SIZE_LIMIT. Skips and walk
 * errors go to `ops` (its on_file is not used; ops may be NULL). The one-call tree scan:
 * ks_pipeline_create, ks_pipeline_walk per root, ks_pipeline_finish. Returns 0, KS_EINVAL, or
 * KS_ETERMINATED when the pipeline stopped.
 */
KS_API int ks_pipeline_walk(ks_pipeline *p, const char *root, const ks_walk_opts *wo, const ks_walk_ops *ops,
                            void *ctx);

/* Asks the pipeline to stop: no new reads; reads in flight are still scanned and reported.
 * Thread-safe and async-signal-safe. */
KS_API void ks_pipeline_stop(ks_pipeline *p);

/* Waits until everything queued is reported, joins the threads and frees the pipeline.
 * Returns 0, or KS_ETERMINATED if the pipeline was stopped. */
KS_API int ks_pipeline_finish(ks_pipeline *p);

/* Facts about a running pipeline; set `size` as for ks_rule_info. */
typedef struct ks_pipeline_info {
    size_t size;
    unsigned threads;          /* workers */
    const char *reader;        /* "io_uring" or "pread" */
    unsigned reads_in_flight;  /* reads submitted to the kernel and not yet reaped, now */
    uint64_t files_done;       /* files reported to on_file_done so far */
    uint64_t bytes_read;       /* bytes read so far */
    /* members of big containers scanned so far by a worker other than the one that opened the
     * container (one container's members are shared out when there is more than one thread) */
    uint64_t members_shared;
} ks_pipeline_info;

/* Fills *info; thread-safe (benchmarks sample it while the pipeline runs). Returns 0 or KS_EINVAL. */
KS_API int ks_pipeline_info_get(const ks_pipeline *p, ks_pipeline_info *info);

/* ------------------------------------------------------------------ */
/* Git provenance: the commit, path and author behind a blob            */
/* ------------------------------------------------------------------ */

/* One commit that put a blob at a path: the path held another blob (or nothing) in every parent of
 * the commit. Strings are valid only during the callback that receives it. */
typedef struct ks_git_origin {
    const char *commit;  /* 40 hex digits; "" for an index entry (ks_git_provenance_opts.within->staged) */
    const char *path;    /* in that commit's tree, '/'-separated */
    const char *author;  /* the author's name */
    const char *email;   /* the author's email */
    int64_t time;        /* the author date, seconds since the epoch */
    int utc_offset;      /* the author's time zone, minutes east of UTC */
    const char *date;    /* the author date in ISO 8601, in the author's zone: "2026-01-01T12:00:00+02:00" */
    const char *message; /* the whole commit message, without its final newlines */
} ks_git_origin;

/* What ks_git_provenance found for one of the blobs asked for. */
typedef struct ks_git_blob_origins {
    size_t index;                 /* its position among the ids asked for */
    const char *blob;             /* its 40 hex digits */
    /* Oldest first: origins[0] is the commit that introduced it, the first in topological order
     * (parents before children, then older committer dates first) among the commits reachable from
     * HEAD and every ref (or those ks_git_provenance_opts.within selects); with KS_GIT_ALL_PATHS every
     * (commit, path) that put it somewhere follows. */
    const ks_git_origin *origins;
    size_t n_origins;             /* 0: no such commit holds it (a dangling blob, or only in the index) */
} ks_git_blob_origins;

/* Receives the answer for one blob; non-zero stops ks_git_provenance. */
typedef int (*ks_git_origin_fn)(void *ctx, const ks_git_blob_origins *b);

/* Provenance options; zero-initialise, then set what you need. */
typedef struct ks_git_provenance_opts {
    size_t size;                   /* sizeof(ks_git_provenance_opts), or 0 */
    unsigned flags;                /* KS_GIT_ALL_PATHS */
    const ks_allocator *allocator; /* for keysweep's own memory (libgit2 uses its own); NULL: the C library's */
    /* The options the blobs were selected with (NULL: none). With staged, a blob's origins are the index
     * entries that hold it, with commit "" (not committed yet), and no history is read; with range,
     * since_commit or branch, only the commits those select are searched (the commit of the range that
     * introduced it); otherwise HEAD and every ref. */
    const ks_git_opts *within;
    /* Threads comparing commits, the calling one among them (0 or 1: the calling thread alone; at
     * most 16 are used). Each thread more opens the repository again and reads trees through caches
     * of its own (8 MiB of delta bases); the answer is the same whatever the number. */
    unsigned threads;
} ks_git_provenance_opts;

/* Every (commit, path) that put the blob there, not only the first: a blob renamed, copied, or added
 * again after a deletion has one origin per time. */
#define KS_GIT_ALL_PATHS 0x1u

/*
 * Finds where each of `n_blobs` blob ids (40 hex digits each) of the repository whose git directory
 * is `git_dir` came from, walking its commits (from HEAD and every ref, or those opts->within selects)
 * and comparing each commit's trees with its parents' by entry id, so that unchanged subtrees are never
 * read, and calls `cb` once
 * per id, in the order given, after the walk. Returns 0; KS_EINVAL (an id is not 40 hex digits, a NULL
 * argument); KS_EIO (`git_dir` is not a repository libgit2 can open: nothing is called back);
 * KS_ENOMEM; KS_ETERMINATED (cb stopped it); or KS_ECORRUPT: a commit or tree could not be read (a
 * shallow or partial clone, a damaged repository), every id was still called back with what the rest
 * of the history holds.
 */
KS_API int ks_git_provenance(const char *git_dir, const char *const *blobs, size_t n_blobs,
                             const ks_git_provenance_opts *opts, ks_git_origin_fn cb, void *ctx);

/* A repository's history held for provenance: ks_git_provenance in steps, so that the commits, which do
 * not depend on the blobs asked for, are loaded once and can be loaded while the blobs are still being
 * scanned (on git/git's 203,352 commits, loading is a third of a two-thread ks_git_provenance). One
 * thread at a time uses a handle, except ks_git_history_stop. */
typedef struct ks_git_history ks_git_history;

/* Opens the repository whose git directory is `git_dir` for provenance with `opts` (copied; what
 * opts->within points to must stay valid until the load is done). Returns 0 with *out; KS_EINVAL (a NULL
 * argument); KS_EIO (not a repository libgit2 can open); KS_ENOMEM. */
KS_API int ks_git_history_new(const char *git_dir, const ks_git_provenance_opts *opts, ks_git_history **out);

/* Loads the commits provenance compares (from HEAD and every ref, or those opts->within selects; nothing
 * for staged) and orders them. Returns 0; KS_ENOMEM; the error of a range that cannot be resolved; or
 * KS_ETERMINATED when it took a stop (ks_git_history_stop): what it loaded is kept, and the next call goes
 * on from there. Once it has returned anything else, a call returns that again and does nothing. */
KS_API int ks_git_history_load(ks_git_history *h);

/* Stops one ks_git_history_load: the one running now on another thread, or else the next to begin, which
 * returns KS_ETERMINATED soon. A program that loads on a thread of low priority while it scans can so take
 * the load over on its own thread when it needs the answer (stop, join, load), or give it up (stop, join,
 * free). Safe from any thread while h is not freed. */
KS_API void ks_git_history_stop(ks_git_history *h);

/* ks_git_provenance over h: the same answers, callbacks and codes (KS_EIO aside), the load run first when it
 * has not been (and any error of it returned, nothing called back). It may be asked again, with other ids. */
KS_API int ks_git_history_provenance(ks_git_history *h, const char *const *blobs, size_t n_blobs,
                                     ks_git_origin_fn cb, void *ctx);

/* Frees h (NULL does nothing). */
KS_API void ks_git_history_free(ks_git_history *h);

/*
 * For a program that owns its process (the keysweep command), before any other call: sets two of
 * libgit2's settings, which belong to the whole process (so the library never changes them itself), for
 * reading history as ks_git_provenance does, the trees of every commit it compares:
 *  - no second hash of every object read to check its id (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION):
 *    over git/git's history (203,352 commits) that check was 46% of the scan's time;
 *  - no object cache (GIT_OPT_ENABLE_CACHING): ks_git_provenance keeps the trees it compares itself,
 *    and libgit2's cache held 500 MB of commits and trees over git/git and saved no time.
 * Blobs are read by keysweep's own pack reader, which this does not touch. libgit2 stays initialised
 * for the life of the process. Returns 0, or KS_EIO when libgit2 refuses.
 */
KS_API int ks_git_tune_process(void);

/* Facts about a repository for reports. Set `size` as for ks_rule_info. */
typedef struct ks_git_repo_info {
    size_t size;
    char head[41];         /* the commit HEAD names; "" when HEAD is unborn */
    char branch[256];      /* the branch HEAD is on ("main"); "" when detached or longer */
    /* the URL of the remote "origin", else of the first remote in the configuration, with any
     * user name and password removed ("https://host/x.git"); "" when none, or longer */
    char remote_url[1024];
} ks_git_repo_info;

/* Fills *info for the repository whose git directory is `git_dir`; returns 0, KS_EINVAL, or KS_EIO when
 * it cannot be opened. */
KS_API int ks_git_repo_info_get(const char *git_dir, ks_git_repo_info *info);

#ifdef __cplusplus
}
#endif

#endif /* KEYSWEEP_H */
