/* format_git.c: the git fields every format shares: a history finding's file in its commit, the jsonl "git" object,
 * and author dates as Gitleaks and TruffleHog write them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "formats.h"

static void jstr(ks_strbuf *b, const char *s) { json_string(b, (const unsigned char *)s, strlen(s)); }

const ks_git_origin *finding_origin(const finding_view *f)
{
    return f->git && f->git->n_origins ? &f->git->origins[0] : NULL;
}

const char *peer_file(ks_strbuf *scratch, const finding_view *f)
{
    return finding_origin(f) ? git_file(scratch, f->git) : f->path;
}

const char *rule_description(const ks_rule_info *r)
{
    return r->description && r->description[0] ? r->description : r->name;
}

const char *git_file(ks_strbuf *scratch, const finding_git *g)
{
    scratch->len = 0;
    ks__sb_puts(scratch, g->n_origins ? g->origins[0].path : "");
    ks__sb_puts(scratch, g->inner);
    return scratch->s && !scratch->oom ? scratch->s : "";
}

/* t shifted by `offset` minutes, as calendar fields; gmtime_r: no time zone database or TZ is consulted. */
static int shifted_tm(struct tm *tm, int64_t t, int offset)
{
    time_t x = (time_t)(t + (int64_t)offset * 60);
    return gmtime_r(&x, tm) ? 0 : -1;
}

void git_date_utc(char out[64], const ks_git_origin *o)
{
    struct tm tm;
    if (shifted_tm(&tm, o->time, 0)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

void git_date_trufflehog(char out[64], const ks_git_origin *o)
{
    struct tm tm;
    if (shifted_tm(&tm, o->time, o->utc_offset)) {
        out[0] = '\0';
        return;
    }
    int off = o->utc_offset < 0 ? -o->utc_offset : o->utc_offset;
    snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d %c%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, o->utc_offset < 0 ? '-' : '+', off / 60 % 100, off % 60);
}

/* "commit", "path", "author", "email", "date" of one origin, as members of an object already opened. */
static void origin_members(ks_strbuf *b, const ks_git_origin *o, const char *inner)
{
    ks__sb_puts(b, "\"commit\":");
    jstr(b, o ? o->commit : "");
    ks__sb_puts(b, ",\"path\":");
    ks_strbuf p = {0};
    ks__sb_puts(&p, o ? o->path : "");
    ks__sb_puts(&p, o ? inner : "");
    json_string(b, (const unsigned char *)(p.s ? p.s : ""), p.len);
    if (p.oom)
        b->oom = 1;
    ks__sb_free(&p);
}

void git_json_field(ks_strbuf *b, const finding_git *g)
{
    const ks_git_origin *o = g->n_origins ? &g->origins[0] : NULL;
    ks__sb_puts(b, ",\"git\":{\"repository\":");
    jstr(b, g->repository);
    ks__sb_putn(b, ",", 1);
    origin_members(b, o, g->inner);
    ks__sb_puts(b, ",\"blob\":");
    jstr(b, g->blob);
    ks__sb_puts(b, ",\"author\":");
    jstr(b, o ? o->author : "");
    ks__sb_puts(b, ",\"email\":");
    jstr(b, o ? o->email : "");
    ks__sb_puts(b, ",\"date\":");
    jstr(b, o ? o->date : "");
    ks__sb_puts(b, ",\"message\":");
    jstr(b, o ? o->message : "");
    if (g->all_paths) { /* every (commit, path) that put the blob somewhere, the first included */
        ks__sb_puts(b, ",\"origins\":[");
        for (size_t i = 0; i < g->n_origins; i++) {
            ks__sb_puts(b, i ? ",{" : "{");
            origin_members(b, &g->origins[i], g->inner);
            ks__sb_puts(b, ",\"author\":");
            jstr(b, g->origins[i].author);
            ks__sb_puts(b, ",\"date\":");
            jstr(b, g->origins[i].date);
            ks__sb_putn(b, "}", 1);
        }
        ks__sb_putn(b, "]", 1);
    }
    ks__sb_putn(b, "}", 1);
}
