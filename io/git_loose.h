/* git_loose.h: one loose object (objects/xx/yyyy...): a zlib stream of "<type> <size>\0" and the content. */
#ifndef KS_IO_GIT_LOOSE_H
#define KS_IO_GIT_LOOSE_H

#include <stddef.h>
#include <stdint.h>

#include "git_object.h"
#include "keysweep.h"

/* Reads the loose object `name` under dirfd (AT_FDCWD: a path). The header is inflated first: when it
 * names a type outside `types` (KS_GIT_TYPE_BIT()s), returns 1 with *type set and nothing more inflated.
 * Otherwise returns 0 with the content in *data (from a; the caller frees it) and *size, or KS_EIO (the
 * file cannot be read), KS_ELIMIT (over max_object), KS_ENOMEM, KS_ECORRUPT (a bad header, a stream
 * that is corrupt, cut short, or longer or shorter than the header says), with why filled. */
int ks__git_loose_read(const ks_allocator *a, int dirfd, const char *name, unsigned types, size_t max_object,
                       ks_git_type *type, uint8_t **data, size_t *size, char *why, size_t why_len);

#endif
