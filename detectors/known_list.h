/* known_list.h: the list of published test material, as data (known_list.c reads it). */
#ifndef KS_DETECTORS_KNOWN_LIST_H
#define KS_DETECTORS_KNOWN_LIST_H

#include <stddef.h>

#include "keysweep.h"

/* Adds the entries of a known_test_keys.yml text to the set's list; all or nothing. Returns 0,
 * KS_EPARSE (on_error names the line) or KS_ENOMEM. */
int ks__known_list_load(ks_rules *rules, const char *text, size_t len, const char *source, ks_diag_fn on_error,
                        void *ctx);
/* Adds the built-in list (detectors/known_test_keys.yml, embedded at build time). */
int ks__known_list_load_builtin(ks_rules *rules, ks_diag_fn on_error, void *ctx);

#endif
