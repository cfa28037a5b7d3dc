/* test_allocator.c: an engine's allocator hook carries everything the engine, its scanners and its streams allocate. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus.h"
#include "helpers.h"

/* A counting allocator that knows every block it handed out, so a block freed through it that it
 * never allocated (the C library's) is caught, and so is one that is never given back. */
#define TRACK_SLOTS (1u << 16)

typedef struct tracker {
    pthread_mutex_t mu;
    void *blocks[TRACK_SLOTS];
    size_t sizes[TRACK_SLOTS];
    size_t live, calls, foreign, bytes;
    long fail_after; /* > 0: the call with this number fails, and every one after it */
} tracker;

static size_t slot_of(const tracker *t, const void *p)
{
    size_t h = ((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 48;
    while (t->blocks[h & (TRACK_SLOTS - 1)] && t->blocks[h & (TRACK_SLOTS - 1)] != p)
        h++;
    return h & (TRACK_SLOTS - 1);
}

static void track_add(tracker *t, void *p, size_t n)
{
    size_t i = slot_of(t, p);
    cr_assert(t->live < TRACK_SLOTS / 2, "tracker full");
    t->blocks[i] = p;
    t->sizes[i] = n;
    t->live++;
    t->bytes += n;
}

/* Removes p; returns 0 when the tracker never handed it out. Open addressing, so the cluster
 * after the removed slot is re-inserted. */
static int track_del(tracker *t, void *p)
{
    size_t i = slot_of(t, p);
    if (t->blocks[i] != p)
        return 0;
    t->blocks[i] = NULL;
    t->live--;
    for (size_t j = (i + 1) & (TRACK_SLOTS - 1); t->blocks[j]; j = (j + 1) & (TRACK_SLOTS - 1)) {
        void *q = t->blocks[j];
        size_t n = t->sizes[j];
        t->blocks[j] = NULL;
        size_t k = slot_of(t, q);
        t->blocks[k] = q;
        t->sizes[k] = n;
    }
    return 1;
}

static int should_fail(tracker *t) { return t->fail_after > 0 && (long)++t->calls >= t->fail_after; }

static void *t_malloc(size_t n, void *ctx)
{
    tracker *t = ctx;
    cr_assert(n > 0, "asked for 0 bytes");
    pthread_mutex_lock(&t->mu);
    void *p = should_fail(t) ? NULL : malloc(n);
    if (p)
        track_add(t, p, n);
    pthread_mutex_unlock(&t->mu);
    return p;
}

static void *t_realloc(void *old, size_t n, void *ctx)
{
    tracker *t = ctx;
    cr_assert(n > 0, "asked for 0 bytes");
    pthread_mutex_lock(&t->mu);
    if (old && !track_del(t, old)) {
        t->foreign++;
        pthread_mutex_unlock(&t->mu);
        return NULL;
    }
    void *p = should_fail(t) ? NULL : realloc(old, n);
    if (p)
        track_add(t, p, n);
    else if (old)
        track_add(t, old, 0); /* a failed realloc keeps the old block */
    pthread_mutex_unlock(&t->mu);
    return p;
}

static void t_free(void *p, void *ctx)
{
    tracker *t = ctx;
    pthread_mutex_lock(&t->mu);
    if (p && !track_del(t, p))
        t->foreign++;
    else
        free(p);
    pthread_mutex_unlock(&t->mu);
}

static tracker *tracker_new(void)
{
    tracker *t = calloc(1, sizeof *t);
    cr_assert(t);
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

static ks_rules *builtin_rules(void)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    return r;
}

static int engine_with(tracker *t, const ks_rules *r, ks_engine **e)
{
    ks_allocator a = {t_malloc, t_realloc, t_free, t};
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE, .allocator = &a};
    return ks_engine_create(r, &o, e, NULL, NULL); /* `a` itself may go: the engine copies it */
}

static found_list scan_all(ks_engine *e, const unsigned char *buf, size_t len, int streamed)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    if (!streamed) {
        cr_assert_eq(ks_scan(s, buf, len, 0, NULL, collect, &f), 0);
    } else {
        ks_scan_opts so = {.size = sizeof so, .path = "dir/object.txt"};
        ks_stream *st = NULL;
        cr_assert_eq(ks_stream_open(e, &so, collect, &f, &st), 0);
        for (size_t off = 0; off < len; off += 777)
            cr_assert_eq(ks_stream_write(st, s, buf + off, len - off < 777 ? len - off : 777), 0);
        cr_assert_eq(ks_stream_close(st, s), 0);
    }
    ks_scanner_destroy(s);
    return f;
}

Test(allocator, engine_scanners_and_streams_allocate_through_the_hook_and_give_everything_back)
{
    tracker *t = tracker_new();
    ks_rules *r = NULL; /* the rules make_object plants */
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_yaml(r, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t", NULL, NULL), 0);
    ks_engine *hooked = NULL, *plain = NULL;
    cr_assert_eq(engine_with(t, r, &hooked), 0);
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &o, &plain, NULL, NULL), 0);
    ks_rules_destroy(r);

    ks_engine_stats st = {.size = sizeof st};
    cr_assert_eq(ks_engine_stats_get(hooked, &st), 0);
    /* the database itself was placed in the hook's memory */
    cr_assert_geq(t->bytes, st.database_bytes, "%zu bytes through the hook, database %zu", t->bytes,
                  st.database_bytes);
    size_t after_engine = t->live;

    size_t len = 1 << 20;
    unsigned char *buf = make_object(len, 200, 7);
    found_list want = scan_all(plain, buf, len, 0);
    cr_assert_gt(want.n, 0);
    for (int streamed = 0; streamed <= 1; streamed++) {
        found_list got = scan_all(hooked, buf, len, streamed);
        cr_assert(found_list_equal(&want, &got), "streamed %d", streamed);
        found_list_free(&got);
        /* scanners and streams are gone: what is left is the engine's */
        cr_assert_geq(t->live, after_engine);
    }
    cr_assert_gt(t->live, after_engine, "the confirm regexes compiled on first use live in the engine");
    ks_engine_destroy(hooked);
    cr_assert_eq(t->foreign, 0, "%zu blocks freed through the hook that it never allocated", t->foreign);
    cr_assert_eq(t->live, 0, "%zu blocks never given back", t->live);
    ks_engine_destroy(plain);
    found_list_free(&want);
    free(buf);
    free(t);
}

Test(allocator, every_failed_allocation_is_ks_enomem_and_leaks_nothing)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    const char *y = "rules:\n"
                    "  - {id: t.a, name: a, pattern: 'AKIA[0-9A-Z]{16}'}\n"
                    "  - {id: t.b, name: b, pattern: 'tok_(?<secret>[a-z0-9]{20})'}\n";
    cr_assert_eq(ks_rules_load_yaml(r, y, strlen(y), "t", NULL, NULL), 0);
    const char *text = "key AKIAABCDEFGHIJKLMNOP and tok_abcdefghij0123456789 end\n";
    long n;
    int ok = 0;
    for (n = 1; n < 500 && !ok; n++) {
        tracker *t = tracker_new();
        t->fail_after = n;
        ks_engine *e = NULL;
        int rc = engine_with(t, r, &e);
        cr_assert(rc == 0 || rc == KS_ENOMEM, "call %ld: %s", n, ks_errname(rc));
        if (!rc) {
            ks_scanner *s = NULL;
            rc = ks_scanner_create(e, &s);
            cr_assert(rc == 0 || rc == KS_ENOMEM, "call %ld: %s", n, ks_errname(rc));
            if (!rc) {
                found_list f = {0};
                rc = ks_scan(s, text, strlen(text), 0, NULL, collect, &f);
                cr_assert(rc == 0 || rc == KS_ENOMEM, "call %ld: %s", n, ks_errname(rc));
                ok = rc == 0 && f.n == 2;
                found_list_free(&f);
                ks_scanner_destroy(s);
            }
            ks_engine_destroy(e);
        }
        cr_assert_eq(t->live, 0, "call %ld failed: %zu blocks leaked", n, t->live);
        cr_assert_eq(t->foreign, 0);
        free(t);
    }
    cr_assert(ok, "no run completed within 500 allocations");
    cr_assert_gt(n, 3, "the hook saw allocations");
    ks_rules_destroy(r);
}

Test(allocator, a_hook_without_all_three_functions_is_refused)
{
    ks_rules *r = builtin_rules();
    ks_allocator a = {t_malloc, NULL, t_free, NULL};
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE, .allocator = &a};
    ks_engine *e = (ks_engine *)1;
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), KS_EINVAL);
    cr_assert_null(e);
    /* a caller built before the field existed passes a smaller size: its allocator field is not read */
    ks_engine_options old = {.size = offsetof(ks_engine_options, allocator), .flags = KS_ENGINE_NO_CACHE,
                             .allocator = &a};
    cr_assert_eq(ks_engine_create(r, &old, &e, NULL, NULL), 0);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}

typedef struct tree_found {
    size_t findings, files;
    pthread_mutex_t *mu;
} tree_found;

static int tree_finding(void *ctx, const char *path, const ks_match *m)
{
    ((tree_found *)ctx)->findings++;
    return 0;
}

static void tree_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    cr_assert_eq(err, 0, "%s: %s", path, strerror(err));
    ((tree_found *)ctx)->files++;
}

static tree_found scan_tree(ks_engine *e, const char *root, const char *reader)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = tree_finding, .on_file_done = tree_done};
    ks_pipeline_opts po = {.size = sizeof po, .threads = 2, .chunk_size = 64 << 10, .reader = reader,
                           .flags = KS_PIPELINE_NO_PIN};
    tree_found f = {0};
    ks_pipeline *p = NULL;
    cr_assert_eq(ks_pipeline_create(e, &po, &sink, &f, &p), 0);
    cr_assert_eq(ks_pipeline_walk(p, root, NULL, NULL, NULL), 0);
    cr_assert_eq(ks_pipeline_finish(p), 0);
    return f;
}

Test(allocator, a_tree_scan_allocates_through_the_engines_hook)
{
    char root[] = "/tmp/ks-alloc-XXXXXX";
    cr_assert(mkdtemp(root));
    char path[64];
    for (int i = 0; i < 12; i++) {
        size_t len = i == 0 ? (1 << 20) : 2000 + 300 * (size_t)i; /* one file of many chunks, small ones packed */
        unsigned char *buf = make_object(len, 20, (uint64_t)i + 1);
        snprintf(path, sizeof path, "%s/f%02d.txt", root, i);
        FILE *fp = fopen(path, "wb");
        cr_assert(fp && fwrite(buf, 1, len, fp) == len && fclose(fp) == 0);
        free(buf);
    }
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_yaml(r, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t", NULL, NULL), 0);
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE};
    ks_engine *plain = NULL, *hooked = NULL;
    cr_assert_eq(ks_engine_create(r, &o, &plain, NULL, NULL), 0);
    tracker *t = tracker_new();
    cr_assert_eq(engine_with(t, r, &hooked), 0);
    ks_rules_destroy(r);
    const char *readers[] = {"pread", "auto"};
    for (int k = 0; k < 2; k++) {
        tree_found want = scan_tree(plain, root, readers[k]);
        size_t before = t->live, bytes_before = t->bytes;
        tree_found got = scan_tree(hooked, root, readers[k]);
        cr_assert_eq(got.files, 12);
        cr_assert_gt(want.findings, 0);
        cr_assert_eq(got.findings, want.findings, "%s: %zu findings, %zu without the hook", readers[k], got.findings,
                     want.findings);
        /* chunk buffers, rings, queues, records: megabytes, all through the hook, all given back */
        cr_assert_gt(t->bytes - bytes_before, (size_t)1 << 20, "%s", readers[k]);
        cr_assert_leq(t->live, before + 64, "%s: %zu blocks kept after the pipeline (%zu before)", readers[k],
                      t->live, before); /* at most confirm regexes compiled for the first time */
    }
    ks_engine_destroy(hooked);
    cr_assert_eq(t->foreign, 0);
    cr_assert_eq(t->live, 0, "%zu blocks never given back", t->live);
    ks_engine_destroy(plain);
    free(t);
    for (int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "%s/f%02d.txt", root, i);
        unlink(path);
    }
    rmdir(root);
}
