/* archives.c: test archives written in memory with libarchive's writer. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "archives.h"

/* Writes an archive of `format` through `filter` (ARCHIVE_FILTER_NONE for none) into *out. */
blob write_archive(int format, int filter, const char *const *names, const blob *datas, size_t n)
{
    struct archive *a = archive_write_new();
    cr_assert(a);
    int frc = format == ARCHIVE_FORMAT_RAW      ? archive_write_set_format_raw(a)
              : format == ARCHIVE_FORMAT_AR_GNU ? archive_write_set_format_ar_svr4(a)
                                                : archive_write_set_format(a, format);
    cr_assert_eq(frc, ARCHIVE_OK, "format %#x: %s", format, archive_error_string(a));
    if (filter != ARCHIVE_FILTER_NONE)
        cr_assert_eq(archive_write_add_filter(a, filter), ARCHIVE_OK, "%s", archive_error_string(a));
    if (format == ARCHIVE_FORMAT_RAW)
        archive_write_set_bytes_in_last_block(a, 1);
    size_t cap = format == ARCHIVE_FORMAT_ISO9660 ? (size_t)1 << 20 : 4096; /* 32 KiB system area, 2 KiB sectors */
    for (size_t i = 0; i < n; i++) /* a long name takes a header and blocks of its own (GNU, pax) */
        cap += datas[i].len * 2 + 1024 + (strlen(names[i]) > 100 ? 2048 + strlen(names[i]) * 2 : 0);
    blob out = {.p = malloc(cap), .cap = cap};
    cr_assert(out.p);
    cr_assert_eq(archive_write_open_memory(a, out.p, out.cap, &out.len), ARCHIVE_OK, "%s", archive_error_string(a));
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_size(e, (la_int64_t)datas[i].len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s", archive_error_string(a));
        cr_assert_eq(archive_write_data(a, datas[i].p, datas[i].len), (la_ssize_t)datas[i].len);
        archive_entry_free(e);
    }
    cr_assert_eq(archive_write_close(a), ARCHIVE_OK, "%s", archive_error_string(a));
    archive_write_free(a);
    return out;
}

blob text(const char *s) { return (blob){.p = (unsigned char *)s, .len = strlen(s)}; }
