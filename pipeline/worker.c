/* worker.c: a worker: takes jobs, reads them through its own reader backend, scans them, and sends findings and
 * chunk completions to the writer; one loop for every backend. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pipeline_int.h"

int ks__pl_worker_on_match(const ks_match *m, void *ctx)
{
    worker *w = ctx;
    pslot *sl = w->slot;
    size_t olen = w->mchain ? w->mchain_len : 0;
    size_t dlen = m->decoder ? strlen(m->decoder) : 0;
    ks_rec *r = ks__amalloc(w->p->a, sizeof *r + m->match_len + (w->mchain ? olen + 1 : 0) + (dlen ? dlen + 1 : 0));
    if (!r) {
        w->failed = ENOMEM;
        return 1;
    }
    memset(r, 0, sizeof *r);
    r->kind = KS_REC_FINDING;
    r->file = sl->file;
    r->chunk = sl->chunk;
    r->rule = (uint32_t)m->rule_index;
    r->near_miss = m->near_miss;
    r->allowed = m->allowed;
    r->validator = m->validator;
    r->near_miss_reason = m->near_miss_reason;
    r->known_test_key = m->known_test_key;
    r->start = m->start;
    r->end = m->end;
    r->secret_start = m->secret_start;
    r->secret_end = m->secret_end;
    r->nl_before = m->line - 1;
    r->column = m->column;
    r->match_len = m->match_len;
    r->secret_off = (size_t)(m->secret - m->match);
    r->secret_len = m->secret_len;
    memcpy(r->match, m->match, m->match_len);
    if (w->mtext) /* a container's member, or a file's decoded text: a stream of its own, its lines exact */
        r->in_member = 1;
    unsigned char *tail = r->match + m->match_len;
    if (w->mchain) { /* a member: where it is */
        r->has_object = 1;
        r->object_len = olen;
        memcpy(tail, w->mchain, olen + 1);
        tail += olen + 1;
    }
    if (dlen) { /* the decoders' names live only during the callback */
        memcpy(tail, m->decoder, dlen + 1);
        r->decoder = (char *)tail;
    }
    if (w->collect) { /* a big container's members, shared out: the expander sends them in order */
        r->next = NULL;
        *w->collect->tail = r;
        w->collect->tail = &r->next;
        return 0;
    }
    ks__pl_ring_push(w->p, w->out, r);
    return 0;
}

/* A slot's read has finished: note EOF surprises and close the file after its last read, so a
 * descriptor is held only until its bytes are in memory. */
static void slot_read_done(ks_pipeline *p, pslot *sl)
{
    pfile *f = sl->file;
    sl->len = sl->req.done;
    if (sl->base + sl->len < sl->own_to) /* shrank since fstat: scan what was there */
        sl->own_to = sl->base + sl->len > sl->own_from ? sl->base + sl->len : sl->own_from;
    if (atomic_fetch_sub(&f->sync_left, 1) == 1)
        ks__pl_file_close_fd(p, f);
}

/* The backend took `n` reads, or handed `-n` back (ks_pipeline_info_get reads the count). */
static void held(worker *w, int n)
{
    if (n)
        atomic_fetch_add_explicit(&w->reads_held, (unsigned)n, memory_order_relaxed);
}

/* A read the backend hands back: its slot is in memory; a job whose every slot is, is ready. */
static void complete(worker *w, ks_read_req *req)
{
    pslot *sl = req->user;
    pjob *j = sl->job;
    atomic_fetch_add_explicit(&w->bytes_read, req->done, memory_order_relaxed);
    slot_read_done(w->p, sl);
    if (--j->unread == 0) {
        w->in_flight--;
        w->ready[w->n_ready++] = j;
    }
}

/* Reads one request through the worker's backend and waits for it; reads of chunk jobs that
 * finish meanwhile are completed as usual. */
static void read_one(worker *w, ks_read_req *rq)
{
    const ks_reader_ops *rd = w->p->reader;
    ks_read_req *done[KS_BATCH_MAX];
    int rc;
    while ((rc = rd->submit(w->rstate, rq)) == -EBUSY) { /* the backend is full: make room */
        int n = rd->reap(w->rstate, done, KS_BATCH_MAX, 1);
        held(w, n > 0 ? -n : 0);
        for (int i = 0; i < n; i++)
            complete(w, done[i]);
    }
    if (rc < 0) {
        rq->res = rc;
        return;
    }
    held(w, 1);
    for (;;) {
        int n = rd->reap(w->rstate, done, KS_BATCH_MAX, 1), mine = 0;
        held(w, n > 0 ? -n : 0);
        for (int i = 0; i < n; i++) {
            if (done[i] == rq)
                mine = 1;
            else
                complete(w, done[i]);
        }
        if (mine)
            return;
        if (n < 0)
            usleep(100);
    }
}

/* A stream that may start with a lead (a script, "#!", or a Windows executable, "MZ": its first `first` bytes in
 * the worker's buffer): its first KS_CONTAINER_LEAD_READ bytes are read, and a zip after the lead (an executable jar,
 * a self-extracting stub) or a stream or tar after one of a script's lines (a makeself installer piped in) is
 * opened there, the lead being the stream's own bytes, written to st. Returns 1 when the container was reported
 * (st is closed), 0 when what was read went to st (*got says how much), or an errno. */
static int stream_after_lead(worker *w, pslot *sl, ks_text_stream *st, size_t first, uint64_t *got)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    size_t cap = f->limit && f->limit < KS_CONTAINER_LEAD_READ ? (size_t)f->limit : KS_CONTAINER_LEAD_READ;
    unsigned char *lead = ks__amalloc(p->a, cap > first ? cap : first);
    if (!lead) /* scanned as any stream: only a container after the script is not opened */
        cap = first;
    const unsigned char *bytes = lead ? lead : w->stream_buf;
    if (lead)
        memcpy(lead, w->stream_buf, first);
    size_t n = first;
    int err = 0;
    while (lead && n < cap && !atomic_load(&p->stop)) {
        ks_read_req rq = {.fd = f->fd, .offset = KS_READ_AT_POS, .buf = lead + n, .len = cap - n};
        read_one(w, &rq);
        if (rq.res < 0)
            err = -rq.res;
        if (rq.res < 0 || rq.done == 0)
            break;
        n += rq.done;
    }
    atomic_fetch_add_explicit(&w->bytes_read, n, memory_order_relaxed);
    uint64_t s = 0;
    int rc = 0;
    if (lead && !err && ks__container_after_lead(lead, n, &s) != KS_CONT_NONE &&
        !(rc = ks__text_stream_write(st, w->scanner, lead, s))) {
        unsigned char *replay;
        size_t replay_len;
        uint64_t read_all = 0;
        w->own_text = st;
        w->own_bytes = s;
        if (ks__pl_expand_stream(w, sl, lead + s, n - (size_t)s, &replay, &replay_len, &read_all)) {
            if (read_all > n - s)
                atomic_fetch_add_explicit(&w->bytes_read, read_all - (n - s), memory_order_relaxed);
            ks__afree(p->a, lead);
            return 1;
        }
        w->own_text = NULL; /* none after all: the rest of the stream, as bytes */
        w->own_bytes = 0;
        w->slot = sl;
        rc = ks__text_stream_write(st, w->scanner, lead + s, n - (size_t)s);
        if (!rc && replay_len)
            rc = ks__text_stream_write(st, w->scanner, replay, replay_len);
        atomic_fetch_add_explicit(&w->bytes_read, replay_len, memory_order_relaxed);
        *got = n + replay_len;
        free(replay);
    } else if (!rc) {
        rc = ks__text_stream_write(st, w->scanner, bytes, n);
        *got = n;
    }
    ks__afree(p->a, lead);
    return err ? err : rc ? (rc == KS_ENOMEM ? ENOMEM : EIO) : 0;
}

/* Files whose size is unknown (procfs reports 0, pipes) are streamed to EOF, or to their limit, by
 * the worker, each piece a read at the descriptor's position through the worker's backend. */
static void worker_stream_file(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    uint64_t got = 0;
    int err = 0;
    ks_text_stream *st = NULL; /* UTF-16 text is read as its characters */
    w->slot = sl;
    ks_scan_opts so = {.size = sizeof so, .path = f->path}; /* the library applies path conditions */
    int rc = ks__text_stream_open(p->a, p->engine, &so, ks__pl_text_mode(p), ks__pl_worker_on_match, w, &st);
    if (rc)
        err = ENOMEM;
    while (!err && !atomic_load(&p->stop)) {
        /* At the limit, one more read tells a file that ends there from one that goes on
         * (/proc/PID/pagemap yields hundreds of GB); what it returns is not scanned. A whole page,
         * since some pseudo-files refuse odd sizes (pagemap: multiples of 8), and a refusal counts
         * as more data: the end was never seen. */
        int probe = f->limit && got >= f->limit; /* (a script's lead and a replay may bring it past) */
        size_t want = probe ? 4096 : STREAM_PIECE;
        if (!probe && f->limit && f->limit - got < want)
            want = (size_t)(f->limit - got);
        ks_read_req rq = {.fd = f->fd, .offset = KS_READ_AT_POS, .buf = w->stream_buf, .len = want};
        read_one(w, &rq);
        if (probe) {
            if (rq.res < 0 || rq.done)
                err = EFBIG;
            break;
        }
        if (rq.res < 0) {
            err = -rq.res;
            break;
        }
        if (rq.done == 0)
            break;
        /* A pipe's first read may be short: read on to a container's magic, and past an image's system area (zeros,
         * a boot sector) to its own (an ISO 9660 image's is 32 KiB in) */
        while (got == 0 && rq.done < want &&
               (rq.done < KS_CONTAINER_SECTOR ||
                (rq.done < KS_CONTAINER_HEAD_MAX && ks__container_may_be_image(w->stream_buf, rq.done)))) {
            ks_read_req more = {.fd = f->fd, .offset = KS_READ_AT_POS, .buf = w->stream_buf + rq.done,
                                .len = want - rq.done};
            read_one(w, &more);
            if (more.res < 0 || more.done == 0)
                break; /* met again by the next read */
            rq.done += more.done;
        }
        if (got == 0 && ks__container_may_lead(w->stream_buf, rq.done) && p->containers && !p->read_only) {
            int r = stream_after_lead(w, sl, st, rq.done, &got); /* a container may follow a lead */
            if (r == 1)
                return; /* reported, and the descriptor closed */
            err = r;
            continue;
        }
        if (got == 0) { /* the first bytes: a container arriving through a pipe is opened as it streams */
            unsigned char *replay;
            size_t replay_len;
            uint64_t read_all = 0;
            if (ks__pl_expand_stream(w, sl, w->stream_buf, rq.done, &replay, &replay_len, &read_all)) {
                atomic_fetch_add_explicit(&w->bytes_read, read_all, memory_order_relaxed);
                ks__text_stream_abort(st);
                return; /* reported, and the descriptor closed */
            }
            w->slot = sl;
            if (replay_len) { /* what was read to find out it is none, before the rest */
                rc = ks__text_stream_write(st, w->scanner, w->stream_buf, rq.done);
                got += rq.done;
                if (!rc)
                    rc = ks__text_stream_write(st, w->scanner, replay, replay_len);
                got += replay_len;
                atomic_fetch_add_explicit(&w->bytes_read, rq.done + replay_len, memory_order_relaxed);
                free(replay);
                if (rc)
                    err = rc == KS_ENOMEM ? ENOMEM : EIO;
                continue;
            }
        }
        got += rq.done;
        atomic_fetch_add_explicit(&w->bytes_read, rq.done, memory_order_relaxed);
        rc = ks__text_stream_write(st, w->scanner, w->stream_buf, rq.done);
        if (rc)
            err = rc == KS_ENOMEM ? ENOMEM : EIO;
    }
    if (!err && atomic_load(&p->stop))
        err = ECANCELED;
    if (st) {
        if (err && err != EFBIG)
            ks__text_stream_abort(st);
        else if (ks__text_stream_close(st, w->scanner))
            err = w->failed ? w->failed : EIO;
    }
    if (!err && w->stream_limited)
        err = EOVERFLOW; /* scanned whole as bytes, but what it holds was not: said by the expansion */
    w->stream_limited = 0;
    ks__pl_file_close_fd(p, f);
    /* Lines in stream mode are already absolute: the chunk reports none to settle. */
    ks__pl_push_chunk_done(p, w->out, f, 0, 0, 0, got, err);
}

/* Scans one slot whose read has finished and reports it; a failed read is reported as such. */
static void scan_slot(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    if (sl->req.res < 0) {
        if (sl->chunk == 0)
            ks__pl_release_hold(p, sl->file);
        ks__pl_push_chunk_done(p, w->out, sl->file, sl->chunk, 0, 0, 0, -sl->req.res);
        return;
    }
    ks_lines lines = {.counted_to = sl->own_from, .newlines = 0, .last_nl_end = sl->own_from};
    int err = 0;
    w->failed = 0;
    w->slot = sl;
    if (sl->chunk == 0 && (p->containers || !p->no_decode) && !p->read_only && ks__pl_expand_slot(w, sl))
        return;
    if (sl->chunk == 0)
        ks__pl_release_hold(p, sl->file);
    /* a container's other chunks: chunk 0 scans its members, and their raw bytes would not be reported */
    int skip = sl->chunk > 0 && atomic_load_explicit(&sl->file->is_container, memory_order_relaxed);
    if (sl->own_to > sl->own_from && !p->read_only && !skip) {
        int last = sl->chunk + 1 == sl->file->n_chunks;
        int rc = ks__scan_owned(w->scanner, sl->data, sl->len, sl->base, sl->own_from, sl->own_to, last,
                                sl->file->path, &lines, ks__pl_worker_on_match, w);
        if (rc)
            err = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
    }
    uint64_t own = sl->own_to > sl->own_from ? sl->own_to - sl->own_from : 0;
    ks__pl_push_chunk_done(p, w->out, sl->file, sl->chunk, lines.newlines, lines.newlines ? lines.last_nl_end : 0, own, err);
}

static void worker_scan_slot(worker *w, pslot *sl)
{
    int held = sl->chunk == 0 && sl->file->share_hold; /* the file may be gone once reported */
    scan_slot(w, sl);
    if (held)
        ks__bq_release(&w->p->chunks);
}

/* Every read of the job has finished: scan its slots in order and give the buffer back. */
static void worker_finish_job(worker *w, pjob *j)
{
    for (unsigned i = 0; i < j->n; i++)
        worker_scan_slot(w, &j->slot[i]);
    ks__bq_push(&w->p->free_jobs, j);
}

/* A later chunk of a file that chunk 0 found to be a container (which scans its members): its raw
 * bytes would not be scanned, so it is not read. Reading a 1 GiB .tar.gz's chunks cost the other
 * workers as much time as scanning a fifth of its members. */
static int container_rest(pjob *j)
{
    pslot *sl = &j->slot[0];
    if (j->n != 1 || sl->chunk == 0 || !atomic_load_explicit(&sl->file->is_container, memory_order_relaxed))
        return 0;
    sl->req.res = 0;
    sl->req.done = 0;
    return 1;
}

/* The worker loop, for every backend: keep up to `depth` jobs of its own read or being read (each
 * job's reads submitted at once), scanning one finished job between refills. A read served from
 * the page cache finishes at submission, so with a warm cache the worker takes one job at a time
 * and leaves the rest of the queue to the other workers; pread reads inside submit and keeps one. */
static void worker_loop(worker *w)
{
    ks_pipeline *p = w->p;
    const ks_reader_ops *rd = p->reader;
    int closed = 0, queue_empty = 0;
    ks_read_req *done[KS_BATCH_MAX];
    for (;;) {
        queue_empty = 0;
        while (!closed && w->in_flight + w->n_ready < p->depth) {
            pjob *j = ks__bq_pop_batch(&p->chunks, w->in_flight + w->n_ready == 0, 1);
            if (!j) {
                queue_empty = 1;
                closed = ks__bq_drained(&p->chunks);
                break;
            }
            if (j->share) {
                ks__pl_help_members(w, j);
                continue;
            }
            if (!j->buf && j->slot[0].file->git) {
                int held = j->slot[0].file->share_hold; /* the file may be gone once reported */
                ks__pl_expand_git(w, &j->slot[0]);
                if (held)
                    ks__bq_release(&p->chunks);
                ks__afree(p->a, j);
                continue;
            }
            if (!j->buf) {
                worker_stream_file(w, &j->slot[0]);
                ks__afree(p->a, j);
                continue;
            }
            if (container_rest(j)) { /* nothing in it is scanned: not read either */
                worker_finish_job(w, j);
                continue;
            }
            j->unread = j->n;
            w->in_flight++;
            for (unsigned i = 0; i < j->n; i++) {
                int rc = rd->submit(w->rstate, &j->slot[i].req);
                if (rc < 0) {
                    j->slot[i].req.res = rc;
                    complete(w, &j->slot[i].req);
                } else {
                    held(w, 1);
                }
            }
            break; /* submit it now: it may finish at once */
        }
        if (w->in_flight) {
            /* waits only when nothing else can be done */
            int wait = w->n_ready == 0 && (closed || queue_empty || w->in_flight >= p->depth);
            int n = rd->reap(w->rstate, done, KS_BATCH_MAX, wait);
            held(w, n > 0 ? -n : 0);
            for (int i = 0; i < n; i++)
                complete(w, done[i]);
            if (n < 0)
                usleep(100);
        }
        if (w->n_ready) {
            pjob *j = w->ready[0];
            memmove(w->ready, w->ready + 1, --w->n_ready * sizeof *w->ready);
            worker_finish_job(w, j);
        } else if (!w->in_flight && closed) {
            break;
        }
    }
}

static void pin_to_cpu(unsigned index)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    unsigned seen = 0, target = index % (unsigned)CPU_COUNT(&set);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (seen++ == target) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
}

/* Workers yield the CPU to the thread that submits files (a walker) and to the writer: when a
 * walker waits behind a scanning worker for its turn, it opens no file and the device idles (cold
 * cache, 2 CPUs: 30 reads in flight on average instead of 40, and 5-10% slower). A thread may
 * always lower its own priority; only this pipeline's threads are touched. */
static void lower_priority(void)
{
    pid_t tid = gettid();
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0)
        (void)setpriority(PRIO_PROCESS, (id_t)tid, nice_now + KS_WORKER_NICE);
}

void *ks__pl_worker_main(void *arg)
{
    worker *w = arg;
    ks_pipeline *p = w->p;
    if (p->pin)
        pin_to_cpu(w->index);
    if (p->lower_priority)
        lower_priority();
    worker_loop(w);
    return NULL;
}
