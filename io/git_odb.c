/* git_odb.c: a repository's object directory read whole: its packs (opened together, so that one pack's delta can find
 * its base in another), then its loose objects, then those of its alternates; an id set keeps each object to once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "git_loose.h"
#include "git_odb.h"
#include "git_pack.h"
#include "git_pack_dir.h"

#define ALTERNATES_DEPTH 5   /* as git: alternates of alternates, 5 levels */
#define BASE_NESTING 8       /* a delta whose base is a delta in another pack, whose base ... */
#define ALTERNATES_MAX (1u << 20)
#define ALL_TYPES (KS_GIT_TYPE_BIT(KS_GIT_COMMIT) | KS_GIT_TYPE_BIT(KS_GIT_TREE) | KS_GIT_TYPE_BIT(KS_GIT_BLOB) | \
                   KS_GIT_TYPE_BIT(KS_GIT_TAG))

typedef struct objdir {
    char *path;
    dev_t dev;
    ino_t ino;
} objdir;

typedef struct odb {
    const ks_allocator *a;
    const ks_git_read_options *o;
    ks_git_counts *c;
    unsigned types;
    ks_git_reader r;
    ks_git_idset *seen;
    objdir *dirs;
    size_t ndirs, dirs_cap;
    ks_git_pack **packs;
    size_t npacks, packs_cap;
    int nesting;
} odb;

static void report(odb *d, const char *path, const uint8_t *id, int code, const char *what)
{
    d->c->problems++;
    if (d->o->on_problem) {
        ks_git_problem pr = {path, KS_GIT_NO_OFFSET, id, code, what};
        d->o->on_problem(&pr, d->o->ctx);
    }
}

/* The whole of a small file (alternates), NUL-terminated; NULL when absent, unreadable or too long. */
static char *small_file(const ks_allocator *a, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return NULL;
    char *s = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < ALTERNATES_MAX &&
        (s = ks__amalloc(a, (size_t)st.st_size + 1)) != NULL) {
        ssize_t n = read(fd, s, (size_t)st.st_size);
        s[n > 0 ? n : 0] = '\0';
    }
    close(fd);
    return s;
}

static int add_dir(odb *d, const char *path, int level);

/* objects/info/alternates: one directory a line, relative ones from this objects directory; '#' comments. */
static int add_alternates(odb *d, const char *dir, int level)
{
    char *file = ks__apath_join(d->a, dir, "info/alternates");
    if (!file)
        return KS_ENOMEM;
    char *text = small_file(d->a, file);
    ks__afree(d->a, file);
    int rc = 0;
    if (text && *text && level >= ALTERNATES_DEPTH) {
        report(d, dir, NULL, KS_ELIMIT, "alternates nest more than 5 deep: the deeper ones are not read");
        *text = '\0';
    }
    for (char *line = text, *next; rc == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (!n || line[0] == '#')
            continue;
        char *p = ks__apath_join(d->a, dir, line); /* relative to this objects directory, or absolute */
        rc = p ? add_dir(d, p, level + 1) : KS_ENOMEM;
        ks__afree(d->a, p);
    }
    ks__afree(d->a, text);
    return rc;
}

static int add_dir(odb *d, const char *path, int level)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (level == 0)
            return KS_EIO;
        report(d, path, NULL, KS_EIO, "alternate object directory cannot be read");
        return 0;
    }
    for (size_t i = 0; i < d->ndirs; i++)
        if (d->dirs[i].dev == st.st_dev && d->dirs[i].ino == st.st_ino)
            return 0; /* named twice, or a loop of alternates */
    if (ks__agrow(d->a, (void **)&d->dirs, &d->dirs_cap, d->ndirs, sizeof *d->dirs, 4) != 0)
        return KS_ENOMEM;
    objdir *od = &d->dirs[d->ndirs];
    if (!(od->path = ks__astrdup(d->a, path)))
        return KS_ENOMEM;
    od->dev = st.st_dev;
    od->ino = st.st_ino;
    d->ndirs++;
    if (!d->o->alternates)
        return 0;
    return add_alternates(d, d->dirs[d->ndirs - 1].path, level);
}

static void pack_failed(void *ctx, const char *pack_path, int code, const char *why)
{
    report(ctx, pack_path, NULL, code, why);
}

/* Opens every pack-*.pack of dir/pack with its .idx, in name order. */
static int open_packs(odb *d, const char *dir)
{
    size_t before = d->npacks;
    int rc = ks__git_packs_open_dir(d->a, dir, &d->packs, &d->npacks, &d->packs_cap, pack_failed, d);
    d->c->packs += d->npacks - before;
    return rc;
}

/* Object id from any pack holding it, else loose from any of the directories: 0 with its bytes (from d->a);
 * 1 when none holds it; or a KS_E* code with why filled (the last holder that failed). */
static int read_any(odb *d, const uint8_t id[KS_GIT_ID_LEN], ks_git_type *type, uint8_t **data, size_t *size,
                    char *why, size_t why_len)
{
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(id, hex);
    int rc = 1;
    for (size_t i = 0; i < d->npacks && rc != 0 && rc != KS_ENOMEM; i++) {
        uint32_t pos;
        const ks_git_idx *x = ks__git_pack_index(d->packs[i]);
        if (ks__git_idx_find(x, id, &pos))
            rc = ks__git_pack_read(d->packs[i], &d->r, ks__git_idx_offset(x, pos), type, data, size, why, why_len);
    }
    char name[KS_GIT_HEX_LEN + 2];
    snprintf(name, sizeof name, "%.2s/%s", hex, hex + 2);
    for (size_t i = 0; i < d->ndirs && rc != 0 && rc != KS_ENOMEM; i++) {
        int dfd = open(d->dirs[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue;
        char lwhy[256];
        int lrc = ks__git_loose_read(d->a, dfd, name, ALL_TYPES, d->r.max_object, type, data, size, lwhy, sizeof lwhy);
        close(dfd);
        if (lrc != KS_EIO) {
            rc = lrc;
            if (rc != 0)
                snprintf(why, why_len, "%s (loose): %s", hex, lwhy);
        }
    }
    return rc;
}

/* A REF_DELTA's base that its own pack lacks: in another pack, else loose, in any of the directories. */
static int find_base(void *ctx, const uint8_t id[KS_GIT_ID_LEN], ks_git_type *type, uint8_t **data, size_t *size,
                     char *why, size_t why_len)
{
    odb *d = ctx;
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(id, hex);
    if (d->nesting >= BASE_NESTING) {
        snprintf(why, why_len, "delta base %s: bases nest across packs more than %d deep", hex, BASE_NESTING);
        return KS_ECORRUPT;
    }
    d->nesting++;
    int rc = read_any(d, id, type, data, size, why, why_len);
    if (rc == 1) {
        snprintf(why, why_len, "delta base %s is in no pack and not loose", hex);
        rc = KS_ECORRUPT;
    }
    d->nesting--;
    return rc;
}

/* Hands out a loose object, checked as asked. */
static int emit_loose(odb *d, const uint8_t *id, ks_git_type t, const uint8_t *data, size_t size, const char *path)
{
    if (d->o->verify) {
        uint8_t got[KS_GIT_ID_LEN];
        ks__git_hash_object(t, data, size, got);
        if (memcmp(got, id, KS_GIT_ID_LEN) != 0)
            report(d, path, id, KS_ECORRUPT, "content does not hash to the object's id");
    }
    int added = ks__git_idset_add(d->seen, id);
    if (added < 0)
        return KS_ENOMEM;
    d->c->objects++;
    d->c->bytes += size;
    ks_git_object obj = {id, t, data, size, path, 0};
    return d->o->on_object(&obj, d->o->ctx) ? KS_ETERMINATED : 0;
}

/* Every dir/xx/<38 hex digits> file. */
static int read_loose(odb *d, const char *dir)
{
    int rc = 0;
    for (unsigned b = 0; b < 256 && rc == 0; b++) {
        char sub[3];
        snprintf(sub, sizeof sub, "%02x", b);
        char *subdir = ks__apath_join(d->a, dir, sub);
        if (!subdir)
            return KS_ENOMEM;
        int dfd = open(subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dh = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (dfd >= 0 && !dh)
            close(dfd);
        for (struct dirent *e; dh && rc == 0 && (e = readdir(dh)) != NULL;) {
            char hex[KS_GIT_HEX_LEN + 1];
            uint8_t id[KS_GIT_ID_LEN];
            if (strlen(e->d_name) != KS_GIT_HEX_LEN - 2)
                continue;
            memcpy(hex, sub, 2);
            memcpy(hex + 2, e->d_name, KS_GIT_HEX_LEN - 2 + 1);
            if (ks__git_hex_id(hex, id) != 0)
                continue;
            d->c->loose++;
            if (d->o->want && !ks__git_idset_has(d->o->want, id)) {
                d->c->skipped++;
                continue;
            }
            if (ks__git_idset_has(d->seen, id)) {
                d->c->duplicates++;
                continue;
            }
            ks_git_type t;
            uint8_t *data;
            size_t size;
            char why[256];
            int lrc = ks__git_loose_read(d->a, dfd, e->d_name, d->types, d->r.max_object, &t, &data, &size, why,
                                         sizeof why);
            char *path = ks__apath_join(d->a, subdir, e->d_name);
            if (!path)
                rc = KS_ENOMEM;
            else if (lrc == 1)
                d->c->skipped++;
            else if (lrc == KS_ENOMEM)
                rc = lrc;
            else if (lrc != 0)
                report(d, path, id, lrc, why);
            else
                rc = emit_loose(d, id, t, data, size, path);
            if (lrc == 0)
                ks__afree(d->a, data);
            ks__afree(d->a, path);
        }
        if (dh)
            closedir(dh);
        ks__afree(d->a, subdir);
    }
    return rc;
}

/* One wanted object looked up by id (few are wanted: cheaper than walking every pack). */
static int pick_one(const uint8_t id[KS_GIT_ID_LEN], void *ctx)
{
    odb *d = ctx;
    if (ks__git_idset_has(d->seen, id)) {
        d->c->duplicates++;
        return 0;
    }
    ks_git_type t;
    uint8_t *data;
    size_t size;
    char why[512];
    int rc = read_any(d, id, &t, &data, &size, why, sizeof why);
    if (rc == 1) {
        if (d->o->on_missing)
            d->o->on_missing(id, d->o->ctx);
        return 0;
    }
    if (rc == KS_ENOMEM)
        return rc;
    if (rc != 0) {
        report(d, d->dirs[0].path, id, rc, why);
        return 0;
    }
    if (!(d->types & KS_GIT_TYPE_BIT(t)))
        d->c->skipped++;
    else
        rc = emit_loose(d, id, t, data, size, d->dirs[0].path);
    ks__afree(d->a, data);
    return rc;
}

/* After a walk: a wanted id handed out by nobody (here, nor in another repository) and held by no pack and
 * no directory is absent; one that is held was reported when it failed to read. */
static int check_missing(const uint8_t id[KS_GIT_ID_LEN], void *ctx)
{
    odb *d = ctx;
    if (ks__git_idset_has(d->seen, id))
        return 0;
    uint32_t pos;
    for (size_t i = 0; i < d->npacks; i++)
        if (ks__git_idx_find(ks__git_pack_index(d->packs[i]), id, &pos))
            return 0;
    char hex[KS_GIT_HEX_LEN + 1], name[KS_GIT_HEX_LEN + 2];
    ks__git_id_hex(id, hex);
    snprintf(name, sizeof name, "%.2s/%s", hex, hex + 2);
    for (size_t i = 0; i < d->ndirs; i++) {
        struct stat st;
        char *path = ks__apath_join(d->a, d->dirs[i].path, name);
        int there = path && stat(path, &st) == 0;
        ks__afree(d->a, path);
        if (there || !path)
            return 0;
    }
    d->o->on_missing(id, d->o->ctx);
    return 0;
}

/* Few enough wanted ids to look each up: a walk reads every object of every pack. */
static int few_wanted(const odb *d)
{
    uint64_t packed = 0;
    for (size_t i = 0; i < d->npacks; i++)
        packed += ks__git_pack_count(d->packs[i]);
    size_t n = ks__git_idset_count(d->o->want);
    return n <= 1024 || (uint64_t)n * 16 <= packed;
}

int ks__git_read_objects(const char *objects_dir, const ks_git_read_options *o, ks_git_counts *counts)
{
    if (!objects_dir || !o || o->size < sizeof *o || !o->on_object)
        return KS_EINVAL;
    ks_git_counts scratch = {0};
    odb d = {.a = o->allocator, .o = o, .c = counts ? counts : &scratch};
    d.types = o->types ? o->types : KS_GIT_TYPE_BIT(KS_GIT_BLOB);
    int rc = ks__git_reader_init(&d.r, d.a, o->max_object);
    if (rc != 0)
        return rc;
    d.r.find_base = find_base;
    d.r.find_ctx = &d;
    d.seen = o->seen ? o->seen : o->lanes > 1 ? ks__git_idset_new_shared(d.a) : ks__git_idset_new(d.a);
    if (!d.seen) {
        ks__git_reader_fini(&d.r);
        return KS_ENOMEM;
    }
    rc = add_dir(&d, objects_dir, 0);
    for (size_t i = 0; i < d.ndirs && rc == 0; i++)
        rc = open_packs(&d, d.dirs[i].path);
    ks_git_walk_options wo = {d.types, o->base_budget, o->verify, d.seen, o->on_object, o->on_problem, o->ctx,
                              o->want, o->lanes, 0};
    if (rc == 0 && o->want && few_wanted(&d)) {
        rc = ks__git_idset_each(o->want, pick_one, &d);
    } else {
        for (size_t i = 0; i < d.npacks && rc == 0; i++)
            rc = ks__git_pack_walk(d.packs[i], &d.r, &wo, d.c);
        for (size_t i = 0; i < d.ndirs && rc == 0; i++)
            rc = read_loose(&d, d.dirs[i].path);
        const ks_git_idset *expect = o->expect ? o->expect : o->want;
        if (rc == 0 && expect && o->on_missing)
            rc = ks__git_idset_each(expect, check_missing, &d);
    }
    for (size_t i = 0; i < d.npacks; i++)
        ks__git_pack_close(d.packs[i]);
    ks__afree(d.a, d.packs);
    for (size_t i = 0; i < d.ndirs; i++)
        ks__afree(d.a, d.dirs[i].path);
    ks__afree(d.a, d.dirs);
    if (!o->seen)
        ks__git_idset_free(d.seen);
    ks__git_reader_fini(&d.r);
    return rc;
}
