/* config.c: .keysweep.toml: found beside what is scanned, checked key by key, turned into the options it stands for. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_yaml.h"
#include "options.h"
#include "output.h"
#include "alloc.h"
#include "file_read.h"
#include "toml.h"

/* Looked for in this order in each directory. */
static const char *const CONFIG_NAMES[] = {".keysweep.toml", ".keysweep.yml", ".keysweep.yaml"};
#define CONFIG_MAX (1u << 20) /* a configuration is a few lines: a bigger file is not one */

/* The [scan] keys: each stands for a command-line option. A flag key is a boolean that adds `on` when true and
 * `off` when false (either may be NULL: that value is the default and adds nothing). */
typedef enum { K_FLAG, K_TEXT, K_NUMBER, K_PATH, K_REDACT } key_kind;
typedef struct scan_key {
    const char *key;
    key_kind kind;
    const char *on, *off;
} scan_key;

static const scan_key SCAN_KEYS[] = {
    {"format", K_TEXT, "--format", NULL},
    {"output", K_TEXT, "--output", NULL},
    {"redact", K_REDACT, "--redact", NULL},
    {"color", K_TEXT, "--color", NULL},
    {"progress", K_FLAG, NULL, "--no-progress"},
    {"quiet", K_FLAG, "--quiet", NULL},
    {"exit_code", K_NUMBER, "--exit-code", NULL},
    {"baseline", K_PATH, "--baseline", NULL},
    {"gitignore", K_FLAG, "--gitignore", NULL},
    {"builtin_rules", K_FLAG, NULL, "--no-builtin-rules"},
    {"show_near_misses", K_FLAG, "--show-near-misses", NULL},
    {"show_test_keys", K_FLAG, "--show-test-keys", NULL},
    {"cache_dir", K_PATH, "--cache-dir", NULL},
    {"cache", K_FLAG, NULL, "--no-cache"},
    {"max_file_size", K_TEXT, "--max-file-size", NULL},
    {"one_file_system", K_FLAG, "--one-file-system", NULL},
    {"follow", K_FLAG, "--follow", NULL},
    {"archive_depth", K_NUMBER, "--archive-depth", NULL},
    {"max_archive_size", K_TEXT, "--max-archive-size", NULL},
    {"archive_threads", K_NUMBER, "--archive-threads", NULL},
    {"decompress", K_FLAG, NULL, "--no-decompress"},
    {"archive_limits", K_TEXT, "--archive-limits", NULL},
    {"git_history", K_FLAG, NULL, "--no-git-history"},
    {"git_all_paths", K_FLAG, "--git-all-paths", NULL},
    {"git_reachable_only", K_FLAG, "--git-reachable-only", NULL},
    {"max_blob_size", K_TEXT, "--max-blob-size", NULL},
    {"decode", K_FLAG, NULL, "--no-decode"},
    {"max_decode_depth", K_NUMBER, "--max-decode-depth", NULL},
    {"threads", K_NUMBER, "--threads", NULL},
    {"io", K_TEXT, "--io", NULL},
    {"chunk_size", K_TEXT, "--chunk-size", NULL},
    {"pin", K_FLAG, NULL, "--no-pin"},
    {"max_open_files", K_NUMBER, "--max-open-files", NULL},
};

static const char *const TYPE_NAMES[] = {"a string", "an integer", "a number", "a boolean", "an array", "a table"};

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The directory part of a path ("." for a bare name). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int config_find(const char *explicit_path, int no_discovery, const char *root, char **out)
{
    *out = NULL;
    const char *named = explicit_path ? explicit_path : getenv("KEYSWEEP_CONFIG");
    if (named && *named) {
        if (!exists(named)) {
            say("%s: the configuration %s names does not exist (or is not a file)", named,
                explicit_path ? "--config" : "KEYSWEEP_CONFIG");
            return 2;
        }
        return (*out = strdup(named)) ? 0 : 2;
    }
    if (no_discovery || !root || !strcmp(root, "-"))
        return 0;
    struct stat st;
    char *dir = stat(root, &st) == 0 && S_ISDIR(st.st_mode) ? strdup(root) : dir_of(root);
    if (!dir)
        return 2;
    /* the root itself, then each directory above it up to the top of its git work tree */
    char real[PATH_MAX];
    char *at = realpath(dir, real) ? strdup(real) : strdup(dir);
    free(dir);
    for (int first = 1; at; first = 0) {
        char *cand = NULL, *git = join(at, ".git");
        for (size_t i = 0; !cand && i < sizeof CONFIG_NAMES / sizeof *CONFIG_NAMES; i++) {
            cand = join(at, CONFIG_NAMES[i]);
            if (cand && !exists(cand)) {
                free(cand);
                cand = NULL;
            } else if (cand && first && strcmp(at, root)) {
                /* the root's own: named as the user wrote the root */
                struct stat rs;
                char *as_given = join(stat(root, &rs) == 0 && S_ISDIR(rs.st_mode) ? root : ".", CONFIG_NAMES[i]);
                if (as_given && exists(as_given)) {
                    free(cand);
                    cand = as_given;
                } else {
                    free(as_given);
                }
            }
        }
        int top = git && stat(git, &st) == 0;
        free(git);
        if (cand) {
            free(at);
            *out = cand;
            return 0;
        }
        if (top || !strcmp(at, "/")) {
            free(at);
            return 0;
        }
        char *up = dir_of(at);
        free(at);
        at = up;
    }
    return 2;
}

/* ---- checking and turning keys into options ---- */

typedef struct loader {
    config *c;
    const char *path;
    char *dir; /* relative paths in the file are relative to it */
} loader;

static int bad(const loader *l, unsigned long line, const char *key, const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what);
    say("%s:%lu: %s: %s", l->path, line, key, msg);
    return 2;
}

static int add_opt(loader *l, const char *name, const char *value, unsigned long line, const char *key)
{
    config *c = l->c;
    config_opt *n = realloc(c->opts, (c->n_opts + 1) * sizeof *n);
    if (!n)
        return 2;
    c->opts = n;
    config_opt *o = &c->opts[c->n_opts];
    o->name = strdup(name);
    o->value = value ? strdup(value) : NULL;
    o->key = strdup(key);
    o->line = line;
    if (!o->name || !o->key || (value && !o->value))
        return 2;
    c->n_opts++;
    return 0;
}

/* A path the file names: as written when absolute, else relative to the file's directory. */
static int add_path_opt(loader *l, const char *name, const char *value, unsigned long line, const char *key)
{
    char *p = value[0] == '/' ? strdup(value) : join(l->dir, value);
    int rc = p ? add_opt(l, name, p, line, key) : 2;
    free(p);
    return rc;
}

static int take_scan_key(loader *l, const ks_toml_kv *kv)
{
    char key[160];
    snprintf(key, sizeof key, "scan.%s", kv->key);
    const ks_toml_value *v = &kv->val;
    for (size_t i = 0; i < sizeof SCAN_KEYS / sizeof *SCAN_KEYS; i++) {
        const scan_key *k = &SCAN_KEYS[i];
        if (strcmp(k->key, kv->key))
            continue;
        char num[32];
        switch (k->kind) {
        case K_FLAG:
            if (v->type != KS_TOML_BOOL)
                return bad(l, v->line, key, "expected true or false, not %s", TYPE_NAMES[v->type]);
            if (v->u.b ? k->on : k->off)
                return add_opt(l, v->u.b ? k->on : k->off, NULL, v->line, key);
            return 0;
        case K_REDACT: /* true: all of each secret; a number: that percentage; false: none */
            if (v->type == KS_TOML_BOOL)
                return add_opt(l, v->u.b ? "--redact" : "--redact=0", NULL, v->line, key);
            if (v->type != KS_TOML_INT || v->u.i < 0 || v->u.i > 100)
                return bad(l, v->line, key, "expected true, false or a percentage from 0 to 100%s", "");
            snprintf(num, sizeof num, "--redact=%lld", (long long)v->u.i);
            return add_opt(l, num, NULL, v->line, key);
        case K_NUMBER:
            if (v->type != KS_TOML_INT || v->u.i < 0)
                return bad(l, v->line, key, "expected a whole number, not %s",
                           v->type == KS_TOML_INT ? "a negative one" : TYPE_NAMES[v->type]);
            snprintf(num, sizeof num, "%lld", (long long)v->u.i);
            return add_opt(l, k->on, num, v->line, key);
        case K_TEXT:
        case K_PATH:
            if (v->type == KS_TOML_INT && k->kind == K_TEXT) { /* a size in bytes */
                snprintf(num, sizeof num, "%lld", (long long)v->u.i);
                return add_opt(l, k->on, num, v->line, key);
            }
            if (v->type != KS_TOML_STRING || !*v->u.str.s || strlen(v->u.str.s) != v->u.str.len)
                return bad(l, v->line, key, "expected a non-empty string, not %s",
                           v->type == KS_TOML_STRING ? "this one" : TYPE_NAMES[v->type]);
            out_format fmt;
            if (!strcmp(k->key, "format") && out_format_parse(v->u.str.s, &fmt)) /* checked when chosen, too late */
                return bad(l, v->line, key, "unknown format '%s' (" OUT_FORMAT_NAMES ")", v->u.str.s);
            return k->kind == K_PATH ? add_path_opt(l, k->on, v->u.str.s, v->line, key)
                                     : add_opt(l, k->on, v->u.str.s, v->line, key);
        }
    }
    return bad(l, v->line, key, "not a key keysweep knows%s (see README: Configuration file)", "");
}

/* Each string of an array key, handed to fn; anything else in it is an error. */
static int each_string(loader *l, const ks_toml_value *v, const char *key,
                       int (*fn)(loader *l, const char *s, unsigned long line, const char *key))
{
    if (v->type != KS_TOML_ARRAY)
        return bad(l, v->line, key, "expected an array of strings, not %s", TYPE_NAMES[v->type]);
    for (size_t i = 0; i < v->u.arr->n; i++) {
        const ks_toml_value *e = &v->u.arr->items[i];
        if (e->type != KS_TOML_STRING || !*e->u.str.s || strlen(e->u.str.s) != e->u.str.len)
            return bad(l, e->line, key, "expected non-empty strings in the array, not %s",
                       e->type == KS_TOML_STRING ? "an empty one" : TYPE_NAMES[e->type]);
        int rc = fn(l, e->u.str.s, e->line, key);
        if (rc)
            return rc;
    }
    return 0;
}

static int push_str(char ***v, size_t *n, const char *s)
{
    char **m = realloc(*v, (*n + 1) * sizeof *m);
    if (!m)
        return 2;
    *v = m;
    return (m[*n] = strdup(s)) ? (++*n, 0) : 2;
}

static int rule_file(loader *l, const char *s, unsigned long line, const char *key)
{
    return add_path_opt(l, "--rules", s, line, key);
}

static int exclude(loader *l, const char *s, unsigned long line, const char *key)
{
    return add_opt(l, "--exclude", s, line, key);
}

static int disable(loader *l, const char *s, unsigned long line, const char *key)
{
    (void)line;
    (void)key;
    return push_str(&l->c->disabled, &l->c->n_disabled, s);
}

static int stopword(loader *l, const char *s, unsigned long line, const char *key)
{
    int rc = push_str(&l->c->stopwords, &l->c->n_stopwords, s);
    for (char *p = rc ? NULL : l->c->stopwords[l->c->n_stopwords - 1]; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return rc;
}

static int regex(loader *l, const char *s, unsigned long line, const char *key)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err,
                                   &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(err, msg, sizeof msg);
        char what[400];
        snprintf(what, sizeof what, "'%s' is not a regular expression: %s at offset %zu", s, (const char *)msg,
                 (size_t)off);
        return bad(l, line, key, "%s", what);
    }
    void **m = realloc(l->c->regexes, (l->c->n_regexes + 1) * sizeof *m);
    if (!m) {
        pcre2_code_free(re);
        return 2;
    }
    l->c->regexes = m;
    m[l->c->n_regexes++] = re;
    return 0;
}

typedef struct list_key {
    const char *table, *key;
    int (*fn)(loader *l, const char *s, unsigned long line, const char *key);
} list_key;

static const list_key LIST_KEYS[] = {
    {"rules", "add", rule_file},          {"rules", "disable", disable},
    {"exclude", "paths", exclude},        {"allowlist", "regexes", regex},
    {"allowlist", "stopwords", stopword},
};

static int take_table(loader *l, const ks_toml_kv *t)
{
    if (t->val.type != KS_TOML_TABLE)
        return bad(l, t->val.line, t->key, "expected a table ([%s]), not a value", t->key);
    const ks_toml_table *tab = t->val.u.tab;
    int is_scan = !strcmp(t->key, "scan"), known = is_scan;
    for (size_t i = 0; i < sizeof LIST_KEYS / sizeof *LIST_KEYS; i++)
        known |= !strcmp(LIST_KEYS[i].table, t->key);
    if (!known)
        return bad(l, t->val.line, t->key, "not a table keysweep knows%s: scan, rules, exclude, allowlist", "");
    for (size_t i = 0; i < tab->n; i++) {
        const ks_toml_kv *kv = &tab->items[i];
        int rc = -1;
        if (is_scan) {
            rc = take_scan_key(l, kv);
        } else {
            char key[160];
            snprintf(key, sizeof key, "%s.%s", t->key, kv->key);
            for (size_t k = 0; rc < 0 && k < sizeof LIST_KEYS / sizeof *LIST_KEYS; k++)
                if (!strcmp(LIST_KEYS[k].table, t->key) && !strcmp(LIST_KEYS[k].key, kv->key))
                    rc = each_string(l, &kv->val, key, LIST_KEYS[k].fn);
            if (rc < 0)
                rc = bad(l, kv->val.line, key, "not a key keysweep knows%s (see README: Configuration file)", "");
        }
        if (rc)
            return rc;
    }
    return 0;
}

int config_load(config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    size_t len = 0;
    int frc = ks__file_read(path, 0, CONFIG_MAX, &text, &len);
    if (frc) {
        say("%s: cannot read the configuration: %s", path, frc == -EFBIG ? "larger than 1 MiB" : strerror(-frc));
        return 2;
    }
    ks_toml_table *doc = NULL;
    ks_toml_error err = {0};
    size_t pl = strlen(path);
    int yaml = (pl > 4 && !strcmp(path + pl - 4, ".yml")) || (pl > 5 && !strcmp(path + pl - 5, ".yaml"));
    int rc = yaml ? config_yaml_parse(text, len, &doc, &err.line, err.msg, sizeof err.msg)
                  : ks__toml_parse(text, len, &doc, &err);
    ks__free(text);
    if (rc) {
        say("%s:%lu: %s", path, err.line, rc == KS_ENOMEM ? "out of memory" : err.msg);
        return 2;
    }
    loader l = {c, path, dir_of(path)};
    c->path = strdup(path);
    rc = l.dir && c->path ? 0 : 2;
    for (size_t i = 0; !rc && i < doc->n; i++)
        rc = take_table(&l, &doc->items[i]);
    if (!rc && c->n_regexes && !(c->md = pcre2_match_data_create(1, NULL)))
        rc = 2;
    free(l.dir);
    ks__toml_free(doc);
    if (rc)
        config_free(c);
    return rc;
}

int config_hides(config *c, const char *rule_id, const unsigned char *secret, size_t len)
{
    for (size_t i = 0; i < c->n_disabled; i++)
        if (!strcmp(c->disabled[i], rule_id))
            return 1;
    for (size_t i = 0; i < c->n_stopwords; i++) {
        size_t n = strlen(c->stopwords[i]);
        for (size_t at = 0; n <= len && at + n <= len; at++) {
            size_t k = 0;
            while (k < n && tolower(secret[at + k]) == (unsigned char)c->stopwords[i][k])
                k++;
            if (k == n)
                return 1;
        }
    }
    for (size_t i = 0; i < c->n_regexes; i++)
        if (pcre2_match(c->regexes[i], secret, len, 0, 0, c->md, NULL) >= 0)
            return 1;
    return 0;
}

void config_free(config *c)
{
    for (size_t i = 0; i < c->n_opts; i++) {
        free(c->opts[i].name);
        free(c->opts[i].value);
        free(c->opts[i].key);
    }
    free(c->opts);
    for (size_t i = 0; i < c->n_disabled; i++)
        free(c->disabled[i]);
    free(c->disabled);
    for (size_t i = 0; i < c->n_stopwords; i++)
        free(c->stopwords[i]);
    free(c->stopwords);
    for (size_t i = 0; i < c->n_regexes; i++)
        pcre2_code_free(c->regexes[i]);
    free(c->regexes);
    pcre2_match_data_free(c->md);
    free(c->path);
    memset(c, 0, sizeof *c);
}
