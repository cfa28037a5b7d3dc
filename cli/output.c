/* output.c: the report writer (buffered whole lines, temp file + rename, error tracking) and the jsonl/text formats. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

#define OUT_FLUSH_AT (256 * 1024)

int out_open(out_writer *w, const char *path)
{
    memset(w, 0, sizeof *w);
    w->fd = STDOUT_FILENO;
    if (!path)
        return 0;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or a pipe (e.g. /dev/stdout, /dev/full): write to it directly */
        w->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return w->fd < 0 ? -errno : 0;
    }
    size_t n = strlen(path) + 32;
    w->tmp_path = malloc(n);
    w->final_path = strdup(path);
    if (!w->tmp_path || !w->final_path)
        return -ENOMEM;
    snprintf(w->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    return w->fd < 0 ? -errno : 0;
}

int out_flush(out_writer *w)
{
    size_t off = 0;
    while (!w->err && off < w->buf.len) {
        ssize_t r = write(w->fd, w->buf.s + off, w->buf.len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            w->err = r < 0 ? errno : EIO;
        else
            off += (size_t)r;
    }
    w->buf.len = 0;
    return w->err ? -w->err : 0;
}

int out_close(out_writer *w, int commit)
{
    int rc = out_flush(w);
    if (w->tmp_path) {
        if (!rc && fsync(w->fd) && errno != EINVAL)
            rc = -errno;
        if (close(w->fd) && !rc)
            rc = -errno;
        if (commit && !rc) {
            if (rename(w->tmp_path, w->final_path))
                rc = -errno;
        }
        if (!commit || rc)
            unlink(w->tmp_path);
    } else if (w->fd != STDOUT_FILENO) {
        if (close(w->fd) && !rc)
            rc = -errno;
    }
    if (rc && !w->err)
        w->err = -rc;
    free(w->tmp_path);
    free(w->final_path);
    ks__sb_free(&w->buf);
    return rc;
}

void finding_fingerprint(char out[17], const char *path, const char *rule_id, unsigned long long start)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    char num[24];
    size_t i = sizeof num - 1;
    num[i] = '\0';
    do /* decimal, by hand: this runs once per finding */
        num[--i] = (char)('0' + start % 10);
    while (start /= 10);
    const char *parts[3] = {path, rule_id, num + i};
    for (int p = 0; p < 3; p++) {
        for (const unsigned char *c = (const unsigned char *)parts[p]; ; c++) {
            h ^= *c;
            h *= 0x100000001b3ULL;
            if (!*c)
                break;
        }
    }
    static const char hex[] = "0123456789abcdef";
    for (int k = 15; k >= 0; k--, h >>= 4)
        out[k] = hex[h & 15];
    out[16] = '\0';
}

/* ,"name":"the bytes" and, when they are not UTF-8, ,"name_b64":"them exactly". Three of these run per
 * jsonl finding: no printf (two vsnprintf calls each took a tenth of the writer's time, a finding a line). */
static void json_bytes_field(ks_strbuf *b, const char *name, const unsigned char *s, size_t n)
{
    ks__sb_putn(b, ",\"", 2);
    ks__sb_puts(b, name);
    ks__sb_putn(b, "\":", 2);
    if (!json_string(b, s, n)) {
        ks__sb_putn(b, ",\"", 2);
        ks__sb_puts(b, name);
        ks__sb_putn(b, "_b64\":\"", 7);
        base64(b, s, n);
        ks__sb_putn(b, "\"", 1);
    }
}

static const struct { const char *name; out_format fmt; } names[] = {
    {"text", FMT_TEXT}, {"jsonl", FMT_JSONL}, {"json", FMT_JSON},
    {"sarif", FMT_SARIF}, {"trufflehog", FMT_TRUFFLEHOG}, {"gitleaks", FMT_GITLEAKS},
    {"csv", FMT_CSV}, {"junit", FMT_JUNIT}};

const char *out_format_name(size_t i) { return i < sizeof names / sizeof names[0] ? names[i].name : NULL; }

int out_format_parse(const char *name, out_format *fmt)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *fmt = names[i].fmt;
            return 0;
        }
    }
    return -1;
}

int out_format_from_extension(const char *path, out_format *fmt)
{
    static const struct { const char *ext; out_format fmt; } exts[] = {
        {".sarif", FMT_SARIF}, {".json", FMT_JSON}, {".jsonl", FMT_JSONL}, {".csv", FMT_CSV}, {".xml", FMT_JUNIT}};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return -1;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (strcasecmp(dot, exts[i].ext) == 0) {
            *fmt = exts[i].fmt;
            return 0;
        }
    }
    return -1;
}

const char *finding_severity(const ks_match *m) { return m->severity ? m->severity : "high"; }

const char *finding_near_miss(const ks_match *m)
{
    return m->near_miss_reason && m->near_miss_reason[0] ? m->near_miss_reason : "validation";
}

const char *finding_where(ks_strbuf *scratch, const char *path, const ks_match *m)
{
    if (!m->object)
        return path;
    scratch->len = 0;
    ks__sb_puts(scratch, path);
    ks__sb_putn(scratch, "!", 1);
    ks__sb_puts(scratch, m->object);
    return scratch->oom ? path : scratch->s;
}

void format_jsonl_object(ks_strbuf *b, const char *path, const ks_match *m, const finding_git *g)
{
    char fp[17];
    ks_strbuf where = {0};
    finding_fingerprint(fp, finding_where(&where, path, m), m->rule_id, (unsigned long long)m->start);
    ks__sb_free(&where);
    ks__sb_puts(b, "{\"rule_id\":");
    json_string(b, (const unsigned char *)m->rule_id, strlen(m->rule_id));
    ks__sb_puts(b, ",\"rule_name\":");
    json_string(b, (const unsigned char *)m->rule_name, strlen(m->rule_name));
    json_bytes_field(b, "path", (const unsigned char *)path, strlen(path));
    if (m->object)
        json_bytes_field(b, "object", (const unsigned char *)m->object, strlen(m->object));
    ks__sb_puts(b, ",\"start\":");
    ks__sb_put_u64(b, m->start);
    ks__sb_puts(b, ",\"end\":");
    ks__sb_put_u64(b, m->end);
    ks__sb_puts(b, ",\"line\":");
    ks__sb_put_u64(b, m->line);
    ks__sb_puts(b, ",\"column\":");
    ks__sb_put_u64(b, m->column);
    ks__sb_puts(b, ",\"secret_start\":");
    ks__sb_put_u64(b, m->secret_start);
    ks__sb_puts(b, ",\"secret_end\":");
    ks__sb_put_u64(b, m->secret_end);
    ks__sb_puts(b, ",\"severity\":");
    json_string(b, (const unsigned char *)finding_severity(m), strlen(finding_severity(m)));
    json_bytes_field(b, "secret", m->secret, m->secret_len);
    json_bytes_field(b, "match", m->match, m->match_len);
    ks__sb_puts(b, ",\"validator\":");
    json_string(b, (const unsigned char *)m->validator, strlen(m->validator));
    if (m->near_miss) { /* the check that failed */
        ks__sb_puts(b, ",\"near_miss\":");
        json_string(b, (const unsigned char *)finding_near_miss(m), strlen(finding_near_miss(m)));
    }
    if (m->known_test_key)
        ks__sb_puts(b, ",\"known_test_key\":true");
    if (m->decoder) { /* as TruffleHog's DecoderName: what made the bytes the secret is in, outermost first */
        ks__sb_puts(b, ",\"decoders\":[");
        for (const char *d = m->decoder;;) {
            const char *comma = strchr(d, ',');
            size_t n = comma ? (size_t)(comma - d) : strlen(d);
            json_string(b, (const unsigned char *)d, n);
            if (!comma)
                break;
            ks__sb_putn(b, ",", 1);
            d = comma + 1;
        }
        ks__sb_putn(b, "]", 1);
    }
    if (g)
        git_json_field(b, g);
    ks__sb_puts(b, ",\"fingerprint\":\"");
    ks__sb_putn(b, fp, 16);
    ks__sb_putn(b, "\"}", 2);
}

void format_finding(ks_strbuf *b, out_format fmt, const char *path, const ks_match *m, int color, const finding_git *g)
{
    size_t plen = strlen(path);
    if (fmt == FMT_JSONL) {
        format_jsonl_object(b, path, m, g);
        ks__sb_putn(b, "\n", 1);
        return;
    }
    const char *bold = color ? "\x1b[1m" : "", *red = color ? "\x1b[31m" : "", *dim = color ? "\x1b[2m" : "",
               *reset = color ? "\x1b[0m" : "";
    ks__sb_puts(b, bold);
    if (g && g->n_origins) { /* a blob of a repository's history: commit:path in that commit; a staged one: path */
        if (*g->origins[0].commit) {
            ks__sb_puts(b, g->origins[0].commit);
            ks__sb_putn(b, ":", 1);
        }
        term_string(b, (const unsigned char *)g->origins[0].path, strlen(g->origins[0].path));
        term_string(b, (const unsigned char *)g->inner, strlen(g->inner));
    } else {
        term_string(b, (const unsigned char *)path, plen);
    }
    if (m->object && !(g && g->n_origins)) { /* a container's member: file!member, as Gitleaks and Kingfisher write it */
        ks__sb_putn(b, "!", 1);
        term_string(b, (const unsigned char *)m->object, strlen(m->object));
    }
    ks__sb_printf(b, "%s:%llu:%llu: %s%s%s (", reset, (unsigned long long)m->line,
              (unsigned long long)m->column, bold, m->rule_id, reset);
    term_string(b, (const unsigned char *)m->rule_name, strlen(m->rule_name));
    ks__sb_printf(b, ") [%s]", finding_severity(m));
    if (m->near_miss)
        ks__sb_printf(b, " [near miss: failed %s]", finding_near_miss(m));
    if (m->known_test_key)
        ks__sb_puts(b, " [known test key]");
    ks__sb_printf(b, ": %s", red);
    term_string(b, m->secret, m->secret_len);
    ks__sb_puts(b, reset);
    if (m->validator[0])
        ks__sb_printf(b, " %s[%s]%s", dim, m->validator, reset);
    if (m->decoder)
        ks__sb_printf(b, " %s(decoded: %s)%s", dim, m->decoder, reset);
    ks__sb_putn(b, "\n", 1);
}
