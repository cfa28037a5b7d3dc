/* test_rules.c: rule loading and rejection (YAML errors, bad fields, Vectorscan rejections, unbounded widths, duplicates), prefilters and path rules. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_int.h"
#include "helpers.h"

static void expect_error(const char *yaml, int code, unsigned long line, const char *rule_id, const char *needle)
{
    ks_diag d;
    int rc = engine_error_from_yaml(yaml, &d);
    cr_assert_eq(rc, code, "expected %s, got %s (%s)", ks_errname(code), ks_errname(rc), d.text);
    cr_assert_eq(d.code, code);
    cr_assert_str_eq(d.file, "test.yml");
    if (line)
        cr_assert_eq(d.line, line, "line %lu, expected %lu: %s", d.line, line, d.text);
    if (rule_id)
        cr_assert_str_eq(d.rule_id, rule_id);
    cr_assert(strstr(d.text, needle), "'%s' not in '%s'", needle, d.text);
}

Test(rules, bad_yaml_names_the_line)
{
    expect_error("rules:\n  - id: a\n    name: [unclosed\n", KS_EPARSE, 0, NULL, "YAML error");
}

Test(rules, missing_rules_list)
{
    expect_error("foo: 1\n", KS_EPARSE, 1, NULL, "top-level 'rules:'");
    expect_error("rules: []\n", KS_EPARSE, 1, NULL, "empty");
}

Test(rules, missing_fields_and_unknown_keys)
{
    expect_error("rules:\n  - name: x\n    pattern: abc\n", KS_ERULE, 2, NULL, "no 'id'");
    expect_error("rules:\n  - id: r1\n    pattern: abc\n", KS_ERULE, 2, "r1", "no 'name'");
    expect_error("rules:\n  - id: r1\n    name: n\n", KS_ERULE, 2, "r1", "no 'pattern'");
    expect_error("rules:\n  - id: r1\n    name: n\n    pattern: abc\n    negative_exampels: [x]\n", KS_ERULE, 5,
                 "r1", "unknown key 'negative_exampels'");
    expect_error("rules:\n  - id: 'bad id'\n    name: n\n    pattern: abc\n", KS_ERULE, 2, "bad id", "id must be");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, confidence: extreme}\n", KS_ERULE, 2, "r1", "confidence");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, validate: astrology}\n", KS_ERULE, 2, "r1",
                 "unknown validator");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, min_entropy: lots}\n", KS_ERULE, 2, "r1", "min_entropy");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, min_entropy: 9}\n", KS_ERULE, 2, "r1", "min_entropy");
}

Test(rules, pcre2_syntax_error)
{
    expect_error("rules:\n  - id: ok\n    name: n\n    pattern: abc\n  - id: broken\n    name: n\n    pattern: 'ab(c'\n",
                 KS_ECOMPILE, 5, "broken", "PCRE2");
}

Test(rules, vectorscan_rejects_a_backreference)
{
    expect_error("rules:\n  - id: ok\n    name: n\n    pattern: abc\n  - id: backref\n    name: n\n    pattern: '(ab)\\1'\n",
                 KS_ECOMPILE, 5, "backref", "Vectorscan rejects the pattern: Back-references are unsupported");
}

Test(rules, vectorscan_rejects_lookbehind)
{
    expect_error("rules:\n  - {id: lb, name: n, pattern: '(?<=x)abc'}\n", KS_ECOMPILE, 2, "lb", "Vectorscan rejects");
}

Test(rules, unbounded_width_is_rejected)
{
    expect_error("rules:\n  - {id: ok, name: n, pattern: 'abc'}\n  - {id: star, name: n, pattern: 'key=.*'}\n",
                 KS_EUNBOUNDED, 3, "star", "unbounded");
    expect_error("rules:\n  - {id: plus, name: n, pattern: 'k[a-z]+'}\n", KS_EUNBOUNDED, 2, "plus", "unbounded");
}

Test(rules, too_wide_is_rejected)
{
    expect_error("rules:\n  - {id: wide, name: n, pattern: 'k[a-z]{1,20000}'}\n", KS_EUNBOUNDED, 2, "wide", "limit is");
}

Test(rules, empty_match_is_rejected)
{
    expect_error("rules:\n  - {id: empty, name: n, pattern: 'a{0,3}'}\n", KS_ECOMPILE, 2, "empty", "empty");
}

Test(rules, duplicate_id_in_one_file)
{
    expect_error("rules:\n  - {id: d, name: n, pattern: abc}\n  - {id: d, name: n, pattern: def}\n", KS_EDUPLICATE, 3,
                 "d", "duplicate rule id (first defined at test.yml:2)");
}

Test(rules, duplicate_id_across_loads_adds_nothing)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *a = "rules:\n  - {id: d, name: n, pattern: abc}\n";
    const char *b = "rules:\n  - {id: e, name: n, pattern: xyz}\n  - {id: d, name: n, pattern: def}\n";
    cr_assert_eq(ks_rules_load_yaml(r, a, strlen(a), "a.yml", NULL, NULL), 0);
    cr_assert_eq(ks_rules_load_yaml(r, b, strlen(b), "b.yml", NULL, NULL), KS_EDUPLICATE);
    cr_assert_eq(ks_rules_count(r), 1, "a failed load must add nothing");
    ks_rules_destroy(r);
}

Test(rules, every_error_is_reported_not_just_the_first)
{
    int count = 0;
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *y = "rules:\n  - {id: a, name: n}\n  - {id: b, name: n, pattern: 'x(('}\n  - {id: c, pattern: x}\n";
    void counter(const ks_diag *d, void *ctx);
    cr_assert_neq(ks_rules_load_yaml(r, y, strlen(y), "m.yml", (ks_diag_fn)counter, &count), 0);
    cr_assert_eq(count, 3);
    cr_assert_eq(ks_rules_count(r), 0);
    ks_rules_destroy(r);
}

void counter(const ks_diag *d, void *ctx)
{
    (void)d;
    (*(int *)ctx)++;
}

Test(rules, fields_are_kept)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *y = "rules:\n"
                    "  - id: gh\n"
                    "    name: GitHub\n"
                    "    pattern: 'ghp_[A-Za-z0-9]{36}'\n"
                    "    description: a token\n"
                    "    keywords: [ghp_]\n"
                    "    min_entropy: 3.5\n"
                    "    validate: github-crc32\n"
                    "    confidence: high\n"
                    "    examples: [a, b]\n"
                    "    negative_examples: c\n"
                    "    references: [https://example.invalid]\n"
                    "    categories: [api]\n";
    cr_assert_eq(ks_rules_load_yaml(r, y, strlen(y), "f.yml", NULL, NULL), 0);
    ks_rule_info i = {.size = sizeof i};
    cr_assert_eq(ks_rules_get(r, 0, &i), 0);
    cr_assert_str_eq(i.id, "gh");
    cr_assert_str_eq(i.description, "a token");
    cr_assert_str_eq(i.validate, "github-crc32");
    cr_assert_str_eq(i.confidence, "high");
    cr_assert_float_eq(i.min_entropy, 3.5, 1e-9);
    cr_assert_eq(i.n_examples, 2);
    cr_assert_eq(i.n_negative_examples, 1);
    cr_assert_str_eq(i.negative_examples[0], "c");
    cr_assert_str_eq(i.keywords[0], "ghp_");
    cr_assert_str_eq(i.source, "f.yml");
    cr_assert_eq(i.line, 2);
    ks_rules_destroy(r);
}

/* A Nosey Parker rule file, in that project's own layout, loads unchanged. */
Test(rules, nosey_parker_format_loads)
{
    const char *np = "rules:\n"
                     "- name: Example Service Token\n"
                     "  id: np.example.1\n"
                     "  pattern: |\n"
                     "    (?x)\n"
                     "    \\b\n"
                     "    (exs_[a-z0-9]{20})   (?# the token )\n"
                     "    \\b\n"
                     "  description: >\n"
                     "    A made-up token format.\n"
                     "  categories: [api, secret]\n"
                     "  references:\n"
                     "  - https://example.invalid/docs\n"
                     "  examples:\n"
                     "  - 'token: exs_abcdefghij0123456789'\n"
                     "  negative_examples:\n"
                     "  - 'exs_short'\n"
                     "  non_examples:\n" /* the older name some Nosey Parker files still use */
                     "  - 'exs_'\n";
    ks_engine *e = engine_from_yaml(np);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    const char *text = "token: exs_abcdefghij0123456789";
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, collect, &f), 0);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.items[0].secret_start, 7);
    cr_assert_eq(f.items[0].secret_len, 24);
    found_list_free(&f);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void mk_tmp(void)
{
    strcpy(tmpdir, "/tmp/ks-rules-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

Test(rules, directory_loads_sorted_and_all_or_nothing, .init = mk_tmp, .fini = rm_tmp)
{
    write_file("b.yml", "rules:\n  - {id: b, name: n, pattern: bbb}\n");
    write_file("a.yaml", "rules:\n  - {id: a, name: n, pattern: aaa}\n");
    write_file("notes.txt", "not rules");
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_path(r, tmpdir, NULL, NULL), 0);
    cr_assert_eq(ks_rules_count(r), 2);
    ks_rule_info i = {.size = sizeof i};
    ks_rules_get(r, 0, &i);
    cr_assert_str_eq(i.id, "a");
    ks_rules_destroy(r);

    write_file("c.yml", "rules:\n  - {id: c, name: n, pattern: 'c(('}\n");
    cr_assert_eq(ks_rules_create(&r), 0);
    ks_diag d = {0};
    void keep(const ks_diag *dd, void *ctx);
    cr_assert_eq(ks_rules_load_path(r, tmpdir, (ks_diag_fn)keep, &d), KS_ECOMPILE);
    cr_assert_eq(ks_rules_count(r), 0);
    cr_assert(strstr(d.file, "/c.yml"), "%s", d.text);
    ks_rules_destroy(r);
}

void keep(const ks_diag *dd, void *ctx)
{
    ks_diag *d = ctx;
    if (!d->code)
        *d = *dd;
}

Test(rules, unreadable_paths)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    ks_diag d = {0};
    cr_assert_eq(ks_rules_load_path(r, "/nonexistent/rules.yml", (ks_diag_fn)keep, &d), KS_EIO);
    cr_assert(strstr(d.text, "/nonexistent/rules.yml"));
    cr_assert_eq(ks_rules_load_path(r, "/dev/null", NULL, NULL), KS_EIO);
    ks_rules_destroy(r);
}

Test(rules, builtin_pack_loads_and_compiles)
{
    ks_rules *r = NULL;
    ks_diag d = {0};
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, (ks_diag_fn)keep, &d), 0, "%s", d.text);
    cr_assert(ks_rules_count(r) >= 3);
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &o, &e, (ks_diag_fn)keep, &d), 0, "%s", d.text);
    ks_rule_info i = {.size = sizeof i};
    ks_rules_get(r, 0, &i);
    cr_assert(strncmp(i.source, "builtin:", 8) == 0);
    /* loading the pack twice is a duplicate */
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), KS_EDUPLICATE);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}

/* T30: a pattern too long to be a token format is refused before any compile. */
Test(rules, huge_pattern_is_rejected)
{
    size_t n = 70000;
    char *yaml = malloc(n + 100);
    int off = sprintf(yaml, "rules:\n  - id: huge\n    name: n\n    pattern: '");
    memset(yaml + off, 'a', n);
    strcpy(yaml + off + n, "'\n");
    expect_error(yaml, KS_ERULE, 2, "huge", "the limit is 65536");
    free(yaml);
}

/* Peer identities: Gitleaks' rule id and TruffleHog's detector name and number, kept and checked. */
Test(rules, peer_identities_are_kept_and_checked)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *y = "rules:\n"
                    "  - id: gh\n"
                    "    name: GitHub\n"
                    "    pattern: 'ghp_[A-Za-z0-9]{36}'\n"
                    "    gitleaks_id: github-pat\n"
                    "    trufflehog: {detector: Github, type: 8}\n"
                    "  - id: plain\n"
                    "    name: Plain\n"
                    "    pattern: 'plain_[a-z]{20}'\n";
    cr_assert_eq(ks_rules_load_yaml(r, y, strlen(y), "f.yml", NULL, NULL), 0);
    ks_rule_info i = {.size = sizeof i};
    cr_assert_eq(ks_rules_get(r, 0, &i), 0);
    cr_assert_str_eq(i.gitleaks_id, "github-pat");
    cr_assert_str_eq(i.trufflehog_detector, "Github");
    cr_assert_eq(i.trufflehog_type, 8);
    cr_assert_eq(ks_rules_get(r, 1, &i), 0);
    cr_assert_str_eq(i.gitleaks_id, "");
    cr_assert_str_eq(i.trufflehog_detector, "");
    cr_assert_eq(i.trufflehog_type, -1);
    /* a caller built against the older, shorter struct gets no more than it holds */
    unsigned char raw[sizeof(ks_rule_info) + 8];
    memset(raw, 0xab, sizeof raw);
    ks_rule_info *old = (ks_rule_info *)raw;
    old->size = offsetof(ks_rule_info, gitleaks_id);
    cr_assert_eq(ks_rules_get(r, 0, old), 0);
    cr_assert_eq(raw[offsetof(ks_rule_info, gitleaks_id)], 0xab);
    ks_rules_destroy(r);

    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, gitleaks_id: 'github pat'}\n", KS_ERULE, 2, "r1",
                 "gitleaks_id must be");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: Github}\n", KS_ERULE, 2, "r1",
                 "'trufflehog' must be a mapping");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: {detector: Github}}\n", KS_ERULE, 2, "r1",
                 "needs 'type'");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: {type: 8}}\n", KS_ERULE, 2, "r1",
                 "needs 'detector'");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: {detector: Git-hub, type: 8}}\n", KS_ERULE,
                 2, "r1", "needs 'detector'");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: {detector: Github, type: eight}}\n", KS_ERULE,
                 2, "r1", "needs 'type'");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, trufflehog: {detector: Github, type: 8, verified: 1}}\n",
                 KS_ERULE, 2, "r1", "takes only");
}

/* Every built-in rule that names a TruffleHog detector gives it one number: the same name never two. */
Test(rules, builtin_trufflehog_detectors_have_one_number_each)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    size_t n = ks_rules_count(r), named = 0;
    for (size_t a = 0; a < n; a++) {
        ks_rule_info x = {.size = sizeof x};
        ks_rules_get(r, a, &x);
        if (!x.trufflehog_detector[0])
            continue;
        named++;
        cr_assert(x.trufflehog_type >= 0);
        for (size_t b = a + 1; b < n; b++) {
            ks_rule_info y = {.size = sizeof y};
            ks_rules_get(r, b, &y);
            if (!strcmp(x.trufflehog_detector, y.trufflehog_detector))
                cr_assert_eq(x.trufflehog_type, y.trufflehog_type, "%s: %s is %d in %s, %d in %s", x.trufflehog_detector,
                             x.id, x.trufflehog_type, y.id, y.trufflehog_type, x.trufflehog_detector);
            cr_assert(strcmp(x.trufflehog_detector, y.trufflehog_detector) == 0 || x.trufflehog_type != y.trufflehog_type,
                      "%s and %s share number %d", x.trufflehog_detector, y.trufflehog_detector, x.trufflehog_type);
        }
    }
    cr_assert(named >= 3, "only %zu built-in rules name a TruffleHog detector", named);
    ks_rules_destroy(r);
}

/* A rule's prefilter is what Vectorscan searches for; the pattern confirms each of its ends and gives the start:
 * the finding is the pattern's, and a prefilter match without the pattern's context is nothing. */
Test(rules, prefilter_is_searched_and_the_pattern_confirms)
{
    const char *y = "rules:\n"
                    "  - id: conn\n"
                    "    name: Connection string password\n"
                    "    pattern: '(?i:\\bserver\\s{0,3}=[^;\\r\\n]{1,100};\\s{0,3}pwd=)(?P<secret>[a-z0-9]{8,16})\\b'\n"
                    "    prefilter: '(?i:pwd=)[a-z0-9]{8,16}\\b'\n";
    ks_engine *e = engine_from_yaml(y);
    ks_rule_info i = {.size = sizeof i};
    cr_assert_eq(ks_engine_rule(e, 0, &i), 0);
    cr_assert_str_eq(i.prefilter, "(?i:pwd=)[a-z0-9]{8,16}\\b");
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    const char *text = "no context: pwd=k3y9x8w7v6\nServer=db01; PWD=q9lgek3bwhxe\n";
    found_list l = {0};
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, collect, &l), 0);
    cr_assert_eq(l.n, 1, "%zu findings", l.n);
    cr_assert_eq(l.items[0].start, (uint64_t)(strchr(text, 'S') - text), "the pattern's start, not the prefilter's");
    cr_assert_eq(l.items[0].line, 2);
    cr_assert_eq(l.items[0].secret_start, (uint64_t)(strstr(text, "q9lg") - text));
    cr_assert_eq(l.items[0].secret_len, 12);
    found_list_free(&l);

    /* the same bytes streamed a byte at a time: the region holds the wider of the two expressions */
    ks_stream *st = NULL;
    found_list ls = {0};
    cr_assert_eq(ks_stream_open(e, NULL, collect, &ls, &st), 0);
    for (size_t k = 0; text[k]; k++)
        cr_assert_eq(ks_stream_write(st, s, text + k, 1), 0);
    cr_assert_eq(ks_stream_close(st, s), 0);
    cr_assert_eq(ls.n, 1);
    cr_assert_eq(ls.items[0].start, (uint64_t)(strchr(text, 'S') - text));
    found_list_free(&ls);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);

    /* a rule without one reports "" */
    ks_engine *plain = engine_from_yaml("rules:\n  - {id: p, name: n, pattern: 'plain_[a-z]{20}'}\n");
    cr_assert_eq(ks_engine_rule(plain, 0, &i), 0);
    cr_assert_str_eq(i.prefilter, "");
    ks_engine_destroy(plain);
}

/* The contract is the author's: a prefilter that does not end where the pattern ends finds nothing there, which
 * `keysweep rules check` shows as an example that does not match. */
Test(rules, prefilter_that_misses_the_patterns_end_finds_nothing)
{
    ks_engine *e = engine_from_yaml("rules:\n  - id: wrong\n    name: n\n    pattern: 'key=[a-z]{10}'\n"
                                    "    prefilter: 'key='\n");
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list l = {0};
    cr_assert_eq(ks_scan(s, "key=abcdefghij\n", 15, 0, 0, collect, &l), 0);
    cr_assert_eq(l.n, 0);
    found_list_free(&l);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

Test(rules, bad_prefilter_names_the_rule)
{
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, prefilter: 'ab(c'}\n", KS_ECOMPILE, 2, "r1",
                 "prefilter does not compile (PCRE2)");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, prefilter: ''}\n", KS_ERULE, 2, "r1",
                 "prefilter must be");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, prefilter: 'a[bc]+'}\n", KS_EUNBOUNDED, 2, "r1",
                 "prefilter match width is unbounded");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, prefilter: '(ab)\\1'}\n", KS_ECOMPILE, 2, "r1",
                 "Vectorscan rejects the prefilter");
    expect_error("rules:\n  - {id: r1, name: n, pattern: abc, prefilter: 'x{0,3}'}\n", KS_ECOMPILE, 2, "r1",
                 "prefilter can match the empty string");
}

/* Rules with a path condition live in a database of their own, searched only where a path lets one of them
 * report, or where the path is unknown: a rule with no literal (a .pgpass line) then costs other files nothing. */
Test(rules, path_rules_are_searched_where_their_path_allows)
{
    ks_engine *e = engine_from_yaml("rules:\n"
                                    "  - id: pg\n"
                                    "    name: pgpass line\n"
                                    "    pattern: '(?m)^[^:#\\s][^:\\s]{0,64}:(?:[0-9]{1,5}|\\*):[^:\\r\\n]{1,64}:"
                                    "[^:\\r\\n]{1,64}:(?P<secret>[^\\r\\n]{1,64})\\r?$'\n"
                                    "    path: '(?:^|/)\\.pgpass$'\n"
                                    "  - {id: tok, name: T, pattern: '\\bKSTEST_[A-Z0-9]{16}\\b'}\n");
    cr_assert(e->path_db != NULL);
    cr_assert_eq(e->n_path_rules, 1);
    cr_assert(e->rules[0].in_path_db && !e->rules[1].in_path_db);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    const char *text = "KSTEST_ABCDEFGH12345678\ndb.example:5432:orders:app:Q7vpL2xRk9w\n";
    static const struct {
        const char *path;
        size_t n;
    } cases[] = {{"/home/u/.pgpass", 2}, {".pgpass", 2}, {"/home/u/notes.txt", 1}, {"/home/u/.pgpass.bak", 1},
                 {NULL, 2}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ks_scan_opts o = {.size = sizeof o, .path = cases[c].path};
        found_list l = {0};
        cr_assert_eq(ks_scan(s, text, strlen(text), 0, &o, collect, &l), 0);
        cr_assert_eq(l.n, cases[c].n, "%s: %zu findings", cases[c].path ? cases[c].path : "(unknown)", l.n);
        if (cases[c].n == 2) {
            cr_assert_eq(l.items[1].rule, 0);
            cr_assert_eq(l.items[1].line, 2);
            cr_assert_eq(l.items[1].secret_len, 11);
        }
        found_list_free(&l);
        /* streamed, a byte at a time */
        ks_stream *st = NULL;
        found_list ls = {0};
        cr_assert_eq(ks_stream_open(e, &o, collect, &ls, &st), 0);
        for (size_t k = 0; text[k]; k++)
            cr_assert_eq(ks_stream_write(st, s, text + k, 1), 0);
        cr_assert_eq(ks_stream_close(st, s), 0);
        cr_assert_eq(ls.n, cases[c].n, "streamed %s: %zu findings", cases[c].path ? cases[c].path : "(unknown)", ls.n);
        found_list_free(&ls);
    }
    ks_scanner_destroy(s);
    ks_engine_destroy(e);

    /* only path rules (and no decoding, so nothing else to search): one database, the filter still applies */
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *y = "rules:\n  - {id: n, name: N, pattern: 'machine [a-z]{1,20} password (?P<secret>[A-Za-z0-9]{8,20})', "
                    "path: '(?:^|/)\\.netrc$'}\n";
    cr_assert_eq(ks_rules_load_yaml(r, y, strlen(y), "t.yml", NULL, NULL), 0);
    ks_engine_options eo = {.flags = KS_ENGINE_NO_CACHE | KS_ENGINE_NO_DECODE};
    ks_engine *only = NULL;
    cr_assert_eq(ks_engine_create(r, &eo, &only, NULL, NULL), 0);
    cr_assert(only->path_db == NULL && !only->rules[0].in_path_db);
    cr_assert_eq(ks_scanner_create(only, &s), 0);
    const char *netrc = "machine host password Xk9vq2LmP0s\n";
    ks_scan_opts in = {.size = sizeof in, .path = "/u/.netrc"}, out = {.size = sizeof out, .path = "/u/x"};
    found_list a = {0}, b = {0};
    cr_assert_eq(ks_scan(s, netrc, strlen(netrc), 0, &in, collect, &a), 0);
    cr_assert_eq(ks_scan(s, netrc, strlen(netrc), 0, &out, collect, &b), 0);
    cr_assert_eq(a.n, 1);
    cr_assert_eq(b.n, 0);
    found_list_free(&a);
    found_list_free(&b);
    ks_scanner_destroy(s);
    ks_engine_destroy(only);
    ks_rules_destroy(r);
}

/* Issue 16: every family of the built-in pack (one file per provider or kind of file) has at least two examples
 * and two negative examples between its rules, and the pack keeps at least 450 rules. */
Test(rules, builtin_families_have_two_examples_and_two_negative_examples)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    size_t n = ks_rules_count(r), families = 0;
    cr_assert(n >= 450, "%zu built-in rules", n);
    for (size_t a = 0; a < n; a++) {
        ks_rule_info x = {.size = sizeof x};
        ks_rules_get(r, a, &x);
        int first = 1;
        size_t ex = 0, neg = 0;
        for (size_t b = 0; b < n; b++) {
            ks_rule_info y = {.size = sizeof y};
            ks_rules_get(r, b, &y);
            if (strcmp(x.source, y.source))
                continue;
            if (b < a)
                first = 0; /* the family was counted at its first rule */
            ex += y.n_examples;
            neg += y.n_negative_examples;
        }
        if (!first)
            continue;
        families++;
        cr_assert(ex >= 2 && neg >= 2, "%s: %zu examples, %zu negative examples", x.source, ex, neg);
    }
    cr_assert(families >= 100, "%zu families", families);
    ks_rules_destroy(r);
}
