/* bench_unpack.c: the ceiling for scanning containers: libarchive alone (the library keysweep reads them with)
 * decompressing every member of each file into a buffer that is thrown away, one thread, nothing scanned. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_unpack FILE...\n");
        return 2;
    }
    static unsigned char buf[256 * 1024];
    unsigned long long in = 0, out = 0, members = 0;
    double t0 = now();
    for (int i = 1; i < argc; i++) {
        struct archive *a = archive_read_new();
        /* the filters and formats keysweep opens (io/container.c), and raw for a bare stream */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_lz4(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_zip(a);
        archive_read_support_format_7zip(a);
        archive_read_support_format_raw(a);
        if (archive_read_open_filename(a, argv[i], 1 << 20) != ARCHIVE_OK) {
            fprintf(stderr, "bench_unpack: %s: %s\n", argv[i], archive_error_string(a));
            return 2;
        }
        struct archive_entry *e;
        int r;
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
            members++;
            la_ssize_t n;
            while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
                out += (unsigned long long)n;
            if (n < 0) {
                fprintf(stderr, "bench_unpack: %s: %s\n", argv[i], archive_error_string(a));
                return 2;
            }
        }
        if (r != ARCHIVE_EOF) {
            fprintf(stderr, "bench_unpack: %s: %s\n", argv[i], archive_error_string(a));
            return 2;
        }
        in += (unsigned long long)archive_filter_bytes(a, -1);
        archive_read_free(a);
    }
    double secs = now() - t0;
    printf("{\"files\": %d, \"members\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, \"seconds\": %.6f}\n", argc - 1,
           members, in, out, secs);
    return 0;
}
