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

/* The last c in [p, end), or NULL. */
static const uint8_t *last_of(const uint8_t *p, const uint8_t *end, uint8_t c)
{
    for (const uint8_t *q = end; q > p;)
        if (*--q == c)
            return q;
    return NULL;
}

/* A decimal number in [p, end) as libgit2 reads a date (git__strntol64): blanks, a sign, then at least one digit,
 * no overflow; what follows the digits does not matter. 0 with *v, or -1. */
static int date_number(const uint8_t *p, const uint8_t *end, int64_t *v)
{
    while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    int neg = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+'))
        p++;
    int64_t n = 0;
    const uint8_t *digits = p;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (n > (INT64_MAX - d) / 10)
            return -1; /* libgit2: "overflow error" */
        n = n * 10 + d;
    }
    if (p == digits)
        return -1; /* "not a number" */
    *v = neg ? -n : n;
    return 0;
}

/* A signature line "<key>NAME <EMAIL> DATE ZONE\n" at *p, as libgit2 1.5 parses one (git_signature__parse): the
 * line ends in a newline, holds a '<' before its last '>', and when anything follows "> ", it starts with a date
 * that parses (the zone is read leniently: not checked). 0 with *date (0 when there is none) and *p past the line,
 * or -1: libgit2 refuses such a commit. */
static int signature(const uint8_t **p, const uint8_t *end, const char *key, size_t key_len, int64_t *date)
{
    const uint8_t *q = *p, *eol = memchr(q, '\n', (size_t)(end - q));
    if (!eol || (size_t)(eol - q) < key_len || memcmp(q, key, key_len))
        return -1;
    q += key_len;
    const uint8_t *lt = last_of(q, eol, '<'), *gt = last_of(q, eol, '>');
    if (!lt || !gt || gt <= lt)
        return -1;
    *date = 0;
    if (gt + 2 < eol && date_number(gt + 2, eol, date))
        return -1;
    *p = eol + 1;
    return 0;
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
    /* then an author (some tools wrote several: the others are skipped), then the committer, whose date it is */
    int64_t author_date;
    if (signature(&p, end, "author ", 7, &author_date))
        return -1;
    while ((size_t)(end - p) >= 7 && !memcmp(p, "author ", 7)) {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return -1;
        p = eol + 1;
    }
    return signature(&p, end, "committer ", 10, &c->time);
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
