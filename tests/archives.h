/* archives.h: test archives written in memory with libarchive's writer, every format and filter it has. */
#ifndef KS_TEST_ARCHIVES_H
#define KS_TEST_ARCHIVES_H

#include <stddef.h>

typedef struct blob {
    unsigned char *p;
    size_t len, cap;
} blob;

/* An archive of `format` (ARCHIVE_FORMAT_*; ARCHIVE_FORMAT_RAW: one compressed stream) through `filter`
 * (ARCHIVE_FILTER_NONE for none) holding members names[i] = datas[i]; aborts the test on failure. */
blob write_archive(int format, int filter, const char *const *names, const blob *datas, size_t n);

/* A blob over a string (not copied). */
blob text(const char *s);

#endif
