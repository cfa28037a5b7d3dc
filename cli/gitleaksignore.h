/* gitleaksignore.h: .gitleaksignore, Gitleaks' list of reviewed findings by fingerprint, read at each scan
 * root and at the top of each repository whose history is scanned. */
#ifndef KS_CLI_GITLEAKSIGNORE_H
#define KS_CLI_GITLEAKSIGNORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "fp_set.h"
#include "peer_fp.h"

typedef struct gitleaksignore {
    pthread_mutex_t mu; /* the walker reads files while the pipeline's writer asks */
    fp_set keys;        /* gitleaks_key of each entry */
    atomic_int any;     /* keys is not empty: without a file, asking takes no lock */
    struct {
        dev_t dev;
        ino_t ino;
    } * read; /* files read: a root that is a repository's top is read once */
    size_t n_read;
} gitleaksignore;

void gitleaksignore_init(gitleaksignore *g);
/* Reads DIR/.gitleaksignore when there is one: Gitleaks fingerprints, one a line (file:rule-id:line,
 * commit:file:rule-id:line), '#' comments and blank lines. At a scan root (history_only 0) every entry
 * counts, a file:rule-id:line one both as written and below DIR (Gitleaks writes a path under its source
 * either way); at the top of a repository found while walking (history_only 1) only its commit entries,
 * which name findings of that history. Lines of another shape are named on stderr and skipped. Returns 0,
 * or a negative errno when the file exists but cannot be read. */
int gitleaksignore_load(gitleaksignore *g, const char *dir, int history_only);
/* The same for the work tree around git directory git_dir ("repo/.git": repo; a bare repository: itself). */
int gitleaksignore_load_repo(gitleaksignore *g, const char *git_dir, int history_only);
/* 1 when the finding at place p (peer_place_of) is listed. */
int gitleaksignore_has(gitleaksignore *g, const peer_place *p);
void gitleaksignore_free(gitleaksignore *g);

#endif
