/* test_cache.c: the compiled-database cache: used when valid, silently rebuilt when corrupt, never fatal. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "helpers.h"

static char dir[64];

static void mk(void)
{
    strcpy(dir, "/tmp/ks-cache-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static ks_engine *build(const char *yaml, const char *cache_dir)
{
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_yaml(r, yaml, strlen(yaml), "c.yml", NULL, NULL), 0);
    ks_engine_options o = {.cache_dir = cache_dir};
    ks_engine *e = NULL;
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    return e;
}

static int from_cache(ks_engine *e)
{
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(e, &st);
    return st.from_cache;
}

static int cache_file(char *out, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n_found = 0;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".hsdb") && !strstr(de->d_name, ".tmp")) {
            snprintf(out, n, "%.63s/%.180s", dir, de->d_name);
            n_found++;
        }
    if (d)
        closedir(d);
    return n_found;
}

static size_t count(ks_engine *e, const char *text)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, collect, &f), 0);
    size_t n = f.n;
    found_list_free(&f);
    ks_scanner_destroy(s);
    return n;
}

TestSuite(cache, .init = mk, .fini = rm);

Test(cache, second_start_uses_the_cache)
{
    ks_engine *a = build(TEST_RULES_YAML, dir);
    cr_assert_eq(from_cache(a), 0);
    char path[256];
    cr_assert_eq(cache_file(path, sizeof path), 1);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    ks_engine *b = build(TEST_RULES_YAML, dir);
    cr_assert_eq(from_cache(b), 1);
    const char *text = "AKIAABCDEFGHIJKLMNOP tok_abcdefgh12 apikey=\"AbCdEf0123456789\"";
    cr_assert_eq(count(a, text), 3);
    cr_assert_eq(count(b, text), 3);
    ks_engine_stats sa = {.size = sizeof sa}, sb = {.size = sizeof sb};
    ks_engine_stats_get(a, &sa);
    ks_engine_stats_get(b, &sb);
    cr_assert_eq(sa.max_width, sb.max_width, "widths travel with the cached database");
    ks_engine_destroy(a);
    ks_engine_destroy(b);
}

Test(cache, different_rules_different_entry)
{
    ks_engine_destroy(build(TEST_RULES_YAML, dir));
    ks_engine *b = build("rules:\n  - {id: x, name: X, pattern: 'xyz[0-9]{3}'}\n", dir);
    cr_assert_eq(from_cache(b), 0);
    ks_engine_destroy(b);
}

static void corrupt(const char *path, int mode)
{
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    struct stat st;
    fstat(fd, &st);
    if (mode == 0) { /* flip bytes in the middle of the payload */
        char junk[64];
        memset(junk, 0x5a, sizeof junk);
        cr_assert_eq(pwrite(fd, junk, sizeof junk, st.st_size / 2), (ssize_t)sizeof junk);
    } else if (mode == 1) {
        cr_assert_eq(ftruncate(fd, st.st_size / 3), 0);
    } else {
        cr_assert_eq(ftruncate(fd, 0), 0);
    }
    close(fd);
}

Test(cache, corrupt_cache_is_recompiled_without_error)
{
    for (int mode = 0; mode < 3; mode++) {
        ks_engine_destroy(build(TEST_RULES_YAML, dir));
        char path[256];
        cr_assert_eq(cache_file(path, sizeof path), 1);
        corrupt(path, mode);
        ks_engine *e = build(TEST_RULES_YAML, dir);
        cr_assert_eq(from_cache(e), 0, "corruption mode %d went unnoticed", mode);
        cr_assert_eq(count(e, "AKIAABCDEFGHIJKLMNOP"), 1);
        ks_engine_destroy(e);
        e = build(TEST_RULES_YAML, dir);
        cr_assert_eq(from_cache(e), 1, "the cache was rewritten");
        ks_engine_destroy(e);
    }
}

Test(cache, unwritable_cache_never_fails_a_scan)
{
    ks_engine *e = build(TEST_RULES_YAML, "/proc/ks-no-such-dir");
    cr_assert_eq(count(e, "AKIAABCDEFGHIJKLMNOP"), 1);
    ks_engine_destroy(e);
    char file[128];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    e = build(TEST_RULES_YAML, file); /* cache "directory" is a file */
    cr_assert_eq(from_cache(e), 0);
    ks_engine_destroy(e);
}

/* The cache is opt-in: an engine that is given no directory writes nothing anywhere; the usual
 * directory (what the CLI passes) follows XDG_CACHE_HOME. */
Test(cache, nothing_is_written_unless_asked_and_the_usual_place_follows_xdg)
{
    setenv("XDG_CACHE_HOME", dir, 1);
    ks_engine_destroy(build(TEST_RULES_YAML, NULL));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/keysweep", dir);
    struct stat st;
    cr_assert_neq(stat(sub, &st), 0, "an engine without a cache directory wrote %s", sub);
    char usual[256];
    cr_assert_eq(ks_default_cache_dir(usual, sizeof usual), 0);
    cr_assert_str_eq(usual, sub);
    ks_engine_destroy(build(TEST_RULES_YAML, usual));
    cr_assert_eq(stat(sub, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    ks_engine *e = build(TEST_RULES_YAML, usual);
    cr_assert_eq(from_cache(e), 1);
    ks_engine_destroy(e);
    setenv("XDG_CACHE_HOME", "relative/dir", 1); /* not absolute: ignored, as the XDG spec says */
    setenv("HOME", "/home/someone", 1);
    cr_assert_eq(ks_default_cache_dir(usual, sizeof usual), 0);
    cr_assert_str_eq(usual, "/home/someone/.cache/keysweep");
}

/* The path rules' database is cached beside the main one: a cached start-up compiles nothing, and a damaged or
 * missing path entry is rebuilt while the main one is used. */
Test(cache, path_rules_database_is_cached_and_rebuilt)
{
    const char *yaml = "rules:\n"
                       "  - {id: tok, name: T, pattern: 'tok_[a-z0-9]{10}'}\n"
                       "  - {id: pg, name: P, pattern: '(?m)^[a-z.]{1,40}:[0-9]{1,5}:[a-z]{1,20}:[a-z]{1,20}:"
                       "(?P<secret>[A-Za-z0-9]{8,40})$', path: '(?:^|/)\\.pgpass$'}\n";
    const char *text = "tok_abcdefgh12\ndb.example:5432:orders:app:Q7vpL2xRk9w\n";
    ks_engine_destroy(build(yaml, dir));
    char path[256];
    cr_assert_eq(cache_file(path, sizeof path), 2, "the main and the path rules' databases");
    ks_engine *e = build(yaml, dir);
    cr_assert_eq(from_cache(e), 1);
    cr_assert_eq(count(e, text), 2, "unknown path: the path rule reports as any rule does");
    ks_engine_destroy(e);
    /* damage every entry but keep the main one usable: corrupting the smaller (path) file only */
    DIR *d = opendir(dir);
    struct dirent *de;
    char smallest[256] = "";
    off_t small_size = -1;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".hsdb")) {
            char p[256];
            struct stat st;
            snprintf(p, sizeof p, "%.63s/%.180s", dir, de->d_name);
            if (stat(p, &st) == 0 && (small_size < 0 || st.st_size < small_size)) {
                small_size = st.st_size;
                snprintf(smallest, sizeof smallest, "%s", p);
            }
        }
    closedir(d);
    corrupt(smallest, 0);
    e = build(yaml, dir);
    cr_assert_eq(from_cache(e), 1, "the main database still comes from the cache");
    cr_assert_eq(count(e, text), 2, "the path rules' database was rebuilt");
    ks_engine_destroy(e);
}

/* The payload's checksum (ks__hash64, 32 bytes at a time in four lanes, then the last bytes): any one bit flipped,
 * in a lane or in the tail, and any length changes it. */
Test(cache, the_payload_checksum_sees_every_bit_and_the_length)
{
    unsigned char b[130];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (unsigned char)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof b; n++) {
        uint64_t h = ks__hash64(b, n);
        cr_assert_eq(h, ks__hash64(b, n), "the same bytes, the same checksum");
        if (n < sizeof b)
            cr_assert_neq(h, ks__hash64(b, n + 1), "length %zu and one more", n);
        for (size_t i = 0; i < n; i++)
            for (int bit = 0; bit < 8; bit++) {
                b[i] ^= (unsigned char)(1u << bit);
                cr_assert_neq(ks__hash64(b, n), h, "length %zu, byte %zu, bit %d", n, i, bit);
                b[i] ^= (unsigned char)(1u << bit);
            }
    }
    static const unsigned char zeros[64];
    cr_assert_neq(ks__hash64(zeros, 32), ks__hash64(zeros, 64), "zeros of two lengths");
}
