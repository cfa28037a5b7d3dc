/* test_boundary_sweep.c: T18 through the real pipeline: every built-in rule's examples placed across chunk
 * boundaries (4096, 4097, 65536, 1 MiB) are found exactly once with exact offsets and lines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hang.h"
#include "helpers.h"

typedef struct hit {
    size_t rule;
    uint64_t start, end, line;
} hit;

typedef struct hits {
    hit *items;
    size_t n, cap;
    int errors;
} hits;

static int on_finding(void *ctx, const char *path, const ks_match *m)
{
    hits *h = ctx;
    if (m->near_miss)
        return 0;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->items = realloc(h->items, h->cap * sizeof *h->items);
    }
    h->items[h->n++] = (hit){m->rule_index, m->start, m->end, m->line};
    return 0;
}

static void on_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    if (err)
        ((hits *)ctx)->errors++;
}

static void on_idle(void *ctx) {}

/* Where the example's own finding for its rule lies when scanned alone (after a leading newline). */
static int reference(ks_scanner *s, size_t rule, const char *ex, uint64_t *rs, uint64_t *re)
{
    found_list f = {0};
    size_t n = strlen(ex);
    char *buf = malloc(n + 2);
    buf[0] = '\n';
    memcpy(buf + 1, ex, n);
    buf[n + 1] = '\n';
    cr_assert_eq(ks_scan(s, buf, n + 2, 0, 0, collect, &f), 0);
    int ok = 0;
    for (size_t i = 0; i < f.n; i++)
        if (f.items[i].rule == rule && !f.items[i].near_miss && !ok) {
            *rs = f.items[i].start - 1;
            *re = f.items[i].end - 1;
            ok = 1;
        }
    found_list_free(&f);
    free(buf);
    return ok;
}

typedef struct placement {
    uint64_t at;      /* where the example starts in the file */
    uint64_t nl_before;
} placement;

/* One file per (example, chunk size): placement i sits around chunk boundary i+1, so one scan
 * checks many offsets. The holes between placements read as zeros. */
static void sweep_example(const ks_engine *e, size_t rule, const char *ex, uint64_t rs, uint64_t re, size_t chunk,
                          const long *deltas, size_t n_deltas, const char *rule_id)
{
    size_t el = strlen(ex);
    uint64_t size = (uint64_t)(n_deltas + 2) * chunk;
    int fd = memfd_create("sweep", 0);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, (off_t)size), 0);
    placement *pl = calloc(n_deltas, sizeof *pl);
    size_t ex_newlines = 0, nl_to_start = 0;
    for (size_t k = 0; k < el; k++) {
        ex_newlines += ex[k] == '\n';
        nl_to_start += k < rs && ex[k] == '\n';
    }
    for (size_t i = 0; i < n_deltas; i++) {
        pl[i].at = (uint64_t)(i + 1) * chunk + (uint64_t)deltas[i];
        pl[i].nl_before = i * (ex_newlines + 2) + 1;
        cr_assert_eq(pwrite(fd, "\n", 1, (off_t)pl[i].at - 1), 1);
        cr_assert_eq(pwrite(fd, ex, el, (off_t)pl[i].at), (ssize_t)el);
        cr_assert_eq(pwrite(fd, "\n", 1, (off_t)(pl[i].at + el)), 1);
    }
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = on_finding, .on_file_done = on_done, .on_idle = on_idle};
    hits h = {0};
    ks_pipeline_opts o = {.threads = 2, .chunk_size = chunk, .reader = "pread", .flags = KS_PIPELINE_NO_PIN};
    ks_pipeline *p = NULL;
    cr_assert_eq(ks_pipeline_create(e, &o, &sink, &h, &p), 0);
    cr_assert_eq(ks_pipeline_submit(p, fd, "sweep", size, 0), 0); /* the pipeline closes fd */
    cr_assert_eq(ks_pipeline_finish(p), 0);
    cr_assert_eq(h.errors, 0);
    for (size_t i = 0; i < n_deltas; i++) {
        size_t n = 0;
        hit *got = NULL;
        for (size_t k = 0; k < h.n; k++)
            if (h.items[k].rule == rule && h.items[k].start >= pl[i].at && h.items[k].start < pl[i].at + el) {
                n++;
                got = &h.items[k];
            }
        cr_assert_eq(n, 1, "rule %s, chunk %zu, example at boundary%+ld: %zu findings", rule_id, chunk, deltas[i], n);
        cr_assert_eq(got->start, pl[i].at + rs, "rule %s chunk %zu delta %ld: start", rule_id, chunk, deltas[i]);
        cr_assert_eq(got->end, pl[i].at + re, "rule %s chunk %zu delta %ld: end", rule_id, chunk, deltas[i]);
        cr_assert_eq(got->line, pl[i].nl_before + nl_to_start + 1, "rule %s chunk %zu delta %ld: line", rule_id, chunk,
                     deltas[i]);
    }
    free(h.items);
    free(pl);
}

Test(boundary_sweep, builtin_examples_across_chunk_edges, .timeout = KS_HANG_S(600))
{
    ks_rules *r = NULL;
    ks_engine *e = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    ks_engine_options eo = {.flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &eo, &e, NULL, NULL), 0);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(e, &st);
    long w = (long)st.max_width;
    static const size_t chunks[] = {4096, 4097, 65536, 1 << 20};
    long *deltas = malloc(sizeof(long) * 70000);
    size_t examples = 0;
    for (size_t ri = 0; ri < st.n_rules; ri++) {
        ks_rule_info info = {.size = sizeof info};
        ks_engine_rule(e, ri, &info);
        /* a rule with a path condition reports only in files of its name, which a sweep file is not; its
         * examples are scanned in such files by `rules check` and t_detect_engine */
        if (info.path && *info.path)
            continue;
        for (size_t x = 0; x < info.n_examples; x++) {
            const char *ex = info.examples[x];
            long el = (long)strlen(ex);
            uint64_t rs, re;
            cr_assert(reference(s, ri, ex, &rs, &re), "rule %s: example %zu finds nothing alone", info.id, x);
            for (size_t c = 0; c < 4; c++) {
                long chunk = (long)chunks[c];
                size_t n = 0;
                /* Small chunks: every offset from one overlap before the boundary to two bytes after
                 * (those past the example's length only in steps, beyond which nothing can change).
                 * Large chunks: the offsets where the example straddles the edge, then samples. */
                long from = -(el + 2 < chunk - 2 ? el + 2 : chunk - 2);
                for (long d = from; d <= 2; d++)
                    deltas[n++] = d;
                long far = w + 2 < chunk - el - 4 ? w + 2 : chunk - el - 4;
                long step = chunk <= 4097 ? 61 : 997;
                for (long d = -far; d < from && far > 0; d += step)
                    deltas[n++] = d;
                sweep_example(e, ri, ex, rs, re, (size_t)chunk, deltas, n, info.id);
            }
            examples++;
        }
    }
    cr_assert(examples > 100);
    free(deltas);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}
