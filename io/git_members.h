/* git_members.h: a repository's blobs as members of one object, handed to a container sink (io/container.h) as a
 * container's members are, so that they are scanned, and shared out, by the same machinery. */
#ifndef KS_IO_GIT_MEMBERS_H
#define KS_IO_GIT_MEMBERS_H

#include "container.h"
#include "git_idset.h"
#include "git_locate.h"

/* One repository to read: where it lives, which of its blobs to take, and what reading it took and left. */
typedef struct ks_git_job {
    ks_git_location loc;
    ks_git_opts opts;     /* its strings point into `strings` */
    char *strings;
    ks_git_totals totals; /* filled by ks__git_expand */
} ks_git_job;

/* A job for `repo` (a git directory, a work tree, a .git file, a linked worktree's directory) with a copy of
 * opts (NULL: every blob). Returns 0, KS_EINVAL (not a repository, or opts inconsistent), KS_EIO or KS_ENOMEM. */
int ks__git_job_new(const ks_allocator *a, const char *repo, const ks_git_opts *opts, ks_git_job **out);
void ks__git_job_free(const ks_allocator *a, ks_git_job *job);

/* Hands the job's blobs (every blob of its object store, or those its options select: ks__git_select_ids)
 * to the sink as members named by their 40-hex ids, in pieces of at most 256 KiB, each id once and none in
 * `seen` (may be NULL; a shared set for several threads); blobs over max_blob_size are skipped and counted.
 * What cannot be read (a corrupt pack, a missing object that no promisor remote holds, a revision that does
 * not resolve, no memory) goes to sink->problem, fatal, and makes res->stop KS_CONT_CORRUPT; the rest is still
 * read. Each pack's delta trees are resolved on `lanes` threads (0 or 1: the caller's alone; with more, seen
 * must be shared), the sink still called on the caller's thread in the order one gives. job->totals is filled.
 * Returns 0, or -1 when the sink stopped it. */
int ks__git_expand(const ks_allocator *a, ks_git_job *job, ks_git_idset *seen, unsigned lanes,
                   const ks_container_sink *sink, void *ctx, ks_container_result *res);

/* 1 when the directory open as dirfd is a git directory (HEAD, objects/ and refs/ in it). */
int ks__git_is_dir(int dirfd);

#endif
