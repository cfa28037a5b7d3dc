/* test_walk.c: the walker: special files never opened, symlinks, loops, hard links, excludes, deep trees within the fd cap. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hang.h"
#include "keysweep.h"

static char root[64];

typedef struct seen {
    int files, errors;
    int skipped[KS_SKIP_N];
    int max_fds;
    char names[64][64];
} seen;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static int on_file(void *ctx, int fd, const char *path, const struct stat *st)
{
    seen *s = ctx;
    cr_assert(S_ISREG(st->st_mode));
    if (s->files < 64)
        snprintf(s->names[s->files], 64, "%s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    s->files++;
    int n = count_fds();
    if (n > s->max_fds)
        s->max_fds = n;
    close(fd);
    return 0;
}

static void on_skip(void *ctx, const char *path, ks_skip_reason why, int explicit_root)
{
    ((seen *)ctx)->skipped[why]++;
}

static void on_error(void *ctx, const char *path, int err, const char *what) { ((seen *)ctx)->errors++; }

static const ks_walk_ops OPS = {.size = sizeof OPS, .on_file = on_file, .on_skip = on_skip, .on_error = on_error};

static void mk(void)
{
    strcpy(root, "/tmp/ks-walk-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
}

static void rm(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    cr_assert_eq(system(cmd), 0);
}

static void sh(const char *fmt)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s", root, fmt);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

TestSuite(walk, .init = mk, .fini = rm, .timeout = KS_HANG_S(300));

Test(walk, fifo_and_socket_are_skipped_without_blocking)
{
    sh("mkdir d && echo hi > d/a && mkfifo d/p && python3 -c 'import socket;s=socket.socket(socket.AF_UNIX);s.bind(\"d/s\")'");
    seen s = {0};
    ks_walk_opts o = {0};
    cr_assert_eq(ks_walk(root, &o, &OPS, &s), 0);
    cr_assert_eq(s.files, 1);
    cr_assert_eq(s.skipped[KS_SKIP_SPECIAL], 2);
    char p[128];
    snprintf(p, sizeof p, "%s/d/p", root);
    seen t = {0};
    cr_assert_eq(ks_walk(p, &o, &OPS, &t), 0); /* a FIFO named explicitly */
    cr_assert_eq(t.skipped[KS_SKIP_SPECIAL], 1);
    cr_assert_eq(t.files, 0);
}

Test(walk, symlinks_not_followed_by_default)
{
    sh("echo x > f && ln -s f link && ln -s /dev/zero z && mkdir sub && ln -s .. sub/up");
    seen s = {0};
    ks_walk_opts o = {0};
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.files, 1);
    cr_assert_eq(s.skipped[KS_SKIP_SYMLINK], 3);
}

Test(walk, follow_visits_each_directory_once)
{
    sh("mkdir -p a/b && echo x > a/b/f && ln -s .. a/b/up && ln -s . self && ln -s /dev/zero a/z");
    seen s = {0};
    ks_walk_opts o = {.follow_symlinks = 1};
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.files, 1);
    cr_assert(s.skipped[KS_SKIP_LOOP] >= 2);
    cr_assert_eq(s.skipped[KS_SKIP_SPECIAL], 1, "a symlink to a device is skipped, never read");
}

Test(walk, hard_links_scanned_once)
{
    sh("echo x > a && ln a b && ln a c");
    seen s = {0};
    ks_walk_opts o = {0};
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.files, 1);
    cr_assert_eq(s.skipped[KS_SKIP_HARDLINK], 2);
}

Test(walk, excludes_and_max_size)
{
    sh("mkdir -p node_modules/x src && echo x > node_modules/x/f && echo y > src/a.c && echo z > src/b.min.js && "
       "head -c 5000 /dev/zero > src/big");
    seen s = {0};
    const char *ex[] = {"node_modules", "*.min.js", NULL};
    ks_walk_opts o = {.excludes = ex, .max_file_size = 4096};
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.files, 1);
    cr_assert_str_eq(s.names[0], "a.c");
    cr_assert_eq(s.skipped[KS_SKIP_EXCLUDED], 2);
    cr_assert_eq(s.skipped[KS_SKIP_TOO_LARGE], 1);
}

/* The ignore callback sees files and directories with their type; a skipped directory is not entered. */
static int ignore_cb(void *ctx, const char *path, const char *name, int is_dir)
{
    int *asked = ctx;
    (*asked)++;
    cr_assert(strstr(path, name) != NULL);
    return (is_dir && strcmp(name, "build") == 0) || (!is_dir && strcmp(name, "skip.txt") == 0);
}

Test(walk, ignore_callback_skips_by_type)
{
    sh("mkdir -p build/x src/build2 && echo x > build/x/f && echo y > src/a.c && echo z > src/skip.txt && "
       "echo w > build2 && mkfifo src/p");
    seen s = {0};
    int asked = 0;
    ks_walk_opts o = {.is_ignored = ignore_cb, .ignore_ctx = &asked};
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.files, 2, "build2 and src/a.c");
    cr_assert_eq(s.skipped[KS_SKIP_EXCLUDED], 2);
    cr_assert_eq(s.skipped[KS_SKIP_SPECIAL], 1, "special files are not offered to the callback");
    cr_assert_eq(asked, 6, "build, src, build2, src/build2, src/a.c, src/skip.txt: asked %d times", asked);
}

/* T26: depth 5000 (the bound), far beyond PATH_MAX and the fd cap. */
Test(walk, deep_tree_stays_within_the_fd_cap, .timeout = KS_HANG_S(300))
{
    int dfd = open(root, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 5000; i++) {
        cr_assert_eq(mkdirat(dfd, "dd", 0755), 0);
        if (i % 500 == 0) {
            int f = openat(dfd, "file", O_CREAT | O_WRONLY, 0644);
            cr_assert(write(f, "x", 1) == 1);
            close(f);
        }
        int n = openat(dfd, "dd", O_RDONLY | O_DIRECTORY);
        close(dfd);
        dfd = n;
    }
    int f = openat(dfd, "leaf", O_CREAT | O_WRONLY, 0644);
    close(f);
    close(dfd);
    seen s = {0};
    ks_walk_opts o = {.max_open_dirs = 16};
    int before = count_fds();
    ks_walk(root, &o, &OPS, &s);
    cr_assert_eq(s.errors, 0);
    cr_assert_eq(s.files, 11); /* one file every 500 levels, and the leaf */
    cr_assert(s.max_fds <= before + 16 + 2, "fds peaked at %d (before %d)", s.max_fds, before);
    cr_assert_eq(count_fds(), before, "the walker leaked fds");
}

/* A callback that deletes what was just listed, before the walker opens it: a deterministic race. */
static int delete_it(void *ctx, const char *path, const char *name, int is_dir)
{
    (void)ctx;
    if (strncmp(name, "gone", 4) == 0)
        cr_assert_eq(is_dir ? rmdir(path) : unlink(path), 0, "%s", path);
    return 0;
}

/* T10: a file or directory deleted between listing and opening has vanished: counted, not an error. */
Test(walk, vanished_between_listing_and_open_is_not_an_error)
{
    sh("mkdir -p d/gone_dir && echo x > d/keep && echo y > d/gone_file && echo z > d/gone_too");
    char d[128];
    snprintf(d, sizeof d, "%s/d", root);
    seen s = {0};
    ks_walk_opts o = {.is_ignored = delete_it};
    cr_assert_eq(ks_walk(d, &o, &OPS, &s), 0);
    cr_assert_eq(s.files, 1);
    cr_assert_eq(s.errors, 0);
    cr_assert_eq(s.skipped[KS_SKIP_VANISHED], 3);
    /* a root that does not exist is an error: the user named it */
    seen t = {0};
    snprintf(d, sizeof d, "%s/no-such-root", root);
    ks_walk(d, &o, &OPS, &t);
    cr_assert_eq(t.errors, 1);
    cr_assert_eq(t.skipped[KS_SKIP_VANISHED], 0);
}

/* Mounts inside the tree (root only): a procfs is skipped as pseudo, a tmpfs is walked unless
 * one_file_system; the root itself is walked whatever it is. */
Test(walk, pseudo_fs_and_other_mounts_below_the_root)
{
    if (geteuid() != 0)
        cr_skip_test("mounting needs root");
    /* in a mount namespace of this test's own process: the mounts die with it, even on a failure */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        cr_skip_test("no private mount namespace here");
    sh("mkdir -p p m && echo x > top");
    char p[128], m[128];
    snprintf(p, sizeof p, "%s/p", root);
    snprintf(m, sizeof m, "%s/m", root);
    if (mount("proc", p, "proc", 0, NULL) != 0)
        cr_skip_test("cannot mount procfs here");
    cr_assert_eq(mount("tmpfs", m, "tmpfs", 0, NULL), 0);
    sh("echo y > m/in_tmpfs");
    seen s = {0}, x = {0}, r = {0};
    ks_walk_opts o = {0}, ox = {.one_file_system = 1};
    ks_walk(root, &o, &OPS, &s);
    ks_walk(root, &ox, &OPS, &x);
    char self[160];
    snprintf(self, sizeof self, "%s/self/fdinfo", p); /* inside a pseudo file system, named as the root */
    ks_walk(self, &ox, &OPS, &r);
    umount2(p, MNT_DETACH);
    umount2(m, MNT_DETACH);
    cr_assert_eq(s.files, 2, "top and m/in_tmpfs, got %d", s.files);
    cr_assert_eq(s.skipped[KS_SKIP_PSEUDO_FS], 1);
    cr_assert_eq(s.skipped[KS_SKIP_OTHER_FS], 0);
    cr_assert_eq(x.files, 1);
    cr_assert_eq(x.skipped[KS_SKIP_PSEUDO_FS], 1);
    cr_assert_eq(x.skipped[KS_SKIP_OTHER_FS], 1);
    cr_assert(r.files > 0, "the procfs root itself is walked");
}
