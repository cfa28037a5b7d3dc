/* decode_find.c: one pass over a buffer that finds where encoded text may be: runs of base64-alphabet bytes long enough
 * to hold a secret, and the bytes that start escapes ('%', '\\', '&'); 64 bytes at a time, classified with two
 * table lookups per 16 or 32 bytes (the nibble method), so that text with nothing encoded costs a fraction of a scan. */
#include <string.h>

#include "compiler.h"
#include "decode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KS_DF_X86 1
#endif

/* A byte's classes are LO[c & 15] & HI[c >> 4]; each bit is one product of a set of high nibbles
 * and a set of low nibbles:
 *   0x01 digits        hi 3     lo 0-9
 *   0x02 A-O a-o       hi 4, 6  lo 1-15
 *   0x04 P-Z p-z       hi 5, 7  lo 0-10
 *   0x08 + - /         hi 2     lo b, d, f
 *   0x10 _             hi 5     lo f
 *   0x20 % &           hi 2     lo 5, 6
 *   0x40 backslash     hi 5     lo c  */
#define B64_BITS 0x1f
#define ESC_BITS 0x60
static const unsigned char LO[16] = {
    0x05, 0x07, 0x07, 0x07, 0x07, 0x27, 0x27, 0x07, 0x07, 0x07, 0x06, 0x0a, 0x42, 0x0a, 0x02, 0x1a};
static const unsigned char HI[16] = {0, 0, 0x28, 0x01, 0x02, 0x54, 0x02, 0x04, 0, 0, 0, 0, 0, 0, 0, 0};

typedef struct masks {
    uint64_t b64, esc;
} masks;

static masks classify_scalar(const unsigned char *p, size_t n)
{
    masks m = {0, 0};
    for (size_t i = 0; i < n; i++) {
        unsigned c = LO[p[i] & 15] & HI[p[i] >> 4];
        m.b64 |= (uint64_t)((c & B64_BITS) != 0) << i;
        m.esc |= (uint64_t)((c & ESC_BITS) != 0) << i;
    }
    return m;
}

#ifdef KS_DF_X86
__attribute__((target("avx2"), always_inline)) static inline masks classify_avx2(const unsigned char *p)
{
    const __m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)LO));
    const __m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)HI));
    const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    const __m256i b64 = _mm256_set1_epi8(B64_BITS), esc = _mm256_set1_epi8(ESC_BITS);
    masks m;
    uint32_t b[2], e[2];
    for (int h = 0; h < 2; h++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * h));
        __m256i c = _mm256_and_si256(_mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib)),
                                     _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
        b[h] = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c, b64), zero));
        e[h] = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c, esc), zero));
    }
    m.b64 = (uint64_t)b[1] << 32 | b[0];
    m.esc = (uint64_t)e[1] << 32 | e[0];
    return m;
}

__attribute__((target("ssse3"), always_inline)) static inline masks classify_ssse3(const unsigned char *p)
{
    const __m128i lo_t = _mm_loadu_si128((const __m128i *)LO), hi_t = _mm_loadu_si128((const __m128i *)HI);
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
    const __m128i b64 = _mm_set1_epi8(B64_BITS), esc = _mm_set1_epi8(ESC_BITS);
    masks m = {0, 0};
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * q));
        __m128i c = _mm_and_si128(_mm_shuffle_epi8(lo_t, _mm_and_si128(v, nib)),
                                  _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
        uint64_t bb = (uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(c, b64), zero));
        uint64_t ee = (uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(c, esc), zero));
        m.b64 |= bb << (16 * q);
        m.esc |= ee << (16 * q);
    }
    return m;
}
#endif

typedef masks (*classify_fn)(const unsigned char *p);

static inline masks classify_scalar64(const unsigned char *p) { return classify_scalar(p, 64); }

/* Whether the byte after an escape's first byte can continue it: most '%', '\\' and '&' in
 * source code (printf formats, "\\n", C's address-of) are turned away here, without a call. */
static inline int escape_may_start(const unsigned char *buf, size_t at, size_t n)
{
    if (at + 2 >= n)
        return 0;
    unsigned char c = buf[at], d = buf[at + 1];
    if (c == '%')
        return (d >= '2' && d <= '7');
    if (c == '\\')
        return d == 'u' || d == 'x';
    return d == '#' || d == 'a' || d == 'l' || d == 'g' || d == 'q';
}

/* Bit i of the result is set when bits i..i+19 of x all are (KS_DEC_MIN_B64 == 20). */
static inline uint64_t runs_of_20(uint64_t x)
{
    x &= x >> 1;
    x &= x >> 2;
    x &= x >> 4;
    x &= x >> 8;
    return x & x >> 4;
}

#define NONE SIZE_MAX

__attribute__((always_inline)) static inline int find_impl(const unsigned char *buf, size_t n,
                                                          const ks_dfind_ops *ops, void *ctx, classify_fn classify)
{
    _Static_assert(KS_DEC_MIN_B64 == 20, "runs_of_20 finds runs of KS_DEC_MIN_B64");
    size_t cur = NONE;   /* start of the run that reaches the end of the previous block */
    size_t esc_done = 0; /* escapes before this were reported */
    size_t pos = 0;
    while (pos < n) {
        masks m;
        size_t left = n - pos;
        if (KS_LIKELY(left >= 64)) {
            m = classify(buf + pos);
        } else {
            m = classify_scalar(buf + pos, left);
        }
        uint64_t valid = left >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << left) - 1;
        uint64_t b = m.b64 & valid, e = m.esc & valid;
        for (; e; e &= e - 1) {
            size_t at = pos + (size_t)__builtin_ctzll(e);
            if (at < esc_done || !escape_may_start(buf, at, n))
                continue;
            int rc = ops->on_escape(ctx, at);
            if (rc)
                return rc;
        }
        if (pos + 64 > esc_done)
            esc_done = pos + 64;
        size_t next = pos + 64, resume = 0;
        if (b == ~(uint64_t)0) {
            if (cur == NONE)
                cur = pos;
            pos = next;
            continue;
        }
        uint64_t x = b;
        if (cur != NONE) { /* the run carried in from the previous block ends here */
            unsigned t = (unsigned)__builtin_ctzll(~b);
            if (pos + t - cur >= KS_DEC_MIN_B64) {
                int rc = ops->on_run(ctx, cur, pos + t, &resume);
                if (rc)
                    return rc;
            }
            cur = NONE;
            x &= t ? ~(((uint64_t)1 << t) - 1) : ~(uint64_t)0;
            if (resume > pos + t) {
                pos = resume;
                continue;
            }
        }
        uint64_t body = x;
        if (left > 64 && x >> 63) { /* a run reaching the block's end is carried into the next */
            unsigned k = (unsigned)__builtin_clzll(~x);
            body = x & (~(uint64_t)0 >> k);
            cur = pos + 64 - k;
        }
        if (runs_of_20(body)) {
            while (body) {
                unsigned s = (unsigned)__builtin_ctzll(body);
                uint64_t from_s = body >> s;
                unsigned len = ~from_s ? (unsigned)__builtin_ctzll(~from_s) : 64 - s;
                if (len >= KS_DEC_MIN_B64) {
                    int rc = ops->on_run(ctx, pos + s, pos + s + len, &resume);
                    if (rc)
                        return rc;
                    if (resume > pos + s + len)
                        break;
                }
                body &= s + len >= 64 ? 0 : ~(uint64_t)0 << (s + len);
            }
            if (resume > pos) { /* the run went on past what the masks saw (padding, line breaks) */
                cur = NONE;
                pos = resume;
                continue;
            }
        }
        pos = next;
    }
    if (cur != NONE && n - cur >= KS_DEC_MIN_B64) {
        size_t resume = 0;
        return ops->on_run(ctx, cur, n, &resume);
    }
    return 0;
}

#ifdef KS_DF_X86
__attribute__((target("avx2"))) static int find_avx2(const unsigned char *buf, size_t n, const ks_dfind_ops *ops,
                                                     void *ctx)
{
    return find_impl(buf, n, ops, ctx, classify_avx2);
}

__attribute__((target("ssse3"))) static int find_ssse3(const unsigned char *buf, size_t n, const ks_dfind_ops *ops,
                                                       void *ctx)
{
    return find_impl(buf, n, ops, ctx, classify_ssse3);
}
#endif

static int find_scalar(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx)
{
    return find_impl(buf, n, ops, ctx, classify_scalar64);
}

int ks__decode_find(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx)
{
#ifdef KS_DF_X86
    if (__builtin_cpu_supports("avx2"))
        return find_avx2(buf, n, ops, ctx);
    if (__builtin_cpu_supports("ssse3"))
        return find_ssse3(buf, n, ops, ctx);
#endif
    return find_scalar(buf, n, ops, ctx);
}
