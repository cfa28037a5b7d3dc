/* report.h: the report as a whole: a document's opening and closing, one finding in the chosen format, --redact. */
#ifndef KS_CLI_REPORT_H
#define KS_CLI_REPORT_H

#include "escape.h"
#include "formats.h"
#include "keysweep.h"
#include "output.h"

#define REDACTED_MARK "REDACTED"
#define REDACTED_TAIL "*****" /* after the part of a secret --redact=N keeps */

typedef struct report {
    out_format fmt;
    int color;
    int redact;              /* the percentage of each secret hidden: 0 none, 100 all (plain --redact) */
    const ks_engine *engine;
    unsigned long long n; /* findings written */
    unsigned long long near_misses; /* of them, near misses (junit counts them as skipped) */
    sarif_state sarif;
    ks_strbuf scratch;       /* the redacted match, reused */
    ks_strbuf secret;        /* the redacted secret, reused */
    ks_strbuf junit;         /* junit's test cases, written out by report_end */
    ks_strbuf where;         /* "path!object" of a container's member, reused */
} report;

/* Prepares the report and writes a document's opening; returns 0 or -1 when out of memory. */
int report_begin(report *r, ks_strbuf *b, out_format fmt, int color, int redact, const ks_engine *engine);
/* Appends one finding (a whole line, or a whole array element). */
void report_finding(report *r, ks_strbuf *b, const char *path, const ks_match *m);
/* The same for a finding in a blob of a repository's history, with where the blob came from. */
void report_finding_git(report *r, ks_strbuf *b, const char *path, const ks_match *m, const finding_git *g);
/* Closes the document (json, sarif, gitleaks and junit stay valid even after an interruption);
 * complete says whether the scan finished without errors. Frees what report_begin allocated;
 * b NULL: only frees (a scan that never started). */
void report_end(report *r, ks_strbuf *b, int complete);

#endif
