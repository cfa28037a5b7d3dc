/* decode_find.c: one pass over a buffer that finds the runs of base64-alphabet bytes long enough to hold a secret (the
 * escapes, which start with a literal, are found by the rules' own Vectorscan pass: engine.c); 64 bytes at a time,
 * classified with two table lookups per 16 or 32 bytes (the nibble method), so that text costs little next to a scan. */
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
 *   0x08 + /           hi 2     lo b, f
 * URL-safe base64's - and _ are left out: they are what identifiers (snake_case, kebab-case) are
 * made of, the most common long runs in source code; a run of the standard alphabet is widened
 * over them afterwards (widen_url_safe). */
static const unsigned char LO[16] = {
    0x05, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x06, 0x0a, 0x02, 0x02, 0x02, 0x0a};
static const unsigned char HI[16] = {0, 0, 0x08, 0x01, 0x02, 0x04, 0x02, 0x04, 0, 0, 0, 0, 0, 0, 0, 0};

static uint64_t classify_scalar(const unsigned char *p)
{
    uint64_t m = 0;
    for (size_t i = 0; i < 64; i++)
        m |= (uint64_t)((LO[p[i] & 15] & HI[p[i] >> 4]) != 0) << i;
    return m;
}

#ifdef KS_DF_X86
__attribute__((target("avx2"), always_inline)) static inline __m256i classes32(const unsigned char *p)
{
    const __m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)LO));
    const __m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)HI));
    const __m256i nib = _mm256_set1_epi8(0x0f);
    __m256i v = _mm256_loadu_si256((const __m256i *)p);
    return _mm256_and_si256(_mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib)),
                            _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
}

__attribute__((target("avx2"), always_inline)) static inline uint64_t classify_avx2(const unsigned char *p)
{
    const __m256i zero = _mm256_setzero_si256();
    uint64_t b0 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(classes32(p), zero));
    uint64_t b1 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(classes32(p + 32), zero));
    return ~(b1 << 32 | b0);
}

__attribute__((target("avx512bw"), always_inline)) static inline uint64_t classify_avx512(const unsigned char *p)
{
    const __m512i lo_t = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)LO));
    const __m512i hi_t = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)HI));
    const __m512i nib = _mm512_set1_epi8(0x0f);
    __m512i v = _mm512_loadu_si512((const void *)p);
    __m512i c = _mm512_and_si512(_mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, nib)),
                                 _mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib)));
    return _mm512_test_epi8_mask(c, c);
}

__attribute__((target("ssse3"), always_inline)) static inline uint64_t classify_ssse3(const unsigned char *p)
{
    const __m128i lo_t = _mm_loadu_si128((const __m128i *)LO), hi_t = _mm_loadu_si128((const __m128i *)HI);
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
    uint64_t m = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * q));
        __m128i c = _mm_and_si128(_mm_shuffle_epi8(lo_t, _mm_and_si128(v, nib)),
                                  _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, zero)) << (16 * q);
    }
    return ~m;
}
#endif

typedef uint64_t (*classify_fn)(const unsigned char *p);

/* Bit i of the result is set when bits i..i+19 of x all are (KS_DEC_MIN_B64 == 20). */
static inline uint64_t runs_of_20(uint64_t x)
{
    x &= x >> 1;
    x &= x >> 2;
    x &= x >> 4;
    x &= x >> 8;
    return x & x >> 4;
}


/* Base64 of ASCII text has a character from I-Z or a-f first in every quantum (the top six bits of
 * a byte from 0x20 to 0x7f; w-z for UTF-8's lead bytes); hex of it, a digit from 2 to 7 first in
 * every pair. Looking at the first few, without a call, turns away the identifiers, paths and hashes
 * that make most long runs in source code and text, before anything is decoded. */
static inline int starts_like_encoded_text(const unsigned char *p, size_t n)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n && i < 32; i += 4) {
        unsigned char c = p[i];
        bad += !((c >= 'I' && c <= 'Z') || (c >= 'a' && c <= 'f') || (c >= 'w' && c <= 'z'));
        if (bad > 1)
            break;
    }
    if (bad <= 1)
        return 1;
    if (n < KS_DEC_MIN_HEX)
        return 0;
    bad = 0;
    for (size_t i = 0; i < 32; i += 2)
        bad += p[i] < '2' || p[i] > '7';
    return bad <= 1;
}

/* A run of the standard alphabet widened over the URL-safe one on both sides (within [0, n)). */
static inline void widen_url_safe(const unsigned char *buf, size_t n, size_t *from, size_t *to)
{
    size_t f = *from, t = *to;
    while (f > 0 && ks__is_b64(buf[f - 1]))
        f--;
    while (t < n && ks__is_b64(buf[t]))
        t++;
    *from = f;
    *to = t;
}

/* Offers one run to on_run when it starts like encoded text; *resume is set past it when it was
 * widened beyond `to`. */
static inline int offer(const unsigned char *buf, size_t n, size_t from, size_t to, size_t *resume,
                        const ks_dfind_ops *ops, void *ctx)
{
    size_t std_to = to;
    widen_url_safe(buf, n, &from, &to);
    if (!starts_like_encoded_text(buf + from, to - from))
        return to > std_to ? (*resume = to, 0) : 0;
    int rc = ops->on_run(ctx, from, to, resume);
    if (!rc && to > std_to && *resume < to)
        *resume = to;
    return rc;
}

/* The runs of block [pos, pos + 64) (bits b; `carry` bytes of a run end at pos) that are long enough,
 * the slow path: each goes to on_run if it starts like encoded text. Returns the callback's non-zero
 * value, else 0 with *carry set to the run reaching the block's end (when more follows) and
 * *resume past what a callback took (0: nothing). */
static int block_runs(const unsigned char *buf, size_t n, size_t pos, uint64_t b, int more, size_t *carry,
                      size_t *resume, const ks_dfind_ops *ops, void *ctx)
{
    size_t from_carry = *carry;
    *carry = 0;
    if (from_carry) { /* the run carried in ends here, or goes on through the whole block */
        unsigned t = ~b ? (unsigned)__builtin_ctzll(~b) : 64;
        if (t == 64 && more) {
            *carry = from_carry + 64;
            return 0;
        }
        size_t from = pos - from_carry, to = pos + t;
        if (to - from >= KS_DEC_MIN_B64) {
            int rc = offer(buf, n, from, to, resume, ops, ctx);
            if (rc || *resume > to)
                return rc;
            *resume = 0;
        }
        b &= t >= 64 ? 0 : ~(uint64_t)0 << t;
    }
    uint64_t y = runs_of_20(b); /* bit i: twenty ones from i */
    while (y) {
        unsigned i = (unsigned)__builtin_ctzll(y);
        uint64_t zeros_below = ~b & (((uint64_t)1 << i) - 1);
        unsigned s = zeros_below ? 64 - (unsigned)__builtin_clzll(zeros_below) : 0;
        uint64_t shifted = b >> s;
        unsigned len = ~shifted ? (unsigned)__builtin_ctzll(~shifted) : 64 - s;
        if (s + len == 64 && more) { /* goes on in the next block */
            *carry = len;
            return 0;
        }
        size_t from = pos + s, to = from + len;
        int rc = offer(buf, n, from, to, resume, ops, ctx);
        if (rc || *resume > to)
            return rc;
        *resume = 0;
        if (s + len >= 64)
            return 0;
        y &= ~(uint64_t)0 << (s + len);
        b &= ~(uint64_t)0 << (s + len);
    }
    if (more && b >> 63) /* a shorter run reaching the end may grow in the next block */
        *carry = (size_t)__builtin_clzll(~b);
    return 0;
}

__attribute__((always_inline)) static inline int find_impl(const unsigned char *buf, size_t n,
                                                          const ks_dfind_ops *ops, void *ctx, classify_fn classify)
{
    _Static_assert(KS_DEC_MIN_B64 == 20, "runs_of_20 finds runs of KS_DEC_MIN_B64");
    size_t carry = 0; /* bytes of a run that reaches the end of the previous block */
    size_t pos = 0;
    while (pos < n) {
        uint64_t b;
        size_t left = n - pos;
        if (KS_LIKELY(left >= 64)) {
            b = classify(buf + pos);
        } else { /* the last bytes, padded with zeros (no class) */
            unsigned char last[64] = {0};
            memcpy(last, buf + pos, left);
            b = classify(last);
        }
        unsigned lead = ~b ? (unsigned)__builtin_ctzll(~b) : 64;
        /* Text: no run of 20 inside the block, nor one carried in. No branch taken but this one. */
        if (KS_LIKELY(!runs_of_20(b) && carry + lead < KS_DEC_MIN_B64)) {
            carry = (size_t)__builtin_clzll(~b); /* 0 unless the top bit is set; ~b != 0 here */
            pos += 64;
            continue;
        }
        size_t resume = 0;
        int rc = block_runs(buf, n, pos, b, left > 64, &carry, &resume, ops, ctx);
        if (rc)
            return rc;
        if (resume > pos) { /* the run went on past what the masks saw (padding, line breaks) */
            carry = 0;
            pos = resume;
            continue;
        }
        pos += 64;
    }
    return 0;
}

#ifdef KS_DF_X86
__attribute__((target("avx512bw"))) static int find_avx512(const unsigned char *buf, size_t n,
                                                                        const ks_dfind_ops *ops, void *ctx)
{
    return find_impl(buf, n, ops, ctx, classify_avx512);
}

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
    return find_impl(buf, n, ops, ctx, classify_scalar);
}

int ks__decode_find_isa(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx, int isa)
{
#ifdef KS_DF_X86
    if (isa >= 3 && __builtin_cpu_supports("avx512bw"))
        return find_avx512(buf, n, ops, ctx);
    if (isa >= 2 && __builtin_cpu_supports("avx2"))
        return find_avx2(buf, n, ops, ctx);
    if (isa >= 1 && __builtin_cpu_supports("ssse3"))
        return find_ssse3(buf, n, ops, ctx);
#endif
    (void)isa;
    return find_scalar(buf, n, ops, ctx);
}

int ks__decode_find(const unsigned char *buf, size_t n, const ks_dfind_ops *ops, void *ctx)
{
    return ks__decode_find_isa(buf, n, ops, ctx, 3);
}
