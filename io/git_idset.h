/* git_idset.h: the set of object ids already handed out, at a fixed cost per id (about 40 bytes), for deduplication. */
#ifndef KS_IO_GIT_IDSET_H
#define KS_IO_GIT_IDSET_H

#include <stddef.h>
#include <stdint.h>

#include "git_object.h"
#include "keysweep.h"

typedef struct ks_git_idset ks_git_idset;

/* An empty set allocating through a (NULL: the C library); NULL when out of memory. */
ks_git_idset *ks__git_idset_new(const ks_allocator *a);

/* The same for a set several threads use at once (the repositories of one scan, read by different
 * workers): add and has each take its lock, so an id is added, and handed out, once. */
ks_git_idset *ks__git_idset_new_shared(const ks_allocator *a);

void ks__git_idset_free(ks_git_idset *s);

/* Adds id: returns 1 when it was new, 0 when already there, KS_ENOMEM (the set unchanged). */
int ks__git_idset_add(ks_git_idset *s, const uint8_t id[KS_GIT_ID_LEN]);

/* 1 when id is in the set, else 0. */
int ks__git_idset_has(const ks_git_idset *s, const uint8_t id[KS_GIT_ID_LEN]);

size_t ks__git_idset_count(const ks_git_idset *s);

/* Calls fn with each id, in id order, until it returns non-zero (returned), or KS_ENOMEM (nothing called); not
 * while another thread adds. */
int ks__git_idset_each(const ks_git_idset *s, int (*fn)(const uint8_t id[KS_GIT_ID_LEN], void *ctx), void *ctx);

#endif
