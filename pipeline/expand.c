/* expand.c: the workers' container and decoding stage: chunk 0 of a file that starts like a container is scanned as the
 * container's members (io/container.c opens them), each a stream of its own with exact lines and its chain on every
 * finding; UTF-16 text (io/utf16.c) is scanned as its characters, its findings pointing at the encoded bytes. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "git_members.h"
#include "pipeline_int.h"

void ks__pl_release_hold(ks_pipeline *p, pfile *f)
{
    if (!f->container_hold)
        return;
    f->container_hold = 0;
    if (atomic_fetch_sub(&f->sync_left, 1) == 1)
        ks__pl_file_close_fd(p, f);
}

void ks__pl_push_note(worker *w, const char *chain, int fatal, const char *what)
{
    size_t cl = strlen(chain), wl = strlen(what);
    ks_rec *r = ks__acalloc(w->p->a, 1, sizeof *r + cl + 1 + wl + 1);
    if (!r)
        return; /* the file still fails (fatal notes set its error): only the words are lost */
    r->kind = KS_REC_NOTE;
    r->file = w->slot->file;
    r->fatal = fatal;
    memcpy(r->match, chain, cl + 1);
    memcpy(r->match + cl + 1, what, wl + 1);
    ks__pl_ring_push(w->p, w->out, r);
}

/* The stream's own bytes before the container are all in: their findings go out before the container's. */
static int close_own_text(worker *w)
{
    if (!w->own_text)
        return 0;
    int rc = ks__text_stream_close(w->own_text, w->scanner);
    w->own_text = NULL;
    return rc ? (w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO) : 0;
}

static int member_begin(void *ctx, const char *chain)
{
    worker *w = ctx;
    pfile *f = w->slot->file;
    int own = close_own_text(w);
    if (own) {
        w->mfailed = own;
        return 1;
    }
    size_t cl = strlen(chain), pl = strlen(f->path);
    const ks_allocator *a = w->p->a;
    /* Path conditions and allowlists see "file!member", as Gitleaks writes it. */
    char *joined = ks__amalloc(a, pl + 1 + cl + 1);
    char *copy = ks__astrdup(a, chain);
    if (!joined || !copy) {
        ks__afree(a, joined);
        ks__afree(a, copy);
        w->mfailed = ENOMEM;
        return 1;
    }
    memcpy(joined, f->path, pl);
    joined[pl] = '!';
    memcpy(joined + pl + 1, chain, cl + 1);
    ks_scan_opts so = {.size = sizeof so, .path = joined};
    int rc = ks__text_stream_open(a, w->p->engine, &so, ks__pl_text_mode(w->p), ks__pl_worker_on_match, w, &w->mtext);
    ks__afree(a, joined);
    if (rc) {
        ks__afree(a, copy);
        w->mfailed = ENOMEM;
        return 1;
    }
    w->mchain = copy;
    w->mchain_len = cl;
    /* A member began, so the file is a container (its expansion cannot turn out to be none now): the
     * workers reading its other chunks need not scan their raw bytes, which would not be reported. */
    if (!atomic_load_explicit(&f->is_container, memory_order_relaxed))
        atomic_store_explicit(&f->is_container, 1, memory_order_relaxed);
    return 0;
}

static int member_data(void *ctx, const void *p, size_t n)
{
    worker *w = ctx;
    if (atomic_load(&w->p->stop))
        return 1;
    int rc = ks__text_stream_write(w->mtext, w->scanner, p, n);
    if (rc) {
        w->mfailed = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
        return 1;
    }
    return 0;
}

/* The member's stream was closed (rc) or aborted: its chain is let go, a failure kept. */
static int member_ended(worker *w, int rc)
{
    w->mtext = NULL;
    ks__afree(w->p->a, w->mchain);
    w->mchain = NULL;
    w->mchain_len = 0;
    if (rc && !w->mfailed)
        w->mfailed = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
    return w->mfailed ? 1 : 0;
}

static int member_end(void *ctx)
{
    worker *w = ctx;
    return member_ended(w, w->mfailed ? (ks__text_stream_abort(w->mtext), 0) : ks__text_stream_close(w->mtext, w->scanner));
}

/* Its last bytes and its end: a member handed over whole is scanned where it lies (in the feed's block). */
static int member_data_end(void *ctx, const void *p, size_t n)
{
    worker *w = ctx;
    if (atomic_load(&w->p->stop))
        return 1;
    if (w->mfailed)
        return member_end(ctx);
    return member_ended(w, ks__text_stream_close_with(w->mtext, w->scanner, p, n));
}

/* A sparse member's hole: passed over, as zeros scanned would be (text_stream.h). */
static int member_zeros(void *ctx, uint64_t n)
{
    worker *w = ctx;
    if (atomic_load(&w->p->stop))
        return 1;
    int rc = ks__text_stream_zeros(w->mtext, w->scanner, n);
    if (rc) {
        w->mfailed = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
        return 1;
    }
    return 0;
}

static void member_problem(void *ctx, const char *chain, int fatal, const char *what)
{
    ks__pl_push_note(ctx, chain, fatal, what);
}

const ks_container_sink ks__pl_member_sink = {member_begin,    member_data, member_end, member_problem,
                                              member_data_end, NULL, member_zeros};

static ks_container_limits limits_for(const ks_pipeline *p, uint64_t size)
{
    ks_container_limits lim = p->climits;
    if (!lim.max_output) {
        uint64_t fifty = size > UINT64_MAX / 50 ? UINT64_MAX : size * 50;
        lim.max_output = fifty > ((uint64_t)1 << 30) ? fifty : (uint64_t)1 << 30;
    }
    return lim;
}

void ks__pl_drop_member(worker *w)
{
    if (w->mtext) { /* the sink stopped inside a member */
        ks__text_stream_abort(w->mtext);
        w->mtext = NULL;
        ks__afree(w->p->a, w->mchain);
        w->mchain = NULL;
        w->mchain_len = 0;
    }
}

static int stop_error(const worker *w, int rc, const ks_container_result *res)
{
    return w->mfailed ? w->mfailed
           : rc < 0 && atomic_load(&w->p->stop) ? ECANCELED
           : res->stop == KS_CONT_LIMIT ? EOVERFLOW
           : res->stop == KS_CONT_CORRUPT ? EBADMSG
           : res->stop == KS_CONT_IO      ? EIO
                                          : 0;
}

/* An archive may end before its stream does (a tar's end blocks come before the gzip stream's last
 * block, and zero padding follows many archives): what is left is read to the end, so the byte count
 * says the whole file went by, as it does for a file read in chunks; at the limit, one more read tells
 * a stream that ends there from one that goes on (EFBIG), as for any stream. */
static int drain_rest(worker *w, pfile *f, uint64_t *got)
{
    uint64_t limit = f->limit ? f->limit - w->own_bytes : 0; /* the script before the container counts */
    for (;;) {
        int probe = limit && *got >= limit;
        size_t want = probe ? 4096 : STREAM_PIECE;
        if (!probe && limit && limit - *got < want)
            want = (size_t)(limit - *got);
        ssize_t n = read(f->fd, w->stream_buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (probe)
            return n > 0 ? EFBIG : 0;
        if (n == 0)
            return 0;
        *got += (uint64_t)n;
        if (atomic_load(&w->p->stop))
            return ECANCELED;
    }
}

int ks__pl_expand_stream(worker *w, pslot *sl, const unsigned char *head, size_t n, unsigned char **replay,
                         size_t *replay_len, uint64_t *bytes)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    *replay = NULL;
    *replay_len = 0;
    if (!p->containers || p->read_only || ks__container_sniff(head, n) == KS_CONT_NONE)
        return 0;
    /* the size of a pipe is unknown: the budget is the one for a file of what may be read */
    ks_container_limits lim = limits_for(p, f->limit);
    ks_container_result res;
    w->slot = sl;
    w->mfailed = 0;
    int rc = ks__container_expand_pipe_at(head, n, f->fd, f->limit, w->own_bytes, f->path, &lim, &ks__pl_member_sink,
                                          w, &res, replay, replay_len);
    ks__pl_drop_member(w);
    if (rc == 1) { /* not a container (or not one that could be opened): the caller scans head, *replay and the rest
                    * as bytes */
        w->stream_limited = res.stop == KS_CONT_LIMIT;
        return 0;
    }
    int err = stop_error(w, rc, &res);
    int own = close_own_text(w);
    if (!err)
        err = own ? own : drain_rest(w, f, &res.bytes_read);
    *bytes = res.bytes_read;
    ks__pl_file_close_fd(p, f);
    ks__pl_push_container_done(p, w->out, f, w->own_bytes + res.bytes_read, err, res.containers, res.members);
    w->own_bytes = 0;
    return 1;
}

/* Writes the file's bytes [0, end) to st: from chunk 0's memory when the file is `whole` there, else read again
 * through fd. Returns 0, or an errno (ECANCELED once the pipeline stops). */
static int stream_from_start(worker *w, ks_text_stream *st, const pslot *sl, int fd, int whole, uint64_t end)
{
    ks_pipeline *p = w->p;
    int err = 0;
    uint64_t pos = 0;
    while (!err && pos < end && !atomic_load(&p->stop)) {
        size_t want = end - pos < STREAM_PIECE ? (size_t)(end - pos) : STREAM_PIECE;
        const unsigned char *src = whole ? sl->data + pos : w->stream_buf;
        if (!whole) {
            ssize_t n = pread(fd, w->stream_buf, want, (off_t)pos);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                err = n < 0 ? errno : 0;
                break; /* shrank since it was opened: what was there is scanned */
            }
            want = (size_t)n;
        }
        if (ks__text_stream_write(st, w->scanner, src, want))
            err = w->failed ? w->failed : EIO;
        pos += want;
    }
    return !err && atomic_load(&p->stop) ? ECANCELED : err;
}

/* UTF-16 text is scanned as its characters, one text stream over the whole file (read again from the start when it
 * is bigger than its first chunk); its raw bytes, a zero in every other one, would match nothing. With `also_raw`
 * (a byte order mark before what may be no text) the raw bytes are scanned too, by the caller, as any file's.
 * Returns 1 when it was reported, 0 to scan the slot as it is. */
static int expand_utf16(worker *w, pslot *sl, int also_raw)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    int whole = f->n_chunks == 1 && !f->stream_mode;
    int fd = -1;
    if (!whole && (f->fd < 0 || (fd = dup(f->fd)) < 0)) {
        ks__pl_release_hold(p, f);
        return 0;
    }
    ks__pl_release_hold(p, f);
    ks_scan_opts so = {.size = sizeof so, .path = f->path};
    int err = 0;
    w->mfailed = 0;
    if (ks__text_stream_open(p->a, p->engine, &so, also_raw ? KS_TEXT_UTF16_ONLY : KS_TEXT_UTF16,
                             ks__pl_worker_on_match, w, &w->mtext)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (!also_raw) /* the other chunks need no raw scan */
        atomic_store_explicit(&f->is_container, 1, memory_order_relaxed);
    err = stream_from_start(w, w->mtext, sl, fd, whole, whole ? sl->len : f->size);
    if (err)
        ks__text_stream_abort(w->mtext);
    else if (ks__text_stream_close(w->mtext, w->scanner))
        err = w->failed ? w->failed : EIO;
    w->mtext = NULL;
    if (fd >= 0)
        close(fd);
    if (also_raw && !err)
        return 0; /* its findings are out, exact lines each; the caller scans the bytes as they are */
    atomic_store_explicit(&f->is_container, 1, memory_order_relaxed);
    ks__pl_push_container_done(p, w->out, f, sl->own_to > sl->own_from ? sl->own_to - sl->own_from : 0, err, 0, 0);
    return 1;
}

/* A container read from a descriptor, as member_jobs.c's producer. */
typedef struct fd_object {
    int fd;
    uint64_t size;
    const char *path;
    const ks_container_limits *lim;
} fd_object;

static int produce_fd_object(void *pctx, const ks_container_sink *sink, void *sink_ctx, ks_container_result *res)
{
    const fd_object *o = pctx;
    return ks__container_expand(NULL, 0, o->fd, o->size, o->path, o->lim, sink, sink_ctx, res);
}

/* A repository's blobs, as member_jobs.c's producer. */
typedef struct git_object_store {
    const ks_allocator *a;
    ks_git_job *job;
    ks_git_idset *seen;
    unsigned lanes;
} git_object_store;

static int produce_git(void *pctx, const ks_container_sink *sink, void *sink_ctx, ks_container_result *res)
{
    const git_object_store *g = pctx;
    return ks__git_expand(g->a, g->job, g->seen, g->lanes, sink, sink_ctx, res);
}

void ks__pl_expand_git(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    ks_container_result res;
    w->slot = sl;
    w->mfailed = 0;
    git_object_store g = {p->a, f->git_job, p->git_seen, f->share_hold ? p->git_lanes : 1};
    int rc = f->share_hold ? ks__pl_expand_shared(w, sl, produce_git, &g, &res)
                           : produce_git(&g, &ks__pl_member_sink, w, &res);
    ks__pl_drop_member(w);
    int err = stop_error(w, rc, &res);
    if (err == EBADMSG) /* unlike a corrupt archive, a repository's objects are all its history: the scan is incomplete */
        err = EIO;
    ks__pl_file_close_fd(p, f);
    /* its bytes are the blobs' (what a pack holds is compressed and shared by deltas) */
    ks__pl_push_container_done(p, w->out, f, res.bytes_out, err, res.containers, res.members);
}

/* A finding of a file read as a stream from its start, reported only when it starts in [from, to): a prefix read
 * with the bytes after it as context, or the rest of a file whose prefix was reported. */
typedef struct starts_in {
    worker *w;
    uint64_t from, to;
} starts_in;

static int on_match_in(const ks_match *m, void *ctx)
{
    const starts_in *a = ctx;
    return m->start < a->from || m->start >= a->to ? 0 : ks__pl_worker_on_match(m, a->w);
}

/* The file's bytes [0, end) read as one stream through fd, its findings that start in [from, to) reported. Returns
 * 0 or an errno. */
static int stream_reporting(worker *w, pslot *sl, int fd, uint64_t end, uint64_t from, uint64_t to)
{
    ks_pipeline *p = w->p;
    starts_in a = {w, from, to};
    ks_text_stream *st = NULL;
    ks_scan_opts so = {.size = sizeof so, .path = sl->file->path};
    if (fd < 0)
        return EBADF;
    if (ks__text_stream_open(p->a, p->engine, &so, ks__pl_text_mode(p), on_match_in, &a, &st))
        return ENOMEM;
    w->failed = 0;
    int err = stream_from_start(w, st, sl, fd, 0, end);
    if (err)
        ks__text_stream_abort(st);
    else if (ks__text_stream_close(st, w->scanner))
        err = w->failed ? w->failed : EIO;
    return err;
}

/* The bytes before a container that starts further in (an executable jar's launch script, a self-extracting stub,
 * a makeself installer's script): they are the file's own, scanned as they are, their lines from the file's
 * first; the container's members follow. A prefix longer than chunk 0 (a stub of megabytes) is read again through
 * fd and scanned as a stream; the other chunks' raw findings are dropped, the file being a container. */
static int scan_prefix(worker *w, pslot *sl, int fd, uint64_t prefix)
{
    ks_lines lines = {.counted_to = 0, .newlines = 0, .last_nl_end = 0};
    w->failed = 0;
    if (prefix > sl->own_to) { /* the bytes after it are context, as a chunk's are: a match that begins in it */
        uint64_t reach = w->p->engine->reach, size = sl->file->size;
        return stream_reporting(w, sl, fd, size - prefix > reach ? prefix + reach : size, 0, prefix);
    }
    /* the chunk's bytes after the prefix are context: a match that begins in the prefix and runs past it (a private
     * key before a line that only looked like a stream) is the prefix's, as a chunk's is */
    int last = sl->chunk + 1 == sl->file->n_chunks;
    int rc = ks__scan_owned(w->scanner, sl->data, sl->len, 0, 0, prefix, last, sl->file->path, &lines,
                            ks__pl_worker_on_match, w);
    return rc ? (w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO) : 0;
}


/* The container after a prefix longer than chunk 0 (scanned as a stream, scan_prefix) could not be opened after
 * all: the whole file is read again as one stream, its lines counted from its first, and what starts after the
 * prefix reported; the caller reports the file as one (its other chunks' raw findings are dropped), so nothing is
 * reported twice. Returns 0 or an errno. */
static int rest_after_long_prefix(worker *w, pslot *sl, int fd, uint64_t prefix)
{
    return stream_reporting(w, sl, fd, sl->file->size, prefix, UINT64_MAX);
}

/* The container after a prefix could not be opened after all (a zip whose end record is right, its central
 * directory not; a script's line that only began like a stream):
 * the prefix's findings are already out, so the rest of the chunk is scanned as bytes here, its lines counted
 * from the file's first, and the chunk reported as scan_slot would (the other chunks are scanned as bytes). */
static void scan_after_prefix(worker *w, pslot *sl, uint64_t prefix, int err)
{
    ks_pipeline *p = w->p;
    ks_lines lines = {.counted_to = 0, .newlines = 0, .last_nl_end = 0};
    ks__lines_advance(&lines, sl->data, sl->base, prefix);
    w->failed = 0;
    if (!err && sl->own_to > prefix) {
        int last = sl->chunk + 1 == sl->file->n_chunks;
        int rc = ks__scan_owned(w->scanner, sl->data, sl->len, sl->base, prefix, sl->own_to, last, sl->file->path,
                                &lines, ks__pl_worker_on_match, w);
        if (rc)
            err = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
    }
    uint64_t own = sl->own_to > sl->own_from ? sl->own_to - sl->own_from : 0;
    ks__pl_push_chunk_done(p, w->out, sl->file, sl->chunk, lines.newlines, lines.newlines ? lines.last_nl_end : 0, own,
                           err);
}

int ks__pl_expand_slot(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    size_t bom;
    int unsure;
    if (!p->no_decode && ks__utf16_sniff(sl->data, sl->len, &bom, &unsure) != KS_UTF16_NONE)
        return expand_utf16(w, sl, unsure); /* 0: scanned as bytes too (or instead), never as a container */
    if (!p->containers || sl->len < 4 || (p->archive_max_input && f->size > p->archive_max_input))
        return 0; /* the caller releases the hold */
    /* A file of one chunk is all in memory; a bigger one is read again from the start, through a
     * descriptor of its own (the hold kept the file's open until now). */
    int whole = f->n_chunks == 1 && !f->stream_mode;
    uint64_t prefix = 0;
    /* a lead (a script, an executable): the container reader's own test (its first KS_CONTAINER_LEAD_READ bytes,
     * read again when the first chunk is shorter), so that both find the same container */
    int lead = ks__container_may_lead(sl->data, sl->len);
    if (ks__container_sniff(sl->data, sl->len) == KS_CONT_NONE &&
        (f->stream_mode || (!whole && f->fd < 0) ||
         !(ks__container_zip_after(whole ? sl->data : NULL, whole ? sl->len : 0, f->fd, f->size, &prefix) ||
           (lead && ks__container_lead_at(whole ? sl->data : NULL, whole ? sl->len : 0, f->fd, f->size, &prefix) !=
                        KS_CONT_NONE))))
        return 0; /* no container */
    int fd = -1;
    if (!whole) {
        if (f->stream_mode || f->fd < 0 || (fd = dup(f->fd)) < 0) {
            ks__pl_release_hold(p, f);
            return 0;
        }
    }
    ks__pl_release_hold(p, f);
    ks_container_limits lim = limits_for(p, f->size);
    /* the other workers scan what comes out (and decompress a zip's members with it) */
    lim.decode_ahead = f->share_hold && !whole && f->size >= KS_OVERLAP_FROM ? p->ahead_threads : 0;
    ks_container_result res;
    w->mfailed = 0;
    int perr = prefix ? scan_prefix(w, sl, fd, prefix) : 0;
    /* A big container decompresses on a thread of its own while this worker scans what comes out,
     * and the other workers with it when there are others (member_jobs.c). */
    int rc = whole || f->size < KS_OVERLAP_FROM
                 ? ks__container_expand(whole ? sl->data : NULL, whole ? sl->len : 0, fd, f->size, f->path, &lim,
                                        &ks__pl_member_sink, w, &res)
             : f->share_hold /* the other workers wait for its call (batcher.c) */
                 ? ks__pl_expand_shared(w, sl, produce_fd_object, &(fd_object){fd, f->size, f->path, &lim}, &res)
                 : ks__container_expand_overlapped(NULL, 0, fd, f->size, f->path, &lim, &ks__pl_member_sink, w, &res);
    int rest_err = rc == 1 && prefix > sl->own_to && !perr ? rest_after_long_prefix(w, sl, fd, prefix) : 0;
    if (fd >= 0)
        close(fd);
    ks__pl_drop_member(w);
    if (rc == 1 && prefix > sl->own_to) {
        atomic_store_explicit(&f->is_container, 1, memory_order_relaxed);
        ks__pl_push_container_done(p, w->out, f, sl->own_to - sl->own_from, perr ? perr : rest_err, 0, 0);
        return 1;
    }
    if (rc == 1 && prefix) {
        scan_after_prefix(w, sl, prefix, perr);
        return 1;
    }
    if (rc == 1)
        return 0; /* not a container libarchive can open: scan the bytes as they are */
    atomic_store_explicit(&f->is_container, 1, memory_order_relaxed);
    int err = perr ? perr : stop_error(w, rc, &res);
    uint64_t own = sl->own_to > sl->own_from ? sl->own_to - sl->own_from : 0;
    ks__pl_push_container_done(p, w->out, f, own, err, res.containers, res.members);
    return 1;
}
