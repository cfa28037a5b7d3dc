/* utf16.h: text stored as UTF-16 (Windows .ini, .reg, PowerShell, some .config): recognised by its byte order mark or
 * its pattern of zero bytes, and narrowed to one byte per code unit so that rules written for text apply. */
#ifndef KS_IO_UTF16_H
#define KS_IO_UTF16_H

#include <stddef.h>

typedef enum ks_utf16 { KS_UTF16_NONE = 0, KS_UTF16_LE, KS_UTF16_BE } ks_utf16;

/* What the first `n` bytes say; *bom gets the length of a byte order mark (2) or 0. Without a mark,
 * at least 64 bytes in which one byte of each pair is zero and the other text are needed. *unsure is
 * set when a mark is not followed by such bytes: random bytes may start with one, so the bytes are
 * also to be scanned as they are. */
ks_utf16 ks__utf16_sniff(const unsigned char *head, size_t n, size_t *bom, int *unsure);

/* Narrows `n` bytes of UTF-16 (`in`, continuing a stream whose odd byte, if any, waits in *carry:
 * -1 when none) into `out`, one byte per code unit: a unit below 0x100 becomes that byte, any other
 * becomes 0x1a (SUB), so that byte i of the result is code unit i of the text, at offset 2i.
 * Returns the bytes written (at most (n + 1) / 2). */
size_t ks__utf16_narrow(const unsigned char *in, size_t n, ks_utf16 order, unsigned char *out, int *carry);

#endif
