/* diff_scan.h: the added lines of a unified diff, scanned as the files they go into (diff_scan.c). */
#ifndef KS_CLI_DIFF_SCAN_H
#define KS_CLI_DIFF_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "keysweep.h"

/* 1 when the text starts like a unified diff: a "diff --git " line among its first lines, or a "--- " line
 * followed by a "+++ " line. */
int diff_looks_like(const unsigned char *text, size_t len);

/* 1 when the stream behind fd (a pipe or a regular file) starts like a unified diff, found without consuming it
 * (a pipe's first bytes are copied with tee(2)); 0 otherwise or when it cannot tell. */
int diff_fd_looks_like(int fd);

/* What a diff held, for the summary and the exit status. */
typedef struct diff_result {
    unsigned long files;     /* files with added lines, submitted */
    unsigned long malformed; /* 1: the diff broke off or a hunk header could not be read (said on stderr) */
    int read_error;          /* diff_parse_fd: errno of a failed read (not said: the caller names it), or 0 */
} diff_result;

/* Receives one file's new side (path NUL-terminated; body: its lines, the ones the diff does not add empty);
 * non-zero stops the parse. */
typedef int (*diff_file_fn)(void *ctx, const char *path, const unsigned char *body, size_t len);

/* A diff parsed line by line, as it comes (diff_parse's work, on a stream). */
typedef struct diff_parser diff_parser;

/* A parser that hands each file to on_file (as diff_parse does); NULL when out of memory. Clears *r. */
diff_parser *diff_parser_new(const char *source, uint64_t limit, diff_file_fn on_file, void *ctx, diff_result *r);

/* The diff's next line, without its newline. Returns 0, or -1 when on_file stopped it. */
int diff_parser_line(diff_parser *d, const unsigned char *line, size_t n);

/* Ends the diff (a file gathered so far is handed on) and frees the parser (NULL: nothing). Returns 0, or -1
 * when on_file stopped it. */
int diff_parser_end(diff_parser *d);

/* Parses the diff in text (named `source` in messages, which go to stderr) and hands on each file that gains
 * lines: its new path (git's a/ b/ prefixes and C-quoting undone) and its new side up to its last added line.
 * A file whose added lines reach past `limit` bytes (0: 4 GiB) is cut there and said. Returns 0, or -1 when
 * on_file stopped it. */
int diff_parse(const unsigned char *text, size_t len, const char *source, uint64_t limit, diff_file_fn on_file,
               void *ctx, diff_result *r);

/* diff_parse for a diff read from fd (closed after) as it comes, `piece` bytes a read: one file's new side held at
 * a time, never the whole diff. A line longer than line_max bytes is said and counted as malformed (its first byte
 * kept, so that the hunk's counts stay right); a failed read ends the diff there, in r->read_error. Returns 0, or
 * -1 when on_file stopped it. */
int diff_parse_fd(int fd, size_t piece, size_t line_max, const char *source, uint64_t limit, diff_file_fn on_file,
                  void *ctx, diff_result *r);

/* Submits to p, for each file of the diff read from fd (named `source` in messages) that gains lines, its new side
 * with every line but the added ones left empty, under the file's new path (git's a/ b/ prefixes and C-quoting
 * undone), so that findings carry that path, the new side's line numbers and columns that do not count the '+'.
 * Deleted files and binary patches add nothing. The diff is read as it comes (a pipe), one file at a time held in
 * memory, never the whole diff; fd is closed. A line over 1 GiB is said and counted as malformed; a failed read
 * is in r->read_error. Returns 0, or -1 when p stopped taking files. */
int diff_submit_fd(ks_pipeline *p, int fd, const char *source, uint64_t limit, diff_result *r);

#endif
