/* gitleaksignore.c: reading .gitleaksignore files into a set of Gitleaks fingerprint keys, and asking it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "diag.h"
#include "file_read.h"
#include "gitleaksignore.h"

#define SHOWN_BAD_LINES 3 /* lines of another shape named per file; the rest are counted */

void gitleaksignore_init(gitleaksignore *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
}

/* Adds the key of p, and with dir (a scan root) the key of p's file below dir. Called with g->mu held. */
static int add_entry(gitleaksignore *g, peer_place p, const char *dir, ks_strbuf *scratch)
{
    if (fp_set_add(&g->keys, gitleaks_key(&p)))
        return -1;
    if (!dir || p.commit_len || p.file[0] == '/')
        return 0;
    scratch->len = 0;
    ks__sb_puts(scratch, dir);
    while (scratch->len > 1 &&
           scratch->s[scratch->len - 1] == '/') /* the walker writes "d/" + "x" as "d/x" */
        scratch->len--;
    ks__sb_putn(scratch, "/", 1);
    ks__sb_putn(scratch, p.file, p.file_len);
    if (scratch->oom)
        return -1;
    p.file = scratch->s;
    p.file_len = scratch->len;
    return fp_set_add(&g->keys, gitleaks_key(&p));
}

/* Whether the file (by its identity) was read already; else it is noted. -1 out of memory. */
static int read_before(gitleaksignore *g, const struct stat *st)
{
    for (size_t i = 0; i < g->n_read; i++)
        if (g->read[i].dev == st->st_dev && g->read[i].ino == st->st_ino)
            return 1;
    void *r = realloc(g->read, (g->n_read + 1) * sizeof *g->read);
    if (!r)
        return -1;
    g->read = r;
    g->read[g->n_read].dev = st->st_dev;
    g->read[g->n_read++].ino = st->st_ino;
    return 0;
}

static int parse(gitleaksignore *g, const char *path, const char *text, size_t len, const char *dir,
                 int history_only)
{
    ks_strbuf scratch = {0};
    unsigned long lineno = 0, bad = 0;
    int rc = 0;
    for (const char *p = text, *end = text + len; p < end && !rc;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *s = p;
        p = nl ? nl + 1 : end;
        lineno++;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (s == e || *s == '#')
            continue;
        peer_place pl;
        if (gitleaks_fingerprint_split(s, (size_t)(e - s), &pl)) {
            if (++bad <= SHOWN_BAD_LINES)
                diag_path(
                    path,
                    "line %lu: not a Gitleaks fingerprint (file:rule-id:line or commit:file:rule-id:line): "
                    "skipped",
                    lineno);
            continue;
        }
        if (history_only && !pl.commit_len)
            continue;
        rc = add_entry(g, pl, history_only ? NULL : dir, &scratch);
    }
    if (bad > SHOWN_BAD_LINES)
        diag_path(path, "%lu more lines that are not Gitleaks fingerprints: skipped", bad - SHOWN_BAD_LINES);
    ks__sb_free(&scratch);
    return rc;
}

int gitleaksignore_load(gitleaksignore *g, const char *dir, int history_only)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s.gitleaksignore", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/") < 0)
        return -ENOMEM;
    struct stat st;
    int rc = 0;
    if (stat(path, &st) || !S_ISREG(st.st_mode)) { /* none (a directory of that name is none either) */
        free(path);
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    rc = ks__file_read(path, 0, (size_t)256 << 20, &text, &len);
    if (!rc) {
        pthread_mutex_lock(&g->mu);
        int seen = read_before(g, &st);
        if (seen < 0)
            rc = -ENOMEM;
        else if (!seen && parse(g, path, text, len, dir, history_only))
            rc = -ENOMEM;
        fp_set_seal(&g->keys);
        atomic_store(&g->any, g->keys.n != 0);
        pthread_mutex_unlock(&g->mu);
    }
    ks__free(text);
    free(path);
    return rc;
}

int gitleaksignore_load_repo(gitleaksignore *g, const char *git_dir, int history_only)
{
    size_t n = strlen(git_dir);
    while (n > 1 && git_dir[n - 1] == '/')
        n--;
    int worktree = n >= 4 && memcmp(git_dir + n - 4, ".git", 4) == 0 && (n == 4 || git_dir[n - 5] == '/');
    if (!worktree)
        return gitleaksignore_load(g, git_dir, history_only);
    char *dir = strndup(git_dir, n - 4);
    if (!dir)
        return -ENOMEM;
    int rc = gitleaksignore_load(g, dir[0] ? dir : ".", history_only);
    free(dir);
    return rc;
}

int gitleaksignore_has(gitleaksignore *g, const peer_place *p)
{
    if (!atomic_load_explicit(&g->any, memory_order_acquire))
        return 0;
    uint64_t k = gitleaks_key(p);
    pthread_mutex_lock(&g->mu);
    int has = fp_set_has(&g->keys, k);
    pthread_mutex_unlock(&g->mu);
    return has;
}

void gitleaksignore_free(gitleaksignore *g)
{
    fp_set_free(&g->keys);
    free(g->read);
    pthread_mutex_destroy(&g->mu);
    memset(g, 0, sizeof *g);
}
