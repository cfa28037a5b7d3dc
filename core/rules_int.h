/* rules_int.h: the in-memory rule and rule set, and the limits every rule is held to (rules.c). */
#ifndef KS_CORE_RULES_INT_H
#define KS_CORE_RULES_INT_H

#include <stddef.h>

#include "keysweep.h"
#include "strvec.h"

/* The widest match a rule may have: chunk overlap equals the widest rule, so keep it sane. */
#define KS_MAX_RULE_WIDTH 16384u
/* Limits that keep a hostile rule file from taking minutes and gigabytes to compile. */
#define KS_MAX_PATTERN_LEN 65536u
#define KS_MAX_RULES 50000u

typedef struct ks_rule {
    char *id;
    char *name;
    char *pattern;
    char *prefilter;      /* what Vectorscan searches for instead of pattern (see ks_rule_info); NULL: pattern */
    char *description;
    char *confidence;
    char *validate;
    char *source;
    unsigned long line;
    double min_entropy;
    char *severity;       /* as written; NULL: derived (ks__rule_severity) */
    char *path;           /* the path condition as written (compiled in cond); NULL: none */
    char *gitleaks_id;    /* the equivalent Gitleaks rule's id; NULL: none */
    char *trufflehog_detector; /* the equivalent TruffleHog detector's name; NULL: none */
    int trufflehog_type;  /* its DetectorType number, when trufflehog_detector is set */
    ks_strvec examples, negative_examples, references, categories, keywords;
    struct ks_cond *cond; /* conditions imported from Gitleaks (shared, immutable); NULL for YAML rules */
} ks_rule;

/* SHA-256 digests of published test material (known_test_keys.c), sorted. */
typedef struct ks_known_keys {
    unsigned char (*sha)[32];
    size_t n;
} ks_known_keys;

struct ks_rules {
    ks_rule *items;
    size_t n, cap;
    ks_known_keys known; /* ks_rules_load_builtin adds the built-in list */
};

/* 1 for a rule id of 1 to 120 characters from [A-Za-z0-9._-]; 0 otherwise. */
int ks__rule_id_valid(const char *id);
void ks__rule_free(ks_rule *r);
/* Deep copies (the shared conditions by reference) and frees with allocator `a` (NULL: libc);
 * a rule is freed by the allocator it was copied with. */
int ks__rule_copy(const ks_allocator *a, ks_rule *dst, const ks_rule *src);
void ks__rule_free_a(const ks_allocator *a, ks_rule *r);
void ks__rule_info(const ks_rule *r, ks_rule_info *info);
/* The rule's severity: its own, else generic rules (id or category "generic") medium, test keys and
 * password hashes (category "test" or "hash") low, the others high. A static string. */
const char *ks__rule_severity(const ks_rule *r);
/* 1 for a severity the rule format accepts. */
int ks__severity_valid(const char *s);
/* 1 when the rule yields to provider rules on the same bytes: a generic rule (id starting with
 * "generic" or category "generic"). */
int ks__rule_yields(const ks_rule *r);
/* Adds digests to the set's list of known test material (kept sorted, duplicates merged); 0 or KS_ENOMEM. */
int ks__known_add(ks_known_keys *k, const unsigned char (*sha)[32], size_t n);
/* The digest a secret is listed by: SHA-256 of its bytes without spaces, tabs, CRs and LFs, so that a
 * PEM key matches whatever its line ends and indentation (known_keys.c). */
void ks__known_digest(const unsigned char *secret, size_t len, unsigned char out[32]);
/* 1 when the secret is on the list. */
int ks__known_secret(const ks_known_keys *k, const unsigned char *secret, size_t len);
/* Appends `n` rules, moving them in (the caller's array is left empty); all-or-nothing. */
int ks__rules_append(ks_rules *rules, ks_rule *add, size_t n, ks_diag_fn on_error, void *ctx);

#endif
