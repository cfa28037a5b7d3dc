/* git_findings.h: findings in blobs of repositories' history, held until their repository is scanned, then reported with
 * the commit, path and author that introduced each blob (one provenance walk per repository, for those blobs only). */
#ifndef KS_CLI_GIT_FINDINGS_H
#define KS_CLI_GIT_FINDINGS_H

#include <pthread.h>
#include <stddef.h>

#include "formats.h"
#include "keysweep.h"

/* Reports one finding; non-zero stops the release (the report cannot be written). */
typedef int (*git_emit_fn)(void *ctx, const char *path, const ks_match *m, const finding_git *g);

typedef struct git_held_repo git_held_repo;

typedef struct git_findings {
    pthread_mutex_t mu; /* over repos: the walker adds, the pipeline's writer looks up */
    char **repos;       /* the git directories submitted */
    size_t n_repos, cap_repos;
    int all_paths;      /* --git-all-paths */
    const ks_git_opts *within; /* the narrowing the blobs were selected with: provenance searches the same commits */
    unsigned threads;   /* threads comparing commits for provenance: the scan's (its threads are idle by then) */
    git_held_repo *held; /* the writer thread's alone from here on */
    size_t n_held, cap_held;
} git_findings;

/* threads: the scan's threads (0: one per CPU this process may use), which compare commits for provenance once a
 * repository's blobs are scanned. */
void git_findings_init(git_findings *g, int all_paths, const ks_git_opts *within, unsigned threads);
void git_findings_free(git_findings *g);

/* Names a git directory whose blobs are about to be submitted (the walker, before ks_pipeline_submit_git);
 * returns 0 or -1 out of memory. */
int git_findings_add_repo(git_findings *g, const char *git_dir);

/* Keeps a copy of m when it is a finding in a blob of a repository added (path the git directory, object the blob's
 * id): returns 1 then, 0 when it is not one (report it now), -1 out of memory. */
int git_findings_hold(git_findings *g, const char *path, const ks_match *m);

/* Reports, through emit and in the order they came, the findings held for repository `path` (every repository
 * when path is NULL), with their blobs' provenance unless `provenance` is 0 (an interrupted scan); notes on stderr
 * say when it is incomplete. Returns 0, or -1 when emit stopped it or memory ran out. */
int git_findings_release(git_findings *g, const char *path, int provenance, git_emit_fn emit, void *ctx);

#endif
