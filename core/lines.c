/* lines.c: newline accounting that keeps line and column numbers exact across regions, pieces and chunks. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

static uint64_t count_newlines(const unsigned char *p, size_t n)
{
    uint64_t c = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* Sixteen bytes per compare: code averages a newline every ~40 bytes, too dense for memchr. */
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        c += (uint64_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)));
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
