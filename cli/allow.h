/* allow.h: inline allow: a finding on a line containing "keysweep:allow" is not reported. */
#ifndef KS_CLI_ALLOW_H
#define KS_CLI_ALLOW_H

#include "keysweep.h"

#define ALLOW_MARK "keysweep:allow"
#define ALLOW_WINDOW 4096 /* bytes read on each side of the match to find its lines */

/* The last file re-read, kept open: findings arrive in file order, often several per file. */
typedef struct allow_ctx {
    char *path;
    int fd;
    unsigned char *buf;
    size_t cap;
} allow_ctx;

void allow_init(allow_ctx *a);
/* 1 when a line the match touches contains the marker. The sink sees only the match bytes, so the
 * lines are re-read from the file (up to ALLOW_WINDOW bytes before and after the match); stdin
 * ("-") cannot be re-read and is checked only inside the match. A file that cannot be re-read
 * gives 0: a finding is never hidden by an error. */
int allow_check(allow_ctx *a, const char *path, const ks_match *m);
void allow_free(allow_ctx *a);

#endif
