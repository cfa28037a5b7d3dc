/* entropy.h: Shannon entropy of a byte string, in bits per byte: the validators' min_entropy and Gitleaks' report field. */
#ifndef KS_UTIL_ENTROPY_H
#define KS_UTIL_ENTROPY_H

#include <stddef.h>

/* 0 for an empty string; at most 8. */
double ks__shannon_entropy(const unsigned char *s, size_t len);

#endif
