/* scan_cmd.c: `keysweep scan`: walks the paths, streams each regular file through the engine, reports, sums up. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "output.h"
#include "walk.h"

#define READ_PIECE (1u << 20)

static volatile sig_atomic_t got_signal = 0;

static void on_signal(int sig) { got_signal = sig; }

typedef struct scan_state {
    ks_scanner *scanner;
    out_writer out;
    out_format fmt;
    int color;
    unsigned char *piece;
    const char *path;  /* file being scanned */
    int quiet;
    /* counters */
    unsigned long long files, bytes, findings, errors;
    unsigned long long skipped[KS_SKIP_N];
    int explicit_skipped; /* a path named on the command line was not scanned */
    int stop;             /* output failed or a signal arrived */
} scan_state;

static void diag_path(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void diag_path(const char *path, const char *fmt, ...)
{
    strbuf b = {0};
    sb_puts(&b, "keysweep: ");
    term_string(&b, (const unsigned char *)path, strlen(path));
    sb_puts(&b, ": ");
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_puts(&b, msg);
    sb_putn(&b, "\n", 1);
    if (!b.oom)
        fputs(b.s, stderr);
    sb_free(&b);
}

static int on_match(const ks_match *m, void *ctx)
{
    scan_state *s = ctx;
    s->findings++;
    format_finding(&s->out.buf, s->fmt, s->path, m, s->color);
    if (s->out.buf.oom) {
        s->out.err = ENOMEM;
        s->stop = 1;
        return 1;
    }
    if (s->out.buf.len >= 256 * 1024 && out_flush(&s->out)) {
        s->stop = 1;
        return 1;
    }
    return 0;
}

/* Streams one open file through the engine; pseudo-files that claim size 0 are read to EOF too. */
static int scan_fd(scan_state *s, int fd, const char *path)
{
    ks_stream *st = NULL;
    s->path = path;
    int rc = ks_stream_open(s->scanner, on_match, s, &st);
    if (rc) {
        diag_path(path, "cannot scan: %s", ks_strerror(rc));
        s->errors++;
        return 0;
    }
    unsigned long long got = 0;
    int read_err = 0;
    for (;;) {
        if (got_signal) {
            s->stop = 1;
            break;
        }
        ssize_t r = read(fd, s->piece, READ_PIECE);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0) {
            read_err = errno;
            break;
        }
        if (r == 0)
            break;
        got += (unsigned long long)r;
        rc = ks_stream_write(st, s->piece, (size_t)r);
        if (rc)
            break;
    }
    if (rc || s->stop)
        ks_stream_abort(st);
    else
        rc = ks_stream_close(st);
    s->bytes += got;
    if (read_err) {
        diag_path(path, "read failed: %s", strerror(read_err));
        s->errors++;
    } else if (rc && rc != KS_ETERMINATED) {
        diag_path(path, "scan failed: %s", ks_strerror(rc));
        s->errors++;
    } else if (!s->stop) {
        s->files++;
    }
    return s->stop;
}

static int walk_on_file(void *ctx, int fd, const char *path, const struct stat *st)
{
    (void)st;
    return scan_fd(ctx, fd, path);
}

static void walk_on_skip(void *ctx, const char *path, ks_skip_reason why, int explicit_root)
{
    scan_state *s = ctx;
    s->skipped[why]++;
    if (explicit_root) {
        s->explicit_skipped = 1;
        diag_path(path, "not scanned: not a regular file or directory");
    }
}

static void walk_on_error(void *ctx, const char *path, int err, const char *what)
{
    scan_state *s = ctx;
    s->errors++;
    diag_path(path, "%s failed: %s", what, strerror(err));
}

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

static void print_summary(const scan_state *s, double secs, const char *status)
{
    char bytes[32], rate[32];
    human_bytes(bytes, sizeof bytes, (double)s->bytes);
    human_bytes(rate, sizeof rate, secs > 0 ? (double)s->bytes / secs : 0);
    fprintf(stderr, "keysweep: %s%s%llu files scanned, %s in %.2f s (%s/s); %llu finding%s; skipped:",
            status, *status ? ": " : "", s->files, bytes, secs, rate, s->findings, s->findings == 1 ? "" : "s");
    int any = 0;
    for (int r = 0; r < KS_SKIP_N; r++) {
        if (s->skipped[r]) {
            fprintf(stderr, "%s %llu %s", any ? "," : "", s->skipped[r], ks_skip_name((ks_skip_reason)r));
            any = 1;
        }
    }
    fprintf(stderr, "%s; %llu error%s\n", any ? "" : " none", s->errors, s->errors == 1 ? "" : "s");
}

static void scan_usage(FILE *f)
{
    fputs("usage: keysweep scan [OPTIONS] [PATH...]\n"
          "Scans files and directories (default: .) for secrets; PATH '-' reads standard input.\n\n"
          "  --format FMT          text (default on a terminal) or jsonl (default otherwise)\n"
          "  -o, --output FILE     write the report to FILE (mode 0600, replaced only when complete)\n"
          "  --rules PATH          add rules from a YAML file or a directory of them (repeatable)\n"
          "  --no-builtin-rules    do not load the built-in rules\n"
          "  --show-near-misses    also report matches that fail their validator, marked as such\n"
          "  --exclude GLOB        skip files and directories whose name or path matches (repeatable)\n"
          "  --max-file-size SIZE  skip files larger than SIZE (e.g. 100M)\n"
          "  --follow              follow symbolic links (each directory visited once)\n"
          "  --cache-dir DIR       where compiled rule databases are cached (default $XDG_CACHE_HOME/keysweep)\n"
          "  --no-cache            neither read nor write the database cache\n"
          "  --color WHEN          auto (default), always or never; NO_COLOR disables auto\n"
          "  --no-progress         no progress line on stderr\n"
          "  -q, --quiet           no summary on stderr\n"
          "  -h, --help            this help\n\n"
          "Exit status: 0 no findings, 1 findings, 2 error or incomplete scan, 130/143 interrupted,\n"
          "141 output pipe closed.\n",
          f);
}

enum { OPT_FORMAT = 1000, OPT_RULES, OPT_NO_BUILTIN, OPT_NEAR, OPT_EXCLUDE, OPT_MAXSIZE, OPT_FOLLOW,
       OPT_CACHE_DIR, OPT_NO_CACHE, OPT_COLOR, OPT_NO_PROGRESS };

int cmd_scan(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, OPT_FORMAT},     {"output", required_argument, 0, 'o'},
        {"rules", required_argument, 0, OPT_RULES},       {"no-builtin-rules", no_argument, 0, OPT_NO_BUILTIN},
        {"show-near-misses", no_argument, 0, OPT_NEAR},   {"exclude", required_argument, 0, OPT_EXCLUDE},
        {"max-file-size", required_argument, 0, OPT_MAXSIZE}, {"follow", no_argument, 0, OPT_FOLLOW},
        {"cache-dir", required_argument, 0, OPT_CACHE_DIR}, {"no-cache", no_argument, 0, OPT_NO_CACHE},
        {"color", required_argument, 0, OPT_COLOR},       {"no-progress", no_argument, 0, OPT_NO_PROGRESS},
        {"quiet", no_argument, 0, 'q'},                   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    rule_opts ro = {0};
    ks_walk_opts wo = {0};
    const char **excludes = calloc((size_t)argc + 1, sizeof *excludes);
    size_t n_excludes = 0;
    const char *format = NULL, *output = NULL, *color = "auto";
    int quiet = 0, c, status = 2;
    if (!excludes)
        return 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT: format = optarg; break;
        case 'o': output = optarg; break;
        case OPT_RULES:
            if (rule_opts_add_path(&ro, optarg))
                goto done;
            break;
        case OPT_NO_BUILTIN: ro.no_builtin = 1; break;
        case OPT_NEAR: ro.near_misses = 1; break;
        case OPT_EXCLUDE: excludes[n_excludes++] = optarg; break;
        case OPT_MAXSIZE:
            if (parse_size(optarg, &wo.max_file_size)) {
                say("--max-file-size: '%s' is not a size (e.g. 100M)", optarg);
                goto done;
            }
            break;
        case OPT_FOLLOW: wo.follow_symlinks = 1; break;
        case OPT_CACHE_DIR: ro.cache_dir = optarg; break;
        case OPT_NO_CACHE: ro.no_cache = 1; break;
        case OPT_COLOR: color = optarg; break;
        case OPT_NO_PROGRESS: break; /* the simple scanner prints no progress line */
        case 'q': quiet = 1; break;
        case 'h': scan_usage(stdout); status = 0; goto done;
        default: scan_usage(stderr); goto done;
        }
    }
    wo.excludes = n_excludes ? excludes : NULL;
    out_format fmt = isatty(STDOUT_FILENO) && !output ? FMT_TEXT : FMT_JSONL;
    if (format && strcmp(format, "jsonl") == 0)
        fmt = FMT_JSONL;
    else if (format && strcmp(format, "text") == 0)
        fmt = FMT_TEXT;
    else if (format) {
        say("--format: unknown format '%s' (text, jsonl)", format);
        goto done;
    }
    int use_color;
    if (strcmp(color, "always") == 0)
        use_color = 1;
    else if (strcmp(color, "never") == 0)
        use_color = 0;
    else if (strcmp(color, "auto") == 0)
        use_color = !output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    else {
        say("--color: expected auto, always or never, not '%s'", color);
        goto done;
    }

    double t0 = now_s();
    ks_engine *engine = NULL;
    if (build_engine(&ro, &engine))
        goto done;
    scan_state s;
    memset(&s, 0, sizeof s);
    s.fmt = fmt;
    s.color = fmt == FMT_TEXT && use_color;
    s.quiet = quiet;
    s.piece = malloc(READ_PIECE);
    int orc = out_open(&s.out, output);
    if (orc) {
        say("cannot write report %s: %s", output ? output : "(stdout)", strerror(-orc));
        free(s.piece);
        out_close(&s.out, 0);
        ks_engine_destroy(engine);
        goto done;
    }
    if (!s.piece || ks_scanner_create(engine, &s.scanner)) {
        say("out of memory");
        free(s.piece);
        out_close(&s.out, 0);
        ks_engine_destroy(engine);
        goto done;
    }
    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN; /* a closed pipe shows up as EPIPE from write() */
    sigaction(SIGPIPE, &sa, &old_pipe);

    ks_walk_ops ops = {walk_on_file, walk_on_skip, walk_on_error};
    const char *dot = ".";
    char **paths = optind < argc ? argv + optind : (char **)&dot;
    int n_paths = optind < argc ? argc - optind : 1;
    for (int i = 0; i < n_paths && !s.stop && !got_signal; i++) {
        if (strcmp(paths[i], "-") == 0)
            scan_fd(&s, STDIN_FILENO, "-");
        else
            ks_walk(paths[i], &wo, &ops, &s);
    }
    int interrupted = got_signal != 0;
    int wrc = out_close(&s.out, !interrupted);
    double secs = now_s() - t0;
    if (s.out.err == EPIPE) {
        status = 141; /* the reader went away: stop quietly, as `yes | head` does */
    } else if (wrc || s.out.err) {
        say("write failed: %s", strerror(s.out.err ? s.out.err : -wrc));
        status = 2;
        if (!quiet)
            print_summary(&s, secs, "incomplete (report not written)");
    } else if (interrupted) {
        status = 128 + got_signal;
        if (!quiet)
            print_summary(&s, secs, "interrupted");
    } else {
        status = (s.errors || s.explicit_skipped) ? 2 : s.findings ? 1 : 0;
        if (!quiet)
            print_summary(&s, secs, status == 2 ? "incomplete" : "");
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    ks_scanner_destroy(s.scanner);
    ks_engine_destroy(engine);
    free(s.piece);
done:
    free(excludes);
    rule_opts_free(&ro);
    return status;
}
