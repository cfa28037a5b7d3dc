/* stream_scan.c: feeds a file (or stdin) to libkeysweep in small random-size pieces, as an appliance sees writes, and prints each finding,
 * inside archives and compressed files too. */
#define _POSIX_C_SOURCE 200809L /* getopt, read: builds with -std=c11 as well as gnu11 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keysweep.h>

static void usage(FILE *f)
{
    fputs("usage: stream_scan [-r RULES]... [-n] [-b] [-m MAX_PIECE] [-s SEED] [FILE|-]\n"
          "Scans FILE (default: standard input) through the streaming API, in pieces of 1 to\n"
          "MAX_PIECE bytes (default 4096) of pseudo-random size, and prints one line per finding:\n"
          "  RULE_ID [object=MEMBER] offset=START line=LINE column=COLUMN secret=SECRET\n"
          "An archive or a compressed file is scanned as its members (MEMBER: their chain).\n"
          "  -r RULES  also load rules from a YAML file, a directory of them or a Gitleaks .toml\n"
          "  -n        do not load the built-in rules\n"
          "  -b        scan archives and compressed files as the bytes they are\n"
          "  -s SEED   seed for the piece sizes (default: from the clock); findings never depend on it\n"
          "Exit status: 0 no findings, 1 findings, 2 error.\n",
          f);
}

static void print_diag(const ks_diag *d, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "stream_scan: %s\n", d->text);
}

/* Bytes as text, with anything unprintable escaped: a secret may hold any byte. */
static void print_bytes(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
}

/* Called by the library once per finding, in increasing offset order, during write or close. */
static int on_match(const ks_match *m, void *ctx)
{
    unsigned long *count = ctx;
    ++*count;
    printf("%s ", m->rule_id);
    if (m->object) /* a member of an archive: offsets, line and column are the member's */
        printf("object=%s ", m->object);
    printf("offset=%llu line=%llu column=%llu secret=", (unsigned long long)m->start,
           (unsigned long long)m->line, (unsigned long long)m->column);
    print_bytes(m->secret, m->secret_len);
    putchar('\n');
    return 0; /* non-zero would stop the stream: only close may follow */
}

/* A member skipped (an encrypted one), or the archive cut short: a budget, or corrupt data. */
static void on_problem(void *ctx, const char *object, int fatal, const char *what)
{
    (void)ctx;
    fprintf(stderr, "stream_scan: %s%s%s%s\n", object, *object ? ": " : "", what, fatal ? "" : " (skipped)");
}

/* xorshift64*: a small deterministic generator for the piece sizes. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

int main(int argc, char **argv)
{
    const char *rule_paths[16];
    int n_rule_paths = 0, builtin = 1, opt;
    ks_container_opts co = {.size = sizeof co, .on_problem = on_problem}; /* default budgets */
    size_t max_piece = 4096;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    while ((opt = getopt(argc, argv, "r:nbm:s:h")) != -1) {
        switch (opt) {
        case 'r':
            if (n_rule_paths == 16) {
                fputs("stream_scan: at most 16 -r options\n", stderr);
                return 2;
            }
            rule_paths[n_rule_paths++] = optarg;
            break;
        case 'n': builtin = 0; break;
        case 'b': co.flags |= KS_CONTAINER_OFF; break;
        case 'm': max_piece = strtoul(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (max_piece == 0 || optind + 1 < argc) {
        usage(stderr);
        return 2;
    }
    if (seed == 0)
        seed = 1; /* xorshift never leaves 0 */
    int fd = STDIN_FILENO;
    const char *name = optind < argc ? argv[optind] : "-";
    if (strcmp(name, "-") != 0 && (fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "stream_scan: %s: %s\n", name, strerror(errno));
        return 2;
    }

    /* Rules and engine: built once, shared by every scanner (one scanner per thread). */
    ks_rules *rules = NULL;
    ks_engine *engine = NULL;
    ks_scanner *scanner = NULL;
    ks_container_stream *stream = NULL;
    unsigned char *buf = malloc(max_piece);
    unsigned long findings = 0;
    int rc = buf ? ks_rules_create(&rules) : KS_ENOMEM;
    if (!rc && builtin)
        rc = ks_rules_load_builtin(rules, print_diag, NULL);
    for (int i = 0; !rc && i < n_rule_paths; i++)
        rc = ks_rules_load_path(rules, rule_paths[i], print_diag, NULL);
    {
        /* the library caches only where it is told to: here, the usual place */
        char cache[1024];
        ks_engine_options eo = {.size = sizeof eo};
        if (ks_default_cache_dir(cache, sizeof cache) == 0)
            eo.cache_dir = cache;
        if (!rc)
            rc = ks_engine_create(rules, &eo, &engine, print_diag, NULL); /* cached after the first run */
    }
    ks_rules_destroy(rules); /* the engine keeps what it needs */
    if (!rc)
        rc = ks_scanner_create(engine, &scanner);
    /* A stream holds no scanner: each write brings one (any free scanner of the engine), so an
     * appliance with thousands of objects in flight needs only a scanner per thread. A container
     * stream is a ks_stream that also opens the archives and compressed files written into it. */
    ks_scan_opts so = {.size = sizeof so, .path = name}; /* path conditions of imported rules apply */
    if (!rc)
        rc = ks_container_stream_open(engine, &so, &co, on_match, &findings, &stream);

    /* The object arrives in pieces of any size; findings are those of one scan of the whole. */
    while (!rc) {
        size_t want = 1 + (size_t)(next_rand(&seed) % max_piece);
        ssize_t got = read(fd, buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "stream_scan: %s: %s\n", name, strerror(errno));
            rc = KS_EIO;
            break;
        }
        if (got == 0)
            break;
        rc = ks_container_stream_write(stream, scanner, buf, (size_t)got);
    }
    if (stream) {
        if (rc)
            ks_container_stream_abort(stream);
        else /* reports what was waiting for more data; KS_ELIMIT or KS_ECORRUPT: an archive cut short */
            rc = ks_container_stream_close(stream, scanner);
    }
    if (rc)
        fprintf(stderr, "stream_scan: %s (%s)\n", ks_strerror(rc), ks_errname(rc));
    ks_scanner_destroy(scanner);
    ks_engine_destroy(engine);
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc ? 2 : findings ? 1 : 0;
}
