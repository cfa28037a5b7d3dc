/* options.h: helpers shared by the CLI's commands: sizes, rule-set assembly with diagnostics, engine set-up. */
#ifndef KS_CLI_OPTIONS_H
#define KS_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

/* Parses "123", "64K", "10M", "2G" (powers of 1024); returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);

typedef struct rule_opts {
    const char **paths;   /* --rules PATH, in order */
    size_t n_paths;
    int no_builtin;
    const char *cache_dir;
    int no_cache;
    int near_misses;
    int report_allowed; /* findings on allow-marker lines come to the caller, marked, to be counted */
    int report_test_keys; /* published test material comes to the caller, marked, to be counted or shown */
    int no_decode;      /* --no-decode: encoded text is not decoded */
    unsigned decode_depth; /* --max-decode-depth; 0: the library's default */
} rule_opts;

int rule_opts_add_path(rule_opts *o, const char *path);
void rule_opts_free(rule_opts *o);

/* Loads the rule set and builds the engine, printing every diagnostic to stderr.
 * Returns 0, or the first error code (the caller exits 2). */
int build_engine(const rule_opts *o, ks_engine **engine);

/* Prints "keysweep: " + message to stderr. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
