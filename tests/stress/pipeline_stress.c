/* pipeline_stress.c: a ThreadSanitizer stress program (plain main, no Criterion) for the scanning pipeline:
 * random workers, buffers, chunk sizes, readers and stops, and now and then a tar big enough for its members to be
 * shared out among the workers; every run checked against ks_scan (of each file, or each member). */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <lz4frame.h>
#include <zlib.h>

#include "keysweep.h"

/* Fixed-width, variable-width, multi-line, \b and (?m)^$ rules, like the unit tests' set. */
static const char RULES[] =
    "rules:\n"
    "  - {id: s.aws, name: aws, pattern: '\\b(?P<secret>AKIA[0-9A-Z]{16})\\b'}\n"
    "  - {id: s.var, name: var, pattern: '\\btok_[a-z0-9]{8,24}\\b'}\n"
    "  - {id: s.assign, name: assign, pattern: 'apikey\\s{0,3}=\\s{0,3}\"([A-Za-z0-9]{12,40})\"'}\n"
    "  - {id: s.pem, name: pem, pattern: '-----BEGIN TEST KEY-----\\n[A-Za-z0-9+/=\\n]{8,400}-----END TEST KEY-----'}\n"
    "  - {id: s.line, name: line, pattern: '(?m)^SECRET:[0-9]{6}$'}\n";

static const char *const PLANTS[] = {
    "AKIAABCDEFGHIJKLMNOP", "tok_abcdefgh12", "tok_0123456789abcdefghijklmn", "apikey = \"AbCdEf0123456789\"",
    "-----BEGIN TEST KEY-----\nQUJDREVGR0g=\nSUpLTE1OT1A=\n-----END TEST KEY-----", "SECRET:123456",
};
#define N_PLANTS (sizeof PLANTS / sizeof PLANTS[0])
#define MAX_FILES 32

typedef struct rec {
    size_t rule;
    uint64_t start, end, line, column, secret_start;
    size_t secret_len;
    int near_miss;
} rec;

typedef struct flist {
    rec *v;
    size_t n, cap;
} flist;

/* A member of the tar an iteration may hold: its bytes and findings. */
typedef struct smember {
    unsigned char *data;
    size_t size;
    flist want, got;
} smember;

typedef struct sfile {
    char path[256];
    smember *members; /* a tar of n_members members "m00000"...; findings are theirs */
    size_t n_members, last_member;
    unsigned char *data;
    size_t size;
    int accepted;       /* ks_pipeline_submit returned 0 */
    flist want, got;
    int done_calls, done_err;
    uint64_t done_bytes;
} sfile;

/* Everything the sink sees; only the pipeline's writer thread touches it until finish returns. */
typedef struct iter {
    sfile files[MAX_FILES];
    size_t n_files;
    long stop_after; /* the sink asks to stop after this many findings; -1: never */
    long findings;
    ks_pipeline *p;
    uint64_t members_shared; /* by the time the tar was reported */
    char violation[256];
} iter;

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static size_t rnd_in(size_t lo, size_t hi) { return lo + (size_t)(rnd() % (hi - lo + 1)); }

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pipeline_stress: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void push(flist *l, const rec *r)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        if (!(l->v = realloc(l->v, l->cap * sizeof *l->v)))
            die("out of memory");
    }
    l->v[l->n++] = *r;
}

static rec to_rec(const ks_match *m)
{
    return (rec){m->rule_index, m->start, m->end, m->line, m->column, m->secret_start, m->secret_len, m->near_miss};
}

static int rec_eq(const rec *a, const rec *b)
{
    return a->rule == b->rule && a->start == b->start && a->end == b->end && a->line == b->line &&
           a->column == b->column && a->secret_start == b->secret_start && a->secret_len == b->secret_len &&
           a->near_miss == b->near_miss;
}

static void violate(iter *it, const char *fmt, ...)
{
    if (it->violation[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->violation, sizeof it->violation, fmt, ap);
    va_end(ap);
}

static int oracle_cb(const ks_match *m, void *ctx)
{
    rec r = to_rec(m);
    push(ctx, &r);
    return 0;
}

/* ---- the sink: runs on the pipeline's writer thread ---- */

static int stop_now(iter *it) { return it->stop_after >= 0 && ++it->findings >= it->stop_after; }

/* A finding in a member of the tar: members in archive order, each one's findings by start, its own bytes. */
static int member_finding(iter *it, sfile *f, const ks_match *m)
{
    unsigned idx;
    if (!f->members || sscanf(m->object, "m%u", &idx) != 1 || idx >= f->n_members) {
        violate(it, "%s: finding in unknown member %s", f->path, m->object);
        return 1;
    }
    smember *mb = &f->members[idx];
    if (idx < f->last_member)
        violate(it, "%s: member %u reported after member %zu", f->path, idx, f->last_member);
    f->last_member = idx;
    if (mb->got.n && m->start < mb->got.v[mb->got.n - 1].start)
        violate(it, "%s!%s: finding at %llu after one at %llu", f->path, m->object, (unsigned long long)m->start,
                (unsigned long long)mb->got.v[mb->got.n - 1].start);
    /* a decoded finding's match is the decoded text, its range the encoded run's (seed 17799361, iteration 5024: a
     * binary member's random "%62" after a planted token made one, found by the pipeline and ks_scan alike) */
    if (m->end > mb->size || m->start >= m->end ||
        (!m->decoder && (m->match_len != m->end - m->start || memcmp(m->match, mb->data + m->start, m->match_len))))
        violate(it, "%s!%s: finding [%llu,%llu) does not match the member's bytes", f->path, m->object,
                (unsigned long long)m->start, (unsigned long long)m->end);
    rec r = to_rec(m);
    push(&mb->got, &r);
    return stop_now(it);
}

static sfile *file_of(iter *it, const char *path)
{
    for (size_t i = 0; i < it->n_files; i++)
        if (!strcmp(it->files[i].path, path))
            return &it->files[i];
    return NULL;
}

static int sink_finding(void *ctx, const char *path, const ks_match *m)
{
    iter *it = ctx;
    sfile *f = file_of(it, path);
    if (!f) {
        violate(it, "finding for unknown path %s", path);
        return 1;
    }
    if (f->done_calls)
        violate(it, "%s: finding after on_file_done", path);
    if (m->object)
        return member_finding(it, f, m);
    if (f->got.n && m->start < f->got.v[f->got.n - 1].start)
        violate(it, "%s: finding at %llu after one at %llu", path, (unsigned long long)m->start,
                (unsigned long long)f->got.v[f->got.n - 1].start);
    /* The bytes handed over must be the file's own bytes at the reported offsets. A finding in decoded bytes (the
     * random filler can spell %XX escapes around a token) hands over the decoded match and secret while its offsets
     * are the encoded run's (keysweep.h): only its range is checked here, and the oracle's list checks the rest. */
    if (m->end > f->size || m->start >= m->end)
        violate(it, "%s: finding [%llu,%llu) outside the file", path, (unsigned long long)m->start,
                (unsigned long long)m->end);
    else if (!m->decoder &&
             (m->match_len != m->end - m->start || memcmp(m->match, f->data + m->start, m->match_len) ||
              m->secret_start < m->start || m->secret_start + m->secret_len > m->end ||
              memcmp(m->secret, f->data + m->secret_start, m->secret_len)))
        violate(it, "%s: finding [%llu,%llu) does not match the file's bytes", path, (unsigned long long)m->start,
                (unsigned long long)m->end);
    rec r = to_rec(m);
    push(&f->got, &r);
    return stop_now(it);
}

static void sink_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    iter *it = ctx;
    sfile *f = file_of(it, path);
    if (!f) {
        violate(it, "on_file_done for unknown path %s", path);
        return;
    }
    f->done_calls++;
    f->done_err = err;
    f->done_bytes = bytes;
    ks_pipeline_info info = {.size = sizeof info};
    if (f->members && !ks_pipeline_info_get(it->p, &info))
        it->members_shared = info.members_shared;
}

static void sink_idle(void *ctx) { (void)ctx; }

/* ---- random files with planted tokens ---- */

static void fill(unsigned char *b, size_t n)
{
    static const char *const words[] = {"the", "int", "return", "(x)", "{", "}", "foo_bar", "0x1f", ";", "//", "a", "="};
    int binary = rnd() % 8 == 0;
    for (size_t i = 0; i < n;) {
        uint64_t r = rnd();
        if (binary) {
            b[i++] = (unsigned char)r;
            continue;
        }
        for (const char *w = words[r % 12]; *w && i < n; w++)
            b[i++] = (unsigned char)*w;
        if (i < n)
            b[i++] = (r >> 20) % 7 == 0 ? '\n' : ' ';
    }
    /* Tokens with random neighbours: newlines, spaces, word characters (no \b) or NUL bytes. */
    static const char seps[] = "\n \nx_\0";
    size_t plants = n / 200 + rnd_in(0, 3);
    for (size_t k = 0; k < plants; k++) {
        const char *p = PLANTS[rnd() % N_PLANTS];
        size_t pl = strlen(p);
        if (pl + 2 > n)
            continue;
        size_t at = rnd_in(0, n - pl - 1);
        memcpy(b + at, p, pl);
        if (at)
            b[at - 1] = (unsigned char)seps[rnd() % 6];
        if (at + pl < n)
            b[at + pl] = (unsigned char)seps[rnd() % 6];
    }
}

static size_t pick_size(size_t chunk)
{
    switch (rnd() % 10) {
    case 0: return 0;
    case 1: case 2: return rnd_in(1, 600);
    case 3: case 4: case 5: return rnd_in(600, 40000);
    case 6: return rnd_in(40000, 200000);
    default: { /* just around a chunk boundary */
        size_t k = rnd_in(1, 4), c = chunk ? chunk : KS_PIPELINE_DEFAULT_CHUNK;
        size_t s = k * c + rnd_in(0, 64);
        s = s > 32 ? s - 32 : s;
        return s > 600000 ? rnd_in(1, 600000) : s;
    }
    }
}

static void dump_list(const char *what, const flist *l);

/* A ustar header for a regular file. */
static void tar_header(unsigned char *h, const char *name, size_t size)
{
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    snprintf((char *)h + 124, 12, "%011zo", size);
    memcpy(h + 136, "00000000000", 12);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
}

/* The tar as a .tar.gz of stored blocks (as big as the tar: decompressed on a thread of its own, and its
 * gzip inflated ahead on another). */
static void gzip_stored(sfile *f)
{
    z_stream z = {0};
    if (deflateInit2(&z, 0, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("deflateInit2 failed");
    size_t cap = deflateBound(&z, (uLong)f->size);
    unsigned char *out = malloc(cap);
    if (!out)
        die("out of memory");
    z.next_in = f->data;
    z.avail_in = (uInt)f->size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        die("deflate failed");
    free(f->data);
    f->data = out;
    f->size = cap - z.avail_out;
    deflateEnd(&z);
}

/* The tar as an lz4 frame of 64 KiB blocks, compressed as little as liblz4 will (as big as the tar: decoded ahead on
 * a thread of its own like the gzip, a block to a call). */
static void lz4_fast(sfile *f)
{
    LZ4F_preferences_t prefs = {.frameInfo = {.blockSizeID = LZ4F_max64KB}, .compressionLevel = -65537};
    size_t cap = LZ4F_compressFrameBound(f->size, &prefs);
    unsigned char *out = malloc(cap);
    if (!out)
        die("out of memory");
    size_t n = LZ4F_compressFrame(out, cap, f->data, f->size, &prefs);
    if (LZ4F_isError(n))
        die("LZ4F_compressFrame failed: %s", LZ4F_getErrorName(n));
    free(f->data);
    f->data = out;
    f->size = n;
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff), put16(p + 2, v >> 16); }

/* The tar's members as a zip of deflated members instead (as big, its members are decompressed on
 * several threads at once, io/zip_stripes.c, and shared out). */
static void zip_members(sfile *f)
{
    size_t cap = 22, at = 0, cd_at, cd_len = 0;
    for (size_t i = 0; i < f->n_members; i++)
        cap += 2 * (46 + 16) + compressBound((uLong)f->members[i].size) + 64;
    unsigned char *out = malloc(cap), *cd = malloc(f->n_members * (46 + 16) + 1);
    if (!out || !cd)
        die("out of memory");
    for (size_t i = 0; i < f->n_members; i++) {
        smember *mb = &f->members[i];
        char name[16];
        int nl = snprintf(name, sizeof name, "m%05zu", i);
        z_stream z = {0};
        /* level 0: stored deflate blocks, so that the zip stays as big as the tar (still inflated) */
        if (deflateInit2(&z, 0, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            die("deflateInit2 failed");
        z.next_in = mb->data;
        z.avail_in = (uInt)mb->size;
        z.next_out = out + at + 30 + nl;
        z.avail_out = (uInt)(cap - at - 30 - nl);
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            die("deflate failed");
        uint32_t csize = (uint32_t)z.total_out, crc = (uint32_t)crc32(0, mb->data, (uInt)mb->size);
        deflateEnd(&z);
        unsigned char *h = out + at;
        memset(h, 0, 30);
        put32(h, 0x04034b50), put16(h + 4, 20), put16(h + 8, 8), put32(h + 14, crc), put32(h + 18, csize);
        put32(h + 22, (uint32_t)mb->size), put16(h + 26, (unsigned)nl);
        memcpy(h + 30, name, (size_t)nl);
        unsigned char *c = cd + cd_len;
        memset(c, 0, 46);
        put32(c, 0x02014b50), put16(c + 4, 20), put16(c + 6, 20), put16(c + 10, 8), put32(c + 16, crc);
        put32(c + 20, csize), put32(c + 24, (uint32_t)mb->size), put16(c + 28, (unsigned)nl);
        put32(c + 42, (uint32_t)at);
        memcpy(c + 46, name, (size_t)nl);
        cd_len += 46 + (size_t)nl;
        at += 30 + (size_t)nl + csize;
    }
    cd_at = at;
    memcpy(out + at, cd, cd_len);
    at += cd_len;
    unsigned char *e = out + at;
    memset(e, 0, 22);
    put32(e, 0x06054b50), put16(e + 8, (unsigned)f->n_members), put16(e + 10, (unsigned)f->n_members);
    put32(e + 12, (uint32_t)cd_len), put32(e + 16, (uint32_t)cd_at);
    at += 22;
    free(cd);
    free(f->data);
    f->data = out;
    f->size = at;
}

/* File f becomes a tar of a little over 4 MiB (containers that big are decompressed on a thread of
 * their own, and their members shared out), its members mostly small, a few over a block of events;
 * a quarter of them gzipped, a quarter made a zip instead, a quarter lz4. */
static void make_tar(sfile *f, ks_scanner *sc)
{
    size_t n = 0, cap = 0, total = 1024;
    while (total < ((size_t)4 << 20) + 100000) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            if (!(f->members = realloc(f->members, cap * sizeof *f->members)))
                die("out of memory");
        }
        smember *mb = &f->members[n++];
        memset(mb, 0, sizeof *mb);
        mb->size = rnd() % 40 == 0 ? rnd_in(262144, 700000) : rnd_in(0, 24000);
        if (!(mb->data = malloc(mb->size + 1)))
            die("out of memory");
        fill(mb->data, mb->size);
        if (ks_scan(sc, mb->data, mb->size, 0, 0, oracle_cb, &mb->want))
            die("oracle scan failed");
        total += 512 + (mb->size + 511) / 512 * 512;
    }
    f->n_members = n;
    f->size = total;
    if (!(f->data = calloc(1, total)))
        die("out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%05zu", i);
        tar_header(f->data + at, name, f->members[i].size);
        memcpy(f->data + at + 512, f->members[i].data, f->members[i].size);
        at += 512 + (f->members[i].size + 511) / 512 * 512;
    }
    unsigned kind = rnd() % 4;
    if (kind == 1)
        gzip_stored(f);
    else if (kind == 2)
        zip_members(f);
    else if (kind == 3)
        lz4_fast(f);
}

/* A stopped scan reports a subset of the oracle's findings, in order; a complete one all of them. */
static void check_list(unsigned long n, const char *what, const flist *want, const flist *got, int complete)
{
    size_t w = 0;
    for (size_t g = 0; g < got->n; g++) {
        while (w < want->n && !rec_eq(&want->v[w], &got->v[g]))
            w++;
        if (w == want->n) {
            fprintf(stderr, "%s: ks_scan found %zu, the pipeline %zu\n", what, want->n, got->n);
            dump_list("oracle", want);
            dump_list("pipeline", got);
            die("iter %lu: %s: finding %zu (rule %zu at %llu line %llu col %llu) is not in the oracle's", n, what, g,
                got->v[g].rule, (unsigned long long)got->v[g].start, (unsigned long long)got->v[g].line,
                (unsigned long long)got->v[g].column);
        }
        w++;
    }
    if (complete && got->n != want->n) {
        fprintf(stderr, "%s: ks_scan found %zu, the pipeline %zu\n", what, want->n, got->n);
        dump_list("oracle", want);
        dump_list("pipeline", got);
        die("iter %lu: %s: %zu findings, the oracle has %zu", n, what, got->n, want->n);
    }
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void dump_list(const char *what, const flist *l)
{
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "  %s %zu: rule %zu [%llu,%llu) line %llu col %llu secret %llu+%zu%s\n", what, i, l->v[i].rule,
                (unsigned long long)l->v[i].start, (unsigned long long)l->v[i].end, (unsigned long long)l->v[i].line,
                (unsigned long long)l->v[i].column, (unsigned long long)l->v[i].secret_start, l->v[i].secret_len,
                l->v[i].near_miss ? " near-miss" : "");
}

/* ---- one iteration ---- */

typedef struct canceller {
    ks_pipeline *p;
    unsigned delay_us;
} canceller;

static void *cancel_main(void *arg)
{
    canceller *c = arg;
    usleep(c->delay_us);
    ks_pipeline_stop(c->p);
    return NULL;
}

/* ks_pipeline_stop is documented async-signal-safe: the CLI calls it from its SIGINT handler. */
static ks_pipeline *volatile signal_target;
static volatile sig_atomic_t signal_seen;
static void on_alarm(int sig)
{
    (void)sig;
    ks_pipeline_stop(signal_target);
    signal_seen = 1;
}

enum { STOP_NONE, STOP_MAIN_EARLY, STOP_MAIN_MID, STOP_THREAD, STOP_SINK, STOP_SIGNAL, N_STOP_MODES };
static const char *const STOP_NAMES[] = {"none", "main-early", "main-mid", "thread", "sink", "signal"};

static unsigned long mode_runs[N_STOP_MODES], uring_runs, files_run, tar_runs, members_run, shared_run;

static void run_once(const ks_engine *e, ks_scanner *sc, const char *dir, unsigned long n, int verbose)
{
    static iter it;
    memset(&it, 0, sizeof it);
    unsigned threads = (unsigned)rnd_in(1, 16), buffers = (unsigned)rnd_in(1, 2);
    static const size_t fixed_chunks[] = {4096, 4097, 65536, 0};
    size_t chunk = rnd() % 2 ? rnd_in(256, 70000) : fixed_chunks[rnd() % 4];
    int use_uring = rnd() % 2, no_pin = rnd() % 2;
    int mode = (int)(rnd() % 2 ? STOP_NONE : rnd_in(1, N_STOP_MODES - 1));
    it.stop_after = mode == STOP_SINK ? (long)rnd_in(0, 40) : -1;
    it.n_files = rnd_in(1, MAX_FILES);
    int with_tar = rnd() % 6 == 0; /* file 0 */
    size_t members = 0;

    for (size_t i = 0; i < it.n_files; i++) {
        sfile *f = &it.files[i];
        snprintf(f->path, sizeof f->path, "%s/f%02zu", dir, i);
        if (with_tar && i == 0) {
            make_tar(f, sc);
            members = f->n_members;
        } else {
            f->size = pick_size(chunk);
            f->data = malloc(f->size + 1);
            if (!f->data)
                die("out of memory");
            fill(f->data, f->size);
        }
        FILE *fp = fopen(f->path, "wb");
        if (!fp || fwrite(f->data, 1, f->size, fp) != f->size || fclose(fp))
            die("cannot write %s", f->path);
        if (!f->members && ks_scan(sc, f->data, f->size, 0, 0, oracle_cb, &f->want))
            die("oracle scan failed");
    }

    int fds_before = count_fds();
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
    ks_pipeline_opts o = {.size = sizeof o, .threads = threads, .chunk_size = chunk, .buffers = buffers,
                          .flags = no_pin ? KS_PIPELINE_NO_PIN : 0, .reader = use_uring ? "uring" : "pread",
                          /* every other iteration a zip's lanes as many as the workers, whatever the CPUs (no new
                           * draw: a seed still gives the iterations it gave) */
                          .archive_threads = n % 2 ? threads : 0};
    ks_pipeline *p = NULL;
    int rc = ks_pipeline_create(e, &o, &sink, &it, &p);
    if (rc == KS_EIO && use_uring) { /* io_uring denied here */
        use_uring = 0;
        o.reader = "pread";
        rc = ks_pipeline_create(e, &o, &sink, &it, &p);
    }
    if (rc)
        die("ks_pipeline_create: %s", ks_strerror(rc));
    it.p = p;
    ks_pipeline_info info = {.size = sizeof info};
    if (ks_pipeline_info_get(p, &info) || info.threads != threads)
        die("ks_pipeline_info_get: %u threads, asked for %u", info.threads, threads);
    if (verbose)
        fprintf(stderr, "iter %lu: files=%zu threads=%u buffers=%u chunk=%zu reader=%s pin=%d stop=%s tar=%zu\n", n,
                it.n_files, threads, buffers, chunk, use_uring ? "io_uring" : "pread", !no_pin, STOP_NAMES[mode], members);

    mode_runs[mode]++;
    uring_runs += use_uring;
    files_run += it.n_files;
    pthread_t ct;
    canceller c = {p, (unsigned)rnd_in(0, 30000)};
    if (mode == STOP_THREAD && pthread_create(&ct, NULL, cancel_main, &c))
        die("pthread_create");
    if (mode == STOP_MAIN_EARLY)
        ks_pipeline_stop(p);
    if (mode == STOP_SIGNAL) {
        signal_target = p;
        signal_seen = 0;
        ualarm((useconds_t)rnd_in(1, 20000), 0);
    }
    size_t stop_at = rnd_in(0, it.n_files - 1);
    for (size_t i = 0; i < it.n_files; i++) {
        if (mode == STOP_MAIN_MID && i == stop_at)
            ks_pipeline_stop(p);
        sfile *f = &it.files[i];
        int fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die("open %s", f->path);
        /* size 0 sends a file down the read-to-EOF (procfs) path; also use it for some real files */
        uint64_t sz = rnd() % 6 == 0 ? 0 : f->size;
        rc = ks_pipeline_submit(p, fd, f->path, sz, 0);
        if (rc && rc != KS_ETERMINATED)
            die("ks_pipeline_submit: %s", ks_strerror(rc));
        f->accepted = rc == 0;
    }
    /* The canceller must be done before finish frees the pipeline it points to. */
    if (mode == STOP_THREAD)
        pthread_join(ct, NULL);
    while (mode == STOP_SIGNAL && !signal_seen)
        usleep(100);
    rc = ks_pipeline_finish(p);

    if (it.violation[0])
        die("iter %lu: %s", n, it.violation);
    int stopped = mode != STOP_NONE && (mode != STOP_SINK || it.findings >= it.stop_after);
    if (mode != STOP_NONE && mode != STOP_SINK && rc != KS_ETERMINATED)
        die("iter %lu: finish returned %d after a stop", n, rc);
    if (mode == STOP_NONE && rc)
        die("iter %lu: finish returned %s without a stop", n, ks_strerror(rc));
    for (size_t i = 0; i < it.n_files; i++) {
        sfile *f = &it.files[i];
        if (!f->accepted) {
            if (f->done_calls)
                die("iter %lu: %s was refused yet reported", n, f->path);
            continue;
        }
        if (f->done_calls != 1)
            die("iter %lu: %s reported done %d times", n, f->path, f->done_calls);
        if (f->done_err && !(stopped && f->done_err == ECANCELED))
            die("iter %lu: %s finished with error %d (%s)", n, f->path, f->done_err, strerror(f->done_err));
        /* A file that completed under ks_pipeline_stop was fully scanned: all findings, all bytes.
         * Once the sink refused a finding, later ones are dropped, so only a subset is promised. */
        int complete = !f->done_err && mode != STOP_SINK;
        if (complete && f->done_bytes != f->size)
            die("iter %lu: %s: %llu bytes scanned of %zu", n, f->path, (unsigned long long)f->done_bytes, f->size);
        check_list(n, f->path, &f->want, &f->got, complete);
        for (size_t k = 0; k < f->n_members; k++) {
            char what[300];
            snprintf(what, sizeof what, "%s!m%05zu", f->path, k);
            check_list(n, what, &f->members[k].want, &f->members[k].got, complete);
        }
    }
    tar_runs += members > 0;
    members_run += members;
    shared_run += it.members_shared;
    int fds_after = count_fds();
    if (fds_after != fds_before)
        die("iter %lu: %d open fds before, %d after", n, fds_before, fds_after);
    for (size_t i = 0; i < it.n_files; i++) {
        for (size_t k = 0; k < it.files[i].n_members; k++) {
            free(it.files[i].members[k].data);
            free(it.files[i].members[k].want.v);
            free(it.files[i].members[k].got.v);
        }
        free(it.files[i].members);
        free(it.files[i].data);
        free(it.files[i].want.v);
        free(it.files[i].got.v);
        unlink(it.files[i].path);
    }
}

/* A deadlock must fail the run with the iteration's seed, not hang CI until its limit. Iterations
 * take milliseconds: the limit only catches hangs, and KS_TEST_TIMEOUT_SCALE stretches it. */
#define HANG_SECONDS_BASE 120
static _Atomic unsigned long iterations_done;

static void *watchdog(void *arg)
{
    (void)arg;
    const char *scale_env = getenv("KS_TEST_TIMEOUT_SCALE");
    long scale = scale_env ? strtol(scale_env, NULL, 10) : 1;
    const int hang_seconds = HANG_SECONDS_BASE * (int)(scale >= 1 && scale <= 1000 ? scale : 1);
    unsigned long seen = atomic_load(&iterations_done);
    for (int quiet = 0;; quiet++) {
        sleep(1);
        unsigned long now = atomic_load(&iterations_done);
        if (now != seen) {
            seen = now;
            quiet = -1;
        } else if (quiet >= hang_seconds) {
            fprintf(stderr, "pipeline_stress: iteration %lu made no progress for %d s: hung\n", now, hang_seconds);
            _exit(3);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
    double budget = argc > 2 ? strtod(argv[2], NULL) : 90.0;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    int verbose = getenv("KS_STRESS_VERBOSE") != NULL;
    rng = seed ? seed : 1;
    /* libarchive turns a zip member's DOS time into time_t with mktime, on every thread reading a zip;
     * with TZ unset glibc's tzset frees and copies its cached zone name on each call, under a lock of
     * its own that ThreadSanitizer cannot see. A TZ set before any thread starts makes those calls read
     * only. */
    setenv("TZ", "UTC", 0);
    tzset();
    fprintf(stderr, "pipeline_stress: seed %llu, up to %lu iterations in %.0f s\n", (unsigned long long)seed,
            iterations, budget);

    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    ks_rules *rules = NULL;
    ks_engine *e = NULL;
    ks_scanner *sc = NULL;
    ks_engine_options eo = {.flags = KS_ENGINE_NO_CACHE};
    if (ks_rules_create(&rules) || ks_rules_load_yaml(rules, RULES, sizeof RULES - 1, "stress", NULL, NULL) ||
        ks_engine_create(rules, &eo, &e, NULL, NULL) || ks_scanner_create(e, &sc))
        die("cannot build the engine");
    ks_rules_destroy(rules);

    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ks-stress-XXXXXX", tmp);
    if (!mkdtemp(dir))
        die("mkdtemp in %s", tmp);

    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long n = 0;
    double elapsed = 0;
    pthread_t wd;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the alarms that stop pipelines go to this thread */
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    while (n < iterations && elapsed < budget) {
        run_once(e, sc, dir, n, verbose);
        n++;
        atomic_store(&iterations_done, n);
        clock_gettime(CLOCK_MONOTONIC, &t);
        elapsed = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
    }
    rmdir(dir);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
    fprintf(stderr, "pipeline_stress: %lu iterations (%lu files, %lu with io_uring, %lu tars of %lu members, %lu of them "
            "scanned by a worker that did not open the tar) in %.1f s, all consistent with ks_scan; stops:", n, files_run,
            uring_runs, tar_runs, members_run, shared_run, elapsed);
    for (int m = 0; m < N_STOP_MODES; m++)
        fprintf(stderr, " %s %lu", STOP_NAMES[m], mode_runs[m]);
    fputc('\n', stderr);
    return 0;
}
