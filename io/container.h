/* container.h: containers (compressed streams and archives) recognised by their magic bytes and opened with libarchive;
 * their members' bytes go to a sink, nested containers are opened in turn, within hard budgets. Knows nothing of rules. */
#ifndef KS_IO_CONTAINER_H
#define KS_IO_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

/* Bytes at the start of an object that ks__container_sniff looks at (tar's magic ends at 262). */
#define KS_CONTAINER_MAGIC_LEN 265

typedef enum ks_container_kind {
    KS_CONT_NONE = 0,
    KS_CONT_GZIP,
    KS_CONT_BZIP2,
    KS_CONT_XZ,
    KS_CONT_ZSTD,
    KS_CONT_LZ4,
    KS_CONT_ZIP,
    KS_CONT_TAR,
    KS_CONT_7Z,
    KS_CONT_AR,
    KS_CONT_CPIO,
    KS_CONT_RPM,
    KS_CONT_ISO9660,
} ks_container_kind;

/* Where an ISO 9660 image shows its magic ("CD001", after 32 KiB of system area and a type byte):
 * ks__container_sniff sees it only in a head at least that long. */
#define KS_CONTAINER_ISO_MAGIC_AT 32769
/* A member's head is read to KS_CONTAINER_SECTOR bytes, and on to KS_CONTAINER_HEAD_MAX only when those may be an
 * ISO 9660 image's system area (ks__container_may_be_image), so that other members are not copied further. */
#define KS_CONTAINER_SECTOR 512
#define KS_CONTAINER_HEAD_MAX (KS_CONTAINER_ISO_MAGIC_AT - 1 + 132) /* its primary volume descriptor to its block size */

/* 1 when the first KS_CONTAINER_SECTOR bytes (n at least that) may open an ISO 9660 image, whose magic is
 * 32 KiB further: zeros, or a boot sector (0x55 0xAA at 510: a hybrid image, as distributions ship them). */
int ks__container_may_be_image(const unsigned char *h, size_t n);

/* What the first `n` bytes of an object say it is (by magic only, never by name). */
ks_container_kind ks__container_sniff(const unsigned char *head, size_t n);

/* A zip preceded by other bytes (an executable jar's launch script, a self-extracting stub), which no head shows:
 * 1 when the object (in memory, or behind a descriptor read by offset) ends with a zip's end record (without a
 * comment, or one of at most 1 KiB) whose central directory is where it says, a local header where the zip's
 * first byte then falls, and at least one byte before that; *prefix is where the zip begins. 0 otherwise
 * (a zip that starts the object, which its head shows, included). */
int ks__container_zip_after(const void *mem, size_t len, int fd, uint64_t size, uint64_t *prefix);

/* A compressed stream or a tar after a shell script (a makeself installer, a self-extracting archive), which no
 * head shows: 1 when h[0..n) begins with "#!", and one of its lines, all text before it, begins with a stream's
 * magic (bzip2's with its first block's) or a tar header whose checksum is right; *at is where that line begins.
 * 0 otherwise. */
int ks__container_after_script(const unsigned char *h, size_t n, uint64_t *at);

/* 1 when the 512 bytes at h are a ustar header whose checksum is right. */
int ks__container_tar_header(const unsigned char *h);

/* ks__container_after_lead over an object's first KS_CONTAINER_LEAD_READ bytes (in memory, or read from fd):
 * the kind of what begins there, and where (*base); KS_CONT_NONE when nothing does. The container reader's own
 * test after a zip's end record found nothing (a self-extractor whose offsets count from the file's start, or
 * with a signature after the zip), so that a caller that scans the lead asks the same question of the same
 * bytes. */
ks_container_kind ks__container_lead_at(const void *mem, size_t len, int fd, uint64_t size, uint64_t *base);

/* 1 when an object that starts with these `n` bytes may hold a container after a lead of its own: a script
 * ("#!"), before a zip or a stream, or a Windows executable ("MZ"), before a zip. */
int ks__container_may_lead(const unsigned char *h, size_t n);

/* What an archive's member is asked when ks__container_may_lead says so, for an object read from its start (a
 * pipe, the library's container stream): in its first `n` bytes (up to KS_CONTAINER_LEAD_READ), a zip's first
 * local header that looks right, or before it a script's line where a stream or tar begins. Returns the kind and
 * where it begins (*at), or KS_CONT_NONE. */
ks_container_kind ks__container_after_lead(const unsigned char *h, size_t n, uint64_t *at);

/* How far into an object ks__container_after_script's stream, or a zip after a lead, is looked for: where it begins.
 * KS_CONTAINER_LEAD_READ bytes are read to look, so that a zip's local header that begins just before
 * KS_CONTAINER_LEAD_MAX is whole (its 30 bytes, a name of up to 1,024, and the next signature). */
#define KS_CONTAINER_LEAD_MAX ((size_t)1 << 20)
#define KS_CONTAINER_LEAD_READ (KS_CONTAINER_LEAD_MAX + 30u + 1024u + 4u)

/* A 7z keeps its index at its end, and its reader seeks: read as it streams (a pipe), it is held in memory whole up
 * to this many bytes and opened there; a bigger one is scanned as its bytes, and the scan is incomplete. */
#define KS_CONTAINER_SPOOL_MAX ((size_t)64 << 20)

/* 1 for a compressed stream (one member), 0 for an archive or none. */
int ks__container_is_stream(ks_container_kind k);

/* Budgets of one outermost object, every nested level together. */
typedef struct ks_container_limits {
    unsigned max_depth;    /* containers opened one inside another, the outermost counting 1 */
    uint64_t max_output;   /* member bytes handed to the sink, in all */
    uint64_t max_members;  /* members, in all */
    uint64_t ratio_after;  /* the ratio guard holds once this many bytes came out */
    uint64_t max_ratio;    /* bytes out per byte of the outermost object read */
    int no_decompress;     /* compressed streams are not opened (archives still are) */
    size_t max_spool;      /* a 7z inside another archive is held whole up to this many bytes, with the 7z archives it
                            * is inside together; 0: KS_CONTAINER_SPOOL_MAX */
    /* Not a budget: threads the outermost object of a file may be decompressed on besides the caller's
     * (a big file, with workers to spare): a gzip, zstd, xz or lz4 stream on one, ahead of the framing and the
     * sink; a zip on this many (at most KS_STRIPES_MAX), each taking every Nth member. 0: none. */
    unsigned decode_ahead;
} ks_container_limits;

/* How an expansion ended, when it did not end cleanly (ks_container_result.stop). */
typedef enum ks_container_stop {
    KS_CONT_COMPLETE = 0,
    KS_CONT_LIMIT,   /* a budget ran out: the rest is not scanned */
    KS_CONT_CORRUPT, /* a container could not be read to its end */
    KS_CONT_IO,      /* the object itself could not be read (an I/O error): the rest is not scanned */
} ks_container_stop;

typedef struct ks_container_sink {
    /* A member begins; `chain` names it inside the outermost object, each level separated by '!'
     * ("srv/.env", "inner.zip!deep/creds.txt"). Non-zero stops everything. */
    int (*begin)(void *ctx, const char *chain);
    /* Some of its bytes, in order. Non-zero stops everything. */
    int (*data)(void *ctx, const void *p, size_t n);
    /* The member is over (also when it was cut short). Non-zero stops everything. */
    int (*end)(void *ctx);
    /* Something was skipped (fatal 0: an encrypted member) or stopped (fatal 1: a budget, a
     * corrupt container); `chain` is where ("" for the outermost object). */
    void (*problem)(void *ctx, const char *chain, int fatal, const char *what);
    /* May be NULL. The member's last bytes and its end at once, as data then end would be called: a feed's replay
     * (ks__container_block_replay) calls it where the bytes and the end are next to each other, so that a member
     * handed over whole can be scanned where it lies. Non-zero stops everything. */
    int (*data_end)(void *ctx, const void *p, size_t n);
    /* May be NULL. The size of the member whose begin comes next, where its archive's entry says it: a hint only
     * (the bytes handed over may be fewer, in a truncated archive). A feed uses it to keep a member that fits a block
     * whole in one, ending where a scan needs no copy. */
    void (*sized)(void *ctx, uint64_t size);
    /* May be NULL. `n` zero bytes of the member, a sparse member's hole, as data of zeros would be: the sink passes
     * over them (there is nothing in zeros to find), its offsets, lines and columns as if it had scanned them. They
     * are held to the budgets for at most 64 KiB, what passing over them costs, not for their size (a hole is what
     * the archive says, not bytes made from its own: a 60 GB one in a 5 KiB tar is no bomb). NULL: they come as
     * data, and count. Non-zero stops everything. */
    int (*zeros)(void *ctx, uint64_t n);
} ks_container_sink;

typedef struct ks_container_result {
    uint64_t containers;   /* containers opened, nested ones included */
    uint64_t members;      /* members handed to the sink */
    uint64_t bytes_out;    /* their bytes */
    uint64_t bytes_read;   /* ks__container_expand_pipe: bytes read from the descriptor, head included */
    ks_container_stop stop;
} ks_container_result;

/*
 * Expands one object whose first bytes ks__container_sniff recognised: from memory (`buf`, `len`)
 * when buf is not NULL, else from `fd` (read with pread from offset 0 up to `size`; the descriptor
 * is not closed). `name` is the object's own name, for the one member of a compressed stream.
 * Returns 0 when the object was expanded (completely, or as far as *res->stop says), 1 when it
 * turned out not to be a container libarchive can open (scan it as it is), or -1 when the sink
 * stopped it. Memory stays bounded: members are streamed, never held whole.
 */
int ks__container_expand(const void *buf, size_t len, int fd, uint64_t size, const char *name,
                         const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                         ks_container_result *res);

/*
 * The same for a descriptor read from its position (a pipe, standard input): `head` holds its first
 * bytes, already read (what recognised it), and reading stops after `limit` bytes in all (0: at
 * EOF). Zip is read as it streams. When it returns 1 (not a container after all), *replay holds
 * the bytes it read past head (free it), so that the caller can scan head, replay, and then the rest
 * of the descriptor as the bytes they are; otherwise *replay is NULL.
 */
int ks__container_expand_pipe(const void *head, size_t head_len, int fd, uint64_t limit, const char *name,
                              const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                              ks_container_result *res, unsigned char **replay, size_t *replay_len);

/* ks__container_expand_pipe for a container that begins `base` bytes into the stream (after a script's lead, read
 * already): `limit` counts from the stream's start, and trailing data is named by where it is in the stream. */
int ks__container_expand_pipe_at(const void *head, size_t head_len, int fd, uint64_t limit, uint64_t base,
                                 const char *name, const ks_container_limits *lim, const ks_container_sink *sink,
                                 void *ctx, ks_container_result *res, unsigned char **replay, size_t *replay_len);

/* Hands over the next bytes of an object that is pushed rather than read: sets *out and returns how many
 * (0 at its end, negative to give up); the bytes stay valid until the next call. */
typedef long (*ks_container_pull_fn)(void *ctx, const void **out);

/* ks__container_expand_pipe_at for an object whose bytes after `head` come from `pull` (a stream written
 * by a caller): the same budgets, the same *replay when it turns out to be no container. */
int ks__container_expand_pull(const void *head, size_t head_len, ks_container_pull_fn pull, void *pull_ctx,
                              uint64_t base, const char *name, const ks_container_limits *lim,
                              const ks_container_sink *sink, void *ctx, ks_container_result *res,
                              unsigned char **replay, size_t *replay_len);

/* ---- container_feed.c: decompressing on a thread of its own ---- */

/* The same, with the reading and decompressing on a thread of its own, so that it overlaps the
 * sink's work (the scan) instead of alternating with it; the sink is called on the calling thread,
 * in the same order. For big objects: the thread costs more than it saves on small ones. */
int ks__container_expand_overlapped(const void *buf, size_t len, int fd, uint64_t size, const char *name,
                                    const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                                    ks_container_result *res);

/* What ks__container_expand shows its sink, as events packed into blocks: BEGIN (a member's chain),
 * DATA (its bytes), END, PROBLEM (a chain, a NUL and words), and DONE, last of all. */
typedef enum ks_cont_ev { KS_EV_BEGIN, KS_EV_DATA, KS_EV_END, KS_EV_PROBLEM, KS_EV_DONE, KS_EV_ZEROS } ks_cont_ev;
typedef struct ks_cont_block ks_cont_block;
typedef struct ks_cont_feed ks_cont_feed;
#define KS_CONTAINER_FEED_BLOCK (256u * 1024u) /* bytes of events in a block: one wake-up per block, not per member */

/* Starts expanding an object (the arguments of ks__container_expand) on a thread of its own into a
 * pool of `blocks` blocks of events (at least 2). Returns 0, or -1 when there is no memory or thread
 * for it (then nothing was started). */
int ks__container_feed_start(const void *buf, size_t len, int fd, uint64_t size, const char *name,
                             const ks_container_limits *lim, unsigned blocks, ks_cont_feed **out);

/* The next block, in order, held once; NULL after the one holding DONE, or when none is ready and not
 * `wait`. Only one thread takes blocks. The producer waits while every block is held: a caller that
 * waits must not hold them all, nor leave them with someone who waits for it. */
const ks_cont_block *ks__container_feed_next(ks_cont_feed *f, int wait);

/* One more holder of a block taken (any thread). */
void ks__container_feed_hold(const ks_cont_block *b);

/* A holder lets go (any thread, any order); the block goes back to the pool after the last. */
void ks__container_feed_release(ks_cont_feed *f, const ks_cont_block *b);

/* The producer stops at its next event: the rest of the object is not read. */
void ks__container_feed_stop(ks_cont_feed *f);

/* What a caller that expands on its own thread (ks__container_feed_run) is called for. */
typedef struct ks_cont_feed_ops {
    /* A full block, in order, held once for the caller (who releases it, now or later, on any thread). */
    void (*block)(void *ctx, ks_cont_feed *f, const ks_cont_block *b);
    /* Every block is held and one is needed: free one if the caller can (returns 1), else 0, and the
     * feed waits for a holder to let go (so every block held must be on its way back). */
    int (*starved)(void *ctx);
} ks_cont_feed_ops;

/* Expands an object (the arguments of ks__container_expand) on the calling thread into a pool of
 * `blocks` blocks of events, each full block handed to ops->block; returns once every block is back,
 * what ks__container_expand returned (its result in *res), or -2 when there was no memory for the
 * pool (nothing was read). ks__container_feed_stop stops it; feed_next and feed_end are not used. */
int ks__container_feed_run(const void *buf, size_t len, int fd, uint64_t size, const char *name,
                           const ks_container_limits *lim, unsigned blocks, const ks_cont_feed_ops *ops, void *ctx,
                           ks_container_result *res);

/* What makes a feed's events: ks__container_expand's work, or another source of members (a git
 * repository's blobs), calling the sink it is given; returns what ks__container_expand returns. */
typedef int (*ks_cont_producer)(void *pctx, const ks_container_sink *sink, void *sink_ctx, ks_container_result *res);

/* ks__container_feed_run for the members `produce` makes (called with pctx) instead of an expansion. */
int ks__container_feed_run_with(ks_cont_producer produce, void *pctx, unsigned blocks, const ks_cont_feed_ops *ops,
                                void *ctx, ks_container_result *res);

/* Stops the producer if its DONE was not taken yet (dropping what it still hands over), waits for
 * it, and frees the feed; every block taken must have been released. Returns what
 * ks__container_expand returned, with its result in *res. */
int ks__container_feed_end(ks_cont_feed *f, ks_container_result *res);

/* The kind of the event at offset `at` of b (a ks_cont_ev), *next set to the offset after it; -1
 * past the last. */
int ks__container_block_event(const ks_cont_block *b, size_t at, size_t *next);

/* The events of b from offset `from` to offset `to` (SIZE_MAX: the end) through sink, in order; none
 * once *stopped, which a non-zero from the sink sets. Returns 1 when it reached DONE. */
int ks__container_block_replay(const ks_cont_block *b, size_t from, size_t to, const ks_container_sink *sink,
                               void *ctx, int *stopped);

#endif
