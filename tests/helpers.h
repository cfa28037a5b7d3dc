/* helpers.h: shared test fixtures: engines from inline YAML, finding collection, random data. */
#ifndef KS_TEST_HELPERS_H
#define KS_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

typedef struct found {
    size_t rule;
    uint64_t start, end, line, column;
    uint64_t secret_start;
    size_t secret_len;
    int near_miss;
} found;

typedef struct found_list {
    found *items;
    size_t n, cap;
} found_list;

/* ks_match_fn that appends to a found_list. */
int collect(const ks_match *m, void *ctx);
void found_list_free(found_list *l);
/* Returns 1 when both lists are identical, else prints the first difference and returns 0. */
int found_list_equal(const found_list *a, const found_list *b);

/* Builds an engine from YAML text, without the cache; aborts the test on failure. */
ks_engine *engine_from_yaml(const char *yaml);
/* Same, for rules that are expected to fail: returns the error code and the first diagnostic. */
int engine_error_from_yaml(const char *yaml, ks_diag *first);

/* Deterministic pseudo-random generator (xorshift64*). */
uint64_t rnd_next(uint64_t *state);
/* Fills buf with printable filler text: words, spaces and newlines, never a token character run. */
void fill_text(unsigned char *buf, size_t n, uint64_t *state);

/* Suite fixture: an engine of TEST_RULES_YAML and a scanner for it. */
extern ks_engine *fx_engine;
extern ks_scanner *fx_scanner;
void fx_setup(void);
void fx_teardown(void);

/* A small rule set used by the scanning tests: fixed-width, variable-width and multi-line rules. */
extern const char *const TEST_RULES_YAML;

#endif
