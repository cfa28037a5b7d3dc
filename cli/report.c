/* report.c: dispatches findings to the formats; redacts secrets and computes end positions from the real match bytes. */
#include <string.h>

#include "entropy.h"
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
    for (size_t i = 0; i < m->match_len; i++) {
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

/* The match with every occurrence of the secret replaced by the marker. Occurrences, not only the
 * captured one: a pattern may repeat the secret (`key=X ... key=X`). */
static void redact_match(ks_strbuf *out, const ks_match *m)
{
    out->len = 0;
    ks__sb_reserve(out, m->match_len + 1);
    const unsigned char *p = m->match, *end = m->match + m->match_len;
    while (m->secret_len && p < end) {
        const unsigned char *hit = memmem(p, (size_t)(end - p), m->secret, m->secret_len);
        if (!hit)
            break;
        ks__sb_putn(out, p, (size_t)(hit - p));
        ks__sb_puts(out, REDACTED_MARK);
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
        info.description = info.confidence = info.validate = "";
    }
    f.rule = &info;
    /* what only the peer and SARIF formats print: not worth computing per finding for the others */
    if (r->fmt == FMT_SARIF || r->fmt == FMT_TRUFFLEHOG || r->fmt == FMT_GITLEAKS) {
        end_positions(&f);
        f.entropy = ks__shannon_entropy(m->secret, m->secret_len);
        finding_fingerprint(f.fingerprint, f.path, m->rule_id, (unsigned long long)m->start);
    }

    ks_match red;
    if (r->redact) {
        red = *m;
        redact_match(&r->scratch, m);
        if (r->scratch.oom) {
            b->oom = 1; /* never fall back to the clear match */
            return;
        }
        red.match = (const unsigned char *)r->scratch.s;
        red.match_len = r->scratch.len;
        red.secret = (const unsigned char *)REDACTED_MARK;
        red.secret_len = sizeof REDACTED_MARK - 1;
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
    default:
        break;
    }
    sarif_free(&r->sarif);
    ks__sb_free(&r->scratch);
    ks__sb_free(&r->where);
}
