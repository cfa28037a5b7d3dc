/* zip_stripes.c: a zip's members decompressed on several threads, each on its own libarchive handle over the same
 * descriptor and taking every Nth member (skipping a member it does not take costs a seek: the central directory says
 * where the next begins); each thread's blocks go round a small ring of its own, read in archive order. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_io.h"
#include "thread_start.h"
#include "zip_stripes.h"

#define BLOCK (256u * 1024u) /* what a block holds, and what a thread reads of the zip at a time */
#define SLOTS 4u             /* blocks per thread: one handed out, the rest filling */
#define NO_INDEX UINT64_MAX  /* a block after a thread's last member: its end, or why it stopped */

typedef struct slot {
    unsigned char *p;
    size_t n;
    uint64_t index; /* the member these bytes are of */
    uint64_t in;    /* the thread's handle's position in the zip after the data block these bytes are of */
    int end;        /* its last bytes (n may be 0) */
    int failed;     /* the member (or, at NO_INDEX, the zip) could not be read: err says why */
    char err[256];
    char warning[160]; /* libarchive's warning on these bytes (a CRC that does not match), "" for none */
} slot;

typedef struct lane {
    ks_stripes *s;
    unsigned k;       /* takes members k, k + n, k + 2n, ... */
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot sl[SLOTS];
    unsigned first, n_full; /* full slots, oldest at first */
    int handed;             /* the reader holds sl[first] until its next call */
    /* the thread's own view of the zip */
    unsigned char *buf;
    uint64_t pos;
} lane;

struct ks_stripes {
    int fd;
    uint64_t base; /* where the zip begins in fd: what the lanes read is the reader's own bytes */
    uint64_t size;
    unsigned n;
    _Atomic int stop;
    _Atomic int read_failed; /* a lane's read of the file failed (an I/O error, not the zip's damage) */
    lane *held;           /* the lane whose first slot the reader holds */
    uint64_t ended_index; /* a member whose end the reader was handed with its last bytes */
    lane l[KS_STRIPES_MAX];
};

int ks__stripes_read_failed(ks_stripes *s) { return s && atomic_load(&s->read_failed); }

int ks__zip_member_has_data(struct archive *a, struct archive_entry *e)
{
    (void)a;
    unsigned type = archive_entry_filetype(e);
    return (!type || type == AE_IFREG) && !archive_entry_is_encrypted(e);
}

static la_ssize_t lane_read(struct archive *a, void *cd, const void **out)
{
    lane *l = cd;
    ks_stripes *s = l->s;
    size_t want = s->size - l->pos < BLOCK ? (size_t)(s->size - l->pos) : BLOCK;
    if (!want)
        return 0;
    ssize_t n;
    do
        n = KS_IO_PREAD(s->fd, l->buf, want, (off_t)(s->base + l->pos));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        atomic_store(&s->read_failed, 1);
        archive_set_error(a, errno, "read failed: %s", strerror(errno));
        return -1;
    }
    l->pos += (uint64_t)n;
    *out = l->buf;
    return n;
}

static la_int64_t lane_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
    (void)a;
    lane *l = cd;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)l->pos : (int64_t)l->s->size;
    int64_t to = base + off;
    to = to < 0 ? 0 : (uint64_t)to > l->s->size ? (int64_t)l->s->size : to;
    l->pos = (uint64_t)to;
    return to;
}

static la_int64_t lane_skip(struct archive *a, void *cd, la_int64_t request)
{
    (void)a;
    lane *l = cd;
    uint64_t left = l->s->size - l->pos, n = request > 0 ? (uint64_t)request : 0;
    n = n > left ? left : n;
    l->pos += n;
    return (la_int64_t)n;
}

/* The slot to fill next, once there is room (NULL: the reader stopped everything). */
static slot *slot_to_fill(lane *l)
{
    ks_stripes *s = l->s;
    pthread_mutex_lock(&l->mu);
    while (!atomic_load(&s->stop) && l->n_full == SLOTS)
        pthread_cond_wait(&l->cv, &l->mu);
    slot *x = atomic_load(&s->stop) ? NULL : &l->sl[(l->first + l->n_full) % SLOTS];
    pthread_mutex_unlock(&l->mu);
    if (x)
        x->n = 0, x->end = 0, x->failed = 0, x->err[0] = '\0', x->warning[0] = '\0';
    return x;
}

static void slot_publish(lane *l)
{
    pthread_mutex_lock(&l->mu);
    l->n_full++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void say(slot *x, struct archive *a, const char *fallback)
{
    const char *e = archive_error_string(a);
    snprintf(x->err, sizeof x->err, "%s", e ? e : fallback);
    x->failed = 1;
}

/* One member's bytes into slots, one data block (or BLOCK of it) to a slot, each with the handle's position after
 * that block: the reader's ratio guard then sees what a reader without threads sees at the same bytes (what
 * libarchive consumed, not what the threads read ahead). 0, or -1 when the reader stopped everything. */
static int copy_member(lane *l, struct archive *a, uint64_t index)
{
    slot *x = slot_to_fill(l);
    if (!x)
        return -1;
    x->index = index;
    x->in = (uint64_t)archive_filter_bytes(a, -1);
    uint64_t pos = 0;
    for (;;) {
        const void *b = NULL;
        size_t size = 0;
        la_int64_t off = 0;
        int r = archive_read_data_block(a, &b, &size, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (x->n) { /* the block before: a slot of its own */
            slot_publish(l);
            if (!(x = slot_to_fill(l)))
                return -1;
            x->index = index;
        }
        la_int64_t in = archive_filter_bytes(a, -1);
        x->in = in > 0 ? (uint64_t)in : 0;
        if (r < ARCHIVE_WARN || off < 0 || (uint64_t)off != pos) { /* zip members have no holes */
            if (r < ARCHIVE_WARN)
                say(x, a, "corrupt or truncated member");
            else
                snprintf(x->err, sizeof x->err, "%s", "member blocks out of order"), x->failed = 1;
            break;
        }
        if (r == ARCHIVE_WARN && !x->warning[0]) {
            const char *w = archive_error_string(a);
            snprintf(x->warning, sizeof x->warning, "%s", w && *w ? w : "a warning");
        }
        pos += size;
        const unsigned char *p = b;
        while (size) {
            if (x->n == BLOCK) {
                slot_publish(l);
                if (!(x = slot_to_fill(l)))
                    return -1;
                x->index = index;
                x->in = in > 0 ? (uint64_t)in : 0;
            }
            size_t k = BLOCK - x->n < size ? BLOCK - x->n : size;
            memcpy(x->p + x->n, p, k);
            x->n += k;
            p += k;
            size -= k;
        }
        if (atomic_load(&l->s->stop))
            return -1;
    }
    x->end = 1;
    slot_publish(l);
    return 0;
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    ks_stripes *s = l->s;
    struct archive *a = archive_read_new();
    int ok = a && archive_read_support_format_zip(a) == ARCHIVE_OK;
    if (ok) {
        archive_read_set_read_callback(a, lane_read);
        archive_read_set_seek_callback(a, lane_seek);
        archive_read_set_skip_callback(a, lane_skip);
        archive_read_set_callback_data(a, l);
        ok = archive_read_open1(a) == ARCHIVE_OK;
    }
    uint64_t index = 0;
    while (ok) {
        struct archive_entry *e;
        errno = 0; /* as container.c does: libarchive reads a stale ENOMEM as its own */
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF || r < ARCHIVE_WARN)
            break;
        if (index % s->n == l->k && ks__zip_member_has_data(a, e) && copy_member(l, a, index) < 0) {
            archive_read_free(a);
            return NULL; /* stopped */
        }
        index++;
    }
    /* after its last member: the end, or why there is no more */
    slot *x = slot_to_fill(l);
    if (x) {
        x->index = NO_INDEX;
        x->end = 1;
        if (!a) {
            snprintf(x->err, sizeof x->err, "%s", "out of memory");
            x->failed = 1;
        } else if (!ok || archive_errno(a)) {
            say(x, a, "the zip could not be opened again");
        }
        slot_publish(l);
    }
    if (a)
        archive_read_free(a);
    return NULL;
}

ks_stripes *ks__stripes_start(int fd, uint64_t base, uint64_t size, unsigned threads)
{
    if (threads < 2)
        return NULL;
    threads = threads > KS_STRIPES_MAX ? KS_STRIPES_MAX : threads;
    ks_stripes *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->base = base;
    s->size = size;
    s->n = threads;
    s->ended_index = NO_INDEX;
    for (unsigned k = 0; k < threads; k++) {
        lane *l = &s->l[k];
        l->s = s;
        l->k = k;
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, NULL);
        int ok = (l->buf = malloc(BLOCK)) != NULL;
        for (unsigned i = 0; ok && i < SLOTS; i++)
            ok = (l->sl[i].p = malloc(BLOCK)) != NULL;
        if (!ok) {
            ks__stripes_stop(s);
            return NULL;
        }
    }
    for (unsigned k = 0; k < threads; k++) {
        if (ks__thread_start(&s->l[k].thread, lane_main, &s->l[k])) { /* not on the starting worker's CPU */
            ks__stripes_stop(s);
            return NULL;
        }
        s->l[k].started = 1;
    }
    return s;
}

/* Gives back the slot the reader was handed last. */
static void give_back(ks_stripes *s)
{
    lane *l = s->held;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->first = (l->first + 1) % SLOTS;
    l->n_full--;
    l->handed = 0;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    s->held = NULL;
}

la_ssize_t ks__stripes_next(ks_stripes *s, struct archive *a, uint64_t index, const void **out, const char **warning,
                            uint64_t *in)
{
    *warning = NULL;
    give_back(s);
    if (s->ended_index == index)
        return 0;
    lane *l = &s->l[index % s->n];
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->n_full)
            pthread_cond_wait(&l->cv, &l->mu);
        slot *x = &l->sl[l->first];
        if (x->index != NO_INDEX && x->index < index) { /* of a member left unfinished: dropped */
            l->first = (l->first + 1) % SLOTS;
            l->n_full--;
            pthread_cond_broadcast(&l->cv);
            continue;
        }
        if (x->failed || x->index != index) {
            /* the member failed, the zip could not be read this far, or the threads and the reader
             * disagree about which entries have bytes (they decide alike: it would be a bug) */
            archive_set_error(a, EIO, "%s", x->failed ? x->err : "the zip's entries changed while it was read");
            if (x->index == index)
                *in = x->in;
            pthread_mutex_unlock(&l->mu);
            return -1;
        }
        *in = x->in;
        if (!x->n && x->end) { /* its end, with nothing more */
            l->first = (l->first + 1) % SLOTS;
            l->n_full--;
            pthread_cond_broadcast(&l->cv);
            pthread_mutex_unlock(&l->mu);
            return 0;
        }
        l->handed = 1;
        s->held = l;
        if (x->warning[0])
            *warning = x->warning;
        if (x->end)
            s->ended_index = index;
        *out = x->p;
        pthread_mutex_unlock(&l->mu);
        return (la_ssize_t)x->n;
    }
}

void ks__stripes_stop(ks_stripes *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    for (unsigned k = 0; k < s->n; k++) {
        lane *l = &s->l[k];
        pthread_mutex_lock(&l->mu);
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
    for (unsigned k = 0; k < s->n; k++) {
        lane *l = &s->l[k];
        if (l->started)
            pthread_join(l->thread, NULL);
        for (unsigned i = 0; i < SLOTS; i++)
            free(l->sl[i].p);
        free(l->buf);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
    }
    free(s);
}
