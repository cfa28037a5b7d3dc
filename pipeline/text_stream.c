/* text_stream.c: a stream for one object that may be UTF-16 text: the first 512 bytes are held until they say what it
 * is (io/utf16.c), then UTF-16 goes to a stream of its narrowed characters, whose findings are moved back onto the
 * encoded bytes, and anything else to a plain ks_stream. expand.c does the same for a whole file read by offset. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scanner_int.h"
#include "text_stream.h"
#include "utf16.h"

#define SNIFF_BYTES 512 /* what io/utf16.c looks at */
#define HELD_MAX 4096   /* raw findings held back when both ways are scanned; past it they go out as they come */
/* Each write to the engine's stream rescans the widest rule's overlap (10 KiB with the built-in pack), so a stream
 * written in big pieces (a file, a member) gathers its characters in a room of NARROW_MAX before handing them on;
 * one written in small pieces (the library's, 100,000 open at once) keeps to its own 4 KiB. */
#define NARROW_MAX ((size_t)128 << 10)
#define WIDE_FROM ((size_t)16 << 10) /* bytes in one write that give the stream the bigger room */

/* A raw finding held back, its bytes and strings copied: they live only during the callback. */
typedef struct held {
    ks_match m;
    size_t secret_off;
    char *decoder, *validator, *near_miss_reason;
    unsigned char match[];
} held;

struct ks_text_stream {
    const ks_allocator *a;
    const ks_engine *engine;
    char *path; /* NULL: none */
    ks_match_fn cb;
    void *ctx;
    int decided;
    ks_text_mode mode;
    ks_utf16 order;
    size_t bom;  /* the findings' offset: the mark's length */
    size_t skip; /* bytes of the mark not passed yet */
    ks_stream *raw, *text; /* the bytes as they are; their characters (UTF-16) */
    /* KS_TEXT_GATHER: the bytes as they are, gathered; raw is opened (with raw_cb) when they go on to it */
    int gathering, raw_wanted;
    ks_match_fn raw_cb;
    void *raw_ctx;
    unsigned char *gather;
    size_t gather_len, gather_cap;
    int carry;             /* the odd byte of a code unit split between writes, or -1 */
    /* both ways (a mark before what may be no text): the raw findings wait for the characters' to be out, so
     * that their order does not depend on how the bytes were cut, and is a file's (expand.c) */
    held **held;
    size_t n_held, cap_held;
    unsigned char *wide; /* NARROW_MAX characters gathered (NULL until a big write comes) */
    size_t wide_len;
    size_t head_n; /* the fields from head on are not zeroed at open */
    unsigned char head[SNIFF_BYTES];
    unsigned char narrow[4096];
    char decoders[96];
};

static char *copy_string(const ks_allocator *a, const char *s, int *failed)
{
    char *c = s ? ks__astrdup(a, s) : NULL;
    *failed |= s && !c;
    return c;
}

static void held_free(const ks_allocator *a, held *h)
{
    ks__afree(a, h->decoder);
    ks__afree(a, h->validator);
    ks__afree(a, h->near_miss_reason);
    ks__afree(a, h);
}

static int on_raw_match(const ks_match *m, void *ctx)
{
    ks_text_stream *s = ctx;
    if (s->n_held == HELD_MAX)
        return s->cb(m, s->ctx);
    if (s->n_held == s->cap_held && ks__agrow(s->a, (void **)&s->held, &s->cap_held, s->n_held, sizeof *s->held, 16))
        return s->cb(m, s->ctx); /* no memory to hold it: out now, in another order */
    held *h = ks__amalloc(s->a, sizeof *h + m->match_len);
    if (!h)
        return s->cb(m, s->ctx);
    int failed = 0;
    h->m = *m;
    h->secret_off = (size_t)(m->secret - m->match);
    memcpy(h->match, m->match, m->match_len);
    h->decoder = copy_string(s->a, m->decoder, &failed);
    h->validator = copy_string(s->a, m->validator, &failed);
    h->near_miss_reason = copy_string(s->a, m->near_miss_reason, &failed);
    if (failed) {
        held_free(s->a, h);
        return s->cb(m, s->ctx);
    }
    s->held[s->n_held++] = h;
    return 0;
}

/* The raw findings held back, in the order they came; 0, or the callback's stop. */
static int release_held(ks_text_stream *s)
{
    int rc = 0;
    for (size_t i = 0; i < s->n_held; i++) {
        held *h = s->held[i];
        if (!rc) {
            ks_match m = h->m;
            m.match = h->match;
            m.secret = h->match + h->secret_off;
            m.decoder = h->decoder;
            m.validator = h->validator;
            m.near_miss_reason = h->near_miss_reason;
            rc = s->cb(&m, s->ctx);
        }
        held_free(s->a, h);
    }
    s->n_held = 0;
    return rc;
}

/* A finding in the characters: unit i is at bom + 2i in the object. */
static int on_text_match(const ks_match *m, void *ctx)
{
    ks_text_stream *s = ctx;
    ks_match t = *m;
    t.start = s->bom + 2 * m->start;
    t.end = s->bom + 2 * m->end;
    t.secret_start = s->bom + 2 * m->secret_start;
    t.secret_end = s->bom + 2 * m->secret_end;
    const char *name = s->order == KS_UTF16_LE ? "utf16le" : "utf16be";
    if (m->decoder) {
        snprintf(s->decoders, sizeof s->decoders, "%s,%s", name, m->decoder);
        t.decoder = s->decoders;
    } else {
        t.decoder = name;
    }
    return s->cb(&t, s->ctx);
}

/* The bytes as they are go to the engine, their findings to `cb`: through a ks_stream opened now, or, when
 * gathering, once they are more than one gathering holds. */
static int want_raw(ks_text_stream *s, ks_match_fn cb, void *ctx)
{
    s->raw_wanted = 1;
    s->raw_cb = cb;
    s->raw_ctx = ctx;
    if (s->gathering)
        return 0;
    ks_scan_opts so = {.size = sizeof so, .path = s->path};
    return ks_stream_open(s->engine, &so, cb, ctx, &s->raw);
}

/* What was gathered, on to the raw stream (opened the first time). */
static int flush_gather(ks_text_stream *s, ks_scanner *sc)
{
    if (!s->raw) {
        ks_scan_opts so = {.size = sizeof so, .path = s->path};
        int rc = ks_stream_open(s->engine, &so, s->raw_cb, s->raw_ctx, &s->raw);
        if (rc)
            return rc;
    }
    size_t n = s->gather_len;
    s->gather_len = 0;
    return n ? ks_stream_write(s->raw, sc, s->gather, n) : 0;
}

/* Bytes as they are, to the engine: gathered while they fit, handed on a room at a time (a piece that fills one
 * whole goes on without a copy). */
static int raw_write(ks_text_stream *s, ks_scanner *sc, const unsigned char *p, size_t n)
{
    if (!s->gathering)
        return ks_stream_write(s->raw, sc, p, n);
    while (n) {
        if (!s->gather_len && n >= KS_TEXT_GATHER_MAX) {
            int rc = flush_gather(s, sc);
            return rc ? rc : ks_stream_write(s->raw, sc, p, n);
        }
        size_t need = s->gather_len + n < KS_TEXT_GATHER_MAX ? s->gather_len + n : KS_TEXT_GATHER_MAX;
        if (need > s->gather_cap) { /* grown as it comes: most objects are small */
            size_t cap = s->gather_cap * 2 > need ? s->gather_cap * 2 : need;
            cap = cap < KS_TEXT_GATHER_MAX ? cap : KS_TEXT_GATHER_MAX;
            unsigned char *b = ks__arealloc(s->a, s->gather, cap);
            if (!b) { /* no room: what was gathered, then the rest, as they come */
                int rc = flush_gather(s, sc);
                s->gathering = 0;
                return rc ? rc : ks_stream_write(s->raw, sc, p, n);
            }
            s->gather = b;
            s->gather_cap = cap;
        }
        size_t take = need - s->gather_len;
        memcpy(s->gather + s->gather_len, p, take);
        s->gather_len += take;
        p += take;
        n -= take;
        if (s->gather_len == KS_TEXT_GATHER_MAX) {
            int rc = flush_gather(s, sc);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The bytes as they are, ended: an object that never outgrew the gathering is scanned in one call, which gives
 * what its stream would. */
static int raw_close(ks_text_stream *s, ks_scanner *sc)
{
    int rc = 0;
    if (s->gathering && !s->raw) {
        ks_scan_opts so = {.size = sizeof so, .path = s->path};
        rc = s->gather_len ? ks_scan(sc, s->gather, s->gather_len, 0, &so, s->raw_cb, s->raw_ctx) : 0;
        s->gather_len = 0;
        return rc;
    }
    if (s->gathering)
        rc = flush_gather(s, sc);
    if (!rc)
        rc = ks_stream_close(s->raw, sc);
    else
        ks_stream_abort(s->raw); /* the last room's write failed (a callback's stop): the stream is still open */
    s->raw = NULL;
    return rc;
}

int ks__text_stream_open(const ks_allocator *a, const ks_engine *engine, const ks_scan_opts *opts, ks_text_mode mode,
                         ks_match_fn cb, void *ctx, ks_text_stream **out)
{
    *out = NULL;
    ks_text_stream *s = ks__amalloc(a, sizeof *s);
    if (!s)
        return KS_ENOMEM;
    memset(s, 0, offsetof(ks_text_stream, head));
    s->a = a;
    s->engine = engine;
    s->cb = cb;
    s->ctx = ctx;
    s->carry = -1;
    s->gathering = !!(mode & KS_TEXT_GATHER);
    s->mode = mode & ~KS_TEXT_GATHER;
    const char *path = opts && opts->size >= offsetof(ks_scan_opts, path) + sizeof opts->path ? opts->path : NULL;
    if (path && !(s->path = ks__astrdup(a, path))) {
        ks__afree(a, s);
        return KS_ENOMEM;
    }
    if (s->mode == KS_TEXT_RAW) { /* nothing to hold back */
        int rc = want_raw(s, cb, ctx);
        if (rc) {
            ks__text_stream_abort(s);
            return rc;
        }
        s->decided = 1;
    }
    *out = s;
    return 0;
}

/* The head says what the object is: the streams it goes to are opened. */
static int decide(ks_text_stream *s)
{
    s->decided = 1;
    int unsure;
    s->order = ks__utf16_sniff(s->head, s->head_n, &s->bom, &unsure);
    s->skip = s->bom;
    ks_scan_opts so = {.size = sizeof so, .path = s->path};
    int rc = 0;
    if (s->mode == KS_TEXT_UTF16_ONLY)
        ; /* the bytes as they are are the caller's */
    else if (s->order == KS_UTF16_NONE)
        rc = want_raw(s, s->cb, s->ctx);
    else if (unsure)
        rc = want_raw(s, on_raw_match, s);
    if (!rc && s->order != KS_UTF16_NONE)
        rc = ks_stream_open(s->engine, &so, on_text_match, s, &s->text);
    return rc;
}

/* The characters gathered, to the engine. */
static int flush_wide(ks_text_stream *s, ks_scanner *sc)
{
    size_t n = s->wide_len;
    s->wide_len = 0;
    return n ? ks_stream_write(s->text, sc, s->wide, n) : 0;
}

/* Bytes past the head, to the streams chosen. */
static int pass(ks_text_stream *s, ks_scanner *sc, const unsigned char *p, size_t n)
{
    if (s->raw_wanted) {
        int rc = raw_write(s, sc, p, n);
        if (rc)
            return rc;
    }
    if (!s->text)
        return 0;
    size_t at = n < s->skip ? n : s->skip; /* the mark is no character */
    s->skip -= at;
    if (!s->wide && n - at >= WIDE_FROM)
        s->wide = ks__amalloc(s->a, NARROW_MAX); /* NULL: the stream's own room, slower */
    while (at < n) {
        int rc = 0;
        if (s->wide) {
            size_t room = NARROW_MAX - s->wide_len;
            size_t take = n - at < 2 * room - 1 ? n - at : 2 * room - 1; /* the carry's unit fits too */
            s->wide_len += ks__utf16_narrow(p + at, take, s->order, s->wide + s->wide_len, &s->carry);
            at += take;
            if (NARROW_MAX - s->wide_len < 2)
                rc = flush_wide(s, sc);
        } else {
            size_t take = n - at < sizeof s->narrow * 2 ? n - at : sizeof s->narrow * 2;
            size_t out = ks__utf16_narrow(p + at, take, s->order, s->narrow, &s->carry);
            rc = ks_stream_write(s->text, sc, s->narrow, out);
            at += take;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int ks__text_stream_write(ks_text_stream *s, ks_scanner *scanner, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (!len)
        return 0; /* (data may then be NULL: no replay) */
    if (!s->decided) {
        size_t take = SNIFF_BYTES - s->head_n < len ? SNIFF_BYTES - s->head_n : len;
        memcpy(s->head + s->head_n, p, take);
        s->head_n += take;
        p += take;
        len -= take;
        if (s->head_n < SNIFF_BYTES)
            return 0;
        int rc = decide(s);
        if (!rc)
            rc = pass(s, scanner, s->head, s->head_n);
        if (rc)
            return rc;
    }
    return len ? pass(s, scanner, p, len) : 0;
}

int ks__text_stream_zeros(ks_text_stream *s, ks_scanner *scanner, uint64_t n)
{
    static const unsigned char zeros[SNIFF_BYTES];
    /* written as they are until the head is decided, a mark passed and no code unit split: then whole */
    while (n && (!s->decided || s->skip || s->carry != -1 || (s->text && n < 2))) {
        size_t k = !s->decided ? SNIFF_BYTES - s->head_n : s->skip ? s->skip : 1;
        k = k < n ? k : (size_t)n;
        k = k < sizeof zeros ? k : sizeof zeros;
        int rc = ks__text_stream_write(s, scanner, zeros, k);
        if (rc)
            return rc;
        n -= k;
    }
    if (!n)
        return 0;
    int rc = 0;
    if (s->raw_wanted) {
        rc = s->gathering ? flush_gather(s, scanner) : 0; /* (opens the raw stream) */
        if (!rc)
            rc = ks__stream_zeros(s->raw, scanner, n);
    }
    if (!rc && s->text && !(rc = flush_wide(s, scanner)))
        rc = ks__stream_zeros(s->text, scanner, n / 2); /* a zero character a code unit */
    if (!rc && s->text && n % 2) /* the odd byte: the carry, as a write leaves it */
        s->carry = 0;
    return rc;
}

int ks__text_stream_close(ks_text_stream *s, ks_scanner *scanner)
{
    int rc = 0;
    if (!s->decided && !(rc = decide(s)))
        rc = pass(s, scanner, s->head, s->head_n);
    if (!rc && s->raw_wanted) {
        s->raw_wanted = 0;
        rc = raw_close(s, scanner);
    }
    if (!rc && s->text && !(rc = flush_wide(s, scanner))) {
        rc = ks_stream_close(s->text, scanner);
        s->text = NULL;
    }
    if (!rc)
        rc = release_held(s);
    ks__text_stream_abort(s);
    return rc;
}

int ks__text_stream_close_with(ks_text_stream *s, ks_scanner *scanner, const void *data, size_t len)
{
    const unsigned char *p = data;
    int whole = len && s->gathering && !s->raw && !s->gather_len && !s->text && (s->decided || !s->head_n);
    int rc = 0;
    if (whole && !s->decided) { /* its first bytes decide, as a write would have them do */
        s->head_n = len < SNIFF_BYTES ? len : SNIFF_BYTES;
        memcpy(s->head, p, s->head_n);
        rc = decide(s);
        whole = !rc && s->raw_wanted && !s->text && !s->skip;
        if (!rc && !whole) { /* UTF-16: the streams it went to take the head, and then the rest as written */
            rc = pass(s, scanner, s->head, s->head_n);
            p += s->head_n;
            len -= s->head_n;
        }
    }
    if (!rc && whole && s->raw_wanted) { /* what raw_close scans once gathered, scanned here without the copy */
        ks_scan_opts so = {.size = sizeof so, .path = s->path};
        s->raw_wanted = 0;
        rc = ks_scan(scanner, p, len, 0, &so, s->raw_cb, s->raw_ctx);
    } else if (!rc) {
        rc = ks__text_stream_write(s, scanner, p, len);
    }
    if (rc) {
        ks__text_stream_abort(s);
        return rc;
    }
    return ks__text_stream_close(s, scanner);
}

void ks__text_stream_abort(ks_text_stream *s)
{
    if (!s)
        return;
    ks_stream_abort(s->raw);
    ks_stream_abort(s->text);
    for (size_t i = 0; i < s->n_held; i++)
        held_free(s->a, s->held[i]);
    ks__afree(s->a, s->held);
    ks__afree(s->a, s->wide);
    ks__afree(s->a, s->gather);
    ks__afree(s->a, s->path);
    ks__afree(s->a, s);
}
