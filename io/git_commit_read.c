/* git_commit_read.c: a commit's tree, parents and committer date from its header ("tree", "parent" lines, then
 * "committer NAME <EMAIL> TIME ZONE"), read with the trees reader instead of libgit2's git_commit_lookup, which
 * inflates with zlib and parses the whole commit (message, signatures) into objects of its own. */
#include <string.h>

#include "git_commit_read.h"

static int hex(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "<key> <40 hex digits>\n" at *p: 1 with the id in out and *p past the line, 0 when the line is not one. */
static int id_line(const uint8_t **p, const uint8_t *end, const char *key, size_t key_len, git_oid *out)
{
    const uint8_t *q = *p;
    if ((size_t)(end - q) < key_len + 2 * KS_GIT_ID_LEN + 1 || memcmp(q, key, key_len))
        return 0;
    q += key_len;
    for (int i = 0; i < KS_GIT_ID_LEN; i++) {
        int hi = hex(q[2 * i]), lo = hex(q[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out->id[i] = (unsigned char)(hi << 4 | lo);
    }
    if (q[2 * KS_GIT_ID_LEN] != '\n')
        return 0;
    *p = q + 2 * KS_GIT_ID_LEN + 1;
    return 1;
}

/* The time of a signature line's [p, eol): the number after the last '>', 0 when there is none (as libgit2 reads
 * a malformed date). */
static int64_t signature_time(const uint8_t *p, const uint8_t *eol)
{
    const uint8_t *gt = NULL;
    for (const uint8_t *q = p; q < eol; q++)
        if (*q == '>')
            gt = q;
    if (!gt)
        return 0;
    const uint8_t *q = gt + 1;
    while (q < eol && *q == ' ')
        q++;
    int neg = q < eol && *q == '-';
    q += neg;
    int64_t t = 0;
    for (; q < eol && *q >= '0' && *q <= '9'; q++) {
        if (t > (INT64_MAX - 9) / 10)
            return 0;
        t = t * 10 + (*q - '0');
    }
    return neg ? -t : t;
}

int ks__git_commit_parse(const uint8_t *data, size_t size, const ks_allocator *a, ks_git_commit_info *c)
{
    const uint8_t *p = data, *end = data + size;
    c->n_parents = 0;
    if (!id_line(&p, end, "tree ", 5, &c->tree))
        return -1;
    git_oid parent;
    while (id_line(&p, end, "parent ", 7, &parent)) {
        if (ks__agrow(a, (void **)&c->parents, &c->cap, c->n_parents, sizeof *c->parents, 4))
            return KS_ENOMEM;
        c->parents[c->n_parents++] = parent;
    }
    if ((size_t)(end - p) >= 7 && !memcmp(p, "parent ", 7))
        return -1; /* a parent line that names no id */
    /* the other header lines (author, committer, encoding, gpgsig and its continuation lines) up to the blank
     * line before the message */
    while (p < end && *p != '\n') {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol - p > 10 && !memcmp(p, "committer ", 10)) {
            c->time = signature_time(p + 10, eol);
            return 0;
        }
        p = eol + (eol < end);
    }
    return -1;
}

int ks__git_commit_read(ks_git_trees *s, const ks_allocator *a, const git_oid *id, ks_git_commit_info *c,
                        int *git_error)
{
    ks_git_tree *o = NULL;
    int rc = ks__git_objects_get(s, id->id, &o, git_error);
    if (rc)
        return rc;
    if (o->type != KS_GIT_COMMIT) {
        ks__git_tree_put(s, o);
        *git_error = GIT_ENOTFOUND;
        return 1;
    }
    int prc = ks__git_commit_parse(o->data, o->size, a, c);
    ks__git_tree_put(s, o);
    if (prc == KS_ENOMEM)
        return prc;
    if (prc) {
        *git_error = GIT_ERROR;
        return 1;
    }
    return 0;
}

void ks__git_commit_info_free(const ks_allocator *a, ks_git_commit_info *c)
{
    ks__afree(a, c->parents);
    c->parents = NULL;
    c->n_parents = c->cap = 0;
}
