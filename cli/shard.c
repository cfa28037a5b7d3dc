/* shard.c: --shard K/N parsing and the FNV-1a 64 hash of a file's path relative to its scan root. */
#include <stdlib.h>
#include <string.h>

#include "shard.h"

int shard_parse(const char *s, shard *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long long k = strtoull(s, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long long n = strtoull(end + 1, &end, 10);
    if (*end || n == 0 || k >= n)
        return -1;
    out->k = k;
    out->n = n;
    return 0;
}

uint64_t shard_hash(const char *rel)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

int shard_mine(const shard *s, const char *root, const char *path)
{
    if (!s->n)
        return 1;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    const char *rel = path;
    if (strncmp(path, root, rl) == 0 && (path[rl] == '/' || (rl == 1 && root[0] == '/'))) {
        rel = path + rl;
        while (*rel == '/')
            rel++;
    }
    return shard_hash(rel) % s->n == s->k;
}
