/* output.h: the CLI's report writer: whole-line buffered writes, write-error tracking, finding formats. */
#ifndef KS_CLI_OUTPUT_H
#define KS_CLI_OUTPUT_H

#include <stddef.h>

#include "escape.h"
#include "formats.h"
#include "keysweep.h"

typedef enum out_format { FMT_TEXT, FMT_JSONL, FMT_JSON, FMT_SARIF, FMT_TRUFFLEHOG, FMT_GITLEAKS, FMT_CSV, FMT_JUNIT } out_format;

/* The --format names, for messages: "text, jsonl, ...". */
#define OUT_FORMAT_NAMES "text, jsonl, json, sarif, trufflehog, gitleaks, csv, junit"

/* Parses a --format name, in any case; returns 0 or -1 when unknown. */
int out_format_parse(const char *name, out_format *fmt);
/* The i-th format name --format takes (lower case), or NULL past the last. */
const char *out_format_name(size_t i);
/* The format -o FILE's extension names (.sarif, .json, .jsonl, .csv, .xml for junit, in any case); returns 0 or -1
 * when none. */
int out_format_from_extension(const char *path, out_format *fmt);

typedef struct out_writer {
    int fd;
    ks_strbuf buf;
    int err;           /* errno of the first failed write, 0 if none */
    char *final_path;  /* --output FILE: renamed from tmp_path on success */
    char *tmp_path;
} out_writer;

/* Opens the report destination: stdout when path is NULL; a regular file is written to a
 * temporary file (mode 0600) and renamed into place by out_close. Returns 0 or -errno. */
int out_open(out_writer *w, const char *path);
/* Writes what is buffered (only whole findings are ever buffered); returns 0 or -errno. */
int out_flush(out_writer *w);
/* Flushes and closes; with commit, renames the temporary file into place, else removes it. */
int out_close(out_writer *w, int commit);

/* Formats one finding as one text or jsonl line (no partial lines: the line is complete before it is queued);
 * g: a blob of a repository's history (text then says commit:path:line:column), else NULL. */
void format_finding(ks_strbuf *b, out_format fmt, const char *path, const ks_match *m, int color, const finding_git *g);
/* The jsonl object of one finding without its newline (the json format's array elements), "git" with g. */
void format_jsonl_object(ks_strbuf *b, const char *path, const ks_match *m, const finding_git *g);
/* Stable fingerprint of a finding: hex of a hash of path, rule id and start offset. */
void finding_fingerprint(char out[17], const char *path, const char *rule_id, unsigned long long start);
/* The finding's severity ("high" when a library too old to say did not). */
const char *finding_severity(const ks_match *m);
/* For a near miss, the check that failed ("crc32", "entropy", "pem"...; "validation" when unknown). */
const char *finding_near_miss(const ks_match *m);
/* Where a finding is, for people and peer formats: the path, or "path!object" inside a container
 * (built in scratch, which the caller frees). */
const char *finding_where(ks_strbuf *scratch, const char *path, const ks_match *m);

#endif
