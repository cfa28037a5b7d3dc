/* test_git_commit_read.c: commits read for the walks over history (io/git_commit_read.c): headers of every shape git
 * writes (roots, merges, octopus merges, signed commits, negative and odd dates) and malformed ones, headers at the
 * edges of libgit2 1.5's reading (ids in either case or with a stray character, extra authors, dates at the int64
 * limits) handed to libgit2 itself, and every commit of a repository that git made and packed, read as libgit2 reads
 * it: the same tree, parents and date. */
#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "git_commit_read.h"
#include "git_sh.h"
#include "hang.h"

/* A malformed id is refused by git_oid_fromstrn, which records why in libgit2's error state: libgit2 initialised. */
static void lg2_init(void) { git_libgit2_init(); }
static void lg2_fini(void) { git_libgit2_shutdown(); }

static ks_git_commit_info parsed(const char *text, int want_rc)
{
    ks_git_commit_info c = {0};
    int rc = ks__git_commit_parse((const uint8_t *)text, strlen(text), NULL, &c);
    cr_assert_eq(rc, want_rc, "rc %d for:\n%s", rc, text);
    return c;
}

#define T1 "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
#define P1 "parent 0123456789abcdef0123456789abcdef01234567\n"
#define P2 "parent 89ABCDEF0123456789abcdef0123456789abcdef\n"
#define AU "author A U Thor <a@example.com> 1112911993 +0200\n"

Test(git_commit_read, headers_of_every_shape, .init = lg2_init, .fini = lg2_fini)
{
    ks_git_commit_info c = parsed(T1 AU "committer C O Mitter <c@example.com> 1700000000 -0700\n\nroot\n", 0);
    cr_assert_eq(c.n_parents, 0);
    cr_assert_eq(c.time, 1700000000);
    cr_assert_eq(c.tree.id[0], 0x4b);
    cr_assert_eq(c.tree.id[19], 0x04);
    ks__git_commit_info_free(NULL, &c);

    c = parsed(T1 P1 P2 P1 AU "committer C <c@x> 42 +0000\nencoding ISO-8859-1\n\nocto\n", 0);
    cr_assert_eq(c.n_parents, 3);
    cr_assert_eq(c.parents[0].id[0], 0x01);
    cr_assert_eq(c.parents[1].id[0], 0x89, "upper-case hex");
    cr_assert_eq(c.parents[2].id[19], 0x67);
    cr_assert_eq(c.time, 42);
    ks__git_commit_info_free(NULL, &c);

    /* several authors (some tools wrote them: each read as a signature, its date not the commit's); headers after
     * the committer, a signature's continuation lines saying "committer" among them; the date is the committer's,
     * read after the last '>' */
    c = parsed(T1 P1 AU AU "committer Name With > Sign <c@x>   -5 +0100\n"
                        "gpgsig -----BEGIN PGP SIGNATURE-----\n committer X <x@y> 1 +0000\n -----END PGP SIGNATURE-----\n"
                        "\nmsg\ncommitter Not <n@n> 99 +0000\n",
               0);
    cr_assert_eq(c.time, -5, "blanks skipped, a sign kept");
    ks__git_commit_info_free(NULL, &c);

    /* libgit2's reading of a date: one character after '>' is skipped, then blanks, then a sign */
    static const struct {
        const char *line;
        int64_t date;
    } dates[] = {{"committer C <c@x>\n", 0}, {"committer C <c@x> \n", 0}, {"committer C <c@x>\t123 +0000\n", 123},
                 {"committer C <c@x> +123 +0000\n", 123}, {"committer C <c@x>123\n", 23},
                 {"committer C <c@x>  \t 7\n", 7}, {"committer C <c@x> -9223372036854775808 +0000\n", INT64_MIN},
                 {"committer C <c@x> 9223372036854775807 +0000\n", INT64_MAX}};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, T1 AU "%s\nm\n", dates[i].line);
        c = parsed(text, 0);
        cr_assert_eq(c.time, dates[i].date, "%s", dates[i].line);
        ks__git_commit_info_free(NULL, &c);
    }
}

Test(git_commit_read, malformed_headers_are_refused, .init = lg2_init, .fini = lg2_fini)
{
    const char *bad[] = {
        "",
        AU "committer C <c@x> 1 +0000\n\n",                                   /* no tree */
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee490\n" AU "committer C <c@x> 1 +0000\n", /* 39 digits */
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee49zz\n" AU "committer C <c@x> 1 +0000\n",
        T1 "parent 0123\n" AU "committer C <c@x> 1 +0000\n", /* a parent line that names no id */
        T1 AU "\ncommitter C <c@x> 1 +0000\n",              /* the committer in the message only */
        T1 AU,                                               /* cut before the committer */
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904",     /* cut inside the tree line */
        /* what libgit2 1.5 refuses, refused alike: */
        T1 "committer C <c@x> 1 +0000\n",                          /* no author */
        T1 "encoding x\n" AU "committer C <c@x> 1 +0000\n",       /* a header before the author */
        T1 AU "encoding x\ncommitter C <c@x> 1 +0000\n",          /* ... or between it and the committer */
        T1 AU "committer C c@x 1 +0000\n",                         /* no '<' '>' */
        T1 AU "committer C >c@x< 1 +0000\n",                       /* '>' before '<' */
        T1 "author A a@x 1 +0000\n" "committer C <c@x> 1 +0000\n", /* nor in the author's */
        T1 AU "committer C <c@x> soon +0000\n",                    /* a date that is no number */
        T1 AU "committer C <c@x> 99999999999999999999999 +0000\n", /* one that overflows */
        T1 AU "committer C <c@x> 1 +0000",                          /* no newline after the committer */
        T1 AU "author B b@x 1 +0000\n" "committer C <c@x> 1 +0000\n",   /* an extra author libgit2 cannot read */
        T1 AU "author B <b@x> soon +0000\n" "committer C <c@x> 1 +0000\n",
        T1 AU "committer C <c@x> -9223372036854775809 +0000\n",          /* past INT64_MIN */
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee49g4\n" AU "committer C <c@x> 1 +0000\n", /* a stray letter */
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904 \n" AU "committer C <c@x> 1 +0000\n", /* 41 characters */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ks_git_commit_info c = parsed(bad[i], -1);
        ks__git_commit_info_free(NULL, &c);
    }
}

/* Headers at the edges of libgit2 1.5's reading, written as they are into a repository and read back by
 * git_commit_lookup: the parser takes what libgit2 takes, with the same tree, parents and date, and refuses the
 * rest. Ids go through git_oid_fromstrn in both, whatever their case; a parent line that is no id ends the parents,
 * and the author expected next then refuses the commit. */
Test(git_commit_read, headers_as_libgit2_reads_them, .timeout = KS_HANG_S(60))
{
    static const char *const texts[] = {
        T1 P1 P2 AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree 4B825DC642CB6EB9A060E54BF8D69288FBEE4904\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree 4b825DC642cb6eb9a060e54bf8d69288fbeE4904\nparent 0123456789ABCDEF0123456789abcdef0123456F\n" AU
        "committer C <c@x> 2 +0000\n\nm\n",
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee490G\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee490\n\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree x4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904 \n" AU "committer C <c@x> 1 +0000\n\nm\n",
        "tree  4b825dc642cb6eb9a060e54bf8d69288fbee490\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 "parent 0123456789abcdef0123456789abcdef0123456g\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 "parent 0123456789abcdef0123456789abcdef0123456\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 "parent 0123456789abcdef0123456789abcdef012345678\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 "parent 0123456789abcdef0123456789abcdef01234567" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 "Parent 0123456789abcdef0123456789abcdef01234567\n" AU "committer C <c@x> 1 +0000\n\nm\n",
        T1 AU AU "committer C <c@x> 3 +0000\n\nm\n",
        T1 AU "author B b@x 1 +0000\ncommitter C <c@x> 1 +0000\n\nm\n",
        T1 AU "author B <b@x> soon +0000\ncommitter C <c@x> 1 +0000\n\nm\n",
        T1 AU "author B <b@x>\ncommitter C <c@x> 4 +0000\n\nm\n",
        T1 AU "committer C <c@x> -9223372036854775808 +0000\n\nm\n",
        T1 AU "committer C <c@x> 9223372036854775807 +0000\n\nm\n",
        T1 AU "committer C <c@x> -9223372036854775809 +0000\n\nm\n",
        T1 AU "committer C <c@x> 9223372036854775808 +0000\n\nm\n",
        T1 AU "committer C <c@x> 0x10 +0000\n\nm\n",
        T1 AU "committer C <c@x> - 5 +0000\n\nm\n",
        T1 AU "committer C <c@x> 5 +9999999999\n\nm\n",
    };
    char dir[64];
    git_sh_mkdir(dir, "ks-commit-headers");
    char git_dir[128];
    snprintf(git_dir, sizeof git_dir, "%s/repo.git", dir);
    git_libgit2_init();
    git_repository *repo = NULL;
    cr_assert_eq(git_repository_init(&repo, git_dir, 1), 0);
    git_odb *odb = NULL;
    cr_assert_eq(git_repository_odb(&odb, repo), 0);
    size_t taken = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        git_oid id;
        cr_assert_eq(git_odb_write(&id, odb, texts[i], strlen(texts[i]), GIT_OBJECT_COMMIT), 0);
        git_commit *g = NULL;
        int want = git_commit_lookup(&g, repo, &id) == 0 ? 0 : -1;
        ks_git_commit_info c = parsed(texts[i], want);
        if (g) {
            cr_assert(git_oid_equal(&c.tree, git_commit_tree_id(g)), "%s", texts[i]);
            cr_assert_eq(c.n_parents, git_commit_parentcount(g), "%s", texts[i]);
            for (size_t k = 0; k < c.n_parents; k++)
                cr_assert(git_oid_equal(&c.parents[k], git_commit_parent_id(g, (unsigned)k)), "%s", texts[i]);
            cr_assert_eq(c.time, (int64_t)git_commit_time(g), "%s", texts[i]);
            taken++;
        }
        ks__git_commit_info_free(NULL, &c);
        git_commit_free(g);
    }
    cr_assert_eq(taken, 9, "libgit2 took %zu of them", taken); /* both kinds met: the cases still test something */
    git_odb_free(odb);
    git_repository_free(repo);
    git_libgit2_shutdown();
    git_sh_rmdir(dir);
}

/* Every commit of a repository with merges, an octopus, a signed-looking commit and a negative date, packed with
 * deltas and loose, read through the trees reader as libgit2 reads it; a blob's or tree's id is no commit. */
Test(git_commit_read, every_commit_as_libgit2_reads_it, .timeout = KS_HANG_S(120))
{
    char dir[64];
    git_sh_mkdir(dir, "ks-commit-read");
    git_sh(dir, "git init -q . && for i in 1 2 3; do echo $i > f$i && git add f$i && git commit -qm c$i; done && "
                "git checkout -qb a HEAD~2 && echo a > a && git add a && git commit -qm a && "
                "git checkout -qb b HEAD~1 && echo b > b && git add b && git commit -qm b && "
                "git checkout -q master && git merge -q --no-edit a b && "
                "c=$(printf 'tree %%s\\nparent %%s\\nauthor A <a@x> -86400 +0000\\ncommitter C <c@x> -86400 +0000\\n\\n"
                "before 1970\\n' $(git rev-parse HEAD^{tree}) $(git rev-parse HEAD) | "
                "git hash-object -t commit -w --stdin --literally) && git update-ref refs/heads/master $c && "
                "git repack -adq --depth=10 && echo loose > l && git add l && git commit -qm loose");
    char git_dir[128];
    snprintf(git_dir, sizeof git_dir, "%s/repo/.git", dir);
    git_libgit2_init();
    git_repository *repo = NULL;
    cr_assert_eq(git_repository_open(&repo, git_dir), 0);
    ks_git_trees *src = NULL;
    cr_assert_eq(ks__git_trees_new(NULL, repo, &src), 0);
    git_revwalk *w = NULL;
    cr_assert_eq(git_revwalk_new(&w, repo), 0);
    cr_assert_eq(git_revwalk_push_head(w), 0);
    git_oid id;
    size_t n = 0, merges = 0;
    int negative = 0;
    ks_git_commit_info c = {0};
    while (git_revwalk_next(&id, w) == 0) {
        git_commit *g = NULL;
        cr_assert_eq(git_commit_lookup(&g, repo, &id), 0);
        int git_error = 0;
        cr_assert_eq(ks__git_commit_read(src, NULL, &id, &c, &git_error), 0, "git error %d", git_error);
        cr_assert(git_oid_equal(&c.tree, git_commit_tree_id(g)));
        cr_assert_eq(c.n_parents, git_commit_parentcount(g));
        for (size_t k = 0; k < c.n_parents; k++)
            cr_assert(git_oid_equal(&c.parents[k], git_commit_parent_id(g, (unsigned)k)));
        cr_assert_eq(c.time, (int64_t)git_commit_time(g));
        merges += c.n_parents > 2;
        negative |= c.time < 0;
        if (n == 0) { /* the tip: its tree is no commit */
            int git_error2 = 0;
            ks_git_commit_info t = {0};
            cr_assert_eq(ks__git_commit_read(src, NULL, git_commit_tree_id(g), &t, &git_error2), 1);
            cr_assert_eq(git_error2, GIT_ENOTFOUND);
            ks__git_commit_info_free(NULL, &t);
        }
        git_commit_free(g);
        n++;
    }
    cr_assert_eq(n, 8);
    cr_assert_eq(merges, 1, "the octopus merge");
    cr_assert(negative, "the commit before 1970");
    git_oid none;
    memset(none.id, 0x5a, sizeof none.id);
    int git_error = 0;
    cr_assert_eq(ks__git_commit_read(src, NULL, &none, &c, &git_error), 1);
    cr_assert_eq(git_error, GIT_ENOTFOUND);
    ks__git_commit_info_free(NULL, &c);
    git_revwalk_free(w);
    ks__git_trees_free(src);
    git_repository_free(repo);
    git_libgit2_shutdown();
    git_sh_rmdir(dir);
}
