/* validators.h: the offline validators a rule may name (validators.c); entropy itself is util's. */
#ifndef KS_CORE_VALIDATORS_H
#define KS_CORE_VALIDATORS_H

#include <stddef.h>

#include "entropy.h" /* the entropy check is util's */

typedef int (*ks_validator_fn)(const unsigned char *secret, size_t len, long arg);
typedef struct ks_validator {
    ks_validator_fn fn; /* NULL when the rule has none */
    long arg;
    const char *name;   /* canonical name reported in findings */
} ks_validator;
/* `generic`: 1 unless the secret is a placeholder, a reference (${VAR}, {{ var }}), a path or one repeated character. */
int ks__validate_generic(const unsigned char *secret, size_t len, long arg);
/* The i-th word that makes ks__validate_generic drop a value (lower case), or NULL past the last. */
const char *ks__generic_placeholder(size_t i);
/* `assignment` (assignment_value.c): `generic`, and 1 only when a keyword assignment's value looks like a
 * secret: not a UUID, identifier, dotted name, path, URL, number, template or made-up value. */
int ks__validate_assignment(const unsigned char *secret, size_t len, long arg);
/* Resolves a `validate:` value; returns 0 or KS_ERULE for an unknown name. */
int ks__validator_lookup(const char *spec, ks_validator *out);

#endif
