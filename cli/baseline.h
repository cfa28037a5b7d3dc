/* baseline.h: --baseline: the fingerprints of a previous keysweep json or jsonl report, to hide known findings. */
#ifndef KS_CLI_BASELINE_H
#define KS_CLI_BASELINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct baseline {
    uint64_t *fp; /* sorted */
    size_t n, cap;
} baseline;

/* Reads the report at path. Returns 0, or -1 with a message (naming the file and, for a syntax
 * error, the line) in err. A report with no findings is valid and gives an empty set. */
int baseline_load(baseline *b, const char *path, char *err, size_t errlen);
/* Parses report text; the same contract as baseline_load, `name` naming it in messages. */
int baseline_parse(baseline *b, const char *text, size_t len, const char *name, char *err, size_t errlen);
/* 1 when the 16-hex-digit fingerprint is in the set. */
int baseline_has(const baseline *b, const char *fingerprint);
void baseline_free(baseline *b);

#endif
