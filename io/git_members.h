/* git_members.h: a repository's blobs as members of one object, handed to a container sink (io/container.h) as a
 * container's members are, so that they are scanned, and shared out, by the same machinery. */
#ifndef KS_IO_GIT_MEMBERS_H
#define KS_IO_GIT_MEMBERS_H

#include "container.h"
#include "git_idset.h"

/* Hands every blob of the repository whose git directory is `git_dir` (its objects/ packs and loose
 * objects, each id once, and none in `seen`, which may be NULL; a shared set for several threads) to the sink as a member named by its 40-hex id, in pieces of at most 256
 * KiB. What cannot be read (a corrupt pack, a missing delta base, no memory) goes to sink->problem,
 * fatal, and makes res->stop KS_CONT_CORRUPT; the rest is still read. Returns 0, or -1 when the sink
 * stopped it. */
int ks__git_expand(const char *git_dir, ks_git_idset *seen, const ks_container_sink *sink, void *ctx,
                   ks_container_result *res);

/* 1 when the directory open as dirfd is a git directory (HEAD, objects/ and refs/ in it). */
int ks__git_is_dir(int dirfd);

#endif
