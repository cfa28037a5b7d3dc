/* entropy.c: Shannon entropy of a byte string. */
#include <math.h>
#include <stdint.h>

#include "entropy.h"

double ks__shannon_entropy(const unsigned char *s, size_t len)
{
    if (!len)
        return 0.0;
    /* Called for every confirmed candidate of a rule with a minimum entropy (a million in a file of AWS key
     * ids), most of them a few dozen bytes: the sum runs over the bytes present only (found in a bitmap, lowest
     * first), and the term of a byte seen once is worked out once. The terms are added in byte order, as over
     * all 256 counts: the sum, rounded, then depends on the counts alone, never on the order of the bytes (in
     * the order they first occurred, two anagrams whose entropy is a rule's threshold exactly were judged apart). */
    size_t counts[256] = {0};
    uint64_t seen[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < len; i++) {
        counts[s[i]]++;
        seen[s[i] >> 6] |= (uint64_t)1 << (s[i] & 63);
    }
    double h = 0.0, p1 = 1.0 / (double)len, once = p1 * log2(p1);
    for (int w = 0; w < 4; w++)
        for (uint64_t bits = seen[w]; bits; bits &= bits - 1) {
            size_t c = counts[w * 64 + __builtin_ctzll(bits)];
            double p = (double)c / (double)len;
            h -= c == 1 ? once : p * log2(p);
        }
    return h;
}
