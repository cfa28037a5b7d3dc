/* format_columns.c: one finding as the named columns the csv and junit formats print, in one order. */
#include <stdio.h>
#include <string.h>

#include "formats.h"
#include "output.h"

const char *const finding_column_names[FINDING_COLUMNS] = {
    "RuleID", "Description", "File",   "StartLine", "EndLine", "StartColumn", "EndColumn",   "Match",
    "Secret", "Commit",      "Author", "Email",     "Date",    "Message",     "Fingerprint", "Severity",
    /* keysweep's own, after Gitleaks' columns: a near miss is no finding (the check it failed), and published
     * test material is marked, so that a spreadsheet filter can set both apart */
    "NearMiss", "KnownTestKey"};

static void set(finding_row *r, int col, const void *s, size_t n)
{
    r->s[col] = s;
    r->n[col] = n;
}

static void set_str(finding_row *r, int col, const char *s) { set(r, col, s, strlen(s)); }

static void set_num(finding_row *r, int col, int slot, uint64_t v)
{
    snprintf(r->num[slot], sizeof r->num[slot], "%llu", (unsigned long long)v);
    set_str(r, col, r->num[slot]);
}

void finding_row_fill(finding_row *r, const finding_view *f)
{
    memset(r, 0, sizeof *r);
    const ks_match *m = f->m;
    const ks_git_origin *o = finding_origin(f);
    r->origin = o;
    set_str(r, COL_RULE, m->rule_id);
    set_str(r, COL_DESCRIPTION, rule_description(f->rule));
    set_str(r, COL_FILE, peer_file(&r->file, f));
    /* end positions as the gitleaks format counts them: the match's last byte, inclusive */
    set_num(r, COL_START_LINE, 0, m->line);
    set_num(r, COL_END_LINE, 1, f->last_line);
    set_num(r, COL_START_COLUMN, 2, m->column);
    set_num(r, COL_END_COLUMN, 3, f->last_column);
    set(r, COL_MATCH, m->match, m->match_len);
    set(r, COL_SECRET, m->secret, m->secret_len);
    if (o)
        git_date_utc(r->date, o);
    set_str(r, COL_COMMIT, o ? o->commit : "");
    set_str(r, COL_AUTHOR, o ? o->author : "");
    set_str(r, COL_EMAIL, o ? o->email : "");
    set_str(r, COL_DATE, r->date);
    set_str(r, COL_MESSAGE, o ? o->message : "");
    set_str(r, COL_FINGERPRINT, f->fingerprint);
    set_str(r, COL_SEVERITY, finding_severity(m));
    set_str(r, COL_NEAR_MISS, m->near_miss ? finding_near_miss(m) : "");
    set_str(r, COL_KNOWN_TEST_KEY, m->known_test_key ? "true" : "");
}

void finding_row_free(finding_row *r) { ks__sb_free(&r->file); }
