/* fuzz_git_pack.c: libFuzzer target for the git object readers: an (idx, pack) pair as given, a pack synthesized from a
 * fuzzed list of objects (deltas, chains, cycles, outside bases, sizes that lie), a delta applied alone, and a loose
 * object; every commit handed out is parsed as the walks over history parse it. Byte 0 picks which; every object handed out must be whole, and nothing may read or write out of bounds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "git_commit_read.h"
#include "git_delta.h"
#include "git_loose.h"
#include "git_pack.h"
#include "git_synth.h"

#define MAX_OBJECT (1u << 20)
#define MAX_OBJS 64

static int on_object(const ks_git_object *o, void *ctx)
{
    (void)ctx;
    if (o->type < KS_GIT_COMMIT || o->type > KS_GIT_TAG || (o->size && !o->data)) {
        fprintf(stderr, "object handed out with type %d, size %zu\n", o->type, o->size);
        abort();
    }
    /* touch every byte: ASan catches a buffer shorter than its size */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < o->size; i++)
        x ^= o->data[i];
    (void)x;
    /* a commit's header as the walks over history read it (git_commit_read.c): a parent line is 48 bytes */
    if (o->type == KS_GIT_COMMIT) {
        ks_git_commit_info c = {0};
        int rc = ks__git_commit_parse(o->data, o->size, NULL, &c);
        if ((rc != 0 && rc != -1) || (rc == 0 && c.n_parents > o->size / 48))
            abort();
        ks__git_commit_info_free(NULL, &c);
    }
    return 0;
}

static void on_problem(const ks_git_problem *pr, void *ctx)
{
    (void)ctx;
    if (!pr->path || !pr->what || !*pr->what)
        abort();
}

static int outside(void *ctx, const uint8_t id[KS_GIT_ID_LEN], ks_git_type *type, uint8_t **data, size_t *size,
                   char *why, size_t why_len)
{
    (void)ctx;
    if (id[0] != 0xee) {
        snprintf(why, why_len, "no base");
        return KS_ECORRUPT;
    }
    *type = KS_GIT_BLOB;
    *size = 16;
    *data = malloc(16);
    if (!*data)
        return KS_ENOMEM;
    memcpy(*data, "0123456789abcdef", 16);
    return 0;
}

/* Walks the pack with a small base budget (rebuilds happen), then reads its first objects by offset. */
static void exercise(const uint8_t *idx, size_t idx_len, const uint8_t *pack, size_t pack_len, int verify)
{
    char why[256];
    ks_git_pack *p;
    if (ks__git_pack_open_mem(NULL, "fuzz.pack", idx, idx_len, pack, pack_len, &p, why, sizeof why) != 0)
        return;
    ks_git_reader r;
    if (ks__git_reader_init(&r, NULL, MAX_OBJECT) != 0)
        abort();
    r.find_base = outside;
    ks_git_walk_options o = {.types = 0x1e, .base_budget = 64, .verify = verify, .on_object = on_object,
                             .on_problem = on_problem};
    ks_git_counts c = {0};
    int rc = ks__git_pack_walk(p, &r, &o, &c);
    if (rc != 0 && rc != KS_ENOMEM)
        abort();
    /* each object is handed out or reported (or both: verify reports a wrong id and still hands it out) */
    if (c.objects + c.problems < ks__git_pack_count(p)) {
        fprintf(stderr, "%llu objects and %llu problems of %u\n", (unsigned long long)c.objects,
                (unsigned long long)c.problems, ks__git_pack_count(p));
        abort();
    }
    for (uint32_t k = 0; k < ks__git_pack_count(p) && k < 16; k++) {
        ks_git_type t;
        uint8_t *data;
        size_t size;
        if (ks__git_pack_read(p, &r, ks__git_pack_offset_at(p, k), &t, &data, &size, why, sizeof why) == 0) {
            ks_git_object obj = {NULL, t, data, size, NULL, 0};
            on_object(&obj, NULL);
            free(data);
        }
    }
    ks__git_reader_fini(&r);
    ks__git_pack_close(p);
}

/* Objects described by the input: [kind][base][len][len bytes]..., with ids made up so that REF_DELTAs can hit. */
static void synthesized(const uint8_t *d, size_t n, int verify)
{
    synth_obj objs[MAX_OBJS];
    size_t k = 0;
    memset(objs, 0, sizeof objs);
    while (n >= 3 && k < MAX_OBJS) {
        uint8_t kind = d[0], base = d[1];
        size_t len = d[2] < n - 3 ? d[2] : n - 3;
        synth_obj *o = &objs[k];
        o->data = d + 3;
        o->len = len;
        o->id[0] = (uint8_t)k;
        o->id[1] = base;
        switch (kind % 8) {
        case 4:
            o->type = k ? 6 : 3;
            o->base = k ? base % (int)k : 0;
            break;
        case 5:
            o->type = 7;
            o->base = base % MAX_OBJS; /* may be itself, later, or beyond the list (then clamped) */
            break;
        case 6:
            o->type = 7;
            o->base = -1;
            o->ref_id[0] = base & 1 ? 0xee : base;
            break;
        case 7:
            o->type = 3;
            o->size_override = (uint64_t)base << (base % 40);
            break;
        default:
            o->type = kind % 4 + 1;
        }
        o->large_offset = kind >> 7;
        d += 3 + len;
        n -= 3 + len;
        k++;
    }
    for (size_t i = 0; i < k; i++) {
        if (objs[i].type == 7 && objs[i].base >= (int)k)
            objs[i].base = (int)(objs[i].base % (int)k);
        /* ids must be unique for an index; whole objects sometimes get their real one */
        if (objs[i].type <= 4 && verify && !objs[i].size_override) {
            synth_hash_whole(&objs[i]);
            objs[i].id[19] = (uint8_t)i; /* still unique; verify then reports the difference */
        }
    }
    synth_pack sp;
    if (synth_build(objs, k, 1, &sp) != 0)
        return;
    exercise(sp.idx, sp.idx_len, sp.pack, sp.pack_len, verify);
    synth_free(&sp);
}

static void delta_alone(const uint8_t *d, size_t n)
{
    if (n < 1)
        return;
    size_t base_len = d[0] < n - 1 ? d[0] : n - 1;
    const uint8_t *base = d + 1, *delta = d + 1 + base_len;
    size_t delta_len = n - 1 - base_len;
    uint64_t bs, rs;
    if (ks__git_delta_sizes(delta, delta_len, &bs, &rs) != 0 || rs > MAX_OBJECT)
        return;
    /* exact buffers, so that ASan sees any overrun */
    uint8_t *b = malloc(base_len + 1), *out = malloc((size_t)rs + 1);
    memcpy(b, base, base_len);
    const char *why;
    if (ks__git_delta_apply(b, base_len, delta, delta_len, out, (size_t)rs, &why) == 0 && bs != base_len)
        abort();
    free(b);
    free(out);
}

static char loose_path[64];
static int loose_fd = -1;

static void remove_loose(void)
{
    unlink(loose_path);
}

static void loose(const uint8_t *d, size_t n, int deflate_it)
{
    if (loose_fd < 0) {
        strcpy(loose_path, "/tmp/fuzz_git_loose_XXXXXX");
        loose_fd = mkstemp(loose_path);
        if (loose_fd < 0)
            abort();
        atexit(remove_loose);
    }
    uint8_t *z = NULL;
    uLongf zl = 0;
    if (deflate_it) {
        zl = compressBound(n);
        z = malloc(zl);
        if (compress2(z, &zl, d, n, 1) != Z_OK)
            abort();
        d = z;
        n = zl;
    }
    if (ftruncate(loose_fd, 0) != 0 || pwrite(loose_fd, d, n, 0) != (ssize_t)n)
        abort();
    free(z);
    ks_git_type t;
    uint8_t *data;
    size_t size;
    char why[256];
    if (ks__git_loose_read(NULL, AT_FDCWD, loose_path, 0x1e, MAX_OBJECT, &t, &data, &size, why,
                           sizeof why) == 0) {
        ks_git_object obj = {NULL, t, data, size, NULL, 0};
        on_object(&obj, NULL);
        free(data);
    }
}

/* The commit parser refuses a malformed id through git_oid_fromstrn, which records why in libgit2's state. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (git_libgit2_init() < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    switch (mode % 4) {
    case 0: {
        /* an index of the length the next 4 bytes give, then the pack */
        if (size < 4)
            return 0;
        size_t il = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
        data += 4;
        size -= 4;
        if (il > size)
            il = size;
        /* copies of exactly their size: reads past either end are caught */
        uint8_t *idx = malloc(il + 1), *pack = malloc(size - il + 1);
        memcpy(idx, data, il);
        memcpy(pack, data + il, size - il);
        exercise(idx, il, pack, size - il, mode >> 7);
        free(idx);
        free(pack);
        break;
    }
    case 1:
        synthesized(data, size, mode >> 7);
        break;
    case 2:
        delta_alone(data, size);
        break;
    default:
        loose(data, size, mode >> 7);
    }
    return 0;
}
