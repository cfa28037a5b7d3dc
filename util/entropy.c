/* entropy.c: Shannon entropy of a byte string. */
#include <math.h>

#include "entropy.h"

double ks__shannon_entropy(const unsigned char *s, size_t len)
{
    if (!len)
        return 0.0;
    size_t counts[256] = {0};
    for (size_t i = 0; i < len; i++)
        counts[s[i]]++;
    double h = 0.0;
    for (int c = 0; c < 256; c++) {
        if (!counts[c])
            continue;
        double p = (double)counts[c] / (double)len;
        h -= p * log2(p);
    }
    return h;
}
