/* test_diff_scan.c: the unified-diff reader (cli/diff_scan.c) read from a descriptor: lines cut between reads, a line
 * over the cap (regression: it was handed on empty, a context line, and the hunk's counts went wrong), a failed read. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diff_scan.h"
#include "strbuf.h"

/* diff_scan.c's messages go to the CLI's stderr helper: here they are counted. */
static int said;
void say(const char *fmt, ...)
{
    (void)fmt;
    said++;
}

/* Every file handed on, as "path\n<body>" one after another. */
static int collect(void *ctx, const char *path, const unsigned char *body, size_t len)
{
    ks_strbuf *b = ctx;
    ks__sb_putn(b, path, strlen(path));
    ks__sb_putn(b, "\n", 1);
    ks__sb_putn(b, (const char *)body, len);
    return 0;
}

static int fd_of(const char *text, size_t n)
{
    int fd = memfd_create("test-diff", 0);
    cr_assert(fd >= 0 && write(fd, text, n) == (ssize_t)n && lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

static void parse_fd(const char *text, size_t piece, size_t line_max, ks_strbuf *out, diff_result *r)
{
    cr_assert_eq(diff_parse_fd(fd_of(text, strlen(text)), piece, line_max, "t", 0, collect, out, r), 0);
}

Test(diff_scan, lines_cut_between_reads_give_what_the_whole_text_gives)
{
    const char *d = "diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -1,3 +1,4 @@\n keep\n-old\n+new1\n"
                    "+new2\n keep2\n\\ No newline at end of file\n--- /dev/null\n+++ b/y.txt\n@@ -0,0 +1,2 @@\n"
                    "+a\r\n+last line without newline";
    ks_strbuf whole = {0};
    diff_result rw;
    cr_assert_eq(diff_parse((const unsigned char *)d, strlen(d), "t", 0, collect, &whole, &rw), 0);
    cr_assert_str_eq(whole.s, "x.txt\n\nnew1\nnew2\ny.txt\na\r\nlast line without newline\n");
    for (size_t piece = 1; piece <= 70; piece++) {
        ks_strbuf got = {0};
        diff_result r;
        parse_fd(d, piece, SIZE_MAX, &got, &r);
        cr_assert_str_eq(got.s, whole.s, "pieces of %zu", piece);
        cr_assert_eq(r.files, rw.files);
        cr_assert_eq(r.malformed, rw.malformed);
        cr_assert_eq(r.read_error, 0);
        ks__sb_free(&got);
    }
    ks__sb_free(&whole);
}

Test(diff_scan, r_a_line_over_the_cap_keeps_the_hunk_counts)
{
    /* a removed line over the cap, then an added one: still inside the hunk, at the new side's line 1 */
    const char *removed = "diff --git a/d.txt b/d.txt\n--- a/d.txt\n+++ b/d.txt\n@@ -1,1 +1,1 @@\n-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n+K=1\n";
    /* a context line over the cap: the added line after it is the new side's line 2, not 3 */
    const char *context = "diff --git a/e.txt b/e.txt\n--- a/e.txt\n+++ b/e.txt\n@@ -1,3 +1,3 @@\n-x\n bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
                          "+K=2\n ctx\n";
    for (size_t piece = 3; piece <= 64; piece += 61) {
        ks_strbuf got = {0};
        diff_result r;
        said = 0;
        parse_fd(removed, piece, 30, &got, &r);
        cr_assert_str_eq(got.s, "d.txt\nK=1\n", "pieces of %zu", piece);
        cr_assert_eq(r.malformed, 1);
        cr_assert_eq(said, 1, "the long line is said");
        ks__sb_free(&got);
        got = (ks_strbuf){0};
        parse_fd(context, piece, 30, &got, &r);
        cr_assert_str_eq(got.s, "e.txt\n\nK=2\n", "pieces of %zu", piece);
        ks__sb_free(&got);
    }
}

Test(diff_scan, a_failed_read_is_handed_back_and_what_came_before_is_kept)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY); /* read() fails: EISDIR */
    cr_assert(fd >= 0);
    ks_strbuf got = {0};
    diff_result r;
    cr_assert_eq(diff_parse_fd(fd, 64, SIZE_MAX, "t", 0, collect, &got, &r), 0);
    cr_assert_eq(r.read_error, EISDIR);
    cr_assert_eq(r.files, 0);
    ks__sb_free(&got);
}
