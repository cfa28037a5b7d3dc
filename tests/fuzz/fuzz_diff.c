/* fuzz_diff.c: libFuzzer target: any bytes through the unified-diff reader (cli/diff_scan.c) end without a crash, and
 * what it hands on holds together: a non-empty NUL-free path, a body of whole lines that ends at a line it added,
 * no body bigger than the limit plus one line, and no more files than the diff has "+++ " lines; read from a
 * descriptor in small pieces (lines cut between reads), it hands on the very same files. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diff_scan.h"
#include "fuzz_check.h"

/* diff_scan.c's messages go to the CLI's stderr helper: here they are dropped. */
void say(const char *fmt, ...)
{
    (void)fmt;
}

#define LIMIT 4096u

typedef struct seen {
    const unsigned char *diff;
    size_t len;
    unsigned long files;
    unsigned char *log; /* every file handed on: its path, a NUL, its length and body */
    size_t log_len, log_cap;
} seen;

static void log_put(seen *s, const void *p, size_t n)
{
    if (s->log_len + n > s->log_cap) {
        s->log_cap = (s->log_len + n) * 2;
        s->log = realloc(s->log, s->log_cap);
        CHECK(s->log != NULL, "out of memory");
    }
    memcpy(s->log + s->log_len, p, n);
    s->log_len += n;
}

static int on_file(void *ctx, const char *path, const unsigned char *body, size_t len)
{
    seen *s = ctx;
    s->files++;
    CHECK(path && *path, "a file without a path");
    CHECK(len > 0 && body[len - 1] == '\n', "a body that is not whole lines (%zu bytes)", len);
    CHECK(len <= LIMIT + s->len + 1, "a body of %zu bytes past the limit", len);
    /* its last line is one the diff added: "+<line>" is in the diff */
    size_t start = len - 1;
    while (start > 0 && body[start - 1] != '\n')
        start--;
    size_t n = len - 1 - start;
    int found = 0;
    for (size_t i = 0; !found && i + n + 1 <= s->len; i++)
        found = s->diff[i] == '+' && (i == 0 || s->diff[i - 1] == '\n') && memcmp(s->diff + i + 1, body + start, n) == 0;
    CHECK(found, "the last line of %s is not a line the diff adds", path);
    log_put(s, path, strlen(path) + 1);
    log_put(s, &len, sizeof len);
    log_put(s, body, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    seen s = {data, size, 0, NULL, 0, 0};
    diff_result r;
    CHECK(diff_parse(data, size, "fuzz", LIMIT, on_file, &s, &r) == 0, "stopped though on_file never stops it");
    CHECK(r.files == s.files, "%lu files counted, %lu handed on", r.files, s.files);
    unsigned long headers = 0;
    for (size_t i = 0; i + 4 <= size; i++)
        headers += (i == 0 || data[i - 1] == '\n') && memcmp(data + i, "+++ ", 4) == 0;
    CHECK(s.files <= headers, "%lu files from %lu +++ lines", s.files, headers);
    /* the same bytes read from a descriptor, 1 to 64 bytes a read */
    int fd = memfd_create("fuzz-diff", 0);
    CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0, "memfd");
    seen t = {data, size, 0, NULL, 0, 0};
    diff_result rt;
    size_t piece = 1 + (size * 31 + (size ? data[size - 1] : 0)) % 64;
    CHECK(diff_parse_fd(fd, piece, SIZE_MAX, "fuzz", LIMIT, on_file, &t, &rt) == 0, "stopped though on_file never stops it");
    CHECK(t.log_len == s.log_len && (!s.log_len || memcmp(t.log, s.log, s.log_len) == 0) &&
              rt.files == r.files && rt.malformed == r.malformed,
          "read in pieces of %zu: %lu files, not the %lu of the whole text", piece, t.files, s.files);
    free(s.log);
    free(t.log);
    return 0;
}
