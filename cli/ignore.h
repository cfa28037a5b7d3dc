/* ignore.h: .keysweepignore at a scan root and, with --gitignore, .gitignore files: gitignore syntax, fed to the walker. */
#ifndef KS_CLI_IGNORE_H
#define KS_CLI_IGNORE_H

#include <stddef.h>

typedef struct ig_rule {
    char *glob;
    unsigned char negate, dir_only, anchored;
} ig_rule;

/* The patterns of one ignore file, in file order (the last match wins). */
typedef struct ig_list {
    ig_rule *r;
    size_t n, cap;
} ig_list;

/* Adds the patterns of an ignore file's text; returns 0 or -1 when out of memory. */
int ig_parse(ig_list *l, const char *text, size_t len);
/* The verdict for a path relative to the ignore file's directory: 1 ignored, -1 re-included by
 * a negated pattern, 0 no pattern matched. */
int ig_match(const ig_list *l, const char *rel, int is_dir);
void ig_free(ig_list *l);
/* Gitignore glob matching: '*' and '?' stop at '/', a whole "**" component spans directories. */
int ig_glob(const char *pattern, const char *path);

/* One directory's .gitignore, on the stack of the directories above the current one. */
typedef struct ig_level {
    char *dir; /* relative to the root; "" for the root */
    size_t dir_len;
    ig_list list;
} ig_level;

typedef struct ignore_ctx {
    const char *root;
    size_t root_len;
    ig_list keysweep; /* <root>/.keysweepignore: applied last, so it can re-include what .gitignore hides */
    int use_gitignore;
    ig_level *levels;
    size_t depth, cap;
    /* an ignore file that exists but cannot be read: the scan is then incomplete */
    void (*on_error)(void *ctx, const char *path, int err, const char *what);
    void *err_ctx;
} ignore_ctx;

/* Reads <root>/.keysweepignore (and <root>/.gitignore with use_gitignore); returns 0, or -1
 * when out of memory. Unreadable files are reported through on_error. */
int ignore_init(ignore_ctx *c, const char *root, int use_gitignore,
                void (*on_error)(void *, const char *, int, const char *), void *err_ctx);
/* The walker's is_ignored callback (ks_walk_opts.ignore_ctx is the ignore_ctx). */
int ignore_is_ignored(void *ctx, const char *path, const char *name, int is_dir);
/* 1 when there is nothing to apply (no patterns at all, no --gitignore). */
int ignore_empty(const ignore_ctx *c);
void ignore_free(ignore_ctx *c);

#endif
