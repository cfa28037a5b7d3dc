/* ks_libscan.c: scans files through the public library API alone (streams in random pieces, the path in ks_scan_opts),
 * printing one JSON line per finding, so tests can hold the library's findings to the CLI's. */
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
    printf("}\n");
    return 0;
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
    int rc = ks_rules_create(&rules), i = 1, builtin = 1;
    for (; !rc && i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--no-builtin-rules") == 0)
            builtin = 0;
        else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
            rc = ks_rules_load_path(rules, argv[++i], diag, NULL);
        else
            return fprintf(stderr, "usage: ks_libscan [--no-builtin-rules] [--rules PATH]... FILE...\n"), 2;
    }
    if (!rc && builtin)
        rc = ks_rules_load_builtin(rules, diag, NULL);
    if (!rc)
        rc = ks_engine_create(rules, NULL, &engine, diag, NULL);
    ks_rules_destroy(rules);
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
        ks_stream *st = NULL;
        rc = ks_stream_open(engine, &so, on_match, &o, &st);
        for (int piece = 0; !rc;) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t want = 1 + (size_t)((seed >> 33) % sizeof buf);
            ssize_t n = read(fd, buf, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                rc = n < 0 ? KS_EIO : 0;
                break;
            }
            rc = ks_stream_write(st, sc[piece++ & 1], buf, (size_t)n); /* any free scanner will do */
        }
        if (rc)
            ks_stream_abort(st);
        else
            rc = ks_stream_close(st, sc[0]);
        close(fd);
    }
    if (rc)
        fprintf(stderr, "ks_libscan: %s\n", ks_strerror(rc));
    ks_scanner_destroy(sc[0]);
    ks_scanner_destroy(sc[1]);
    ks_engine_destroy(engine);
    return rc ? 2 : 0;
}
