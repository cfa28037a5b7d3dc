/* member_jobs.c: one big container's members scanned by several workers: the worker that opened it (the expander)
 * decompresses it, cuts each block of its events at member boundaries into units (the whole members of a block, or
 * one member that runs on across blocks, its pieces following as they are cut), queues them for any worker, and sends
 * every unit's findings in archive order. */
#include "pipeline_int.h"

/* Units between the oldest whose findings are not sent yet and the newest: a slow unit holds back
 * the findings of at most this many after it. With 64, the expander of a full-history git scan at -j2 (7,691
 * units) waited for room 50-70 times, scanning a unit itself each time. */
#define UNITS 256u
/* Blocks of events (256 KiB each) in flight per container: one being filled, one per worker scanning, the rest
 * ahead. With too few, the expander runs out whenever a helper is descheduled for a moment and scans a unit
 * itself, idle helpers or not: with 16, a full-history git scan at -j2 (the generated repository, 1.4 GB of blobs)
 * took 3.4 s, the expander scanning 3,172 of 7,691 units while its one helper idled 80% of the time; with 64
 * (and UNITS 256) 2.6 s, 30 units. Fewer helpers need more blocks to ride out a pause, and every worker may be an
 * expander: FEED_BYTES_ALL bounds the blocks of all of them together up to 16 workers (beyond, each has the 16 it
 * had before). They are allocated when the feed starts, and a block is touched only once the helpers lag by that
 * much (the free blocks are a stack). */
#define FEED_BLOCKS_MAX 64u
#define FEED_BLOCKS_MIN 16u
#define FEED_BYTES_ALL ((size_t)64 << 20)

enum unit_state { U_FREE, U_QUEUED, U_TAKEN, U_DONE };

/* Events [from, to) of a block (to SIZE_MAX: its end), the block held until they are scanned. */
typedef struct piece {
    const ks_cont_block *block;
    size_t from, to;
} piece;

/* Members of the container, consecutive in archive order, scanned by one worker: the whole members
 * of one block (one piece), or one member crossing blocks, whose pieces the expander adds as it
 * cuts them (a worker that takes it scans them as they come: the expander only decompresses). */
typedef struct unit {
    int state;
    piece pc[FEED_BLOCKS_MAX]; /* pieces not scanned yet, oldest at first (each holds a block) */
    unsigned first, n_pieces;
    int ended;                 /* its last piece was added */
    int by_expander;           /* the expander took it before it ended: it scans each piece as it cuts it */
    uint64_t members;
    ks_reclist found;          /* the findings, in the order found */
    int err;                   /* the scan failed (a positive errno) */
} unit;

/* The container being expanded, shared by the expander and the workers that help it. */
struct ks_mshare {
    pthread_mutex_t mu;
    pthread_cond_t unit_done;
    pthread_cond_t piece_added; /* to a worker waiting for the next piece of a member crossing blocks */
    unsigned refs;    /* the expander, and every token not yet taken from the queue: the last frees */
    unsigned tokens;  /* tokens in the queue */
    unsigned queued;  /* units U_QUEUED */
    uint64_t head, next; /* units [head, next) are in flight, u[i % UNITS] */
    unit u[UNITS];
    ks_pipeline *p;
    worker *w;        /* the expander */
    pslot *slot;      /* the container's chunk 0: its file */
    ks_cont_feed *feed;
    unit *open;       /* the member that began in an earlier block and goes on, until it ends */
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
        pthread_cond_destroy(&s->piece_added);
        ks__afree(s->p->a, s);
    }
}

static void stop_all(ks_mshare *s)
{
    atomic_store(&s->stopped, 1);
    ks__container_feed_stop(s->feed);
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->piece_added);
    pthread_mutex_unlock(&s->mu);
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
    ks_text_stream *mtext;
    char *mchain;
    size_t mchain_len;
    int mfailed, failed;
    ks_reclist *collect;
} member_state;

static member_state save(worker *w)
{
    return (member_state){w->slot, w->mtext, w->mchain, w->mchain_len, w->mfailed, w->failed, w->collect};
}

static void restore(worker *w, const member_state *m)
{
    w->slot = m->slot;
    w->mtext = m->mtext;
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

/* Under s->mu: u's oldest piece, taken off it. */
static piece pop_piece(unit *u)
{
    piece pc = u->pc[u->first];
    u->first = (u->first + 1) % FEED_BLOCKS_MAX;
    u->n_pieces--;
    return pc;
}

/* Scans the pieces u has now, and with `wait` those still to come, until it ended (or the scan
 * stopped); a worker waits only for pieces that the expander (never waiting for it) will add. */
static void scan_pieces(worker *w, ks_mshare *s, unit *u, int wait)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (wait && !u->n_pieces && !u->ended && !atomic_load(&s->stopped))
            pthread_cond_wait(&s->piece_added, &s->mu);
        if (!u->n_pieces)
            break;
        piece pc = pop_piece(u);
        pthread_mutex_unlock(&s->mu);
        scan_events(w, s, u, pc.block, pc.from, pc.to);
        ks__container_feed_release(s->feed, pc.block);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

static void mark_done(ks_mshare *s, unit *u)
{
    pthread_mutex_lock(&s->mu);
    u->state = U_DONE;
    pthread_cond_broadcast(&s->unit_done);
    pthread_mutex_unlock(&s->mu);
}

/* Runs a queued unit (taken by this worker) to its end and marks it done. */
static void run_unit(worker *w, ks_mshare *s, unit *u)
{
    member_state was = save(w);
    w->slot = s->slot;
    w->mtext = NULL;
    w->mchain = NULL;
    w->mfailed = w->failed = 0;
    scan_pieces(w, s, u, 1);
    ks__pl_drop_member(w); /* stopped inside a member */
    restore(w, &was);
    mark_done(s, u);
}

/* Under s->mu: the oldest queued unit, now taken (by the expander: `expander`); NULL when none is. */
static unit *take_queued(ks_mshare *s, int expander)
{
    for (uint64_t i = s->head; s->queued && i < s->next; i++) {
        unit *u = &s->u[i % UNITS];
        if (u->state == U_QUEUED) {
            u->state = U_TAKEN;
            u->by_expander = expander && !u->ended;
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
    while ((u = take_queued(s, 0))) {
        uint64_t members = u->members; /* u is the expander's again once done */
        pthread_mutex_unlock(&s->mu);
        run_unit(w, s, u);
        atomic_fetch_add_explicit(&w->members_shared, members, memory_order_relaxed);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    share_put(s);
}

/* The expander scans the oldest queued unit itself; 0 when none is queued. A member that has not
 * ended yet (the open one) it scans as far as it came, and the rest as it cuts it: it cannot wait
 * for pieces it makes itself. */
static int steal(worker *w, ks_mshare *s)
{
    pthread_mutex_lock(&s->mu);
    unit *u = take_queued(s, 1);
    int adopt = u && u->by_expander;
    pthread_mutex_unlock(&s->mu);
    if (adopt) { /* the open member's state lives in w until it ends (as a stolen unit's does not) */
        w->slot = s->slot;
        w->mtext = NULL;
        w->mchain = NULL;
        w->mfailed = w->failed = 0;
        scan_pieces(w, s, u, 0);
    } else if (u) {
        run_unit(w, s, u);
    }
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

/* Queues the events [from, to) of block b for any worker: whole members (`ended`), or the first
 * piece of a member that goes on; a token in the workers' queue calls one to help when fewer are on
 * the way than there are other workers. When that queue is full, no token: the expander scans what
 * nobody took. */
static unit *queue_unit(worker *w, ks_mshare *s, const ks_cont_block *b, size_t from, size_t to, uint64_t members,
                        int ended)
{
    ks_pipeline *p = w->p;
    unit *u = new_unit(w, s, U_FREE);
    ks__container_feed_hold(b);
    pthread_mutex_lock(&s->mu);
    u->pc[0] = (piece){b, from, to};
    u->n_pieces = 1;
    u->ended = ended;
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
        return u;
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
    return u;
}

/* The next piece of the open member, [0, to) of b, its last when `ended`: scanned now when the
 * expander took the member, else added for the worker that has it or will take it. Once the scan
 * stopped, only its end is: that worker may have left it (nothing more would be scanned). */
static void add_piece(worker *w, ks_mshare *s, unit *u, const ks_cont_block *b, size_t to, int ended)
{
    pthread_mutex_lock(&s->mu);
    int mine = u->by_expander;
    if (!mine) {
        if (!atomic_load(&s->stopped)) {
            ks__container_feed_hold(b);
            u->pc[(u->first + u->n_pieces++) % FEED_BLOCKS_MAX] = (piece){b, 0, to};
        }
        u->ended = ended;
        pthread_cond_broadcast(&s->piece_added);
    }
    pthread_mutex_unlock(&s->mu);
    if (!mine)
        return;
    scan_events(w, s, u, b, 0, to);
    if (ended) {
        ks__pl_drop_member(w); /* ended, unless the scan stopped inside it */
        mark_done(s, u);
    }
}

/* Sends the block's notes (in archive order, as the single-worker scan does), then cuts it: the end
 * of the member that began in an earlier block (scanned here), the whole members after it (queued),
 * and a member that begins here and runs on (begun here). */
static void cut_block(worker *w, ks_mshare *s, const ks_cont_block *b)
{
    unit **open = &s->open;
    static const ks_container_sink NOTES = {NULL, NULL, NULL, note, NULL, NULL, NULL};
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
        add_piece(w, s, *open, b, cont_end, ended || done);
        if (ended || done)
            *open = NULL;
    }
    if (atomic_load(&s->stopped))
        return;
    if (members)
        queue_unit(w, s, b, cont_end, tail, members, 1);
    if (tail != SIZE_MAX && !done)
        *open = queue_unit(w, s, b, tail, SIZE_MAX, 1, 0);
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

int ks__pl_expand_shared(worker *w, pslot *sl, ks_cont_producer produce, void *pctx, ks_container_result *res)
{
    ks_pipeline *p = w->p;
    size_t share = FEED_BYTES_ALL / p->n_workers / KS_CONTAINER_FEED_BLOCK;
    unsigned blocks = share > FEED_BLOCKS_MAX   ? FEED_BLOCKS_MAX
                      : share < FEED_BLOCKS_MIN ? FEED_BLOCKS_MIN
                                                : (unsigned)share;
    ks_mshare *s = ks__acalloc(p->a, 1, sizeof *s);
    int rc = -2;
    if (s) {
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->unit_done, NULL);
        pthread_cond_init(&s->piece_added, NULL);
        s->refs = 1;
        s->p = p;
        s->w = w;
        s->slot = sl;
        rc = ks__container_feed_run_with(produce, pctx, blocks, &FEED_OPS, s, res);
    }
    if (rc == -2) { /* no memory for it: on this worker alone */
        if (s)
            share_put(s);
        return produce(pctx, &ks__pl_member_sink, w, res);
    }
    if (s->open) { /* stopped inside it: it has no more pieces */
        pthread_mutex_lock(&s->mu);
        int mine = s->open->by_expander;
        s->open->ended = 1;
        pthread_cond_broadcast(&s->piece_added);
        pthread_mutex_unlock(&s->mu);
        if (mine) {
            ks__pl_drop_member(w);
            mark_done(s, s->open);
        }
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
