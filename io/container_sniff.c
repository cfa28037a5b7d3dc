/* container_sniff.c: which container begins where, from its bytes alone: magic numbers, tar headers whose checksum
 * is right, a stream or a zip after a script's or an executable's lead, and a container inside bytes of none. */
#include <string.h>

#include <libdeflate.h>

#include "container.h"
#include "container_sniff.h"
#include "le_bytes.h"

/* 1 when the 4 bytes at p begin a skippable frame (magic 0x184D2A50 to 0x184D2A5F). */
static int skippable_magic(const unsigned char *p)
{
    return (p[0] & 0xf0) == 0x50 && !memcmp(p + 1, "\x2a\x4d\x18", 3);
}

/* Where what follows the skippable frames at h begins (0: none, or one that the head does not hold whole). zstd
 * and lz4 streams may begin with them (the magic, then their size): pzstd writes one before each zstd frame, and
 * zstd itself decodes them as nothing. */
static size_t past_skippable(const unsigned char *h, size_t n)
{
    size_t at = 0;
    for (int k = 0; k < 16 && at + 8 <= n && skippable_magic(h + at); k++) {
        uint32_t size = (uint32_t)h[at + 4] | (uint32_t)h[at + 5] << 8 | (uint32_t)h[at + 6] << 16 |
                        (uint32_t)h[at + 7] << 24;
        if (size > n - at - 8)
            return 0;
        at += 8 + size;
    }
    return at;
}

ks_container_kind ks__container_sniff(const unsigned char *h, size_t n)
{
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return KS_CONT_GZIP;
    if (n >= 4 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' && h[3] <= '9')
        return KS_CONT_BZIP2;
    if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6))
        return KS_CONT_XZ;
    if (n >= 4 && !memcmp(h, "\x28\xb5\x2f\xfd", 4))
        return KS_CONT_ZSTD;
    size_t skip = past_skippable(h, n);
    if (skip && n - skip >= 4 && !memcmp(h + skip, "\x28\xb5\x2f\xfd", 4))
        return KS_CONT_ZSTD;
    /* an lz4 frame; or the legacy format, which the kernel's lz4 writes (initramfs images, compressed kernels) */
    if (n >= 4 && (!memcmp(h, "\x04\x22\x4d\x18", 4) || !memcmp(h, "\x02\x21\x4c\x18", 4)))
        return KS_CONT_LZ4;
    if (skip && n - skip >= 4 && !memcmp(h + skip, "\x04\x22\x4d\x18", 4))
        return KS_CONT_LZ4;
    if (n >= 4 && h[0] == 'P' && h[1] == 'K' && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6)))
        return KS_CONT_ZIP;
    if (n >= 6 && !memcmp(h, "7z\xbc\xaf\x27\x1c", 6))
        return KS_CONT_7Z;
    if (n >= 8 && !memcmp(h, "!<arch>\n", 8))
        return KS_CONT_AR;
    if (n >= 6 && (!memcmp(h, "070701", 6) || !memcmp(h, "070702", 6) || !memcmp(h, "070707", 6)))
        return KS_CONT_CPIO;
    if (n >= 4 && !memcmp(h, "\xed\xab\xee\xdb", 4))
        return KS_CONT_RPM;
    if (n >= 263 && !memcmp(h + 257, "ustar", 5) && (h[262] == '\0' || h[262] == ' '))
        return KS_CONT_TAR;
    /* ISO 9660's first volume descriptor follows 32 KiB of system area: only a head that long (a
     * file's first chunk) can show it, not the short heads of pipes, streams and nested members. */
    if (n >= KS_CONTAINER_ISO_MAGIC_AT + 5 && !memcmp(h + KS_CONTAINER_ISO_MAGIC_AT, "CD001", 5))
        return KS_CONT_ISO9660;
    return KS_CONT_NONE;
}

/* 1 when the 512 bytes at h are a tar header whose checksum is right (text that holds "ustar" 257 bytes after a
 * line's start is not one). */
static int tar_checksum_right(const unsigned char *h)
{
    unsigned long sum = 0, said = 0;
    for (int i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    int i = 148;
    while (i < 156 && h[i] == ' ')
        i++;
    if (i == 156 || h[i] < '0' || h[i] > '7')
        return 0;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
        said = said * 8 + (unsigned long)(h[i] - '0');
    return sum == said;
}

int ks__container_tar_header(const unsigned char *h)
{
    return !memcmp(h + 257, "ustar", 5) && tar_checksum_right(h);
}

/* 1 when what begins a line after a script is that kind indeed: beyond the magic the head shows, a tar header's
 * checksum and bzip2's first block's magic ("BZh9" may begin a line of text). */
static int lead_stream_right(ks_container_kind k, const unsigned char *h, size_t n)
{
    if (k == KS_CONT_TAR)
        return n >= 512 && tar_checksum_right(h);
    if (k == KS_CONT_BZIP2)
        return n >= 10 && !memcmp(h + 4, "1AY&SY", 6);
    return ks__container_is_stream(k);
}

int ks__container_after_script(const unsigned char *h, size_t n, uint64_t *at)
{
    if (n < 4 || h[0] != '#' || h[1] != '!')
        return 0;
    for (size_t i = 2; i < n; i++) {
        unsigned char c = h[i];
        if (c == '\n' && i + 1 < n) {
            ks_container_kind k = ks__container_sniff(h + i + 1, n - i - 1);
            if (lead_stream_right(k, h + i + 1, n - i - 1)) {
                *at = i + 1;
                return 1;
            }
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) {
            return 0; /* bytes that are no text before a line that begins a stream: a script it is not */
        }
    }
    return 0;
}

int ks__container_is_stream(ks_container_kind k)
{
    return k == KS_CONT_GZIP || k == KS_CONT_BZIP2 || k == KS_CONT_XZ || k == KS_CONT_ZSTD || k == KS_CONT_LZ4;
}

/* ---- a container after a lead: an executable jar's launch script, a self-extracting stub, a zipapp's shebang, a
 * makeself installer's script ---- */

#define LEAD_MAX KS_CONTAINER_LEAD_MAX /* how far into a member a container after a lead is looked for */

/* 1 when a member that starts so may hold a container after a lead of its own: a script ("#!"), before a zip or
 * a stream, or a Windows executable ("MZ"), before a zip. A file's zip is found by its end record
 * (ks__container_zip_after); a member cannot be read from its end, so its first bytes are looked through for a
 * local header instead. */
static int may_lead_a_zip(const unsigned char *h, size_t n)
{
    return n >= 2 && ((h[0] == '#' && h[1] == '!') || (h[0] == 'M' && h[1] == 'Z'));
}

/* 1 when the local header at q (30 bytes there, `room` bytes in all) looks like a zip writer's: its signature,
 * a version needed from 1.0 to 6.3, a method libarchive reads, a name of 1 to 1,024 printable bytes; and when its
 * sizes are in it (no data descriptor) and its end is at hand, the next header where they say. A false one would
 * open a zip that fails after its first member, and stop the archive holding it as corrupt. */
int ks__zip_local_header_right(const unsigned char *q, size_t room)
{
    unsigned method = ks__le16(q + 8), name = ks__le16(q + 26), extra = ks__le16(q + 28);
    if (q[1] != 'K' || q[2] != 3 || q[3] != 4 || q[4] < 10 || q[4] > 63 || name < 1 || name > 1024 ||
        30 + (size_t)name > room ||
        !(method == 0 || method == 8 || method == 9 || method == 12 || method == 14 || method == 93 ||
          method == 95 || method == 98))
        return 0;
    for (unsigned k = 0; k < name; k++)
        if (q[30 + k] < 0x20 || q[30 + k] == 0x7f)
            return 0;
    uint32_t csize = (uint32_t)ks__le16(q + 18) | (uint32_t)ks__le16(q + 20) << 16;
    uint64_t next = 30 + (uint64_t)name + extra + csize;
    if ((q[6] & 8) || csize == 0xffffffffu || next + 4 > room)
        return 1;
    const unsigned char *r = q + next; /* the next member, the central directory, or the end record (none) */
    return r[0] == 'P' && r[1] == 'K' && ((r[2] == 3 && r[3] == 4) || (r[2] == 1 && r[3] == 2) || (r[2] == 5 && r[3] == 6));
}

/* Where the first local header that looks right is in p[from..n); n when there is none. */
static size_t find_local_header(const unsigned char *p, size_t n, size_t from)
{
    for (size_t i = from; i + 30 <= n; i++) {
        const unsigned char *q = memchr(p + i, 'P', n - 29 - i);
        if (!q)
            break;
        i = (size_t)(q - p);
        if (ks__zip_local_header_right(q, n - i))
            return i;
    }
    return n;
}

/* Where in h[from, starts) a container begins that more than its magic confirms (its header within h[0, n)), n when
 * none: trailing data that begins with bytes of no container may hold one after them (`cat a.tar note b.tar.gz`, a
 * zip after a note). A zip's local header that looks right; a gzip, bzip2, xz, zstd or lz4 stream whose header is
 * well formed; a tar header whose checksum is right; a 7z signature. Not cpio's or ar's magic, which text can
 * hold, nor an image's. */
size_t ks__container_inside(const unsigned char *h, size_t n, size_t from, size_t starts)
{
    for (size_t i = from; i < starts; i++) {
        const unsigned char *q = h + i;
        size_t room = n - i;
        int found = 0;
        switch (q[0]) {
        case 'P':
            found = room >= 30 && ks__zip_local_header_right(q, room);
            break;
        case 0x1f: /* deflate, and no flag bit that RFC 1952 reserves */
            found = room >= 10 && q[1] == 0x8b && q[2] == 8 && !(q[3] & 0xe0);
            break;
        case 'B': /* the first block's magic too, as after a script */
            found = ks__container_sniff(q, room) == KS_CONT_BZIP2 && lead_stream_right(KS_CONT_BZIP2, q, room);
            break;
        case 0xfd: /* the stream flags: a zero byte, then a check type */
            found = room >= 8 && !memcmp(q, "\xfd" "7zXZ\0", 6) && q[6] == 0 && q[7] < 16;
            break;
        case 0x28: /* the frame header's reserved bit clear */
            found = room >= 5 && !memcmp(q, "\x28\xb5\x2f\xfd", 4) && !(q[4] & 0x08);
            break;
        case 0x04: /* a frame of version 01 */
            found = room >= 5 && !memcmp(q, "\x04\x22\x4d\x18", 4) && (q[4] & 0xc0) == 0x40;
            break;
        case '7': /* major version 0, and the start header's CRC right */
            found = room >= 32 && !memcmp(q, "7z\xbc\xaf\x27\x1c", 6) && q[6] == 0 &&
                    libdeflate_crc32(0, q + 12, 20) == ks__le32(q + 8);
            break;
        }
        if (!found && room >= 12 && skippable_magic(q)) { /* skippable frames, then zstd or lz4 (pzstd's) */
            ks_container_kind k = ks__container_sniff(q, room);
            found = k == KS_CONT_ZSTD || k == KS_CONT_LZ4;
        }
        if (found || (room >= 512 && q[257] == 'u' && ks__container_sniff(q, room) == KS_CONT_TAR &&
                      lead_stream_right(KS_CONT_TAR, q, room)))
            return i;
    }
    return n;
}

/* What begins at a lead's end, given where its first zip local header is (n: none): a stream or tar at one of a
 * script's lines before it (*at: the line), else the zip (*at: zip_at), else nothing. */
ks_container_kind ks__container_lead_kind(const unsigned char *h, size_t n, size_t zip_at, size_t *at)
{
    uint64_t s;
    if (ks__container_after_script(h, zip_at, &s)) {
        *at = (size_t)s;
        return ks__container_sniff(h + s, n - (size_t)s);
    }
    *at = zip_at;
    return zip_at < n ? KS_CONT_ZIP : KS_CONT_NONE;
}

int ks__container_may_lead(const unsigned char *h, size_t n) { return may_lead_a_zip(h, n); }

/* Where the first zip local header that looks right and begins in p[from, LEAD_MAX) is; n when there is none. */
size_t ks__container_lead_zip_at(const unsigned char *p, size_t n, size_t from)
{
    size_t at = find_local_header(p, n, from);
    return at < LEAD_MAX ? at : n;
}

ks_container_kind ks__container_after_lead(const unsigned char *h, size_t n, uint64_t *at)
{
    size_t a = 0;
    ks_container_kind k = may_lead_a_zip(h, n) ? ks__container_lead_kind(h, n, ks__container_lead_zip_at(h, n, 1), &a) : KS_CONT_NONE;
    *at = a;
    return k;
}

int ks__container_may_be_image(const unsigned char *h, size_t n)
{
    if (n < KS_CONTAINER_SECTOR)
        return 0;
    if (h[510] == 0x55 && h[511] == 0xaa)
        return 1;
    for (size_t i = 0; i < KS_CONTAINER_SECTOR; i++)
        if (h[i])
            return 0;
    return 1;
}
