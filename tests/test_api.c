/* test_api.c: every public function's contract: success, each error path, NULL handling, allocation failures. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "fault.h"
#include "helpers.h"

Test(api, strerror_and_errname_cover_every_code)
{
#define CHECK(name, value, text)                            \
    cr_assert_str_eq(ks_strerror(value), text);             \
    cr_assert_str_eq(ks_errname(value), #name);
    KS_ERRORS(CHECK)
#undef CHECK
    cr_assert_str_eq(ks_strerror(0), "success");
    cr_assert_str_eq(ks_strerror(-999), "unknown error");
    cr_assert_str_eq(ks_errname(-999), "KS_E?");
}

Test(api, versions_and_cpu)
{
    cr_assert_str_eq(ks_version(), KS_VERSION_STRING);
    cr_assert(strlen(ks_vectorscan_version()) > 0);
    cr_assert_eq(ks_check_cpu(), 0);
}

Test(api, destroy_null_is_a_noop)
{
    ks_rules_destroy(NULL);
    ks_engine_destroy(NULL);
    ks_scanner_destroy(NULL);
    ks_stream_abort(NULL);
    cr_assert_eq(ks_stream_close(NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_stream_bytes(NULL), 0);
    cr_assert_null(ks_scanner_engine(NULL));
}

Test(api, null_arguments_are_rejected)
{
    ks_rules *r = NULL;
    ks_engine *e = (ks_engine *)0x1;
    ks_scanner *s = (ks_scanner *)0x1;
    ks_stream *st = (ks_stream *)0x1;
    ks_rule_info info = {.size = sizeof info};
    ks_engine_stats stats = {.size = sizeof stats};
    cr_assert_eq(ks_rules_create(NULL), KS_EINVAL);
    cr_assert_eq(ks_rules_load_builtin(NULL, NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_rules_load_yaml(NULL, "", 0, NULL, NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_rules_load_path(NULL, "/x", NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_rules_count(NULL), 0);
    cr_assert_eq(ks_rules_get(NULL, 0, &info), KS_EINVAL);
    cr_assert_eq(ks_engine_create(NULL, NULL, &e, NULL, NULL), KS_EINVAL);
    cr_assert_null(e, "out-parameter must be NULL on failure");
    cr_assert_eq(ks_engine_create(NULL, NULL, NULL, NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_engine_stats_get(NULL, &stats), KS_EINVAL);
    cr_assert_eq(ks_engine_rule(NULL, 0, &info), KS_EINVAL);
    cr_assert_eq(ks_scanner_create(NULL, &s), KS_EINVAL);
    cr_assert_null(s);
    cr_assert_eq(ks_scan(NULL, "x", 1, 0, 0, collect, NULL), KS_EINVAL);
    cr_assert_eq(ks_stream_open(NULL, NULL, collect, NULL, &st), KS_EINVAL);
    cr_assert_null(st);
    cr_assert_eq(ks_stream_write(NULL, NULL, "x", 1), KS_EINVAL);
    char dir[8];
    cr_assert_eq(ks_default_cache_dir(dir, sizeof dir), KS_EINVAL, "a buffer too short for any cache path");
    cr_assert_eq(ks_default_cache_dir(NULL, 0), KS_EINVAL);
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_path(r, NULL, NULL, NULL), KS_EINVAL);
    cr_assert_eq(ks_rules_get(r, 0, &info), KS_EINVAL);
    e = NULL;
    cr_assert_eq(ks_engine_create(r, NULL, &e, NULL, NULL), KS_ENORULES);
    cr_assert_null(e);
    ks_rules_destroy(r);
}

Test(api, scan_options_and_buffers_are_checked)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    cr_assert_eq(ks_scanner_engine(s), e);
    ks_scan_opts zero = {0}, sized = {.size = sizeof sized, .path = "a.txt"};
    found_list f = {0};
    cr_assert_eq(ks_scan(s, "AKIAABCDEFGHIJKLMNOP", 20, 0, &zero, collect, &f), 0);
    cr_assert_eq(ks_scan(s, "AKIAABCDEFGHIJKLMNOP", 20, 0, &sized, collect, &f), 0);
    cr_assert_eq(f.n, 2, "options with size 0 or sizeof are both accepted");
    found_list_free(&f);
    cr_assert_eq(ks_scan(s, NULL, 1, 0, 0, collect, NULL), KS_EINVAL);
    cr_assert_eq(ks_scan(s, NULL, 0, 0, 0, collect, NULL), 0);
    ks_engine_stats st = {.size = sizeof st};
    cr_assert_eq(ks_engine_stats_get(e, &st), 0);
    cr_assert_eq(st.n_rules, 5);
    cr_assert_eq(st.from_cache, 0);
    cr_assert(st.max_width >= 400);
    ks_rule_info info = {.size = sizeof info};
    cr_assert_eq(ks_engine_rule(e, 4, &info), 0);
    cr_assert_str_eq(info.id, "t.line");
    cr_assert_eq(ks_engine_rule(e, 5, &info), KS_EINVAL);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

static int stop_at_first(const ks_match *m, void *ctx)
{
    (*(int *)ctx)++;
    return 1;
}

Test(api, callback_stops_the_scan)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    const char *text = "AKIAAAAAAAAAAAAAAAAA AKIABBBBBBBBBBBBBBBB";
    int calls = 0;
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, stop_at_first, &calls), KS_ETERMINATED);
    cr_assert_eq(calls, 1);
    ks_stream *st = NULL;
    calls = 0;
    cr_assert_eq(ks_stream_open(ks_scanner_engine(s), NULL, stop_at_first, &calls, &st), 0);
    ks_stream_write(st, s, text, strlen(text));
    cr_assert_eq(ks_stream_close(st, s), KS_ETERMINATED);
    cr_assert_eq(calls, 1);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

/* A scanner serves one call at a time: a callback that scans again on the scanner it runs on is
 * refused, while streams, which hold no scanner, may be open in any number on one scanner. */
typedef struct reenter {
    ks_scanner *s;
    ks_stream *st;
    int scan_rc, write_rc;
} reenter;

static int scan_again(const ks_match *m, void *ctx)
{
    (void)m;
    reenter *r = ctx;
    r->scan_rc = ks_scan(r->s, "x", 1, 0, NULL, collect, NULL);
    r->write_rc = ks_stream_write(r->st, r->s, "y", 1);
    return 0;
}

Test(api, a_scanner_serves_one_call_at_a_time)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML), *other = engine_from_yaml(TEST_RULES_YAML);
    ks_scanner *s = NULL;
    ks_stream *st = NULL, *st2 = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    cr_assert_eq(ks_stream_open(e, NULL, collect, NULL, &st), 0);
    cr_assert_eq(ks_stream_open(e, NULL, collect, NULL, &st2), 0, "streams hold no scanner");
    reenter r = {.s = s, .st = st};
    cr_assert_eq(ks_scan(s, "AKIAABCDEFGHIJKLMNOP", 20, 0, NULL, scan_again, &r), 0);
    cr_assert_eq(r.scan_rc, KS_ESCRATCH_BUSY);
    cr_assert_eq(r.write_rc, KS_ESCRATCH_BUSY);
    ks_stream *foreign = NULL;
    cr_assert_eq(ks_stream_open(other, NULL, collect, NULL, &foreign), 0);
    cr_assert_eq(ks_stream_write(foreign, s, "x", 1), KS_EINVAL, "a scanner of another engine");
    cr_assert_eq(ks_stream_close(foreign, s), KS_EINVAL);
    cr_assert_eq(ks_stream_close(st2, s), 0);
    cr_assert_eq(ks_stream_close(st, s), 0);
    cr_assert_eq(ks_scan(s, "x", 1, 0, NULL, collect, NULL), 0);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    ks_engine_destroy(other);
}

Test(api, two_engines_with_different_rules_side_by_side)
{
    ks_engine *a = engine_from_yaml("rules:\n  - {id: a, name: A, pattern: 'alpha[0-9]{4}'}\n");
    ks_engine *b = engine_from_yaml("rules:\n  - {id: b, name: B, pattern: 'beta[0-9]{4}'}\n");
    ks_scanner *sa = NULL, *sb = NULL;
    cr_assert_eq(ks_scanner_create(a, &sa), 0);
    cr_assert_eq(ks_scanner_create(b, &sb), 0);
    const char *text = "alpha1234 beta5678";
    found_list fa = {0}, fb = {0};
    cr_assert_eq(ks_scan(sa, text, strlen(text), 0, 0, collect, &fa), 0);
    cr_assert_eq(ks_scan(sb, text, strlen(text), 0, 0, collect, &fb), 0);
    cr_assert_eq(fa.n, 1);
    cr_assert_eq(fa.items[0].start, 0);
    cr_assert_eq(fb.n, 1);
    cr_assert_eq(fb.items[0].start, 10);
    found_list_free(&fa);
    found_list_free(&fb);
    ks_scanner_destroy(sa);
    ks_scanner_destroy(sb);
    ks_engine_destroy(a);
    ks_engine_destroy(b);
}

/* SQLite-style: fail the Nth allocation for N = 1, 2, ... until the whole sequence succeeds;
 * every failure must surface as an error code, never a crash (ASan checks for leaks). */
static int full_sequence(void)
{
    ks_rules *r = NULL;
    ks_engine *e = NULL;
    ks_scanner *s = NULL;
    ks_stream *st = NULL;
    found_list f = {0};
    int rc = ks_rules_create(&r);
    if (!rc)
        rc = ks_rules_load_yaml(r, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t.yml", NULL, NULL);
    if (!rc) {
        ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
        rc = ks_engine_create(r, &o, &e, NULL, NULL);
    }
    if (!rc)
        rc = ks_scanner_create(e, &s);
    const char *text = "x AKIAABCDEFGHIJKLMNOP tok_abcdefgh12 y";
    if (!rc)
        rc = ks_scan(s, text, strlen(text), 0, 0, collect, &f);
    if (!rc)
        rc = ks_stream_open(ks_scanner_engine(s), NULL, collect, &f, &st);
    if (!rc) {
        rc = ks_stream_write(st, s, text, strlen(text));
        int rc2 = ks_stream_close(st, s);
        if (!rc)
            rc = rc2;
    }
    if (!rc && f.n != 4)
        rc = -100;
    found_list_free(&f);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
    return rc;
}

static void alloc_failure_loop(int persistent)
{
    int succeeded = 0;
    for (long n = 1; n < 5000 && !succeeded; n++) {
        ks__fault_alloc_set(n, persistent);
        int rc = full_sequence();
        long failures = ks__fault_alloc_failures();
        ks__fault_alloc_set(0, 0);
        if (failures == 0) {
            cr_assert_eq(rc, 0, "no allocation failed, yet rc=%d", rc);
            succeeded = 1;
        } else {
            cr_assert_neq(rc, 0, "allocation %ld failed but the API reported success", n);
            cr_assert_neq(rc, -100, "allocation %ld failed and findings were silently lost", n);
        }
    }
    cr_assert(succeeded);
}

Test(api, allocation_failures_transient) { alloc_failure_loop(0); }
Test(api, allocation_failures_persistent) { alloc_failure_loop(1); }

/* Info structs carry their size: a caller compiled against an older, shorter struct gets no more
 * bytes written than it has; 0 means this version's size. */
Test(api, info_structs_are_filled_no_further_than_their_size)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML);
    unsigned char raw[sizeof(ks_rule_info) + 16];
    memset(raw, 0xA5, sizeof raw);
    ks_rule_info *old = (ks_rule_info *)raw;
    old->size = offsetof(ks_rule_info, name); /* an older struct that ends after `id` */
    cr_assert_eq(ks_engine_rule(e, 0, old), 0);
    cr_assert_str_eq(old->id, "t.aws");
    for (size_t i = offsetof(ks_rule_info, name); i < sizeof raw; i++)
        cr_assert_eq(raw[i], 0xA5, "byte %zu past the caller's struct was written", i);
    ks_rule_info zero = {0};
    cr_assert_eq(ks_engine_rule(e, 0, &zero), 0);
    cr_assert_str_eq(zero.name, "AWS access key id");
    cr_assert_eq(zero.size, sizeof zero);
    ks_engine_stats st = {.size = offsetof(ks_engine_stats, max_width)};
    st.max_width = 77;
    cr_assert_eq(ks_engine_stats_get(e, &st), 0);
    cr_assert_eq(st.n_rules, 5);
    cr_assert_eq(st.max_width, 77, "a field past the caller's size stays as it was");
    ks_engine_destroy(e);
}
