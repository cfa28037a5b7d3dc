/* le_bytes.h: little-endian integers read from bytes at any alignment (zip, lz4, zstd and ISO 9660 headers). */
#ifndef KS_IO_LE_BYTES_H
#define KS_IO_LE_BYTES_H

#include <stdint.h>

static inline unsigned ks__le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static inline uint32_t ks__le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ks__le64(const unsigned char *p) { return ks__le32(p) | (uint64_t)ks__le32(p + 4) << 32; }

#endif
