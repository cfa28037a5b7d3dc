/* git_pack_dir.h: every pack of an objects directory (pack/pack-*.pack with its .idx) opened, in name order. */
#ifndef KS_IO_GIT_PACK_DIR_H
#define KS_IO_GIT_PACK_DIR_H

#include <stddef.h>

#include "git_pack.h"

/* A pack that could not be opened: its path, the KS_E* code and why. */
typedef void (*ks_git_pack_failed)(void *ctx, const char *pack_path, int code, const char *why);

/* Opens each pack-*.pack under objects_dir/pack with its .idx, in name order, appending them to *packs (grown
 * from a; *n and *cap as ks__agrow keeps them). A pack that cannot be opened goes to failed (may be NULL) and
 * is left out. Returns 0 (also when there is no pack directory), or KS_ENOMEM. */
int ks__git_packs_open_dir(const ks_allocator *a, const char *objects_dir, ks_git_pack ***packs, size_t *n,
                           size_t *cap, ks_git_pack_failed failed, void *ctx);

#endif
