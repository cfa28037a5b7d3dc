/* db_cache.c: the compiled-database cache: serialized Vectorscan databases keyed by rules, Vectorscan version and CPU. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_read.h"
#include "alloc.h"
#include "db_cache.h"
#include "engine_int.h"
#include "hash.h"
#include "rules_int.h"

/* File layout (host byte order: the key covers the CPU, so files never travel between hosts):
 * magic[8] key[16] n_rules:u64 widths:u32[n] payload_len:u64 payload_hash:u64 payload */
/* 0002: rules with a path condition left the main database for a database of their own; 0003: the payload's hash is
 * ks__hash64 (FNV-1a's byte-at-a-time chain took milliseconds of every start) */
static const char MAGIC[8] = {'K', 'S', 'D', 'B', '0', '0', '0', '3'};

void ks__cache_key(const ks_erule *rules, size_t n, ks_cache_key *key)
{
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    hs_populate_platform(&plat);
    const char *ver = hs_version();
    uint64_t h[2] = {KS_FNV_OFFSET, KS_FNV_OFFSET ^ 0x9e3779b97f4a7c15ULL};
    for (int k = 0; k < 2; k++) {
        h[k] = ks__fnv1a(h[k], MAGIC, sizeof MAGIC);
        h[k] = ks__fnv1a(h[k], ver, strlen(ver) + 1);
        h[k] = ks__fnv1a(h[k], &plat.tune, sizeof plat.tune);
        h[k] = ks__fnv1a(h[k], &plat.cpu_features, sizeof plat.cpu_features);
        uint64_t n64 = n;
        h[k] = ks__fnv1a(h[k], &n64, sizeof n64);
        for (size_t i = 0; i < n; i++) {
            const char *p = rules[i].rule.prefilter ? rules[i].rule.prefilter : rules[i].rule.pattern;
            h[k] = ks__fnv1a(h[k], p, strlen(p) + 1); /* what the database holds */
            h[k] = ks__fnv1a(h[k], rules[i].rule.pattern, strlen(rules[i].rule.pattern) + 1); /* widths */
        }
    }
    key->h[0] = h[0];
    key->h[1] = h[1];
}

int ks_default_cache_dir(char *buf, size_t n)
{
    if (!buf || !n)
        return KS_EINVAL;
    const char *xdg = getenv("XDG_CACHE_HOME");
    int w;
    if (xdg && xdg[0] == '/') {
        w = snprintf(buf, n, "%s/keysweep", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return KS_EINVAL;
        w = snprintf(buf, n, "%s/.cache/keysweep", home);
    }
    return (w > 0 && (size_t)w < n) ? 0 : KS_EINVAL;
}

static int cache_path(char *buf, size_t n, const char *dir, const ks_cache_key *key)
{
    int w = snprintf(buf, n, "%s/db-%016llx%016llx.hsdb", dir, (unsigned long long)key->h[0],
                     (unsigned long long)key->h[1]);
    return (w > 0 && (size_t)w < n) ? 0 : KS_EINVAL;
}

int ks__cache_load(const char *dir, const ks_cache_key *key, size_t n_rules, unsigned *widths,
                   hs_database_t **db)
{
    char path[1200];
    if (cache_path(path, sizeof path, dir, key))
        return KS_EINVAL;
    char *buf = NULL;
    size_t size = 0;
    size_t head = sizeof MAGIC + 16 + 8 + 4 * n_rules + 16;
    int e = ks__file_read(path, 1, (size_t)1 << 31, &buf, &size);
    if (e)
        return e == -ENOMEM ? KS_ENOMEM : KS_EIO;
    int rc = KS_EIO;
    if (size < head)
        goto out;
    const char *p = buf;
    uint64_t n64, plen, phash;
    if (memcmp(p, MAGIC, sizeof MAGIC) || memcmp(p + 8, key->h, 16))
        goto out;
    p += 24;
    memcpy(&n64, p, 8);
    p += 8;
    if (n64 != n_rules)
        goto out;
    memcpy(widths, p, 4 * n_rules);
    p += 4 * n_rules;
    memcpy(&plen, p, 8);
    memcpy(&phash, p + 8, 8);
    p += 16;
    if (plen != (uint64_t)size - head || ks__hash64(p, (size_t)plen) != phash)
        goto out;
    for (size_t i = 0; i < n_rules; i++)
        if (!widths[i] || widths[i] > KS_MAX_RULE_WIDTH)
            goto out;
    /* A database from another Vectorscan version fails here (HS_DB_VERSION_ERROR): recompile. */
    if (hs_deserialize_database(p, (size_t)plen, db) != HS_SUCCESS) {
        *db = NULL;
        goto out;
    }
    rc = 0;
out:
    ks__free(buf);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void mkdir_parents(const char *dir)
{
    char tmp[1024];
    size_t n = strlen(dir);
    if (n >= sizeof tmp)
        return;
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (tmp[i] == '/') {
            tmp[i] = '\0';
            (void)mkdir(tmp, 0700);
            tmp[i] = '/';
        }
    }
    (void)mkdir(tmp, 0700);
}

int ks__cache_store(const char *dir, const ks_cache_key *key, size_t n_rules, const unsigned *widths,
                    const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return KS_ENOMEM;
    char path[1200], tmp[1300];
    int rc = KS_EIO;
    if (cache_path(path, sizeof path, dir, key))
        goto out;
    mkdir_parents(dir);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* A unique temporary name and rename(): concurrent processes never see a half-written file. */
    snprintf(tmp, sizeof tmp, "%s.%ld.%ld.tmp", path, (long)getpid(), (long)ts.tv_nsec);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto out;
    uint64_t n64 = n_rules, plen = len, phash = ks__hash64(bytes, len);
    int bad = write_all(fd, MAGIC, sizeof MAGIC) || write_all(fd, key->h, 16) ||
              write_all(fd, &n64, 8) || write_all(fd, widths, 4 * n_rules) ||
              write_all(fd, &plen, 8) || write_all(fd, &phash, 8) || write_all(fd, bytes, len);
    if (close(fd))
        bad = 1;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(bytes); /* allocated by Vectorscan's default allocator */
    return rc;
}
