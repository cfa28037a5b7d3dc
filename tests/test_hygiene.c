/* test_hygiene.c: the library leaves its host alone: no leaked fds, signal dispositions, mask, locale, umask and
 * cwd untouched, results independent of the host's locale, and engines in one process independent of each other. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hang.h"
#include "corpus.h"
#include "helpers.h"

static char dir[64];

static void mk(void)
{
    strcpy(dir, "/tmp/ks-hygiene-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---- a snapshot of what a library must not change in its host process ---- */

typedef struct host_state {
    int fds;
    int sig_rc[NSIG];
    struct sigaction sig[NSIG];
    sigset_t mask;
    char locale[512];
    char cwd[4096];
} host_state;

static void snapshot(host_state *h)
{
    memset(h, 0, sizeof *h);
    h->fds = count_fds();
    for (int s = 1; s < NSIG; s++)
        h->sig_rc[s] = sigaction(s, NULL, &h->sig[s]); /* glibc's reserved real-time signals give -1 */
    pthread_sigmask(SIG_SETMASK, NULL, &h->mask);
    snprintf(h->locale, sizeof h->locale, "%s", setlocale(LC_ALL, NULL));
    cr_assert_not_null(getcwd(h->cwd, sizeof h->cwd));
}

static void assert_unchanged(const host_state *a, const host_state *b)
{
    cr_assert_eq(b->fds, a->fds, "open fds: %d before, %d after", a->fds, b->fds);
    for (int s = 1; s < NSIG; s++) {
        cr_assert_eq(b->sig_rc[s], a->sig_rc[s], "signal %d", s);
        if (a->sig_rc[s])
            continue;
        cr_assert(b->sig[s].sa_handler == a->sig[s].sa_handler, "signal %d (%s): handler changed", s, strsignal(s));
        cr_assert_eq(b->sig[s].sa_flags, a->sig[s].sa_flags, "signal %d (%s): flags changed", s, strsignal(s));
        for (int k = 1; k < NSIG; k++)
            cr_assert_eq(sigismember(&b->sig[s].sa_mask, k), sigismember(&a->sig[s].sa_mask, k),
                         "signal %d: handler mask changed", s);
    }
    for (int k = 1; k < NSIG; k++)
        cr_assert_eq(sigismember(&b->mask, k), sigismember(&a->mask, k), "signal mask changed for %d", k);
    cr_assert_str_eq(b->locale, a->locale, "locale changed");
    cr_assert_str_eq(b->cwd, a->cwd, "working directory changed");
}

/* ---- work: every public object, the cache, the error paths and the pipeline ---- */

static int nop(void *ctx, const char *path, const ks_match *m) { return 0; }
static void nop_done(void *ctx, const char *path, uint64_t bytes, int err) { ++*(int *)ctx; }
static void nop_idle(void *ctx) {}

static void run_pipeline(const ks_engine *e, const char *reader, const char *path, size_t size)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = nop, .on_file_done = nop_done, .on_idle = nop_idle};
    ks_pipeline_opts o = {.threads = 3, .chunk_size = 4096, .reader = reader};
    ks_pipeline *p = NULL;
    int done = 0;
    if (ks_pipeline_create(e, &o, &sink, &done, &p) == KS_EIO && strcmp(reader, "uring") == 0)
        return; /* io_uring unavailable here */
    cr_assert_not_null(p);
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(ks_pipeline_submit(p, fd, path, size, 0), 0);
    cr_assert_eq(ks_pipeline_finish(p), 0);
    cr_assert_eq(done, 1);
}

static void exercise_everything(void)
{
    ks_rules *rules = NULL;
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_builtin(rules, NULL, NULL), 0);
    cr_assert_eq(ks_rules_load_yaml(rules, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t.yml", NULL, NULL), 0);
    /* failing loads: a missing path, a directory with a broken file */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/rules", dir);
    cr_assert_neq(ks_rules_load_path(rules, bad, NULL, NULL), 0);
    cr_assert_eq(mkdir(bad, 0700), 0);
    char f[192];
    snprintf(f, sizeof f, "%s/broken.yml", bad);
    FILE *fp = fopen(f, "w");
    fputs("rules:\n  - {id: x, name: x, pattern: 'a(b'}\n  - {id: [\n", fp);
    fclose(fp);
    cr_assert_neq(ks_rules_load_path(rules, bad, NULL, NULL), 0);

    /* the cache: the first engine compiles and stores, the second loads */
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    ks_engine_options o = {.cache_dir = cache};
    ks_engine *e1 = NULL, *e2 = NULL;
    cr_assert_eq(ks_engine_create(rules, &o, &e1, NULL, NULL), 0);
    cr_assert_eq(ks_engine_create(rules, &o, &e2, NULL, NULL), 0);
    ks_engine_stats st = {.size = sizeof st};
    cr_assert_eq(ks_engine_stats_get(e2, &st), 0);
    cr_assert_eq(st.from_cache, 1);
    ks_rules_destroy(rules);

    size_t len = 200000;
    unsigned char *buf = make_object(len, 50, 7);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e1, &s), 0);
    found_list a = {0};
    cr_assert_eq(ks_scan(s, buf, len, 0, 0, collect, &a), 0);
    cr_assert(a.n > 0);
    ks_stream *st1 = NULL;
    cr_assert_eq(ks_stream_open(ks_scanner_engine(s), NULL, collect, &a, &st1), 0);
    cr_assert_eq(ks_stream_write(st1, s, buf, len / 2), 0);
    ks_stream_abort(st1);
    cr_assert_eq(ks_stream_open(ks_scanner_engine(s), NULL, collect, &a, &st1), 0);
    cr_assert_eq(ks_stream_write(st1, s, buf, len), 0);
    cr_assert_eq(ks_stream_close(st1, s), 0);
    found_list_free(&a);

    char path[192];
    snprintf(path, sizeof path, "%s/object", dir);
    fp = fopen(path, "w");
    cr_assert_eq(fwrite(buf, 1, len, fp), len);
    fclose(fp);
    run_pipeline(e2, "pread", path, len);
    run_pipeline(e2, "uring", path, len);
    run_pipeline(e2, "pread", path, 0); /* size unknown: read to EOF */

    free(buf);
    ks_scanner_destroy(s);
    ks_engine_destroy(e1);
    ks_engine_destroy(e2);
}

TestSuite(hygiene, .init = mk, .fini = rm, .timeout = KS_HANG_S(300));

Test(hygiene, fds_signals_mask_locale_umask_and_cwd_untouched)
{
    /* a host with handlers of its own and an unusual umask, which the library must keep */
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGUSR1, &sa, NULL);
    mode_t host_umask = 027;
    umask(host_umask);

    host_state before, after;
    snapshot(&before);
    exercise_everything();
    snapshot(&after);
    assert_unchanged(&before, &after);
    mode_t now = umask(022);
    cr_assert_eq(now, host_umask, "umask changed from %03o to %03o", (unsigned)host_umask, (unsigned)now);
}

/* ---- the host's locale must not change what the library finds ---- */

static void scan_all(const char *yaml, const unsigned char *buf, size_t len, found_list *out, int *load_rc)
{
    ks_rules *r = NULL;
    ks_diag d = {0};
    cr_assert_eq(ks_rules_create(&r), 0);
    *load_rc = ks_rules_load_builtin(r, NULL, NULL);
    if (!*load_rc)
        *load_rc = ks_rules_load_yaml(r, yaml, strlen(yaml), "l.yml", NULL, &d);
    if (*load_rc) {
        ks_rules_destroy(r);
        return;
    }
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    cr_assert_eq(ks_scan(s, buf, len, 0, 0, collect, out), 0);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

Test(hygiene, host_locale_does_not_change_rules_or_findings)
{
    /* A comma-decimal locale, built here since Debian images ship only C and C.UTF-8. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        cr_skip_test("localedef cannot build de_DE.UTF-8 here");
    static const char yaml[] = "rules:\n  - {id: l.tok, name: tok, pattern: '\\btok_[a-z0-9]{8,24}\\b', "
                               "min_entropy: 2.5}\n";
    size_t len = 100000;
    unsigned char *buf = make_object(len, 60, 11);
    found_list c_locale = {0}, host = {0};
    int rc;
    scan_all(yaml, buf, len, &c_locale, &rc);
    cr_assert_eq(rc, 0);

    setenv("LOCPATH", dir, 1);
    cr_assert_not_null(setlocale(LC_ALL, "de_DE.UTF-8"));
    cr_assert_eq(strtod("2.5", NULL), 2.0, "the test locale should parse 2.5 as 2 (comma decimal)");
    scan_all(yaml, buf, len, &host, &rc);
    setlocale(LC_ALL, "C");
    cr_assert_eq(rc, 0, "rules fail to load under the host's de_DE.UTF-8 locale: %s", ks_errname(rc));
    cr_assert(found_list_equal(&c_locale, &host));
    found_list_free(&c_locale);
    found_list_free(&host);
    free(buf);
}

/* ---- two engines in one process are as independent as two processes ---- */

/* Same ids, different patterns: nothing may be shared by id, by cache entry or by confirm regex. */
static const char RULES_A[] = "rules:\n  - {id: same, name: a, pattern: '\\bAKIA[0-9A-Z]{16}\\b'}\n"
                              "  - {id: a.only, name: a2, pattern: '(?m)^SECRET:[0-9]{6}$'}\n";
static const char RULES_B[] = "rules:\n  - {id: same, name: b, pattern: '\\btok_[a-z0-9]{8,24}\\b'}\n"
                              "  - {id: b.only, name: b2, pattern: 'apikey\\s{0,3}=\\s{0,3}\"([A-Za-z0-9]{12,40})\"'}\n";

static ks_engine *engine_in(const char *yaml, const char *cache)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_yaml(r, yaml, strlen(yaml), "e.yml", NULL, NULL), 0);
    ks_engine_options o = {.cache_dir = cache};
    ks_engine *e = NULL;
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    return e;
}

static void scan_with(ks_engine *e, const unsigned char *buf, size_t len, found_list *out)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    cr_assert_eq(ks_scan(s, buf, len, 0, 0, collect, out), 0);
    ks_scanner_destroy(s);
}

Test(hygiene, two_engines_give_the_same_results_as_each_alone)
{
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    size_t len = 300000;
    unsigned char *buf = make_object(len, 200, 3);

    found_list alone_a = {0}, alone_b = {0};
    ks_engine *a = engine_in(RULES_A, cache);
    scan_with(a, buf, len, &alone_a);
    ks_engine_destroy(a);
    ks_engine *b = engine_in(RULES_B, cache);
    scan_with(b, buf, len, &alone_b);
    ks_engine_destroy(b);
    cr_assert(alone_a.n > 0 && alone_b.n > 0);

    /* Both alive (the second pair from the cache), scanners and streams interleaved. */
    a = engine_in(RULES_A, cache);
    b = engine_in(RULES_B, cache);
    ks_scanner *sa = NULL, *sb = NULL;
    cr_assert_eq(ks_scanner_create(a, &sa), 0);
    cr_assert_eq(ks_scanner_create(b, &sb), 0);
    found_list both_a = {0}, both_b = {0};
    ks_stream *ta = NULL, *tb = NULL;
    cr_assert_eq(ks_stream_open(ks_scanner_engine(sa), NULL, collect, &both_a, &ta), 0);
    cr_assert_eq(ks_stream_open(ks_scanner_engine(sb), NULL, collect, &both_b, &tb), 0);
    for (size_t off = 0; off < len; off += 7777) {
        size_t n = len - off < 7777 ? len - off : 7777;
        cr_assert_eq(ks_stream_write(tb, sb, buf + off, n), 0);
        cr_assert_eq(ks_stream_write(ta, sa, buf + off, n), 0);
    }
    cr_assert_eq(ks_stream_close(ta, sa), 0);
    cr_assert_eq(ks_stream_close(tb, sb), 0);
    cr_assert(found_list_equal(&alone_a, &both_a), "engine A changed by engine B");
    cr_assert(found_list_equal(&alone_b, &both_b), "engine B changed by engine A");

    ks_scanner_destroy(sa);
    ks_scanner_destroy(sb);
    ks_engine_destroy(a);
    ks_engine_destroy(b);
    found_list_free(&alone_a);
    found_list_free(&alone_b);
    found_list_free(&both_a);
    found_list_free(&both_b);
    free(buf);
}
