/* git_opts.h: the options that narrow which history is scanned (shared by `keysweep scan` and `keysweep git`),
 * `keysweep git`'s help, and the history part of the summary. */
#ifndef KS_CLI_GIT_OPTS_H
#define KS_CLI_GIT_OPTS_H

#include <getopt.h>
#include <stdio.h>

#include "keysweep.h"

enum { OPT_SINCE_COMMIT = 2000, OPT_RANGE, OPT_BRANCH, OPT_REACHABLE_ONLY, OPT_STAGED, OPT_MAX_BLOB };

/* Entries for getopt_long's table. */
#define GIT_LONGOPTS                                                                                           \
    {"since-commit", required_argument, 0, OPT_SINCE_COMMIT}, {"range", required_argument, 0, OPT_RANGE},   \
        {"branch", required_argument, 0, OPT_BRANCH}, {"git-reachable-only", no_argument, 0, OPT_REACHABLE_ONLY}, \
        {"staged", no_argument, 0, OPT_STAGED}, {"max-blob-size", required_argument, 0, OPT_MAX_BLOB}

/* Takes option c (with arg) into o: 1 when it was one of GIT_LONGOPTS, 0 when not, 2 when it was refused
 * (said why: a bad size, a revision option outside `keysweep git`, options that do not go together). */
int git_opt_take(ks_git_opts *o, int c, const char *arg, int git_cmd);

/* 1 for an option of GIT_LONGOPTS (by its getopt value) that only `keysweep git` takes; git_opt_take refuses it
 * elsewhere. */
int git_opt_git_only(int c);

/* After every option: 0, or 2 when they do not go together (said why). */
int git_opts_done(const ks_git_opts *o);

/* `keysweep git --help`. */
void git_usage(FILE *f);

/* What the repositories of one scan took and left, summed. */
typedef struct git_tally {
    unsigned long long repos, selected, scanned, too_large, promised, missing;
    int selecting;
} git_tally;

void git_tally_add(git_tally *t, const ks_git_totals *x);

/* "; history: 2 repositories, 61 blobs scanned..." for the summary line (nothing when no repository was read). */
void git_tally_print(FILE *f, const git_tally *t);

#endif
