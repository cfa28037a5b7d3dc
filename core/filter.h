/* filter.h: conditions imported from Gitleaks configurations: path conditions and allowlists (filter.c). */
#ifndef KS_CORE_FILTER_H
#define KS_CORE_FILTER_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>

#include "keysweep.h"
#include "strvec.h"

/*
 * Gitleaks rules may apply only to some paths and carry allowlists that exempt reviewed findings.
 * Path-free checks run in scan.c on every confirmed match; path checks run where the path is known
 * (ks_engine_path_allows, which scan.c calls when the caller gave the object's path). Both objects are immutable once built and shared by
 * reference between rule copies (a global allowlist serves every rule of its file). */
enum { KS_ALLOW_SECRET, KS_ALLOW_MATCH, KS_ALLOW_LINE }; /* what `regexes` are matched against */
typedef struct ks_allow {
    _Atomic size_t refs;
    int all;             /* condition = "AND": every criterion the list has must hold; else any one */
    int target;          /* KS_ALLOW_* (Gitleaks' regexTarget) */
    int has_commits;     /* commits cannot be checked on files: an AND list with them never holds */
    size_t n_regexes, n_paths;
    pcre2_code **regexes, **paths;
    ks_strvec stopwords; /* lowercase; a secret that contains one, ignoring case, is exempt */
} ks_allow;
typedef struct ks_cond {
    _Atomic size_t refs;
    pcre2_code *path;    /* the rule reports only in files whose path matches; NULL: everywhere */
    ks_allow **allows;   /* each holds a reference */
    size_t n_allows;
} ks_cond;
ks_allow *ks__allow_ref(ks_allow *a);
void ks__allow_unref(ks_allow *a);
ks_cond *ks__cond_ref(ks_cond *c);
/* A condition holding only a path regex (a YAML rule's `path`), compiled for PCRE2 as Gitleaks' are
 * (unanchored search, `$` only at the very end). NULL on failure: *errcode is PCRE2's code, *erroff
 * the offset (PCRE2_ERROR_NOMEMORY: out of memory). */
ks_cond *ks__cond_new_path(const char *re, int *errcode, size_t *erroff);
void ks__cond_unref(ks_cond *c);

#endif
