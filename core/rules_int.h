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

/* 1 for a rule id of 1 to 120 characters from [A-Za-z0-9._-]; 0 otherwise. */
int ks__rule_id_valid(const char *id);
void ks__rule_free(ks_rule *r);
/* Deep copies (the shared conditions by reference) and frees with allocator `a` (NULL: libc);
 * a rule is freed by the allocator it was copied with. */
int ks__rule_copy(const ks_allocator *a, ks_rule *dst, const ks_rule *src);
void ks__rule_free_a(const ks_allocator *a, ks_rule *r);
void ks__rule_info(const ks_rule *r, ks_rule_info *info);
/* Appends `n` rules, moving them in (the caller's array is left empty); all-or-nothing. */
int ks__rules_append(ks_rules *rules, ks_rule *add, size_t n, ks_diag_fn on_error, void *ctx);

#endif
