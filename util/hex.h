/* hex.h: the value of one hexadecimal digit, for every parser of hex (decoders, TOML escapes, baselines, git ids). */
#ifndef KS_UTIL_HEX_H
#define KS_UTIL_HEX_H

#include <stddef.h>

/* 0-15 for 0-9, a-f, A-F; -1 for anything else. */
static inline int ks__hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 2n hex digits at hex into n bytes at out; 0, or -1 when one is not a hex digit (out is then partly written). */
static inline int ks__hex_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = ks__hex_value(hex[2 * i]), lo = hi < 0 ? -1 : ks__hex_value(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

#endif
