/* test_member_jobs.c: one big archive's members scanned by several workers give what one worker gives, in the same
 * order, with exact offsets, lines and columns; a member limit and a stop in the middle of the archive end it alike. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "hang.h"
#include "helpers.h"

#define N_MEMBERS 1500

static char path[64];
static uint64_t archive_size;

/* What the sink saw, in the order it saw it. */
typedef struct seen {
    char **lines;
    size_t n, cap;
    int done_calls, done_err, problems;
    uint64_t containers, members, shared;
    ks_pipeline *p;
} seen;

static void add(seen *s, const char *line)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
        cr_assert_not_null(s->lines);
    }
    s->lines[s->n++] = strdup(line);
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
}

static void describe(char *out, size_t n, const char *object, const ks_match *m)
{
    snprintf(out, n, "%s %zu %llu %llu %llu %llu %.*s", object, m->rule_index, (unsigned long long)m->start,
             (unsigned long long)m->end, (unsigned long long)m->line, (unsigned long long)m->column,
             (int)m->secret_len, (const char *)m->secret);
}

static int on_finding(void *ctx, const char *p, const ks_match *m)
{
    char line[512];
    describe(line, sizeof line, m->object ? m->object : "-", m);
    add(ctx, line);
    return 0;
}

static void on_done(void *ctx, const char *p, uint64_t bytes, int err)
{
    seen *s = ctx;
    s->done_calls++;
    s->done_err = err;
    ks_pipeline_info info = {.size = sizeof info};
    cr_assert_eq(ks_pipeline_info_get(s->p, &info), 0);
    s->shared = info.members_shared; /* every member is scanned by now */
}

static void on_problem(void *ctx, const char *p, const char *object, int fatal, const char *what)
{
    seen *s = ctx;
    s->problems++;
    char line[512];
    snprintf(line, sizeof line, "problem %s %d %s", object, fatal, what);
    add(s, line);
}

static void on_container(void *ctx, const char *p, uint64_t containers, uint64_t members)
{
    seen *s = ctx;
    s->containers = containers;
    s->members = members;
}

/* Member i: mostly a few KiB (14 on average, so that the archive, about 23 MB, is more than a worker expanding it
 * holds in flight, 16 MiB: a stop in its middle is met before its end), some far over a block of events (256 KiB)
 * so that they run on from one block into the next, and a few empty. */
static size_t member_size(unsigned i)
{
    if (i == 10 || i == 700)
        return 700000 + i;
    if (i == 701)
        return 300000;
    if (i % 97 == 0)
        return 0;
    return 2000 + (i * 2654435761u) % 24000;
}

static void member_name(unsigned i, char *out, size_t n) { snprintf(out, n, "d%02u/m%05u.txt", i % 13, i); }

/* The archive: a .tar.gz stored without compression (level 0), so it is big enough (over 16 MiB) to be
 * decompressed on a thread of its own, as real big archives are, and quick to write. */
static void make_archive(void)
{
    strcpy(path, "/tmp/ks-mj-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    struct archive *a = archive_write_new();
    cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    cr_assert_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    cr_assert_eq(archive_write_set_filter_option(a, "gzip", "compression-level", "0"), ARCHIVE_OK);
    cr_assert_eq(archive_write_open_fd(a, fd), ARCHIVE_OK, "%s", archive_error_string(a));
    for (unsigned i = 0; i < N_MEMBERS; i++) {
        size_t len = member_size(i);
        unsigned char *data = len ? make_object(len, len / 700 + 1, 1000 + i) : NULL;
        char name[64];
        member_name(i, name, sizeof name);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
        if (len)
            cr_assert_eq(archive_write_data(a, data, len), (la_ssize_t)len);
        archive_entry_free(e);
        free(data);
    }
    cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    close(fd);
    archive_size = (uint64_t)st.st_size;
    cr_assert_geq(archive_size, (uint64_t)16 << 20, "the archive must be big enough to expand on a thread of its own "
                                                   "and to outrun what its expander holds in flight");
}

static void remove_archive(void) { unlink(path); }

/* The oracle: every member scanned whole with ks_scan, in archive order. */
static seen oracle(const ks_engine *e)
{
    seen s = {0};
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    for (unsigned i = 0; i < N_MEMBERS; i++) {
        size_t len = member_size(i);
        unsigned char *data = len ? make_object(len, len / 700 + 1, 1000 + i) : NULL;
        char name[64];
        member_name(i, name, sizeof name);
        found_list f = {0};
        cr_assert_eq(ks_scan(sc, data, len, 0, 0, collect, &f), 0);
        for (size_t k = 0; k < f.n; k++) {
            ks_match m = {.rule_index = f.items[k].rule, .start = f.items[k].start, .end = f.items[k].end,
                          .line = f.items[k].line, .column = f.items[k].column,
                          .secret = data + f.items[k].secret_start, .secret_len = f.items[k].secret_len};
            char line[512];
            describe(line, sizeof line, name, &m);
            add(&s, line);
        }
        found_list_free(&f);
        free(data);
    }
    ks_scanner_destroy(sc);
    return s;
}

static const ks_pipeline_sink SINK = {.size = sizeof SINK, .on_finding = on_finding, .on_file_done = on_done,
                                      .on_object_problem = on_problem, .on_container = on_container};

static seen scan_archive(const ks_engine *e, const ks_pipeline_opts *o, int *finish_rc)
{
    seen s = {0};
    cr_assert_eq(ks_pipeline_create(e, o, &SINK, &s, &s.p), 0);
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(ks_pipeline_submit(s.p, fd, path, archive_size, 0), 0);
    *finish_rc = ks_pipeline_finish(s.p);
    s.p = NULL;
    return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void assert_same_order(const seen *want, const seen *got, const char *what)
{
    cr_assert_eq(got->n, want->n, "%s: %zu reports, %zu with one worker", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        cr_assert_str_eq(got->lines[i], want->lines[i], "%s: report %zu", what, i);
}

TestSuite(member_jobs, .init = make_archive, .fini = remove_archive, .timeout = KS_HANG_S(600));

Test(member_jobs, several_workers_find_what_one_finds_in_the_same_order)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML);
    seen want = oracle(e);
    cr_assert_gt(want.n, 1000, "the archive holds findings in most members");
    ks_pipeline_opts o = {.size = sizeof o, .threads = 1};
    int rc;
    seen one = scan_archive(e, &o, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(one.done_calls, 1);
    cr_assert_eq(one.done_err, 0);
    cr_assert_eq(one.members, N_MEMBERS);
    cr_assert_eq(one.shared, 0, "one worker has nobody to share with");
    /* exact: every finding of every member, as ks_scan finds it in the member alone */
    char **sorted_want = malloc(want.n * sizeof *sorted_want), **sorted_one = malloc(one.n * sizeof *sorted_one);
    cr_assert_eq(one.n, want.n, "%zu findings, ks_scan finds %zu", one.n, want.n);
    memcpy(sorted_want, want.lines, want.n * sizeof *sorted_want);
    memcpy(sorted_one, one.lines, one.n * sizeof *sorted_one);
    qsort(sorted_want, want.n, sizeof *sorted_want, cmp_str);
    qsort(sorted_one, one.n, sizeof *sorted_one, cmp_str);
    for (size_t i = 0; i < want.n; i++)
        cr_assert_str_eq(sorted_one[i], sorted_want[i]);
    free(sorted_want);
    free(sorted_one);
    /* several workers: the same reports in the same order, and some members scanned by a worker
     * that did not open the archive (which worker takes what is the scheduler's choice, so the runs
     * are repeated until one shows it; each run must be identical) */
    uint64_t shared = 0;
    for (int run = 0; run < 12 && (run < 3 || !shared); run++) {
        unsigned threads = 2 + (unsigned)run % 3;
        ks_pipeline_opts m = {.size = sizeof m, .threads = threads, .chunk_size = run % 2 ? 65536 : 0};
        seen many = scan_archive(e, &m, &rc);
        char what[64];
        snprintf(what, sizeof what, "%u threads (run %d)", threads, run);
        cr_assert_eq(rc, 0, "%s", what);
        cr_assert_eq(many.done_calls, 1, "%s", what);
        cr_assert_eq(many.done_err, 0, "%s", what);
        cr_assert_eq(many.members, N_MEMBERS, "%s", what);
        cr_assert_leq(many.shared, N_MEMBERS, "%s", what);
        assert_same_order(&one, &many, what);
        shared += many.shared;
        seen_free(&many);
    }
    cr_assert_gt(shared, 0, "no member was ever scanned by a second worker");
    seen_free(&one);
    seen_free(&want);
    ks_engine_destroy(e);
}

Test(member_jobs, member_limit_ends_it_alike)
{
    ks_engine *e = engine_from_yaml(TEST_RULES_YAML);
    int rc;
    ks_pipeline_opts o = {.size = sizeof o, .threads = 1, .archive_max_members = 1000};
    seen one = scan_archive(e, &o, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(one.done_err, EOVERFLOW);
    cr_assert_eq(one.problems, 1);
    cr_assert_eq(one.members, 1000);
    for (unsigned threads = 2; threads <= 4; threads++) {
        ks_pipeline_opts m = o;
        m.threads = threads;
        seen many = scan_archive(e, &m, &rc);
        cr_assert_eq(rc, 0);
        cr_assert_eq(many.done_calls, 1);
        cr_assert_eq(many.done_err, EOVERFLOW);
        cr_assert_eq(many.members, 1000);
        assert_same_order(&one, &many, "member limit");
        seen_free(&many);
    }
    seen_free(&one);
    ks_engine_destroy(e);
}

/* The stop comes from the engine's allocator after a number of allocations: that is in the middle of
 * the archive whatever the machine's speed (every member scanned allocates its stream). */
static _Atomic(ks_pipeline *) to_stop;
static _Atomic long allocs_left;

static void *stop_malloc(size_t n, void *ctx)
{
    if (atomic_fetch_sub(&allocs_left, 1) == 1) {
        ks_pipeline *p = atomic_load(&to_stop);
        if (p)
            ks_pipeline_stop(p);
    }
    return malloc(n);
}
static void *stop_realloc(void *p, size_t n, void *ctx) { return realloc(p, n); }
static void stop_free(void *p, void *ctx) { free(p); }

Test(member_jobs, stop_in_the_middle_of_the_archive)
{
    static const ks_allocator counting = {stop_malloc, stop_realloc, stop_free, NULL};
    ks_rules *rules = NULL;
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_yaml(rules, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t.yml", NULL, NULL), 0);
    ks_engine *e = NULL;
    ks_engine_options eo = {.size = sizeof eo, .flags = KS_ENGINE_NO_CACHE, .allocator = &counting};
    cr_assert_eq(ks_engine_create(rules, &eo, &e, NULL, NULL), 0);
    ks_rules_destroy(rules);
    seen want = oracle(e);
    for (unsigned threads = 1; threads <= 4; threads++) {
        seen s = {0};
        ks_pipeline_opts o = {.size = sizeof o, .threads = threads};
        cr_assert_eq(ks_pipeline_create(e, &o, &SINK, &s, &s.p), 0);
        atomic_store(&to_stop, s.p);
        atomic_store(&allocs_left, 2000); /* a few hundred members in, of 1500 */
        int fd = open(path, O_RDONLY);
        cr_assert(fd >= 0);
        int rc = ks_pipeline_submit(s.p, fd, path, archive_size, 0);
        cr_assert(rc == 0 || rc == KS_ETERMINATED);
        cr_assert_eq(ks_pipeline_finish(s.p), KS_ETERMINATED, "%u threads", threads);
        atomic_store(&to_stop, NULL);
        atomic_store(&allocs_left, 0);
        cr_assert_eq(s.done_calls, 1, "%u threads: the archive is reported once", threads);
        cr_assert_eq(s.done_err, ECANCELED, "%u threads: err %d", threads, s.done_err);
        cr_assert_lt(s.members, N_MEMBERS, "%u threads: stopped before the end", threads);
        cr_assert_lt(s.n, want.n, "%u threads", threads);
        /* what was reported is exact, and in archive order */
        size_t k = 0;
        for (size_t i = 0; i < s.n; i++) {
            while (k < want.n && strcmp(want.lines[k], s.lines[i]))
                k++;
            cr_assert_lt(k, want.n, "%u threads: '%s' is not a finding, or out of order", threads, s.lines[i]);
            k++;
        }
        seen_free(&s);
    }
    seen_free(&want);
    ks_engine_destroy(e);
}
