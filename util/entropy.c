/* entropy.c: Shannon entropy of a byte string. */
#include <math.h>
#include <string.h>

#include "entropy.h"

double ks__shannon_entropy(const unsigned char *s, size_t len)
{
    if (!len)
        return 0.0;
    /* Called for every confirmed candidate of a rule with a minimum entropy (a million in a file of AWS key
     * ids), most of them a few dozen bytes: the sum runs over the distinct bytes in the order they first
     * occur, not over all 256 counts, the counts are cleared 256 bytes at a time, and the term of a byte seen
     * once is worked out once. */
    if (len < 256) {
        unsigned char counts[256], distinct[255];
        size_t n = 0;
        memset(counts, 0, sizeof counts);
        for (size_t i = 0; i < len; i++)
            if (!counts[s[i]]++)
                distinct[n++] = s[i];
        double h = 0.0, p1 = 1.0 / (double)len, once = p1 * log2(p1); /* a byte seen once: the usual case */
        for (size_t k = 0; k < n; k++) {
            double p = (double)counts[distinct[k]] / (double)len;
            h -= counts[distinct[k]] == 1 ? once : p * log2(p);
        }
        return h;
    }
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
