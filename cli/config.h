/* config.h: keysweep's configuration file (.keysweep.toml): where it is found, and what it asks for as the
 * command-line options it stands for, plus the allowlist and disabled rules the command line has no option for. */
#ifndef KS_CLI_CONFIG_H
#define KS_CLI_CONFIG_H

#include <stddef.h>

#include "keysweep.h"

/* One option the file sets, as it would be written on the command line ("--format" "sarif"), and where. */
typedef struct config_opt {
    char *name;  /* "--format" */
    char *value; /* NULL for a flag */
    unsigned long line;
    char *key;   /* "scan.format", for messages */
} config_opt;

typedef struct config {
    char *path;              /* the file read; NULL when none */
    config_opt *opts;
    size_t n_opts;
    char **disabled;         /* rule ids not reported */
    size_t n_disabled;
    char **stopwords;        /* lower case: a secret containing one is not reported */
    size_t n_stopwords;
    void **regexes;          /* pcre2_code *: a secret one of them matches is not reported */
    size_t n_regexes;
    void *md;                /* pcre2_match_data for the regexes */
} config;

/* Finds the file: `explicit_path` (--config), else $KEYSWEEP_CONFIG, else unless no_discovery
 * .keysweep.toml in `root` (a directory, or the directory of a file) or, failing that, at the top of the
 * git work tree that holds root. Returns 0 with *out set (NULL: none), or 2 after saying why (a file named
 * but missing). */
int config_find(const char *explicit_path, int no_discovery, const char *root, char **out);

/* Reads and checks the file: an unknown key, a wrong type or a bad value is an error naming file, line and
 * key. Returns 0, or 2 after saying why. */
int config_load(config *c, const char *path);

/* 1 when the config hides a finding of rule `rule_id` with this secret (disabled rule, stopword, regex). */
int config_hides(config *c, const char *rule_id, const unsigned char *secret, size_t len);

void config_free(config *c);

#endif
