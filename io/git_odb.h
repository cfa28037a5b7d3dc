/* git_odb.h: every object of a repository's object directory (its packs, its loose objects, optionally its
 * alternates), each id handed out once. */
#ifndef KS_IO_GIT_ODB_H
#define KS_IO_GIT_ODB_H

#include <stddef.h>
#include <stdint.h>

#include "git_idset.h"
#include "git_object.h"
#include "keysweep.h"

typedef struct ks_git_read_options {
    size_t size;                  /* sizeof(ks_git_read_options) */
    const ks_allocator *allocator;
    unsigned types;               /* KS_GIT_TYPE_BIT()s to hand out; 0: blobs only */
    size_t base_budget;           /* bytes of delta bases held per pack walk; 0: 64 MiB */
    size_t max_object;            /* larger objects are reported (KS_ELIMIT), not read; 0: 1 GiB */
    int verify;                   /* check packed CRC-32s and every handed-out object's id */
    int alternates;               /* also read the directories objects/info/alternates names (5 levels deep) */
    ks_git_idset *seen;           /* ids handed out before (across repositories); NULL: a set of this call's own */
    int (*on_object)(const ks_git_object *o, void *ctx);     /* nonzero stops the read */
    void (*on_problem)(const ks_git_problem *pr, void *ctx); /* may be NULL */
    void *ctx;
    /* Only these ids are handed out (NULL: every object of the types asked for): few of them are looked up
     * one by one, many are picked out of a walk of every pack. */
    const ks_git_idset *want;
    /* Each id of want that no pack and no objects directory holds (absent, not unreadable). May be NULL. */
    void (*on_missing)(const uint8_t *id, void *ctx);
    /* Ids checked for absence as want's are, without restricting what is handed out (NULL: want). */
    const ks_git_idset *expect;
    /* Threads resolving each pack's delta trees (ks_git_walk_options.lanes); 0 or 1: the caller's alone.
     * With more, a seen set given must be one several threads may use (ks__git_idset_new_shared). */
    unsigned lanes;
} ks_git_read_options;

/* Hands out each object of objects_dir of the types asked for, once: every pack-*.pack with its .idx under
 * pack/ (walked as ks__git_pack_walk does), then every loose object (xx/yyyy...). What cannot be read (a
 * pack without an index, a corrupt index or pack, a damaged object, a base found nowhere) is reported
 * through on_problem, counted in counts->problems, and the read goes on. Returns 0 when everything was
 * looked at, KS_ETERMINATED when on_object stopped it, KS_EIO when objects_dir cannot be opened, or
 * KS_ENOMEM; counts (may be NULL) is added to. */
int ks__git_read_objects(const char *objects_dir, const ks_git_read_options *o, ks_git_counts *counts);

#endif
