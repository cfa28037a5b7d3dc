/* baseline.h: --baseline: the findings of a previous keysweep, Gitleaks or TruffleHog report, to hide known findings. */
#ifndef KS_CLI_BASELINE_H
#define KS_CLI_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "fp_set.h"
#include "keysweep.h"
#include "peer_fp.h"

typedef struct baseline {
    fp_set own;  /* keysweep's fingerprints */
    fp_set peer; /* Gitleaks' fingerprints and TruffleHog's place-and-secret, as peer_fp.h hashes them */
} baseline;

/* Reads the report at path; which tool wrote it is told by its findings' members, not by its name. Returns 0,
 * or -1 with a message (naming the file and, for a malformed report, the line and the finding) in err. A report
 * with no findings is valid and gives an empty set. */
int baseline_load(baseline *b, const char *path, char *err, size_t errlen);
/* Parses report text; the same contract as baseline_load, `name` naming it in messages. */
int baseline_parse(baseline *b, const char *text, size_t len, const char *name, char *err, size_t errlen);
/* 1 when the 16-hex-digit keysweep fingerprint is in the set. */
int baseline_has(const baseline *b, const char *fingerprint);
/* 1 when finding m, at place p (peer_place_of), is a Gitleaks finding of the report (the same fingerprint:
 * [commit:]file:rule-id:line) or a TruffleHog one (the same Raw secret in the same file, line and commit). */
int baseline_has_peer(const baseline *b, const peer_place *p, const ks_match *m);
void baseline_free(baseline *b);

#endif
