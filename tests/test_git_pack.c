/* test_git_pack.c: the git object store reader (io/git_*.c) against git itself: loose and packed repositories, long delta
 * chains, thin packs fixed with index-pack, damaged packs and indexes; and synthesized packs for what git never writes. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "git_delta.h"
#include "git_idset.h"
#include "git_odb.h"
#include "git_pack.h"
#include "git_synth.h"
#include "git_sh.h"
#include "hang.h"
#include "hash.h"
#include "helpers.h"

/* ---- a repository in a temporary directory, driven by git ---- */

static char dir[64];

static void mk(void)
{
    git_sh_mkdir(dir, "ks-gitpack");
}

static void rm(void)
{
    git_sh_rmdir(dir);
}

TestSuite(git_pack, .init = mk, .fini = rm, .timeout = KS_HANG_S(300));

#define sh(...) git_sh(dir, __VA_ARGS__)

static void init_repo(void)
{
    sh("git init -q -b main . && git config gc.auto 0 && git config core.compression 6");
}

/* A history: files added, changed and deleted, a secret committed and then removed, binary and empty files. */
static void some_history(void)
{
    init_repo();
    sh("printf 'hello\\n' > a.txt && printf '' > empty && head -c 3000 /dev/zero | tr '\\0' 'z' > z.txt && "
       "git add -A && git commit -q -m one");
    sh("printf 'aws_secret = AKIAABCDEFGHIJKLMNOP\\n' > secret.env && git add -A && git commit -q -m two");
    sh("git rm -q secret.env && printf 'hello again\\n' >> a.txt && mkdir -p d/e && "
       "printf '\\0\\1\\2\\377binary' > d/e/bin && git add -A && git commit -q -m three");
    sh("for i in $(seq 1 20); do printf 'line %%d of the log\\n' $i >> d/log.txt; git add -A; "
       "git commit -q -m log$i; done");
}

/* ---- what git says the blobs are, and what the reader hands out ---- */

typedef struct blob {
    uint8_t id[20];
    uint64_t hash; /* FNV-1a of the content */
    size_t size;
} blob;

typedef struct blobs {
    blob *v;
    size_t n, cap;
    ks_git_counts counts;
    unsigned long problems;
    char last_problem[512];
    uint64_t offsets[16]; /* of the first problems */
} blobs;

static void add_blob(blobs *b, const uint8_t *id, const uint8_t *data, size_t size)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
        cr_assert_not_null(b->v);
    }
    blob *x = &b->v[b->n++];
    memcpy(x->id, id, 20);
    x->hash = ks__fnv1a(KS_FNV_OFFSET, data, size);
    x->size = size;
}

static int by_id(const void *x, const void *y)
{
    return memcmp(((const blob *)x)->id, ((const blob *)y)->id, 20);
}

/* git cat-file --batch-all-objects --batch: every blob with its content. */
static blobs git_blobs(const char *objects_parent)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && GIT_CONFIG_NOSYSTEM=1 git cat-file --batch-all-objects --batch", objects_parent);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    blobs b = {0};
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char hex[41], type[16];
        size_t size;
        cr_assert_eq(sscanf(line, "%40s %15s %zu", hex, type, &size), 3, "cat-file said: %s", line);
        uint8_t *data = malloc(size + 1);
        cr_assert_not_null(data);
        cr_assert_eq(fread(data, 1, size + 1, f), size + 1); /* and its newline */
        if (!strcmp(type, "blob")) {
            uint8_t id[20];
            cr_assert_eq(ks__git_hex_id(hex, id), 0);
            add_blob(&b, id, data, size);
        }
        free(data);
    }
    cr_assert_eq(pclose(f), 0);
    if (b.n)
        qsort(b.v, b.n, sizeof *b.v, by_id);
    return b;
}

static int on_blob(const ks_git_object *o, void *ctx)
{
    cr_assert_eq(o->type, KS_GIT_BLOB);
    add_blob(ctx, o->id, o->data, o->size);
    return 0;
}

static void on_problem(const ks_git_problem *pr, void *ctx)
{
    blobs *b = ctx;
    b->problems++;
    cr_assert_not_null(pr->path);
    cr_assert_not_null(pr->what);
    snprintf(b->last_problem, sizeof b->last_problem, "%s: %s", pr->path, pr->what);
    if (b->problems <= 16)
        b->offsets[b->problems - 1] = pr->offset;
}

static blobs our_blobs_with(const char *objects_dir, ks_git_read_options o)
{
    blobs b = {0};
    o.size = sizeof o;
    o.on_object = on_blob;
    o.on_problem = on_problem;
    o.ctx = &b;
    cr_assert_eq(ks__git_read_objects(objects_dir, &o, &b.counts), 0);
    cr_assert_eq(b.counts.problems, b.problems, "every problem counted is reported");
    if (b.n)
        qsort(b.v, b.n, sizeof *b.v, by_id);
    return b;
}

static blobs our_blobs(const char *objects_dir)
{
    return our_blobs_with(objects_dir, (ks_git_read_options){.verify = 1});
}

static void same_blobs(const blobs *ours, const blobs *git)
{
    for (size_t i = 1; i < ours->n; i++)
        cr_assert_neq(memcmp(ours->v[i - 1].id, ours->v[i].id, 20), 0, "a blob handed out twice");
    cr_assert_eq(ours->n, git->n, "%zu blobs read, git has %zu", ours->n, git->n);
    for (size_t i = 0; i < git->n; i++) {
        char hex[41];
        ks__git_id_hex(git->v[i].id, hex);
        cr_assert_eq(memcmp(ours->v[i].id, git->v[i].id, 20), 0, "blob %s missing", hex);
        cr_assert_eq(ours->v[i].size, git->v[i].size, "blob %s: size differs", hex);
        cr_assert_eq(ours->v[i].hash, git->v[i].hash, "blob %s: content differs", hex);
    }
}

static void repo_path(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/repo/%s", dir, rel);
}

/* The differential check of one repository: the reader's blobs are git's, verified, no problem reported. */
static blobs check_repo(void)
{
    char objects[128], repo[128];
    repo_path(objects, sizeof objects, ".git/objects");
    repo_path(repo, sizeof repo, "");
    blobs git = git_blobs(repo);
    blobs ours = our_blobs(objects);
    cr_assert_eq(ours.problems, 0, "problem: %s", ours.last_problem);
    same_blobs(&ours, &git);
    cr_assert_gt(git.n, 0);
    free(git.v);
    return ours;
}

/* ---- repositories git made ---- */

Test(git_pack, loose_objects_only)
{
    some_history();
    blobs b = check_repo();
    cr_assert_eq(b.counts.packs, 0);
    cr_assert_gt(b.counts.loose, b.n, "trees and commits are looked at too");
    cr_assert_gt(b.counts.skipped, 0, "and skipped");
    free(b.v);
}

Test(git_pack, after_gc_packed_and_loose_together_each_blob_once)
{
    some_history();
    /* keep one loose blob aside, pack everything, then put it back: the same id loose and packed */
    sh("f=$(git rev-parse HEAD:a.txt); cp .git/objects/${f%%${f#??}}/${f#??} ../kept && git gc -q && "
       "mkdir -p .git/objects/${f%%${f#??}} && cp ../kept .git/objects/${f%%${f#??}}/${f#??}");
    sh("printf 'after the gc\\n' > late.txt && git add late.txt && git commit -q -m late");
    blobs b = check_repo();
    cr_assert_eq(b.counts.packs, 1);
    cr_assert_geq(b.counts.duplicates, 1, "the blob both loose and packed is handed out once");
    free(b.v);
}

/* the longest delta chain git verify-pack reports */
static int longest_chain(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "cd %s/repo && git verify-pack -v .git/objects/pack/*.idx | sed -n 's/^chain length = \\([0-9]*\\):.*/\\1/p' "
             "| sort -n | tail -1",
             dir);
    FILE *f = popen(cmd, "r");
    int n = 0;
    cr_assert_eq(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

Test(git_pack, long_delta_chains_with_any_base_budget)
{
    init_repo();
    /* one file edited 60 times: a line replaced and one appended each time, so that each version's best base
     * is the next one and git chains them (appends alone would all delta against the newest) */
    sh("seq -f 'line %%g with some filler text to make it longer than a few bytes' 1 300 > f.txt && git add f.txt && "
       "git commit -q -m 0 && for i in $(seq 1 60); do "
       "sed -i \"$((i * 4))s/.*/changed in edit $i, and this replaces the whole line/\" f.txt; "
       "echo \"appended $i with some filler text as well\" >> f.txt; git commit -q -am e$i; done");
    sh("git repack -q -adf --depth=50 --window=50");
    cr_assert_geq(longest_chain(), 45, "the repack made long chains");
    blobs b = check_repo();
    free(b.v);

    /* a budget of one byte drops every base at once: each is rebuilt from its chain when needed */
    char objects[128], repo[128];
    repo_path(objects, sizeof objects, ".git/objects");
    repo_path(repo, sizeof repo, "");
    blobs git = git_blobs(repo);
    blobs tiny = our_blobs_with(objects, (ks_git_read_options){.verify = 1, .base_budget = 1});
    cr_assert_eq(tiny.problems, 0, "problem: %s", tiny.last_problem);
    same_blobs(&tiny, &git);
    free(tiny.v);
    free(git.v);
}

/* REF_DELTA objects of a pack, counted from their headers */
static size_t ref_deltas(const char *pack_path)
{
    char idx[512], why[256];
    snprintf(idx, sizeof idx, "%.*s.idx", (int)(strlen(pack_path) - 5), pack_path);
    ks_git_pack *p;
    cr_assert_eq(ks__git_pack_open(NULL, pack_path, idx, &p, why, sizeof why), 0, "%s", why);
    size_t n = 0;
    for (uint32_t k = 0; k < ks__git_pack_count(p); k++) {
        ks_git_pack_hdr h;
        const char *r;
        cr_assert_eq(ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &r), 0);
        n += h.type == KS_GIT_REF_DELTA;
    }
    ks__git_pack_close(p);
    return n;
}

/* The single pack-*.pack under dir/repo/.git/objects/pack. */
static void the_pack(char *out, size_t n)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/repo/.git/objects/pack/pack-*.pack", dir);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(fgets(out, (int)n, f));
    out[strcspn(out, "\n")] = '\0';
    cr_assert_null(fgets((char[256]){0}, 256, f), "one pack expected");
    pclose(f);
}

Test(git_pack, thin_pack_fixed_by_index_pack_has_ref_deltas)
{
    /* the source repository: a history of a file that deltas well */
    sh("mkdir ../src && cd ../src && git init -q -b main . && seq 1 3000 > f && git add f && git commit -q -m 0 && "
       "for i in 1 2 3 4 5 6; do echo \"change $i\" >> f && git commit -q -am c$i; done");
    /* this repository holds the first commit; a thin pack of the rest completed by --fix-thin */
    sh("git init -q -b main . && git config gc.auto 0 && git fetch -q ../src $(git -C ../src rev-parse HEAD~6) && "
       "git -C ../src rev-parse HEAD~6 > .git/refs/heads/old && git repack -q -adf && "
       "printf '%%s\\n^%%s\\n' $(git -C ../src rev-parse HEAD HEAD~6) | "
       "git -C ../src pack-objects -q --thin --stdout --revs > ../thin.pack && "
       "git index-pack --fix-thin --stdin < ../thin.pack >/dev/null && "
       "git -C ../src rev-parse HEAD > .git/refs/heads/main");
    char objects[128];
    repo_path(objects, sizeof objects, ".git/objects");
    char cmd[256], path[512];
    snprintf(cmd, sizeof cmd, "ls %s/repo/.git/objects/pack/pack-*.pack", dir);
    FILE *f = popen(cmd, "r");
    size_t refs = 0;
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = '\0';
        refs += ref_deltas(path);
    }
    pclose(f);
    cr_assert_gt(refs, 0, "index-pack --fix-thin keeps the thin deltas as REF_DELTAs");
    blobs b = check_repo();
    cr_assert_eq(b.counts.packs, 2);
    free(b.v);
}

/* ---- damage: a clear problem, named by file (and offset), the rest still read, never a crash ---- */

static void damage_the_pack(void (*damage)(const char *pack, const char *idx))
{
    char pack[512], idx[512];
    the_pack(pack, sizeof pack);
    snprintf(idx, sizeof idx, "%.*s.idx", (int)(strlen(pack) - 5), pack);
    sh("chmod u+w .git/objects/pack/*");
    damage(pack, idx);
}

/* some_history, then `then` (which packs it), its pack damaged, read back verified */
static blobs read_damaged(const char *then, void (*damage)(const char *pack, const char *idx))
{
    some_history();
    sh("%s", then);
    damage_the_pack(damage);
    char objects[128];
    repo_path(objects, sizeof objects, ".git/objects");
    return our_blobs(objects);
}

static void truncate_half(const char *pack, const char *idx)
{
    (void)idx;
    struct stat st;
    cr_assert_eq(stat(pack, &st), 0);
    cr_assert_eq(truncate(pack, st.st_size / 2), 0);
}

Test(git_pack, truncated_pack_is_one_clear_problem_and_loose_objects_still_read)
{
    blobs b = read_damaged("git gc -q && printf 'loose after\\n' > late && git add late && git commit -q -m late",
                           truncate_half);
    cr_assert_eq(b.problems, 1, "one problem: the pack");
    cr_assert(strstr(b.last_problem, ".pack"), "names the pack: %s", b.last_problem);
    cr_assert_eq(b.n, 1, "the loose blob is still read");
    free(b.v);
}

/* flips a byte in the middle of the zlib stream of the largest blob stored whole */
static uint64_t flipped_at;
static void flip_in_stream(const char *pack, const char *idx)
{
    char why[256];
    ks_git_pack *p;
    cr_assert_eq(ks__git_pack_open(NULL, pack, idx, &p, why, sizeof why), 0, "%s", why);
    uint64_t best = 0, best_len = 0;
    for (uint32_t k = 0; k < ks__git_pack_count(p); k++) {
        ks_git_pack_hdr h;
        const char *r;
        cr_assert_eq(ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &r), 0);
        if (h.type == KS_GIT_BLOB && ks__git_pack_end_at(p, k) - h.data > best_len) {
            best_len = ks__git_pack_end_at(p, k) - h.data;
            best = h.data;
            flipped_at = ks__git_pack_offset_at(p, k);
        }
    }
    ks__git_pack_close(p);
    int fd = open(pack, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t c;
    cr_assert_eq(pread(fd, &c, 1, (off_t)(best + best_len / 2)), 1);
    c ^= 0x5a;
    cr_assert_eq(pwrite(fd, &c, 1, (off_t)(best + best_len / 2)), 1);
    close(fd);
}

Test(git_pack, flipped_byte_in_a_stream_is_reported_at_its_offset_and_the_rest_is_read)
{
    some_history();
    sh("git gc -q");
    char objects[128], repo[128];
    repo_path(objects, sizeof objects, ".git/objects");
    repo_path(repo, sizeof repo, "");
    blobs git = git_blobs(repo);
    damage_the_pack(flip_in_stream);
    for (int verify = 0; verify <= 1; verify++) {
        blobs b = our_blobs_with(objects, (ks_git_read_options){.verify = verify});
        cr_assert_geq(b.problems, 1);
        cr_assert(strstr(b.last_problem, ".pack"), "%s", b.last_problem);
        cr_assert_eq(b.offsets[0], flipped_at, "the damaged object is named by its offset");
        cr_assert_lt(b.n, git.n, "the damaged blob is not handed out");
        cr_assert_gt(b.n, 0, "the others are");
        /* whatever is handed out is exactly git's */
        for (size_t i = 0, j = 0; i < b.n; i++) {
            while (j < git.n && memcmp(git.v[j].id, b.v[i].id, 20) < 0)
                j++;
            cr_assert(j < git.n && !memcmp(git.v[j].id, b.v[i].id, 20) && git.v[j].hash == b.v[i].hash);
        }
        free(b.v);
    }
    free(git.v);
}

static void fanout_decreasing(const char *pack, const char *idx)
{
    (void)pack;
    int fd = open(idx, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t big[4] = {0x7f, 0xff, 0xff, 0xff};
    cr_assert_eq(pwrite(fd, big, 4, 8 + 4 * 10), 4); /* fanout[10] above fanout[11] */
    close(fd);
}

Test(git_pack, index_whose_fanout_decreases_is_refused_by_name)
{
    blobs b = read_damaged("git gc -q", fanout_decreasing);
    cr_assert_eq(b.problems, 1);
    cr_assert(strstr(b.last_problem, "fanout"), "%s", b.last_problem);
    cr_assert_eq(b.n, 0);
    free(b.v);
}

Test(git_pack, loose_object_whose_content_is_not_its_id_is_reported_with_verify)
{
    init_repo();
    sh("printf one > a && printf two > b && git add a b && git commit -q -m x && "
       "a=$(git rev-parse HEAD:a) && b=$(git rev-parse HEAD:b) && chmod u+w .git/objects/*/* && "
       "cp .git/objects/${a%%${a#??}}/${a#??} .git/objects/${b%%${b#??}}/${b#??}");
    char objects[128];
    repo_path(objects, sizeof objects, ".git/objects");
    blobs plain = our_blobs_with(objects, (ks_git_read_options){0});
    cr_assert_eq(plain.problems, 0);
    blobs v = our_blobs(objects);
    cr_assert_eq(v.problems, 1);
    cr_assert(strstr(v.last_problem, "does not hash"), "%s", v.last_problem);
    cr_assert_eq(v.n, 2, "still handed out: its bytes are in the repository");
    free(plain.v);
    free(v.v);
}

Test(git_pack, alternates_are_read_when_asked)
{
    sh("mkdir ../other && cd ../other && git init -q -b main . && printf 'from the alternate\\n' > x && "
       "git add x && git commit -q -m x");
    init_repo();
    sh("echo '../../../other/.git/objects' > .git/objects/info/alternates && printf 'own\\n' > y && git add y && "
       "git commit -q -m y");
    char objects[128];
    repo_path(objects, sizeof objects, ".git/objects");
    blobs without = our_blobs_with(objects, (ks_git_read_options){0});
    blobs with = our_blobs_with(objects, (ks_git_read_options){.alternates = 1});
    cr_assert_eq(without.n, 1);
    cr_assert_eq(with.n, 2);
    free(without.v);
    free(with.v);
}

Test(git_pack, every_allocation_failure_is_an_error_and_leaks_nothing, .timeout = KS_HANG_S(600))
{
    some_history();
    sh("git gc -q && printf 'loose\\n' > l && git add l && git commit -q -m l");
    char objects[128];
    repo_path(objects, sizeof objects, ".git/objects");
    for (long nth = 1;; nth++) {
        blobs b = {0};
        ks_git_read_options o = {.size = sizeof o, .on_object = on_blob, .on_problem = on_problem, .ctx = &b};
        ks__fault_alloc_set(nth, 0);
        int rc = ks__git_read_objects(objects, &o, &b.counts);
        long failed = ks__fault_alloc_failures();
        ks__fault_alloc_set(0, 0);
        free(b.v);
        if (!failed) {
            cr_assert_eq(rc, 0);
            break;
        }
        /* a failure is out of memory, or reported as a problem (a loose object's zlib state, say) */
        cr_assert(rc == KS_ENOMEM || (rc == 0 && b.problems > 0), "allocation %ld failed: rc %d", nth, rc);
    }
}

/* ---- synthesized packs: what git does not write, but a hostile repository may hold ---- */

typedef struct seen_objs {
    size_t n;
    uint8_t ids[64][20];
    uint64_t hash[64];
    unsigned long problems;
    char last[256];
} seen_objs;

static int on_any(const ks_git_object *o, void *ctx)
{
    seen_objs *s = ctx;
    cr_assert_lt(s->n, 64);
    memcpy(s->ids[s->n], o->id, 20);
    s->hash[s->n++] = ks__fnv1a(KS_FNV_OFFSET, o->data, o->size);
    return 0;
}

static void on_any_problem(const ks_git_problem *pr, void *ctx)
{
    seen_objs *s = ctx;
    s->problems++;
    snprintf(s->last, sizeof s->last, "%s", pr->what);
}

/* Builds the pack and opens it over memory (sp must outlive the pack). */
static ks_git_pack *open_synth(const synth_obj *objs, size_t n, synth_pack *sp)
{
    cr_assert_eq(synth_build(objs, n, 1, sp), 0);
    char why[256];
    ks_git_pack *p;
    cr_assert_eq(ks__git_pack_open_mem(NULL, "synth.pack", sp->idx, sp->idx_len, sp->pack, sp->pack_len, &p, why,
                                       sizeof why),
                 0, "%s", why);
    return p;
}

static seen_objs walk_synth(const synth_obj *objs, size_t n, size_t budget, ks_git_reader *r_opt)
{
    synth_pack sp;
    ks_git_pack *p = open_synth(objs, n, &sp);
    ks_git_reader r;
    if (r_opt)
        r = *r_opt;
    else
        cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    seen_objs s = {0};
    ks_git_walk_options o = {.types = 0x1e, .base_budget = budget, .verify = 1, .on_object = on_any,
                             .on_problem = on_any_problem, .ctx = &s};
    ks_git_counts c = {0};
    cr_assert_eq(ks__git_pack_walk(p, &r, &o, &c), 0);
    cr_assert_eq(c.problems, s.problems);
    if (!r_opt)
        ks__git_reader_fini(&r);
    ks__git_pack_close(p);
    synth_free(&sp);
    return s;
}

/* Version i of a synthesized blob: base b's content and one more line, stored as a delta (type 6 or 7) on b. */
static void synth_version(synth_obj *o, uint8_t **content, size_t *clen, size_t i, size_t b, int type,
                          const char *line)
{
    size_t l = strlen(line);
    clen[i] = clen[b] + l;
    content[i] = malloc(clen[i]);
    memcpy(content[i], content[b], clen[b]);
    memcpy(content[i] + clen[b], line, l);
    synth_obj whole = {.type = 3, .data = content[i], .len = clen[i]};
    synth_hash_whole(&whole);
    size_t dl;
    uint8_t *d = synth_delta(content[b], clen[b], content[i], clen[i], 1, &dl);
    o[i] = (synth_obj){.type = type, .data = d, .len = dl, .base = (int)b};
    memcpy(o[i].id, whole.id, 20);
}

static void free_versions(synth_obj *o, uint8_t **content, size_t *clen, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(content[i]);
        if (i)
            free((void *)o[i].data);
    }
    free(o);
    free(content);
    free(clen);
}

Test(git_pack, a_chain_three_thousand_deep_with_a_branch_resolves_without_recursion)
{
    enum { DEPTH = 3000 };
    synth_obj *o = calloc(DEPTH + 2, sizeof *o);
    uint8_t **content = calloc(DEPTH + 2, sizeof *content);
    size_t *clen = calloc(DEPTH + 2, sizeof *clen);
    content[0] = (uint8_t *)strdup("v0\n");
    clen[0] = 3;
    o[0] = (synth_obj){.type = 3, .data = content[0], .len = 3};
    synth_hash_whole(&o[0]);
    for (size_t i = 1; i <= DEPTH + 1; i++) {
        /* object DEPTH+1 branches off object 10: a base with two children */
        size_t b = i == DEPTH + 1 ? 10 : i - 1;
        char buf[64];
        snprintf(buf, sizeof buf, "v%zu\n", i);
        synth_version(o, content, clen, i, b, i % 2 ? 6 : 7, buf);
    }
    synth_pack sp;
    ks_git_pack *p = open_synth(o, DEPTH + 2, &sp);
    char why[256];
    ks_git_reader r;
    cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    /* the default budget holds the branch point's base; one byte drops it and rebuilds it from its chain; on 3
     * lanes, a unit per branch (the second child's unit reads its base's chain, 10 deep, again), the same order */
    for (size_t budget = 0; budget <= 1; budget++) {
        blobs one = {0};
        for (unsigned lanes = 1; lanes <= 3; lanes += 2) {
            blobs b = {0};
            ks_git_walk_options wo = {.types = 0x1e, .base_budget = budget, .verify = 1, .on_object = on_blob,
                                      .on_problem = on_problem, .ctx = &b, .lanes = lanes, .group_bytes = 1};
            ks_git_counts c = {0};
            cr_assert_eq(ks__git_pack_walk(p, &r, &wo, &c), 0);
            cr_assert_eq(c.problems, 0, "%s", b.last_problem);
            cr_assert_eq(b.n, DEPTH + 2);
            if (lanes == 1) {
                one = b;
                continue;
            }
            for (size_t i = 0; i < b.n; i++)
                cr_assert(!memcmp(b.v[i].id, one.v[i].id, 20) && b.v[i].hash == one.v[i].hash,
                          "object %zu on 3 lanes is not one lane's", i);
            free(b.v);
        }
        free(one.v);
    }
    /* and random access to the deepest one */
    ks_git_type t;
    uint8_t *data;
    size_t size;
    cr_assert_eq(ks__git_pack_read(p, &r, sp.offsets[DEPTH], &t, &data, &size, why, sizeof why), 0, "%s", why);
    cr_assert_eq(t, KS_GIT_BLOB);
    cr_assert_eq(size, clen[DEPTH]);
    cr_assert_eq(memcmp(data, content[DEPTH], size), 0);
    free(data);
    ks__git_reader_fini(&r);
    ks__git_pack_close(p);
    synth_free(&sp);
    free_versions(o, content, clen, DEPTH + 2);
}

Test(git_pack, a_pack_shaped_to_rebuild_bases_forever_stops_at_the_rebuild_bound)
{
    /* a chain D deep whose every object also has a leaf: with a budget below one object, each base is dropped
     * on the way down and rebuilt from the root on the way up, D * D / 2 rebuilds of 64 KiB objects (about
     * 130 GB of copying) unless rebuilding is bounded */
    enum { D = 2000, BIG = 64 << 10 };
    synth_obj *o = calloc(2 * D + 1, sizeof *o);
    size_t len = BIG;
    uint8_t *prev = malloc(len);
    uint64_t st = 42;
    for (size_t i = 0; i < len; i++)
        prev[i] = (uint8_t)(rnd_next(&st) >> 32);
    o[0] = (synth_obj){.type = 3, .data = prev, .len = len};
    uint8_t *root = prev;
    for (size_t i = 1; i <= D; i++) {
        uint8_t *next = malloc(len + 8);
        memcpy(next, prev, len);
        memcpy(next + len, "next\n...", 8);
        size_t dl;
        o[2 * i - 1] = (synth_obj){.type = 6, .base = i == 1 ? 0 : (int)(2 * i - 3)};
        o[2 * i - 1].data = synth_delta(prev, len, next, len + 8, 1, &dl);
        o[2 * i - 1].len = dl;
        memcpy(next + len, "leaf\n...", 8);
        o[2 * i] = (synth_obj){.type = 6, .base = o[2 * i - 1].base};
        o[2 * i].data = synth_delta(prev, len, next, len + 8, 1, &dl);
        o[2 * i].len = dl;
        if (prev != root)
            free(prev);
        memcpy(next + len, "next\n...", 8);
        prev = next;
        len += 8;
    }
    free(prev);
    for (size_t i = 0; i <= 2 * D; i++) {
        memcpy(o[i].id, &i, sizeof i);
        o[i].id[19] = 1;
    }
    synth_pack sp;
    ks_git_pack *p = open_synth(o, 2 * D + 1, &sp);
    ks_git_reader r;
    cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    blobs b = {0};
    ks_git_walk_options wo = {.types = 0x1e, .base_budget = 1, .on_object = on_blob, .on_problem = on_problem,
                              .ctx = &b};
    ks_git_counts c = {0};
    cr_assert_eq(ks__git_pack_walk(p, &r, &wo, &c), 0);
    cr_assert_gt(c.problems, 0);
    cr_assert(strstr(b.last_problem, "raise the base budget"), "%s", b.last_problem);
    cr_assert_gt(b.n, D, "the chain itself is read");
    cr_assert_eq(c.objects + c.problems, 2 * D + 1, "every object read or reported once");
    free(b.v);
    ks__git_reader_fini(&r);
    ks__git_pack_close(p);
    synth_free(&sp);
    free(root);
    for (size_t i = 1; i <= 2 * D; i++)
        free((void *)o[i].data);
    free(o);
}

Test(git_pack, a_cycle_of_ref_deltas_is_reported_not_followed)
{
    uint8_t d1[] = {3, 3, 0x90, 3}; /* base 3 bytes, result 3 bytes: copy 3 from 0 */
    synth_obj o[3] = {
        {.type = 7, .data = d1, .len = sizeof d1, .base = 1, .id = {1}},
        {.type = 7, .data = d1, .len = sizeof d1, .base = 0, .id = {2}},
        {.type = 3, .data = (const uint8_t *)"abc", .len = 3},
    };
    synth_hash_whole(&o[2]);
    seen_objs s = walk_synth(o, 3, 0, NULL);
    cr_assert_eq(s.n, 1, "the whole blob is read");
    cr_assert_eq(s.problems, 2, "each object of the cycle reported");
    cr_assert(strstr(s.last, "loops"), "%s", s.last);
}

static int outside_base(void *ctx, const uint8_t id[20], ks_git_type *type, uint8_t **data, size_t *size, char *why,
                        size_t why_len)
{
    (void)ctx;
    if (id[0] != 0xee) {
        snprintf(why, why_len, "no such base");
        return KS_ECORRUPT;
    }
    *type = KS_GIT_BLOB;
    *data = (uint8_t *)strdup("outside");
    *size = 7;
    return 0;
}

Test(git_pack, ref_delta_bases_outside_the_pack_come_from_the_lookup_or_are_reported)
{
    uint8_t d[] = {7, 10, 0x90, 7, 3, 'x', 'y', 'z'}; /* "outside" + "xyz" */
    synth_obj o[2] = {
        {.type = 7, .data = d, .len = sizeof d, .base = -1, .ref_id = {0xee}},
        {.type = 7, .data = d, .len = sizeof d, .base = -1, .ref_id = {0xdd}},
    };
    synth_obj whole = {.type = 3, .data = (const uint8_t *)"outsidexyz", .len = 10};
    synth_hash_whole(&whole);
    memcpy(o[0].id, whole.id, 20);
    memset(o[1].id, 0x11, 20);
    ks_git_reader r;
    cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    r.find_base = outside_base;
    seen_objs s = walk_synth(o, 2, 0, &r);
    ks__git_reader_fini(&r);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.hash[0], ks__fnv1a(KS_FNV_OFFSET, "outsidexyz", 10));
    cr_assert_eq(s.problems, 1, "the missing base named: %s", s.last);
    cr_assert(strstr(s.last, "no such base"), "%s", s.last);
}

Test(git_pack, large_offsets_sizes_that_lie_and_types_not_asked_for)
{
    synth_obj o[4] = {
        {.type = 3, .data = (const uint8_t *)"big offset", .len = 10, .large_offset = 1},
        {.type = 3, .data = (const uint8_t *)"liar", .len = 4, .size_override = 5},
        {.type = 3, .data = (const uint8_t *)"huge", .len = 4, .size_override = (uint64_t)1 << 40},
        {.type = 2, .data = (const uint8_t *)"", .len = 0},
    };
    for (int i = 0; i < 4; i++)
        synth_hash_whole(&o[i]);
    seen_objs s = walk_synth(o, 4, 0, NULL);
    cr_assert_eq(s.n, 2, "the large-offset blob and the empty tree");
    cr_assert_eq(s.problems, 2, "the size that lies, and the one over the object limit");
}

/* ---- the parts alone ---- */

Test(git_pack, delta_application_refuses_every_out_of_bounds_op)
{
    const uint8_t base[] = "0123456789";
    uint8_t out[32];
    const char *why;
    struct {
        uint8_t d[16];
        size_t len, out_len;
        int ok;
    } cases[] = {
        {{10, 5, 0x91, 2, 5}, 5, 5, 1},              /* copy 5 from 2 */
        {{10, 5, 0x91, 6, 5}, 5, 5, 0},              /* copy past the base */
        {{10, 5, 0x91, 2, 5, 1, 'x'}, 7, 5, 0},      /* writes past the result */
        {{10, 5, 0x91, 2, 4}, 5, 5, 0},              /* result short */
        {{10, 5, 0}, 3, 5, 0},                       /* op 0 */
        {{10, 5, 5, 'a', 'b'}, 5, 5, 0},             /* insert cut short */
        {{10, 5, 0x91, 2}, 4, 5, 0},                 /* copy cut short */
        {{9, 5, 0x91, 2, 5}, 5, 5, 0},               /* base size mismatch */
        {{10, 6, 0x91, 2, 5}, 5, 5, 0},              /* result size mismatch */
        {{10, 0x80}, 2, 5, 0},                       /* sizes cut short */
        {{10, 3, 0x90, 0, 3}, 3, 3, 0},              /* a copy of size 0 means 0x10000: past the base */
        {{10, 2, 0x81, 8}, 4, 2, 1},                 /* offset only: size 0 is 0x10000 -> past: refused below */
    };
    cases[11].ok = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = ks__git_delta_apply(base, 10, cases[i].d, cases[i].len, out, cases[i].out_len, &why);
        cr_assert_eq(rc == 0, cases[i].ok, "case %zu: %s", i, rc ? why : "accepted");
    }
    cr_assert_eq(ks__git_delta_apply(base, 10, cases[0].d, 5, out, 5, &why), 0);
    cr_assert_eq(memcmp(out, "23456", 5), 0);
}

/* The reference: one byte at a time, as the format reads. */
static size_t apply_by_bytes(const uint8_t *base, const uint8_t *d, size_t len, size_t i, uint8_t *out)
{
    size_t o = 0;
    while (i < len) {
        uint8_t op = d[i++];
        if (op & 0x80) {
            size_t off = 0, n = 0;
            for (unsigned b = 0; b < 7; b++)
                if (op & (1u << b))
                    *(b < 4 ? &off : &n) |= (size_t)d[i++] << (8 * (b < 4 ? b : b - 4));
            for (size_t k = 0; k < (n ? n : 0x10000); k++)
                out[o++] = base[off + k];
        } else {
            for (size_t k = 0; k < op; k++)
                out[o++] = d[i++];
        }
    }
    return o;
}

/* Inserts are copied in whole 16-byte words while 128 bytes are left on both sides: what a word writes past an
 * insert's end is written again by the next op, and nothing is written past the result (an exact-size heap buffer,
 * which the sanitizer build watches). */
Test(git_pack, deltas_of_short_inserts_and_copies_apply_exactly_to_their_last_byte)
{
    uint8_t base[4096];
    for (size_t i = 0; i < sizeof base; i++)
        base[i] = (uint8_t)(i * 131 + 7);
    srand(42);
    for (int round = 0; round < 2000; round++) {
        uint8_t d[8192], want[65536];
        size_t len = 0, out_len = 0;
        int ops = 1 + rand() % 60;
        /* the sizes, filled in after: two varints of at most 3 bytes each, kept at 3 */
        len = 6;
        for (int k = 0; k < ops && len < sizeof d - 140; k++) {
            if (rand() % 3) {
                uint8_t n = (uint8_t)(1 + rand() % 127);
                d[len++] = n;
                for (uint8_t j = 0; j < n; j++)
                    d[len++] = (uint8_t)rand();
                out_len += n;
            } else {
                size_t off = (size_t)rand() % 4000, n = 1 + (size_t)rand() % (sizeof base - off < 1000 ? sizeof base - off : 1000);
                d[len++] = 0x80 | 0x01 | 0x02 | 0x10 | 0x20;
                d[len++] = (uint8_t)off;
                d[len++] = (uint8_t)(off >> 8);
                d[len++] = (uint8_t)n;
                d[len++] = (uint8_t)(n >> 8);
                out_len += n;
            }
        }
        uint64_t sizes[2] = {sizeof base, out_len};
        for (int v = 0; v < 2; v++) {
            uint64_t x = sizes[v];
            for (int b = 0; b < 3; b++, x >>= 7)
                d[3 * v + b] = (uint8_t)((x & 0x7f) | (b < 2 ? 0x80 : 0));
        }
        cr_assert_eq(apply_by_bytes(base, d, len, 6, want), out_len);
        uint8_t *out = malloc(out_len ? out_len : 1);
        const char *why = NULL;
        cr_assert_eq(ks__git_delta_apply(base, sizeof base, d, len, out, out_len, &why), 0, "round %d: %s", round, why);
        cr_assert_eq(memcmp(out, want, out_len), 0, "round %d: the result differs", round);
        free(out);
    }
}

Test(git_pack, idset_keeps_each_id_once_across_growth)
{
    ks_git_idset *s = ks__git_idset_new(NULL);
    cr_assert_not_null(s);
    uint8_t id[20] = {0};
    for (uint32_t i = 0; i < 100000; i++) {
        memcpy(id, &i, 4);
        cr_assert_eq(ks__git_idset_add(s, id), 1);
    }
    for (uint32_t i = 0; i < 100000; i += 7) {
        memcpy(id, &i, 4);
        cr_assert_eq(ks__git_idset_add(s, id), 0);
        cr_assert(ks__git_idset_has(s, id));
    }
    uint32_t none = 100000;
    memcpy(id, &none, 4);
    cr_assert_not(ks__git_idset_has(s, id));
    cr_assert_eq(ks__git_idset_count(s), 100000);
    ks__git_idset_free(s);
}

/* ---- lanes: one pack's delta trees on several threads, handed out as one thread hands them out ---- */

/* What a walk showed, in order: each object (its id, type, offset and content's hash) and each problem. */
typedef struct shown {
    char *log;
    size_t len, cap;
    unsigned long objects, problems;
    unsigned long stop_after; /* on_object stops the walk after this many (0: never) */
} shown;

static void show(shown *s, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->len + (size_t)n + 1 > s->cap) {
        s->cap = (s->len + (size_t)n + 1) * 2;
        s->log = realloc(s->log, s->cap);
        cr_assert_not_null(s->log);
    }
    memcpy(s->log + s->len, line, (size_t)n + 1);
    s->len += (size_t)n;
}

static int show_object(const ks_git_object *o, void *ctx)
{
    shown *s = ctx;
    char hex[41];
    ks__git_id_hex(o->id, hex);
    show(s, "%s %d @%llu %zu %016llx\n", hex, (int)o->type, (unsigned long long)o->offset, o->size,
         (unsigned long long)ks__fnv1a(KS_FNV_OFFSET, o->data, o->size));
    s->objects++;
    return s->stop_after && s->objects >= s->stop_after;
}

static void show_problem(const ks_git_problem *pr, void *ctx)
{
    shown *s = ctx;
    s->problems++;
    show(s, "problem @%lld %d %s\n", pr->offset == KS_GIT_NO_OFFSET ? -1LL : (long long)pr->offset, pr->code, pr->what);
}

/* Walks the repository's one pack: every type, with `lanes` threads and groups of about `group` packed bytes. */
static shown walk_lanes_fault(unsigned lanes, uint64_t group, unsigned long stop_after, int *rc, ks_git_counts *c,
                             long fault_nth, int persistent, long *failed)
{
    char pack[256], idx[256], why[256];
    the_pack(pack, sizeof pack);
    snprintf(idx, sizeof idx, "%.*s.idx", (int)(strlen(pack) - 5), pack);
    ks_git_pack *p;
    cr_assert_eq(ks__git_pack_open(NULL, pack, idx, &p, why, sizeof why), 0, "%s", why);
    ks_git_reader r;
    cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    shown s = {.stop_after = stop_after};
    ks_git_walk_options o = {.types = 0x1e, .verify = 1, .on_object = show_object, .on_problem = show_problem,
                             .ctx = &s, .lanes = lanes, .group_bytes = group};
    memset(c, 0, sizeof *c);
    ks__fault_alloc_set(fault_nth, persistent);
    *rc = ks__git_pack_walk(p, &r, &o, c);
    if (failed)
        *failed = ks__fault_alloc_failures();
    ks__fault_alloc_set(0, 0);
    ks__git_reader_fini(&r);
    ks__git_pack_close(p);
    return s;
}

static shown walk_lanes(unsigned lanes, uint64_t group, unsigned long stop_after, int *rc, ks_git_counts *c)
{
    return walk_lanes_fault(lanes, group, stop_after, rc, c, 0, 0, NULL);
}

static void same_as_one_lane(unsigned long stop_after)
{
    int rc1;
    ks_git_counts c1;
    shown one = walk_lanes(1, 0, stop_after, &rc1, &c1);
    cr_assert_gt(one.objects, stop_after ? stop_after - 1 : 60, "a history of many objects");
    const unsigned lanes[] = {2, 3, 8};
    const uint64_t groups[] = {1, 4096, 0}; /* a group per root, a few roots each, the default (one group here) */
    for (size_t i = 0; i < 3; i++)
        for (size_t g = 0; g < 3; g++) {
            int rc;
            ks_git_counts c;
            shown s = walk_lanes(lanes[i], groups[g], stop_after, &rc, &c);
            cr_assert_eq(rc, rc1, "%u lanes, groups of %llu: rc %d", lanes[i], (unsigned long long)groups[g], rc);
            cr_assert_eq(s.len, one.len, "%u lanes, groups of %llu", lanes[i], (unsigned long long)groups[g]);
            cr_assert(memcmp(s.log, one.log, one.len) == 0, "%u lanes: not what one lane shows, in its order",
                      lanes[i]);
            if (!stop_after) { /* stopped, lanes ahead may have counted what was never handed out */
                cr_assert_eq(c.objects, c1.objects);
                cr_assert_eq(c.bytes, c1.bytes);
                cr_assert_eq(c.problems, c1.problems);
                cr_assert_eq(c.skipped, c1.skipped);
            }
            free(s.log);
        }
    free(one.log);
}

Test(git_pack, lanes_hand_out_what_one_thread_does_in_its_order)
{
    some_history();
    sh("for i in $(seq 1 12); do seq -f \"file $i line %%g, some text to delta against\" 1 $((i * 40)) > f$i.txt; done && "
       "git add -A && git commit -q -m files && for e in $(seq 1 15); do for i in 3 7 11; do "
       "sed -i \"${e}s/.*/edit $e of file $i/\" f$i.txt; done; git commit -q -am edit$e; done");
    sh("git repack -q -adf --depth=50 --window=50");
    cr_assert_geq(longest_chain(), 10);
    same_as_one_lane(0);
}

Test(git_pack, lanes_report_a_damaged_object_where_one_thread_does)
{
    some_history();
    sh("git gc -q");
    damage_the_pack(flip_in_stream);
    int rc;
    ks_git_counts c;
    shown one = walk_lanes(1, 0, 0, &rc, &c);
    cr_assert_geq(one.problems, 1);
    free(one.log);
    same_as_one_lane(0);
}

Test(git_pack, lanes_stop_when_the_callback_says_so)
{
    some_history();
    sh("git gc -q");
    for (unsigned long after = 1; after <= 9; after += 4) {
        int rc;
        ks_git_counts c;
        shown s = walk_lanes(3, 1, after, &rc, &c);
        cr_assert_eq(rc, KS_ETERMINATED);
        cr_assert_eq(s.objects, after, "nothing handed out after the callback said stop");
        free(s.log);
        same_as_one_lane(after);
    }
}

Test(git_pack, lanes_every_allocation_failure_is_an_error_and_leaks_nothing, .timeout = KS_HANG_S(600))
{
    some_history();
    sh("git gc -q");
    for (long nth = 1;; nth++) {
        int rc;
        long failed;
        ks_git_counts c;
        shown s = walk_lanes_fault(3, 1, 0, &rc, &c, nth, 0, &failed);
        free(s.log);
        if (!failed) {
            cr_assert_eq(rc, 0);
            break;
        }
        cr_assert(rc == KS_ENOMEM || (rc == 0 && s.problems > 0), "allocation %ld failed: rc %d", nth, rc);
    }
    /* every allocation from the nth on failing: a lane that cannot even queue its end stops there (its one
     * spare item queued once), and the walk says so */
    for (long nth = 1; nth < 400; nth += 7) {
        int rc;
        long failed;
        ks_git_counts c;
        shown s = walk_lanes_fault(3, 1, 0, &rc, &c, nth, 1, &failed);
        free(s.log);
        cr_assert(rc == KS_ENOMEM || (rc == 0 && !failed), "allocations from %ld on failed: rc %d", nth, rc);
    }
}

/* A comb: a chain of versions, each also the base of a leaf (a branch at every level). Cut at every branch, each
 * unit below the root would read its chain again from the root: the square of the depth. What lanes read again
 * stays under what they hand out, and they hand out what one lane does, in its order. */
Test(git_pack, r_lanes_comb_shaped_chain_reads_again_no_more_than_it_hands_out)
{
    enum { LEVELS = 400, N = 2 * LEVELS + 1 };
    synth_obj *o = calloc(N, sizeof *o);
    uint8_t **content = calloc(N, sizeof *content);
    size_t *clen = calloc(N, sizeof *clen);
    clen[0] = 2048;
    content[0] = malloc(clen[0]);
    for (size_t i = 0; i < clen[0]; i++)
        content[0][i] = (uint8_t)('a' + i % 23);
    o[0] = (synth_obj){.type = 3, .data = content[0], .len = clen[0]};
    synth_hash_whole(&o[0]);
    for (size_t i = 1; i < N; i++) {
        /* odd: the chain's next version (base: the previous chain object); even: a leaf on the chain object before */
        size_t b = i % 2 ? (i == 1 ? 0 : i - 2) : i - 1;
        char buf[32];
        snprintf(buf, sizeof buf, "%s %zu\n", i % 2 ? "next" : "leaf", i);
        synth_version(o, content, clen, i, b, 6, buf);
    }
    synth_pack sp;
    ks_git_pack *p = open_synth(o, N, &sp);
    ks_git_reader r;
    cr_assert_eq(ks__git_reader_init(&r, NULL, 0), 0);
    blobs one = {0};
    for (unsigned lanes = 1; lanes <= 3; lanes += 2) {
        blobs b = {0};
        ks_git_walk_options wo = {.types = 0x1e, .verify = 1, .on_object = on_blob, .on_problem = on_problem,
                                  .ctx = &b, .lanes = lanes, .group_bytes = 1};
        ks_git_counts c = {0};
        cr_assert_eq(ks__git_pack_walk(p, &r, &wo, &c), 0);
        cr_assert_eq(c.problems, 0, "%s", b.last_problem);
        cr_assert_eq(b.n, N);
        cr_assert_leq(c.reread, 2 * c.bytes, "%u lanes read %llu bytes again to hand out %llu", lanes,
                      (unsigned long long)c.reread, (unsigned long long)c.bytes);
        if (lanes == 1) {
            cr_assert_eq(c.reread, 0);
            one = b;
            continue;
        }
        cr_assert_gt(c.reread, 0, "the tree was cut");
        for (size_t i = 0; i < b.n; i++)
            cr_assert(!memcmp(b.v[i].id, one.v[i].id, 20) && b.v[i].hash == one.v[i].hash,
                      "object %zu on 3 lanes is not one lane's", i);
        free(b.v);
    }
    free(one.v);
    ks__git_reader_fini(&r);
    ks__git_pack_close(p);
    synth_free(&sp);
    free_versions(o, content, clen, N);
}

typedef struct id_seq {
    uint8_t ids[1000][20];
    size_t n;
} id_seq;

static int record_id(const uint8_t id[KS_GIT_ID_LEN], void *ctx)
{
    id_seq *q = ctx;
    cr_assert_lt(q->n, 1000);
    memcpy(q->ids[q->n++], id, 20);
    return 0;
}

/* A narrowed scan (--since-commit) reads its few blobs in the order of its set of ids, whose slots follow a
 * random key per set: the same repository gave its findings in a different order from one run to the next.
 * Each set now hands its ids out in id order. */
Test(git_pack, r_idset_each_in_id_order_whatever_its_key)
{
    static id_seq q[2];
    for (int k = 0; k < 2; k++) {
        ks_git_idset *s = ks__git_idset_new(NULL);
        cr_assert_not_null(s);
        for (uint32_t i = 0; i < 1000; i++) {
            uint32_t v = k ? 999 - i : i * 7919u % 1000u; /* the same ids, added in two orders */
            uint8_t id[20];
            memset(id, 0, sizeof id);
            id[0] = (uint8_t)(v * 37u);
            memcpy(id + 1, &v, 4);
            cr_assert_eq(ks__git_idset_add(s, id), 1);
        }
        q[k].n = 0;
        cr_assert_eq(ks__git_idset_each(s, record_id, &q[k]), 0);
        ks__git_idset_free(s);
    }
    cr_assert_eq(q[0].n, 1000);
    cr_assert_eq(q[1].n, 1000);
    for (size_t i = 0; i < 1000; i++) {
        cr_assert(memcmp(q[0].ids[i], q[1].ids[i], 20) == 0, "id %zu differs between the two sets", i);
        cr_assert(i == 0 || memcmp(q[0].ids[i - 1], q[0].ids[i], 20) < 0, "not in id order at %zu", i);
    }
}
