/* pipeline.h: the scanning pipeline: the submitting thread cuts files into chunks for pinned workers that read
 * (pread, or their own io_uring) and scan them; per-worker result rings fan in to one writer thread that settles
 * line numbers and hands findings to a sink in file order. */
#ifndef KS_PIPELINE_H
#define KS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"
#include "reader.h"

typedef struct ks_pipeline ks_pipeline;

/* Everything the pipeline reports; all calls come from the writer thread, one at a time. */
typedef struct ks_pipeline_sink {
    /* One finding with exact absolute offsets, line and column. Non-zero stops the pipeline. */
    int (*on_finding)(void *ctx, const char *path, const ks_match *m);
    /* A file is finished: `bytes` scanned; err is 0, a positive errno, ECANCELED (stopped), or
     * EFBIG: a file of unknown size was cut at its read limit, and the bytes before it were scanned
     * and reported (not a failure). */
    void (*on_file_done)(void *ctx, const char *path, uint64_t bytes, int err);
    /* Nothing is waiting right now: a good moment to flush output and redraw progress. */
    void (*on_idle)(void *ctx);
} ks_pipeline_sink;

typedef struct ks_pipeline_opts {
    unsigned threads;            /* workers; 0: one per CPU of the affinity mask */
    size_t chunk_size;           /* owned bytes per chunk; 0: KS_PIPELINE_DEFAULT_CHUNK */
    unsigned buffers;            /* chunk buffers (reads in flight + chunks queued); 0: default */
    const ks_reader_ops *reader; /* NULL: pread */
    int no_pin;                  /* do not pin workers to CPUs */
    int read_only;               /* benchmarks: read every chunk, scan nothing */
    unsigned max_open_files;     /* descriptors of files handed over and not yet closed; 0: default below */
} ks_pipeline_opts;

#define KS_PIPELINE_DEFAULT_CHUNK ((size_t)1 << 20)
#define KS_PIPELINE_DEFAULT_OPEN_FILES 128u

/* Starts the worker and writer threads; returns 0, KS_EINVAL, KS_ENOMEM or KS_EIO (the reader
 * backend could not be set up for every worker, *backend_errno says why). The backend is chosen
 * before, once (ks_reader_choose), and that is where io_uring falls back to pread. */
int ks_pipeline_create(const ks_engine *engine, const ks_pipeline_opts *opts, const ks_pipeline_sink *sink,
                       void *ctx, ks_pipeline **out, int *backend_errno);

/* Queues one open regular file (the pipeline owns fd from now on and closes it); waits while every
 * chunk buffer is busy or max_open_files descriptors are held. Call it from one thread only. size 0
 * means unknown (procfs, a pipe): the file is read to EOF, or to `limit` bytes when limit is not 0
 * (then it is reported with EFBIG if more followed). A file of known size is read up to that size,
 * however much it grows. Returns 0, or KS_ETERMINATED when the pipeline is stopping (fd is closed). */
int ks_pipeline_submit(ks_pipeline *p, int fd, const char *path, uint64_t size, uint64_t limit);

/* Asks the pipeline to stop: no new reads; reads in flight are still scanned and reported.
 * Thread-safe and async-signal-safe. */
void ks_pipeline_stop(ks_pipeline *p);

/* Waits until everything queued is reported, joins the threads and frees the pipeline.
 * Returns 0, or KS_ETERMINATED if the pipeline was stopped. */
int ks_pipeline_finish(ks_pipeline *p);

/* Number of workers the pipeline runs (after defaults). */
unsigned ks_pipeline_threads(const ks_pipeline *p);

#endif
