/* git_staged.c: the index beside HEAD's tree, one merge of two sorted lists: a depth-first walk of git's tree order
 * yields paths in the same byte order the index keeps, so each side is read once and no blob is opened. */
#include <stdio.h>
#include <string.h>

#include "git_staged.h"

#define GITLINK_MODE 0160000

typedef struct staged {
    git_index *index;
    size_t i, n;         /* the next index entry not yet matched, and their count */
    ks_git_idset *want;
    int err;
    char path[4096 + 256];
} staged;

static int stage0_blob(const git_index_entry *e)
{
    return GIT_INDEX_ENTRY_STAGE(e) == 0 && (e->mode & 0170000) != GITLINK_MODE &&
           !(e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD);
}

/* The index entries before `path` (NULL: all the rest) are not in HEAD: each is staged. */
static int take_until(staged *s, const char *path)
{
    for (; s->i < s->n; s->i++) {
        const git_index_entry *e = git_index_get_byindex(s->index, s->i);
        if (path && strcmp(e->path, path) >= 0)
            break;
        if (stage0_blob(e) && ks__git_idset_add(s->want, e->id.id) < 0)
            return s->err = KS_ENOMEM;
    }
    return 0;
}

static int on_head_entry(const char *root, const git_tree_entry *te, void *ctx)
{
    staged *s = ctx;
    if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
        return 0; /* descend */
    int n = snprintf(s->path, sizeof s->path, "%s%s", root, git_tree_entry_name(te));
    if (n < 0 || (size_t)n >= sizeof s->path)
        return 0; /* longer than any index path git writes: nothing in the index can match it */
    if (take_until(s, s->path))
        return -1;
    /* the entries at this very path: stage 0 differs from HEAD's blob, or not */
    for (; s->i < s->n; s->i++) {
        const git_index_entry *e = git_index_get_byindex(s->index, s->i);
        if (strcmp(e->path, s->path) != 0)
            break;
        if (stage0_blob(e) && !git_oid_equal(&e->id, git_tree_entry_id(te)) && ks__git_idset_add(s->want, e->id.id) < 0) {
            s->err = KS_ENOMEM;
            return -1;
        }
    }
    return 0;
}

int ks__git_staged_ids(git_repository *repo, ks_git_idset *want, char *why, size_t why_len)
{
    staged s = {.want = want};
    if (git_repository_index(&s.index, repo) != 0) {
        snprintf(why, why_len, "the index cannot be read: %s", git_error_last() ? git_error_last()->message : "?");
        return KS_ECORRUPT;
    }
    s.n = git_index_entrycount(s.index);
    git_object *tree = NULL;
    git_reference *head = NULL;
    int rc = 0;
    int hrc = git_repository_head(&head, repo);
    if (hrc == 0 && git_reference_peel(&tree, head, GIT_OBJECT_TREE) != 0) {
        snprintf(why, why_len, "HEAD's tree cannot be read: %s", git_error_last() ? git_error_last()->message : "?");
        rc = KS_ECORRUPT;
    } else if (hrc != 0 && hrc != GIT_EUNBORNBRANCH && hrc != GIT_ENOTFOUND) {
        snprintf(why, why_len, "HEAD cannot be read: %s", git_error_last() ? git_error_last()->message : "?");
        rc = KS_ECORRUPT;
    }
    if (rc == 0 && tree && git_tree_walk((git_tree *)tree, GIT_TREEWALK_PRE, on_head_entry, &s) != 0 && !s.err) {
        snprintf(why, why_len, "HEAD's trees cannot be read: %s", git_error_last() ? git_error_last()->message : "?");
        rc = KS_ECORRUPT;
    }
    if (rc == 0 && !s.err)
        take_until(&s, NULL);
    if (s.err)
        rc = s.err;
    git_object_free(tree);
    git_reference_free(head);
    git_index_free(s.index);
    return rc;
}
