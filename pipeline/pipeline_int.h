/* pipeline_int.h: the pipeline's private types and the calls between its modules (lifecycle, batcher, workers,
 * writer); never installed, never included outside pipeline/. */
#ifndef KS_PIPELINE_INT_H
#define KS_PIPELINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "alloc.h"
#include "bqueue.h"
#include "container.h"
#include "git_members.h"
#include "utf16.h"
#include "engine_int.h"
#include "fd_budget.h"
#include "keysweep.h"
#include "reader.h"
#include "reorder.h"
#include "ring.h"
#include "scanner_int.h"
#include "text_stream.h"

typedef struct pfile pfile;

/* A repository queued (ks_pipeline_submit_git_opts): its common directory, or with staged its worktree's. */
struct ks_git_repo_key {
    dev_t dev;
    ino_t ino;
};

/* One file in the pipeline. Who owns what: the submitting thread writes everything above `order`
 * before the file's first job is queued, and only next_chunk after; workers read the immutable
 * fields and count sync_left down; `order` belongs to the writer alone, which frees the file once
 * its last chunk has reported. */
struct pfile {
    /* set by the submitting thread before the hand-off, then read-only */
    const char *path; /* points into path_ */
    uint64_t size;
    uint64_t limit;             /* stream mode: bytes to read at most (0: to EOF) */
    uint32_t n_chunks;
    int stream_mode;
    int git;                    /* path is a git directory: its blobs are scanned (ks_pipeline_submit_git) */
    struct ks_git_job *git_job; /* git: which repository and blobs; its totals are the worker's, then the writer's */
    /* submitting thread only */
    uint32_t next_chunk;
    /* workers: the descriptor, closed by whoever reads the last chunk */
    int fd;
    _Atomic uint32_t sync_left; /* chunks not yet read, plus one while chunk 0 may still need fd */
    int container_hold;         /* that extra one is held: chunk 0 looks for a container's magic */
    int share_hold;             /* chunk 0 holds the workers' queue: a big container's members are shared */
    _Atomic int is_container;   /* chunk 0 found one: the other chunks' raw bytes need no scan */
    /* writer only */
    ks_order order;
    char path_[];
};

typedef struct pjob pjob;

/* One read and scan inside a job: a chunk of a big file, or a whole small file. */
typedef struct pslot {
    pfile *file;
    pjob *job;
    uint32_t chunk;
    uint64_t base, own_from, own_to;
    unsigned char *data; /* where the read lands: placed so that a full read ends 64-byte aligned */
    size_t len;
    ks_read_req req;
} pslot;

/* Most files are far smaller than a chunk: packing them into one buffer makes one hand-off, one
 * wake-up and one io_uring submission serve many files. */
#define KS_BATCH_MAX 64

typedef struct ks_mshare ks_mshare;

/* What a worker takes from the queue: one buffer holding one chunk or many small files, or (no
 * buffer) one file to stream, or (share) a call to help scan a container's members. */
struct pjob {
    ks_mshare *share;   /* not NULL: a token of member_jobs.c, nothing else is set */
    unsigned char *buf; /* allocation: cap bytes plus 64 of slack; NULL for a stream job */
    size_t cap, used;   /* used: end of the last slot placed, from buf */
    unsigned n;         /* slots */
    unsigned unread;    /* slots whose read has not finished (worker) */
    pslot slot[];
};

/* ------------------------------------------------------------------ */

#define KS_JOBS_IN_FLIGHT 4 /* jobs a worker keeps reading at once with an asynchronous backend */
#define KS_WORKER_NICE 5    /* workers' nice value above the creating thread's (worker.c) */

/* Findings kept in the order found, linked through ks_rec.next, until they can be sent in order. */
typedef struct ks_reclist {
    ks_rec *head, **tail;
} ks_reclist;

typedef struct worker {
    ks_pipeline *p;
    unsigned index;
    pthread_t thread;
    ks_scanner *scanner;
    ks_ring *out;
    pslot *slot; /* being scanned */
    unsigned char *stream_buf;
    void *rstate; /* this worker's reader backend (its own io_uring, or pread's queue) */
    int failed;
    /* jobs whose reads are held by the backend, and jobs read and waiting to be scanned */
    unsigned in_flight, n_ready;
    struct pjob *ready[KS_JOBS_IN_FLIGHT];
    /* for ks_pipeline_info_get, read by any thread: reads held by the backend, bytes read */
    _Atomic unsigned reads_held;
    _Atomic uint64_t bytes_read;
    _Atomic uint64_t members_shared; /* members of another worker's container it scanned */
    /* a container being expanded (expand.c): the member's stream (which sees UTF-16 text) and chain; or a UTF-16
     * file's stream, with no chain */
    ks_text_stream *mtext;
    /* a stream's own bytes before a container in it (a script before its payload, read through a pipe): closed,
     * its findings out, before the container's first member or its end (ks__pl_expand_stream) */
    ks_text_stream *own_text;
    uint64_t own_bytes; /* their count, reported with the container's */
    /* a stream that was no container after all, but could not be opened for a budget (a 7z bigger than memory
     * holds from a pipe): scanned as its bytes, and reported incomplete (EOVERFLOW) */
    int stream_limited;
    char *mchain;      /* NULL for decoded text, which is the file itself */
    size_t mchain_len;
    int mfailed;
    ks_reclist *collect; /* not NULL: findings are kept on this list (member_jobs.c), not sent */
} worker;

struct ks_pipeline {
    const ks_engine *engine;
    const ks_allocator *a; /* the engine's: every allocation of the pipeline */
    ks_pipeline_sink sink;
    void *ctx;
    const ks_reader_ops *reader;
    unsigned depth; /* jobs in flight per worker (asynchronous backend) */
    size_t chunk, margin;
    unsigned n_workers, n_buffers;
    unsigned ahead_threads;       /* threads decompressing a big container ahead of its scan */
    unsigned git_lanes;           /* threads resolving a git pack's delta trees */
    int pin, read_only, lower_priority;
    int containers;                 /* containers are scanned as their members */
    int no_decode;                  /* UTF-16 text is scanned as the bytes it is */
    ks_container_limits climits;    /* max_output 0: per file, max(1 GiB, 50x its size) */
    ks_git_idset *git_seen;         /* the git objects handed out in this scan, every repository's (shared) */
    struct ks_git_repo_key *git_repos; /* submitting thread: the repositories queued, each read once */
    size_t n_git_repos, git_repos_cap;
    uint64_t archive_max_input;     /* larger files are not opened as containers (0: any) */
    ks_bqueue chunks, free_jobs;
    pjob **jobs;
    pjob *batch;        /* submitting thread: the job small files are being packed into */
    uint64_t batch_since; /* when its first file came (ns) */
    worker *workers;
    ks_ring *rings;        /* n_workers + 1: the last belongs to the reader */
    pthread_t writer_thread;
    _Atomic int stop; /* a stop_state */
    _Atomic int producers_done;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake;
    _Atomic int sleeping;
    pthread_cond_t room;       /* a producer waits on it (with wake_mu) for room in its ring */
    _Atomic int room_waiters;  /* producers waiting for room: the writer wakes them after taking records */
    /* Descriptor budget: files handed over and not yet closed. */
    ks_fd_budget fds;
    _Atomic uint64_t files_done; /* writer: files reported */
};

/* How an object's bytes reach the engine: UTF-16 text as its characters, unless decoding is off; gathered, since
 * members, blobs and pipes come in pieces. */
static inline ks_text_mode ks__pl_text_mode(const ks_pipeline *p)
{
    return (p->no_decode ? KS_TEXT_RAW : KS_TEXT_UTF16) | KS_TEXT_GATHER;
}

#define RING_SLOTS 4096u

/* Why the pipeline stops. Once not STOP_NONE it never returns to it. */
enum stop_state {
    STOP_NONE = 0,        /* running */
    STOP_ASKED = 1,       /* ks_pipeline_stop (a signal, an output error): no new reads */
    STOP_SINK_FAILED = 2, /* the sink refused a finding: nothing more is reported */
};
#define KS_BATCH_HUNGRY 16
#define KS_BATCH_AGE_NS 200000u
#define KS_BUFFER_BUDGET ((size_t)64 << 20)
#define STREAM_PIECE ((size_t)256 << 10)
/* Containers at least this big are decompressed on a thread of their own, and with more than one
 * worker their members are shared out (member_jobs.c). */
#define KS_OVERLAP_FROM ((uint64_t)4 << 20)

/* ---- the hand-off to the writer (writer.c) ---- */
/* Producer side of a ring: sleeps while the writer catches up (until it has taken records), which is the
 * back-pressure. */
void ks__pl_ring_push(ks_pipeline *p, ks_ring *r, ks_rec *rec);
/* Reports one chunk as done; retries an allocation failure, since a lost record would leave the
 * file unfinished forever. */
void ks__pl_push_chunk_done(ks_pipeline *p, ks_ring *r, pfile *f, uint32_t chunk, uint64_t newlines,
                            uint64_t last_nl_end, uint64_t bytes, int err);
/* The same for chunk 0 of a container (or decoded text), scanned as its members: the reorderer then
 * drops the raw findings of the file's other chunks. */
void ks__pl_push_container_done(ks_pipeline *p, ks_ring *r, pfile *f, uint64_t bytes, int err, uint64_t containers,
                                uint64_t members);
/* The writer thread. */
void *ks__pl_writer_main(void *arg);

/* ---- files and their descriptors (batcher.c) ---- */
/* Closes f's descriptor, within the descriptor budget. */
void ks__pl_file_close_fd(ks_pipeline *p, pfile *f);
/* Frees a finished file (closing its descriptor if still open). */
void ks__pl_file_free(ks_pipeline *p, pfile *f);
/* Hands the job being packed to the workers. */
void ks__pl_flush_batch(ks_pipeline *p);
/* Cuts one file into jobs (packs it when small); the submitting thread only. */
void ks__pl_submit_file(ks_pipeline *p, pfile *f);
/* Waits until one more descriptor fits the budget. */
void ks__pl_wait_for_fd(ks_pipeline *p);

/* ---- workers (worker.c) ---- */
void *ks__pl_worker_main(void *arg);
/* The record of one finding of the slot being scanned (member findings carry their chain). */
int ks__pl_worker_on_match(const ks_match *m, void *ctx);

/* ---- containers (expand.c) ---- */
/* Chunk 0 of a file whose bytes start like a container (or UTF-16 text): scans its members (or its
 * decoded text) instead of its bytes and reports chunk 0 done. Returns 1 when it did, 0 when the
 * slot is to be scanned as it is. */
int ks__pl_expand_slot(worker *w, pslot *sl);
/* A file read as a stream (a pipe, standard input) whose first `n` bytes, in head, start like a
 * container: opens it as it streams and reports it whole. Returns 1 when it did (the descriptor is
 * closed, *bytes says how many were read); 0 when it is none: then head and *replay (malloc'ed, the
 * caller frees it) are the bytes to scan before the rest of the descriptor. A w->own_text set by the caller is
 * closed (and cleared) before the first member begins, or before the container is reported with w->own_bytes
 * more. */
int ks__pl_expand_stream(worker *w, pslot *sl, const unsigned char *head, size_t n, unsigned char **replay,
                         size_t *replay_len, uint64_t *bytes);
/* Gives back chunk 0's hold on the file's descriptor (see pfile.container_hold). */
void ks__pl_release_hold(ks_pipeline *p, pfile *f);
/* The sink that scans members on worker ctx: each a stream with the member's chain (w->slot's file). */
extern const ks_container_sink ks__pl_member_sink;
/* A note about a member for the writer, which reports it at once: the chain, a NUL, the text. */
void ks__pl_push_note(worker *w, const char *chain, int fatal, const char *what);
/* Ends the member w was scanning, if the sink stopped inside it. */
void ks__pl_drop_member(worker *w);
/* A git directory's job (sl, stream mode): its blobs scanned as members, shared out when the file
 * holds the workers' queue; reports it done and closes its descriptor. */
void ks__pl_expand_git(worker *w, pslot *sl);

/* ---- one container's members on several workers (member_jobs.c) ---- */
/* The members `produce` makes (a big container read from its descriptor, a repository's blobs) for
 * the object of slot sl, which other workers help scan, their findings sent to the writer in
 * archive order; what produce returned, with its result in *res. */
int ks__pl_expand_shared(worker *w, pslot *sl, ks_cont_producer produce, void *pctx, ks_container_result *res);
/* A worker took a token (j->share): it scans the queued members of that container, then frees j. */
void ks__pl_help_members(worker *w, pjob *j);

#endif
