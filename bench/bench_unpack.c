/* bench_unpack.c: the ceiling for scanning containers: the decoders keysweep reads them with (libarchive, gzip
 * inflated by ISA-L and zstd by libzstd first, as io/container.c does) decompressing every member into a buffer thrown
 * away, one thread. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inflate_gzip.h"
#include "inflate_zstd.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct file_src {
    int fd;
    unsigned char buf[1 << 20];
} file_src;

static la_ssize_t file_read(struct archive *a, void *cd, const void **out)
{
    file_src *f = cd;
    *out = f->buf;
    return read(f->fd, f->buf, sizeof f->buf);
}

int main(int argc, char **argv)
{
    /* as the keysweep command does (cli/main.c): glibc then reads the zone once instead of a stat of
     * /etc/localtime per mktime, which libarchive calls for every zip member's times */
    if (!getenv("TZ"))
        setenv("TZ", ":/etc/localtime", 0);
    if (argc < 2) {
        fprintf(stderr, "usage: bench_unpack FILE...\n");
        return 2;
    }
    static unsigned char buf[256 * 1024];
    unsigned long long in = 0, out = 0, members = 0;
    static file_src src;
    double t0 = now();
    for (int i = 1; i < argc; i++) {
        unsigned char magic[4] = {0};
        src.fd = open(argv[i], O_RDONLY);
        if (src.fd < 0 || pread(src.fd, magic, 4, 0) < 0) {
            perror(argv[i]);
            return 2;
        }
        ks_gzip *gz = magic[0] == 0x1f && magic[1] == 0x8b ? ks__gzip_new(file_read, &src) : NULL;
        ks_zstd *zs = !memcmp(magic, "\x28\xb5\x2f\xfd", 4) ? ks__zstd_new(file_read, &src) : NULL;
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
        if (gz || zs) {
            archive_read_set_read_callback(a, gz ? ks__gzip_read : ks__zstd_read);
            archive_read_set_callback_data(a, gz ? (void *)gz : (void *)zs);
        }
        if ((gz || zs ? archive_read_open1(a) : archive_read_open_fd(a, src.fd, 1 << 20)) != ARCHIVE_OK) {
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
        in += gz ? ks__gzip_bytes_in(gz) : zs ? ks__zstd_bytes_in(zs) : (unsigned long long)archive_filter_bytes(a, -1);
        archive_read_free(a);
        ks__gzip_free(gz);
        ks__zstd_free(zs);
        close(src.fd);
    }
    double secs = now() - t0;
    printf("{\"files\": %d, \"members\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, \"seconds\": %.6f}\n", argc - 1,
           members, in, out, secs);
    return 0;
}
