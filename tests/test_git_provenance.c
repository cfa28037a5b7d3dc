/* test_git_provenance.c: ks_git_provenance and ks_git_repo_info_get on repositories git builds in a temporary directory:
 * a secret added, renamed, deleted and added again; one blob at two paths; a side branch and a merge that makes a
 * blob of its own; dangling and index-only blobs; an empty repository; a shallow clone; allocation failures; several
 * threads; a history held and loaded in steps. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "hang.h"
#include "keysweep.h"

static char dir[64];

static void mk(void)
{
    strcpy(dir, "/tmp/ks-gitprov-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(git_provenance, .init = mk, .fini = rm, .timeout = KS_HANG_S(300));

#define GIT_ENV                                                                                                     \
    "export HOME=%s GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev " \
    "GIT_COMMITTER_EMAIL=dev@example.com; "

/* Runs a shell command in dir/repo with git isolated from the user's and system's configuration. */
static void sh(const char *fmt, ...)
{
    char body[4096], cmd[5120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "set -e; " GIT_ENV "mkdir -p %s/repo; cd %s/repo; %s", dir, dir, dir, body);
    cr_assert_eq(system(cmd), 0, "command failed: %s", body);
}

/* The first line a command prints in dir/repo (a commit or blob id). */
static char *out(const char *fmt, ...)
{
    static char lines[16][128];
    static int next;
    char body[1024], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, GIT_ENV "cd %s/repo && %s", dir, dir, body);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char *line = lines[next++ % 16];
    cr_assert_not_null(fgets(line, 128, f), "no output from: %s", body);
    line[strcspn(line, "\n")] = '\0';
    pclose(f);
    return line;
}

/* Commits with a fixed author date (and the same committer date), so that ids and the order are the same every run. */
static void commit_at(const char *date, const char *msg)
{
    sh("GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s' git commit -q -m '%s'", date, date, msg);
}

/* ---- what the callback saw ---- */

#define MAX_ORIGINS 8
typedef struct seen_origin {
    char commit[41], path[128], author[64], email[64], date[64], message[128];
    long long time;
    int offset;
} seen_origin;

typedef struct seen {
    size_t calls;
    size_t index[16];
    char blob[16][41];
    size_t n[16];
    seen_origin o[16][MAX_ORIGINS];
} seen;

static int collect_origins(void *ctx, const ks_git_blob_origins *b)
{
    seen *s = ctx;
    cr_assert_lt(s->calls, 16);
    size_t k = s->calls++;
    s->index[k] = b->index;
    snprintf(s->blob[k], sizeof s->blob[k], "%s", b->blob);
    s->n[k] = b->n_origins;
    for (size_t i = 0; i < b->n_origins && i < MAX_ORIGINS; i++) {
        const ks_git_origin *o = &b->origins[i];
        seen_origin *d = &s->o[k][i];
        snprintf(d->commit, sizeof d->commit, "%s", o->commit);
        snprintf(d->path, sizeof d->path, "%s", o->path);
        snprintf(d->author, sizeof d->author, "%s", o->author);
        snprintf(d->email, sizeof d->email, "%s", o->email);
        snprintf(d->date, sizeof d->date, "%s", o->date);
        snprintf(d->message, sizeof d->message, "%s", o->message);
        d->time = (long long)o->time;
        d->offset = o->utc_offset;
    }
    return 0;
}

static int provenance(const char *git_dir, const char *const *ids, size_t n, unsigned flags, seen *s)
{
    memset(s, 0, sizeof *s);
    ks_git_provenance_opts o = {.size = sizeof o, .flags = flags};
    return ks_git_provenance(git_dir, ids, n, &o, collect_origins, s);
}

static void expect_origin(const seen *s, size_t k, size_t i, const char *commit, const char *path)
{
    cr_assert_gt(s->n[k], i, "blob %zu: %zu origins, wanted one more than %zu", k, s->n[k], i);
    cr_expect_str_eq(s->o[k][i].commit, commit, "blob %zu origin %zu", k, i);
    cr_expect_str_eq(s->o[k][i].path, path, "blob %zu origin %zu", k, i);
}

/* ---- the history of the tests ---- */

typedef struct history {
    char c1[41], c2[41], c3[41], c4[41], c5[41], side[41], main6[41], merge[41], c8[41];
    char secret[41], twice[41], side_blob[41], merged[41], dangling[41], staged[41], readme[41];
    char git_dir[96];
} history;

/* c1 README; c2 a.txt holds the secret (Alice, +02:00, a two-paragraph message); c3 renames it to b/c.txt; c4 deletes
 * it; c5 adds one blob as x/one.txt and y/two.txt; a side branch adds side.txt while main adds other.txt; their merge
 * also writes merged.txt; c8 adds a.txt back with the secret. Then a dangling blob and one only in the index. */
static void build_history(history *h)
{
    sh("git init -q -b main . && git config gc.auto 0");
    sh("printf 'hello\\n' > README && git add README");
    commit_at("2026-01-01T00:00:00Z", "one");
    sh("printf 'x=1\\ntoken = KSTEST_ABCDEFGH12345678\\n' > a.txt && git add a.txt");
    sh("GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com GIT_AUTHOR_DATE='2026-01-02T03:04:05+02:00' "
       "GIT_COMMITTER_DATE='2026-01-02T01:04:05Z' git commit -q -m 'add a' -m 'the body'");
    sh("mkdir b && git mv a.txt b/c.txt");
    commit_at("2026-01-03T00:00:00Z", "rename");
    sh("git rm -q b/c.txt");
    commit_at("2026-01-04T00:00:00Z", "delete");
    sh("mkdir x y && printf 'same KSTEST_TWICETWICE123456\\n' > x/one.txt && cp x/one.txt y/two.txt && git add x y");
    commit_at("2026-01-05T00:00:00Z", "twice");
    sh("git checkout -q -b side && printf 'side KSTEST_SIDESIDESIDE1234\\n' > side.txt && git add side.txt");
    commit_at("2026-01-06T00:00:00Z", "side");
    sh("git checkout -q main && printf 'other\\n' > other.txt && git add other.txt");
    commit_at("2026-01-06T12:00:00Z", "main six");
    sh("GIT_AUTHOR_DATE='2026-01-07T00:00:00Z' GIT_COMMITTER_DATE='2026-01-07T00:00:00Z' "
       "git merge -q --no-ff --no-commit side >/dev/null 2>&1 && printf 'made in the merge\\n' > merged.txt && git add merged.txt");
    commit_at("2026-01-07T00:00:00Z", "merge side");
    sh("printf 'x=1\\ntoken = KSTEST_ABCDEFGH12345678\\n' > a.txt && git add a.txt");
    commit_at("2026-01-08T00:00:00Z", "again");
    snprintf(h->c8, 41, "%s", out("git rev-parse HEAD"));
    snprintf(h->merge, 41, "%s", out("git rev-parse HEAD~1"));
    snprintf(h->main6, 41, "%s", out("git rev-parse HEAD~1^1"));
    snprintf(h->side, 41, "%s", out("git rev-parse HEAD~1^2"));
    snprintf(h->c5, 41, "%s", out("git rev-parse HEAD~2~1"));
    snprintf(h->c4, 41, "%s", out("git rev-parse HEAD~2~2"));
    snprintf(h->c3, 41, "%s", out("git rev-parse HEAD~2~3"));
    snprintf(h->c2, 41, "%s", out("git rev-parse HEAD~2~4"));
    snprintf(h->c1, 41, "%s", out("git rev-parse HEAD~2~5"));
    snprintf(h->secret, 41, "%s", out("git rev-parse HEAD:a.txt"));
    snprintf(h->twice, 41, "%s", out("git rev-parse HEAD:x/one.txt"));
    snprintf(h->side_blob, 41, "%s", out("git rev-parse HEAD:side.txt"));
    snprintf(h->merged, 41, "%s", out("git rev-parse HEAD:merged.txt"));
    snprintf(h->readme, 41, "%s", out("git rev-parse HEAD:README"));
    snprintf(h->dangling, 41, "%s", out("printf 'dangling KSTEST_DANGLINGDANGLING\\n' | git hash-object -w --stdin"));
    sh("printf 'staged KSTEST_STAGEDSTAGED1234\\n' > s.txt && git add s.txt");
    snprintf(h->staged, 41, "%s", out("git rev-parse :s.txt"));
    snprintf(h->git_dir, sizeof h->git_dir, "%s/repo/.git", dir);
}

Test(git_provenance, first_commit_path_and_author)
{
    history h;
    build_history(&h);
    const char *ids[] = {h.secret, h.twice, h.side_blob, h.merged, h.dangling, h.staged, h.readme};
    seen s;
    cr_assert_eq(provenance(h.git_dir, ids, 7, 0, &s), 0);
    cr_assert_eq(s.calls, 7);
    for (size_t k = 0; k < 7; k++) {
        cr_expect_eq(s.index[k], k, "called back in the order asked");
        cr_expect_str_eq(s.blob[k], ids[k]);
    }
    /* the secret: introduced by c2 at a.txt, whatever happened to it later; one origin without ALL_PATHS */
    cr_expect_eq(s.n[0], 1);
    expect_origin(&s, 0, 0, h.c2, "a.txt");
    cr_expect_str_eq(s.o[0][0].author, "Alice");
    cr_expect_str_eq(s.o[0][0].email, "alice@example.com");
    cr_expect_str_eq(s.o[0][0].date, "2026-01-02T03:04:05+02:00");
    cr_expect_eq(s.o[0][0].time, 1767315845LL); /* 2026-01-02T01:04:05Z */
    cr_expect_eq(s.o[0][0].offset, 120);
    cr_expect_str_eq(s.o[0][0].message, "add a\n\nthe body");
    /* at two paths in one commit: the first in tree order */
    expect_origin(&s, 1, 0, h.c5, "x/one.txt");
    cr_expect_str_eq(s.o[1][0].author, "Dev");
    cr_expect_str_eq(s.o[1][0].date, "2026-01-05T00:00:00+00:00");
    /* the side branch's blob: its own commit, never the merge that brought it to main */
    cr_expect_eq(s.n[2], 1);
    expect_origin(&s, 2, 0, h.side, "side.txt");
    /* a blob the merge itself wrote */
    expect_origin(&s, 3, 0, h.merge, "merged.txt");
    cr_expect_str_eq(s.o[3][0].message, "merge side");
    /* reachable from no commit */
    cr_expect_eq(s.n[4], 0, "dangling blob");
    cr_expect_eq(s.n[5], 0, "blob only in the index");
    /* from the root commit */
    expect_origin(&s, 6, 0, h.c1, "README");
}

Test(git_provenance, all_paths)
{
    history h;
    build_history(&h);
    const char *ids[] = {h.secret, h.twice, h.side_blob, h.dangling};
    seen s;
    cr_assert_eq(provenance(h.git_dir, ids, 4, KS_GIT_ALL_PATHS, &s), 0);
    /* added, renamed (a new path: another origin), deleted, added again */
    cr_expect_eq(s.n[0], 3);
    expect_origin(&s, 0, 0, h.c2, "a.txt");
    expect_origin(&s, 0, 1, h.c3, "b/c.txt");
    expect_origin(&s, 0, 2, h.c8, "a.txt");
    cr_expect_eq(s.n[1], 2);
    expect_origin(&s, 1, 0, h.c5, "x/one.txt");
    expect_origin(&s, 1, 1, h.c5, "y/two.txt");
    cr_expect_eq(s.n[2], 1, "the merge holds side.txt as its second parent does: not an origin");
    cr_expect_eq(s.n[3], 0);
}

/* Trees are compared entry by entry with a cursor over the parent's entries in git's order, where a directory's
 * name sorts as if it ended in '/': "a-b" < "a.txt" < "a/" < "a0". A file that becomes a directory of the same
 * name, and names on either side of it, introduce exactly what changed, nothing twice. */
Test(git_provenance, r_tree_cursor_file_becomes_directory)
{
    sh("git init -q -b main . && git config gc.auto 0");
    sh("printf 'one KSTEST_DASHDASHDASH1234\\n' > a-b && printf 'dot\\n' > a.txt && printf 'zero\\n' > a0 && "
       "printf 'file\\n' > a && git add -A");
    commit_at("2026-02-01T00:00:00Z", "files");
    char c1[41], c2[41], c3[41];
    snprintf(c1, 41, "%s", out("git rev-parse HEAD"));
    sh("git rm -q a && mkdir a && printf 'k KSTEST_INSIDEDIR12345678\\n' > a/k.txt && git add -A");
    commit_at("2026-02-02T00:00:00Z", "a becomes a directory");
    snprintf(c2, 41, "%s", out("git rev-parse HEAD"));
    sh("printf 'zero again KSTEST_ZEROZEROZERO1234\\n' > a0 && git add -A");
    commit_at("2026-02-03T00:00:00Z", "a0 changes");
    snprintf(c3, 41, "%s", out("git rev-parse HEAD"));
    char dash[41], inside[41], zero[41], git_dir[96];
    snprintf(dash, 41, "%s", out("git rev-parse HEAD:a-b"));
    snprintf(inside, 41, "%s", out("git rev-parse HEAD:a/k.txt"));
    snprintf(zero, 41, "%s", out("git rev-parse HEAD:a0"));
    snprintf(git_dir, sizeof git_dir, "%s/repo/.git", dir);
    const char *ids[] = {dash, inside, zero};
    seen s;
    cr_assert_eq(provenance(git_dir, ids, 3, KS_GIT_ALL_PATHS, &s), 0);
    cr_expect_eq(s.n[0], 1, "a-b is unchanged after its first commit");
    expect_origin(&s, 0, 0, c1, "a-b");
    cr_expect_eq(s.n[1], 1);
    expect_origin(&s, 1, 0, c2, "a/k.txt");
    cr_expect_eq(s.n[2], 1);
    expect_origin(&s, 2, 0, c3, "a0");
}

static int provenance_within(const char *git_dir, const char *const *ids, size_t n, unsigned flags,
                             const ks_git_opts *within, seen *s)
{
    memset(s, 0, sizeof *s);
    ks_git_provenance_opts o = {.size = sizeof o, .flags = flags, .within = within};
    return ks_git_provenance(git_dir, ids, n, &o, collect_origins, s);
}

/* Issue 15: a --since-commit scan's findings name the commit of the range that introduced the blob (the whole
 * history was walked for the first commit anywhere: 46 s and 975 MB on git.git for 7 findings). */
Test(git_provenance, within_a_range_the_commit_of_the_range)
{
    history h;
    build_history(&h);
    const char *ids[] = {h.secret, h.twice, h.side_blob, h.merged};
    ks_git_opts w = {.size = sizeof w, .since_commit = h.c5};
    seen s;
    cr_assert_eq(provenance_within(h.git_dir, ids, 4, 0, &w, &s), 0);
    expect_origin(&s, 0, 0, h.c8, "a.txt"); /* added back in the range; c2 is below it */
    cr_expect_eq(s.n[1], 0, "introduced by c5 itself, which the range leaves out");
    expect_origin(&s, 2, 0, h.side, "side.txt");
    expect_origin(&s, 3, 0, h.merge, "merged.txt");
    cr_assert_eq(provenance_within(h.git_dir, ids, 1, KS_GIT_ALL_PATHS, &w, &s), 0);
    cr_expect_eq(s.n[0], 1, "one origin in the range");
    ks_git_opts r = {.size = sizeof r, .range = "HEAD~2..HEAD"}; /* c5..c8 seen from the merge's first parent */
    cr_assert_eq(provenance_within(h.git_dir, ids, 1, 0, &r, &s), 0);
    expect_origin(&s, 0, 0, h.c8, "a.txt");
    ks_git_opts bad = {.size = sizeof bad, .since_commit = "no-such-rev"};
    cr_expect_eq(provenance_within(h.git_dir, ids, 1, 0, &bad, &s), KS_EINVAL);
}

/* Issue 15, the pre-commit case: a staged blob's origin is its place in the index, found without reading the
 * history (keysweep git --staged took 19 s and 540 MB on git.git for one new secret, and named no file). */
Test(git_provenance, staged_blobs_are_found_in_the_index_without_reading_history)
{
    history h;
    build_history(&h);
    /* history that cannot be read: only a walk would notice */
    sh("rm -f .git/objects/%.2s/%s", h.c1, h.c1 + 2);
    const char *ids[] = {h.staged, h.secret, h.dangling};
    seen s;
    cr_assert_eq(provenance(h.git_dir, ids, 3, 0, &s), KS_ECORRUPT, "the full walk meets the missing commit");
    ks_git_opts w = {.size = sizeof w, .staged = 1};
    cr_assert_eq(provenance_within(h.git_dir, ids, 3, 0, &w, &s), 0);
    expect_origin(&s, 0, 0, "", "s.txt");
    cr_expect_str_eq(s.o[0][0].author, "");
    cr_expect_str_eq(s.o[0][0].date, "");
    expect_origin(&s, 1, 0, "", "a.txt");
    cr_expect_eq(s.n[2], 0, "in no index entry");
}

Test(git_provenance, packed_same_answers)
{
    history h;
    build_history(&h);
    sh("git gc -q --prune=never");
    const char *ids[] = {h.secret, h.side_blob, h.dangling};
    seen s;
    cr_assert_eq(provenance(h.git_dir, ids, 3, 0, &s), 0);
    expect_origin(&s, 0, 0, h.c2, "a.txt");
    expect_origin(&s, 1, 0, h.side, "side.txt");
    cr_expect_eq(s.n[2], 0);
}

Test(git_provenance, bare_clone_and_repo_info)
{
    history h;
    build_history(&h);
    char bare[160];
    snprintf(bare, sizeof bare, "%s/bare.git", dir);
    sh("git clone -q --bare . %s && git -C %s remote set-url origin https://user:s3cret@example.com/team/r.git", bare, bare);
    const char *ids[] = {h.side_blob};
    seen s;
    cr_assert_eq(provenance(bare, ids, 1, 0, &s), 0);
    expect_origin(&s, 0, 0, h.side, "side.txt");

    ks_git_repo_info info = {.size = sizeof info};
    cr_assert_eq(ks_git_repo_info_get(bare, &info), 0);
    cr_expect_str_eq(info.head, h.c8);
    cr_expect_str_eq(info.branch, "main");
    cr_expect_str_eq(info.remote_url, "https://example.com/team/r.git", "no user name or password in reports");
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    cr_assert_eq(ks_git_repo_info_get(h.git_dir, &info), 0);
    cr_expect_str_eq(info.remote_url, "");
    sh("git checkout -q --detach HEAD~1 && git remote add upstream git@example.com:team/r.git");
    cr_assert_eq(ks_git_repo_info_get(h.git_dir, &info), 0);
    cr_expect_str_eq(info.head, h.merge);
    cr_expect_str_eq(info.branch, "");
    cr_expect_str_eq(info.remote_url, "git@example.com:team/r.git", "the first remote when there is no origin");
}

Test(git_provenance, empty_repository_and_errors)
{
    sh("git init -q -b main .");
    char git_dir[96];
    snprintf(git_dir, sizeof git_dir, "%s/repo/.git", dir);
    char *dangling = out("printf 'KSTEST_NOTHINGNOTHING12\\n' | git hash-object -w --stdin");
    const char *ids[] = {dangling};
    seen s;
    cr_assert_eq(provenance(git_dir, ids, 1, 0, &s), 0, "an unborn HEAD: no commits, no error");
    cr_expect_eq(s.calls, 1);
    cr_expect_eq(s.n[0], 0);
    ks_git_repo_info info = {.size = sizeof info};
    cr_assert_eq(ks_git_repo_info_get(git_dir, &info), 0);
    cr_expect_str_eq(info.head, "");
    cr_expect_str_eq(info.branch, "main");

    const char *bad[] = {"not-an-id"};
    cr_expect_eq(provenance(git_dir, bad, 1, 0, &s), KS_EINVAL);
    cr_expect_eq(s.calls, 0);
    cr_expect_eq(provenance(dir, ids, 1, 0, &s), KS_EIO, "not a repository");
    cr_expect_eq(ks_git_provenance(git_dir, ids, 1, NULL, NULL, NULL), KS_EINVAL);
    cr_expect_eq(ks_git_repo_info_get(dir, &info), KS_EIO);
}

Test(git_provenance, shallow_clone_is_incomplete_not_failed)
{
    history h;
    build_history(&h);
    char shallow[160];
    snprintf(shallow, sizeof shallow, "%s/shallow", dir);
    sh("git clone -q --depth 1 file://%s/repo %s", dir, shallow);
    char git_dir[192];
    snprintf(git_dir, sizeof git_dir, "%s/.git", shallow);
    const char *ids[] = {h.secret};
    seen s;
    /* its history ends at c8: there the secret is new, as far as this clone can tell, and it says it cannot tell more */
    cr_assert_eq(provenance(git_dir, ids, 1, 0, &s), KS_ECORRUPT);
    cr_expect_eq(s.calls, 1);
    expect_origin(&s, 0, 0, h.c8, "a.txt");
    /* (review) asked for no blob, a history loaded before answered KS_ECORRUPT where ks_git_provenance answers 0:
     * no commit is compared, and none is missed */
    cr_expect_eq(provenance(git_dir, ids, 0, 0, &s), 0);
    ks_git_history *hist;
    cr_assert_eq(ks_git_history_new(git_dir, NULL, &hist), 0);
    cr_assert_eq(ks_git_history_load(hist), 0);
    memset(&s, 0, sizeof s);
    cr_expect_eq(ks_git_history_provenance(hist, ids, 0, collect_origins, &s), 0);
    memset(&s, 0, sizeof s);
    cr_expect_eq(ks_git_history_provenance(hist, ids, 1, collect_origins, &s), KS_ECORRUPT);
    expect_origin(&s, 0, 0, h.c8, "a.txt");
    ks_git_history_free(hist);
}

Test(git_provenance, stop_from_the_callback)
{
    history h;
    build_history(&h);
    const char *ids[] = {h.secret, h.twice};
    ks_git_provenance_opts o = {.size = sizeof o};
    int calls = 0;
    int stop(void *ctx, const ks_git_blob_origins *b);
    cr_expect_eq(ks_git_provenance(h.git_dir, ids, 2, &o, stop, &calls), KS_ETERMINATED);
    cr_expect_eq(calls, 1);
}

int stop(void *ctx, const ks_git_blob_origins *b)
{
    (void)b;
    ++*(int *)ctx;
    return 1;
}

/* Every allocation of keysweep's own failing in turn: KS_ENOMEM, or the whole answer (the tree cache's table is
 * one a walk does without: every tree is then read), never a crash or a leak (the sanitizer builds check the
 * leaks). */
Test(git_provenance, allocation_failures)
{
    history h;
    build_history(&h);
    const char *ids[] = {h.secret, h.twice, h.dangling};
    seen s;
    int clean = 0;
    for (long nth = 1; nth < 400 && !clean; nth++) {
        ks__fault_alloc_set(nth, 0);
        int rc = provenance(h.git_dir, ids, 3, KS_GIT_ALL_PATHS, &s);
        long failures = ks__fault_alloc_failures();
        ks__fault_alloc_set(0, 0);
        if (!failures) {
            cr_assert_eq(rc, 0);
            clean = 1;
        } else {
            cr_assert(rc == KS_ENOMEM || (rc == 0 && s.n[0] == 3 && s.n[1] == 2 && s.n[2] == 0),
                      "allocation %ld failed: rc %d (origins %zu %zu %zu)", nth, rc, s.n[0], s.n[1], s.n[2]);
        }
    }
    cr_expect(clean, "some run completed without a failure");
    cr_expect_eq(s.n[0], 3);
}

/* ---- several threads ---- */

/* A new repository in dir/repo, and dir/stream opened for the git fast-import stream that fills it. */
static FILE *new_repo_stream(void)
{
    sh("git init -q .");
    char path[160];
    snprintf(path, sizeof path, "%s/stream", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    return f;
}

static int provenance_threads(const char *git_dir, const char *const *ids, size_t n, unsigned flags, unsigned threads,
                              seen *s)
{
    memset(s, 0, sizeof *s);
    ks_git_provenance_opts o = {.size = sizeof o, .flags = flags, .threads = threads};
    return ks_git_provenance(git_dir, ids, n, &o, collect_origins, s);
}

/* 400 commits (git fast-import): a secret added at two paths in one commit, one of them deleted, the secret added
 * again elsewhere later; side branches merged back; blobs changed on every commit. ids[]: the eight secrets, the
 * side branches' first blobs, c399's blob, and one blob never committed (last); returns how many. git_dir: its .git. */
static size_t build_branchy_repo(char ids_buf[16][41], const char *ids[16], char git_dir[96])
{
    FILE *f = new_repo_stream();
    for (int i = 1; i <= 400; i++) {
        if (i % 100 == 60) { /* a side branch from here, merged back ten commits later */
            fprintf(f, "commit refs/heads/side\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\ndata 4\ns%03d\n",
                    10000 + i, 1700000000 + i, i);
            fprintf(f, "from :%d\nM 100644 inline side/%d.txt\ndata <<END\nside %d\nEND\n", i - 1, i, i);
        }
        fprintf(f, "commit refs/heads/main\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\ndata 4\nc%03d\n", i,
                1700000000 + i, i);
        if (i > 1)
            fprintf(f, "from :%d\n", i - 1);
        if (i % 100 == 70)
            fprintf(f, "merge :%d\n", 10000 + i - 10);
        fprintf(f, "M 100644 inline f/%d.txt\ndata <<END\nv %d\nEND\n", i % 7, i);
        if (i % 50 == 0)
            fprintf(f, "M 100644 inline s/%d.txt\ndata <<END\nsecret %d\nEND\nM 100644 inline t/%d.txt\ndata <<END\n"
                       "secret %d\nEND\n",
                    i, i / 50, i, i / 50);
        if (i % 50 == 10 && i > 50)
            fprintf(f, "D s/%d.txt\n", i - 10);
        if (i % 50 == 30 && i > 50)
            fprintf(f, "M 100644 inline u/%d.txt\ndata <<END\nsecret %d\nEND\n", i, (i - 30) / 50);
    }
    fclose(f);
    sh("git fast-import --quiet < ../stream && git gc -q --prune=now");
    size_t n = 0;
    for (int k = 1; k <= 8; k++)
        snprintf(ids_buf[n], 41, "%s", out("printf 'secret %d\\n' | git hash-object --stdin", k)), ids[n] = ids_buf[n], n++;
    for (int i = 60; i < 400; i += 100)
        snprintf(ids_buf[n], 41, "%s", out("printf 'side %d\\n' | git hash-object --stdin", i)), ids[n] = ids_buf[n], n++;
    snprintf(ids_buf[n], 41, "%s", out("printf 'v 399\\n' | git hash-object --stdin")), ids[n] = ids_buf[n], n++;
    snprintf(ids_buf[n], 41, "%s", out("printf 'never\\n' | git hash-object --stdin")), ids[n] = ids_buf[n], n++;
    snprintf(git_dir, 96, "%s/repo/.git", dir);
    return n;
}

/* Commits are compared on several threads, each taking the next run of 64 in topological order, and what they found
 * merged in that order: the answer is one thread's whatever the number of threads, first origins and every path
 * alike (build_branchy_repo's history). */
Test(git_provenance, threads_agree_with_one_thread)
{
    static char ids_buf[16][41];
    const char *ids[16];
    char git_dir[96];
    size_t n = build_branchy_repo(ids_buf, ids, git_dir);
    static seen one, many;
    for (unsigned flags = 0; flags <= KS_GIT_ALL_PATHS; flags += KS_GIT_ALL_PATHS) {
        cr_assert_eq(provenance_threads(git_dir, ids, n, flags, 1, &one), 0);
        cr_assert_eq(one.calls, n);
        /* what one thread says, checked by hand for the first secret: c050 at s/ (before t/ in tree order), and with
         * every path, t/ in the same commit and u/ in c080 */
        char c50[41], c80[41];
        snprintf(c50, sizeof c50, "%s", out("git log --all --format=%%H --grep='^c050$'"));
        snprintf(c80, sizeof c80, "%s", out("git log --all --format=%%H --grep='^c080$'"));
        expect_origin(&one, 0, 0, c50, "s/50.txt");
        cr_expect_eq(one.n[0], flags ? 3 : 1);
        if (flags) {
            expect_origin(&one, 0, 1, c50, "t/50.txt");
            expect_origin(&one, 0, 2, c80, "u/80.txt");
        }
        cr_expect_eq(one.n[n - 1], 0, "never committed");
        /* again and again: which thread takes which run is the scheduler's */
        for (int again = 0; again < 8; again++)
            for (unsigned threads = 2; threads <= 9; threads += threads < 4 ? 1 : 5) {
                cr_assert_eq(provenance_threads(git_dir, ids, n, flags, threads, &many), 0);
                cr_assert(!memcmp(&one, &many, sizeof one), "flags %u, %u threads: another answer", flags, threads);
            }
    }
}

/* (review) A tree that could not be read made the answer KS_ECORRUPT or not by the number of threads and how they
 * were scheduled: the threads compare commits to their runs' ends, past the commit where one walk stops (the one
 * that gave the last id its origin). It now counts where one walk would have met it. 300 commits, loose objects, a
 * secret added in c001 or c250, the root tree of c020 deleted: after the walk's end (0) or before it (KS_ECORRUPT),
 * and with every path wanted, always KS_ECORRUPT, on 1 to 9 threads. */
Test(git_provenance, r_an_unreadable_tree_counts_where_one_walk_meets_it)
{
    for (int late = 0; late <= 1; late++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s/repo %s/stream", dir, dir);
        cr_assert_eq(system(cmd), 0);
        FILE *f = new_repo_stream();
        for (int i = 1; i <= 300; i++) {
            fprintf(f, "commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata 4\nc%03d\n",
                    1700000000 + i, i);
            fprintf(f, "M 100644 inline f.txt\ndata <<END\nv %d\nEND\n", i);
            if (i == (late ? 250 : 1))
                fprintf(f, "M 100644 inline s.txt\ndata <<END\nsecret\nEND\n");
        }
        fclose(f);
        sh("git fast-import --quiet < ../stream && mkdir ../packs && mv .git/objects/pack/* ../packs/ && "
           "for p in ../packs/*.pack; do git unpack-objects -q < $p; done && rm -rf ../packs && "
           "t=$(git log --all --format=%%T --grep='^c020$') && test -n \"$t\" && rm .git/objects/${t%%${t#??}}/${t#??}");
        char secret[41];
        snprintf(secret, sizeof secret, "%s", out("printf 'secret\\n' | git hash-object --stdin"));
        const char *ids[] = {secret};
        char git_dir[96];
        snprintf(git_dir, sizeof git_dir, "%s/repo/.git", dir);
        for (unsigned flags = 0; flags <= KS_GIT_ALL_PATHS; flags += KS_GIT_ALL_PATHS) {
            int want = late || flags ? KS_ECORRUPT : 0;
            static seen one, many;
            cr_assert_eq(provenance_threads(git_dir, ids, 1, flags, 1, &one), want);
            cr_assert(one.n[0] >= 1 && !strcmp(one.o[0][0].path, "s.txt"));
            for (int again = 0; again < 4; again++)
                for (unsigned threads = 2; threads <= 9; threads += threads < 4 ? 1 : 5) {
                    cr_assert_eq(provenance_threads(git_dir, ids, 1, flags, threads, &many), want,
                                 "secret in c%s, flags %u, %u threads", late ? "250" : "001", flags, threads);
                    cr_assert(!memcmp(&one, &many, sizeof one), "flags %u, %u threads: another answer", flags,
                              threads);
                }
        }
    }
}

/* ---- a history held: its commits loaded before the blobs are known ---- */

typedef struct loading {
    ks_git_history *h;
    int rc;
} loading;

static void *load_on_a_thread(void *arg)
{
    loading *l = arg;
    l->rc = ks_git_history_load(l->h);
    return NULL;
}

static int history_provenance(ks_git_history *h, const char *const *ids, size_t n, seen *s)
{
    memset(s, 0, sizeof *s);
    return ks_git_history_provenance(h, ids, n, collect_origins, s);
}

/* The keysweep command loads a repository's commits on a thread of idle priority from its first finding on, and
 * when the scan ends stops that load and goes on with it on its own thread. Loaded in any number of steps, stopped
 * before it began or at any moment by another thread, whole or over a range, a history answers what
 * ks_git_provenance answers, and again for other ids; one stopped and freed unloaded leaks nothing. */
Test(git_provenance, a_history_loaded_in_steps_answers_as_provenance_does)
{
    static char ids_buf[16][41];
    const char *ids[16];
    char git_dir[96];
    size_t n = build_branchy_repo(ids_buf, ids, git_dir);
    ks_git_opts range = {.size = sizeof range, .range = "main~150..main"};
    static seen want, want_few, got;
    for (int ranged = 0; ranged <= 1; ranged++) {
        ks_git_provenance_opts o = {.size = sizeof o, .flags = KS_GIT_ALL_PATHS, .within = ranged ? &range : NULL};
        memset(&want, 0, sizeof want);
        cr_assert_eq(ks_git_provenance(git_dir, ids, n, &o, collect_origins, &want), 0);
        memset(&want_few, 0, sizeof want_few);
        cr_assert_eq(ks_git_provenance(git_dir, ids + 2, 3, &o, collect_origins, &want_few), 0);
        /* stopped before it begins, twice: each stop stops one load, and the third goes to the end */
        ks_git_history *h;
        cr_assert_eq(ks_git_history_new(git_dir, &o, &h), 0);
        ks_git_history_stop(h);
        ks_git_history_stop(h);
        cr_expect_eq(ks_git_history_load(h), KS_ETERMINATED);
        cr_expect_eq(ks_git_history_load(h), KS_ETERMINATED);
        cr_assert_eq(ks_git_history_load(h), 0);
        cr_expect_eq(ks_git_history_load(h), 0, "loaded: the same answer, nothing done");
        cr_assert_eq(history_provenance(h, ids, n, &got), 0);
        cr_assert(!memcmp(&want, &got, sizeof got), "ranged %d: loaded in steps, another answer", ranged);
        cr_assert_eq(history_provenance(h, ids + 2, 3, &got), 0);
        cr_assert(!memcmp(&want_few, &got, sizeof got), "ranged %d: asked again, another answer", ranged);
        ks_git_history_free(h);
        /* stopped by this thread while another loads, after 0 to 3 ms; the rest loaded here, or by provenance */
        for (int wait_us = 0; wait_us <= 3000; wait_us += 500) {
            loading l = {0};
            cr_assert_eq(ks_git_history_new(git_dir, &o, &l.h), 0);
            pthread_t t;
            cr_assert_eq(pthread_create(&t, NULL, load_on_a_thread, &l), 0);
            usleep((useconds_t)wait_us);
            ks_git_history_stop(l.h);
            pthread_join(t, NULL);
            cr_assert(l.rc == 0 || l.rc == KS_ETERMINATED, "rc %d", l.rc);
            if (wait_us % 1000)
                cr_assert_eq(ks_git_history_load(l.h), 0);
            cr_assert_eq(history_provenance(l.h, ids, n, &got), 0);
            cr_assert(!memcmp(&want, &got, sizeof got), "ranged %d, stopped after %d us: another answer", ranged,
                      wait_us);
            ks_git_history_free(l.h);
        }
        /* given up: stopped, and freed without its answer */
        cr_assert_eq(ks_git_history_new(git_dir, &o, &h), 0);
        ks_git_history_stop(h);
        cr_expect_eq(ks_git_history_load(h), KS_ETERMINATED);
        ks_git_history_free(h);
    }
    ks_git_history *h;
    cr_expect_eq(ks_git_history_new(NULL, NULL, &h), KS_EINVAL);
    cr_expect_eq(ks_git_history_new(dir, NULL, &h), KS_EIO, "not a repository");
    cr_expect_null(h);
    cr_expect_eq(ks_git_history_load(NULL), KS_EINVAL);
    ks_git_history_stop(NULL);
    ks_git_history_free(NULL);
}
