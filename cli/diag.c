/* diag.c: per-path diagnostics on stderr, and the summary of error storms under one directory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "escape.h"

static void vdiag_path(const char *path, const char *fmt, va_list ap)
{
    ks_strbuf b = {0};
    ks__sb_puts(&b, "keysweep: ");
    term_string(&b, (const unsigned char *)path, strlen(path));
    ks__sb_puts(&b, ": ");
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ks__sb_puts(&b, msg);
    ks__sb_putn(&b, "\n", 1);
    if (!b.oom)
        fputs(b.s, stderr);
    ks__sb_free(&b);
}

void diag_path(const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag_path(path, fmt, ap);
    va_end(ap);
}

void diag_storm_init(diag_storm *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

/* Length of the directory part of path ("a/b/c" -> "a/b"; "/c" -> "/"; "c" -> ""). */
static size_t parent_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    return slash == path ? 1 : (size_t)(slash - path);
}

/* Whether the directory dir[0..n) holds path (at any depth). */
static int in_subtree(const char *dir, size_t n, const char *path)
{
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Length of the longest directory that holds both the directory dir and path (0: none). */
static size_t common_dir_len(const char *dir, const char *path)
{
    size_t i = 0, last = 0;
    while (dir[i] && dir[i] == path[i]) {
        i++;
        if (dir[i] == '/' || (!dir[i] && path[i] == '/'))
            last = i;
    }
    if (dir[0] == '/' && last == 0)
        return 1; /* only "/" in common */
    return last;
}

static void with_thousands(char *buf, size_t size, unsigned long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void flush_locked(diag_storm *s)
{
    if (s->dir && s->hidden) {
        char n[40];
        with_thousands(n, sizeof n, s->hidden);
        ks_strbuf b = {0};
        ks__sb_puts(&b, "keysweep: ... and ");
        ks__sb_puts(&b, n);
        ks__sb_puts(&b, s->hidden == 1 ? " more error under " : " more errors under ");
        term_string(&b, (const unsigned char *)s->dir, strlen(s->dir));
        ks__sb_putn(&b, "\n", 1);
        if (!b.oom)
            fputs(b.s, stderr);
        ks__sb_free(&b);
    }
    free(s->dir);
    s->dir = NULL;
    s->shown = 0;
    s->hidden = 0;
}

void diag_storm_error(diag_storm *s, const char *path, const char *fmt, ...)
{
    pthread_mutex_lock(&s->mu);
    if (!s->dir || !in_subtree(s->dir, strlen(s->dir), path)) {
        /* A storm that moves on to a sibling directory (/proc/1/..., then /proc/2/...) is the same
         * storm: it widens to their common ancestor, unless that is "/" or nothing. */
        size_t common = s->dir && s->shown >= DIAG_STORM_SHOWN ? common_dir_len(s->dir, path) : 0;
        if (common > 1) {
            s->dir[common] = '\0';
        } else {
            flush_locked(s);
            size_t n = parent_len(path);
            s->dir = n ? strndup(path, n) : NULL; /* a bare name (a root) is in no subtree */
        }
    }
    if (s->dir && s->shown >= DIAG_STORM_SHOWN) {
        s->hidden++;
    } else {
        s->shown++;
        va_list ap;
        va_start(ap, fmt);
        vdiag_path(path, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&s->mu);
}

void diag_storm_end(diag_storm *s)
{
    pthread_mutex_lock(&s->mu);
    flush_locked(s);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
}
