/* file_read.h: a whole regular file into memory, bounded: rule files, cached databases, baselines, ignore files. */
#ifndef KS_UTIL_FILE_READ_H
#define KS_UTIL_FILE_READ_H

#include <stddef.h>

/* Reads the regular file at path (opened O_NONBLOCK, so a FIFO there never blocks; with
 * `nofollow`, a symlink is refused) into a new NUL-terminated buffer (*out, free with ks__free)
 * of *len bytes, up to the size it had when opened (a file that shrank meanwhile gives what was
 * there). Returns 0, or a negative errno: from open or read, -EINVAL not a regular file, -EFBIG
 * over `max` bytes, -ENOMEM. */
int ks__file_read(const char *path, int nofollow, size_t max, char **out, size_t *len);

#endif
