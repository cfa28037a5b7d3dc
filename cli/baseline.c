/* baseline.c: a strict little JSON reader that collects what identifies each finding of a keysweep, Gitleaks
 * or TruffleHog report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "baseline.h"
#include "escape.h"
#include "file_read.h"
#include "hex.h"

/* A whole JSON parser would be a dependency for a few keys. This one checks the full syntax (so a
 * truncated or foreign file is refused, not half-read) and reads only what a report holds: a
 * sequence of finding objects (keysweep's jsonl, TruffleHog's --json) or one array of them
 * (keysweep's json, Gitleaks' report). Each finding says by its members which tool wrote it. */
typedef struct jp {
    const char *s, *p, *end;
    const char *err;
    baseline *b;
    size_t entry;         /* findings met so far: the one an error is in */
    int kind_known;       /* the finding in error said which tool wrote it */
    const char *entry_at; /* where that finding starts: the line an error in what it holds names */
    ks_strbuf text[3];    /* decoded strings of the finding being read */
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
struct field;
static int member_value(jp *j, struct field *f, const char *path, size_t plen, int depth);

/* Members of an object or elements of an array, after the opening bracket. With f, an object's
 * members are those of a finding at `path` (plen bytes), whose fields member_value keeps. */
static int container(jp *j, int depth, char close, int is_object, struct field *f, const char *path, size_t plen)
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
        char sub[64]; /* the member's path: "SourceMetadata.Data" */
        size_t sn = 0;
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
            if (f && kn && plen + 1 + kn < sizeof sub) { /* a longer path is none of ours */
                memcpy(sub, path, plen);
                sub[plen] = '.';
                sn = plen + (plen != 0) + kn;
                memcpy(sub + sn - kn, k, kn);
            }
        }
        if (sn ? member_value(j, f, sub, sn, depth + 1) : value(j, depth + 1))
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
    case '{': j->p++; return container(j, depth, '}', 1, NULL, NULL, 0);
    case '[': j->p++; return container(j, depth, ']', 0, NULL, NULL, 0);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    default: return number(j);
    }
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

/* The members of a finding the baseline reads, by their path from the finding ("SourceMetadata.Data.Git.file").
 * Which are present says which tool wrote the report. */
enum {
    F_FINGERPRINT,  /* keysweep */
    F_GL_FP,        /* Gitleaks: Fingerprint, else File, RuleID, StartLine and Commit */
    F_GL_FILE,
    F_GL_RULE,
    F_GL_LINE,
    F_GL_COMMIT,
    F_TH_META,      /* TruffleHog: SourceMetadata, Raw, and the filesystem's or git's file and line */
    F_TH_RAW,
    F_TH_FS_FILE,
    F_TH_FS_LINE,
    F_TH_GIT_COMMIT,
    F_TH_GIT_FILE,
    F_TH_GIT_LINE,
    F_TH_STDIN_LINE, /* keysweep's trufflehog format gives its stdin source a line; TruffleHog's is empty */
    F_N
};

static const char *const FIELD_PATH[F_N] = {
    "fingerprint", "Fingerprint", "File", "RuleID", "StartLine", "Commit", "SourceMetadata", "Raw",
    "SourceMetadata.Data.Filesystem.file", "SourceMetadata.Data.Filesystem.line", "SourceMetadata.Data.Git.commit",
    "SourceMetadata.Data.Git.file", "SourceMetadata.Data.Git.line", "SourceMetadata.Data.Stdin.line",
};

typedef struct field {
    const char *v; /* NULL: absent */
    size_t n;
    char kind; /* '"' string, '0' number, '{' object, '?' another value */
} field;

/* A member's value at j->p, whose path from the finding is path[0..plen) ("" for the finding itself): kept
 * when it is one of FIELD_PATH (a string's bytes between its quotes, a number's digits), walked into when it
 * is an object on the way to one, checked and skipped otherwise. */
static int member_value(jp *j, field *f, const char *path, size_t plen, int depth)
{
    int want = -1, on_the_way = plen == 0;
    for (int i = 0; plen && i < F_N; i++) {
        size_t n = strlen(FIELD_PATH[i]);
        if (n == plen && memcmp(FIELD_PATH[i], path, plen) == 0)
            want = i;
        else if (n > plen && memcmp(FIELD_PATH[i], path, plen) == 0 && FIELD_PATH[i][plen] == '.')
            on_the_way = 1;
    }
    const char *at = j->p;
    int rc;
    if (j->p < j->end && *j->p == '{' && on_the_way) {
        j->p++;
        rc = container(j, depth, '}', 1, f, path, plen);
    } else {
        rc = value(j, depth);
    }
    if (rc || want < 0)
        return rc;
    char c = *at;
    if (c == '"')
        f[want] = (field){at + 1, (size_t)(j->p - at) - 2, '"'};
    else
        f[want] = (field){at, (size_t)(j->p - at), c == '-' || (c >= '0' && c <= '9') ? '0' : c == '{' ? '{' : '?'};
    return 0;
}

/* A line number: a JSON integer from 1 on. */
static int line_of(const field *f, uint64_t *line)
{
    if (!f->v || f->kind != '0' || f->n > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i] < '0' || f->v[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(f->v[i] - '0');
    }
    *line = v;
    return v ? 0 : -1;
}

/* The decoded bytes of string field f, in j's scratch buffer number `which` (0 to 2). */
static const char *text_of(jp *j, const field *f, int which, size_t *n)
{
    ks_strbuf *b = &j->text[which];
    b->len = 0;
    json_unescape(b, f->v, f->n);
    if (b->oom)
        return NULL;
    *n = b->len;
    return b->s;
}

/* An error in what a whole finding holds (read without error): named by the line the finding starts on. */
static int bad_entry(jp *j, const char *what)
{
    j->p = j->entry_at;
    return fail(j, what);
}

static int add_key(jp *j, fp_set *s, uint64_t v) { return fp_set_add(s, v) ? fail(j, "out of memory") : 0; }

/* A Gitleaks finding: its Fingerprint, else the fields it is made of. */
static int gitleaks_entry(jp *j, const field *f)
{
    j->kind_known = 1;
    peer_place p = {0};
    if (f[F_GL_FP].v) {
        if (f[F_GL_FP].kind != '"')
            return bad_entry(j, "a Gitleaks \"Fingerprint\" that is not a string");
        size_t n = 0;
        const char *fp = text_of(j, &f[F_GL_FP], 0, &n);
        if (!fp)
            return fail(j, "out of memory");
        if (gitleaks_fingerprint_split(fp, n, &p))
            return bad_entry(j, "a Gitleaks \"Fingerprint\" that is neither file:rule-id:line nor "
                                "commit:file:rule-id:line");
        return add_key(j, &j->b->peer, gitleaks_key(&p));
    }
    if (!f[F_GL_FILE].v || f[F_GL_FILE].kind != '"' || !f[F_GL_RULE].v || f[F_GL_RULE].kind != '"')
        return bad_entry(j, "a Gitleaks finding without a \"Fingerprint\", or a \"File\" and \"RuleID\"");
    if (line_of(&f[F_GL_LINE], &p.line))
        return bad_entry(j, "a Gitleaks finding without a \"StartLine\" (a line number)");
    if (f[F_GL_COMMIT].v && f[F_GL_COMMIT].kind != '"')
        return bad_entry(j, "a Gitleaks \"Commit\" that is not a string");
    if (!(p.file = text_of(j, &f[F_GL_FILE], 0, &p.file_len)) || !(p.rule = text_of(j, &f[F_GL_RULE], 1, &p.rule_len)))
        return fail(j, "out of memory");
    p.commit = "";
    if (f[F_GL_COMMIT].v && !(p.commit = text_of(j, &f[F_GL_COMMIT], 2, &p.commit_len)))
        return fail(j, "out of memory");
    return add_key(j, &j->b->peer, gitleaks_key(&p));
}

/* A TruffleHog result: the same secret (Raw) in the same file at the same line, and for git the same commit. */
static int trufflehog_entry(jp *j, const field *f)
{
    j->kind_known = 1;
    peer_place p = {.commit = ""};
    int git = f[F_TH_GIT_FILE].v != NULL;
    const field *file = &f[git ? F_TH_GIT_FILE : F_TH_FS_FILE], *line = &f[git ? F_TH_GIT_LINE : F_TH_FS_LINE];
    if (!git && !file->v && f[F_TH_STDIN_LINE].v) { /* standard input, which the scan names "-" */
        static const field dash = {"-", 1, '"'};
        file = &dash;
        line = &f[F_TH_STDIN_LINE];
    }
    if (!file->v || file->kind != '"')
        return bad_entry(j, "a TruffleHog result without SourceMetadata.Data.Filesystem.file (or Data.Git.file)");
    if (line_of(line, &p.line))
        return bad_entry(j, git ? "a TruffleHog result without SourceMetadata.Data.Git.line (a line number)"
                           : "a TruffleHog result without SourceMetadata.Data.Filesystem.line (a line number)");
    if (git && (!f[F_TH_GIT_COMMIT].v || f[F_TH_GIT_COMMIT].kind != '"'))
        return bad_entry(j, "a TruffleHog result without SourceMetadata.Data.Git.commit");
    if (!f[F_TH_RAW].v || f[F_TH_RAW].kind != '"')
        return bad_entry(j, "a TruffleHog result without \"Raw\" (the secret)");
    size_t raw_len = 0;
    const char *raw;
    if (!(p.file = text_of(j, file, 0, &p.file_len)) || !(raw = text_of(j, &f[F_TH_RAW], 1, &raw_len)) ||
        (git && !(p.commit = text_of(j, &f[F_TH_GIT_COMMIT], 2, &p.commit_len))))
        return fail(j, "out of memory");
    return add_key(j, &j->b->peer, trufflehog_key(&p, (const unsigned char *)raw, raw_len));
}

/* One finding, of whichever report it is in: keysweep's (its "fingerprint"), Gitleaks' or TruffleHog's. */
static int finding(jp *j)
{
    if (j->p >= j->end || *j->p != '{')
        return fail(j, "expected a finding object");
    j->entry++;
    j->entry_at = j->p;
    field f[F_N];
    memset(f, 0, sizeof f);
    if (member_value(j, f, "", 0, 2))
        return -1;
    if (f[F_FINGERPRINT].v) {
        uint64_t fp;
        j->kind_known = 1;
        if (f[F_FINGERPRINT].kind != '"' || parse_fp(f[F_FINGERPRINT].v, f[F_FINGERPRINT].n, &fp))
            return bad_entry(j, "a \"fingerprint\" that is not 16 hex digits");
        return add_key(j, &j->b->own, fp);
    }
    if (f[F_TH_META].v)
        return trufflehog_entry(j, f);
    if (f[F_GL_FP].v || f[F_GL_RULE].v)
        return gitleaks_entry(j, f);
    return bad_entry(j, "neither a keysweep finding (\"fingerprint\"), a Gitleaks finding (\"Fingerprint\") nor a "
                        "TruffleHog result (\"SourceMetadata\")");
}

int baseline_parse(baseline *b, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    jp j = {.s = text, .p = text, .end = text + len, .b = b};
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
    for (int i = 0; i < 3; i++)
        ks__sb_free(&j.text[i]);
    if (j.err) {
        unsigned long line = 1;
        for (const char *q = text; q < j.p && q < j.end; q++)
            line += *q == '\n';
        char entry[48] = "";
        if (j.entry)
            snprintf(entry, sizeof entry, ", finding %zu", j.entry);
        snprintf(err, errlen, "baseline %s: line %lu%s: %s%s", name, line, entry, j.err,
                 j.kind_known ? ""
                              : " (expected a keysweep json or jsonl report, Gitleaks' JSON report or TruffleHog's "
                                "--json lines)");
        return -1;
    }
    fp_set_seal(&b->own);
    fp_set_seal(&b->peer);
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
    return b->own.n && parse_fp(fingerprint, strlen(fingerprint), &v) == 0 && fp_set_has(&b->own, v);
}

int baseline_has_peer(const baseline *b, const peer_place *p, const ks_match *m)
{
    return b->peer.n && (fp_set_has(&b->peer, gitleaks_key(p)) ||
                         fp_set_has(&b->peer, trufflehog_key(p, m->secret, m->secret_len)));
}

void baseline_free(baseline *b)
{
    fp_set_free(&b->own);
    fp_set_free(&b->peer);
}
