/* diag.h: per-path diagnostics on stderr (paths escaped for the terminal), and storms of errors under one directory summarised. */
#ifndef KS_DIAG_H
#define KS_DIAG_H

#include <pthread.h>
#include <stddef.h>

/* Prints "keysweep: PATH: MESSAGE" on stderr, the path escaped for a terminal. */
void diag_path(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Errors from one subtree (a directory and everything below it): the first DIAG_STORM_SHOWN are
 * printed, the rest counted and summarised in one line ("... and 1,480 more errors under DIR")
 * when an error comes from outside the subtree, or at diag_storm_end. Thread-safe: the walker and
 * the pipeline's writer report into one. */
#define DIAG_STORM_SHOWN 10

typedef struct diag_storm {
    pthread_mutex_t mu;
    char *dir;                /* the subtree of the errors being counted, or NULL */
    size_t shown;             /* errors printed from it */
    unsigned long long hidden; /* errors from it not printed */
} diag_storm;

void diag_storm_init(diag_storm *s);

/* Reports one error about `path`: printed, or counted when it is one of a storm. */
void diag_storm_error(diag_storm *s, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints the summary line of the storm being counted, if any, and frees what s holds. */
void diag_storm_end(diag_storm *s);

#endif
