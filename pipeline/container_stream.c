/* container_stream.c: ks_container_stream: a stream that opens the containers written into it. Libarchive pulls its
 * input, a stream is pushed, so the container is read on a thread of the stream's own that runs in lock-step with the
 * caller: it takes what write() gathered, and every member event it meets is scanned on the caller's thread. */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "container.h"
#include "engine_int.h"
#include "keysweep.h"
#include "text_stream.h"

/* Input gathered before the reader runs: many small writes cost a copy each, not a thread switch. */
#define IN_BLOCK ((size_t)64 << 10)
/* The most one pull hands over: while a container opens, what it pulled is kept in case it is none. */
#define PULL_MAX ((size_t)256 << 10)
#define RATIO_AFTER ((uint64_t)16 << 20)
#define MIN_OUTPUT ((uint64_t)1 << 30)
#define DEFAULT_SPOOL KS_CONTAINER_SPOOL_MAX /* as a pipe's 7z is held */

typedef enum cs_mode {
    SNIFFING,  /* gathering the first bytes, to tell what the object is */
    LEADING,   /* a script ("#!") or an executable ("MZ"): gathering up to KS_CONTAINER_LEAD_READ bytes, to find a
                * zip after it or a stream after one of a script's lines (a makeself installer's payload) */
    SPOOLING,  /* a 7z, which needs random access: held whole, expanded at close */
    PLAIN,     /* no container: everything goes to a ks_stream */
    CONTAINER, /* the reader thread is expanding it */
    DRAINED,   /* the expansion is over (a budget, a corrupt container, or an end after which nothing is read, as a
                * zip read as it streams has; trailing data after other containers was read by the expansion) */
} cs_mode;

/* What the reader thread tells the caller when it hands the turn back. */
typedef enum cs_event { EV_NEED_INPUT, EV_BEGIN, EV_DATA, EV_END, EV_PROBLEM, EV_DONE, EV_ZEROS } cs_event;

struct ks_container_stream {
    const ks_engine *engine;
    const ks_allocator *a;
    ks_match_fn cb;
    void *ctx;
    ks_problem_fn on_problem;
    char *path;  /* ks_scan_opts.path, copied; NULL when none */
    unsigned flags;
    uint64_t max_output; /* ks_container_opts.max_output; 0: it grows with what was written */
    ks_container_limits lim;
    cs_mode mode;
    int err;       /* inside a container: the first error, which every later call returns */
    int stop_code; /* KS_ELIMIT or KS_ECORRUPT: the expansion ended early */
    int fatal_seen;
    uint64_t written;
    /* the first bytes, sniffed once head_cap of them are in: head_short, or a block of KS_CONTAINER_HEAD_MAX
     * when they may open an ISO 9660 image (whose magic is 32 KiB in) */
    unsigned char head_short[KS_CONTAINER_SECTOR];
    unsigned char *head;
    size_t head_len, head_cap;
    ks_text_stream *plain; /* UTF-16 text is read as its characters, as in a pipeline */
    int script_open;       /* plain holds the lead's bytes while the container after it is read */
    unsigned char *lead;   /* LEADING: the object's first bytes */
    size_t lead_len, lead_cap;
    const unsigned char *start; /* where the container begins: the head, or in the lead after a script */
    size_t start_len;
    uint64_t base; /* how far into the object it begins */
    ks_scanner *sc; /* the scanner of the call in progress */
    unsigned char *spool; /* SPOOLING: the whole object so far */
    size_t spool_len, spool_cap, spool_max;

    /* The reader thread and the turn: exactly one of the two threads runs at a time, so everything
     * below is read and written by whoever holds the turn, the mutex ordering the hand-overs. */
    pthread_t thread;
    int sync_ready, thread_live;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int reader_turn;
    unsigned char *inbuf; /* IN_BLOCK bytes, gathered */
    size_t inbuf_len;
    const unsigned char *in; /* handed to the reader, not yet pulled */
    size_t in_len;
    int in_eof, abandon;
    cs_event ev; /* posted by the reader */
    const char *ev_chain, *ev_what;
    const void *ev_data;
    size_t ev_len;
    uint64_t ev_zeros; /* EV_ZEROS: a sparse member's hole */
    int ev_fatal;
    int verdict; /* the caller's answer to an event: non-zero stops the expansion */
    int rc;      /* ks__container_expand_pull's */
    ks_container_result res;
    unsigned char *replay;
    size_t replay_len;
    ks_text_stream *member; /* the member being scanned, and its chain */
    char *chain;
};

/* ---- the reader thread's side ---- */

/* Hands the turn to the caller with an event and waits for it back; returns the caller's verdict. */
static int post(ks_container_stream *cs, cs_event ev)
{
    pthread_mutex_lock(&cs->mu);
    cs->ev = ev;
    cs->reader_turn = 0;
    pthread_cond_broadcast(&cs->cv);
    while (!cs->reader_turn)
        pthread_cond_wait(&cs->cv, &cs->mu);
    int verdict = cs->verdict;
    pthread_mutex_unlock(&cs->mu);
    return verdict;
}

static long pull(void *ctx, const void **out)
{
    ks_container_stream *cs = ctx;
    for (;;) {
        if (cs->abandon)
            return -1;
        if (cs->in_len) {
            size_t n = cs->in_len < PULL_MAX ? cs->in_len : PULL_MAX;
            *out = cs->in;
            cs->in += n;
            cs->in_len -= n;
            return (long)n;
        }
        if (cs->in_eof)
            return 0;
        post(cs, EV_NEED_INPUT);
    }
}

static int s_begin(void *ctx, const char *chain)
{
    ks_container_stream *cs = ctx;
    cs->ev_chain = chain;
    return post(cs, EV_BEGIN);
}

static int s_data(void *ctx, const void *p, size_t n)
{
    ks_container_stream *cs = ctx;
    cs->ev_data = p;
    cs->ev_len = n;
    return post(cs, EV_DATA);
}

static int s_end(void *ctx) { return post(ctx, EV_END); }

static int s_zeros(void *ctx, uint64_t n)
{
    ks_container_stream *cs = ctx;
    cs->ev_zeros = n;
    return post(cs, EV_ZEROS);
}

static void s_problem(void *ctx, const char *chain, int fatal, const char *what)
{
    ks_container_stream *cs = ctx;
    cs->ev_chain = chain;
    cs->ev_fatal = fatal;
    cs->ev_what = what;
    post(cs, EV_PROBLEM);
}

static const ks_container_sink READER_SINK = {s_begin, s_data, s_end, s_problem, NULL, NULL, s_zeros};

static void *reader_main(void *arg)
{
    ks_container_stream *cs = arg;
    pthread_mutex_lock(&cs->mu);
    while (!cs->reader_turn)
        pthread_cond_wait(&cs->cv, &cs->mu);
    pthread_mutex_unlock(&cs->mu);
    const char *name = cs->path ? cs->path : "";
    if (cs->spool)
        cs->rc = ks__container_expand(cs->spool, cs->spool_len, -1, cs->spool_len, name, &cs->lim, &READER_SINK, cs,
                                      &cs->res);
    else
        cs->rc = ks__container_expand_pull(cs->start, cs->start_len, pull, cs, cs->base, name, &cs->lim, &READER_SINK,
                                           cs, &cs->res, &cs->replay, &cs->replay_len);
    pthread_mutex_lock(&cs->mu);
    cs->ev = EV_DONE;
    cs->reader_turn = 0;
    pthread_cond_broadcast(&cs->cv);
    pthread_mutex_unlock(&cs->mu);
    return NULL;
}

/* ---- the caller's side ---- */

static int on_member_match(const ks_match *m, void *ctx)
{
    ks_container_stream *cs = ctx;
    ks_match mm = *m;
    mm.object = cs->chain;
    return cs->cb ? cs->cb(&mm, cs->ctx) : 0;
}

/* UTF-16 text is decoded unless the stream opens nothing (a plain ks_stream) or was told not to. */
static ks_text_mode text_mode(const ks_container_stream *cs)
{
    return cs->flags & (KS_CONTAINER_OFF | KS_CONTAINER_NO_UTF16) ? KS_TEXT_RAW : KS_TEXT_UTF16;
}

static void drop_member(ks_container_stream *cs)
{
    ks__text_stream_abort(cs->member);
    cs->member = NULL;
    ks__afree(cs->a, cs->chain);
    cs->chain = NULL;
}

/* A member begins: its own stream, whose path conditions see "PATH!MEMBER" as the pipeline's do. */
static int member_begin(ks_container_stream *cs, const char *chain)
{
    size_t pl = cs->path ? strlen(cs->path) + 1 : 0, cl = strlen(chain);
    char *joined = ks__amalloc(cs->a, pl + cl + 1);
    cs->chain = ks__astrdup(cs->a, chain);
    if (!joined || !cs->chain) {
        ks__afree(cs->a, joined);
        drop_member(cs);
        return KS_ENOMEM;
    }
    if (pl) {
        memcpy(joined, cs->path, pl - 1);
        joined[pl - 1] = '!';
    }
    memcpy(joined + pl, chain, cl + 1);
    ks_scan_opts so = {.size = sizeof so, .path = joined};
    int rc = ks__text_stream_open(cs->a, cs->engine, &so, text_mode(cs) | KS_TEXT_GATHER, on_member_match, cs,
                                  &cs->member);
    ks__afree(cs->a, joined);
    if (rc)
        drop_member(cs);
    return rc;
}

/* The script before a container is over: its findings go out before the container's first member's. */
static int close_script(ks_container_stream *cs)
{
    if (!cs->script_open)
        return 0;
    cs->script_open = 0;
    int rc = ks__text_stream_close(cs->plain, cs->sc);
    cs->plain = NULL;
    return rc;
}

/* Runs one event the reader posted; returns non-zero to stop the expansion. */
static int serve(ks_container_stream *cs)
{
    if (cs->ev == EV_PROBLEM) {
        cs->fatal_seen |= cs->ev_fatal;
        if (cs->on_problem && !cs->abandon && !cs->err)
            cs->on_problem(cs->ctx, cs->ev_chain, cs->ev_fatal, cs->ev_what);
        return 0;
    }
    if (cs->abandon || cs->err)
        return 1;
    int rc = 0;
    switch (cs->ev) {
    case EV_BEGIN:
        rc = close_script(cs);
        if (!rc)
            rc = member_begin(cs, cs->ev_chain);
        break;
    case EV_DATA: rc = ks__text_stream_write(cs->member, cs->sc, cs->ev_data, cs->ev_len); break;
    case EV_ZEROS: rc = ks__text_stream_zeros(cs->member, cs->sc, cs->ev_zeros); break;
    case EV_END:
        rc = ks__text_stream_close(cs->member, cs->sc);
        cs->member = NULL;
        drop_member(cs);
        break;
    default: break;
    }
    cs->err = rc;
    return rc != 0;
}

static int go_plain(ks_container_stream *cs, const void *first, size_t n);

/* The reader is done: the expansion's verdict, or, when the object was no container after all,
 * a plain stream from its first byte (the head, what the reader pulled, what it had not); after a
 * script, the script's own stream goes on with them, so that lines and matches run on across. */
static void reader_done(ks_container_stream *cs)
{
    pthread_join(cs->thread, NULL);
    cs->thread_live = 0;
    drop_member(cs);
    cs->mode = DRAINED;
    if (cs->rc == 1 && !cs->abandon && !cs->err && cs->spool) {
        cs->err = go_plain(cs, cs->spool, cs->spool_len);
    } else if (cs->rc == 1 && !cs->abandon && !cs->err) {
        int rc;
        if (cs->script_open) {
            cs->script_open = 0;
            cs->mode = PLAIN;
            rc = ks__text_stream_write(cs->plain, cs->sc, cs->start, cs->start_len);
        } else {
            rc = go_plain(cs, cs->start, cs->start_len);
        }
        if (!rc && cs->replay_len)
            rc = ks__text_stream_write(cs->plain, cs->sc, cs->replay, cs->replay_len);
        if (!rc && cs->in_len)
            rc = ks__text_stream_write(cs->plain, cs->sc, cs->in, cs->in_len);
        cs->err = rc;
        if (cs->fatal_seen)
            cs->stop_code = KS_ELIMIT; /* part of what was read to find out is lost */
    } else if (cs->rc == 0) {
        if (!cs->abandon && !cs->err)
            cs->err = close_script(cs); /* a container with no member */
        cs->stop_code = cs->res.stop == KS_CONT_LIMIT     ? KS_ELIMIT
                        : cs->res.stop == KS_CONT_CORRUPT ? KS_ECORRUPT
                        : cs->res.stop == KS_CONT_IO      ? KS_EIO
                                                          : 0;
    }
    cs->in_len = 0;
    free(cs->replay); /* container.c's, from malloc */
    cs->replay = NULL;
    cs->replay_len = 0;
    ks__afree(cs->a, cs->lead); /* (where the container began: read, and no longer needed) */
    cs->lead = NULL;
    cs->start = NULL;
    cs->start_len = 0;
}

/* Gives the reader the turn until it wants more input or is done, serving what it posts. */
static void run(ks_container_stream *cs)
{
    if (!cs->max_output) { /* the larger of 1 GiB and 50x what was written, as for a file of that size */
        uint64_t fifty = cs->written > UINT64_MAX / 50 ? UINT64_MAX : cs->written * 50;
        cs->lim.max_output = fifty > MIN_OUTPUT ? fifty : MIN_OUTPUT;
    }
    for (;;) {
        pthread_mutex_lock(&cs->mu);
        cs->reader_turn = 1;
        pthread_cond_broadcast(&cs->cv);
        while (cs->reader_turn)
            pthread_cond_wait(&cs->cv, &cs->mu);
        pthread_mutex_unlock(&cs->mu);
        if (cs->ev == EV_NEED_INPUT)
            return;
        if (cs->ev == EV_DONE) {
            reader_done(cs);
            return;
        }
        cs->verdict = serve(cs);
    }
}

/* Hands `n` bytes to the reader; when it returns they were taken (or scanned plain, or dropped). */
static void hand(ks_container_stream *cs, const unsigned char *p, size_t n)
{
    cs->in = p;
    cs->in_len = n;
    run(cs);
}

static int go_plain(ks_container_stream *cs, const void *first, size_t n)
{
    ks_scan_opts so = {.size = sizeof so, .path = cs->path};
    int rc = ks__text_stream_open(cs->a, cs->engine, &so, text_mode(cs), cs->cb, cs->ctx, &cs->plain);
    if (rc)
        return rc;
    cs->mode = PLAIN;
    return n ? ks__text_stream_write(cs->plain, cs->sc, first, n) : 0;
}

static int start_reader(ks_container_stream *cs)
{
    if (!cs->spool && !(cs->inbuf = ks__amalloc(cs->a, IN_BLOCK)))
        return KS_ENOMEM;
    if (pthread_mutex_init(&cs->mu, NULL))
        return KS_ENOMEM;
    if (pthread_cond_init(&cs->cv, NULL)) {
        pthread_mutex_destroy(&cs->mu);
        return KS_ENOMEM;
    }
    cs->sync_ready = 1;
    /* The reader blocks every signal, so that the host's handlers run on the host's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    cs->reader_turn = 0; /* it starts on its first turn */
    int e = pthread_create(&cs->thread, NULL, reader_main, cs);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e)
        return KS_ENOMEM;
    cs->thread_live = 1;
    cs->mode = CONTAINER;
    return 0;
}

/* Holds a 7z whole, up to spool_max bytes; past that it is scanned as the bytes it is, and said so. */
static int spool(ks_container_stream *cs, const unsigned char *p, size_t n)
{
    if (cs->spool_len + n > cs->spool_max) {
        char what[160];
        snprintf(what, sizeof what, "a 7z archive needs random access: it is opened up to %zu bytes, this one is "
                 "larger and was scanned as the bytes it is", cs->spool_max);
        if (cs->on_problem)
            cs->on_problem(cs->ctx, "", 1, what);
        cs->stop_code = KS_ELIMIT;
        int rc = go_plain(cs, cs->spool, cs->spool_len);
        ks__afree(cs->a, cs->spool);
        cs->spool = NULL;
        return rc ? rc : ks__text_stream_write(cs->plain, cs->sc, p, n);
    }
    if (cs->spool_len + n > cs->spool_cap) {
        size_t cap = cs->spool_cap ? cs->spool_cap : 4096;
        while (cap < cs->spool_len + n)
            cap *= 2;
        cap = cap < cs->spool_max ? cap : cs->spool_max;
        unsigned char *b = ks__arealloc(cs->a, cs->spool, cap);
        if (!b)
            return KS_ENOMEM;
        cs->spool = b;
        cs->spool_cap = cap;
    }
    memcpy(cs->spool + cs->spool_len, p, n);
    cs->spool_len += n;
    return 0;
}

/* A head that may be an ISO 9660 image's system area: read on to its magic (1), if memory allows. */
static int longer_head(ks_container_stream *cs)
{
    if (!ks__container_may_be_image(cs->head, cs->head_len))
        return 0;
    unsigned char *h = ks__amalloc(cs->a, KS_CONTAINER_HEAD_MAX);
    if (!h)
        return 0; /* sniffed as it is: an image is then scanned as bytes */
    memcpy(h, cs->head, cs->head_len);
    cs->head = h;
    cs->head_cap = KS_CONTAINER_HEAD_MAX;
    return 1;
}

/* No container after the lead: the object is plain, and the lead no longer held. */
static int lead_plain(ks_container_stream *cs)
{
    int rc = go_plain(cs, cs->lead, cs->lead_len);
    ks__afree(cs->a, cs->lead);
    cs->lead = NULL;
    cs->lead_len = cs->lead_cap = 0;
    return rc;
}

/* The lead is all here (or all there will be): a zip after it, or a stream or tar after one of a script's lines, is
 * read as a container from there, the lead before it as the object's own bytes; else the whole is a plain object. */
static int decide_lead(ks_container_stream *cs)
{
    uint64_t at = 0;
    ks_container_kind kind = ks__container_after_lead(cs->lead, cs->lead_len, &at);
    if (kind == KS_CONT_NONE || ((cs->flags & KS_CONTAINER_NO_DECOMPRESS) && ks__container_is_stream(kind)))
        return lead_plain(cs);
    int rc = go_plain(cs, cs->lead, (size_t)at);
    if (rc)
        return rc;
    cs->script_open = 1;
    cs->start = cs->lead + at;
    cs->start_len = cs->lead_len - (size_t)at;
    cs->base = at;
    return start_reader(cs);
}

/* Takes what a lead still lacks of `*len` bytes; decides once it has them all. */
static int lead_take(ks_container_stream *cs, const unsigned char **p, size_t *len)
{
    size_t take = KS_CONTAINER_LEAD_READ - cs->lead_len < *len ? KS_CONTAINER_LEAD_READ - cs->lead_len : *len;
    if (cs->lead_len + take > cs->lead_cap) { /* grown as it comes: most scripts are short */
        size_t cap = cs->lead_cap * 2;
        while (cap < cs->lead_len + take)
            cap *= 2;
        cap = cap < KS_CONTAINER_LEAD_READ ? cap : KS_CONTAINER_LEAD_READ;
        unsigned char *b = ks__arealloc(cs->a, cs->lead, cap);
        if (!b) /* scanned as it is: only a container after the script is not opened */
            return lead_plain(cs);
        cs->lead = b;
        cs->lead_cap = cap;
    }
    memcpy(cs->lead + cs->lead_len, *p, take);
    cs->lead_len += take;
    *p += take;
    *len -= take;
    return cs->lead_len == KS_CONTAINER_LEAD_READ ? decide_lead(cs) : 0;
}

/* A lead's first bytes: it is gathered before anything is decided (it may hold no container). */
static int lead_start(ks_container_stream *cs)
{
    cs->lead_cap = cs->head_len * 2;
    if (!(cs->lead = ks__amalloc(cs->a, cs->lead_cap)))
        return KS_ENOMEM;
    memcpy(cs->lead, cs->head, cs->head_len);
    cs->lead_len = cs->head_len;
    cs->mode = LEADING;
    return 0;
}

/* The first bytes are all here (or all there will be): a container, a lead that may come before one, or a plain
 * object. */
static int decide(ks_container_stream *cs)
{
    ks_container_kind kind = ks__container_sniff(cs->head, cs->head_len);
    if (!(cs->flags & KS_CONTAINER_OFF) && kind == KS_CONT_NONE && cs->head_len >= 4 &&
        ks__container_may_lead(cs->head, cs->head_len))
        return lead_start(cs);
    cs->start = cs->head;
    cs->start_len = cs->head_len;
    if ((cs->flags & KS_CONTAINER_OFF) || cs->head_len < 4 || kind == KS_CONT_NONE ||
        ((cs->flags & KS_CONTAINER_NO_DECOMPRESS) && ks__container_is_stream(kind)))
        return go_plain(cs, cs->head, cs->head_len);
    if (kind == KS_CONT_7Z) { /* its index is at its end */
        cs->mode = SPOOLING;
        return spool(cs, cs->head, cs->head_len);
    }
    return start_reader(cs);
}

int ks_container_stream_open(const ks_engine *engine, const ks_scan_opts *opts, const ks_container_opts *copts,
                             ks_match_fn cb, void *ctx, ks_container_stream **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!engine)
        return KS_EINVAL;
    ks_container_opts o = {0};
    if (copts) { /* a shorter, older struct: the fields it lacks stay 0 */
        size_t have = copts->size && copts->size < sizeof o ? copts->size : sizeof o;
        memcpy(&o, copts, have);
    }
    const ks_allocator *a = ks__engine_alloc(engine);
    ks_container_stream *cs = ks__acalloc(a, 1, sizeof *cs);
    if (!cs)
        return KS_ENOMEM;
    cs->head = cs->head_short;
    cs->head_cap = sizeof cs->head_short;
    const char *path = opts && (!opts->size || opts->size >= offsetof(ks_scan_opts, path) + sizeof opts->path)
                           ? opts->path
                           : NULL;
    if (path && !(cs->path = ks__astrdup(a, path))) {
        ks__afree(a, cs);
        return KS_ENOMEM;
    }
    cs->engine = engine;
    cs->a = a;
    cs->cb = cb;
    cs->ctx = ctx;
    cs->on_problem = o.on_problem;
    cs->flags = o.flags;
    cs->max_output = o.max_output;
    cs->spool_max = o.max_spool ? o.max_spool : DEFAULT_SPOOL;
    cs->lim = (ks_container_limits){
        .max_depth = o.depth ? o.depth : KS_DEFAULT_ARCHIVE_DEPTH,
        .max_output = o.max_output,
        .max_members = o.max_members ? o.max_members : KS_DEFAULT_ARCHIVE_MEMBERS,
        .ratio_after = RATIO_AFTER,
        .max_ratio = o.max_ratio ? o.max_ratio : KS_DEFAULT_ARCHIVE_RATIO,
        .no_decompress = !!(o.flags & KS_CONTAINER_NO_DECOMPRESS),
        .max_spool = cs->spool_max,
    };
    *out = cs;
    return 0;
}

/* Gathers bytes for the reader, handing them over a block at a time (a big write at once). */
static int feed(ks_container_stream *cs, const unsigned char *p, size_t n)
{
    while (n && cs->mode == CONTAINER && !cs->err) {
        if (!cs->inbuf_len && n >= IN_BLOCK) {
            hand(cs, p, n);
            return cs->err;
        }
        size_t take = IN_BLOCK - cs->inbuf_len < n ? IN_BLOCK - cs->inbuf_len : n;
        memcpy(cs->inbuf + cs->inbuf_len, p, take);
        cs->inbuf_len += take;
        p += take;
        n -= take;
        if (cs->inbuf_len == IN_BLOCK) {
            hand(cs, cs->inbuf, IN_BLOCK);
            cs->inbuf_len = 0;
        }
    }
    if (cs->err)
        return cs->err;
    if (n && cs->mode == SPOOLING)
        return spool(cs, p, n);
    if (n && cs->mode == PLAIN) /* no container after all: the rest as it is */
        return ks__text_stream_write(cs->plain, cs->sc, p, n);
    return 0; /* DRAINED: what follows is taken, not scanned */
}

int ks_container_stream_write(ks_container_stream *cs, ks_scanner *sc, const void *data, size_t len)
{
    if (!cs || (!data && len))
        return KS_EINVAL;
    if (cs->err)
        return cs->err;
    if (cs->mode == PLAIN)
        return ks__text_stream_write(cs->plain, sc, data, len);
    if (!len)
        return 0;
    if (!sc || ks_scanner_engine(sc) != cs->engine)
        return KS_EINVAL;
    cs->sc = sc;
    const unsigned char *p = data;
    cs->written += len;
    while (cs->mode == SNIFFING) {
        size_t take = cs->head_cap - cs->head_len < len ? cs->head_cap - cs->head_len : len;
        memcpy(cs->head + cs->head_len, p, take);
        cs->head_len += take;
        p += take;
        len -= take;
        if (cs->head_len < cs->head_cap)
            return 0;
        if (cs->head == cs->head_short && longer_head(cs))
            continue;
        int rc = decide(cs);
        if (rc)
            return cs->err = rc;
    }
    if (cs->mode == LEADING) {
        int rc = lead_take(cs, &p, &len);
        if (rc)
            return cs->err = rc;
    }
    return feed(cs, p, len);
}

int ks_container_stream_close(ks_container_stream *cs, ks_scanner *sc)
{
    if (!cs)
        return KS_EINVAL;
    int rc = cs->err;
    if (!rc && (!sc || ks_scanner_engine(sc) != cs->engine))
        rc = KS_EINVAL;
    cs->sc = sc;
    if (!rc && cs->mode == SNIFFING) /* an object shorter than the magic */
        rc = decide(cs);
    if (!rc && cs->mode == LEADING) /* shorter than a lead can be */
        rc = decide_lead(cs);
    if (!rc && cs->mode == SPOOLING) /* a 7z, all here now */
        rc = start_reader(cs);
    else if (!rc && cs->mode == CONTAINER && cs->inbuf_len) {
        hand(cs, cs->inbuf, cs->inbuf_len);
        cs->inbuf_len = 0;
        rc = cs->err; /* a callback may stop it there: the last bytes held the findings */
    }
    if (!rc && cs->mode == CONTAINER) {
        cs->in_eof = 1;
        run(cs);
        rc = cs->err;
    }
    if (!rc && cs->mode == PLAIN) {
        rc = ks__text_stream_close(cs->plain, sc);
        cs->plain = NULL;
    }
    if (!rc)
        rc = cs->stop_code;
    ks_container_stream_abort(cs);
    return rc;
}

void ks_container_stream_abort(ks_container_stream *cs)
{
    if (!cs)
        return;
    if (cs->thread_live) { /* the reader gives up at its next pull, and unwinds */
        cs->abandon = 1;
        while (cs->thread_live)
            run(cs);
    }
    if (cs->sync_ready) {
        pthread_cond_destroy(&cs->cv);
        pthread_mutex_destroy(&cs->mu);
    }
    drop_member(cs);
    ks__text_stream_abort(cs->plain);
    ks__afree(cs->a, cs->inbuf);
    ks__afree(cs->a, cs->spool);
    ks__afree(cs->a, cs->lead);
    ks__afree(cs->a, cs->path);
    if (cs->head != cs->head_short)
        ks__afree(cs->a, cs->head);
    ks__afree(cs->a, cs);
}
