/* report.c: dispatches findings to the formats; redacts secrets and computes end positions from the real match bytes. */
#include <string.h>

#include "entropy.h"
#include "hash.h"
#include "output.h"
#include "peer_fp.h"
#include "report.h"

int report_begin(report *r, ks_strbuf *b, out_format fmt, int color, int redact, const ks_engine *engine)
{
    memset(r, 0, sizeof *r);
    r->fmt = fmt;
    r->color = color;
    r->redact = redact;
    r->engine = engine;
    if (fmt == FMT_SARIF) {
        ks_engine_stats st = {.size = sizeof st};
        if (ks_engine_stats_get(engine, &st) || sarif_init(&r->sarif, st.n_rules))
            return -1;
        sarif_begin(b);
    }
    if (fmt == FMT_CSV)
        csv_header(b);
    /* json and gitleaks open their array with the first finding, so that none gives "[]" */
    return 0;
}

/* Where the match's last byte is and where the byte after it is: the match may span lines (PEM keys). */
static void end_positions(finding_view *f)
{
    const ks_match *m = f->m;
    uint64_t line = m->line, col = m->column;
    f->last_line = line;
    f->last_column = col;
    /* a match that takes its line's end with it still ends on that line: the next one is not part of it */
    size_t n = m->match_len;
    while (n > 1 && (m->match[n - 1] == '\n' || m->match[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i < n; i++) {
        f->last_line = line;
        f->last_column = col;
        if (m->match[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    f->end_line = line;
    f->end_column = col;
}

/* What a finding stays when the file around it changes: its rule, the file it is in (for a history finding, the
 * file in the commit that introduced it) and the secret as found, before any redaction. */
static uint64_t secret_key(const finding_view *f)
{
    ks_strbuf file = {0};
    const char *where;
    if (f->git && f->git->n_origins) {
        where = git_file(&file, f->git);
    } else {
        peer_clean_path(&file, f->path); /* "./a" and "a" are one file */
        where = file.oom ? f->path : file.s;
    }
    uint64_t h = ks__fnv1a(KS_FNV_OFFSET, f->m->rule_id, strlen(f->m->rule_id) + 1);
    h = ks__fnv1a(h, where, strlen(where) + 1);
    h = ks__fnv1a(h, f->m->secret, f->m->secret_len);
    ks__sb_free(&file);
    return h ? h : 1; /* 0 marks an empty slot of the occurrence table */
}

/* What stands for the secret: --redact=N hides N% of it, as Gitleaks' --redact=N does. The first 100-N% of its
 * characters (UTF-8 sequences; rounded half to even, as Gitleaks rounds) are kept, never all of them, and
 * REDACTED_TAIL stands for the rest (its length says nothing of the secret's); N = 100, plain --redact, gives
 * REDACTED_MARK alone. */
static void redacted_secret(ks_strbuf *out, const ks_match *m, int percent)
{
    out->len = 0;
    if (percent >= 100) {
        ks__sb_puts(out, REDACTED_MARK);
        return;
    }
    size_t chars = 0;
    for (size_t i = 0; i < m->secret_len; i++)
        chars += (m->secret[i] & 0xc0) != 0x80; /* a lead byte: a character starts */
    size_t x = chars * (size_t)(100 - percent), keep = x / 100;
    if (x % 100 > 50 || (x % 100 == 50 && keep % 2))
        keep++;
    if (keep >= chars)
        keep = chars ? chars - 1 : 0;
    size_t n = 0, seen = 0;
    for (; n < m->secret_len; n++) {
        if ((m->secret[n] & 0xc0) != 0x80 && seen++ == keep)
            break;
    }
    ks__sb_putn(out, m->secret, n);
    ks__sb_puts(out, REDACTED_TAIL);
}

/* The match with every occurrence of the secret replaced by its redacted form. Occurrences, not only the
 * captured one: a pattern may repeat the secret (`key=X ... key=X`). */
static void redact_match(ks_strbuf *out, const ks_match *m, const ks_strbuf *secret)
{
    out->len = 0;
    ks__sb_reserve(out, m->match_len + 1);
    const unsigned char *p = m->match, *end = m->match + m->match_len;
    while (m->secret_len && p < end) {
        const unsigned char *hit = memmem(p, (size_t)(end - p), m->secret, m->secret_len);
        if (!hit)
            break;
        ks__sb_putn(out, p, (size_t)(hit - p));
        ks__sb_putn(out, secret->s, secret->len);
        p = hit + m->secret_len;
    }
    ks__sb_putn(out, p, (size_t)(end - p));
    if (!out->s) /* an empty match still needs a valid pointer */
        ks__sb_putn(out, "", 0);
}

void report_finding(report *r, ks_strbuf *b, const char *path, const ks_match *m)
{
    report_finding_git(r, b, path, m, NULL);
}

void report_finding_git(report *r, ks_strbuf *b, const char *path, const ks_match *m, const finding_git *g)
{
    finding_view f;
    memset(&f, 0, sizeof f);
    /* the peer formats and SARIF name a container's member "file!member", as Gitleaks does */
    f.path = finding_where(&r->where, path, m);
    f.file = path;
    f.m = m;
    f.git = g;
    ks_rule_info info = {.size = sizeof info};
    memset(&info, 0, sizeof info);
    if (ks_engine_rule(r->engine, m->rule_index, &info)) {
        info.id = m->rule_id;
        info.name = m->rule_name;
        info.description = info.confidence = info.validate = info.gitleaks_id = info.trufflehog_detector =
            info.prefilter = "";
        info.trufflehog_type = -1;
    }
    f.rule = &info;
    /* what only the peer and SARIF formats print: not worth computing per finding for the others */
    if (r->fmt != FMT_TEXT && r->fmt != FMT_JSONL && r->fmt != FMT_JSON) {
        end_positions(&f);
        f.entropy = ks__shannon_entropy(m->secret, m->secret_len);
        finding_fingerprint(f.fingerprint, f.path, m->rule_id, (unsigned long long)m->start);
    }
    if (r->fmt == FMT_SARIF)
        f.secret_key = secret_key(&f);

    ks_match red;
    if (r->redact) {
        red = *m;
        redacted_secret(&r->secret, m, r->redact);
        redact_match(&r->scratch, m, &r->secret);
        if (r->scratch.oom || r->secret.oom) {
            b->oom = 1; /* never fall back to the clear match */
            return;
        }
        red.match = (const unsigned char *)r->scratch.s;
        red.match_len = r->scratch.len;
        red.secret = (const unsigned char *)r->secret.s;
        red.secret_len = r->secret.len;
        m = &red;
        f.m = m;
    }

    switch (r->fmt) {
    case FMT_TEXT:
    case FMT_JSONL:
        format_finding(b, r->fmt, path, m, r->color, g);
        break;
    case FMT_JSON:
        ks__sb_puts(b, r->n ? ",\n" : "[\n");
        format_jsonl_object(b, path, m, g);
        break;
    case FMT_SARIF:
        if (g) { /* the repository, its remote's URL when it has one, in versionControlProvenance */
            const ks_git_repo_info *in = g->info;
            if (sarif_add_repository(&r->sarif, in && in->remote_url[0] ? in->remote_url : g->repository,
                                     in ? in->head : "", in ? in->branch : ""))
                b->oom = 1;
        }
        sarif_result(b, &r->sarif, &f, r->n == 0);
        break;
    case FMT_TRUFFLEHOG:
        trufflehog_line(b, &f, r->redact);
        break;
    case FMT_GITLEAKS:
        ks__sb_puts(b, r->n ? ",\n" : "[\n");
        gitleaks_object(b, &f);
        break;
    case FMT_CSV:
        csv_row(b, &f);
        break;
    case FMT_JUNIT: /* held until the end: the suite opens with its counts */
        junit_case(&r->junit, &f);
        r->near_misses += m->near_miss != 0;
        if (r->junit.oom)
            b->oom = 1;
        break;
    }
    r->n++;
}

void report_end(report *r, ks_strbuf *b, int complete)
{
    switch (b ? r->fmt : FMT_TEXT) {
    case FMT_JSON:
    case FMT_GITLEAKS:
        ks__sb_puts(b, r->n ? "\n]\n" : "[]\n");
        break;
    case FMT_SARIF:
        sarif_end(b, &r->sarif, r->engine, complete);
        break;
    case FMT_JUNIT:
        junit_document(b, &r->junit, r->n, r->near_misses, complete);
        break;
    default:
        break;
    }
    sarif_free(&r->sarif);
    ks__sb_free(&r->scratch);
    ks__sb_free(&r->where);
    ks__sb_free(&r->secret);
    ks__sb_free(&r->junit);
}
