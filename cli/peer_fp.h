/* peer_fp.h: a finding as Gitleaks and TruffleHog identify it (Gitleaks' Fingerprint; TruffleHog's file, line
 * and Raw secret), and the 64-bit keys .gitleaksignore and peers' reports given as --baseline are matched by.
 */
#ifndef KS_CLI_PEER_FP_H
#define KS_CLI_PEER_FP_H

#include <stddef.h>
#include <stdint.h>

#include "formats.h"
#include "keysweep.h"

/* Where a peer says a finding is. The strings are not NUL-terminated. */
typedef struct peer_place {
    const char *commit; /* the commit that introduced the blob of a history finding; "" elsewhere */
    size_t commit_len;
    const char *file;
    size_t file_len;
    const char *rule; /* the rule id (Gitleaks' fingerprints name it; TruffleHog's keys do not) */
    size_t rule_len;
    uint64_t line;
} peer_place;

/* Appends path as Go's filepath.Clean writes it, as Gitleaks and TruffleHog report paths ("./a//b/../c" is "a/c"). */
void peer_clean_path(ks_strbuf *out, const char *path);

/* The place of finding m in `path` (g: a blob of a repository's history, else NULL), as the gitleaks and
 * trufflehog formats write it: the file in the commit that introduced the blob, else "file!member" (the file
 * cleaned by peer_clean_path); rule is
 * m's id (the gitleaks format puts gitleaks_rule_id there). The strings may live in scratch, which the caller frees. */
void peer_place_of(peer_place *p, ks_strbuf *scratch, const char *path, const ks_match *m,
                   const finding_git *g);

/* The id the gitleaks format names rule r by: the equivalent Gitleaks rule's id, else keysweep's own. */
const char *gitleaks_rule_id(const ks_rule_info *r);

/* Appends Gitleaks' Fingerprint: commit:file:rule:line in history, file:rule:line outside. */
void gitleaks_fingerprint(ks_strbuf *out, const peer_place *p);
/* Splits a Fingerprint as Gitleaks writes it (and .gitleaksignore lists it) into p, pointing into s;
 * returns 0, or -1 when s has neither shape. */
int gitleaks_fingerprint_split(const char *s, size_t n, peer_place *p);

/* The keys peers' identities are matched by. A leading "./" of the file is not part of them (peers write a
 * path both ways) and commit ids are compared in any case. */
uint64_t gitleaks_key(const peer_place *p);
uint64_t trufflehog_key(const peer_place *p, const unsigned char *raw, size_t raw_len);

#endif
