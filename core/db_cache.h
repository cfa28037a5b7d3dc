/* db_cache.h: the compiled-database cache: keys, loads and stores (db_cache.c). */
#ifndef KS_CORE_DB_CACHE_H
#define KS_CORE_DB_CACHE_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_int.h"

typedef struct ks_cache_key {
    uint64_t h[2];
} ks_cache_key;
void ks__cache_key(const ks_erule *rules, size_t n, ks_cache_key *key);
/* Loads a cached database and the per-rule widths; returns 0 or a negative code (never fatal). */
int ks__cache_load(const char *dir, const ks_cache_key *key, size_t n_rules, unsigned *widths,
                   hs_database_t **db);
/* Stores a database and widths; failures are ignored by callers. */
int ks__cache_store(const char *dir, const ks_cache_key *key, size_t n_rules, const unsigned *widths,
                    const hs_database_t *db);

#endif
