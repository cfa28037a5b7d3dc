/* lines.c: newline accounting that keeps line and column numbers exact across regions, pieces and chunks. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "scanner_int.h"

static uint64_t count_newlines(const unsigned char *p, size_t n)
{
    uint64_t c = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* Sixteen bytes per compare: code averages a newline every ~40 bytes, too dense for memchr.
     * Matches are summed per byte lane (a compare gives -1, subtracted) and folded with SAD every
     * 255 blocks, before a lane can overflow: no popcount, which baseline x86-64 lacks. */
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i acc = zero;
        size_t blocks = (n - i) / 16 > 255 ? 255 : (n - i) / 16;
        for (size_t b = 0; b < blocks; b++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl));
        __m128i sums = _mm_sad_epu8(acc, zero);
        c += (uint64_t)_mm_cvtsi128_si64(sums) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; i < n; i++)
        c += p[i] == '\n';
    return c;
}

void ks__lines_advance(ks_lines *lines, const unsigned char *buf, uint64_t buf_base, uint64_t to)
{
    if (to <= lines->counted_to)
        return;
    const unsigned char *p = buf + (lines->counted_to - buf_base);
    size_t n = (size_t)(to - lines->counted_to);
    uint64_t c = count_newlines(p, n);
    if (c) {
        lines->newlines += c;
        const unsigned char *last = memrchr(p, '\n', n);
        lines->last_nl_end = buf_base + (uint64_t)(last - buf) + 1;
    }
    lines->counted_to = to;
}
