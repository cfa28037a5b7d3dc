/* formats.h: one finding as every report format sees it, and the writers of the formats other than text/jsonl. */
#ifndef KS_CLI_FORMATS_H
#define KS_CLI_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "escape.h"
#include "keysweep.h"

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
    char fingerprint[17];
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
} sarif_state;

int sarif_init(sarif_state *s, size_t n_rules);
void sarif_free(sarif_state *s);
void sarif_begin(ks_strbuf *b);
void sarif_result(ks_strbuf *b, sarif_state *s, const finding_view *f, int first);
/* complete: the scan finished without errors (invocations[0].executionSuccessful). */
void sarif_end(ks_strbuf *b, const sarif_state *s, const ks_engine *engine, int complete);

/* One TruffleHog `--json` line (filesystem source). */
void trufflehog_line(ks_strbuf *b, const finding_view *f, int redacted);
/* One element of Gitleaks' JSON report array, indented as Gitleaks indents it. */
void gitleaks_object(ks_strbuf *b, const finding_view *f);

#endif
