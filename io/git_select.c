/* git_select.c: the blob ids a narrowing option names, found over commits and trees only (read by git_commit_read.c
 * and git_trees.c; refs and the index through libgit2): a range's commits against their parents (unchanged subtrees
 * skipped by id), a branch's or every root's trees (each tree once), the index against HEAD (git_staged.c). */
#include <dirent.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "git_commit_read.h"
#include "git_locate.h"
#include "git_paint.h"
#include "git_range.h"
#include "git_select.h"
#include "git_staged.h"
#include "git_tree_diff.h"

typedef struct sel {
    git_repository *repo;
    const ks_allocator *a;
    ks_git_idset *want;
    ks_git_idset *taken;   /* trees whose every blob is in want */
    ks_git_selection *out;
    int promisor, shallow;
    int err;               /* the first failure: KS_ENOMEM, or KS_ECORRUPT with why */
    char *why;
    size_t why_len;
    git_oid *queue;        /* commits or trees still to visit */
    size_t nq, qcap;
    ks_git_diff diff;      /* what a range's commits introduced; its tree reader reads every commit and tree here */
    ks_git_commit_info commit, parent; /* scratch of the walks */
} sel;

static const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

static void fail(sel *s, int code, const char *what, const git_oid *id)
{
    if (s->err == KS_ENOMEM || (s->err && code != KS_ENOMEM))
        return;
    s->err = code;
    if (code == KS_ENOMEM)
        return;
    char hex[GIT_OID_HEXSZ + 1] = "";
    if (id)
        git_oid_tostr(hex, sizeof hex, id);
    snprintf(s->why, s->why_len, "%s%s%s", what, id ? " " : "", hex);
}

static void add_id(sel *s, ks_git_idset *set, const git_oid *id)
{
    if (ks__git_idset_add(set, id->id) < 0)
        fail(s, KS_ENOMEM, NULL, NULL);
}

static int push(sel *s, const git_oid *id)
{
    if (ks__agrow(s->a, (void **)&s->queue, &s->qcap, s->nq, sizeof *s->queue, 64) != 0) {
        fail(s, KS_ENOMEM, NULL, NULL);
        return -1;
    }
    git_oid_cpy(&s->queue[s->nq++], id);
    return 0;
}

/* An object that could not be read: absent from a partial clone is counted, anything else is a failure. */
static void unreadable(sel *s, int grc, const char *kind, const git_oid *id)
{
    if (grc == GIT_ENOTFOUND && s->promisor) {
        s->out->missing_promised++;
        return;
    }
    char what[160];
    snprintf(what, sizeof what, grc == GIT_ENOTFOUND ? "%s missing:" : "%s cannot be read:", kind);
    fail(s, KS_ECORRUPT, what, id);
}

/* The reader of the selection's commits and trees: the tree diffs' (made here when no diff has made it yet). */
static ks_git_trees *reader(sel *s)
{
    if (!s->diff.src && ks__git_trees_new(s->a, s->repo, &s->diff.src))
        fail(s, KS_ENOMEM, NULL, NULL);
    return s->diff.src;
}

static ks_git_tree *tree_at(sel *s, const git_oid *id)
{
    ks_git_trees *src = reader(s);
    ks_git_tree *t = NULL;
    int grc = 0, rc = src ? ks__git_trees_get(src, id->id, NULL, &t, &grc) : KS_ENOMEM;
    if (rc == KS_ENOMEM)
        fail(s, KS_ENOMEM, NULL, NULL);
    else if (rc)
        unreadable(s, grc, "tree", id);
    return rc ? NULL : t;
}

/* Every blob under tree `id`, each tree once over the whole selection. */
static void take_tree(sel *s, const git_oid *id)
{
    size_t bottom = s->nq;
    if (push(s, id))
        return;
    while (s->nq > bottom && s->err != KS_ENOMEM) {
        git_oid t_id = s->queue[--s->nq];
        int added = ks__git_idset_add(s->taken, t_id.id);
        if (added <= 0) {
            if (added < 0)
                fail(s, KS_ENOMEM, NULL, NULL);
            continue;
        }
        ks_git_tree *t = tree_at(s, &t_id);
        for (uint32_t i = 0, n = t ? t->n : 0; i < n; i++) { /* submodules' commits are not this repository's */
            git_oid e;
            memcpy(e.id, ks__git_tree_entry_id(t, &t->e[i]), KS_GIT_ID_LEN);
            if (t->e[i].kind == KS_GIT_BLOB)
                add_id(s, s->want, &e);
            else if (t->e[i].kind == KS_GIT_TREE && !ks__git_idset_has(s->taken, e.id))
                push(s, &e);
        }
        ks__git_tree_put(s->diff.src, t);
    }
    s->nq = bottom;
}

/* What a commit introduced (git_tree_diff.c) goes into want; a tree no parent holds is taken whole, once. */
static int diff_blob(void *ctx, const git_oid *id, const char *dir, size_t dir_len, const char *name)
{
    sel *s = ctx;
    add_id(s, s->want, id);
    return s->err == KS_ENOMEM ? KS_ENOMEM : 0;
}

static int diff_new_tree(void *ctx, const git_oid *id)
{
    take_tree(ctx, id);
    return 1;
}

static void diff_unreadable(void *ctx, const git_oid *id, int grc) { unreadable(ctx, grc, "tree", id); }

static void diff_commit(sel *s, const git_oid *tree, const git_oid *parent_trees, size_t n)
{
    int rc = ks__git_tree_diff(&s->diff, tree, parent_trees, n);
    if (rc == KS_ECORRUPT)
        fail(s, KS_ECORRUPT, "trees nest deeper than 4096 levels at tree", &s->diff.too_deep);
    else if (rc)
        fail(s, KS_ENOMEM, NULL, NULL); /* the walk's only other failure */
}

/* A commit named by a ref or a child, into *c: 0, or 1 when it cannot be read, which is said (a shallow clone's
 * missing parents are expected), or KS_ENOMEM. */
static int commit_at(sel *s, const git_oid *id, int is_parent, ks_git_commit_info *c)
{
    ks_git_trees *src = reader(s);
    int grc = 0, rc = src ? ks__git_commit_read(src, s->a, id, c, &grc) : KS_ENOMEM;
    if (rc == KS_ENOMEM)
        fail(s, KS_ENOMEM, NULL, NULL);
    else if (rc && !(is_parent && s->shallow && grc == GIT_ENOTFOUND))
        unreadable(s, grc, "commit", id);
    return rc;
}

/* Every commit reachable from the queued tips, each once, not entering `hidden` (may be NULL); each one's
 * blobs are taken (diff 0) or those it introduced (diff 1). */
static void walk_commits(sel *s, const ks_git_idset *hidden, int diff)
{
    ks_git_idset *visited = ks__git_idset_new(s->a);
    if (!visited) {
        fail(s, KS_ENOMEM, NULL, NULL);
        return;
    }
    size_t tips = s->nq;
    while (s->nq > 0 && s->err != KS_ENOMEM) {
        git_oid id = s->queue[--s->nq];
        int tip = s->nq < tips; /* parents are pushed above the tips */
        if (tip)
            tips = s->nq;
        if (hidden && ks__git_idset_has(hidden, id.id))
            continue;
        int added = ks__git_idset_add(visited, id.id);
        if (added <= 0) {
            if (added < 0)
                fail(s, KS_ENOMEM, NULL, NULL);
            continue;
        }
        ks_git_commit_info *c = &s->commit;
        if (commit_at(s, &id, !tip, c))
            continue;
        size_t np = c->n_parents;
        git_oid *ptrees = diff && np ? ks__acalloc(s->a, np, sizeof *ptrees) : NULL;
        size_t m = 0;
        if (diff && np && !ptrees)
            fail(s, KS_ENOMEM, NULL, NULL);
        for (size_t i = 0; ptrees && i < np; i++)
            if (commit_at(s, &c->parents[i], 1, &s->parent) == 0)
                ptrees[m++] = s->parent.tree;
        if (!diff)
            take_tree(s, &c->tree);
        else if (ptrees || !np)
            diff_commit(s, &c->tree, ptrees, m);
        ks__afree(s->a, ptrees);
        for (size_t i = 0; i < np; i++)
            if (!ks__git_idset_has(visited, c->parents[i].id) && !(hidden && ks__git_idset_has(hidden, c->parents[i].id)))
                push(s, &c->parents[i]);
    }
    s->nq = 0;
    ks__git_idset_free(visited);
}

static int paint_lookup(void *ctx, const git_oid *id, int is_parent, int report, ks_git_commit_info *out)
{
    sel *s = ctx;
    if (report)
        return commit_at(s, id, is_parent, out);
    ks_git_trees *src = reader(s);
    int grc; /* the range's side: its walk below reports what is missing */
    return src ? ks__git_commit_read(src, s->a, id, out, &grc) : KS_ENOMEM;
}

/* Commits reachable from the tips to[] and not from from[] (their ancestors, painted hidden only as far as the
 * range reaches: git_paint.c), each with the blobs it introduced. */
static void range_blobs(sel *s, const git_oid *from, size_t n_from, const git_oid *to, size_t n_to)
{
    ks_git_idset *hidden = ks__git_idset_new(s->a);
    ks_git_paint p = {.a = s->a, .lookup = paint_lookup, .ctx = s};
    if (!hidden || ks__git_paint_hidden(&p, from, n_from, to, n_to, hidden) != 0) {
        fail(s, KS_ENOMEM, NULL, NULL);
    } else {
        for (size_t i = 0; i < n_to; i++) {
            push(s, &to[i]);
            walk_commits(s, hidden, 1);
        }
    }
    s->out->commits_painted += p.walked;
    ks__git_idset_free(hidden);
}

/* A ref's target, peeled through tags: a commit is queued as a tip, a tree's or blob's blobs are taken. */
static void take_root(sel *s, const git_oid *id)
{
    git_object *o = NULL;
    int grc = git_object_lookup(&o, s->repo, id, GIT_OBJECT_ANY);
    while (grc == 0 && git_object_type(o) == GIT_OBJECT_TAG) {
        git_object *t = NULL;
        grc = git_tag_target(&t, (git_tag *)o);
        git_object_free(o);
        o = t;
    }
    if (grc != 0) {
        unreadable(s, grc, "object named by a ref", id);
        return;
    }
    switch (git_object_type(o)) {
    case GIT_OBJECT_COMMIT: push(s, git_object_id(o)); break;
    case GIT_OBJECT_TREE: take_tree(s, git_object_id(o)); break;
    case GIT_OBJECT_BLOB: add_id(s, s->want, git_object_id(o)); break;
    default: break;
    }
    git_object_free(o);
}

/* Every commit a reflog names (old and new), where they are still there: expired entries' objects may be gone. */
static void reflog_roots(sel *s, git_repository *repo, const char *name)
{
    git_reflog *log = NULL;
    if (git_reflog_read(&log, repo, name) != 0)
        return;
    for (size_t i = 0, n = git_reflog_entrycount(log); i < n; i++) {
        const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
        const git_oid *ids[2] = {git_reflog_entry_id_old(e), git_reflog_entry_id_new(e)};
        for (int k = 0; k < 2; k++)
            if (!git_oid_is_zero(ids[k])) {
                git_commit *c = NULL;
                if (git_commit_lookup(&c, repo, ids[k]) == 0)
                    push(s, ids[k]);
                git_commit_free(c);
            }
    }
    git_reflog_free(log);
}

/* HEAD (with its reflog) and the index of one worktree's repository. */
static void worktree_roots(sel *s, git_repository *repo)
{
    git_oid head;
    if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
        take_root(s, &head);
    reflog_roots(s, repo, "HEAD");
    git_index *index = NULL;
    if (git_repository_index(&index, repo) != 0) {
        snprintf(s->why, s->why_len, "the index cannot be read: %s", git_msg());
        if (!s->err)
            s->err = KS_ECORRUPT;
        return;
    }
    for (size_t i = 0, n = git_index_entrycount(index); i < n; i++) {
        const git_index_entry *e = git_index_get_byindex(index, i);
        if ((e->mode & 0170000) != 0160000 && !(e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD))
            add_id(s, s->want, &e->id);
    }
    git_index_free(index);
}

/* What --git-reachable-only keeps: HEAD, every ref, their reflogs, the index, in every worktree. */
static void reachable_blobs(sel *s)
{
    git_reference_iterator *it = NULL;
    git_reference *ref;
    if (git_reference_iterator_new(&it, s->repo) == 0) {
        while (git_reference_next(&ref, it) == 0) {
            git_reference *res = NULL;
            if (git_reference_resolve(&res, ref) == 0 && git_reference_target(res))
                take_root(s, git_reference_target(res));
            reflog_roots(s, s->repo, git_reference_name(ref));
            git_reference_free(res);
            git_reference_free(ref);
        }
        git_reference_iterator_free(it);
    }
    /* the main worktree's HEAD and index, then each linked one's (opened from the common directory) */
    git_repository *main = NULL;
    if (git_repository_open_ext(&main, git_repository_commondir(s->repo), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0) {
        worktree_roots(s, main);
        git_strarray names = {0};
        if (git_worktree_list(&names, main) == 0) {
            for (size_t i = 0; i < names.count; i++) {
                git_worktree *wt = NULL;
                git_repository *wr = NULL;
                if (git_worktree_lookup(&wt, main, names.strings[i]) == 0 && git_repository_open_from_worktree(&wr, wt) == 0)
                    worktree_roots(s, wr);
                git_repository_free(wr);
                git_worktree_free(wt);
            }
            git_strarray_dispose(&names);
        }
        git_repository_free(main);
    } else {
        worktree_roots(s, s->repo);
    }
    walk_commits(s, NULL, 0);
}

int ks__git_opts_select(const ks_git_opts *o)
{
    return o && (o->range || o->since_commit || o->branch || o->reachable_only || o->staged);
}

int ks__git_opts_check(const ks_git_opts *o, char *why, size_t why_len)
{
    if (!o || !((o->range && (o->since_commit || o->branch)) || (o->staged && (o->range || o->since_commit || o->branch))))
        return 0;
    snprintf(why, why_len, "options that cannot go together: range with since_commit or branch, or staged with revisions");
    return KS_EINVAL;
}

int ks__git_is_promisor(const char *git_dir, const char *objects_dir)
{
    int promisor = 0;
    char pack[4096];
    snprintf(pack, sizeof pack, "%s/pack", objects_dir);
    DIR *d = opendir(pack);
    for (struct dirent *e; d && !promisor && (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        promisor = l > 9 && strcmp(e->d_name + l - 9, ".promisor") == 0;
    }
    if (d)
        closedir(d);
    git_repository *repo = NULL;
    git_config *cfg = NULL;
    if (promisor || git_libgit2_init() < 0)
        return promisor;
    if (git_repository_open_ext(&repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) == 0 &&
        git_repository_config_snapshot(&cfg, repo) == 0) {
        git_config_entry *e = NULL;
        if (git_config_get_entry(&e, cfg, "extensions.partialclone") == 0)
            promisor = 1;
        git_config_entry_free(e);
        /* every entry, matched here: libgit2 1.5's regex matching (glob iterators, git_remote_list) leaks its
         * PCRE2 match data at each match */
        git_config_iterator *it = NULL;
        git_config_entry *ent;
        if (!promisor && git_config_iterator_new(&it, cfg) == 0) {
            while (!promisor && git_config_next(&ent, it) == 0) {
                size_t n = strlen(ent->name);
                int b = 0;
                promisor = n > 16 && strncmp(ent->name, "remote.", 7) == 0 && strcmp(ent->name + n - 9, ".promisor") == 0 &&
                           git_config_parse_bool(&b, ent->value) == 0 && b;
            }
            git_config_iterator_free(it);
        }
    }
    git_config_free(cfg);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return promisor;
}

int ks__git_select_ids(const char *git_dir, const ks_git_opts *o, const ks_allocator *a, ks_git_idset *want,
                       ks_git_selection *out, char *why, size_t why_len)
{
    static const ks_git_opts none = {0};
    if (!o)
        o = &none;
    memset(out, 0, sizeof *out);
    int rc = ks__git_opts_check(o, why, why_len);
    if (rc)
        return rc;
    if (git_libgit2_init() < 0)
        return KS_ENOMEM;
    sel s = {.a = a, .want = want, .out = out, .why = why, .why_len = why_len};
    if (git_repository_open_ext(&s.repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL)) {
        snprintf(why, why_len, "not a repository libgit2 can open: %s", git_msg());
        git_libgit2_shutdown();
        return KS_EIO;
    }
    s.diff = (ks_git_diff){.repo = s.repo, .a = a, .on_blob = diff_blob, .on_new_tree = diff_new_tree,
                           .unreadable = diff_unreadable, .ctx = &s};
    s.taken = ks__git_idset_new(a);
    s.shallow = git_repository_is_shallow(s.repo) == 1;
    char objects[4096];
    snprintf(objects, sizeof objects, "%s/objects", git_repository_commondir(s.repo));
    s.promisor = out->promisor = ks__git_is_promisor(git_dir, objects);
    if (!s.taken) {
        s.err = KS_ENOMEM;
    } else if (o->staged) {
        s.err = ks__git_staged_ids(s.repo, want, why, why_len);
    } else if (o->range || o->since_commit || o->branch) {
        ks_git_range_ends r;
        int rrc = ks__git_range_ends(s.repo, o, a, &r, why, why_len);
        if (rrc) {
            s.err = rrc;
        } else if (o->range || o->since_commit) {
            range_blobs(&s, r.from, r.n_from, r.to, r.n_to);
        } else {
            push(&s, &r.to[0]); /* a branch alone: every blob of its commits' trees */
            walk_commits(&s, NULL, 0);
        }
        ks__git_range_ends_free(a, &r);
    } else {
        reachable_blobs(&s);
    }
    ks__afree(a, s.queue);
    ks__git_commit_info_free(a, &s.commit);
    ks__git_commit_info_free(a, &s.parent);
    ks__git_tree_diff_free(&s.diff);
    ks__git_idset_free(s.taken);
    git_repository_free(s.repo);
    git_libgit2_shutdown();
    return s.err;
}

typedef struct each_blob {
    int (*on_blob)(void *ctx, const char *hex);
    void *ctx;
} each_blob;

static int call_blob(const uint8_t id[KS_GIT_ID_LEN], void *ctx)
{
    each_blob *e = ctx;
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(id, hex);
    return e->on_blob(e->ctx, hex) ? KS_ETERMINATED : 0;
}

int ks_git_select(const char *repo, const ks_git_opts *opts, int (*on_blob)(void *ctx, const char *hex), void *ctx,
                  char *why, size_t why_len)
{
    char scratch[8];
    if (!why) {
        why = scratch;
        why_len = sizeof scratch;
    }
    if (why_len)
        why[0] = '\0';
    if (!repo || !on_blob)
        return KS_EINVAL;
    ks_git_opts o = {0};
    if (opts) {
        size_t room = opts->size && opts->size < sizeof o ? opts->size : sizeof o;
        memcpy(&o, opts, room);
    }
    ks_git_location loc;
    int rc = ks__git_locate(o.allocator, repo, &loc);
    if (rc) {
        snprintf(why, why_len, "%s: not a git repository (no HEAD with objects/ and refs/, no .git)", repo);
        return rc;
    }
    ks_git_idset *want = ks__git_idset_new(o.allocator);
    ks_git_selection found;
    rc = want ? ks__git_select_ids(loc.git_dir, &o, o.allocator, want, &found, why, why_len) : KS_ENOMEM;
    if (want && (rc == 0 || rc == KS_ECORRUPT)) {
        each_blob e = {on_blob, ctx};
        int crc = ks__git_idset_each(want, call_blob, &e);
        if (crc)
            rc = crc;
    }
    ks__git_idset_free(want);
    ks__git_location_free(o.allocator, &loc);
    return rc;
}
