/* test_detect_engine.c: issue 16's engine features on the built-in pack: severity, path conditions, exact spans, near-miss reasons, generic rules yielding, known test keys. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "scanner_int.h"

/* What one finding says, copied out of the callback. */
typedef struct hit {
    char rule[96], secret[512], match[640], severity[16], reason[32];
    uint64_t start, end, secret_start, secret_end;
    int near_miss, known;
} hit;
typedef struct hits {
    hit h[16];
    size_t n;
} hits;

static int keep(const ks_match *m, void *ctx)
{
    hits *hs = ctx;
    if (hs->n == 16)
        return 0;
    hit *h = &hs->h[hs->n++];
    snprintf(h->rule, sizeof h->rule, "%s", m->rule_id);
    snprintf(h->secret, sizeof h->secret, "%.*s", (int)m->secret_len, (const char *)m->secret);
    snprintf(h->match, sizeof h->match, "%.*s", (int)m->match_len, (const char *)m->match);
    snprintf(h->severity, sizeof h->severity, "%s", m->severity ? m->severity : "");
    snprintf(h->reason, sizeof h->reason, "%s", m->near_miss_reason ? m->near_miss_reason : "");
    h->start = m->start;
    h->end = m->end;
    h->secret_start = m->secret_start;
    h->secret_end = m->secret_end;
    h->near_miss = m->near_miss;
    h->known = m->known_test_key;
    return 0;
}

static ks_engine *builtin_engine(unsigned flags)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    ks_engine_options eo = {.size = sizeof eo, .flags = flags | KS_ENGINE_NO_CACHE};
    ks_engine *e = NULL;
    cr_assert_eq(ks_engine_create(r, &eo, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    return e;
}

static hits scan_with(ks_engine *e, const char *text, const char *path)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    hits hs = {0};
    ks_scan_opts so = {.size = sizeof so, .path = path};
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, &so, keep, &hs), 0);
    ks_scanner_destroy(s);
    return hs;
}

static hits scan_builtin(const char *text, const char *path, unsigned flags)
{
    ks_engine *e = builtin_engine(flags);
    hits hs = scan_with(e, text, path);
    ks_engine_destroy(e);
    return hs;
}

static const hit *find_rule(const hits *hs, const char *prefix)
{
    for (size_t i = 0; i < hs->n; i++)
        if (!strncmp(hs->h[i].rule, prefix, strlen(prefix)))
            return &hs->h[i];
    return NULL;
}

static const ks_rule_info *rule_named(ks_engine *e, const char *id, ks_rule_info *info)
{
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(e, &st);
    for (size_t i = 0; i < st.n_rules; i++) {
        info->size = sizeof *info;
        ks_engine_rule(e, i, info);
        if (!strcmp(info->id, id))
            return info;
    }
    return NULL;
}

/* ---- 1. severity ---- */

Test(severity, set_in_yaml_or_derived_from_the_rule)
{
    ks_engine *e = builtin_engine(0);
    ks_rule_info info;
    cr_assert_str_eq(rule_named(e, "aws.secret_access_key", &info)->severity, "critical");
    cr_assert_str_eq(rule_named(e, "stripe.secret_key.live", &info)->severity, "critical");
    cr_assert_str_eq(rule_named(e, "generic.secret_assignment", &info)->severity, "medium");
    cr_assert_str_eq(rule_named(e, "github.pat.classic", &info)->severity, "high");
    ks_engine_destroy(e);
    ks_engine *t = engine_from_yaml("rules:\n  - id: t.hash\n    name: h\n    pattern: 'hash_[a-f0-9]{16}'\n"
                                    "    categories: [hash]\n");
    cr_assert_str_eq(rule_named(t, "t.hash", &info)->severity, "low");
    ks_engine_destroy(t);
}

Test(severity, findings_carry_it)
{
    hits hs = scan_builtin("aws_secret_access_key = \"Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4Tu6I\"\n", NULL, 0);
    const hit *h = find_rule(&hs, "aws.secret_access_key");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->severity, "critical");
}

Test(severity, rejected_when_not_one_of_the_four)
{
    ks_diag d;
    int rc = engine_error_from_yaml("rules:\n  - id: t.x\n    name: x\n    pattern: 'x_[a-z]{8}'\n    severity: urgent\n", &d);
    cr_assert_eq(rc, KS_ERULE);
    cr_assert(strstr(d.message, "severity"), "%s", d.message);
}

/* ---- 2. path conditions ---- */

static const char NETRC[] = "machine api.example.org login me password Xk9qv2LmP0sW\n";

Test(path_condition, netrc_rule_reports_in_netrc_only)
{
    hits in = scan_builtin(NETRC, "/home/u/.netrc", 0);
    cr_assert_not_null(find_rule(&in, "credential_file.netrc"));
    hits out = scan_builtin(NETRC, "/home/u/notes.txt", 0);
    cr_assert_null(find_rule(&out, "credential_file.netrc"));
    hits unknown = scan_builtin(NETRC, NULL, 0); /* no path: conditions cannot be applied */
    cr_assert_not_null(find_rule(&unknown, "credential_file.netrc"));
}

Test(path_condition, shown_in_rule_info_and_bad_regex_rejected)
{
    ks_engine *e = builtin_engine(0);
    ks_rule_info info;
    cr_assert_str_eq(rule_named(e, "credential_file.netrc", &info)->path, "(?:^|/)[._]netrc$");
    cr_assert_str_eq(rule_named(e, "github.pat.classic", &info)->path, "");
    ks_engine_destroy(e);
    ks_diag d;
    int rc = engine_error_from_yaml("rules:\n  - id: t.x\n    name: x\n    pattern: 'x_[a-z]{8}'\n    path: '(unclosed'\n", &d);
    cr_assert_eq(rc, KS_ECOMPILE);
    cr_assert(strstr(d.message, "path"), "%s", d.message);
}

/* A provider rule whose path condition does not hold reports nothing, so it shadows nothing. */
Test(path_condition, git_credentials_outside_its_file_leaves_the_generic_finding)
{
    const char *line = "https://octocat:Vb7qL2xR9mZs4TkW@git.example.com\n";
    hits in = scan_builtin(line, "/home/u/.git-credentials", 0);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.h[0].rule, "credential_file.git_credentials");
    hits out = scan_builtin(line, "/srv/urls.txt", 0);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.h[0].rule, "generic.url_credentials");
}

/* ---- 3. exact spans ---- */

Test(spans, secret_end_and_no_trailing_delimiter)
{
    hits hs = scan_builtin("x = 1\nDB_PASSWORD=\"SH9m*RWupk!Utmli\"\n", NULL, 0);
    const hit *h = find_rule(&hs, "generic.password_assignment");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->secret, "SH9m*RWupk!Utmli");
    cr_assert_eq(h->secret_end, h->secret_start + strlen(h->secret));
    cr_assert_eq(h->match[strlen(h->match) - 1], 'i', "match ends with a delimiter: %s", h->match);
    cr_assert_eq(h->end, h->start + strlen(h->match));
}

/* base64 padding is the secret's own: never trimmed. */
Test(spans, base64_padding_is_kept)
{
    hits hs = scan_builtin("AccountKey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk/K1SZFPTOtr/KBHBeksoGMGw==;\n",
                           NULL, 0);
    for (size_t i = 0; i < hs.n; i++) {
        size_t n = strlen(hs.h[i].secret);
        if (n > 2 && hs.h[i].secret[n - 1] == '=')
            cr_assert_eq(hs.h[i].secret_end - hs.h[i].secret_start, n);
        cr_assert_neq(hs.h[i].match[strlen(hs.h[i].match) - 1], ';');
    }
}

/* ---- 4. near-miss reasons ---- */

Test(near_miss, names_the_failed_check)
{
    /* 36 characters whose last 6 are not the CRC32 of the 30 before them */
    hits hs = scan_builtin("ghp_Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4\n", NULL, KS_ENGINE_SHOW_NEAR_MISS);
    const hit *h = find_rule(&hs, "github.pat.classic");
    cr_assert_not_null(h);
    cr_assert_eq(h->near_miss, 1);
    cr_assert_str_eq(h->reason, "github-crc32");
    hits low = scan_builtin("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL, KS_ENGINE_SHOW_NEAR_MISS);
    h = find_rule(&low, "github.pat.classic");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->reason, "entropy");
}

Test(near_miss, no_reason_on_a_valid_finding)
{
    hits hs = scan_builtin("DB_PASSWORD=\"SH9m*RWupk!Utmli\"\n", NULL, KS_ENGINE_SHOW_NEAR_MISS);
    cr_assert_eq(hs.n, 1);
    cr_assert_eq(hs.h[0].near_miss, 0);
    cr_assert_str_eq(hs.h[0].reason, "");
}

/* ---- 5. one secret, one finding ---- */

Test(one_finding, generic_yields_to_github_token_with_bad_checksum)
{
    const char *text = "token = \"ghp_Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4\"\n";
    hits hs = scan_builtin(text, NULL, 0);
    cr_assert_eq(hs.n, 0, "got %s", hs.n ? hs.h[0].rule : "");
    hits nm = scan_builtin(text, NULL, KS_ENGINE_SHOW_NEAR_MISS);
    cr_assert_eq(nm.n, 1);
    cr_assert_str_eq(nm.h[0].rule, "github.pat.classic");
}

Test(one_finding, generic_yields_to_aws_secret_access_key)
{
    hits hs = scan_builtin("aws_secret_access_key = \"Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4Tu6I\"\n", NULL, 0);
    cr_assert_eq(hs.n, 1);
    cr_assert_str_eq(hs.h[0].rule, "aws.secret_access_key");
}

/* The generic rule still reports a value no provider rule matched. */
Test(one_finding, generic_alone_still_reports)
{
    hits hs = scan_builtin("api_key = \"0HATUFKtzmib039WiV4Vc3wIsA2WCIkA\"\n", NULL, 0);
    cr_assert_eq(hs.n, 1);
    cr_assert_str_eq(hs.h[0].rule, "generic.secret_assignment");
}

/* A provider match that starts left of the generic one, in the previous region, still shadows it:
 * the regions are cut at every byte from the line's start (the provider's match starts at +4, the
 * generic one at +11). */
Test(one_finding, shadow_across_a_region_edge)
{
    const char *line = "aws_secret_access_key = \"Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4Tu6I\"\n";
    size_t pad = 3000, n = pad + strlen(line) + 3000;
    char *text = malloc(n + 1);
    memset(text, ' ', n);
    memcpy(text + pad, line, strlen(line));
    text[n] = 0;
    ks_engine *e = builtin_engine(0);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    for (size_t cut = pad; cut <= pad + 16; cut++) {
        s->region_own_max = cut; /* regions own [0, cut), [cut, 2 cut)... */
        hits hs = {0};
        cr_assert_eq(ks_scan(s, text, n, 0, NULL, keep, &hs), 0);
        cr_assert_eq(hs.n, 1, "cut %zu: %zu findings (%s)", cut, hs.n, hs.n > 1 ? hs.h[1].rule : "");
        cr_assert_str_eq(hs.h[0].rule, "aws.secret_access_key");
    }
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    free(text);
}

/* ---- 6. known test keys ---- */

Test(known_test_key, aws_documented_example_is_hidden)
{
    const char *text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";
    hits hs = scan_builtin(text, NULL, KS_ENGINE_SHOW_NEAR_MISS);
    cr_assert_null(find_rule(&hs, "aws.access_key_id"));
    hits shown = scan_builtin(text, NULL, KS_ENGINE_SHOW_NEAR_MISS | KS_ENGINE_REPORT_TEST_KEYS);
    const hit *h = find_rule(&shown, "aws.access_key_id");
    cr_assert_not_null(h);
    cr_assert_eq(h->known, 1);
}

Test(known_test_key, azurite_account_key_is_hidden)
{
    const char *text = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
                       "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                       "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\n";
    hits hs = scan_builtin(text, NULL, 0);
    cr_assert_eq(hs.n, 0, "got %s", hs.n ? hs.h[0].rule : "");
    hits shown = scan_builtin(text, NULL, KS_ENGINE_REPORT_TEST_KEYS);
    cr_assert_geq(shown.n, 1);
    for (size_t i = 0; i < shown.n; i++)
        cr_assert_eq(shown.h[i].known, 1);
}

/* Published examples met on real machines: RFC 6749's Basic header in Python's OAuth libraries (.py and .pyc),
 * systemd.netdev(5)'s WireGuard key in /usr/share/man (found there compressed, as a .gz member). */
Test(known_test_key, rfc6749_basic_header_and_systemd_wireguard_example_are_hidden)
{
    static const struct {
        const char *text, *rule;
    } cases[] = {
        {"Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\n", "http.basic_auth_header"},
        {"[WireGuard]\nListenPort=51820\nPrivateKey=EEGlnEPYJV//kbvvIqxKkQwOiS+UENyPncC4bF46ong=\n",
         "wireguard.private_key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hits hs = scan_builtin(cases[i].text, NULL, 0);
        cr_assert_null(find_rule(&hs, cases[i].rule), "%s reported", cases[i].rule);
        hits shown = scan_builtin(cases[i].text, NULL, KS_ENGINE_REPORT_TEST_KEYS);
        const hit *h = find_rule(&shown, cases[i].rule);
        cr_assert_not_null(h, "%s not found at all", cases[i].rule);
        cr_assert_eq(h->known, 1);
    }
}

/* The digest ignores line ends: a CRLF copy of a listed PEM key is the same key. */
Test(known_test_key, gnutls_selftest_key_with_crlf)
{
    const char *pem = "-----BEGIN EC PRIVATE KEY-----\r\n"
                      "MHcCAQEEIPAKWV7+pZe9c5EubMNfAEKWRQtP/MvlO9HehwHmJssNoAoGCCqGSM49\r\n"
                      "AwEHoUQDQgAE2CNONRio3ciuXtoomJKs3MdbzLbd44VPhtzJN30VLFm5gvnfiCj2\r\n"
                      "zzz7pl9Cv0ECHl6yedNI8QEKdcwCDgEmkQ==\r\n"
                      "-----END EC PRIVATE KEY-----\r\n";
    hits hs = scan_builtin(pem, NULL, 0);
    cr_assert_eq(hs.n, 0);
    hits shown = scan_builtin(pem, NULL, KS_ENGINE_REPORT_TEST_KEYS);
    cr_assert_eq(shown.n, 1);
    cr_assert_str_eq(shown.h[0].rule, "private_key.ec");
    cr_assert_eq(shown.h[0].known, 1);
}

/* The list comes with the built-in pack: a rule set without it hides nothing. */
Test(known_test_key, only_with_the_builtin_list)
{
    ks_engine *e = engine_from_yaml("rules:\n  - id: t.aws\n    name: a\n    pattern: '\\b(AKIA[A-Z0-9]{16})\\b'\n");
    hits hs = scan_with(e, "AKIAIOSFODNN7EXAMPLE\n", NULL);
    cr_assert_eq(hs.n, 1);
    cr_assert_eq(hs.h[0].known, 0);
    ks_engine_destroy(e);
}

/* Regression: a connection string with two Password= keys. The provider rule reports one finding from its start
 * (its longest end: the second password); whether the first password was also reported by the generic rule
 * depended on the order Vectorscan reported the matches in, so two such lines differing only in their first
 * bytes gave different findings. Now the shorter, unreported provider match shadows nothing. */
Test(one_finding, connection_string_with_two_passwords_reports_both)
{
    static const char *const lead[] = {"# ", "\t", "", "conn = \"", "x x x x "};
    for (size_t i = 0; i < sizeof lead / sizeof *lead; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "%s\"DefaultConnection\": \"Server=tcp:acme.database.windows.net,1433;Initial Catalog=orders;"
                 "User ID=orders_app;Password=GNXjY9sVLCikJyV92viiXR;Encrypt=True;\" ; Password=htcoVn1TaUln\n",
                 lead[i]);
        hits hs = scan_builtin(text, NULL, 0);
        cr_assert_eq(hs.n, 2, "lead '%s': %zu findings", lead[i], hs.n);
        int first = 0, second = 0;
        for (size_t k = 0; k < hs.n; k++) {
            first += !strcmp(hs.h[k].secret, "GNXjY9sVLCikJyV92viiXR");
            second += !strcmp(hs.h[k].secret, "htcoVn1TaUln") && !strcmp(hs.h[k].rule, "sql.connection_string_password");
        }
        cr_assert(first == 1 && second == 1, "lead '%s'", lead[i]);
    }
}
