/* ignore.c: gitignore patterns (comments, negation, directory-only, anchoring, **) and the per-directory .gitignore stack. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "file_read.h"
#include "ignore.h"

/* A bracket expression after '['; returns the pattern after ']' and sets *ok, or NULL when the
 * bracket is not closed (then '[' is an ordinary character, as in git). */
static const char *bracket(const char *p, unsigned char c, int *ok)
{
    int neg = 0, hit = 0;
    if (*p == '!' || *p == '^') {
        neg = 1;
        p++;
    }
    const char *first = p;
    while (*p && (*p != ']' || p == first)) {
        unsigned char lo = (unsigned char)*p++;
        if (lo == '\\' && *p)
            lo = (unsigned char)*p++;
        unsigned char hi = lo;
        if (p[0] == '-' && p[1] && p[1] != ']') {
            p++;
            hi = (unsigned char)*p++;
            if (hi == '\\' && *p)
                hi = (unsigned char)*p++;
        }
        if (c >= lo && c <= hi)
            hit = 1;
    }
    if (*p != ']')
        return NULL;
    *ok = hit != neg;
    return p + 1;
}

static int glob_at(const char *p, const char *s, int comp_start)
{
    for (;;) {
        char c = *p;
        if (c == '\0')
            return *s == '\0';
        if (c == '*' && p[1] == '*' && comp_start && (p[2] == '/' || p[2] == '\0')) {
            if (p[2] == '\0')
                return 1; /* trailing "**": everything inside */
            p += 3;       /* a leading or inner double star component: zero or more whole directories */
            for (;;) {
                if (glob_at(p, s, 1))
                    return 1;
                const char *slash = strchr(s, '/');
                if (!slash)
                    return 0;
                s = slash + 1;
            }
        }
        if (c == '*') {
            while (*p == '*') /* any other run of stars is one star */
                p++;
            for (;;) {
                if (glob_at(p, s, 0))
                    return 1;
                if (*s == '\0' || *s == '/')
                    return 0;
                s++;
            }
        }
        if (*s == '\0')
            return 0;
        if (c == '?') {
            if (*s == '/')
                return 0;
        } else if (c == '[') {
            int ok = 0;
            const char *q = bracket(p + 1, (unsigned char)*s, &ok);
            if (q) {
                if (!ok || *s == '/')
                    return 0;
                p = q - 1; /* at ']', consumed below */
            } else if (*s != '[') {
                return 0;
            }
        } else {
            if (c == '\\' && p[1])
                c = *++p;
            if (*s != c)
                return 0;
        }
        comp_start = *p == '/';
        p++;
        s++;
    }
}

int ig_glob(const char *pattern, const char *path) { return glob_at(pattern, path, 1); }

static int add_rule(ig_list *l, const char *line, size_t n)
{
    if (n && line[n - 1] == '\r') /* files written on Windows */
        n--;
    while (n && line[n - 1] == ' ' && !(n >= 2 && line[n - 2] == '\\'))
        n--;
    if (!n || line[0] == '#')
        return 0;
    ig_rule r = {0};
    size_t i = 0;
    if (line[0] == '!') {
        r.negate = 1;
        i = 1;
    }
    if (n > i && line[n - 1] == '/') {
        r.dir_only = 1;
        while (n > i && line[n - 1] == '/')
            n--;
    }
    /* a slash at the start or in the middle anchors the pattern to the ignore file's directory */
    r.anchored = n > i && memchr(line + i, '/', n - i) != NULL;
    while (i < n && line[i] == '/')
        i++;
    if (i == n)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ig_rule *nr = realloc(l->r, cap * sizeof *nr);
        if (!nr)
            return -1;
        l->r = nr;
        l->cap = cap;
    }
    if (!(r.glob = strndup(line + i, n - i)))
        return -1;
    l->r[l->n++] = r;
    return 0;
}

int ig_parse(ig_list *l, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (memchr(p, '\0', n) == NULL && add_rule(l, p, n))
            return -1;
        p += n + 1;
    }
    return 0;
}

int ig_match(const ig_list *l, const char *rel, int is_dir)
{
    const char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    for (size_t i = l->n; i-- > 0;) {
        const ig_rule *r = &l->r[i];
        if (r->dir_only && !is_dir)
            continue;
        /* an unanchored pattern matches the name at any depth */
        if (ig_glob(r->glob, r->anchored ? rel : name))
            return r->negate ? -1 : 1;
    }
    return 0;
}

void ig_free(ig_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->r[i].glob);
    free(l->r);
    memset(l, 0, sizeof *l);
}

/* Reads dir/name into l; a missing file is no error. Returns 0, or -1 when out of memory. */
static int load(ignore_ctx *c, ig_list *l, const char *dir, size_t dir_len, const char *name)
{
    size_t n = c->root_len + 1 + dir_len + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (!path)
        return -1;
    if (dir_len)
        snprintf(path, n, "%s/%.*s/%s", c->root, (int)dir_len, dir, name);
    else
        snprintf(path, n, "%s/%s", c->root, name);
    char *text = NULL;
    size_t len = 0;
    int rc = 0, err = 0;
    int e = ks__file_read(path, 0, (size_t)64 << 20, &text, &len);
    if (e == -ENOMEM)
        rc = -1;
    else if (e && e != -ENOENT && e != -ENOTDIR && e != -EINVAL) /* missing, or not a file: none */
        err = -e;
    else if (!e)
        rc = ig_parse(l, text, len);
    ks__free(text);
    if (err && c->on_error)
        c->on_error(c->err_ctx, path, err, "read ignore file");
    free(path);
    return rc;
}

static int push_level(ignore_ctx *c, const char *rel, size_t dir_len)
{
    if (c->depth == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        ig_level *l = realloc(c->levels, cap * sizeof *l);
        if (!l)
            return -1;
        c->levels = l;
        c->cap = cap;
    }
    ig_level *lv = &c->levels[c->depth];
    memset(lv, 0, sizeof *lv);
    if (!(lv->dir = strndup(rel, dir_len)))
        return -1;
    lv->dir_len = dir_len;
    c->depth++;
    return load(c, &lv->list, rel, dir_len, ".gitignore");
}

static void pop_level(ignore_ctx *c)
{
    ig_level *lv = &c->levels[--c->depth];
    free(lv->dir);
    ig_free(&lv->list);
}

int ignore_init(ignore_ctx *c, const char *root, int use_gitignore,
                void (*on_error)(void *, const char *, int, const char *), void *err_ctx)
{
    memset(c, 0, sizeof *c);
    c->root = root;
    c->root_len = strlen(root);
    while (c->root_len > 1 && root[c->root_len - 1] == '/') /* the walker writes "d/" + "x" as "d/x" */
        c->root_len--;
    c->use_gitignore = use_gitignore;
    c->on_error = on_error;
    c->err_ctx = err_ctx;
    if (load(c, &c->keysweep, "", 0, ".keysweepignore"))
        return -1;
    return use_gitignore ? push_level(c, "", 0) : 0;
}

/* Makes the stack hold the .gitignore of every directory from the root down to rel's directory. */
static int sync_levels(ignore_ctx *c, const char *rel, size_t dir_len)
{
    while (c->depth > 1) {
        const ig_level *top = &c->levels[c->depth - 1];
        if (top->dir_len <= dir_len && memcmp(top->dir, rel, top->dir_len) == 0 &&
            (top->dir_len == dir_len || rel[top->dir_len] == '/'))
            break;
        pop_level(c);
    }
    while (c->levels[c->depth - 1].dir_len < dir_len) {
        size_t from = c->levels[c->depth - 1].dir_len, next = from ? from + 1 : 0;
        const char *slash = memchr(rel + next, '/', dir_len - next);
        if (push_level(c, rel, slash ? (size_t)(slash - rel) : dir_len))
            return -1;
    }
    return 0;
}

int ignore_is_ignored(void *ctx, const char *path, const char *name, int is_dir)
{
    ignore_ctx *c = ctx;
    (void)name;
    if (strncmp(path, c->root, c->root_len) != 0)
        return 0;
    const char *rel = path + c->root_len;
    while (*rel == '/')
        rel++;
    if (!*rel)
        return 0;
    int verdict = 0;
    if (c->use_gitignore && c->depth) {
        const char *slash = strrchr(rel, '/');
        size_t dir_len = slash ? (size_t)(slash - rel) : 0;
        if (sync_levels(c, rel, dir_len) == 0) {
            /* deeper .gitignore files override shallower ones */
            for (size_t i = 0; i < c->depth; i++) {
                const ig_level *lv = &c->levels[i];
                int v = ig_match(&lv->list, rel + lv->dir_len + (lv->dir_len ? 1 : 0), is_dir);
                if (v)
                    verdict = v;
            }
        }
    }
    int v = ig_match(&c->keysweep, rel, is_dir);
    if (v)
        verdict = v;
    return verdict > 0;
}

int ignore_empty(const ignore_ctx *c) { return !c->use_gitignore && c->keysweep.n == 0; }

void ignore_free(ignore_ctx *c)
{
    while (c->depth)
        pop_level(c);
    free(c->levels);
    ig_free(&c->keysweep);
    memset(c, 0, sizeof *c);
}
