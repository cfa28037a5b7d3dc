/* test_pipeline.c: the pipeline equals whole-file scans for every thread count, reader and chunk size, also under I/O faults. */
#include <criterion/criterion.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <sys/wait.h>

#include "archives.h"
#include "hang.h"
#include "corpus.h"
#include "fault_io.h"
#include "helpers.h"
#include "reader.h"

#define N_FILES 12
static char dir[64];
static char paths[N_FILES][128];
static size_t sizes[N_FILES];
static ks_engine *engine;

typedef struct rec {
    char line[256];
} rec;

typedef struct sink_state {
    rec *items;
    size_t n, cap;
    int files, errors, cancelled;
    uint64_t bytes; /* what the files done said they scanned */
} sink_state;

static int sink_finding(void *ctx, const char *path, const ks_match *m)
{
    sink_state *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
    }
    int n = snprintf(s->items[s->n++].line, sizeof(rec), "%s %zu %llu %llu %llu %llu %.*s", path, m->rule_index,
                     (unsigned long long)m->start, (unsigned long long)m->end, (unsigned long long)m->line,
                     (unsigned long long)m->column, (int)m->secret_len, (const char *)m->secret);
    cr_assert(n > 0 && (size_t)n < sizeof(rec), "a finding's line is cut short: %s", path);
    return 0;
}

static void sink_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    sink_state *s = ctx;
    s->bytes += bytes;
    if (!err)
        s->files++;
    else if (err == ECANCELED)
        s->cancelled++;
    else
        s->errors++;
}

static void sink_idle(void *ctx) {}

static int cmp_rec(const void *a, const void *b) { return strcmp(((const rec *)a)->line, ((const rec *)b)->line); }

static void make_corpus(void)
{
    strcpy(dir, "/tmp/ks-pipe-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    engine = engine_from_yaml(TEST_RULES_YAML);
    for (int i = 0; i < N_FILES; i++) {
        /* sizes around the chunk sizes under test, plus empty and tiny files */
        static const size_t szs[N_FILES] = {0, 1, 20, 4095, 4096, 4097, 8192 + 7, 65536, 65537, 200000, 1100000, 3000};
        sizes[i] = szs[i];
        snprintf(paths[i], sizeof paths[i], "%s/f%02d", dir, i);
        unsigned char *buf = sizes[i] ? make_object(sizes[i], sizes[i] / 300 + 1, (uint64_t)i + 100) : NULL;
        /* tokens exactly across the 4096 and 65536 chunk edges, at the first and the last byte */
        const char *tok = PLANTS[0];
        size_t tl = strlen(tok);
        size_t edges[] = {4096 - 7, 65536 - 11, 0, sizes[i] >= tl ? sizes[i] - tl : 0};
        for (size_t e = 0; e < 4 && sizes[i] >= tl + 2; e++) {
            size_t at = edges[e];
            if (at + tl + 1 > sizes[i])
                continue;
            memcpy(buf + at, tok, tl);
            if (at)
                buf[at - 1] = '\n';
            if (at + tl < sizes[i])
                buf[at + tl] = '\n';
        }
        int fd = open(paths[i], O_CREAT | O_WRONLY | O_TRUNC, 0644);
        cr_assert(fd >= 0);
        if (sizes[i])
            cr_assert_eq(write(fd, buf, sizes[i]), (ssize_t)sizes[i]);
        close(fd);
        free(buf);
    }
}

static void remove_corpus(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    ks_engine_destroy(engine);
    ks__io_fault_set(0, 0, 0, 0);
}

/* The oracle: ks_scan over each whole file. */
static sink_state expected(void)
{
    sink_state s = {0};
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(engine, &sc), 0);
    for (int i = 0; i < N_FILES; i++) {
        unsigned char *buf = malloc(sizes[i] + 1);
        int fd = open(paths[i], O_RDONLY);
        cr_assert_eq(read(fd, buf, sizes[i] + 1), (ssize_t)sizes[i]);
        close(fd);
        found_list f = {0};
        cr_assert_eq(ks_scan(sc, buf, sizes[i], 0, 0, collect, &f), 0);
        for (size_t k = 0; k < f.n; k++) {
            ks_match m = {.rule_index = f.items[k].rule, .start = f.items[k].start, .end = f.items[k].end,
                          .line = f.items[k].line, .column = f.items[k].column,
                          .secret = buf + f.items[k].secret_start, .secret_len = f.items[k].secret_len};
            sink_finding(&s, paths[i], &m);
        }
        found_list_free(&f);
        free(buf);
    }
    ks_scanner_destroy(sc);
    qsort(s.items, s.n, sizeof *s.items, cmp_rec);
    return s;
}

static void keep_diag(const ks_diag *d, void *ctx) { *(ks_diag *)ctx = *d; }

static sink_state run_with(const ks_pipeline_opts *o, int *create_rc)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
    sink_state s = {0};
    ks_pipeline *p = NULL;
    int rc = ks_pipeline_create(engine, o, &sink, &s, &p);
    if (create_rc)
        *create_rc = rc;
    if (rc)
        return s;
    for (int i = 0; i < N_FILES; i++) {
        int fd = open(paths[i], O_RDONLY);
        cr_assert(fd >= 0);
        cr_assert_eq(ks_pipeline_submit(p, fd, paths[i], sizes[i] ? sizes[i] : 0, 0), 0);
    }
    cr_assert_eq(ks_pipeline_finish(p), 0);
    qsort(s.items, s.n, sizeof *s.items, cmp_rec);
    return s;
}

static sink_state run(const char *reader, unsigned threads, size_t chunk, int *create_rc)
{
    ks_pipeline_opts o = {.threads = threads, .chunk_size = chunk, .reader = reader, .buffers = threads + 2};
    return run_with(&o, create_rc);
}

static void assert_same(const sink_state *want, const sink_state *got, const char *what)
{
    cr_assert_eq(got->n, want->n, "%s: %zu findings, expected %zu", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        cr_assert_str_eq(got->items[i].line, want->items[i].line, "%s", what);
}

TestSuite(pipeline, .init = make_corpus, .fini = remove_corpus, .timeout = KS_HANG_S(300));

Test(pipeline, identical_for_threads_readers_and_chunk_sizes)
{
    sink_state want = expected();
    cr_assert(want.n > 30, "corpus too thin: %zu", want.n);
    const char *readers[] = {"pread", "uring"};
    unsigned threads[] = {1, 2, 7};
    size_t chunks[] = {4096, 4097, 65536, 0};
    for (int r = 0; r < 2; r++)
        for (int t = 0; t < 3; t++)
            for (int c = 0; c < 4; c++) {
                int rc;
                sink_state got = run(readers[r], threads[t], chunks[c], &rc);
                if (rc == KS_EIO && r == 1)
                    cr_skip_test("io_uring unavailable here");
                char what[128];
                snprintf(what, sizeof what, "%s threads=%u chunk=%zu", readers[r], threads[t], chunks[c]);
                cr_assert_eq(rc, 0, "%s", what);
                assert_same(&want, &got, what);
                cr_assert_eq(got.files, N_FILES, "%s", what);
                cr_assert_eq(got.errors, 0, "%s", what);
                free(got.items);
            }
    free(want.items);
}

Test(pipeline, short_reads_change_nothing)
{
    sink_state want = expected();
    ks__io_fault_set(1, 0, 0, 0);
    sink_state got = run("pread", 2, 4096, NULL);
    assert_same(&want, &got, "short reads");
    free(got.items);
    free(want.items);
}

Test(pipeline, read_error_is_reported_for_that_file_only)
{
    ks__io_fault_set(0, 3, EIO, 0);
    sink_state got = run("pread", 1, 1 << 20, NULL);
    cr_assert_eq(got.errors, 1);
    cr_assert_eq(got.files, N_FILES - 1);
    free(got.items);
}

Test(pipeline, io_uring_denied_reports_the_backend_error)
{
    ks__io_fault_set(0, 0, 0, 1);
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
    sink_state s = {0};
    ks_diag said = {0};
    ks_pipeline_opts o = {.threads = 1, .reader = "uring", .on_diag = keep_diag, .diag_ctx = &said};
    ks_pipeline *p = (ks_pipeline *)1;
    cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), KS_EIO);
    cr_assert_null(p);
    cr_assert_eq(said.code, KS_EIO);
    cr_assert(strstr(said.message, strerror(EPERM)), "%s", said.message);
    /* "auto" falls back to pread, and says so with a note */
    memset(&said, 0, sizeof said);
    o.reader = NULL;
    cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
    ks_pipeline_info info = {.size = sizeof info};
    cr_assert_eq(ks_pipeline_info_get(p, &info), 0);
    cr_assert_str_eq(info.reader, "pread");
    cr_assert_eq(info.threads, 1);
    cr_assert_eq(ks_pipeline_finish(p), 0);
    cr_assert_eq(said.code, 0);
    cr_assert(strstr(said.message, "using pread"), "%s", said.message);
    ks__io_fault_set(0, 0, 0, 0);
    o.reader = "io-uring-please";
    cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), KS_EINVAL);
    cr_assert(strstr(said.message, "unknown reader"), "%s", said.message);
}

Test(pipeline, stop_reports_cancelled_files_and_finishes)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
    sink_state s = {0};
    ks_pipeline_opts o = {.threads = 2, .chunk_size = 4096, .reader = "pread"};
    ks_pipeline *p = NULL;
    cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
    for (int i = 0; i < N_FILES; i++) {
        if (i == N_FILES / 2)
            ks_pipeline_stop(p);
        int fd = open(paths[i], O_RDONLY);
        int rc = ks_pipeline_submit(p, fd, paths[i], sizes[i], 0);
        cr_assert(rc == 0 || rc == KS_ETERMINATED);
    }
    cr_assert_eq(ks_pipeline_finish(p), KS_ETERMINATED);
    cr_assert(s.files + s.cancelled <= N_FILES);
    free(s.items);
}

/* Regression: small files are packed into the buffer being filled; a big file after them needed a
 * buffer of its own while that one was held back, and with a single buffer the scan hung. */
Test(pipeline, r_one_buffer_small_files_then_big_file, .timeout = KS_HANG_S(300))
{
    sink_state want = expected();
    const char *readers[] = {"pread", "uring"};
    for (int r = 0; r < 2; r++)
        for (unsigned threads = 1; threads <= 3; threads += 2) {
            ks_pipeline_opts o = {.threads = threads, .reader = readers[r], .buffers = 1};
            int rc;
            sink_state got = run_with(&o, &rc);
            if (rc == KS_EIO && r == 1)
                break; /* io_uring unavailable here */
            cr_assert_eq(rc, 0);
            assert_same(&want, &got, readers[r]);
            cr_assert_eq(got.files, N_FILES);
            free(got.items);
        }
    free(want.items);
}

/* The descriptor budget holds whatever the batching: one file open at a time still finishes, and
 * the same findings come out. */
Test(pipeline, descriptor_budget_of_one_file_finishes, .timeout = KS_HANG_S(300))
{
    sink_state want = expected();
    const char *readers[] = {"pread", "uring"};
    for (int r = 0; r < 2; r++) {
        ks_pipeline_opts o = {.threads = 2, .chunk_size = 4096, .reader = readers[r], .max_open_files = 1};
        int rc;
        sink_state got = run_with(&o, &rc);
        if (rc == KS_EIO && r == 1)
            break;
        cr_assert_eq(rc, 0);
        assert_same(&want, &got, readers[r]);
        cr_assert_eq(got.files, N_FILES);
        free(got.items);
    }
    free(want.items);
}

/* The backend is chosen in one place, and a refused io_uring falls back to pread there. */
Test(pipeline, reader_is_chosen_once_and_io_uring_falls_back_to_pread)
{
    int why = -1;
    cr_assert_eq(ks_reader_choose("pread", &why), &ks_reader_pread);
    cr_assert_eq(why, 0);
    cr_assert_null(ks_reader_choose("io-uring-please", &why));
    ks__io_fault_set(0, 0, 0, 1); /* io_uring refused, as a seccomp filter or a container would */
    cr_assert_eq(ks_reader_choose("auto", &why), &ks_reader_pread);
    cr_assert_eq(why, EPERM);
    cr_assert_null(ks_reader_choose("uring", &why), "asked for io_uring alone: no silent fallback");
    cr_assert_eq(why, EPERM);
    ks__io_fault_set(0, 0, 0, 0);
    const ks_reader_ops *r = ks_reader_choose("auto", &why);
    cr_assert(r == &ks_reader_uring || (r == &ks_reader_pread && why != 0), "auto gives io_uring, or says why not");
}

/* Nice values of this process's threads, from /proc/self/task/TID/stat (field 19). */
static unsigned threads_at_nice(int nice)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert(d);
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *p = strrchr(buf, ')'); /* the command may hold spaces */
        int field = 2, value = 0;
        for (; p && *p; p++)
            if (*p == ' ' && ++field == 19) {
                value = atoi(p + 1);
                break;
            }
        n += field == 19 && value == nice;
    }
    closedir(d);
    return n;
}

/* The workers yield to the submitting thread and the writer (a walker waiting behind them leaves
 * the disk idle); KS_PIPELINE_SAME_PRIORITY keeps them at the creator's nice value. */
Test(pipeline, workers_run_at_a_lower_priority_unless_asked_not_to)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
    errno = 0;
    int mine = getpriority(PRIO_PROCESS, 0);
    cr_assert_eq(errno, 0);
    if (mine + 5 > 19)
        cr_skip_test("already at nice %d", mine);
    for (int same = 0; same <= 1; same++) {
        sink_state s = {0};
        ks_pipeline_opts o = {.threads = 3, .reader = "pread", .flags = same ? KS_PIPELINE_SAME_PRIORITY : 0};
        ks_pipeline *p = NULL;
        cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
        unsigned lowered = 0;
        for (int tries = 0; tries < 2000 && (lowered = threads_at_nice(mine + 5)) < 3 && !same; tries++)
            usleep(1000); /* each worker lowers itself as it starts */
        cr_assert_eq(lowered, same ? 0 : 3, "same=%d: %u threads at nice %d", same, lowered, mine + 5);
        cr_assert_eq(ks_pipeline_finish(p), 0);
        free(s.items);
    }
}

static int sink_object_finding(void *ctx, const char *path, const ks_match *m)
{
    sink_state *s = ctx;
    sink_finding(ctx, path, m);
    size_t k = strlen(s->items[s->n - 1].line);
    snprintf(s->items[s->n - 1].line + k, sizeof(rec) - k, " in %s", m->object ? m->object : "-");
    return 0;
}

/* A repository's history through the library: a key committed and then deleted is found once, in its blob (the
 * object is the blob id), on one worker or several; a directory that is no git directory is refused. */
Test(pipeline, git_history_is_scanned_blob_by_blob_once, .timeout = KS_HANG_S(300))
{
    char repo[128], cmd[1024], blob_id[64] = "";
    snprintf(repo, sizeof repo, "%s/repo", dir);
    snprintf(cmd, sizeof cmd,
             "set -e; export HOME=%s GIT_CONFIG_NOSYSTEM=1; git init -q %s; cd %s; git config user.email a@b.c; "
             "git config user.name T; printf 'k = AKIAQYLPMN5HHHFPZAM2\\n' > k.txt; git add k.txt; git commit -qm a; "
             "git rev-parse HEAD:k.txt > ../blob; git rm -q k.txt; git commit -qm b; git gc -q",
             dir, repo, repo);
    cr_assert_eq(system(cmd), 0, "git");
    snprintf(cmd, sizeof cmd, "%s/blob", dir);
    FILE *bf = fopen(cmd, "r");
    cr_assert(bf && fgets(blob_id, sizeof blob_id, bf));
    fclose(bf);
    blob_id[40] = '\0';
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_object_finding,
                                          .on_file_done = sink_done, .on_idle = sink_idle};
    char git_dir[160], want[256];
    snprintf(git_dir, sizeof git_dir, "%s/.git", repo);
    snprintf(want, sizeof want, "%s 0 4 24 1 5 AKIAQYLPMN5HHHFPZAM2 in %s", git_dir, blob_id);
    for (unsigned threads = 1; threads <= 3; threads++) {
        sink_state s = {0};
        ks_pipeline_opts o = {.threads = threads};
        ks_pipeline *p = NULL;
        cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
        cr_assert_eq(ks_pipeline_submit_git(p, repo), KS_EINVAL, "a work tree is not its git directory");
        cr_assert_eq(ks_pipeline_submit_git(p, git_dir), 0);
        cr_assert_eq(ks_pipeline_finish(p), 0);
        cr_assert_eq(s.n, 1, "%u threads: %zu findings", threads, s.n);
        cr_assert_str_eq(s.items[0].line, want, "%u threads", threads);
        cr_assert_eq(s.files, 1);
        free(s.items);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s %s/blob", repo, dir);
    cr_assert_eq(system(cmd), 0);
}

/* Regression (stress seed 96840424106735): an archive read through a pipe ends before its stream does
 * (a tar's end comes before the zero blocks after it, and bytes may follow the gzip stream); the file
 * done counted only what the archive reader had pulled, 4,194,304 bytes of 4,195,301. Every byte of the
 * stream is read and counted, and the key in its member is found once. */
Test(pipeline, r_archive_through_a_pipe_counts_bytes_after_its_end)
{
    const char *name[] = {"srv/.env"};
    blob member = text("key = AKIAQYLPMN5HHHFPZAM2\n");
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, name, &member, 1);
    size_t zeros = 600000; /* zero blocks after the tar's end, inside the gzip stream */
    tar.p = realloc(tar.p, tar.len + zeros);
    cr_assert_not_null(tar.p);
    memset(tar.p + tar.len, 0, zeros);
    tar.len += zeros;
    const char *inner[] = {"x.tar"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, inner, &tar, 1);
    size_t after = 300000; /* and bytes after the gzip stream */
    gz.p = realloc(gz.p, gz.len + after);
    cr_assert_not_null(gz.p);
    memset(gz.p + gz.len, 0, after);
    gz.len += after;
    for (unsigned threads = 1; threads <= 2; threads++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            size_t off = 0;
            while (off < gz.len) {
                ssize_t n = write(fds[1], gz.p + off, gz.len - off);
                if (n <= 0)
                    _exit(1);
                off += (size_t)n;
            }
            _exit(0);
        }
        close(fds[1]);
        static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding,
                                              .on_file_done = sink_done, .on_idle = sink_idle};
        sink_state s = {0};
        ks_pipeline_opts o = {.threads = threads};
        ks_pipeline *p = NULL;
        cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
        cr_assert_eq(ks_pipeline_submit(p, fds[0], "-", 0, 0), 0);
        cr_assert_eq(ks_pipeline_finish(p), 0);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        cr_assert_eq(s.files, 1, "%u threads: the file ends without error", threads);
        cr_assert_eq(s.bytes, (uint64_t)gz.len, "%u threads: %llu bytes of %zu", threads,
                     (unsigned long long)s.bytes, gz.len);
        cr_assert_eq(s.n, 1, "%u threads: %zu findings", threads, s.n);
        cr_assert(strstr(s.items[0].line, "AKIAQYLPMN5HHHFPZAM2"), "%s", s.items[0].line);
        free(s.items);
    }
    free(tar.p);
    free(gz.p);
}

/* A sink slower than the workers: 30,000 findings fill the result rings (4,096 records each), and the
 * workers wait for room. They used to yield in a loop; they now sleep until the writer has taken records.
 * Every finding must still arrive, once, in order (a wake-up lost would hang here, or cost 2 ms a time). */
typedef struct slow_sink {
    uint64_t n, last_start, out_of_order;
    int files;
} slow_sink;

static int slow_finding(void *ctx, const char *path, const ks_match *m)
{
    (void)path;
    slow_sink *s = ctx;
    if (s->n && m->start <= s->last_start)
        s->out_of_order++;
    s->last_start = m->start;
    if (++s->n % 500 == 0)
        usleep(1000);
    return 0;
}

static void slow_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    (void)path, (void)bytes;
    if (!err)
        ((slow_sink *)ctx)->files++;
}

Test(pipeline, findings_held_back_by_a_slow_sink_all_arrive_in_order, .timeout = KS_HANG_S(300))
{
    enum { LINES = 30000 };
    char path[128];
    snprintf(path, sizeof path, "%s/many", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < LINES; i++)
        fprintf(f, "k%d = %s\n", i, PLANTS[0]);
    cr_assert_eq(fclose(f), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = slow_finding, .on_file_done = slow_done,
                                          .on_idle = sink_idle};
    for (unsigned threads = 2; threads <= 4; threads += 2) {
        slow_sink s = {0};
        ks_pipeline_opts o = {.threads = threads, .chunk_size = 65536, .reader = "pread"};
        ks_pipeline *p = NULL;
        cr_assert_eq(ks_pipeline_create(engine, &o, &sink, &s, &p), 0);
        int fd = open(path, O_RDONLY);
        cr_assert(fd >= 0);
        cr_assert_eq(ks_pipeline_submit(p, fd, path, (uint64_t)st.st_size, 0), 0);
        cr_assert_eq(ks_pipeline_finish(p), 0);
        cr_assert_eq(s.n, LINES, "%u threads: %llu findings", threads, (unsigned long long)s.n);
        cr_assert_eq(s.out_of_order, 0);
        cr_assert_eq(s.files, 1);
    }
    unlink(path);
}
