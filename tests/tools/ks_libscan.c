/* ks_libscan.c: scans files through the public library API alone (container streams in random pieces, the path in
 * ks_scan_opts; or, with --tree, whole trees through ks_pipeline_walk), printing one JSON line per finding, so tests
 * can hold the library's findings to the CLI's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keysweep.h"

typedef struct out_ctx {
    const char *path;
} out_ctx;

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int on_match(const ks_match *m, void *ctx)
{
    out_ctx *o = ctx;
    printf("{\"path\":");
    json_str(o->path, strlen(o->path));
    printf(",\"rule_id\":\"%s\",\"start\":%llu,\"end\":%llu,\"line\":%llu,\"column\":%llu,\"secret\":", m->rule_id,
           (unsigned long long)m->start, (unsigned long long)m->end, (unsigned long long)m->line,
           (unsigned long long)m->column);
    json_str((const char *)m->secret, m->secret_len);
    if (m->object) {
        printf(",\"object\":");
        json_str(m->object, strlen(m->object));
    }
    printf("}\n");
    return 0;
}

static void diag(const ks_diag *d, void *ctx);

static void on_problem(void *ctx, const char *object, int fatal, const char *what)
{
    out_ctx *o = ctx;
    fprintf(stderr, "ks_libscan: %s%s%s: %s%s\n", o->path, *object ? "!" : "", object, what, fatal ? "" : " (skipped)");
}

static int on_tree_finding(void *ctx, const char *path, const ks_match *m)
{
    out_ctx o = {path};
    return on_match(m, &o);
}

static void on_tree_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    if (err && err != EFBIG) {
        fprintf(stderr, "ks_libscan: %s: %s\n", path, strerror(err));
        *(int *)ctx = KS_EIO;
    }
}

static void on_walk_error(void *ctx, const char *path, int err, const char *what)
{
    fprintf(stderr, "ks_libscan: %s: %s failed: %s\n", path, what, strerror(err));
    *(int *)ctx = KS_EIO;
}

/* The public tree scan: one pipeline, every root walked into it. */
static int scan_trees(const ks_engine *engine, char **roots, int n, unsigned threads, size_t chunk, const char *io)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = on_tree_finding, .on_file_done = on_tree_done};
    ks_pipeline_opts po = {.size = sizeof po, .threads = threads, .chunk_size = chunk, .reader = io,
                           .flags = KS_PIPELINE_NO_PIN, .on_diag = diag};
    ks_walk_ops ops = {.size = sizeof ops, .on_error = on_walk_error};
    int failed = 0;
    ks_pipeline *p = NULL;
    int rc = ks_pipeline_create(engine, &po, &sink, &failed, &p);
    for (int i = 0; !rc && i < n; i++)
        rc = ks_pipeline_walk(p, roots[i], NULL, &ops, &failed);
    if (p) {
        int frc = ks_pipeline_finish(p);
        rc = rc ? rc : frc;
    }
    return rc ? rc : failed;
}

static void diag(const ks_diag *d, void *ctx)
{
    (void)ctx;
    if (d->code)
        fprintf(stderr, "ks_libscan: %s\n", d->text);
}

int main(int argc, char **argv)
{
    ks_rules *rules = NULL;
    ks_engine *engine = NULL;
    ks_scanner *sc[2] = {NULL, NULL};
    int rc = ks_rules_create(&rules), i = 1, builtin = 1, tree = 0;
    ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
    unsigned threads = 2;
    size_t chunk = 0;
    const char *io = NULL;
    for (; !rc && i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--no-builtin-rules") == 0)
            builtin = 0;
        else if (strcmp(argv[i], "--no-containers") == 0)
            co.flags |= KS_CONTAINER_OFF;
        else if (strcmp(argv[i], "--tree") == 0)
            tree = 1;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--chunk-size") == 0 && i + 1 < argc)
            chunk = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--io") == 0 && i + 1 < argc)
            io = argv[++i];
        else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
            rc = ks_rules_load_path(rules, argv[++i], diag, NULL);
        else
            return fprintf(stderr, "usage: ks_libscan [--no-builtin-rules] [--no-containers] [--rules PATH]... FILE...\n"
                                   "       ks_libscan --tree [--threads N] [--chunk-size B] [--io auto|uring|pread] "
                                   "[--rules PATH]... ROOT...\n"),
                   2;
    }
    if (!rc && builtin)
        rc = ks_rules_load_builtin(rules, diag, NULL);
    if (!rc)
        rc = ks_engine_create(rules, NULL, &engine, diag, NULL);
    ks_rules_destroy(rules);
    if (!rc && tree) {
        rc = scan_trees(engine, argv + i, argc - i, threads, chunk, io);
        if (rc)
            fprintf(stderr, "ks_libscan: %s\n", ks_strerror(rc));
        ks_engine_destroy(engine);
        return rc ? 2 : 0;
    }
    if (!rc)
        rc = ks_scanner_create(engine, &sc[0]);
    if (!rc)
        rc = ks_scanner_create(engine, &sc[1]);
    unsigned long long seed = 12345;
    static unsigned char buf[300000];
    for (; !rc && i < argc; i++) {
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "ks_libscan: %s: %s\n", argv[i], strerror(errno));
            rc = KS_EIO;
            break;
        }
        out_ctx o = {argv[i]};
        ks_scan_opts so = {.size = sizeof so, .path = argv[i]};
        ks_container_stream *st = NULL;
        rc = ks_container_stream_open(engine, &so, &co, on_match, &o, &st);
        for (int piece = 0; !rc;) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* tiny, small and big pieces alike: a header or a magic split anywhere */
            size_t span = (seed >> 20) % 4 == 0 ? 16 : (seed >> 20) % 4 == 1 ? 4096 : sizeof buf;
            size_t want = 1 + (size_t)((seed >> 33) % span);
            ssize_t n = read(fd, buf, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                rc = n < 0 ? KS_EIO : 0;
                break;
            }
            rc = ks_container_stream_write(st, sc[piece++ & 1], buf, (size_t)n); /* any free scanner will do */
        }
        if (rc)
            ks_container_stream_abort(st);
        else
            rc = ks_container_stream_close(st, sc[0]);
        close(fd);
    }
    if (rc)
        fprintf(stderr, "ks_libscan: %s\n", ks_strerror(rc));
    ks_scanner_destroy(sc[0]);
    ks_scanner_destroy(sc[1]);
    ks_engine_destroy(engine);
    return rc ? 2 : 0;
}
