/* git_members.c: a repository's blobs handed to a container sink as members named by their ids; the reading is
 * git_odb.c's, each blob once, whatever pack or loose file holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "git_members.h"
#include "git_odb.h"

#define PIECE (256u * 1024u) /* as a container's members are handed on */

typedef struct gexp {
    const ks_container_sink *sink;
    void *ctx;
    ks_container_result *res;
    int stopped;
} gexp;

static int on_object(const ks_git_object *o, void *cd)
{
    gexp *g = cd;
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(o->id, hex);
    g->res->members++;
    if (g->sink->begin(g->ctx, hex)) {
        g->stopped = 1;
        return 1;
    }
    for (size_t at = 0; at < o->size; at += PIECE) {
        size_t n = o->size - at < PIECE ? o->size - at : PIECE;
        g->res->bytes_out += n;
        if (g->sink->data(g->ctx, o->data + at, n)) {
            g->stopped = 1;
            return 1;
        }
    }
    if (g->sink->end(g->ctx)) {
        g->stopped = 1;
        return 1;
    }
    return 0;
}

static void on_problem(const ks_git_problem *pr, void *cd)
{
    gexp *g = cd;
    char what[768], hex[KS_GIT_HEX_LEN + 1] = "";
    if (pr->id)
        ks__git_id_hex(pr->id, hex);
    if (pr->offset != KS_GIT_NO_OFFSET)
        snprintf(what, sizeof what, "not read: %s (%s, offset %llu)", pr->what, pr->path,
                 (unsigned long long)pr->offset);
    else
        snprintf(what, sizeof what, "not read: %s (%s)", pr->what, pr->path);
    g->res->stop = KS_CONT_CORRUPT;
    g->sink->problem(g->ctx, hex, 1, what);
}

int ks__git_expand(const char *git_dir, ks_git_idset *seen, const ks_container_sink *sink, void *ctx,
                   ks_container_result *res)
{
    memset(res, 0, sizeof *res);
    size_t n = strlen(git_dir);
    char *objects = malloc(n + sizeof "/objects");
    if (!objects) {
        res->stop = KS_CONT_CORRUPT;
        sink->problem(ctx, "", 1, "not read: out of memory");
        return 0;
    }
    memcpy(objects, git_dir, n);
    memcpy(objects + n, "/objects", sizeof "/objects");
    gexp g = {sink, ctx, res, 0};
    ks_git_read_options o = {
        .size = sizeof o, .seen = seen, .on_object = on_object, .on_problem = on_problem, .ctx = &g};
    ks_git_counts counts = {0};
    int rc = ks__git_read_objects(objects, &o, &counts);
    free(objects);
    res->containers = 1;
    if (g.stopped)
        return -1;
    if (rc) { /* objects/ could not be opened, or no memory */
        res->stop = KS_CONT_CORRUPT;
        sink->problem(ctx, "", 1,
                      rc == KS_ENOMEM ? "not read: out of memory" : "not read: its objects directory cannot be opened");
    }
    return 0;
}

int ks__git_is_dir(int dirfd)
{
    struct stat st;
    return fstatat(dirfd, "HEAD", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           fstatat(dirfd, "objects", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
           fstatat(dirfd, "refs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}
