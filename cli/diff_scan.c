/* diff_scan.c: a unified diff's added lines, each file's laid out as its new side (the lines the diff does not add
 * left empty, so that line numbers are the new file's) in an in-memory file submitted under the file's path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff_scan.h"
#include "options.h"
#include "strbuf.h"

static int starts(const unsigned char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

int diff_looks_like(const unsigned char *t, size_t len)
{
    const unsigned char *p = t, *end = t + len;
    for (int line = 0; p < end && line < 40; line++) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (starts(p, n, "diff --git "))
            return 1;
        if (starts(p, n, "--- ") && nl && starts(nl + 1, (size_t)(end - nl - 1), "+++ "))
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

int diff_fd_looks_like(int fd)
{
    unsigned char b[8192];
    ssize_t n = -1;
    struct stat st;
    if (fstat(fd, &st))
        return 0;
    if (S_ISREG(st.st_mode)) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        n = at < 0 ? -1 : pread(fd, b, sizeof b, at);
    } else if (S_ISFIFO(st.st_mode)) {
        int pp[2];
        if (pipe(pp))
            return 0;
        n = tee(fd, pp[1], sizeof b, 0); /* copies what the pipe holds without taking it */
        if (n > 0)
            n = read(pp[0], b, (size_t)n);
        close(pp[0]);
        close(pp[1]);
    }
    return n > 0 && diff_looks_like(b, (size_t)n);
}

/* A path as git writes it after ---/+++ or in "diff --git": C-quoted when it holds odd bytes ("b/a\"b"); a plain
 * diff's is followed by a tab and a date. Into out; 0, or -1 when malformed. */
static int unquote_path(const unsigned char *p, size_t n, ks_strbuf *out)
{
    out->len = 0;
    if (out->s)
        out->s[0] = '\0';
    if (n && p[0] == '"') {
        for (size_t i = 1; i < n; i++) {
            unsigned char c = p[i];
            if (c == '"')
                return out->oom ? -1 : 0;
            if (c != '\\') {
                ks__sb_putn(out, (const char *)&c, 1);
                continue;
            }
            if (++i >= n)
                return -1;
            static const char from[] = "abtnvfr\"\\", to[] = "\a\b\t\n\v\f\r\"\\";
            const char *e = strchr(from, p[i]);
            if (e && p[i]) {
                ks__sb_putn(out, &to[e - from], 1);
            } else if (p[i] >= '0' && p[i] <= '3' && i + 2 < n) { /* \ooo: a byte, as git writes UTF-8 */
                unsigned char v = (unsigned char)((p[i] - '0') * 64 + (p[i + 1] - '0') * 8 + (p[i + 2] - '0'));
                ks__sb_putn(out, (const char *)&v, 1);
                i += 2;
            } else {
                return -1;
            }
        }
        return -1;
    }
    const unsigned char *tab = memchr(p, '\t', n);
    size_t k = tab ? (size_t)(tab - p) : n;
    while (k && (p[k - 1] == '\r' || (!tab && p[k - 1] == ' ')))
        k--;
    ks__sb_putn(out, (const char *)p, k);
    return out->oom ? -1 : 0;
}

struct diff_parser {
    diff_file_fn on_file;
    void *ctx;
    const char *source;
    uint64_t limit;
    diff_result *r;
    ks_strbuf path, body;
    int have_file;       /* a +++ named a file that may gain lines */
    int git_style;       /* a "diff --git" header: +++ paths carry b/ */
    unsigned long lines; /* lines of body so far */
    int stopped;
    unsigned long line, new_line, old_left, new_left; /* the diff's line; in a hunk: where, and what is left */
};

typedef struct diff_parser dstate;

static void malformed(dstate *d, unsigned long line, const char *why)
{
    if (!d->r->malformed)
        say("%s:%lu: not a unified diff line: %s (what came before it is scanned)", d->source, line, why);
    d->r->malformed = 1;
}

/* The file gathered so far, handed on. */
static void flush_file(dstate *d)
{
    if (d->have_file && d->lines && !d->stopped) {
        d->r->files++;
        if (d->on_file(d->ctx, d->path.s, (const unsigned char *)d->body.s, d->body.len))
            d->stopped = 1;
    }
    d->have_file = 0;
}

/* "@@ -a[,b] +c[,d] @@": the new side's first line and the two sides' lengths. */
static int hunk_header(const unsigned char *p, size_t n, unsigned long *c, unsigned long *old_left,
                       unsigned long *new_left)
{
    char h[256];
    size_t k = n < sizeof h - 1 ? n : sizeof h - 1;
    memcpy(h, p, k);
    h[k] = '\0';
    unsigned long a, b = 1, d = 1;
    int used = 0;
    if (sscanf(h, "@@ -%lu%n", &a, &used) != 1)
        return -1;
    const char *q = h + used;
    if (*q == ',' && sscanf(q, ",%lu%n", &b, &used) == 1)
        q += used;
    if (sscanf(q, " +%lu%n", c, &used) != 1)
        return -1;
    q += used;
    if (*q == ',' && sscanf(q, ",%lu%n", &d, &used) == 1)
        q += used;
    if (strncmp(q, " @@", 3))
        return -1;
    *old_left = b;
    *new_left = d;
    return 0;
}

diff_parser *diff_parser_new(const char *source, uint64_t limit, diff_file_fn on_file, void *ctx, diff_result *r)
{
    memset(r, 0, sizeof *r);
    dstate *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->on_file = on_file;
    d->ctx = ctx;
    d->source = source;
    d->limit = limit ? limit : UINT32_MAX;
    d->r = r;
    return d;
}

int diff_parser_line(diff_parser *d, const unsigned char *l, size_t n)
{
    diff_result *r = d->r;
    const char *source = d->source;
    if (d->stopped)
        return -1;
    unsigned long line = ++d->line;
    if (d->old_left || d->new_left) { /* inside a hunk: its counts say where it ends, whatever a line looks like */
        char c = n ? (char)l[0] : ' ';
        if (c == '+' && d->new_left) {
            /* the lines before it that the diff does not add are left empty: the limit is checked first,
             * so a hunk that claims to start at line 4,000,000,000 costs nothing */
            uint64_t gap = d->new_line - 1 > d->lines ? d->new_line - 1 - d->lines : 0;
            if (d->have_file && (gap > d->limit || d->body.len + gap + n > d->limit)) {
                say("%s:%lu: %s: the added lines reach past %llu bytes: the rest of it is not scanned", source,
                    line, d->path.s, (unsigned long long)d->limit);
                r->malformed = 1;
                flush_file(d);
            }
            if (d->have_file) {
                for (; d->lines + 1 < d->new_line; d->lines++)
                    ks__sb_putn(&d->body, "\n", 1);
                ks__sb_putn(&d->body, (const char *)l + 1, n - 1);
                ks__sb_putn(&d->body, "\n", 1);
                d->lines = d->new_line;
                if (d->body.oom) {
                    say("%s:%lu: %s: out of memory: the rest of it is not scanned", source, line, d->path.s);
                    r->malformed = 1;
                    d->have_file = 0;
                }
            }
            d->new_line++;
            d->new_left--;
        } else if (c == '-' && d->old_left) {
            d->old_left--;
        } else if (c == ' ' && d->old_left && d->new_left) { /* context (git writes an empty one as " ") */
            d->new_line++;
            d->old_left--;
            d->new_left--;
        } else if (c == '\\') { /* "\ No newline at end of file" */
        } else {
            malformed(d, line, "the hunk holds fewer lines than its header says");
            d->old_left = d->new_left = 0;
        }
        return d->stopped ? -1 : 0;
    }
    if (starts(l, n, "diff --git ")) {
        flush_file(d);
        d->git_style = 1;
    } else if (starts(l, n, "+++ ")) {
        flush_file(d);
        if (unquote_path(l + 4, n - 4, &d->path) || !d->path.len || strlen(d->path.s) != d->path.len) {
            malformed(d, line, "a +++ line whose path cannot be read");
            d->path.len = 0;
            return d->stopped ? -1 : 0;
        }
        if (!strcmp(d->path.s ? d->path.s : "", "/dev/null"))
            return d->stopped ? -1 : 0; /* a deleted file gains nothing */
        if (d->git_style && d->path.len > 2 && !memcmp(d->path.s, "b/", 2))
            memmove(d->path.s, d->path.s + 2, d->path.len - 1), d->path.len -= 2;
        d->have_file = 1;
        d->body.len = 0;
        d->lines = 0;
    } else if (starts(l, n, "@@ ")) {
        if (hunk_header(l, n, &d->new_line, &d->old_left, &d->new_left)) {
            malformed(d, line, "a hunk header that cannot be read");
            return 0;
        }
        if (!d->new_line)
            d->new_line = 1; /* "+0,0": the hunk adds nothing */
        if (!d->have_file && !d->path.len)
            malformed(d, line, "a hunk before any +++ line");
    }
    /* anything else between files is a header (index, mode, rename, similarity, Binary files ...) */
    return d->stopped ? -1 : 0;
}

int diff_parser_end(diff_parser *d)
{
    if (!d)
        return 0;
    if (d->old_left || d->new_left)
        malformed(d, d->line, "the diff ends inside a hunk");
    flush_file(d);
    int rc = d->stopped ? -1 : 0;
    ks__sb_free(&d->path);
    ks__sb_free(&d->body);
    free(d);
    return rc;
}

int diff_parse(const unsigned char *text, size_t len, const char *source, uint64_t limit, diff_file_fn on_file,
               void *ctx, diff_result *r)
{
    diff_parser *d = diff_parser_new(source, limit, on_file, ctx, r);
    if (!d) {
        say("%s: out of memory: not scanned", source);
        r->malformed = 1;
        return 0;
    }
    const unsigned char *at = text, *end = text + len;
    while (at < end) {
        const unsigned char *nl = memchr(at, '\n', (size_t)(end - at));
        size_t n = nl ? (size_t)(nl - at) : (size_t)(end - at);
        if (diff_parser_line(d, at, n))
            break;
        at = nl ? nl + 1 : end;
    }
    return diff_parser_end(d);
}

typedef struct submit_ctx {
    ks_pipeline *p;
    const char *source;
    uint64_t limit;
    diff_result *r;
} submit_ctx;

/* One file's new side as an in-memory file, named by its path. */
static int submit_file(void *ctx, const char *path, const unsigned char *body, size_t len)
{
    submit_ctx *c = ctx;
    int fd = memfd_create("keysweep-diff", MFD_CLOEXEC);
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t w = write(fd, body + done, len - done);
        if (w <= 0) {
            close(fd);
            fd = -1;
        } else {
            done += (size_t)w;
        }
    }
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        say("%s: %s: cannot hold the added lines in memory: %s", c->source, path, strerror(errno));
        c->r->malformed = 1;
        if (fd >= 0)
            close(fd);
        return 0;
    }
    return ks_pipeline_submit(c->p, fd, path, len, c->limit) ? -1 : 0;
}

#define PART_KEPT ((size_t)1 << 20) /* room for lines kept from one line to the next */

int diff_parse_fd(int fd, size_t piece, size_t line_max, const char *source, uint64_t limit, diff_file_fn on_file,
                  void *ctx, diff_result *r)
{
    diff_parser *d = diff_parser_new(source, limit, on_file, ctx, r);
    unsigned char *buf = malloc(piece ? piece : 1);
    if (!d || !buf) {
        free(buf);
        diff_parser_end(d);
        close(fd);
        say("%s: out of memory: not scanned", source);
        r->malformed = 1;
        return 0;
    }
    ks_strbuf part = {0}; /* a line begun in an earlier read */
    int stopped = 0, too_long = 0;
    ssize_t n;
    while (!stopped && ((n = read(fd, buf, piece)) > 0 || (n < 0 && errno == EINTR))) {
        const unsigned char *at = buf, *end = buf + (n > 0 ? n : 0);
        while (at < end && !stopped) {
            const unsigned char *nl = memchr(at, '\n', (size_t)(end - at));
            size_t k = nl ? (size_t)(nl - at) : (size_t)(end - at);
            if (!too_long && part.len + k > line_max) {
                say("%s: a line longer than %zu bytes: not scanned", source, line_max);
                r->malformed = 1;
                too_long = 1;
                if (!part.len) /* its first byte ('+', '-', ' ') is kept: the hunk's counts go on right */
                    ks__sb_putn(&part, (const char *)at, 1);
                part.len = 1;
            }
            if (!too_long)
                ks__sb_putn(&part, (const char *)at, k);
            if (part.oom) {
                say("%s: out of memory holding a line: the rest is not scanned", source);
                r->malformed = 1;
                stopped = 1;
                break;
            }
            if (!nl)
                break;
            /* a line too long is dropped but for its first byte; the diff goes on after it */
            stopped = diff_parser_line(d, (const unsigned char *)(part.s ? part.s : ""), part.len) != 0;
            part.len = 0;
            too_long = 0;
            if (part.cap > PART_KEPT) /* a long line's room is not kept for the rest of the diff */
                ks__sb_free(&part);
            at = nl + 1;
        }
    }
    if (!stopped && n < 0) /* what came before is scanned; the line it cut is not */
        r->read_error = errno;
    else if (!stopped && part.len) /* the last line, without a newline */
        stopped = diff_parser_line(d, (const unsigned char *)part.s, part.len) != 0;
    ks__sb_free(&part);
    free(buf);
    close(fd);
    return diff_parser_end(d) || stopped ? -1 : 0;
}

int diff_submit_fd(ks_pipeline *p, int fd, const char *source, uint64_t limit, diff_result *r)
{
    submit_ctx c = {p, source, limit, r};
    /* a line over 1 GiB is not held: git writes none (its lines are a file's) */
    return diff_parse_fd(fd, (size_t)1 << 16, (size_t)1 << 30, source, limit, submit_file, &c, r);
}
