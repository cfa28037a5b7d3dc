/* formats.h: one finding as every report format sees it, and the writers of the formats other than text/jsonl. */
#ifndef KS_CLI_FORMATS_H
#define KS_CLI_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "escape.h"
#include "keysweep.h"

/* A finding in a blob of a repository's history, and where that blob came from (the formats print the first
 * origin as the finding's commit, path and author; --git-all-paths adds the rest where a format can list them). */
typedef struct finding_git {
    const char *repository;         /* the git directory, as the walk named it */
    const ks_git_repo_info *info;   /* its HEAD and remote, or NULL when unknown */
    const char *blob;               /* 40 hex digits */
    const char *inner;              /* inside the blob (a container): "!member..." to append to its path, or "" */
    const ks_git_origin *origins;   /* origins[0] introduced the blob */
    size_t n_origins;               /* 0: reachable from no commit */
    int all_paths;                  /* --git-all-paths: list every origin */
} finding_git;

/* Everything a format may print about one finding. With --redact, m->secret and m->match are
 * already redacted copies; positions and the entropy were computed from the real bytes. */
typedef struct finding_view {
    const char *path;                /* the file, or "file!member" inside a container */
    const char *file;                /* the file on disk (m->object: the chain inside it) */
    const ks_match *m;
    const ks_rule_info *rule;
    uint64_t last_line, last_column; /* the match's last byte (inclusive, as Gitleaks counts) */
    uint64_t end_line, end_column;   /* just past the match (exclusive, as SARIF counts) */
    double entropy;                  /* Shannon entropy of the secret, bits per byte */
    uint64_t secret_key;             /* hash of rule id, path and the secret as found (never redacted) */
    char fingerprint[17];
    const finding_git *git;          /* a blob of a repository's history, or NULL */
} finding_view;

/* SARIF lists only the rules that produced results, after the results: `slot` maps an engine
 * rule index to its position in runs[0].tool.driver.rules (plus one; 0: not listed yet). */
typedef struct sarif_artifact {
    char *key;      /* "file", "file!member", "file!member!inner": one per level */
    size_t parent;  /* index of the enclosing artifact; SIZE_MAX for a file on disk */
    size_t name;    /* offset in key of this level's own name */
} sarif_artifact;

typedef struct sarif_state {
    size_t n_rules;
    size_t *slot;
    size_t *order; /* engine indices in listing order */
    size_t n_used;
    /* run.artifacts: the containers and members findings were in (SARIF nests them with
     * parentIndex, each member's URI relative to its parent), listed after the results */
    sarif_artifact *arts;
    size_t n_arts, cap_arts;
    size_t *table; /* open addressing over arts by key: index + 1, 0 empty */
    size_t table_cap;
    /* run.versionControlProvenance: the repositories whose blobs had findings, each once */
    char **repos; /* repository URI, NUL, revision, NUL, branch: three strings in one allocation */
    size_t n_repos;
    int byte_offsets; /* --sarif-byte-offsets: regions also give byteOffset and byteLength */
    char *cwd;        /* the working directory, %SRCROOT%: paths under it are written relative to it */
    size_t cwd_len;
    /* occurrences of each stable fingerprint so far (open addressing; key 0: empty) */
    uint64_t *fp_key;
    uint32_t *fp_count;
    size_t fp_n, fp_cap;
    size_t n_results;             /* results written */
    unsigned long long n_dropped; /* results past GitHub's limit, not written */
} sarif_state;

/* GitHub code scanning refuses a run of more results than this (its documented SARIF limits). */
#define SARIF_MAX_RESULTS 25000u

int sarif_init(sarif_state *s, size_t n_rules);
void sarif_free(sarif_state *s);
void sarif_begin(ks_strbuf *b);
void sarif_result(ks_strbuf *b, sarif_state *s, const finding_view *f, int first);
/* Lists a repository in versionControlProvenance (once per URI); returns 0 or -1 out of memory. */
int sarif_add_repository(sarif_state *s, const char *uri, const char *revision, const char *branch);
/* complete: the scan finished without errors (invocations[0].executionSuccessful). */
void sarif_end(ks_strbuf *b, const sarif_state *s, const ks_engine *engine, int complete);

/* The first origin of a history finding, or NULL (a file, or a blob no commit holds: reported as a file is). */
const ks_git_origin *finding_origin(const finding_view *f);
/* The file as the peer formats (gitleaks, csv, junit) name it: for a history finding, its path in the commit that
 * introduced the blob (built in scratch, which the caller frees), else f->path. */
const char *peer_file(ks_strbuf *scratch, const finding_view *f);
/* The rule's description, else its name. */
const char *rule_description(const ks_rule_info *r);
/* The blob's path in the commit that introduced it, with the member inside it ("a/b.zip!x.env"); "" without a
 * commit. Built in scratch, which the caller frees. */
const char *git_file(ks_strbuf *scratch, const finding_git *g);
/* The jsonl "git" member: ,"git":{"repository","commit","path","blob","author","email","date","message"}
 * (strings empty when no commit holds the blob), and "origins" with --git-all-paths. */
void git_json_field(ks_strbuf *b, const finding_git *g);
/* An author date as Gitleaks writes it, in UTC: "2026-01-02T01:04:05Z". */
void git_date_utc(char out[64], const ks_git_origin *o);
/* As TruffleHog writes it, in the author's zone: "2026-01-02 03:04:05 +0200". */
void git_date_trufflehog(char out[64], const ks_git_origin *o);

/* One TruffleHog `--json` line (filesystem source). */
void trufflehog_line(ks_strbuf *b, const finding_view *f, int redacted);
/* One element of Gitleaks' JSON report array, indented as Gitleaks indents it. */
void gitleaks_object(ks_strbuf *b, const finding_view *f);

/* The columns of one finding that csv and junit print, in order (names as Gitleaks' CSV header has them where
 * Gitleaks has the column); the commit columns are empty for a finding that is not in a repository's history. */
enum { COL_RULE, COL_DESCRIPTION, COL_FILE, COL_START_LINE, COL_END_LINE, COL_START_COLUMN, COL_END_COLUMN, COL_MATCH,
       COL_SECRET, COL_COMMIT, COL_AUTHOR, COL_EMAIL, COL_DATE, COL_MESSAGE, COL_FINGERPRINT, COL_SEVERITY,
       COL_NEAR_MISS, COL_KNOWN_TEST_KEY, FINDING_COLUMNS };
extern const char *const finding_column_names[FINDING_COLUMNS];
typedef struct finding_row {
    const unsigned char *s[FINDING_COLUMNS];
    size_t n[FINDING_COLUMNS];
    const ks_git_origin *origin; /* the commit that introduced a history finding's blob, or NULL */
    char num[4][24];
    char date[64];
    ks_strbuf file;
} finding_row;
/* Fills the row (pointing into f); free it with finding_row_free. */
void finding_row_fill(finding_row *r, const finding_view *f);
void finding_row_free(finding_row *r);

/* CSV: the header line, then one line per finding (RFC 4180, CRLF line ends). */
void csv_header(ks_strbuf *b);
void csv_row(ks_strbuf *b, const finding_view *f);

/* JUnit XML: one <testcase> per finding (a failure; a near miss: skipped), held until the end, when the counts the
 * <testsuite> opens with are known. */
void junit_case(ks_strbuf *cases, const finding_view *f);
/* The whole document: n findings (cases), `skipped` of them near misses, and with !complete one more test case, in
 * error, for the scan itself. */
void junit_document(ks_strbuf *b, const ks_strbuf *cases, unsigned long long n, unsigned long long skipped,
                    int complete);

#endif
