/* test_gitleaks.c: Gitleaks TOML import: field mapping, regex rewriting, rule-by-rule failures, secretGroup, entropy, allowlists, paths. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "keysweep.h"

/* ---- fixtures ---- */

typedef struct diags {
    ks_diag items[32];
    size_t n;
} diags;

static void keep_diag(const ks_diag *d, void *ctx)
{
    diags *ds = ctx;
    if (ds->n < sizeof ds->items / sizeof *ds->items)
        ds->items[ds->n++] = *d;
}

/* The diagnostic about rule `id`, or NULL. */
static const ks_diag *diag_for(const diags *ds, const char *id)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->items[i].rule_id, id) == 0)
            return &ds->items[i];
    return NULL;
}

static ks_rules *load(const char *toml, int expect_rc, diags *ds)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    memset(ds, 0, sizeof *ds);
    int rc = ks_rules_load_gitleaks(r, toml, strlen(toml), "test.toml", keep_diag, ds);
    cr_assert_eq(rc, expect_rc, "load returned %s, expected %s (first diagnostic: %s)", ks_errname(rc),
                 ks_errname(expect_rc), ds->n ? ds->items[0].text : "none");
    return r;
}

static ks_engine *engine_of(const ks_rules *r)
{
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    int rc = ks_engine_create(r, &o, &e, NULL, NULL);
    cr_assert_eq(rc, 0, "engine: %s", ks_errname(rc));
    return e;
}

static ks_engine *engine_from_toml(const char *toml)
{
    diags ds;
    ks_rules *r = load(toml, 0, &ds);
    ks_engine *e = engine_of(r);
    ks_rules_destroy(r);
    return e;
}

typedef struct hit {
    char rule[64];
    char secret[256];
    char match[256];
    int path_ok, path_no; /* ks_engine_path_allows for "a.php" and "a.txt" */
} hit;

typedef struct hits {
    const ks_engine *e;
    hit items[32];
    size_t n;
} hits;

static int keep_hit(const ks_match *m, void *ctx)
{
    hits *h = ctx;
    if (h->n == sizeof h->items / sizeof *h->items)
        return 0;
    hit *x = &h->items[h->n++];
    snprintf(x->rule, sizeof x->rule, "%s", m->rule_id);
    snprintf(x->secret, sizeof x->secret, "%.*s", (int)m->secret_len, (const char *)m->secret);
    snprintf(x->match, sizeof x->match, "%.*s", (int)m->match_len, (const char *)m->match);
    x->path_ok = ks_engine_path_allows(h->e, m, "src/a.php");
    x->path_no = ks_engine_path_allows(h->e, m, "src/a.txt");
    return 0;
}

static hits scan(const ks_engine *e, const char *text)
{
    hits h;
    memset(&h, 0, sizeof h);
    h.e = e;
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, keep_hit, &h), 0);
    ks_scanner_destroy(s);
    return h;
}

static const hit *find(const hits *h, const char *rule, const char *secret)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->items[i].rule, rule) == 0 && (!secret || strcmp(h->items[i].secret, secret) == 0))
            return &h->items[i];
    return NULL;
}

static ks_rule_info info_of(const ks_rules *r, const char *id)
{
    ks_rule_info ri = {.size = sizeof ri};
    for (size_t i = 0; i < ks_rules_count(r); i++) {
        cr_assert_eq(ks_rules_get(r, i, &ri), 0);
        if (strcmp(ri.id, id) == 0)
            return ri;
    }
    cr_assert_fail("rule %s not loaded", id);
    return ri;
}

/* ---- mapping ---- */

Test(gitleaks, fields_map_to_rules)
{
    diags ds;
    ks_rules *r = load("title = 'test config'\n"
                       "\n"
                       "[[rules]]\n"
                       "id = \"acme-token\"\n"
                       "description = \"Acme API token\"\n"
                       "regex = '''\\b(acme_[a-z0-9]{20})\\b'''\n"
                       "entropy = 3\n"
                       "keywords = [\"ACME_\", 'acme']\n"
                       "tags = ['api', \"acme\"]\n"
                       "\n"
                       "[[rules]]\n"
                       "id = 'no-description'\n"
                       "regex = \"tok-[0-9]{8}\"\n"
                       "entropy = 2.5\n",
                       0, &ds);
    cr_assert_eq(ks_rules_count(r), 2);
    cr_assert_eq(ds.n, 0, "unexpected diagnostic: %s", ds.n ? ds.items[0].text : "");
    ks_rule_info a = info_of(r, "acme-token");
    cr_assert_str_eq(a.name, "Acme API token");
    cr_assert_str_eq(a.description, "Acme API token");
    cr_assert_str_eq(a.pattern, "\\b(acme_[a-z0-9]{20})\\b"); /* nothing to rewrite */
    cr_assert_float_eq(a.min_entropy, 3.0, 1e-9);
    cr_assert_eq(a.n_keywords, 2);
    cr_assert_str_eq(a.keywords[0], "acme_"); /* Gitleaks compares keywords in lower case */
    cr_assert_eq(a.n_categories, 2);
    cr_assert_str_eq(a.categories[1], "acme");
    cr_assert_str_eq(a.source, "test.toml");
    cr_assert_eq(a.line, 3);
    ks_rule_info b = info_of(r, "no-description");
    cr_assert_str_eq(b.name, "no-description");
    cr_assert_float_eq(b.min_entropy, 2.5, 1e-9);
    cr_assert_eq(b.line, 11);
    ks_rules_destroy(r);
}

Test(gitleaks, unbounded_repeats_are_bounded)
{
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'plus'\nregex = '''tok_[a-z]+'''\n"
                       "[[rules]]\nid = 'star-lazy'\nregex = '''key=\\w*?;'''\n"
                       "[[rules]]\nid = 'open'\nregex = '''ab[0-9]{3,}'''\n"
                       "[[rules]]\nid = 'two'\nregex = '''x[a-z]+y[0-9]*z'''\n"
                       "[[rules]]\nid = 'untouched'\nregex = '''[+*{}]\\+\\*a{2}b{1,3}c?\\{d}'''\n"
                       "[[rules]]\nid = 'literal-brace'\nregex = '''\\$\\{[A-Z]{2,8}}|{{x}}'''\n",
                       0, &ds);
    cr_assert_str_eq(info_of(r, "plus").pattern, "tok_[a-z]{1,4096}");
    cr_assert_str_eq(info_of(r, "star-lazy").pattern, "key=\\w{0,4096}?;");
    cr_assert_str_eq(info_of(r, "open").pattern, "ab[0-9]{3,4099}");
    cr_assert_str_eq(info_of(r, "two").pattern, "x[a-z]{1,2048}y[0-9]{0,2048}z"); /* two repeats share 4096 */
    cr_assert_str_eq(info_of(r, "untouched").pattern, "[+*{}]\\+\\*a{2}b{1,3}c?\\{d\\}");
    cr_assert_str_eq(info_of(r, "literal-brace").pattern, "\\$\\{[A-Z]{2,8}\\}|\\{\\{x\\}\\}");
    ks_engine *e = engine_of(r);
    hits h = scan(e, "tok_abcdef key=abc; ab12345 xaay9z {{x}} ${HOME}");
    cr_assert_not_null(find(&h, "plus", NULL));
    cr_assert_not_null(find(&h, "star-lazy", NULL));
    cr_assert_not_null(find(&h, "open", NULL));
    cr_assert_not_null(find(&h, "two", NULL));
    cr_assert_eq(strcmp(find(&h, "literal-brace", NULL)->match, "{{x}}") == 0 ||
                     strcmp(find(&h, "literal-brace", NULL)->match, "${HOME}") == 0,
                 1);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}

Test(gitleaks, a_long_token_still_matches_after_bounding)
{
    /* A 3000-character PEM-like body: longer than any cut-off a smaller bound would make. */
    const char *toml = "[[rules]]\nid = 'pem'\nregex = '''-----BEGIN KEY-----[\\s\\S-]{64,}?-----END KEY-----'''\n";
    ks_engine *e = engine_from_toml(toml);
    size_t n = 3000;
    char *text = malloc(n + 64);
    strcpy(text, "-----BEGIN KEY-----");
    size_t off = strlen(text);
    for (size_t i = 0; i < n; i++)
        text[off + i] = (i % 65 == 64) ? '\n' : "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26];
    strcpy(text + off + n, "-----END KEY-----");
    hits h = scan(e, text);
    cr_assert_eq(h.n, 1);
    free(text);
    ks_engine_destroy(e);
}

/* ---- rule-by-rule failures ---- */

Test(gitleaks, failing_rules_are_reported_by_id_and_the_rest_load)
{
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'good'\nregex = '''good_[0-9]{4}'''\n"
                       "\n"
                       "[[rules]]\nid = 'lookahead'\nregex = '''foo(?=bar)'''\n"
                       "\n"
                       "[[rules]]\nid = 'broken'\nregex = '''ab(c'''\n"
                       "\n"
                       "[[rules]]\nid = 'pathonly'\npath = '''\\.p12$'''\n"
                       "\n"
                       "[[rules]]\nid = 'empty-match'\nregex = '''x?'''\n"
                       "\n"
                       "[[rules]]\nid = 'bad-entropy'\nregex = 'abc'\nentropy = 'high'\n"
                       "\n"
                       "[[rules]]\nid = 'too-wide'\nregex = '''k[a-z]{1,20000}'''\n"
                       "\n"
                       "[[rules]]\nid = 'good'\nregex = 'dup[0-9]{2}'\n"
                       "\n"
                       "[[rules]]\ndescription = 'no id'\nregex = 'abc'\n"
                       "\n"
                       "[[rules]]\nid = 'also-good'\nregex = '''also_[0-9]{4}'''\n",
                       0, &ds);
    cr_assert_eq(ks_rules_count(r), 2);
    struct {
        const char *id;
        int code;
        unsigned long line;
        const char *why;
    } want[] = {
        {"lookahead", KS_ECOMPILE, 5, "Vectorscan rejects the regex"},
        {"broken", KS_ECOMPILE, 9, "PCRE2 rejects the regex"},
        {"pathonly", KS_ERULE, 13, "path-only rule"},
        {"empty-match", KS_ECOMPILE, 17, "empty string"},
        {"bad-entropy", KS_ERULE, 21, "'entropy' (line 24) must be a number"},
        {"too-wide", KS_EUNBOUNDED, 26, "the limit is 16384"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const ks_diag *d = diag_for(&ds, want[i].id);
        cr_assert_not_null(d, "no diagnostic for %s", want[i].id);
        cr_assert_eq(d->code, want[i].code, "%s: %s", want[i].id, d->text);
        cr_assert_eq(d->line, want[i].line, "%s: line %lu: %s", want[i].id, d->line, d->text);
        cr_assert_str_eq(d->file, "test.toml");
        cr_assert(strstr(d->text, "not loaded: ") && strstr(d->text, want[i].why), "%s", d->text);
    }
    /* The duplicate and the id-less rule are reported too; then a note counts it all. */
    int dup = 0, noid = 0, note = 0;
    for (size_t i = 0; i < ds.n; i++) {
        dup += ds.items[i].code == KS_EDUPLICATE && ds.items[i].line == 30;
        noid += strstr(ds.items[i].text, "rule has no 'id'") != NULL;
        note += ds.items[i].code == 0 && strstr(ds.items[i].text, "loaded 2 of 10 Gitleaks rules; 8 not loaded") != NULL;
    }
    cr_assert(dup && noid && note);
    ks_engine *e = engine_of(r); /* what loaded compiles */
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}

Test(gitleaks, ids_taken_by_earlier_rules_are_skipped)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *yaml = "rules:\n  - {id: shared-id, name: n, pattern: 'yaml[0-9]{3}'}\n";
    cr_assert_eq(ks_rules_load_yaml(r, yaml, strlen(yaml), "first.yml", NULL, NULL), 0);
    diags ds = {0};
    const char *toml = "[[rules]]\nid = 'shared-id'\nregex = 'x[0-9]{3}'\n[[rules]]\nid = 'fresh'\nregex = 'y[0-9]{3}'\n";
    cr_assert_eq(ks_rules_load_gitleaks(r, toml, strlen(toml), "test.toml", keep_diag, &ds), 0);
    cr_assert_eq(ks_rules_count(r), 2);
    const ks_diag *d = diag_for(&ds, "shared-id");
    cr_assert_not_null(d);
    cr_assert_eq(d->code, KS_EDUPLICATE);
    cr_assert(strstr(d->text, "first.yml:2"), "%s", d->text);
    ks_rules_destroy(r);
}

Test(gitleaks, nothing_loadable_is_an_error)
{
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'a'\nregex = '(a)\\1'\n", KS_ECOMPILE, &ds);
    cr_assert_eq(ks_rules_count(r), 0);
    ks_rules_destroy(r);
    r = load("title = 'no rules here'\n[allowlist]\npaths = ['x']\n", KS_EPARSE, &ds);
    cr_assert(strstr(ds.items[0].text, "expected [[rules]]"), "%s", ds.items[0].text);
    ks_rules_destroy(r);
}

Test(gitleaks, malformed_toml_names_file_and_line_and_adds_nothing)
{
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'ok'\nregex = 'abc'\n\n[[rules]]\nid = 'x'\nregex = '''unterminated\n",
                       KS_EPARSE, &ds);
    cr_assert_eq(ks_rules_count(r), 0);
    cr_assert_eq(ds.n, 1);
    cr_assert_eq(ds.items[0].line, 7);
    cr_assert_str_eq(ds.items[0].text, "test.toml:7: TOML error: unterminated string");
    ks_rules_destroy(r);
    r = load("[[rules]]\nid = 'ok'\nid = 'twice'\n", KS_EPARSE, &ds);
    cr_assert_str_eq(ds.items[0].text, "test.toml:3: TOML error: duplicate key 'id'");
    ks_rules_destroy(r);
}

Test(gitleaks, extend_is_noted_not_followed)
{
    diags ds;
    ks_rules *r = load("[extend]\nuseDefault = true\n\n[[rules]]\nid = 'mine'\nregex = 'mine_[0-9]{6}'\n", 0, &ds);
    cr_assert_eq(ks_rules_count(r), 1);
    cr_assert_eq(ds.n, 1);
    cr_assert_eq(ds.items[0].code, 0);
    cr_assert_eq(ds.items[0].line, 2);
    cr_assert(strstr(ds.items[0].text, "useDefault is ignored"), "%s", ds.items[0].text);
    ks_rules_destroy(r);
}

Test(gitleaks, load_path_dispatches_on_the_toml_extension)
{
    char dir[] = "/tmp/ks-gitleaks-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/config.toml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("[[rules]]\nid = \"from-file\"\nregex = '''file_[0-9]{4}'''\n", f);
    fclose(f);
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_path(r, path, NULL, NULL), 0);
    cr_assert_eq(ks_rules_count(r), 1);
    cr_assert_str_eq(info_of(r, "from-file").source, path);
    ks_rules_destroy(r);
    unlink(path);
    rmdir(dir);
}

/* ---- secrets ---- */

Test(gitleaks, secret_group_selects_the_secret)
{
    ks_engine *e = engine_from_toml(
        "[[rules]]\nid = 'group2'\nregex = '''(user|admin)_key=([a-z0-9]{8})'''\nsecretGroup = 2\n"
        "[[rules]]\nid = 'group1'\nregex = '''(?:tok)=([a-z0-9]{8})'''\n"
        "[[rules]]\nid = 'named-elsewhere'\nregex = '''(?P<secret>pre)-(?P<val>[0-9]{6})'''\nsecretGroup = 2\n"
        "[[rules]]\nid = 'whole'\nregex = '''whole[0-9]{4}'''\n");
    hits h = scan(e, "admin_key=abcd1234 tok=zyxw9876 pre-123456 whole2024");
    cr_assert_not_null(find(&h, "group2", "abcd1234"));
    cr_assert_not_null(find(&h, "group1", "zyxw9876"));
    cr_assert_not_null(find(&h, "named-elsewhere", "123456"));
    cr_assert_not_null(find(&h, "whole", "whole2024"));
    ks_engine_destroy(e);
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'ok'\nregex = 'ok[0-9]{2}'\n[[rules]]\nid = 'g3'\nregex = '(a)(b)'\nsecretGroup = 3\n",
                       0, &ds);
    const ks_diag *d = diag_for(&ds, "g3");
    cr_assert_not_null(d);
    cr_assert(strstr(d->text, "secretGroup is 3, but the regex has 2 capture groups"), "%s", d->text);
    ks_rules_destroy(r);
}

Test(gitleaks, entropy_applies_to_the_secret)
{
    ks_engine *e = engine_from_toml("[[rules]]\nid = 'ent'\nregex = '''key=([A-Za-z0-9]{16})'''\nentropy = 3.5\n");
    hits h = scan(e, "key=aaaaaaaaaaaaaaaa key=Zx8Qp2Lm7Vb4Nc1R");
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.items[0].secret, "Zx8Qp2Lm7Vb4Nc1R");
    ks_engine_destroy(e);
}

/* ---- allowlists ---- */

Test(gitleaks, allowlist_regexes_by_target)
{
    ks_engine *e = engine_from_toml("[[rules]]\n"
                                    "id = 'secret-target'\n"
                                    "regex = '''sa=([A-Z0-9]{8})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "regexes = ['''^EXAMPLE''', '''0000$''']\n"
                                    "\n"
                                    "[[rules]]\n"
                                    "id = 'match-target'\n"
                                    "regex = '''mt=([A-Z0-9]{8})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "regexTarget = \"match\"\n"
                                    "regexes = ['''^mt=TEST''']\n"
                                    "\n"
                                    "[[rules]]\n"
                                    "id = 'line-target'\n"
                                    "regex = '''lt=([A-Z0-9]{8})'''\n"
                                    "[rules.allowlist]\n" /* the older singular form */
                                    "regexTarget = 'line'\n"
                                    "regexes = ['''--mount=type=secret''']\n"
                                    /* A `line` reaches as far as the widest rule: make it wide enough. */
                                    "[[rules]]\nid = 'wide'\nregex = '''wide=[a-z]{1,300}'''\n");
    hits h = scan(e, "sa=EXAMPLE1 sa=AB120000 sa=REALKEY1\n"
                     "mt=TEST1234 mt=PROD1234\n"
                     "RUN --mount=type=secret,id=x lt=ABCDEFGH\n"
                     "lt=ZYXWVUTS\n");
    cr_assert_eq(h.n, 3, "got %zu findings", h.n);
    cr_assert_not_null(find(&h, "secret-target", "REALKEY1"));
    cr_assert_not_null(find(&h, "match-target", "PROD1234"));
    cr_assert_not_null(find(&h, "line-target", "ZYXWVUTS"));
    ks_engine_destroy(e);
}

Test(gitleaks, stopwords_and_conditions)
{
    ks_engine *e = engine_from_toml("[[rules]]\n"
                                    "id = 'sw'\n"
                                    "regex = '''sw=([a-zA-Z0-9]{10})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "stopwords = ['Sample', 'dummy']\n"
                                    "\n"
                                    "[[rules]]\n"
                                    "id = 'and'\n"
                                    "regex = '''and=([a-z0-9]{10})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "condition = 'AND'\n"
                                    "regexes = ['''^test''']\n"
                                    "stopwords = ['fake']\n");
    hits h = scan(e, "sw=xxSAMPLExx sw=aDummy1234 sw=Real123456\n"
                     "and=testfake00 and=test123456 and=fake123456\n");
    cr_assert_eq(h.n, 3, "got %zu findings", h.n);
    cr_assert_not_null(find(&h, "sw", "Real123456"));
    cr_assert_not_null(find(&h, "and", "test123456")); /* AND: both must hold */
    cr_assert_not_null(find(&h, "and", "fake123456"));
    ks_engine_destroy(e);
}

Test(gitleaks, global_allowlists_and_target_rules)
{
    ks_engine *e = engine_from_toml("[allowlist]\n"
                                    "description = 'legacy global list'\n"
                                    "regexes = ['''^PLACEHOLDER''']\n"
                                    "\n"
                                    "[[allowlists]]\n"
                                    "targetRules = ['beta']\n"
                                    "stopwords = ['zzz']\n"
                                    "\n"
                                    "[[rules]]\nid = 'alpha'\nregex = '''a=([A-Za-z]{11})'''\n"
                                    "[[rules]]\nid = 'beta'\nregex = '''b=([A-Za-z]{11})'''\n");
    hits h = scan(e, "a=PLACEHOLDER a=realvalueAA a=withzzzinit\n"
                     "b=PLACEHOLDER b=realvalueBB b=withzzzinit\n");
    cr_assert_eq(h.n, 3, "got %zu findings", h.n);
    cr_assert_not_null(find(&h, "alpha", "realvalueAA"));
    cr_assert_not_null(find(&h, "alpha", "withzzzinit")); /* the stopword list targets beta only */
    cr_assert_not_null(find(&h, "beta", "realvalueBB"));
    ks_engine_destroy(e);
}

Test(gitleaks, rule_paths_and_allowlist_paths)
{
    ks_engine *e = engine_from_toml("[[rules]]\n"
                                    "id = 'php-only'\n"
                                    "regex = '''php=([a-z]{6})'''\n"
                                    "path = '''(?i)\\.php$'''\n"
                                    "\n"
                                    "[[rules]]\n"
                                    "id = 'not-in-txt'\n"
                                    "regex = '''any=([a-z]{6})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "paths = ['''\\.txt$''']\n"
                                    "\n"
                                    "[[rules]]\n"
                                    "id = 'and-path'\n"
                                    "regex = '''ap=([a-z]{6})'''\n"
                                    "[[rules.allowlists]]\n"
                                    "condition = 'AND'\n"
                                    "paths = ['''\\.php$''']\n"
                                    "regexes = ['''^skip''']\n"
                                    "\n"
                                    "[[rules]]\nid = 'plain'\nregex = '''pl=([a-z]{6})'''\n");
    hits h = scan(e, "php=abcdef any=abcdef ap=skipme ap=keepme pl=abcdef");
    cr_assert_eq(h.n, 5, "the engine has no path: nothing is dropped for a path (%zu)", h.n);
    const hit *x = find(&h, "php-only", NULL);
    cr_assert(x->path_ok && !x->path_no);
    x = find(&h, "not-in-txt", NULL);
    cr_assert(x->path_ok && !x->path_no);
    x = find(&h, "and-path", "skipme");
    cr_assert(!x->path_ok && x->path_no, "AND: path and regex together exempt");
    x = find(&h, "and-path", "keepme");
    cr_assert(x->path_ok && x->path_no);
    x = find(&h, "plain", NULL);
    cr_assert(x->path_ok && x->path_no);
    cr_assert_eq(ks_engine_path_allows(e, NULL, "x"), 1);
    ks_engine_destroy(e);
}

Test(gitleaks, bad_allowlists_are_reported)
{
    diags ds;
    ks_rules *r = load("[[rules]]\nid = 'ok'\nregex = 'ok[0-9]{2}'\n"
                       "[[rules]]\nid = 'badre'\nregex = 'b[0-9]{2}'\n[[rules.allowlists]]\nregexes = ['(unclosed']\n"
                       "[[rules]]\nid = 'badtarget'\nregex = 't[0-9]{2}'\n[[rules.allowlists]]\nregexTarget = 'file'\n"
                       "[[rules]]\nid = 'badcond'\nregex = 'c[0-9]{2}'\n[[rules.allowlists]]\ncondition = 'XOR'\n"
                       "regexes = ['x']\n",
                       0, &ds);
    cr_assert_eq(ks_rules_count(r), 1);
    cr_assert(strstr(diag_for(&ds, "badre")->text, "allowlist regex '(unclosed' does not compile"));
    cr_assert(strstr(diag_for(&ds, "badtarget")->text, "regexTarget must be secret, match or line"));
    cr_assert(strstr(diag_for(&ds, "badcond")->text, "condition must be OR or AND"));
    ks_rules_destroy(r);
    r = load("[allowlist]\nregexes = ['(unclosed']\n[[rules]]\nid = 'ok'\nregex = 'ok[0-9]{2}'\n", KS_ECOMPILE, &ds);
    cr_assert_eq(ks_rules_count(r), 0, "a broken global allowlist loads nothing");
    cr_assert(strstr(ds.items[0].text, "global allowlist"), "%s", ds.items[0].text);
    ks_rules_destroy(r);
}

Test(gitleaks, findings_do_not_depend_on_how_a_stream_is_cut)
{
    ks_engine *e = engine_from_toml("[[rules]]\nid = 'lt'\nregex = '''lt=([A-Z0-9]{8})'''\n"
                                    "[[rules.allowlists]]\nregexTarget = 'line'\nregexes = ['''allow-this-line''']\n"
                                    "[[rules]]\nid = 'wide'\nregex = '''wide=[a-z]{1,300}'''\n");
    const char *text = "x allow-this-line lt=AAAAAAAA\nlt=BBBBBBBB allow-this-line\nlt=CCCCCCCC\n";
    size_t len = strlen(text);
    hits whole = scan(e, text);
    cr_assert_eq(whole.n, 1);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    for (size_t piece = 1; piece <= 7; piece++) {
        hits h;
        memset(&h, 0, sizeof h);
        h.e = e;
        ks_stream *st = NULL;
        cr_assert_eq(ks_stream_open(ks_scanner_engine(s), NULL, keep_hit, &h, &st), 0);
        for (size_t o = 0; o < len; o += piece)
            cr_assert_eq(ks_stream_write(st, s, text + o, o + piece <= len ? piece : len - o), 0);
        cr_assert_eq(ks_stream_close(st, s), 0);
        cr_assert_eq(h.n, 1, "piece %zu: %zu findings", piece, h.n);
        cr_assert_str_eq(h.items[0].secret, "CCCCCCCC");
    }
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

/* ---- robustness ---- */

static int full_sequence(void)
{
    const char *toml = "[allowlist]\nstopwords = ['example']\n"
                       "[[rules]]\nid = 'a'\nregex = '''a=([a-z0-9]+)'''\nentropy = 1\nkeywords = ['a=']\n"
                       "path = '''\\.txt$'''\n[[rules.allowlists]]\nregexes = ['^0+$']\n"
                       "[[rules]]\nid = 'b'\nregex = '(x'\n";
    ks_rules *r = NULL;
    ks_engine *e = NULL;
    ks_scanner *s = NULL;
    int rc = ks_rules_create(&r);
    if (!rc)
        rc = ks_rules_load_gitleaks(r, toml, strlen(toml), "t.toml", NULL, NULL);
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    if (!rc)
        rc = ks_engine_create(r, &o, &e, NULL, NULL);
    if (!rc)
        rc = ks_scanner_create(e, &s);
    hits h;
    memset(&h, 0, sizeof h);
    h.e = e;
    if (!rc)
        rc = ks_scan(s, "a=k3y9 a=000 a=example1", 23, 0, 0, keep_hit, &h);
    if (!rc && h.n != 1)
        rc = -100;
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
    return rc;
}

Test(gitleaks, allocation_failures)
{
    int succeeded = 0;
    for (long n = 1; n < 5000 && !succeeded; n++) {
        ks__fault_alloc_set(n, 0);
        int rc = full_sequence();
        long failures = ks__fault_alloc_failures();
        ks__fault_alloc_set(0, 0);
        if (!failures) {
            cr_assert_eq(rc, 0, "no allocation failed, yet rc=%d", rc);
            succeeded = 1;
        } else {
            cr_assert_neq(rc, 0, "allocation %ld failed but the API reported success", n);
            cr_assert_neq(rc, -100, "allocation %ld failed and findings were silently lost", n);
        }
    }
    cr_assert(succeeded);
}
