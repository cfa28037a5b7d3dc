/* git_commit_read.c: a commit's tree, parents and committer date from its header ("tree", "parent" lines, then
 * "committer NAME <EMAIL> TIME ZONE"), read with the trees reader instead of libgit2's git_commit_lookup, which
 * inflates with zlib and parses the whole commit (message, signatures) into objects of its own. */
#include <string.h>

#include "git_commit_read.h"

/* "<key><40 hex digits>\n" at *p, as libgit2 1.5 reads one (git_oid__parse): the length and the newline checked
 * first, then the digits by git_oid_fromstrn itself (either case), so that what it takes is exactly what libgit2
 * takes. 1 with the id in out and *p past the line, 0 when the line is not one. */
static int id_line(const uint8_t **p, const uint8_t *end, const char *key, size_t key_len, git_oid *out)
{
    const uint8_t *q = *p;
    if ((size_t)(end - q) < key_len + GIT_OID_HEXSZ + 1 || memcmp(q, key, key_len) ||
        q[key_len + GIT_OID_HEXSZ] != '\n' || git_oid_fromstrn(out, (const char *)q + key_len, GIT_OID_HEXSZ))
        return 0;
    *p = q + key_len + GIT_OID_HEXSZ + 1;
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
 * no overflow; what follows the digits does not matter. A negative number is summed as negative, as libgit2 sums
 * it, so that INT64_MIN is taken. 0 with *v, or -1. */
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
        int64_t d = neg ? -(int64_t)(*p - '0') : (int64_t)(*p - '0');
        if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, d, &n))
            return -1; /* libgit2: "overflow error" */
    }
    if (p == digits)
        return -1; /* "not a number" */
    *v = n;
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
    /* then an author, then the committer, whose date it is. Some tools wrote several authors: libgit2 reads the
     * others as signatures too and refuses the commit when one is malformed, so they are checked here alike. */
    int64_t author_date;
    if (signature(&p, end, "author ", 7, &author_date))
        return -1;
    while ((size_t)(end - p) >= 7 && !memcmp(p, "author ", 7))
        if (signature(&p, end, "author ", 7, &author_date))
            return -1;
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
