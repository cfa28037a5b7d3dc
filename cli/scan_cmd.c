/* scan_cmd.c: `keysweep scan`: options, the walk on the main thread, the pipeline, the report sink and the summary. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argerr.h"
#include "baseline.h"
#include "commands.h"
#include "config.h"
#include "diag.h"
#include "diff_scan.h"
#include "git_findings.h"
#include "git_opts.h"
#include "gitleaksignore.h"
#include "ignore.h"
#include "options.h"
#include "output.h"
#include "output_choice.h"
#include "report.h"
#include "shard.h"

static volatile sig_atomic_t got_signal = 0;
static ks_pipeline *volatile running; /* for the signal handler: the CLI's one pipeline */

static void on_signal(int sig)
{
    got_signal = sig;
    if (running)
        ks_pipeline_stop(running);
}

typedef struct scan_state {
    ks_pipeline *pipeline;
    out_writer out;
    report rep;
    int progress;
    int progress_shown;   /* a progress line is on the terminal, not ended by a newline */
    int out_on_stderr_tty; /* the report goes to the terminal stderr is on: the line is cleared first */
    double t0, last_progress;
    /* used by the writer thread only */
    baseline base;
    ks_strbuf peer_scratch; /* a finding's file as peers name it */
    /* .gitleaksignore of the roots and repositories: the walker adds, the writer asks */
    gitleaksignore gli;
    /* written by the writer thread, read after ks_pipeline_finish */
    unsigned long long files, bytes, findings, errors, cancelled, allowed, baselined, truncated;
    unsigned long long gitleaksignored; /* listed in a .gitleaksignore */
    config *cfg;                        /* its disabled rules and allowlist (writer thread) */
    int diff_malformed;                 /* a diff read as one broke off or held a line that is none of its */
    unsigned long long config_hidden;   /* hidden by them */
    unsigned long long test_keys; /* published test material, hidden (or shown with --show-test-keys) */
    int show_test_keys;
    unsigned long long archives, members, limited; /* containers opened, their members; files stopped at a budget */
    int limits_warn;                               /* --archive-limits warn: a budget is not an error */
    ks_strbuf where;                               /* "file!member", for the baseline's fingerprints */
    git_findings gitf; /* findings in repositories' history, held until each is scanned, for their commits */
    diag_storm storm; /* per-file errors, from the walker and the writer */
    char *const *roots; /* the paths named on the command line, in which errors are never folded */
    int n_roots;
    uint64_t max_file_size; /* --max-file-size, 0 if none */
    /* main thread */
    const char *root; /* the root being walked, for --shard */
    shard shard;
    int no_git_history;
    const ks_git_opts *git; /* which blobs of each repository's history */
    git_tally git_tally;    /* writer thread */
    char *git_done;         /* the repository whose history on_git told last: its on_file_done comes next */
    unsigned long long skipped[KS_SKIP_N];
    unsigned long long other_shard;
    unsigned long long walk_errors;
    int explicit_skipped;
    int walk_stopped;
    /* the report file being written and the one it replaces: never scanned (by device and inode) */
    struct stat report_ids[2];
    int n_report_ids;
    unsigned long long own_report;
} scan_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(char *buf, size_t n, double b)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) {
        b /= 1024;
        i++;
    }
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* Writes the buffered report; a progress line on the same terminal is cleared first, so that no
 * finding is printed glued to it. Runs on the writer thread, or on the main thread once it is done. */
static int flush_report(scan_state *s)
{
    if (s->progress_shown && s->out_on_stderr_tty) {
        fputs("\r\x1b[K", stderr);
        s->progress_shown = 0;
    }
    return out_flush(&s->out);
}

/* ---- pipeline sink: runs on the writer thread ---- */

/* Whether a .gitleaksignore or a peer's report given as the baseline lists the finding at place p (counted). */
static int peer_listed(scan_state *s, const peer_place *p, const ks_match *m)
{
    if (gitleaksignore_has(&s->gli, p)) {
        s->gitleaksignored++;
        return 1;
    }
    if (baseline_has_peer(&s->base, p, m)) {
        s->baselined++;
        return 1;
    }
    return 0;
}

/* Whether peers' suppressions hide the finding: a .gitleaksignore lists it, or a Gitleaks or TruffleHog report
 * given as the baseline holds it. Asked once the finding's commit is known (g), since peers name commits. Gitleaks'
 * fingerprints name the rule by keysweep's id or, as keysweep's gitleaks format writes them, by Gitleaks' own. */
static int peer_suppressed(scan_state *s, const char *path, const ks_match *m, const finding_git *g)
{
    if (!atomic_load_explicit(&s->gli.any, memory_order_acquire) && !s->base.peer.n)
        return 0;
    peer_place p;
    peer_place_of(&p, &s->peer_scratch, path, m, g);
    if (peer_listed(s, &p, m))
        return 1;
    ks_rule_info info;
    memset(&info, 0, sizeof info);
    if (ks_engine_rule(s->rep.engine, m->rule_index, &info) || !info.gitleaks_id[0])
        return 0;
    p.rule = info.gitleaks_id;
    p.rule_len = strlen(info.gitleaks_id);
    return peer_listed(s, &p, m);
}

/* Writes one finding (g: a blob of a repository's history, else NULL) unless peers' suppressions hide it;
 * non-zero stops the scan. */
static int emit_finding(void *ctx, const char *path, const ks_match *m, const finding_git *g)
{
    scan_state *s = ctx;
    if (s->out.err)
        return 1;
    if (peer_suppressed(s, path, m, g))
        return 0;
    s->findings++;
    report_finding_git(&s->rep, &s->out.buf, path, m, g);
    if (s->out.buf.oom) {
        s->out.err = ENOMEM;
        return 1;
    }
    if (s->out.buf.len >= 1024 * 1024 && flush_report(s))
        return 1;
    return 0;
}

static int sink_finding(void *ctx, const char *path, const ks_match *m)
{
    scan_state *s = ctx;
    if (s->out.err)
        return 1;
    /* Path conditions of imported Gitleaks rules were applied by the library, which knows the path. */
    if (s->base.own.n) {
        char fp[17];
        finding_fingerprint(fp, finding_where(&s->where, path, m), m->rule_id, (unsigned long long)m->start);
        if (baseline_has(&s->base, fp)) {
            s->baselined++;
            return 0;
        }
    }
    if (m->allowed) { /* the engine saw an allow marker on its lines, in the bytes it scanned */
        s->allowed++;
        return 0;
    }
    if (s->cfg && config_hides(s->cfg, m->rule_id, m->secret, m->secret_len)) {
        s->config_hidden++;
        return 0;
    }
    if (m->known_test_key) { /* on the library's list of published test material */
        s->test_keys++;
        if (!s->show_test_keys)
            return 0;
    }
    /* reported (and counted) with its commit once its repository is done */
    int held = git_findings_hold(&s->gitf, path, m);
    if (held < 0)
        s->out.err = ENOMEM;
    return held ? held < 0 : emit_finding(s, path, m, NULL);
}

/* A path named on the command line: its errors are always printed in full. */
static int is_root(const scan_state *s, const char *path)
{
    for (int i = 0; i < s->n_roots; i++)
        if (strcmp(s->roots[i], path) == 0)
            return 1;
    return 0;
}

/* Inside containers: members skipped, expansions stopped (the writer thread). */
static void sink_object_problem(void *ctx, const char *path, const char *object, int fatal, const char *what)
{
    scan_state *s = ctx;
    char *where = NULL;
    if (*object && asprintf(&where, "%s!%s", path, object) < 0)
        where = NULL;
    const char *name = where ? where : path;
    if (fatal || is_root(s, path))
        diag_path(name, "%s", what);
    else
        diag_storm_error(&s->storm, name, "%s", what);
    free(where);
}

static void sink_container(void *ctx, const char *path, uint64_t containers, uint64_t members)
{
    scan_state *s = ctx;
    s->archives += containers;
    s->members += members;
}

static void sink_git(void *ctx, const char *path, const ks_git_totals *t)
{
    scan_state *s = ctx;
    git_tally_add(&s->git_tally, t);
    free(s->git_done);
    s->git_done = strdup(path);
}

static void sink_file_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    scan_state *s = ctx;
    s->bytes += bytes;
    /* a repository scanned: its findings go out with their commits (not when the scan is being interrupted) */
    if (git_findings_release(&s->gitf, path, err != ECANCELED && !got_signal, emit_finding, s) && !s->out.err)
        s->out.err = ENOMEM;
    /* A container stopped: sink_object_problem said why. A budget makes the scan incomplete (unless
     * --archive-limits warn); a corrupt or truncated container is what the data is, every byte of it
     * was read, and it is a warning (test suites and partial downloads hold many). */
    if (err == EOVERFLOW || err == EBADMSG) {
        s->files++;
        s->limited++;
        if (err == EOVERFLOW && !s->limits_warn)
            s->errors++;
        return;
    }
    if (!err || err == EFBIG) {
        s->files++;
        if (err == EFBIG) { /* cut at its read limit: what was read is scanned */
            char cap[32];
            human_bytes(cap, sizeof cap, (double)bytes);
            s->truncated++;
            diag_path(path, "size unknown: scanned its first %s, not to its end (--max-file-size sets how far)", cap);
        }
    } else if (err == ECANCELED) {
        s->cancelled++;
    } else {
        s->errors++;
        /* the objects that could not be read were named as they came: say what it means, not an errno */
        if (err == EIO && s->git_done && !strcmp(path, s->git_done))
            diag_path(path, "%s", "history incomplete: the objects named above were not scanned");
        else if (is_root(s, path))
            diag_path(path, "read failed: %s", strerror(err));
        else
            diag_storm_error(&s->storm, path, "read failed: %s", strerror(err));
    }
}

static void draw_progress(scan_state *s, int final)
{
    double t = now_s();
    if (!final && t - s->last_progress < 0.2)
        return;
    s->last_progress = t;
    if (final) {
        fputs("\r\x1b[K", stderr);
        s->progress_shown = 0;
        return;
    }
    char b[32], r[32];
    human_bytes(b, sizeof b, (double)s->bytes);
    human_bytes(r, sizeof r, t > s->t0 ? (double)s->bytes / (t - s->t0) : 0);
    fprintf(stderr, "\r\x1b[K%llu file%s, %s, %s/s, %llu finding%s", s->files, s->files == 1 ? "" : "s", b, r,
            s->findings, s->findings == 1 ? "" : "s");
    s->progress_shown = 1;
}

static void sink_idle(void *ctx)
{
    scan_state *s = ctx;
    if (!s->out.err && s->out.buf.len)
        flush_report(s);
    if (s->out.err)
        ks_pipeline_stop(s->pipeline);
    if (s->progress)
        draw_progress(s, 0);
}

/* ---- walker callbacks: main thread ---- */

static int walk_on_file(void *ctx, int fd, const char *path, const struct stat *st)
{
    scan_state *s = ctx;
    if (got_signal || s->out.err) {
        close(fd);
        s->walk_stopped = 1;
        return 1;
    }
    if (!shard_mine(&s->shard, s->root, path)) {
        close(fd);
        s->other_shard++;
        return 0;
    }
    for (int i = 0; i < s->n_report_ids; i++) {
        if (st->st_dev == s->report_ids[i].st_dev && st->st_ino == s->report_ids[i].st_ino) {
            close(fd); /* scanning it would report again what it reports */
            s->own_report++;
            return 0;
        }
    }
    /* A size of 0 (procfs and friends) may hide endless data: such reads stop at --max-file-size,
     * or at KS_UNKNOWN_SIZE_LIMIT without it. */
    uint64_t limit = s->max_file_size ? s->max_file_size : KS_UNKNOWN_SIZE_LIMIT;
    if (ks_pipeline_submit(s->pipeline, fd, path, (uint64_t)st->st_size, limit)) {
        s->walk_stopped = 1;
        return 1;
    }
    return 0;
}

static void walk_on_skip(void *ctx, const char *path, ks_skip_reason why, int explicit_root)
{
    scan_state *s = ctx;
    s->skipped[why]++;
    if (explicit_root) {
        s->explicit_skipped = 1;
        diag_path(path, "not scanned: not a regular file or directory");
    } else if (why == KS_SKIP_OUTSIDE) {
        diag_path(path, "not followed: the link leads outside the scanned root");
    }
}

static void walk_on_error(void *ctx, const char *path, int err, const char *what)
{
    scan_state *s = ctx;
    s->walk_errors++;
    if (path == s->root || strcmp(path, s->root) == 0)
        diag_path(path, "%s failed: %s", what, strerror(err));
    else
        diag_storm_error(&s->storm, path, "%s failed: %s", what, strerror(err));
}

/* The .gitleaksignore of a root or repository (git_dir: the repository's git directory, else a directory);
 * one that cannot be read makes the scan incomplete, as an unreadable .keysweepignore does. */
static void read_gitleaksignore(scan_state *s, const char *path, int git_dir)
{
    int rc = git_dir ? gitleaksignore_load_repo(&s->gli, path, s->root != path && strcmp(path, s->root))
                     : gitleaksignore_load(&s->gli, path, 0);
    if (rc)
        walk_on_error(s, path, -rc, "read .gitleaksignore");
}

/* Before the first repository's history: libgit2's process settings for it (ks_git_tune_process), since
 * provenance reads every tree of the commits it compares, which libgit2 would hash again (46% of a scan of
 * git/git) and cache (500 MB there, no time saved). Not at start-up: initialising libgit2 loads the system's CA
 * certificates (10-20 ms of every run), which a scan that meets no repository never needs. The walk calls this
 * on the main thread, before the pipeline reads any repository. */
static void tune_git_once(void)
{
    static int done;
    if (!done) {
        done = 1;
        (void)ks_git_tune_process();
    }
}

/* A repository's history: its blobs, scanned as the members of its git directory. */
static int walk_on_git_dir(void *ctx, const char *path)
{
    scan_state *s = ctx;
    if (got_signal || s->out.err) {
        s->walk_stopped = 1;
        return 1;
    }
    if (s->no_git_history) /* its objects/ is not walked either: compressed bytes, nothing to scan */
        return 0;
    if (!shard_mine(&s->shard, s->root, path)) {
        s->other_shard++;
        return 0;
    }
    if (git_findings_add_repo(&s->gitf, path)) {
        walk_on_error(s, path, ENOMEM, "read git history");
        return 0;
    }
    read_gitleaksignore(s, path, 1);
    tune_git_once();
    int rc = ks_pipeline_submit_git_opts(s->pipeline, path, s->git);
    if (rc == KS_EINVAL) /* a file named .git that points nowhere: only a file */
        return 0;
    if (rc == KS_ETERMINATED) {
        s->walk_stopped = 1;
        return 1;
    }
    if (rc)
        walk_on_error(s, path, rc == KS_ENOMEM ? ENOMEM : EIO, "read git history");
    return 0;
}

static void print_summary(const scan_state *s, double secs, const char *status)
{
    char bytes[32], rate[32];
    human_bytes(bytes, sizeof bytes, (double)s->bytes);
    human_bytes(rate, sizeof rate, secs > 0 ? (double)s->bytes / secs : 0);
    char truncated[64] = "";
    if (s->truncated)
        snprintf(truncated, sizeof truncated, " (%llu truncated)", s->truncated);
    fprintf(stderr, "keysweep: %s%s%llu file%s scanned%s, %s in %.2f s (%s/s, %.0f files/s); %llu finding%s",
            status, *status ? ": " : "", s->files, s->files == 1 ? "" : "s", truncated, bytes, secs, rate,
            secs > 0 ? (double)s->files / secs : 0.0, s->findings, s->findings == 1 ? "" : "s");
    if (s->allowed)
        fprintf(stderr, ", %llu allowed inline", s->allowed);
    if (s->baselined)
        fprintf(stderr, ", %llu in the baseline", s->baselined);
    if (s->gitleaksignored)
        fprintf(stderr, ", %llu in .gitleaksignore", s->gitleaksignored);
    if (s->config_hidden)
        fprintf(stderr, ", %llu hidden by the configuration", s->config_hidden);
    if (s->test_keys)
        fprintf(stderr, ", %llu known test key%s%s", s->test_keys, s->test_keys == 1 ? "" : "s",
                s->show_test_keys ? " (shown)" : " (--show-test-keys shows them)");
    if (s->archives)
        fprintf(stderr, "; %llu archive%s opened, %llu member%s scanned%s", s->archives, s->archives == 1 ? "" : "s",
                s->members, s->members == 1 ? "" : "s", s->limited ? " (some stopped: see above)" : "");
    git_tally_print(stderr, &s->git_tally);
    fputs("; skipped:", stderr);
    int any = 0;
    for (int r = 0; r < KS_SKIP_N; r++) {
        if (s->skipped[r]) {
            fprintf(stderr, "%s %llu %s", any ? "," : "", s->skipped[r], ks_skip_name((ks_skip_reason)r));
            any = 1;
        }
    }
    if (s->other_shard)
        fprintf(stderr, "%s %llu in other shards", any ? "," : "", s->other_shard), any = 1;
    if (s->own_report)
        fprintf(stderr, "%s %llu report file%s (--output)", any ? "," : "", s->own_report, s->own_report == 1 ? "" : "s"),
            any = 1;
    if (s->cancelled)
        fprintf(stderr, "%s %llu not read (stopped)", any ? "," : "", s->cancelled), any = 1;
    unsigned long long errors = s->errors + s->walk_errors;
    fprintf(stderr, "%s; %llu error%s\n", any ? "" : " none", errors, errors == 1 ? "" : "s");
}

static void scan_usage(FILE *f)
{
    fputs("usage: keysweep scan [OPTIONS] [PATH...]\n"
          "Scans files and directories (default: .) for secrets; PATH '-' reads standard input, and a FIFO\n"
          "or /dev/fd/N named as PATH (process substitution: <(cmd)) is read as a stream too.\n\n"
          "Output:\n"
          "  --format FMT          text, jsonl, json (one array), sarif (2.1.0, for GitHub code scanning),\n"
          "                        trufflehog (TruffleHog --json lines), gitleaks (Gitleaks' JSON report),\n"
          "                        csv (a header line, then one line per finding) or junit (JUnit XML:\n"
          "                        one failed test case per finding), in any case\n"
          "  -o, --output FILE     write the report to FILE (mode 0600, replaced only when complete)\n"
          "  --redact[=N]          hide N% of each secret (its first 100-N% of characters are kept, then\n"
          "                        *****), as Gitleaks does; --redact alone or =100: every secret becomes\n"
          "                        REDACTED, in the match too; =0: nothing hidden\n"
          "  --color WHEN          auto (default), always or never; NO_COLOR disables auto\n"
          "  --no-progress         no progress line on stderr (it is shown only on a terminal)\n"
          "  -q, --quiet           no summary on stderr\n"
          "  --exit-code N         exit status when secrets are found (default 1; errors stay 2)\n"
          "  --sarif-byte-offsets  SARIF regions also give byteOffset and byteLength (some readers then\n"
          "                        ignore startLine)\n"
          "  Without --format: -o FILE's extension chooses (.sarif, .json, .jsonl, .csv, .xml for junit;\n"
          "  else jsonl); stdout gets text on a terminal, jsonl otherwise, and in a CI job (CI=true or 1,\n"
          "  GITHUB_ACTIONS, GITLAB_CI, BUILDKITE, CIRCLECI, JENKINS_URL, TF_BUILD, TRAVIS, TEAMCITY_VERSION,\n"
          "  BITBUCKET_BUILD_NUMBER, DRONE, CODEBUILD_BUILD_ID, APPVEYOR, SEMAPHORE, BITRISE_IO set; CI=false\n"
          "  or 0 says it is not) text with every secret redacted unless --redact=N says otherwise.\n"
          "  --format or -o gets exactly what it names. The summary goes to stderr (-q: none).\n"
          "Configuration (README: Configuration file):\n"
          "  --config FILE         read options, rules to add or disable, paths to exclude and an allowlist\n"
          "                        from FILE (TOML; YAML when named .yml or .yaml); else $KEYSWEEP_CONFIG;\n"
          "                        else .keysweep.toml (.yml, .yaml) in the first PATH or above it, up to\n"
          "                        the top of its git work tree. The command line wins over the file; the\n"
          "                        file in use is named on stderr\n"
          "  --no-config           read no configuration file (a scanned repository's own could hide\n"
          "                        its findings)\n"
          "Ignoring what was reviewed:\n"
          "  (a finding whose line contains keysweep:allow, gitleaks:allow or trufflehog:ignore is\n"
          "  not reported; nor one listed in a .gitleaksignore (Gitleaks fingerprints) at a scan root\n"
          "  or, by commit:file:rule-id:line, at the top of a repository whose history is scanned)\n"
          "  --baseline FILE       do not report findings that are in FILE, a previous report: keysweep's\n"
          "                        json or jsonl (by fingerprint), Gitleaks' JSON (by its Fingerprint) or\n"
          "                        TruffleHog's --json lines (the same secret in the same file and line)\n"
          "  --gitignore           also honour .gitignore files (.keysweepignore at a root always is)\n"
          "Rules:\n"
          "  --rules PATH          add rules from a YAML file, a directory of them, or a Gitleaks\n"
          "                        configuration (*.toml, loaded rule by rule) (repeatable)\n"
          "  --no-builtin-rules    do not load the built-in rules\n"
          "  --show-near-misses    also report matches that fail their validator, marked as such\n"
          "  --show-test-keys      also report published test material (documented example keys,\n"
          "                        TLS libraries' test keys), marked as such; counted either way\n"
          "  --cache-dir DIR       where compiled rule databases are cached (default $XDG_CACHE_HOME/keysweep)\n"
          "  --no-cache            neither read nor write the database cache\n"
          "What to scan:\n"
          "  --diff                the streams and files named are unified diffs (git diff, diff -u):\n"
          "                        scan only their added lines, reported under each file's new path\n"
          "                        with the new side's line and column; without it, a stream that\n"
          "                        starts like a diff is one (said on stderr)\n"
          "  --no-diff             scan a stream that looks like a diff as the text it is\n"
          "  --exclude GLOB        skip files and directories whose name or path matches (repeatable)\n"
          "  --max-file-size SIZE  skip files larger than SIZE (e.g. 100M); files whose size is unknown\n"
          "                        (procfs reports 0) are read up to SIZE (default 64M), then cut\n"
          "  -x, --one-file-system do not enter other mounts below each root (pseudo file systems\n"
          "                        such as /proc and /sys are never entered unless named)\n"
          "  --follow              follow symbolic links (each directory visited once)\n"
          "  --shard K/N           scan only the files whose path relative to the root hashes to K mod N\n"
          "Containers (found by their bytes: gzip, bzip2, xz, zstd, lz4, tar, zip and its kin, 7z, ar, cpio, rpm,\n"
          "ISO 9660):\n"
          "  --archive-depth N     open containers nested up to N deep (default 8); 0 scans them as bytes\n"
          "  --max-archive-size SIZE  scan larger containers as bytes, without opening them\n"
          "  --archive-threads N   threads decompressing one big container ahead of its scan (a zip's\n"
          "                        members N at once; default one per CPU beyond the first, at most -j;\n"
          "                        a git pack's delta trees on N threads only when given)\n"
          "  --no-decompress       do not open compressed files (.gz, .tar.gz...); archives still are\n"
          "  --archive-limits MODE error (default): a container stopped at a budget (members' bytes: the\n"
          "                        larger of 1G and 50x the file; 200x what was read, past 16M; 1,000,000\n"
          "                        members) makes the scan incomplete (status 2); warn: say so, go on\n"
          "Git history (a .git directory or a bare repository met while walking):\n"
          "  --no-git-history      do not scan the blobs of its packs and loose objects (each once; a\n"
          "                        finding's object is the blob's id); they are then not read at all\n"
          "  --git-all-paths       list every commit and path that introduced a finding's blob, not only\n"
          "                        the first (a finding in history names the commit, path and author\n"
          "                        that introduced its blob)\n"
          "  --git-reachable-only  only blobs reachable from HEAD, refs, reflogs and the index\n"
          "  --max-blob-size SIZE  skip larger blobs (counted in the summary)\n"
          "  (keysweep git [REPO...] scans history alone, narrowed: keysweep git --help)\n"
          "Encodings (decoded and scanned again; findings say \"decoders\": [\"base64\"]...):\n"
          "  --no-decode           scan bytes only as they are: no UTF-16, base64, hex, percent-encoding,\n"
          "                        \\u/\\x escapes or HTML entities decoded\n"
          "  --max-decode-depth N  decode what decoding gave, up to N levels (default 2, at most 4)\n"
          "Performance:\n"
          "  -j, --threads N       scanning threads (default: one per CPU this process may use)\n"
          "  --io BACKEND          auto (default: io_uring, else pread), uring or pread\n"
          "  --chunk-size SIZE     bytes per chunk; larger files are split and scanned in parallel (default 1M)\n"
          "  --no-pin              do not pin scanning threads to CPUs\n"
          "  --max-open-files N    file descriptors the scan may hold (default 256, and below ulimit -n)\n"
          "  -h, --help            this help\n\n"
          "Exit status: 0 no findings, 1 findings (or --exit-code N), 2 error or incomplete scan,\n"
          "130/143 interrupted, 141 output pipe closed.\n",
          f);
}

enum { OPT_FORMAT = 1000, OPT_RULES, OPT_NO_BUILTIN, OPT_NEAR, OPT_EXCLUDE, OPT_MAXSIZE, OPT_FOLLOW,
       OPT_CACHE_DIR, OPT_NO_CACHE, OPT_COLOR, OPT_NO_PROGRESS, OPT_IO, OPT_CHUNK, OPT_NO_PIN, OPT_REDACT,
       OPT_BASELINE, OPT_GITIGNORE, OPT_EXIT_CODE, OPT_SHARD, OPT_MAX_OPEN, OPT_ARCHIVE_DEPTH, OPT_MAX_ARCHIVE, OPT_ARCHIVE_THREADS,
       OPT_NO_DECOMPRESS, OPT_ARCHIVE_LIMITS, OPT_NO_DECODE, OPT_DECODE_DEPTH, OPT_NO_GIT_HISTORY,
       OPT_GIT_ALL_PATHS, OPT_SHOW_TEST_KEYS, OPT_CONFIG, OPT_NO_CONFIG, OPT_DIFF, OPT_NO_DIFF, OPT_SARIF_OFFSETS };

typedef struct scan_opts {
    rule_opts ro;
    ks_walk_opts wo;
    const char **excludes;
    size_t n_excludes;
    const char *format, *output, *color, *io, *baseline;
    int quiet, no_progress, gitignore;
    int redact;     /* --redact[=N]: percentage of each secret hidden; -1 when not given */
    int exit_code; /* status for "findings" */
    int limits_warn;
    int no_git_history;
    int git_all_paths;
    int show_test_keys;
    int git_cmd;    /* keysweep git: the roots are repositories, only their history is scanned */
    const char *config; /* --config FILE */
    int diff;           /* --diff 1, --no-diff -1, else 0: a stream that starts like a unified diff is one */
    int no_config;      /* --no-config */
    int sarif_byte_offsets; /* --sarif-byte-offsets */
    ks_git_opts git;
    uint64_t max_open_files;
    shard shard;
    ks_pipeline_opts po;
} scan_opts;

/* The options of scan and git (git_opt_take refuses the revision ones in scan), also what completions list. */
static const struct option scan_longopts[] = {
    {"format", required_argument, 0, OPT_FORMAT},     {"output", required_argument, 0, 'o'},
    {"rules", required_argument, 0, OPT_RULES},       {"no-builtin-rules", no_argument, 0, OPT_NO_BUILTIN},
    {"show-near-misses", no_argument, 0, OPT_NEAR},   {"exclude", required_argument, 0, OPT_EXCLUDE},
    {"show-test-keys", no_argument, 0, OPT_SHOW_TEST_KEYS},
    {"max-file-size", required_argument, 0, OPT_MAXSIZE}, {"follow", no_argument, 0, OPT_FOLLOW},
    {"cache-dir", required_argument, 0, OPT_CACHE_DIR}, {"no-cache", no_argument, 0, OPT_NO_CACHE},
    {"color", required_argument, 0, OPT_COLOR},       {"no-progress", no_argument, 0, OPT_NO_PROGRESS},
    {"threads", required_argument, 0, 'j'},           {"io", required_argument, 0, OPT_IO},
    {"chunk-size", required_argument, 0, OPT_CHUNK},  {"no-pin", no_argument, 0, OPT_NO_PIN},
    {"max-open-files", required_argument, 0, OPT_MAX_OPEN},
    {"quiet", no_argument, 0, 'q'},                   {"help", no_argument, 0, 'h'},
    {"redact", optional_argument, 0, OPT_REDACT},           {"baseline", required_argument, 0, OPT_BASELINE},
    {"gitignore", no_argument, 0, OPT_GITIGNORE},     {"exit-code", required_argument, 0, OPT_EXIT_CODE},
    {"shard", required_argument, 0, OPT_SHARD},       {"one-file-system", no_argument, 0, 'x'},
    {"archive-depth", required_argument, 0, OPT_ARCHIVE_DEPTH},
    {"max-archive-size", required_argument, 0, OPT_MAX_ARCHIVE},
    {"archive-threads", required_argument, 0, OPT_ARCHIVE_THREADS},
    {"no-decompress", no_argument, 0, OPT_NO_DECOMPRESS},
    {"no-decode", no_argument, 0, OPT_NO_DECODE},
    {"no-git-history", no_argument, 0, OPT_NO_GIT_HISTORY},
    {"git-all-paths", no_argument, 0, OPT_GIT_ALL_PATHS},
    {"max-decode-depth", required_argument, 0, OPT_DECODE_DEPTH},
    {"archive-limits", required_argument, 0, OPT_ARCHIVE_LIMITS},
    {"config", required_argument, 0, OPT_CONFIG},     {"no-config", no_argument, 0, OPT_NO_CONFIG},
    {"diff", no_argument, 0, OPT_DIFF},               {"no-diff", no_argument, 0, OPT_NO_DIFF},
    {"sarif-byte-offsets", no_argument, 0, OPT_SARIF_OFFSETS},
    GIT_LONGOPTS,
    {0, 0, 0, 0}};

const struct option *scan_option_table(void) { return scan_longopts; }

/* Parses argv; returns -1 to go on, or the exit status to return now. */
static int parse(scan_opts *o, int argc, char **argv)
{
    int c;
    uint64_t v;
    optind = 1;
    opterr = 0; /* getopt_refused says what was wrong, in keysweep's words */
    while ((c = getopt_long(argc, argv, ":o:qhj:x", scan_longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT: o->format = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_RULES:
            if (rule_opts_add_path(&o->ro, optarg))
                return 2;
            break;
        case OPT_NO_BUILTIN: o->ro.no_builtin = 1; break;
        case OPT_NEAR: o->ro.near_misses = 1; break;
        case OPT_SHOW_TEST_KEYS: o->show_test_keys = 1; break;
        case OPT_EXCLUDE: o->excludes[o->n_excludes++] = optarg; break;
        case OPT_MAXSIZE:
            if (parse_size(optarg, &o->wo.max_file_size)) {
                say("--max-file-size: '%s' is not a size (e.g. 100M)", optarg);
                return 2;
            }
            break;
        case OPT_FOLLOW: o->wo.follow_symlinks = 1; break;
        case 'x': o->wo.one_file_system = 1; break;
        case OPT_CACHE_DIR: o->ro.cache_dir = optarg; break;
        case OPT_NO_CACHE: o->ro.no_cache = 1; break;
        case OPT_COLOR: o->color = optarg; break;
        case OPT_NO_PROGRESS: o->no_progress = 1; break;
        case 'j':
            if (parse_size(optarg, &v) || v == 0 || v > 1024) {
                say("--threads: expected 1 to 1024, not '%s'", optarg);
                return 2;
            }
            o->po.threads = (unsigned)v;
            break;
        case OPT_IO: o->io = optarg; break;
        case OPT_CHUNK:
            if (parse_size(optarg, &v) || v < 4096 || v > (1u << 30)) {
                say("--chunk-size: expected 4K to 1G, not '%s'", optarg);
                return 2;
            }
            o->po.chunk_size = (size_t)v;
            break;
        case OPT_NO_PIN: o->po.flags |= KS_PIPELINE_NO_PIN; break;
        case OPT_MAX_OPEN:
            if (parse_size(optarg, &v) || v < 16 || v > 1000000) {
                say("--max-open-files: expected 16 to 1000000, not '%s'", optarg);
                return 2;
            }
            o->max_open_files = v;
            break;
        case OPT_REDACT: /* --redact=N, as Gitleaks: N% of each secret hidden; --redact alone, all of it */
            if (!optarg) {
                o->redact = 100;
            } else if (parse_size(optarg, &v) || v > 100 || strpbrk(optarg, "kKmMgGtTiBb")) {
                say("--redact: expected a percentage from 0 to 100 (--redact=N), not '%s'", optarg);
                return 2;
            } else {
                o->redact = (int)v;
            }
            break;
        case OPT_BASELINE: o->baseline = optarg; break;
        case OPT_GITIGNORE: o->gitignore = 1; break;
        case OPT_EXIT_CODE:
            if (parse_size(optarg, &v) || v > 255 || strpbrk(optarg, "kKmMgGtTiBb")) {
                say("--exit-code: expected 0 to 255, not '%s'", optarg);
                return 2;
            }
            o->exit_code = (int)v;
            break;
        case OPT_SHARD:
            if (shard_parse(optarg, &o->shard)) {
                say("--shard: expected K/N with 0 <= K < N (e.g. 0/4), not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_ARCHIVE_DEPTH:
            if (parse_size(optarg, &v) || v > 64 || strpbrk(optarg, "kKmMgGtTiBb")) {
                say("--archive-depth: expected 0 to 64, not '%s'", optarg);
                return 2;
            }
            if (v == 0)
                o->po.flags |= KS_PIPELINE_NO_CONTAINERS;
            else
                o->po.archive_depth = (unsigned)v;
            break;
        case OPT_MAX_ARCHIVE:
            if (parse_size(optarg, &v) || v == 0) {
                say("--max-archive-size: '%s' is not a size (e.g. 1G)", optarg);
                return 2;
            }
            o->po.archive_max_input = v;
            break;
        case OPT_ARCHIVE_THREADS:
            if (parse_size(optarg, &v) || v == 0 || v > 64 || strpbrk(optarg, "kKmMgGtTiBb")) {
                say("--archive-threads: expected 1 to 64, not '%s'", optarg);
                return 2;
            }
            o->po.archive_threads = (unsigned)v;
            break;
        case OPT_NO_DECOMPRESS: o->po.flags |= KS_PIPELINE_NO_DECOMPRESS; break;
        case OPT_NO_DECODE:
            o->po.flags |= KS_PIPELINE_NO_DECODE;
            o->ro.no_decode = 1;
            break;
        case OPT_NO_GIT_HISTORY: o->no_git_history = 1; break;
        case OPT_GIT_ALL_PATHS: o->git_all_paths = 1; break;
        case OPT_DECODE_DEPTH:
            if (parse_size(optarg, &v) || v > KS_MAX_DECODE_DEPTH || strpbrk(optarg, "kKmMgGtTiBb")) {
                say("--max-decode-depth: expected 0 to %u, not '%s'", KS_MAX_DECODE_DEPTH, optarg);
                return 2;
            }
            if (v == 0)
                o->ro.no_decode = 1; /* UTF-16 text is still decoded: it is what the file holds */
            else
                o->ro.decode_depth = (unsigned)v;
            break;
        case OPT_ARCHIVE_LIMITS:
            if (strcmp(optarg, "warn") && strcmp(optarg, "error")) {
                say("--archive-limits: expected error or warn, not '%s'", optarg);
                return 2;
            }
            o->limits_warn = strcmp(optarg, "warn") == 0;
            break;
        case OPT_CONFIG: o->config = optarg; break;
        case OPT_DIFF: o->diff = 1; break;
        case OPT_NO_DIFF: o->diff = -1; break;
        case OPT_SARIF_OFFSETS: o->sarif_byte_offsets = 1; break;
        case OPT_NO_CONFIG: o->no_config = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': o->git_cmd ? git_usage(stdout) : scan_usage(stdout); return 0;
        default: {
            int g = git_opt_take(&o->git, c, optarg, o->git_cmd);
            if (g == 1)
                break;
            return g ? g : getopt_refused(o->git_cmd ? "git" : "scan", c, argv, scan_longopts);
        }
        }
    }
    if (git_opts_done(&o->git))
        return 2;
    if (strcmp(o->io, "auto") && strcmp(o->io, "uring") && strcmp(o->io, "pread")) {
        say("--io: expected auto, uring or pread, not '%s'", o->io);
        return 2;
    }
    return -1;
}

static void pipeline_diag(const ks_diag *d, void *ctx) { say("%s", d->message); }

/* The pipeline chooses its reader (io_uring unless it is refused or pread is asked for) and says
 * why it fell back, or why it cannot start. */
static int start_pipeline(scan_state *s, const ks_engine *engine, scan_opts *o)
{
    static const ks_pipeline_sink sink = {.size = sizeof sink,
                                          .on_finding = sink_finding,
                                          .on_file_done = sink_file_done,
                                          .on_idle = sink_idle,
                                          .on_object_problem = sink_object_problem,
                                          .on_container = sink_container,
                                          .on_git = sink_git};
    o->po.size = sizeof o->po;
    o->po.reader = o->io;
    o->po.on_diag = pipeline_diag;
    return ks_pipeline_create(engine, &o->po, &sink, s, &s->pipeline);
}

/* Whether descriptors a and b are one terminal (stdout and stderr both on it, usually). */
static int same_terminal(int a, int b)
{
    struct stat sa, sb;
    return isatty(a) && isatty(b) && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_rdev == sb.st_rdev;
}

/* A root given twice (or two names of one directory or file) is scanned once: counts and findings
 * would otherwise double. */
static int same_as_earlier_root(char **paths, int i)
{
    struct stat a, b;
    if (strcmp(paths[i], "-") == 0 || stat(paths[i], &a))
        return 0;
    for (int k = 0; k < i; k++)
        if (strcmp(paths[k], "-") && stat(paths[k], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return 1;
    return 0;
}

/* Splits the descriptor budget (--max-open-files, never above RLIMIT_NOFILE) between open
 * directories, queued files and chunk reads, so a tree of any shape stays under it. */
static void fd_budget(scan_opts *o)
{
    struct rlimit rl;
    uint64_t cap = o->max_open_files;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < cap + 16)
        cap = rl.rlim_cur > 32 ? rl.rlim_cur - 16 : 16;
    /* a quarter for the walker's directories, half for files in the pipeline, the rest for
     * what the process holds besides (standard streams, output, database cache, io_uring rings) */
    unsigned quarter = (unsigned)(cap / 4 > 4 ? cap / 4 : 4);
    o->wo.max_open_dirs = quarter > 64 ? 64 : quarter;
    o->po.max_open_files = (unsigned)(cap / 2 > 4 ? cap / 2 : 4);
}

/* keysweep git: a root is a repository, its history alone is scanned. */
static void git_root(scan_state *s, const char *path)
{
    /* its findings are held for their commits under the name the pipeline reports: the path for a git
     * directory, path/.git for a work tree (which one it is, the pipeline finds out) */
    size_t n = strlen(path);
    char *work_tree_name = malloc(n + sizeof "/.git");
    if (work_tree_name)
        snprintf(work_tree_name, n + sizeof "/.git", "%s%s", path, n && path[n - 1] == '/' ? ".git" : "/.git");
    int held = work_tree_name && !git_findings_add_repo(&s->gitf, path) &&
               !git_findings_add_repo(&s->gitf, work_tree_name);
    free(work_tree_name);
    if (!held) {
        walk_on_error(s, path, ENOMEM, "read git history");
        return;
    }
    read_gitleaksignore(s, path, 1);
    tune_git_once();
    int rc = ks_pipeline_submit_git_opts(s->pipeline, path, s->git);
    if (rc == KS_ETERMINATED) {
        s->walk_stopped = 1;
    } else if (rc == KS_EINVAL) {
        s->walk_errors++;
        diag_path(path, "not a git repository (a work tree with .git, a git directory, or a .git file)");
    } else if (rc) {
        walk_on_error(s, path, rc == KS_ENOMEM ? ENOMEM : EIO, "read git history");
    }
}

/* Standard input, a FIFO named on the command line (process substitution: /dev/fd/N), or with --diff a
 * diff file: a unified diff (--diff, or one that starts like it, unless --no-diff) has its added lines scanned as
 * the files they go into; anything else is one stream. */
static void scan_stream_root(scan_state *s, scan_opts *o, const char *name, int fd)
{
    int diff = o->diff > 0 || (o->diff == 0 && diff_fd_looks_like(fd));
    if (!diff) {
        if (ks_pipeline_submit(s->pipeline, fd, name, 0, s->max_file_size))
            s->walk_stopped = 1;
        return;
    }
    if (o->diff == 0)
        say("%s is a unified diff: scanning its added lines (--no-diff scans it as text)", name);
    diff_result r;
    if (diff_submit_fd(s->pipeline, fd, name, s->max_file_size, &r))
        s->walk_stopped = 1;
    if (r.read_error) /* what came before it is scanned */
        walk_on_error(s, name, r.read_error, "read the diff");
    if (r.malformed)
        s->diff_malformed = 1;
}

/* Walks every root on the main thread; each directory root brings its own ignore files. */
static void walk_roots(scan_state *s, scan_opts *o, char **paths, int n_paths)
{
    ks_walk_ops ops = {.size = sizeof ops,
                       .on_file = walk_on_file,
                       .on_skip = walk_on_skip,
                       .on_error = walk_on_error,
                       .on_git_dir = walk_on_git_dir};
    for (int i = 0; i < n_paths && !s->walk_stopped && !got_signal; i++) {
        s->root = paths[i];
        if (same_as_earlier_root(paths, i)) {
            diag_path(paths[i], "named more than once: scanned once");
            continue;
        }
        if (o->git_cmd) {
            git_root(s, paths[i]);
            continue;
        }
        struct stat st;
        int is_stdin = strcmp(paths[i], "-") == 0;
        if (is_stdin || (stat(paths[i], &st) == 0 && (S_ISFIFO(st.st_mode) || (o->diff > 0 && S_ISREG(st.st_mode))))) {
            if (!shard_mine(&s->shard, paths[i], paths[i])) {
                s->other_shard++;
                continue;
            }
            /* named on the command line: read as a stream (a FIFO met while walking is never opened) */
            int fd = is_stdin ? dup(STDIN_FILENO) : open(paths[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                walk_on_error(s, paths[i], errno, "open");
                continue;
            }
            scan_stream_root(s, o, paths[i], fd);
            continue;
        }
        read_gitleaksignore(s, paths[i], 0);
        ignore_ctx ig;
        if (ignore_init(&ig, paths[i], o->gitignore, walk_on_error, s)) {
            walk_on_error(s, paths[i], ENOMEM, "read ignore files");
            ignore_free(&ig);
            continue;
        }
        o->wo.is_ignored = ignore_empty(&ig) ? NULL : ignore_is_ignored;
        o->wo.ignore_ctx = &ig;
        ks_walk(paths[i], &o->wo, &ops, s);
        ignore_free(&ig);
    }
}

/* The options before any are parsed. */
static void opts_init(scan_opts *o, int git_cmd, const char **excludes)
{
    memset(o, 0, sizeof *o);
    o->git_cmd = git_cmd;
    o->git.size = sizeof o->git;
    o->color = "auto";
    o->io = "auto";
    o->redact = -1;
    o->exit_code = 1;
    o->ro.report_allowed = 1;
    o->ro.report_test_keys = 1; /* counted in the summary, shown with --show-test-keys */
    o->max_open_files = 256;
    o->excludes = excludes;
}

/* The configuration's options, each parsed as the command line would be (so that a bad value is refused with the
 * same words), then the command line's, which win. Returns -1 to go on, or the exit status. */
static int parse_with_config(scan_opts *o, const config *cfg, int argc, char **argv)
{
    for (size_t i = 0; i < cfg->n_opts; i++) {
        const config_opt *c = &cfg->opts[i];
        char *av[] = {"keysweep", c->name, c->value, NULL};
        int prc = parse(o, c->value ? 3 : 2, av);
        if (prc >= 0) {
            say("%s:%lu: %s: refused (%s%s%s, as the option above)", cfg->path, c->line, c->key, c->name,
                c->value ? " " : "", c->value ? c->value : "");
            return 2;
        }
    }
    return parse(o, argc, argv);
}

/* keysweep scan, or (git_cmd) keysweep git. */
static int scan_main(int argc, char **argv, int git_cmd)
{
    scan_opts o;
    config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char **excludes = calloc((size_t)argc + 1, sizeof *excludes);
    int status = 2;
    opts_init(&o, git_cmd, excludes);
    if (!excludes)
        return 2;
    /* the command line alone first: it may name the configuration, or refuse one, and names the roots */
    int prc = parse(&o, argc, argv);
    if (prc >= 0) {
        status = prc;
        goto done;
    }
    char *cfg_path = NULL;
    if (config_find(o.config, o.no_config, optind < argc ? argv[optind] : ".", &cfg_path))
        goto done;
    if (cfg_path) {
        int lrc = config_load(&cfg, cfg_path);
        free(cfg_path);
        if (lrc)
            goto done;
        const char **more = realloc(excludes, ((size_t)argc + cfg.n_opts + 1) * sizeof *more);
        if (!more)
            goto done;
        excludes = more;
        rule_opts_free(&o.ro);
        opts_init(&o, git_cmd, excludes);
        if ((prc = parse_with_config(&o, &cfg, argc, argv)) >= 0) {
            status = prc;
            goto done;
        }
        if (!o.quiet)
            say("config: %s", cfg.path);
    }
    o.wo.size = sizeof o.wo;
    o.wo.excludes = o.n_excludes ? o.excludes : NULL;
    fd_budget(&o);
    output_choice oc;
    const output_request oq = {.format = o.format, .output = o.output, .color = o.color, .redact = o.redact};
    if (choose_output(&oq, &oc))
        goto done;

    scan_state s;
    memset(&s, 0, sizeof s);
    git_findings_init(&s.gitf, o.git_all_paths, &o.git, o.po.threads);
    gitleaksignore_init(&s.gli);
    s.t0 = now_s();
    s.shard = o.shard;
    s.no_git_history = o.no_git_history;
    s.show_test_keys = o.show_test_keys;
    s.cfg = cfg.path ? &cfg : NULL;
    s.git = &o.git;
    s.git_tally.selecting = o.git.range || o.git.since_commit || o.git.branch || o.git.staged || o.git.reachable_only;
    s.max_file_size = o.wo.max_file_size;
    s.limits_warn = o.limits_warn;
    diag_storm_init(&s.storm);
    s.progress = !o.no_progress && !o.quiet && isatty(STDERR_FILENO);
    if (o.baseline) {
        char err[1024];
        if (baseline_load(&s.base, o.baseline, err, sizeof err)) {
            say("%s", err);
            goto done_state;
        }
    }
    ks_engine *engine = NULL;
    if (build_engine(&o.ro, &engine))
        goto done_state;
    if (o.output && stat(o.output, &s.report_ids[0]) == 0 && S_ISREG(s.report_ids[0].st_mode))
        s.n_report_ids = 1; /* a previous report, replaced at the end */
    int orc = out_open(&s.out, o.output);
    if (orc) {
        say("cannot write report %s: %s", o.output ? o.output : "(stdout)", strerror(-orc));
        out_close(&s.out, 0);
        ks_engine_destroy(engine);
        goto done_state;
    }
    if (fstat(s.out.fd, &s.report_ids[s.n_report_ids]) == 0 && S_ISREG(s.report_ids[s.n_report_ids].st_mode))
        s.n_report_ids++;
    s.out_on_stderr_tty = s.progress && same_terminal(s.out.fd, STDERR_FILENO);
    int src = report_begin(&s.rep, &s.out.buf, oc.fmt, oc.color, oc.redact, engine) ? KS_ENOMEM : 0;
    s.rep.sarif.byte_offsets = o.sarif_byte_offsets;
    if (!src)
        src = start_pipeline(&s, engine, &o);
    if (src) {
        say("cannot start scanning: %s", ks_strerror(src));
        report_end(&s.rep, NULL, 0);
        out_close(&s.out, 0);
        ks_engine_destroy(engine);
        goto done_state;
    }
    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN; /* a closed pipe shows up as EPIPE from write() */
    sigaction(SIGPIPE, &sa, &old_pipe);

    running = s.pipeline;
    static char *dot[] = {"."};
    s.roots = optind < argc ? argv + optind : dot;
    s.n_roots = optind < argc ? argc - optind : 1;
    walk_roots(&s, &o, (char **)s.roots, s.n_roots);
    if (got_signal)
        ks_pipeline_stop(s.pipeline);
    ks_pipeline_finish(s.pipeline);
    running = NULL;
    /* findings of repositories the pipeline did not finish (stopped): out now, with commits unless interrupted */
    if (git_findings_release(&s.gitf, NULL, !got_signal, emit_finding, &s) && !s.out.err)
        s.out.err = ENOMEM;
    diag_storm_end(&s.storm);
    if (s.progress)
        draw_progress(&s, 1);
    int interrupted = got_signal != 0;
    int incomplete = s.errors || s.walk_errors || s.explicit_skipped || s.diff_malformed;
    /* json, sarif and gitleaks are closed even when interrupted: what reached stdout stays valid */
    report_end(&s.rep, &s.out.buf, !interrupted && !incomplete);
    if (s.out.buf.oom && !s.out.err)
        s.out.err = ENOMEM;
    int wrc = out_close(&s.out, !interrupted);
    double secs = now_s() - s.t0;
    if (s.out.err == EPIPE) {
        status = 141; /* the reader went away: stop quietly, as `yes | head` does */
    } else if (wrc || s.out.err) {
        say("write failed: %s", strerror(s.out.err ? s.out.err : -wrc));
        status = 2;
        if (!o.quiet)
            print_summary(&s, secs, "incomplete (report not written)");
    } else if (interrupted) {
        status = 128 + got_signal;
        if (!o.quiet)
            print_summary(&s, secs, "interrupted");
    } else {
        status = incomplete ? 2 : s.findings ? o.exit_code : 0;
        if (!o.quiet)
            print_summary(&s, secs, incomplete ? "incomplete" : "");
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    ks_engine_destroy(engine);
done_state:
    baseline_free(&s.base);
    gitleaksignore_free(&s.gli);
    ks__sb_free(&s.peer_scratch);
    ks__sb_free(&s.where);
    git_findings_free(&s.gitf);
    free(s.git_done);
done:
    free(excludes);
    rule_opts_free(&o.ro);
    config_free(&cfg);
    return status;
}

int cmd_scan(int argc, char **argv)
{
    return scan_main(argc, argv, 0);
}

int cmd_git(int argc, char **argv)
{
    return scan_main(argc, argv, 1);
}
