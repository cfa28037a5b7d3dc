/* git_opts.c: --since-commit, --range, --branch, --staged, --git-reachable-only, --max-blob-size; `keysweep git`'s
 * help; the history part of the summary. */
#include <string.h>

#include "git_opts.h"
#include "options.h"

int git_opt_take(ks_git_opts *o, int c, const char *arg, int git_cmd)
{
    const char *name = NULL;
    switch (c) {
    case OPT_SINCE_COMMIT: o->since_commit = arg, name = "--since-commit"; break;
    case OPT_RANGE: o->range = arg, name = "--range"; break;
    case OPT_BRANCH: o->branch = arg, name = "--branch"; break;
    case OPT_STAGED: o->staged = 1, name = "--staged"; break;
    case OPT_REACHABLE_ONLY: o->reachable_only = 1; return 1;
    case OPT_MAX_BLOB:
        if (parse_size(arg, &o->max_blob_size) || o->max_blob_size == 0) {
            say("--max-blob-size: '%s' is not a size (e.g. 10M)", arg);
            return 2;
        }
        return 1;
    default: return 0;
    }
    if (!git_cmd) { /* revisions and the index belong to one repository: a walk may meet many */
        say("%s narrows one repository's history: use it with keysweep git [REPO...]", name);
        return 2;
    }
    return 1;
}

int git_opt_git_only(int c)
{
    return c == OPT_SINCE_COMMIT || c == OPT_RANGE || c == OPT_BRANCH || c == OPT_STAGED;
}

int git_opts_done(const ks_git_opts *o)
{
    const char *bad = NULL;
    if (o->range && o->since_commit)
        bad = "--range and --since-commit cannot go together";
    else if (o->range && o->branch)
        bad = "--range and --branch cannot go together (A..B names its tip)";
    else if (o->staged && (o->range || o->since_commit || o->branch))
        bad = "--staged takes the index, not revisions: no --range, --since-commit or --branch with it";
    if (bad)
        say("%s", bad);
    return bad ? 2 : 0;
}

void git_usage(FILE *f)
{
    fputs("usage: keysweep git [OPTIONS] [REPO...]\n"
          "Scans the history of git repositories (default: .): every blob of every pack and loose object, each\n"
          "once, or the blobs the options below select. REPO is a work tree, its .git, a bare repository, or a\n"
          ".git file pointing elsewhere (a submodule's, a linked worktree's). A finding's path is the git\n"
          "directory and its object the blob's id.\n\n"
          "Which blobs:\n"
          "  --since-commit REV    the blobs introduced by the commits after REV, up to HEAD (or --branch)\n"
          "  --range A..B          the blobs introduced by the commits reachable from B and not from A (A...B:\n"
          "                        from either side, down to their merge base); a blob is introduced by a commit\n"
          "                        whose path holds it while that path held something else in every parent,\n"
          "                        even when the blob existed before under another path\n"
          "  --branch REF          only blobs of the commits reachable from REF\n"
          "  --git-reachable-only  only blobs reachable from HEAD, refs, reflogs and the index (not dangling ones)\n"
          "  --staged              the index's blobs that differ from HEAD: what `git commit` would record now\n"
          "                        (the pre-commit hook: keysweep git --staged exits 1 on a new secret)\n"
          "  --max-blob-size SIZE  skip larger blobs (counted in the summary)\n\n"
          "Every option of keysweep scan for output, rules and performance applies (keysweep scan --help).\n"
          "A missing object is an error (status 2), unless the repository is a partial clone whose remote\n"
          "holds it: then it is counted and skipped.\n\n"
          "Exit status: 0 no findings, 1 findings (or --exit-code N), 2 error or incomplete scan.\n",
          f);
}

void git_tally_add(git_tally *t, const ks_git_totals *x)
{
    t->repos++;
    t->selected += x->selected;
    t->scanned += x->scanned;
    t->too_large += x->too_large;
    t->promised += x->missing_promised;
    t->missing += x->missing;
}

static const char *plural(unsigned long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void git_tally_print(FILE *f, const git_tally *t)
{
    if (!t->repos)
        return;
    fprintf(f, "; history: %llu %s, %llu %s scanned", t->repos, plural(t->repos, "repository", "repositories"),
            t->scanned, plural(t->scanned, "blob", "blobs"));
    if (t->selecting)
        fprintf(f, " (of %llu selected)", t->selected);
    if (t->too_large)
        fprintf(f, ", %llu over --max-blob-size", t->too_large);
    if (t->promised)
        fprintf(f, ", %llu not in the partial clone (skipped)", t->promised);
    if (t->missing)
        fprintf(f, ", %llu missing", t->missing);
}
