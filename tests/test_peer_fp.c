/* test_peer_fp.c: Gitleaks fingerprints split from the right (file names with ':'), keys that ignore "./" and the
 * case of commit ids, and peers' reports read as baselines (escapes decoded, each kind told by its members). */
#include <criterion/criterion.h>
#include <string.h>

#include "baseline.h"
#include "peer_fp.h"

#define C40 "0123456789abcdef0123456789abcdef01234567"

static peer_place split_ok(const char *s)
{
    peer_place p;
    cr_assert_eq(gitleaks_fingerprint_split(s, strlen(s), &p), 0, "%s", s);
    return p;
}

static int same(const char *s, size_t n, const char *want) { return n == strlen(want) && !memcmp(s, want, n); }

Test(peer_fp, fingerprints_split_from_the_right)
{
    peer_place p = split_ok("c:/x:y.txt:aws-access-token:12");
    cr_assert(same(p.file, p.file_len, "c:/x:y.txt") && same(p.rule, p.rule_len, "aws-access-token") && p.line == 12);
    cr_assert_eq(p.commit_len, 0);
    p = split_ok(C40 ":dir/a.env:generic-api-key:3");
    cr_assert(same(p.commit, p.commit_len, C40) && same(p.file, p.file_len, "dir/a.env") && p.line == 3);
    p = split_ok(C40 C40 ":f:r:1"); /* 80 hex digits are no commit id: all file */
    cr_assert_eq(p.commit_len, 0);
    p = split_ok(C40 "0123456789abcdef01234567:f:r:1"); /* SHA-256 */
    cr_assert_eq(p.commit_len, 64);
    const char *bad[] = {"f:r:", "f::1", ":r:1", "f:r:1x", "f:r:-1", "noline", "r:1", C40 "::r:1", "f:r:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        peer_place q;
        cr_assert_eq(gitleaks_fingerprint_split(bad[i], strlen(bad[i]), &q), -1, "%s", bad[i]);
    }
}

Test(peer_fp, fingerprint_written_is_split_back)
{
    peer_place p = {.commit = C40, .commit_len = 40, .file = "a:b", .file_len = 3, .rule = "r.x", .rule_len = 3, .line = 7};
    ks_strbuf b = {0};
    gitleaks_fingerprint(&b, &p);
    cr_assert_str_eq(b.s, C40 ":a:b:r.x:7");
    peer_place q = split_ok(b.s);
    cr_assert_eq(gitleaks_key(&q), gitleaks_key(&p));
    ks__sb_free(&b);
}

Test(peer_fp, keys_ignore_dot_slash_and_commit_case)
{
    peer_place a = split_ok("./d/a.txt:r:1"), b = split_ok("d/a.txt:r:1"), c = split_ok("d/a.txt:r:2");
    cr_assert_eq(gitleaks_key(&a), gitleaks_key(&b));
    cr_assert_neq(gitleaks_key(&b), gitleaks_key(&c));
    peer_place up = split_ok("0123456789ABCDEF0123456789ABCDEF01234567:f:r:1"), low = split_ok(C40 ":f:r:1");
    cr_assert_eq(gitleaks_key(&up), gitleaks_key(&low));
    peer_place nocommit = split_ok("f:r:1");
    cr_assert_neq(gitleaks_key(&low), gitleaks_key(&nocommit));
    /* the same place, Gitleaks' key and TruffleHog's: never one for the other */
    cr_assert_neq(gitleaks_key(&b), trufflehog_key(&b, (const unsigned char *)"", 0));
}

static ks_match match_of(const char *secret, const char *rule)
{
    ks_match m;
    memset(&m, 0, sizeof m);
    m.secret = (const unsigned char *)secret;
    m.secret_len = strlen(secret);
    m.rule_id = rule;
    return m;
}

Test(peer_fp, peers_reports_are_baselines)
{
    const char *text = "[{\"RuleID\":\"r\",\"Fingerprint\":\"d\\/a\\u002etxt:r:1\",\"Tags\":[],\"Entropy\":3.5},\n"
                       " {\"File\":\"b.txt\",\"RuleID\":\"r\",\"StartLine\":4,\"Commit\":\"\"}]\n"
                       "{\"SourceMetadata\":{\"Data\":{\"Git\":{\"commit\":\"" C40 "\",\"file\":\"c.txt\",\"line\":2}}},"
                       "\"Raw\":\"s\\u00e9cret\",\"ExtraData\":null}\n";
    baseline b;
    memset(&b, 0, sizeof b);
    char err[512] = "";
    cr_assert_eq(baseline_parse(&b, text, strlen(text), "t", err, sizeof err), 0, "%s", err);
    ks_match m = match_of("s\xc3\xa9" "cret", "r");
    peer_place p = split_ok("d/a.txt:r:1");
    cr_assert(baseline_has_peer(&b, &p, &m));
    p = split_ok("b.txt:r:4");
    cr_assert(baseline_has_peer(&b, &p, &m));
    p = split_ok("b.txt:r:5");
    cr_assert(!baseline_has_peer(&b, &p, &m));
    p = split_ok(C40 ":c.txt:other-rule:2"); /* TruffleHog names no rule: any rule's finding of that secret there */
    cr_assert(baseline_has_peer(&b, &p, &m));
    ks_match other = match_of("secret", "r");
    cr_assert(!baseline_has_peer(&b, &p, &other));
    p = split_ok("c.txt:r:2"); /* not in that commit */
    cr_assert(!baseline_has_peer(&b, &p, &m));
    baseline_free(&b);
}

Test(peer_fp, malformed_reports_name_the_line_and_finding)
{
    struct {
        const char *text, *want;
    } cases[] = {
        {"[{\"fingerprint\":\"0123456789abcdef\"},\n {\"RuleID\":\"r\",\"File\":\"f\",\"StartLine\":0}]",
         "baseline t: line 2, finding 2: a Gitleaks finding without a \"StartLine\""},
        {"{\"SourceMetadata\":{\"Data\":{}},\"Raw\":\"x\"}", "line 1, finding 1: a TruffleHog result without"},
        {"{\"SourceMetadata\":{\"Data\":{\"Filesystem\":{\"file\":\"f\",\"line\":\"3\"}}},\"Raw\":\"x\"}",
         "SourceMetadata.Data.Filesystem.line"},
        {"[{\"Fingerprint\":7}]", "a Gitleaks \"Fingerprint\" that is not a string"},
        {"[{\"RuleID\":\"r\"", "line 1, finding 1: "},
        {"[1]", "expected a finding object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        baseline b;
        memset(&b, 0, sizeof b);
        char err[512] = "";
        cr_assert_eq(baseline_parse(&b, cases[i].text, strlen(cases[i].text), "t", err, sizeof err), -1, "%zu", i);
        cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
        baseline_free(&b);
    }
}

Test(peer_fp, paths_are_cleaned_as_go_cleans_them)
{
    /* Gitleaks and TruffleHog write filepath.Join(root, rel), which is filepath.Clean'd */
    static const char *const cases[][2] = {
        {"", "."},          {".", "."},           {"./", "."},            {"a.env", "a.env"},
        {"./a.env", "a.env"}, {".//./a.env", "a.env"}, {"w//a.env", "w/a.env"}, {"./w//a.env", "w/a.env"},
        {"w/", "w"},        {"w/../w/a", "w/a"},  {"w/x/../../a", "a"},   {"../a", "../a"},
        {"../../a/..", "../.."}, {"w/../../a", "../a"}, {"/", "/"},        {"//a", "/a"},
        {"/../a", "/a"},    {"/t/./x/../a", "/t/a"}, {"a/..", "."},        {"..", ".."},
        {"a/...", "a/..."}, {"a/.x/..y", "a/.x/..y"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ks_strbuf b = {0};
        ks__sb_puts(&b, "prefix:"); /* appended, not overwritten */
        peer_clean_path(&b, cases[i][0]);
        cr_assert(b.len >= 7 && !strcmp(b.s + 7, cases[i][1]) && strlen(b.s) == b.len, "'%s' -> '%s', want '%s'",
                  cases[i][0], b.s ? b.s + 7 : "", cases[i][1]);
        ks__sb_free(&b);
    }
}
