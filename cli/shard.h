/* shard.h: --shard K/N: a deterministic share of the files, by a hash of the path relative to the scan root. */
#ifndef KS_CLI_SHARD_H
#define KS_CLI_SHARD_H

#include <stdint.h>

typedef struct shard {
    uint64_t k, n; /* n == 0: no sharding */
} shard;

/* Parses "K/N" with 0 <= K < N; returns 0 or -1. */
int shard_parse(const char *s, shard *out);
/* FNV-1a 64 of the bytes of rel. */
uint64_t shard_hash(const char *rel);
/* 1 when the file at `path`, found under `root`, belongs to this shard. The hash is of the path
 * relative to the root (a root that is itself a file: the path as given), so machines that mount
 * the tree at different places agree. */
int shard_mine(const shard *s, const char *root, const char *path);

#endif
