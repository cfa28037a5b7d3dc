/* test_git_select.c: ks_git_select (io/git_select.c, io/git_staged.c) on repositories made with git, against answers
 * worked out by hand from what each commit, branch and index holds (blob ids from the contents themselves). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git_idset.h"
#include "git_object.h"
#include "git_select.h"
#include "git_sh.h"
#include "hang.h"
#include "keysweep.h"

static char dir[64];

static void mk(void)
{
    git_sh_mkdir(dir, "ks-gitsel");
}

static void rm(void)
{
    git_sh_rmdir(dir);
}

TestSuite(git_select, .init = mk, .fini = rm, .timeout = KS_HANG_S(300));

#define sh(...) git_sh(dir, __VA_ARGS__)

/* The id git gives a file holding `text` (computed here, not asked of git). */
static void blob(const char *text, char hex[KS_GIT_HEX_LEN + 1])
{
    uint8_t id[KS_GIT_ID_LEN];
    ks__git_hash_object(KS_GIT_BLOB, text, strlen(text), id);
    ks__git_id_hex(id, hex);
}

typedef struct got {
    char ids[64][KS_GIT_HEX_LEN + 1];
    int n;
} got;

static int on_blob(void *ctx, const char *hex)
{
    got *g = ctx;
    cr_assert_lt(g->n, 64);
    for (int i = 0; i < g->n; i++)
        cr_assert_str_neq(g->ids[i], hex, "%s called back twice", hex);
    strcpy(g->ids[g->n++], hex);
    return 0;
}

/* Selects with o in dir/repo (or dir/<where>) and checks the answer is exactly the blobs holding texts. */
static void expect_at(const char *where, const ks_git_opts *o, const char *const *texts, int n)
{
    char path[128], why[512] = "";
    snprintf(path, sizeof path, "%s/%s", dir, where);
    got g = {.n = 0};
    int rc = ks_git_select(path, o, on_blob, &g, why, sizeof why);
    cr_assert_eq(rc, 0, "ks_git_select: %s (%s)", ks_errname(rc), why);
    cr_assert_eq(g.n, n, "%d blobs selected, %d expected", g.n, n);
    for (int k = 0; k < n; k++) {
        char hex[KS_GIT_HEX_LEN + 1];
        blob(texts[k], hex);
        int found = 0;
        for (int i = 0; i < g.n; i++)
            found |= strcmp(g.ids[i], hex) == 0;
        cr_assert(found, "the blob of \"%s\" (%s) was not selected", texts[k], hex);
    }
}

static void expect(const ks_git_opts *o, const char *const *texts, int n)
{
    expect_at("repo", o, texts, n);
}

#define TEXTS(...) (const char *const[]){__VA_ARGS__}, (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

Test(git_select, since_commit_takes_what_the_later_commits_introduced)
{
    sh("git init -q -b main . && printf 'A1\\n' >a && git add a && git commit -qm c1 && git tag c1 &&"
       "printf 'B\\n' >b && git add b && git commit -qm c2 && git tag c2 &&"
       "printf 'A2\\n' >a && git commit -qam c3");
    ks_git_opts o = {.size = sizeof o, .since_commit = "c1"};
    expect(&o, TEXTS("B\n", "A2\n"));
    o.since_commit = "c2";
    expect(&o, TEXTS("A2\n"));
    o.since_commit = "HEAD";
    expect(&o, NULL, 0);
}

/* Regression (issue 15): --since-commit painted every ancestor of its commit before walking the range, so
 * `--since-commit HEAD~2` on a long history read all of it. Now the painting stops where the range does. */
Test(git_select, since_commit_reads_the_range_not_the_history_below_it)
{
    sh("git init -q -b main . && for i in $(seq 1 300); do printf '%%s\\n' $i >a; git add a;"
       " GIT_COMMITTER_DATE=\"@$((1700000000 + i)) +0000\" git commit -qm c$i; done");
    ks_git_opts o = {.size = sizeof o, .since_commit = "HEAD~2"};
    expect(&o, TEXTS("299\n", "300\n"));
    char git_dir[128], why[256] = "";
    snprintf(git_dir, sizeof git_dir, "%s/repo/.git", dir);
    ks_git_idset *want = ks__git_idset_new(NULL);
    ks_git_selection sel;
    cr_assert_eq(ks__git_select_ids(git_dir, &o, NULL, want, &sel, why, sizeof why), 0, "%s", why);
    cr_assert_leq(sel.commits_painted, 10, "%llu commits read to find the range's end",
                  (unsigned long long)sel.commits_painted);
    ks__git_idset_free(want);
    /* equal times (a scripted history): exact still, painting as deep as it must */
    sh("git checkout -q -b flat c1~0 2>/dev/null || git checkout -q -b flat HEAD~299 && for i in 1 2 3 4 5; do"
       " printf 'flat %%s\\n' $i >a; GIT_COMMITTER_DATE='@1600000000 +0000' git commit -qam f$i; done");
    ks_git_opts f = {.size = sizeof f, .since_commit = "flat~2", .branch = "flat"};
    expect(&f, TEXTS("flat 4\n", "flat 5\n"));
}

/* A clock set back: the range's newest commit older than the commits below it. Nothing of the range is lost. */
Test(git_select, since_commit_with_a_clock_set_back_keeps_the_whole_range)
{
    sh("git init -q -b main . && for i in 1 2 3 4; do printf '%%s\\n' $i >a; git add a;"
       " GIT_COMMITTER_DATE=\"@$((1700000000 + i)) +0000\" git commit -qm c$i; done &&"
       " printf 'back\\n' >a && GIT_COMMITTER_DATE='@1000000000 +0000' git commit -qam back &&"
       " printf 'after\\n' >b && git add b && GIT_COMMITTER_DATE='@1700000010 +0000' git commit -qm after");
    ks_git_opts o = {.size = sizeof o, .since_commit = "HEAD~2"};
    expect(&o, TEXTS("back\n", "after\n"));
}

Test(git_select, range_takes_a_blob_that_existed_before_under_another_path)
{
    /* c1 holds S at a; c2 deletes it and adds X; c3 puts S back at b; c4 renames x to y */
    sh("git init -q -b main . && printf 'S\\n' >a && git add a && git commit -qm c1 && git tag c1 &&"
       "git rm -q a && printf 'X\\n' >x && git add x && git commit -qm c2 && git tag c2 &&"
       "printf 'S\\n' >b && git add b && git commit -qm c3 && git tag c3 &&"
       "git mv x y && git commit -qm c4 && git tag c4");
    ks_git_opts o = {.size = sizeof o, .range = "c2..c3"};
    expect(&o, TEXTS("S\n"));
    o.range = "c1..c2";
    expect(&o, TEXTS("X\n"));
    o.range = "c1..c3";
    expect(&o, TEXTS("X\n", "S\n"));
    o.range = "c3..c4"; /* a rename: the same blob at a new path */
    expect(&o, TEXTS("X\n"));
    o.range = "c4..c4";
    expect(&o, NULL, 0);
}

Test(git_select, range_over_a_merge_takes_each_side_once_and_the_merge_nothing_new)
{
    sh("git init -q -b main . && printf 'BASE\\n' >base && git add base && git commit -qm base && git tag base &&"
       "git checkout -q -b side && mkdir d && printf 'SIDE\\n' >d/s && git add d && git commit -qm side && git tag t_side &&"
       "git checkout -q main && printf 'MAIN\\n' >m && git add m && git commit -qm main && git tag main1 &&"
       "git merge -q --no-edit side && git tag merged");
    ks_git_opts o = {.size = sizeof o, .range = "main1..merged"};
    expect(&o, TEXTS("SIDE\n"));
    o.range = "t_side..merged";
    expect(&o, TEXTS("MAIN\n"));
    o.range = "main1...t_side"; /* both sides down to their merge base */
    expect(&o, TEXTS("SIDE\n", "MAIN\n"));
    /* an evil merge: a blob that neither parent holds at its path */
    sh("git checkout -q -b other base && printf 'O\\n' >o && git add o && git commit -qm o &&"
       "git checkout -q main && git merge -q --no-commit other && printf 'EVIL\\n' >m && git add m && git commit -qm evil && git tag evil");
    o.range = "merged..evil";
    expect(&o, TEXTS("O\n", "EVIL\n"));
}

Test(git_select, branch_takes_the_blobs_of_its_commits_only)
{
    sh("git init -q -b main . && printf 'M1\\n' >a && git add a && git commit -qm m1 &&"
       "git checkout -q -b feature && printf 'F\\n' >f && git add f && git commit -qm f &&"
       "git checkout -q main && printf 'M2\\n' >a && git commit -qam m2");
    ks_git_opts o = {.size = sizeof o, .branch = "main"};
    expect(&o, TEXTS("M1\n", "M2\n"));
    o.branch = "feature";
    expect(&o, TEXTS("M1\n", "F\n"));
    o.since_commit = "main~1"; /* since with a branch: that branch's later commits */
    expect(&o, TEXTS("F\n"));
}

Test(git_select, staged_is_the_index_against_head_not_the_work_tree)
{
    sh("git init -q -b main . && printf 'A\\n' >a && printf 'B\\n' >b && mkdir -p d/e && printf 'DEEP\\n' >d/e/f &&"
       "git add . && git commit -qm c1 &&"
       "printf 'token KSTEST_NEWSECRET12345\\n' >new && printf 'B2\\n' >b && git add new b &&"
       "printf 'WORK ONLY KSTEST_UNSTAGED1234\\n' >w && printf 'A changed, not staged\\n' >a &&"
       "git add -N w");
    ks_git_opts o = {.size = sizeof o, .staged = 1};
    expect(&o, TEXTS("token KSTEST_NEWSECRET12345\n", "B2\n"));
    /* unstaging brings the index back to HEAD: nothing */
    sh("git reset -q");
    expect(&o, NULL, 0);
    /* a deep path staged, beside unchanged ones */
    sh("printf 'DEEP2\\n' >d/e/f && git add d/e/f");
    expect(&o, TEXTS("DEEP2\n"));
}

Test(git_select, staged_with_an_unborn_head_is_the_whole_index)
{
    sh("git init -q -b main . && printf 'ONE\\n' >one && printf 'TWO\\n' >two && git add .");
    ks_git_opts o = {.size = sizeof o, .staged = 1};
    expect(&o, TEXTS("ONE\n", "TWO\n"));
}

Test(git_select, reachable_only_leaves_out_a_dangling_blob_and_keeps_the_index_and_reflogs)
{
    sh("git init -q -b main . && printf 'R\\n' >r && git add r && git commit -qm c1 &&"
       "printf 'DANGLING\\n' | git hash-object -w --stdin >/dev/null &&"
       "git checkout -q -b gone && printf 'REFLOG\\n' >g && git add g && git commit -qm g && git checkout -q main &&"
       "git branch -q -D gone && printf 'INDEX\\n' >i && git add i");
    ks_git_opts o = {.size = sizeof o, .reachable_only = 1};
    /* the deleted branch's commit is still in HEAD's reflog */
    expect(&o, TEXTS("R\n", "INDEX\n", "REFLOG\n"));
    sh("git reflog expire --expire=now --all");
    expect(&o, TEXTS("R\n", "INDEX\n"));
}

Test(git_select, a_linked_worktree_has_its_own_index_and_shares_the_history)
{
    sh("git init -q -b main . && printf 'A\\n' >a && git add a && git commit -qm c1 &&"
       "git worktree add -q ../wt -b wt && cd ../wt && printf 'WT\\n' >n && git add n");
    ks_git_opts o = {.size = sizeof o, .staged = 1};
    expect_at("wt", &o, TEXTS("WT\n"));          /* the work tree */
    expect_at("wt/.git", &o, TEXTS("WT\n"));     /* its .git file */
    expect(&o, NULL, 0);                         /* the main worktree's index is clean */
    ks_git_opts r = {.size = sizeof r, .reachable_only = 1};
    expect(&r, TEXTS("A\n", "WT\n"));            /* every worktree's index */
}

Test(git_select, mistakes_are_named)
{
    sh("git init -q -b main . && printf 'A\\n' >a && git add a && git commit -qm c1");
    char path[128], why[512];
    snprintf(path, sizeof path, "%s/repo", dir);
    got g = {.n = 0};
    ks_git_opts o = {.size = sizeof o, .range = "nosuch..HEAD"};
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_EINVAL);
    cr_assert(strstr(why, "nosuch"), "%s", why);
    o.range = "HEAD";
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_EINVAL);
    cr_assert(strstr(why, "A..B"), "%s", why);
    o = (ks_git_opts){.size = sizeof o, .branch = "nosuch"};
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_EINVAL);
    cr_assert(strstr(why, "--branch 'nosuch'"), "%s", why);
    o = (ks_git_opts){.size = sizeof o, .range = "HEAD..HEAD", .since_commit = "HEAD"};
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_EINVAL);
    o = (ks_git_opts){.size = sizeof o, .staged = 1, .branch = "main"};
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_EINVAL);
    snprintf(path, sizeof path, "%s", dir); /* not a repository */
    cr_assert_eq(ks_git_select(path, NULL, on_blob, &g, why, sizeof why), KS_EINVAL);
    cr_assert_eq(g.n, 0);
}

Test(git_select, a_missing_tree_is_corrupt_and_the_rest_still_selected)
{
    sh("git init -q -b main . && mkdir d && printf 'IN D\\n' >d/x && printf 'TOP\\n' >t && git add . && git commit -qm c1 &&"
       "t=$(git rev-parse HEAD:d) && rm .git/objects/${t%%${t#??}}/${t#??}");
    char path[128], why[512] = "";
    snprintf(path, sizeof path, "%s/repo", dir);
    got g = {.n = 0};
    ks_git_opts o = {.size = sizeof o, .branch = "main"};
    cr_assert_eq(ks_git_select(path, &o, on_blob, &g, why, sizeof why), KS_ECORRUPT);
    cr_assert(strstr(why, "tree missing"), "%s", why);
    cr_assert_eq(g.n, 1);
    char hex[KS_GIT_HEX_LEN + 1];
    blob("TOP\n", hex);
    cr_assert_str_eq(g.ids[0], hex);
}
