/* loader.c: parses YAML rule files (keysweep and Nosey Parker formats) into ks_rules, with file:line diagnostics. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "file_read.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "alloc.h"
#include "builtin.h"
#include "diag_emit.h"
#include "filter.h"
#include "known_list.h"
#include "rules_int.h"
#include "strvec.h"
#include "validators.h"
#include "strtod_c.h"

#define MAX_RULE_FILE (64u << 20)

typedef struct load_ctx {
    const char *source;
    ks_diag_fn on_error;
    void *ctx;
    int rc;
} load_ctx;

#define FAIL(lc, code, line, id, ...)                                                    \
    do {                                                                                 \
        ks__diag_emit((lc)->on_error, (lc)->ctx, (code), (lc)->source, (line), (id), __VA_ARGS__); \
        if (!(lc)->rc)                                                                   \
            (lc)->rc = (code);                                                           \
    } while (0)

static unsigned long node_line(const yaml_node_t *n) { return (unsigned long)n->start_mark.line + 1; }

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Keys other scanners put in their rule files that mean nothing to keysweep. */
static const char *const foreign_keys[] = {"validation", "depends_on_rule", "visible", "tests",
                                           "pattern_requirements", "revocation", "tags", NULL};

static int is_foreign_key(const char *k)
{
    for (size_t i = 0; foreign_keys[i]; i++)
        if (strcmp(k, foreign_keys[i]) == 0)
            return 1;
    return 0;
}

static int set_string(load_ctx *lc, yaml_node_t *v, const char *key, const char *id, char **dst)
{
    const char *s = scalar(v);
    if (!s) {
        FAIL(lc, KS_ERULE, node_line(v), id, "'%s' must be a string", key);
        return -1;
    }
    ks__free(*dst);
    *dst = ks__strdup(s);
    if (!*dst) {
        FAIL(lc, KS_ENOMEM, node_line(v), id, "out of memory");
        return -1;
    }
    return 0;
}

static int set_list(load_ctx *lc, yaml_document_t *doc, yaml_node_t *v, const char *key, const char *id,
                    ks_strvec *dst)
{
    ks__strvec_free(dst);
    if (v->type == YAML_SCALAR_NODE) { /* a lone string is a one-element list */
        dst->items = ks__calloc(1, sizeof *dst->items);
        if (!dst->items || !(dst->items[0] = ks__strdup(scalar(v)))) {
            FAIL(lc, KS_ENOMEM, node_line(v), id, "out of memory");
            return -1;
        }
        dst->n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        FAIL(lc, KS_ERULE, node_line(v), id, "'%s' must be a list of strings", key);
        return -1;
    }
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (!n)
        return 0;
    dst->items = ks__calloc(n, sizeof *dst->items);
    if (!dst->items) {
        FAIL(lc, KS_ENOMEM, node_line(v), id, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(doc, v->data.sequence.items.start[i]);
        const char *s = scalar(item);
        if (!s) {
            FAIL(lc, KS_ERULE, item ? node_line(item) : node_line(v), id,
                 "'%s' must be a list of strings", key);
            return -1;
        }
        dst->items[i] = ks__strdup(s);
        if (!dst->items[i]) {
            FAIL(lc, KS_ENOMEM, node_line(item), id, "out of memory");
            return -1;
        }
        dst->n = i + 1;
    }
    return 0;
}

/* `trufflehog: {detector: Name, type: N}`: the name and DetectorType number TruffleHog's reports give its
 * equivalent detector (proto/detector_type.proto). Both are needed: the number is what TruffleHog's consumers
 * key on, the name what they show, and keysweep carries no copy of TruffleHog's enum to look either up. */
static int set_trufflehog(load_ctx *lc, yaml_document_t *doc, yaml_node_t *v, const char *id, ks_rule *r)
{
    if (v->type != YAML_MAPPING_NODE) {
        FAIL(lc, KS_ERULE, node_line(v), id, "'trufflehog' must be a mapping {detector: Name, type: N}");
        return -1;
    }
    const char *name = NULL, *type = NULL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(doc, p->key));
        const char *s = scalar(yaml_document_get_node(doc, p->value));
        if (k && !strcmp(k, "detector") && s)
            name = s;
        else if (k && !strcmp(k, "type") && s)
            type = s;
        else {
            FAIL(lc, KS_ERULE, node_line(v), id, "'trufflehog' takes only 'detector' (a string) and 'type' (a number)");
            return -1;
        }
    }
    size_t n = name ? strlen(name) : 0;
    if (!n || n > 64 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n) {
        FAIL(lc, KS_ERULE, node_line(v), id, "'trufflehog' needs 'detector': 1-64 characters of [A-Za-z0-9_]");
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long t = type ? strtol(type, &end, 10) : -1;
    if (!type || end == type || *end || errno || t < 0 || t > 1000000) {
        FAIL(lc, KS_ERULE, node_line(v), id, "'trufflehog' needs 'type': TruffleHog's DetectorType number (0-1000000)");
        return -1;
    }
    ks__free(r->trufflehog_detector);
    if (!(r->trufflehog_detector = ks__strdup(name))) {
        FAIL(lc, KS_ENOMEM, node_line(v), id, "out of memory");
        return -1;
    }
    r->trufflehog_type = (int)t;
    return 0;
}

/* 1 when PCRE2 compiles `expr` (the rule's `field`), else a diagnostic naming the offset. */
static int pcre2_compiles(load_ctx *lc, const ks_rule *r, const char *field, const char *expr)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)expr, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        FAIL(lc, KS_ECOMPILE, r->line, r->id, "%s does not compile (PCRE2): %s at offset %zu", field,
             (const char *)msg, (size_t)erroff);
        return 0;
    }
    pcre2_code_free(code);
    return 1;
}

/* Checks what can be checked without Vectorscan: fields, validator names, PCRE2 syntax. */
static int check_rule(load_ctx *lc, ks_rule *r)
{
    const char *id = r->id ? r->id : "";
    int ok = 1;
    if (!r->id) {
        FAIL(lc, KS_ERULE, r->line, NULL, "rule has no 'id'");
        return 0;
    }
    if (!ks__rule_id_valid(r->id)) {
        FAIL(lc, KS_ERULE, r->line, id, "id must be 1-120 characters of [A-Za-z0-9._-]");
        ok = 0;
    }
    if (!r->name || !*r->name) {
        FAIL(lc, KS_ERULE, r->line, id, "rule has no 'name'");
        ok = 0;
    }
    if (!r->pattern || !*r->pattern) {
        FAIL(lc, KS_ERULE, r->line, id, "rule has no 'pattern'");
        return 0;
    }
    /* Bounded compile time and memory: no real token format needs a longer expression. */
    if (strlen(r->pattern) > KS_MAX_PATTERN_LEN) {
        FAIL(lc, KS_ERULE, r->line, id, "pattern is %zu bytes long; the limit is %u", strlen(r->pattern),
             KS_MAX_PATTERN_LEN);
        return 0;
    }
    if (r->confidence && strcmp(r->confidence, "low") && strcmp(r->confidence, "medium") &&
        strcmp(r->confidence, "high")) {
        FAIL(lc, KS_ERULE, r->line, id, "confidence must be low, medium or high, not '%s'",
             r->confidence);
        ok = 0;
    }
    if (r->severity && !ks__severity_valid(r->severity)) {
        FAIL(lc, KS_ERULE, r->line, id, "severity must be critical, high, medium or low, not '%s'", r->severity);
        ok = 0;
    }
    if (r->gitleaks_id && !ks__rule_id_valid(r->gitleaks_id)) {
        FAIL(lc, KS_ERULE, r->line, id, "gitleaks_id must be 1-120 characters of [A-Za-z0-9._-]");
        ok = 0;
    }
    if (r->path) {
        int ec;
        size_t eo;
        if (!*r->path) {
            FAIL(lc, KS_ERULE, r->line, id, "path must not be empty");
            ok = 0;
        } else if (!(r->cond = ks__cond_new_path(r->path, &ec, &eo))) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ec, msg, sizeof msg);
            FAIL(lc, ec == PCRE2_ERROR_NOMEMORY ? KS_ENOMEM : KS_ECOMPILE, r->line, id,
                 "path does not compile (PCRE2): %s at offset %zu", (const char *)msg, eo);
            ok = 0;
        }
    }
    if (r->validate) {
        ks_validator v;
        if (ks__validator_lookup(r->validate, &v)) {
            FAIL(lc, KS_ERULE, r->line, id, "unknown validator '%s'", r->validate);
            ok = 0;
        }
    }
    if (!(r->min_entropy >= 0.0 && r->min_entropy <= 8.0)) {
        FAIL(lc, KS_ERULE, r->line, id, "min_entropy must be between 0 and 8");
        ok = 0;
    }
    if (r->prefilter && (!*r->prefilter || strlen(r->prefilter) > KS_MAX_PATTERN_LEN)) {
        FAIL(lc, KS_ERULE, r->line, id, "prefilter must be 1-%u bytes long", KS_MAX_PATTERN_LEN);
        ok = 0;
    }
    if (!pcre2_compiles(lc, r, "pattern", r->pattern) ||
        (r->prefilter && !pcre2_compiles(lc, r, "prefilter", r->prefilter)))
        ok = 0;
    return ok;
}

static int parse_rule(load_ctx *lc, yaml_document_t *doc, yaml_node_t *node, ks_rule *r)
{
    memset(r, 0, sizeof *r);
    r->line = node_line(node);
    r->source = ks__strdup(lc->source);
    if (!r->source) {
        FAIL(lc, KS_ENOMEM, r->line, NULL, "out of memory");
        return 0;
    }
    if (node->type != YAML_MAPPING_NODE) {
        FAIL(lc, KS_EPARSE, r->line, NULL, "each entry of 'rules' must be a mapping");
        return 0;
    }
    /* Find the id first so every later message can name the rule. */
    yaml_node_pair_t *p;
    for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(doc, p->key));
        if (k && strcmp(k, "id") == 0 &&
            set_string(lc, yaml_document_get_node(doc, p->value), "id", NULL, &r->id))
            return 0;
    }
    const char *id = r->id;
    int ok = 1;
    for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *k = scalar(kn);
        if (!k || !v) {
            FAIL(lc, KS_EPARSE, kn ? node_line(kn) : r->line, id, "rule keys must be strings");
            ok = 0;
            continue;
        }
        int bad = 0;
        if (strcmp(k, "id") == 0)
            continue;
        else if (strcmp(k, "name") == 0)
            bad = set_string(lc, v, k, id, &r->name);
        else if (strcmp(k, "pattern") == 0)
            bad = set_string(lc, v, k, id, &r->pattern);
        else if (strcmp(k, "prefilter") == 0)
            bad = set_string(lc, v, k, id, &r->prefilter);
        else if (strcmp(k, "description") == 0)
            bad = set_string(lc, v, k, id, &r->description);
        else if (strcmp(k, "confidence") == 0)
            bad = set_string(lc, v, k, id, &r->confidence);
        else if (strcmp(k, "validate") == 0)
            bad = set_string(lc, v, k, id, &r->validate);
        else if (strcmp(k, "severity") == 0)
            bad = set_string(lc, v, k, id, &r->severity);
        else if (strcmp(k, "path") == 0)
            bad = set_string(lc, v, k, id, &r->path);
        else if (strcmp(k, "gitleaks_id") == 0)
            bad = set_string(lc, v, k, id, &r->gitleaks_id);
        else if (strcmp(k, "trufflehog") == 0)
            bad = set_trufflehog(lc, doc, v, id, r);
        else if (strcmp(k, "examples") == 0)
            bad = set_list(lc, doc, v, k, id, &r->examples);
        else if (strcmp(k, "negative_examples") == 0 || strcmp(k, "non_examples") == 0) /* NP's older name */
            bad = set_list(lc, doc, v, k, id, &r->negative_examples);
        else if (strcmp(k, "references") == 0)
            bad = set_list(lc, doc, v, k, id, &r->references);
        else if (strcmp(k, "categories") == 0)
            bad = set_list(lc, doc, v, k, id, &r->categories);
        else if (strcmp(k, "keywords") == 0)
            bad = set_list(lc, doc, v, k, id, &r->keywords);
        else if (strcmp(k, "min_entropy") == 0) {
            const char *s = scalar(v);
            char *end = NULL;
            double d = s ? ks__strtod_c(s, &end) : NAN;
            if (!s || end == s || *end || !isfinite(d)) {
                FAIL(lc, KS_ERULE, node_line(v), id, "min_entropy must be a number");
                bad = -1;
            } else {
                r->min_entropy = d;
            }
        } else if (!is_foreign_key(k)) {
            FAIL(lc, KS_ERULE, node_line(kn), id, "unknown key '%s'", k);
            bad = -1;
        }
        if (bad)
            ok = 0;
    }
    return ok && check_rule(lc, r);
}

static void free_parsed(ks_rule *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ks__rule_free(&items[i]);
    ks__free(items);
}

int ks_rules_load_yaml(ks_rules *rules, const char *text, size_t len, const char *source,
                       ks_diag_fn on_error, void *ctx)
{
    if (!rules || (!text && len))
        return KS_EINVAL;
    load_ctx lc = {source ? source : "<yaml>", on_error, ctx, 0};
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return KS_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        FAIL(&lc, parser.error == YAML_MEMORY_ERROR ? KS_ENOMEM : KS_EPARSE,
             (unsigned long)parser.problem_mark.line + 1, NULL, "YAML error: %s%s%s",
             parser.problem ? parser.problem : "malformed YAML", parser.context ? " " : "",
             parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return lc.rc;
    }
    ks_rule *items = NULL;
    size_t n = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *list = NULL;
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
            const char *k = scalar(yaml_document_get_node(&doc, p->key));
            if (k && strcmp(k, "rules") == 0)
                list = yaml_document_get_node(&doc, p->value);
        }
    }
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        FAIL(&lc, KS_EPARSE, root ? node_line(root) : 1, NULL,
             "expected a top-level 'rules:' list");
        goto out;
    }
    size_t total = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    items = ks__calloc(total, sizeof *items);
    if (!items) {
        FAIL(&lc, KS_ENOMEM, node_line(list), NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *rn = yaml_document_get_node(&doc, list->data.sequence.items.start[i]);
        parse_rule(&lc, &doc, rn, &items[n]);
        n++;
    }
    if (!lc.rc && !n)
        FAIL(&lc, KS_EPARSE, node_line(list), NULL, "'rules' is empty");
    if (!lc.rc) {
        int rc = ks__rules_append(rules, items, n, on_error, ctx);
        if (rc)
            lc.rc = rc;
    }
out:
    free_parsed(items, n);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return lc.rc;
}

static int load_file(ks_rules *rules, const char *path, ks_diag_fn on_error, void *ctx)
{
    char *text = NULL;
    size_t len = 0;
    int e = ks__file_read(path, 0, MAX_RULE_FILE, &text, &len);
    if (e) {
        ks__diag_emit(on_error, ctx, e == -ENOMEM ? KS_ENOMEM : KS_EIO, path, 0, NULL,
                      "cannot read rule file: %s",
                      e == -EINVAL ? "not a regular file" : strerror(-e));
        return e == -ENOMEM ? KS_ENOMEM : KS_EIO;
    }
    /* Gitleaks configurations are TOML; by their name, as Gitleaks finds them (gitleaks.c). */
    size_t pl = strlen(path);
    int toml = pl > 5 && strcmp(path + pl - 5, ".toml") == 0;
    int rc = toml ? ks_rules_load_gitleaks(rules, text, len, path, on_error, ctx)
                  : ks_rules_load_yaml(rules, text, len, path, on_error, ctx);
    ks__free(text);
    return rc;
}

static int has_yaml_ext(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every YAML file of a directory into `rules`, all or nothing. */
static int load_dir(ks_rules *rules, const char *path, ks_diag_fn on_error, void *ctx)
{
    DIR *d = opendir(path);
    if (!d) {
        ks__diag_emit(on_error, ctx, KS_EIO, path, 0, NULL, "cannot open rule directory: %s",
                      strerror(errno));
        return KS_EIO;
    }
    ks_strvec names = {0};
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !has_yaml_ext(de->d_name))
            continue;
        if (ks__grow((void **)&names.items, &cap, names.n, sizeof *names.items, 32)) {
            rc = KS_ENOMEM;
            break;
        }
        size_t plen = strlen(path) + strlen(de->d_name) + 2;
        char *full = ks__malloc(plen);
        if (!full) {
            rc = KS_ENOMEM;
            break;
        }
        snprintf(full, plen, "%s/%s", path, de->d_name);
        names.items[names.n++] = full;
    }
    closedir(d);
    ks_rules *tmp = NULL;
    if (!rc && !names.n) {
        ks__diag_emit(on_error, ctx, KS_EIO, path, 0, NULL, "no *.yml or *.yaml rule files in directory");
        rc = KS_EIO;
    }
    if (!rc)
        rc = ks_rules_create(&tmp);
    if (!rc) {
        qsort(names.items, names.n, sizeof *names.items, cmp_str);
        for (size_t i = 0; i < names.n; i++) {
            int r = load_file(tmp, names.items[i], on_error, ctx);
            if (r && !rc)
                rc = r;
        }
    }
    if (!rc)
        rc = ks__rules_append(rules, tmp->items, tmp->n, on_error, ctx);
    if (!rc)
        tmp->n = 0; /* moved */
    ks_rules_destroy(tmp);
    ks__strvec_free(&names);
    return rc;
}

int ks_rules_load_path(ks_rules *rules, const char *path, ks_diag_fn on_error, void *ctx)
{
    if (!rules || !path)
        return KS_EINVAL;
    struct stat st;
    if (stat(path, &st)) {
        ks__diag_emit(on_error, ctx, KS_EIO, path, 0, NULL, "cannot read rules: %s", strerror(errno));
        return KS_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(rules, path, on_error, ctx);
    return load_file(rules, path, on_error, ctx);
}

int ks_rules_load_builtin(ks_rules *rules, ks_diag_fn on_error, void *ctx)
{
    if (!rules)
        return KS_EINVAL;
    ks_rules *tmp = NULL;
    int rc = ks_rules_create(&tmp);
    for (size_t i = 0; !rc && i < ks__builtin_file_count; i++) {
        char source[256];
        snprintf(source, sizeof source, "builtin:%s", ks__builtin_files[i].name);
        rc = ks_rules_load_yaml(tmp, ks__builtin_files[i].data, ks__builtin_files[i].len, source,
                                on_error, ctx);
    }
    if (!rc) /* the published test material the pack's findings are checked against */
        rc = ks__known_list_load_builtin(tmp, on_error, ctx);
    if (!rc)
        rc = ks__rules_append(rules, tmp->items, tmp->n, on_error, ctx);
    if (!rc) {
        tmp->n = 0;
        rc = ks__known_add(&rules->known, (const unsigned char(*)[32])tmp->known.sha, tmp->known.n);
    }
    ks_rules_destroy(tmp);
    return rc;
}
