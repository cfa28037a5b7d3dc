/* git_range.c: the ends of the range a narrowing option names, shared by the selection of blobs (git_select.c) and
 * the search for their commits (git_provenance.c), so that both read the same commits. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "git_range.h"

static const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* The commit a revision names, into *id; KS_EINVAL with why otherwise. */
static int commit_of(git_repository *repo, const char *option, const char *rev, git_oid *id, char *why, size_t why_len)
{
    git_object *o = NULL, *c = NULL;
    int rc = 0;
    if (git_revparse_single(&o, repo, rev) != 0 || git_object_peel(&c, o, GIT_OBJECT_COMMIT) != 0) {
        snprintf(why, why_len, "%s '%s': %s", option, rev, git_msg());
        rc = KS_EINVAL;
    } else {
        git_oid_cpy(id, git_object_id(c));
    }
    git_object_free(o);
    git_object_free(c);
    return rc;
}

static int set_from(const ks_allocator *a, ks_git_range_ends *r, const git_oid *ids, size_t n)
{
    if (n && !(r->from = ks__acalloc(a, n, sizeof *r->from)))
        return KS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        git_oid_cpy(&r->from[i], &ids[i]);
    r->n_from = n;
    return 0;
}

static int range_of(git_repository *repo, const char *range, const ks_allocator *a, ks_git_range_ends *r, char *why,
                    size_t why_len)
{
    git_revspec spec = {0};
    if (git_revparse(&spec, repo, range) != 0) {
        snprintf(why, why_len, "--range '%s': %s", range, git_msg());
        return KS_EINVAL;
    }
    git_object *from = NULL, *to = NULL;
    int rc = 0;
    if (!(spec.flags & (GIT_REVSPEC_RANGE | GIT_REVSPEC_MERGE_BASE)) || !spec.from || !spec.to) {
        snprintf(why, why_len, "--range '%s': expected A..B (or A...B)", range);
        rc = KS_EINVAL;
    } else if (git_object_peel(&from, spec.from, GIT_OBJECT_COMMIT) != 0 ||
               git_object_peel(&to, spec.to, GIT_OBJECT_COMMIT) != 0) {
        snprintf(why, why_len, "--range '%s': %s", range, git_msg());
        rc = KS_EINVAL;
    } else if (spec.flags & GIT_REVSPEC_MERGE_BASE) {
        /* A...B: both sides, down to their merge bases (none for unrelated histories: all of both) */
        git_oidarray bases = {0};
        int grc = git_merge_bases(&bases, repo, git_object_id(from), git_object_id(to));
        rc = set_from(a, r, bases.ids, grc == 0 ? bases.count : 0);
        git_oidarray_dispose(&bases);
        git_oid_cpy(&r->to[0], git_object_id(from));
        git_oid_cpy(&r->to[1], git_object_id(to));
        r->n_to = 2;
    } else {
        rc = set_from(a, r, git_object_id(from), 1);
        git_oid_cpy(&r->to[0], git_object_id(to));
        r->n_to = 1;
    }
    git_object_free(from);
    git_object_free(to);
    git_object_free(spec.from);
    git_object_free(spec.to);
    return rc;
}

int ks__git_range_ends(git_repository *repo, const ks_git_opts *o, const ks_allocator *a, ks_git_range_ends *r,
                       char *why, size_t why_len)
{
    memset(r, 0, sizeof *r);
    int rc = 0;
    if (o->range) {
        rc = range_of(repo, o->range, a, r, why, why_len);
    } else if (o->since_commit) {
        git_oid from;
        rc = commit_of(repo, "--since-commit", o->since_commit, &from, why, why_len);
        if (!rc)
            rc = commit_of(repo, "--branch", o->branch ? o->branch : "HEAD", &r->to[0], why, why_len);
        if (!rc && !(rc = set_from(a, r, &from, 1)))
            r->n_to = 1;
    } else if (o->branch) {
        rc = commit_of(repo, "--branch", o->branch, &r->to[0], why, why_len);
        r->n_to = rc ? 0 : 1;
    }
    if (rc)
        ks__git_range_ends_free(a, r);
    return rc;
}

void ks__git_range_ends_free(const ks_allocator *a, ks_git_range_ends *r)
{
    ks__afree(a, r->from);
    memset(r, 0, sizeof *r);
}
