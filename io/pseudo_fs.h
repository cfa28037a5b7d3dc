/* pseudo_fs.h: which file systems hold kernel state rather than stored data (procfs, sysfs, ...): the one list. */
#ifndef KS_PSEUDO_FS_H
#define KS_PSEUDO_FS_H

#include <stddef.h>
#include <sys/types.h>

/* What is known of the mount table: devtmpfs reports tmpfs' statfs magic, so it is told apart
 * by /proc/self/mountinfo, read once per cache. Zero-initialise; free with ks_pseudo_fs_cache_free. */
typedef struct ks_pseudo_fs_cache {
    int loaded;
    dev_t *devtmpfs; /* st_dev of every devtmpfs mount seen in /proc/self/mountinfo */
    size_t n;
} ks_pseudo_fs_cache;

/* The name of the pseudo file system that the descriptor `fd` (O_PATH ones too) lies on, or NULL
 * when it holds stored data or its type cannot be read (then it is scanned). `dev` is fd's st_dev. */
const char *ks_pseudo_fs_name(int fd, dev_t dev, ks_pseudo_fs_cache *cache);

void ks_pseudo_fs_cache_free(ks_pseudo_fs_cache *cache);

#endif
