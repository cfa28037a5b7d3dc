/* test_scan.c: block scanning: exact offsets, lines and secrets, (rule, start) dedupe, and region edges that change nothing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "helpers.h"
#include "scanner_int.h"


static found_list scan_str(const char *text, uint64_t base)
{
    found_list f = {0};
    cr_assert_eq(ks_scan(fx_scanner, text, strlen(text), base, 0, collect, &f), 0);
    return f;
}

TestSuite(scan, .init = fx_setup, .fini = fx_teardown);

Test(scan, offsets_lines_columns_and_secrets)
{
    const char *text = "line one\n"
                       "  key AKIAABCDEFGHIJKLMNOP end\n"
                       "apikey = \"AbCdEf0123456789\"\n"
                       "-----BEGIN TEST KEY-----\nQUJDREVGR0g=\n-----END TEST KEY-----\n";
    found_list f = scan_str(text, 0);
    cr_assert_eq(f.n, 3);
    cr_assert_eq(f.items[0].rule, 0);
    cr_assert_eq(f.items[0].start, 15);
    cr_assert_eq(f.items[0].end, 35);
    cr_assert_eq(f.items[0].line, 2);
    cr_assert_eq(f.items[0].column, 7);
    cr_assert_eq(f.items[0].secret_start, 15); /* named group "secret" */
    cr_assert_eq(f.items[0].secret_len, 20);
    cr_assert_eq(f.items[1].rule, 2);
    cr_assert_eq(f.items[1].line, 3);
    cr_assert_eq(f.items[1].column, 1);
    cr_assert_eq(f.items[1].secret_start, 40 + 10); /* group 1 */
    cr_assert_eq(f.items[1].secret_len, 16);
    cr_assert_eq(f.items[2].rule, 3);
    cr_assert_eq(f.items[2].line, 4);
    cr_assert_eq(f.items[2].secret_len, f.items[2].end - f.items[2].start); /* whole match */
    found_list_free(&f);
}

/* Vectorscan reports every end of `tok_[a-z0-9]{8,24}`; one token must give one finding. */
Test(scan, one_finding_per_token_with_the_longest_end)
{
    found_list f = scan_str("x tok_abcdefgh1234567 y", 0);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.items[0].start, 2);
    cr_assert_eq(f.items[0].end, 21);
    found_list_free(&f);
    f = scan_str("tok_abcdefghijklmnopqrstuvwxyz0123", 0); /* too long: \b never holds */
    cr_assert_eq(f.n, 0);
    found_list_free(&f);
}

/* T17: the same token three times on one line and on adjacent lines. */
Test(scan, repeated_identical_tokens_are_each_reported)
{
    found_list f = scan_str("AKIAABCDEFGHIJKLMNOP AKIAABCDEFGHIJKLMNOP AKIAABCDEFGHIJKLMNOP\nAKIAABCDEFGHIJKLMNOP\n"
                            "AKIAABCDEFGHIJKLMNOP\n", 0);
    cr_assert_eq(f.n, 5);
    cr_assert_eq(f.items[1].start, 21);
    cr_assert_eq(f.items[2].column, 43);
    cr_assert_eq(f.items[3].line, 2);
    cr_assert_eq(f.items[4].line, 3);
    found_list_free(&f);
}

Test(scan, base_offset_is_added)
{
    found_list f = scan_str("\nAKIAABCDEFGHIJKLMNOP", 5000000000ULL);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.items[0].start, 5000000001ULL);
    cr_assert_eq(f.items[0].line, 2);
    cr_assert_eq(f.items[0].column, 1);
    found_list_free(&f);
}

Test(scan, anchors_hold_at_buffer_edges)
{
    found_list f = scan_str("SECRET:123456", 0);
    cr_assert_eq(f.n, 1);
    found_list_free(&f);
    f = scan_str("xSECRET:123456\nSECRET:1234567\nSECRET:654321\n", 0);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.items[0].line, 3);
    found_list_free(&f);
}

static found_list scan_regions(const unsigned char *buf, size_t len, size_t own_max)
{
    found_list f = {0};
    fx_scanner->region_own_max = own_max;
    cr_assert_eq(ks_scan(fx_scanner, buf, len, 0, 0, collect, &f), 0);
    fx_scanner->region_own_max = 0;
    return f;
}

/* The owned-region split used for >4 GiB buffers must never change a finding. */
Test(scan, region_edges_change_nothing)
{
    for (uint64_t seed = 1; seed <= 12; seed++) {
        size_t len = 20000 + (size_t)seed * 977;
        unsigned char *buf = make_object(len, 40, seed);
        found_list whole = scan_regions(buf, len, 0);
        cr_assert(whole.n >= 20, "only %zu findings", whole.n);
        static const size_t sizes[] = {1, 7, 64, 333, 4096, 4097};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            found_list part = scan_regions(buf, len, sizes[k]);
            cr_assert(found_list_equal(&whole, &part), "seed %llu, region %zu", (unsigned long long)seed, sizes[k]);
            found_list_free(&part);
        }
        found_list_free(&whole);
        free(buf);
    }
}

/* T18 for regions: every plant at every offset from one width before to two bytes after an edge. */
Test(scan, boundary_sweep_finds_each_token_once)
{
    const size_t own = 4096, len = 3 * own;
    unsigned char *buf = malloc(len);
    for (size_t p = 0; p < N_PLANTS; p++) {
        size_t pl = strlen(PLANTS[p]);
        for (size_t at = own - pl - 3; at <= own + 2; at++) {
            memset(buf, ' ', len);
            buf[100] = '\n';
            memcpy(buf + at, PLANTS[p], pl);
            buf[at - 1] = '\n';
            buf[at + pl] = '\n';
            found_list f = scan_regions(buf, len, own);
            cr_assert_eq(f.n, 1, "plant %zu at %zu: %zu findings", p, at, f.n);
            cr_assert_eq(f.items[0].start, at);
            cr_assert_eq(f.items[0].end, at + plant_match_len(PLANTS[p]));
            cr_assert_eq(f.items[0].line, 3);
            cr_assert_eq(f.items[0].column, 1);
            found_list_free(&f);
        }
    }
    free(buf);
}

/* One secret, one finding: a generic rule's finding is dropped when a more confident rule found a
 * secret inside it, whatever the region edges. */
Test(scan_shadow, provider_rule_shadows_generic_assignment)
{
    ks_engine *e = engine_from_yaml(
        "rules:\n"
        "  - {id: generic, name: G, confidence: low, pattern: '\\btoken\\s{0,3}=\\s{0,3}\"([A-Za-z0-9_]{8,64})\"'}\n"
        "  - {id: provider, name: P, confidence: high, pattern: '\\b(?P<secret>prv_[a-z0-9]{12})\\b'}\n");
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    const char *text = "a\ntoken = \"prv_abcdef123456\"\nb token = \"NotAProviderValue1\"\n";
    size_t len = strlen(text);
    for (size_t own = 0; own <= 40; own++) {
        s->region_own_max = own; /* 0: one region; 1..40: every cut through both matches */
        found_list f = {0};
        cr_assert_eq(ks_scan(s, text, len, 0, 0, collect, &f), 0);
        cr_assert_eq(f.n, 2, "region %zu: %zu findings", own, f.n);
        cr_assert_eq(f.items[0].rule, 1, "region %zu: the provider rule reports the first secret", own);
        cr_assert_eq(f.items[0].start, 11);
        cr_assert_eq(f.items[1].rule, 0, "the generic rule still reports values no other rule knows");
        found_list_free(&f);
    }
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}
