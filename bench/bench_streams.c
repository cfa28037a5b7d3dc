/* bench_streams.c: what an appliance pays per object being written: N streams open at once over two scanners (the
 * built-in pack), their bytes while open, the process's peak memory, and the writes per second; public API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keysweep.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM or VmRSS of this process, KiB. */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':')
            v = atol(line + kl + 1);
    if (f)
        fclose(f);
    return v;
}

static int count(const ks_match *m, void *ctx)
{
    ++*(unsigned long *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n < 1 || n > 10000000) {
        fprintf(stderr, "usage: bench_streams [N_STREAMS]\n");
        return 2;
    }
    char cache[4096];
    ks_engine_options eo = {.size = sizeof eo};
    if (ks_default_cache_dir(cache, sizeof cache) == 0)
        eo.cache_dir = cache;
    ks_rules *r = NULL;
    ks_engine *e = NULL;
    ks_scanner *sc[2] = {NULL, NULL};
    if (ks_rules_create(&r) || ks_rules_load_builtin(r, NULL, NULL) || ks_engine_create(r, &eo, &e, NULL, NULL) ||
        ks_scanner_create(e, &sc[0]) || ks_scanner_create(e, &sc[1])) {
        fprintf(stderr, "bench_streams: cannot build the engine\n");
        return 2;
    }
    ks_rules_destroy(r);
    ks_engine_stats es = {.size = sizeof es};
    ks_engine_stats_get(e, &es);
    long rss0 = status_kib("VmRSS");

    /* n small objects written in three pieces each, round-robin, every stream open all along */
    ks_stream **st = calloc((size_t)n, sizeof *st);
    unsigned long found = 0;
    if (!st)
        return 2;
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (ks_stream_open(e, NULL, count, &found, &st[i]))
            return 2;
    static const char obj[] = "config:\n  aws_access_key_id = AKIAQYLPMN5HHHFPZAM2\n  region = eu-west-1\n";
    size_t len = sizeof obj - 1, cut[4] = {0, len / 3, 2 * len / 3, len}, peak = 0;
    for (int piece = 0; piece < 3; piece++) {
        size_t total = 0;
        for (long i = 0; i < n; i++) {
            if (ks_stream_write(st[i], sc[(i + piece) & 1], obj + cut[piece], cut[piece + 1] - cut[piece]))
                return 2;
            total += ks_stream_bytes(st[i]);
        }
        if (total > peak)
            peak = total;
    }
    long rss_open = status_kib("VmRSS");
    for (long i = 0; i < n; i++)
        if (ks_stream_close(st[i], sc[i & 1]))
            return 2;
    double secs = now() - t0;

    /* 1000 streams that have each seen 256 KiB keep only their overlap */
    enum { BIG = 1000, PIECE = 64 * 1024 };
    unsigned char *text = malloc(PIECE);
    for (size_t k = 0; k < PIECE; k++)
        text[k] = (unsigned char)(k % 61 == 60 ? '\n' : 'a' + (k * 7) % 26);
    size_t big_total = 0;
    for (long i = 0; i < BIG; i++) {
        if (ks_stream_open(e, NULL, count, &found, &st[i]))
            return 2;
        for (int k = 0; k < 4; k++)
            if (ks_stream_write(st[i], sc[k & 1], text, PIECE))
                return 2;
        big_total += ks_stream_bytes(st[i]);
    }
    for (long i = 0; i < BIG; i++)
        ks_stream_close(st[i], sc[0]);
    printf("{\"streams\": %ld, \"scanners\": 2, \"findings\": %lu, \"bytes_per_open_stream\": %.1f, "
           "\"rss_kib_per_open_stream\": %.3f, \"writes_per_s\": %.0f, \"bytes_per_stream_after_256k\": %.1f, "
           "\"max_width\": %zu, \"peak_rss_kib\": %ld}\n",
           n, found, (double)peak / (double)n, rss_open > rss0 ? (double)(rss_open - rss0) / (double)n : 0.0,
           secs > 0 ? 3.0 * (double)n / secs : 0.0, (double)big_total / BIG, es.max_width, status_kib("VmHWM"));
    free(text);
    free(st);
    ks_scanner_destroy(sc[0]);
    ks_scanner_destroy(sc[1]);
    ks_engine_destroy(e);
    return found == (unsigned long)n ? 0 : 3;
}
