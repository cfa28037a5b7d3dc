/* baseline.c: a strict little JSON reader that collects the "fingerprint" of each finding in a keysweep report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "baseline.h"
#include "file_read.h"
#include "hex.h"

/* A whole JSON parser would be a dependency for one key. This one checks the full syntax (so a
 * truncated or foreign file is refused, not half-read) and reads only what a report holds: a
 * sequence of finding objects (jsonl) or one array of them (json). */
typedef struct jp {
    const char *s, *p, *end;
    const char *err;
    baseline *b;
} jp;

#define MAX_DEPTH 64

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int fail(jp *j, const char *what)
{
    if (!j->err)
        j->err = what;
    return -1;
}

/* A string at j->p; on success *raw and *rawlen give the bytes between the quotes (escapes undecoded). */
static int string(jp *j, const char **raw, size_t *rawlen)
{
    if (j->p >= j->end || *j->p != '"')
        return fail(j, "expected a string");
    const char *start = ++j->p;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return fail(j, "control character in a string");
        if (c == '\\') {
            if (++j->p >= j->end)
                break;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (j->p + i >= j->end || ks__hex_value(j->p[i]) < 0)
                        return fail(j, "bad \\u escape");
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", *j->p)) {
                return fail(j, "bad escape");
            }
        }
        j->p++;
    }
    if (j->p >= j->end)
        return fail(j, "unterminated string");
    *raw = start;
    *rawlen = (size_t)(j->p - start);
    j->p++;
    return 0;
}

static int literal(jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
        return fail(j, "expected a JSON value");
    j->p += n;
    return 0;
}

static int number(jp *j)
{
    const char *q = j->p;
    if (q < j->end && *q == '-')
        q++;
    const char *d = q;
    while (q < j->end && *q >= '0' && *q <= '9')
        q++;
    if (q == d)
        return fail(j, "expected a JSON value");
    if (q < j->end && *q == '.') {
        d = ++q;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return fail(j, "bad number");
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        d = q;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return fail(j, "bad number");
    }
    j->p = q;
    return 0;
}

static int value(jp *j, int depth);

/* Members of an object or elements of an array, after the opening bracket. */
static int container(jp *j, int depth, char close, int is_object)
{
    if (depth > MAX_DEPTH)
        return fail(j, "nested too deeply");
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        ws(j);
        if (is_object) {
            const char *k;
            size_t kn;
            if (string(j, &k, &kn))
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return fail(j, "expected ':'");
            j->p++;
            ws(j);
        }
        if (value(j, depth + 1))
            return -1;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        return fail(j, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int value(jp *j, int depth)
{
    const char *raw;
    size_t n;
    if (j->p >= j->end)
        return fail(j, "unexpected end of file");
    switch (*j->p) {
    case '"': return string(j, &raw, &n);
    case '{': j->p++; return container(j, depth, '}', 1);
    case '[': j->p++; return container(j, depth, ']', 0);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    default: return number(j);
    }
}

static int add(baseline *b, uint64_t v)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        uint64_t *fp = realloc(b->fp, cap * sizeof *fp);
        if (!fp)
            return -1;
        b->fp = fp;
        b->cap = cap;
    }
    b->fp[b->n++] = v;
    return 0;
}

/* 16 hex digits, as keysweep writes them; returns 0 and the value, or -1. */
static int parse_fp(const char *s, size_t n, uint64_t *out)
{
    if (n != 16)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        int h = ks__hex_value(s[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (uint64_t)h;
    }
    *out = v;
    return 0;
}

/* One finding: an object whose "fingerprint" member is collected; every other member is checked and skipped. */
static int finding(jp *j)
{
    if (j->p >= j->end || *j->p != '{')
        return fail(j, "expected a finding object");
    j->p++;
    int have = 0;
    ws(j);
    if (j->p < j->end && *j->p == '}')
        return fail(j, "a finding without a \"fingerprint\"");
    for (;;) {
        const char *k, *v;
        size_t kn, vn;
        ws(j);
        if (string(j, &k, &kn))
            return -1;
        ws(j);
        if (j->p >= j->end || *j->p != ':')
            return fail(j, "expected ':'");
        j->p++;
        ws(j);
        if (kn == 11 && memcmp(k, "fingerprint", 11) == 0) {
            uint64_t fp;
            if (string(j, &v, &vn))
                return -1;
            if (parse_fp(v, vn, &fp))
                return fail(j, "a \"fingerprint\" that is not 16 hex digits");
            if (add(j->b, fp))
                return fail(j, "out of memory");
            have = 1;
        } else if (value(j, 2)) {
            return -1;
        }
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }
        return fail(j, "expected ',' or '}'");
    }
    return have ? 0 : fail(j, "a finding without a \"fingerprint\"");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int baseline_parse(baseline *b, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    jp j = {text, text, text + len, NULL, b};
    /* jsonl: any number of finding objects; json: one array of them (possibly empty) */
    for (;;) {
        ws(&j);
        if (j.p >= j.end)
            break;
        if (*j.p == '[') {
            j.p++;
            ws(&j);
            if (j.p < j.end && *j.p == ']') {
                j.p++;
                continue;
            }
            for (;;) {
                ws(&j);
                if (finding(&j))
                    break;
                ws(&j);
                if (j.p < j.end && *j.p == ',') {
                    j.p++;
                    continue;
                }
                if (j.p < j.end && *j.p == ']') {
                    j.p++;
                    break;
                }
                fail(&j, "expected ',' or ']'");
                break;
            }
        } else {
            finding(&j);
        }
        if (j.err)
            break;
    }
    if (j.err) {
        unsigned long line = 1;
        for (const char *q = text; q < j.p && q < j.end; q++)
            line += *q == '\n';
        snprintf(err, errlen, "baseline %s: line %lu: %s (expected a keysweep json or jsonl report)", name, line,
                 j.err);
        return -1;
    }
    if (b->n > 1) /* an empty baseline has no array: qsort(NULL, 0) is undefined behaviour */
        qsort(b->fp, b->n, sizeof *b->fp, cmp_u64);
    return 0;
}

int baseline_load(baseline *b, const char *path, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    char *text = NULL;
    size_t len = 0;
    int rc = ks__file_read(path, 0, (size_t)4 << 30, &text, &len);
    if (rc) {
        snprintf(err, errlen, "baseline %s: %s", path, rc == -EINVAL ? "not a regular file" : strerror(-rc));
        return -1;
    }
    rc = baseline_parse(b, text, len, path, err, errlen);
    ks__free(text);
    if (rc)
        baseline_free(b);
    return rc;
}

int baseline_has(const baseline *b, const char *fingerprint)
{
    uint64_t v;
    if (!b->n || parse_fp(fingerprint, strlen(fingerprint), &v))
        return 0;
    return bsearch(&v, b->fp, b->n, sizeof *b->fp, cmp_u64) != NULL;
}

void baseline_free(baseline *b)
{
    free(b->fp);
    memset(b, 0, sizeof *b);
}
