/* known_keys.c: the list of published test material a rule set carries: SHA-256 digests of secrets, sorted. */
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "alloc.h"
#include "rules_int.h"

static int cmp_sha(const void *a, const void *b) { return memcmp(a, b, 32); }

int ks__known_add(ks_known_keys *k, const unsigned char (*sha)[32], size_t n)
{
    if (!n)
        return 0;
    unsigned char(*all)[32] = ks__realloc(k->sha, (k->n + n) * sizeof *all);
    if (!all)
        return KS_ENOMEM;
    memcpy(all + k->n, sha, n * sizeof *all);
    size_t total = k->n + n, w = 0;
    qsort(all, total, sizeof *all, cmp_sha);
    for (size_t i = 0; i < total; i++)
        if (!w || memcmp(all[w - 1], all[i], 32))
            memmove(all[w++], all[i], 32);
    k->sha = all;
    k->n = w;
    return 0;
}

void ks__known_digest(const unsigned char *secret, size_t len, unsigned char out[32])
{
    struct sha256_ctx c; /* nettle's, as git ids use its SHA-1 */
    sha256_init(&c);
    size_t run = 0; /* bytes kept since the last one dropped: hashed in runs, not byte by byte */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = secret[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            sha256_update(&c, run, secret + i - run);
            run = 0;
        } else {
            run++;
        }
    }
    sha256_update(&c, run, secret + len - run);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

int ks__known_secret(const ks_known_keys *k, const unsigned char *secret, size_t len)
{
    if (!k->n)
        return 0;
    unsigned char d[32];
    ks__known_digest(secret, len, d);
    return bsearch(d, k->sha, k->n, 32, cmp_sha) != NULL;
}
