/* argerr.h: diagnostics for mistyped command lines: unknown options and commands, with the closest known name. */
#ifndef KS_CLI_ARGERR_H
#define KS_CLI_ARGERR_H

#include <getopt.h>
#include <stddef.h>

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps) between a and b. */
int edit_distance(const char *a, const char *b);

/* The name in names (n of them) within distance 2 of word, the closest first-listed; NULL if none. */
const char *closest_name(const char *word, const char *const *names, size_t n);

/* Reports what getopt_long (called with opterr 0 and a shortopts starting with ':') refused, c being what it
 * returned, in one line naming the option (with "did you mean" when a long option is close) and one line
 * pointing to `keysweep CMD --help`. Returns 2, the exit status. */
int getopt_refused(const char *cmd, int c, char *const *argv, const struct option *longopts);

/* Reports an unknown command or subcommand (what: "command" or "rules subcommand") in one line, with the
 * closest of names, and a hint to `keysweep help_cmd --help` (help_cmd NULL: `keysweep --help`). Returns 2. */
int unknown_word(const char *what, const char *word, const char *const *names, size_t n, const char *help_cmd);

#endif
