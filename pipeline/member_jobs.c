/* member_jobs.c: one big container's members scanned by several workers: the worker that opened it (the expander)
 * decompresses it, cuts each block of its events at member boundaries into units, queues the whole members of a block
 * for any worker, scans a member that runs on into the next block itself, and sends every unit's findings in archive
 * order. */
#include "pipeline_int.h"

/* Units between the oldest whose findings are not sent yet and the newest: a slow unit holds back
 * the findings of at most this many after it. */
#define UNITS 64u
/* Blocks of events in flight per container: one being filled, one per worker scanning, a few ahead. */
#define FEED_BLOCKS_MAX 16u

enum unit_state { U_FREE, U_QUEUED, U_TAKEN, U_DONE };

/* Members of the container, consecutive in archive order, scanned by one worker. */
typedef struct unit {
    int state;
    const ks_cont_block *block; /* U_QUEUED: its events [from, to), held until scanned */
    size_t from, to;
    uint64_t members;
    ks_reclist found;           /* the findings, in the order found */
    int err;                    /* the scan failed (a positive errno) */
} unit;

/* The container being expanded, shared by the expander and the workers that help it. */
struct ks_mshare {
    pthread_mutex_t mu;
    pthread_cond_t unit_done;
    unsigned refs;    /* the expander, and every token not yet taken from the queue: the last frees */
    unsigned tokens;  /* tokens in the queue */
    unsigned queued;  /* units U_QUEUED */
    uint64_t head, next; /* units [head, next) are in flight, u[i % UNITS] */
    unit u[UNITS];
    ks_pipeline *p;
    worker *w;        /* the expander */
    pslot *slot;      /* the container's chunk 0: its file */
    ks_cont_feed *feed;
    unit *open;       /* the expander's: a member that began in an earlier block and goes on */
    _Atomic int stopped; /* a scan stopped (ks_pipeline_stop, out of memory): nothing more is scanned */
    int err;             /* the expander's: the first failed unit's error, in archive order */
};

static void share_put(ks_mshare *s)
{
    pthread_mutex_lock(&s->mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&s->mu);
    if (last) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->unit_done);
        ks__afree(s->p->a, s);
    }
}

static void stop_all(ks_mshare *s)
{
    atomic_store(&s->stopped, 1);
    ks__container_feed_stop(s->feed);
}

static void no_problem(void *ctx, const char *chain, int fatal, const char *what) {}

static void note(void *ctx, const char *chain, int fatal, const char *what)
{
    ks__pl_push_note(ctx, chain, fatal, what);
}

/* What a worker's member scan keeps between calls; a unit run by the expander must leave its own
 * member (the one crossing blocks) as it was. */
typedef struct member_state {
    pslot *slot;
    ks_stream *mstream;
    char *mchain;
    size_t mchain_len;
    int mfailed, failed;
    ks_reclist *collect;
} member_state;

static member_state save(worker *w)
{
    return (member_state){w->slot, w->mstream, w->mchain, w->mchain_len, w->mfailed, w->failed, w->collect};
}

static void restore(worker *w, const member_state *m)
{
    w->slot = m->slot;
    w->mstream = m->mstream;
    w->mchain = m->mchain;
    w->mchain_len = m->mchain_len;
    w->mfailed = m->mfailed;
    w->failed = m->failed;
    w->collect = m->collect;
}

/* Scans the events [from, to) of b on w into u's findings (notes were sent when the block came). */
static void scan_events(worker *w, ks_mshare *s, unit *u, const ks_cont_block *b, size_t from, size_t to)
{
    ks_container_sink sink = ks__pl_member_sink;
    sink.problem = no_problem;
    int stopped = atomic_load(&s->stopped);
    w->collect = &u->found;
    ks__container_block_replay(b, from, to, &sink, w, &stopped);
    if (w->mfailed && !u->err)
        u->err = w->mfailed;
    if (stopped)
        stop_all(s);
}

/* Runs a queued unit (taken by this worker) and marks it done. */
static void run_unit(worker *w, ks_mshare *s, unit *u)
{
    member_state was = save(w);
    w->slot = s->slot;
    w->mstream = NULL;
    w->mchain = NULL;
    w->mfailed = w->failed = 0;
    scan_events(w, s, u, u->block, u->from, u->to);
    ks__pl_drop_member(w); /* stopped inside a member */
    restore(w, &was);
    ks__container_feed_release(s->feed, u->block);
    pthread_mutex_lock(&s->mu);
    u->state = U_DONE;
    pthread_cond_broadcast(&s->unit_done);
    pthread_mutex_unlock(&s->mu);
}

/* Under s->mu: the oldest queued unit, now taken; NULL when none is queued. */
static unit *take_queued(ks_mshare *s)
{
    for (uint64_t i = s->head; s->queued && i < s->next; i++) {
        unit *u = &s->u[i % UNITS];
        if (u->state == U_QUEUED) {
            u->state = U_TAKEN;
            s->queued--;
            return u;
        }
    }
    return NULL;
}

void ks__pl_help_members(worker *w, pjob *j)
{
    ks_mshare *s = j->share;
    ks__afree(w->p->a, j);
    pthread_mutex_lock(&s->mu);
    s->tokens--;
    unit *u;
    while ((u = take_queued(s))) {
        uint64_t members = u->members; /* u is the expander's again once done */
        pthread_mutex_unlock(&s->mu);
        run_unit(w, s, u);
        atomic_fetch_add_explicit(&w->members_shared, members, memory_order_relaxed);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    share_put(s);
}

/* The expander scans the oldest queued unit itself; 0 when none is queued. */
static int steal(worker *w, ks_mshare *s)
{
    pthread_mutex_lock(&s->mu);
    unit *u = take_queued(s);
    pthread_mutex_unlock(&s->mu);
    if (u)
        run_unit(w, s, u);
    return u != NULL;
}

/* Sends the findings of the units done, oldest first, up to the first not done. */
static void send_done(worker *w, ks_mshare *s)
{
    for (;;) {
        pthread_mutex_lock(&s->mu);
        unit *u = s->head < s->next ? &s->u[s->head % UNITS] : NULL;
        if (!u || u->state != U_DONE) {
            pthread_mutex_unlock(&s->mu);
            return;
        }
        ks_rec *r = u->found.head;
        if (u->err && !s->err)
            s->err = u->err;
        u->state = U_FREE;
        s->head++;
        pthread_mutex_unlock(&s->mu);
        for (ks_rec *nx; r; r = nx) {
            nx = r->next;
            ks__pl_ring_push(s->p, w->out, r);
        }
    }
}

/* Waits for the oldest unit in flight: scans a queued one meanwhile, or waits for a helper to finish
 * one (a unit taken is being scanned, and ends without waiting for anything). */
static void make_progress(worker *w, ks_mshare *s)
{
    if (steal(w, s))
        return;
    pthread_mutex_lock(&s->mu);
    if (s->head < s->next && s->u[s->head % UNITS].state == U_TAKEN)
        pthread_cond_wait(&s->unit_done, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

/* A new unit, the newest in archive order; waits for room in the window. */
static unit *new_unit(worker *w, ks_mshare *s, int state)
{
    for (;;) {
        send_done(w, s);
        pthread_mutex_lock(&s->mu);
        if (s->next - s->head < UNITS) {
            unit *u = &s->u[s->next++ % UNITS];
            *u = (unit){.state = state};
            u->found.tail = &u->found.head;
            pthread_mutex_unlock(&s->mu);
            return u;
        }
        pthread_mutex_unlock(&s->mu);
        make_progress(w, s);
    }
}

/* Queues whole members of block b for any worker; a token in the workers' queue calls one to help
 * when fewer are on the way than there are other workers. When that queue is full, no token: the
 * expander scans what nobody took. */
static void queue_unit(worker *w, ks_mshare *s, const ks_cont_block *b, size_t from, size_t to, uint64_t members)
{
    ks_pipeline *p = w->p;
    unit *u = new_unit(w, s, U_FREE);
    ks__container_feed_hold(b);
    pthread_mutex_lock(&s->mu);
    u->block = b;
    u->from = from;
    u->to = to;
    u->members = members;
    u->state = U_QUEUED;
    s->queued++;
    int call = s->tokens < p->n_workers - 1 && s->tokens < s->queued;
    if (call) {
        s->tokens++;
        s->refs++;
    }
    pthread_mutex_unlock(&s->mu);
    if (!call)
        return;
    pjob *t = ks__acalloc(p->a, 1, sizeof *t);
    if (t)
        t->share = s;
    if (!t || ks__bq_try_push(&p->chunks, t)) {
        ks__afree(p->a, t);
        pthread_mutex_lock(&s->mu);
        s->tokens--;
        s->refs--; /* the expander holds one: never the last */
        pthread_mutex_unlock(&s->mu);
    }
}

/* Sends the block's notes (in archive order, as the single-worker scan does), then cuts it: the end
 * of the member that began in an earlier block (scanned here), the whole members after it (queued),
 * and a member that begins here and runs on (begun here). */
static void cut_block(worker *w, ks_mshare *s, const ks_cont_block *b)
{
    unit **open = &s->open;
    static const ks_container_sink NOTES = {NULL, NULL, NULL, note};
    size_t at, nx, cont_end = 0, tail = SIZE_MAX;
    uint64_t members = 0;
    int k, done = 0, ended = 0; /* ended: the member from an earlier block ended here, at cont_end */
    for (at = 0; (k = ks__container_block_event(b, at, &nx)) >= 0; at = nx) {
        if (k == KS_EV_PROBLEM && !atomic_load(&s->stopped)) {
            int ignored = 0;
            ks__container_block_replay(b, at, nx, &NOTES, w, &ignored);
        } else if (k == KS_EV_BEGIN && (!*open || ended)) {
            tail = at;
        } else if (k == KS_EV_END) {
            if (*open && !ended) {
                ended = 1;
                cont_end = nx;
            } else {
                members++;
            }
            tail = SIZE_MAX;
        } else if (k == KS_EV_DONE) {
            done = 1;
        }
    }
    if (*open && !ended) /* the member goes on past this block too */
        cont_end = at;
    if (*open) {
        scan_events(w, s, *open, b, 0, cont_end);
        if (ended || done) {
            ks__pl_drop_member(w); /* ended, unless the scan stopped inside it */
            pthread_mutex_lock(&s->mu);
            (*open)->state = U_DONE;
            pthread_mutex_unlock(&s->mu);
            *open = NULL;
        }
    }
    if (atomic_load(&s->stopped))
        return;
    if (members)
        queue_unit(w, s, b, cont_end, tail, members);
    if (tail != SIZE_MAX && !done) {
        *open = new_unit(w, s, U_TAKEN);
        w->mfailed = w->failed = 0;
        scan_events(w, s, *open, b, tail, SIZE_MAX);
    }
}

/* The expander's calls from the feed, which it runs on its own thread: it decompresses while blocks
 * are free, so that with two workers nothing more runs than there are of them; once every block is
 * held (the helpers are behind), it scans a queued unit itself. */
static void on_block(void *ctx, ks_cont_feed *f, const ks_cont_block *b)
{
    ks_mshare *s = ctx;
    if (!s->feed) /* before any unit is queued: the helpers read it */
        s->feed = f;
    cut_block(s->w, s, b);
    ks__container_feed_release(f, b);
    send_done(s->w, s);
}

static int on_starved(void *ctx)
{
    ks_mshare *s = ctx;
    return steal(s->w, s);
}

static const ks_cont_feed_ops FEED_OPS = {on_block, on_starved};

int ks__pl_expand_shared(worker *w, pslot *sl, int fd, const ks_container_limits *lim, ks_container_result *res)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    unsigned blocks = p->n_workers + 4 < FEED_BLOCKS_MAX ? p->n_workers + 4 : FEED_BLOCKS_MAX;
    ks_mshare *s = ks__acalloc(p->a, 1, sizeof *s);
    int rc = -2;
    if (s) {
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->unit_done, NULL);
        s->refs = 1;
        s->p = p;
        s->w = w;
        s->slot = sl;
        rc = ks__container_feed_run(NULL, 0, fd, f->size, f->path, lim, blocks, &FEED_OPS, s, res);
    }
    if (rc == -2) { /* no memory for it: on one worker */
        if (s)
            share_put(s);
        return ks__container_expand_overlapped(NULL, 0, fd, f->size, f->path, lim, &ks__pl_member_sink, w, res);
    }
    if (s->open) { /* stopped inside it */
        ks__pl_drop_member(w);
        pthread_mutex_lock(&s->mu);
        s->open->state = U_DONE;
        pthread_mutex_unlock(&s->mu);
    }
    for (;;) {
        send_done(w, s);
        pthread_mutex_lock(&s->mu);
        int left = s->head < s->next;
        pthread_mutex_unlock(&s->mu);
        if (!left)
            break;
        make_progress(w, s);
    }
    if (atomic_load(&s->stopped))
        rc = -1;
    w->mfailed = s->err;
    w->collect = NULL;
    share_put(s);
    return rc;
}
