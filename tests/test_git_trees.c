/* test_git_trees.c: tree entries located (io/git_trees.c): a parse that takes the entries of the bytes a similar tree
 * shares at its start and end equals a whole parse, whatever changed between them (ids made of the bytes entries are
 * made of, names that are prefixes of others, files that become directories, damaged and unordered trees). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "git_trees.h"
#include "hang.h"

#define MAX_ENTRIES 40
#define MAX_BYTES (MAX_ENTRIES * 64)

typedef struct spec {
    char name[16];
    const char *mode;
    uint8_t kind;
    uint8_t id[KS_GIT_ID_LEN];
} spec;

static uint64_t rng;

static unsigned pick(unsigned n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

static void rand_entry(spec *e)
{
    static const char alpha[] = "ab.-0 1"; /* '.' and '-' sort before '/', '0' after: a directory's neighbours */
    static const uint8_t id_bytes[] = {0, ' ', '1', '0', '4', 'a', 0xff}; /* what modes and names are made of */
    static const char *modes[] = {"100644", "100755", "120000", "40000", "160000"};
    size_t l = 1 + pick(4);
    for (size_t i = 0; i < l; i++)
        e->name[i] = alpha[pick(sizeof alpha - 1)];
    e->name[l] = 0;
    e->mode = modes[pick(5)];
    e->kind = e->mode[0] == '4' ? KS_GIT_TREE : e->mode[1] == '6' ? KS_GIT_COMMIT : KS_GIT_BLOB;
    for (int i = 0; i < KS_GIT_ID_LEN; i++)
        e->id[i] = id_bytes[pick(sizeof id_bytes)];
}

/* git's order, written here independently of the library's */
static int git_order(const void *x, const void *y)
{
    const spec *a = x, *b = y;
    size_t la = strlen(a->name), lb = strlen(b->name), m = la < lb ? la : lb;
    int c = memcmp(a->name, b->name, m);
    if (c)
        return c;
    unsigned ca = la > m ? (uint8_t)a->name[m] : a->kind == KS_GIT_TREE ? '/' : 0;
    unsigned cb = lb > m ? (uint8_t)b->name[m] : b->kind == KS_GIT_TREE ? '/' : 0;
    return (int)ca - (int)cb;
}

/* Sorted, each name once (a tree never holds two entries of one name). */
static size_t tidy(spec *e, size_t n)
{
    qsort(e, n, sizeof *e, git_order);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < w && !dup; j++)
            dup = strcmp(e[j].name, e[i].name) == 0;
        if (!dup)
            e[w++] = e[i];
    }
    return w;
}

static size_t serialize(const spec *e, size_t n, uint8_t *out)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        at += (size_t)sprintf((char *)out + at, "%s %s", e[i].mode, e[i].name) + 1; /* and its NUL */
        memcpy(out + at, e[i].id, KS_GIT_ID_LEN);
        at += KS_GIT_ID_LEN;
    }
    return at;
}

static size_t mutate(spec *e, size_t n)
{
    for (unsigned k = 1 + pick(3); k > 0; k--) {
        unsigned i = n ? pick((unsigned)n) : 0;
        switch (pick(6)) {
        case 0: /* a new version of a file */
            if (n)
                e[i].id[pick(KS_GIT_ID_LEN)] ^= (uint8_t)(1 + pick(255));
            break;
        case 1:
            if (n)
                e[i] = e[--n];
            break;
        case 2:
            if (n < MAX_ENTRIES)
                rand_entry(&e[n++]);
            break;
        case 3: /* renamed */
            if (n)
                e[i].name[0] = e[i].name[0] == 'a' ? 'b' : 'a';
            break;
        case 4: /* a file that becomes a directory of its name, or the reverse */
            if (n) {
                e[i].mode = e[i].kind == KS_GIT_TREE ? "100644" : "40000";
                e[i].kind = e[i].kind == KS_GIT_TREE ? KS_GIT_BLOB : KS_GIT_TREE;
            }
            break;
        default: /* the same bytes moved: its name grows */
            if (n && strlen(e[i].name) < 6)
                strcat(e[i].name, "a");
            break;
        }
    }
    return n;
}

static void parse_ok(ks_git_tree *t, const uint8_t *data, size_t size, const ks_git_tree *like)
{
    memset(t, 0, sizeof *t);
    t->data = (uint8_t *)data;
    t->size = size;
    int rc = ks__git_tree_parse(NULL, t, like);
    cr_assert(rc == 0 || rc == -1, "parse: %d", rc);
    cr_assert_eq(rc == 0, t->parsed == 1);
}

/* A whole parse of new and one like old must agree on everything. */
static void agree(const uint8_t *old_b, size_t old_n, const uint8_t *new_b, size_t new_n, unsigned iter)
{
    ks_git_tree old, whole, like;
    parse_ok(&old, old_b, old_n, NULL);
    parse_ok(&whole, new_b, new_n, NULL);
    parse_ok(&like, new_b, new_n, old.parsed == 1 ? &old : NULL);
    cr_assert_eq(whole.parsed, like.parsed, "iteration %u: whole %d, like %d", iter, whole.parsed, like.parsed);
    if (whole.parsed == 1) {
        cr_assert_eq(whole.n, like.n, "iteration %u: %u entries, %u with like", iter, whole.n, like.n);
        cr_assert_eq(whole.sorted, like.sorted, "iteration %u", iter);
        for (uint32_t i = 0; i < whole.n; i++)
            cr_assert(memcmp(&whole.e[i], &like.e[i], sizeof whole.e[i]) == 0, "iteration %u: entry %u", iter, i);
        cr_assert(!whole.has_like, "iteration %u: a parse like nothing found shared ends", iter);
        cr_assert_eq(like.has_like, old.parsed == 1 && old.sorted && old.n, "iteration %u", iter);
    }
    /* the ends the parse found shared (git_tree_diff.c skips them): the same entries, byte for byte, at the same
     * place from the start, then from the end */
    if (like.parsed == 1 && like.has_like) {
        cr_assert(like.like_lo <= like.like_hi && like.like_hi <= like.n && like.n - like.like_hi <= old.n,
                  "iteration %u: ends %u %u of %u", iter, like.like_lo, like.like_hi, like.n);
        for (uint32_t i = 0; i < like.n; i++) {
            if (i >= like.like_lo && i < like.like_hi)
                continue;
            const ks_git_tree_entry *x = &like.e[i];
            const ks_git_tree_entry *y = i < like.like_lo ? &old.e[i] : &old.e[old.n - (like.n - i)];
            uint32_t tx = ks__git_tree_entry_start(&like, i), ty = (uint32_t)(y == old.e ? 0 : y[-1].end);
            cr_assert(x->end - tx == y->end - ty && memcmp(new_b + tx, old_b + ty, x->end - tx) == 0 &&
                          (i >= like.like_lo || tx == ty),
                      "iteration %u: entry %u said shared is not", iter, i);
        }
    }
    free(old.e);
    free(whole.e);
    free(like.e);
}

Test(git_trees, a_parse_like_a_parent_equals_a_whole_parse, .timeout = KS_HANG_S(300))
{
    static spec a[MAX_ENTRIES], b[MAX_ENTRIES];
    static uint8_t ab[MAX_BYTES], bb[MAX_BYTES];
    unsigned sorted_seen = 0, entries_seen = 0;
    rng = 20261205;
    for (unsigned iter = 0; iter < 100000; iter++) {
        size_t n = pick(MAX_ENTRIES / 2);
        for (size_t i = 0; i < n; i++)
            rand_entry(&a[i]);
        int unordered = pick(10) == 0;
        n = unordered ? n : tidy(a, n);
        memcpy(b, a, sizeof a);
        size_t m = mutate(b, n);
        m = unordered ? m : tidy(b, m);
        size_t an = serialize(a, n, ab), bn = serialize(b, m, bb);
        if (pick(8) == 0 && bn) /* damaged: cut short, or a byte changed */
            pick(2) ? (void)(bn = pick((unsigned)bn)) : (void)(bb[pick((unsigned)bn)] = (uint8_t)pick(256));
        agree(ab, an, bb, bn, iter);
        if (!unordered) { /* the library's order is git's */
            ks_git_tree t;
            parse_ok(&t, ab, an, NULL);
            cr_assert_eq(t.parsed, 1);
            cr_assert_eq(t.n, n);
            cr_assert(t.sorted, "iteration %u: a tree in git's order found out of order", iter);
            sorted_seen++;
            entries_seen += t.n;
            free(t.e);
        }
    }
    cr_assert_gt(sorted_seen, 80000);
    cr_assert_gt(entries_seen, 500000);
}

/* The bytes a tree shares at its end with its parent's need not start an entry in the parent: old holds "y100644 x"
 * (a name with a space) whose last bytes and id are new's entry "x", whole. Taking old's entries from the next
 * boundary on would lose "x"; it is parsed, and "z" after it taken. */
Test(git_trees, r_shared_end_that_is_no_entry_boundary_in_the_parent)
{
    spec olds[2] = {{"y100644 x", "100644", KS_GIT_BLOB, {0}}, {"z", "100644", KS_GIT_BLOB, {0}}};
    spec news[3] = {{"a", "100644", KS_GIT_BLOB, {0}}, {"x", "100644", KS_GIT_BLOB, {0}}, {"z", "100644", KS_GIT_BLOB, {0}}};
    memset(news[0].id, 'q', KS_GIT_ID_LEN);
    memset(news[1].id, 'r', KS_GIT_ID_LEN);
    memset(olds[0].id, 'r', KS_GIT_ID_LEN);
    memset(news[2].id, 's', KS_GIT_ID_LEN);
    memset(olds[1].id, 's', KS_GIT_ID_LEN);
    uint8_t ob[256], nb[256];
    size_t on = serialize(olds, 2, ob), nn = serialize(news, 3, nb);
    cr_assert(memcmp(ob + on - 58, nb + nn - 58, 58) == 0, "the two share \"x\" and \"z\" at their end");
    ks_git_tree old, t;
    parse_ok(&old, ob, on, NULL);
    parse_ok(&t, nb, nn, &old);
    cr_assert_eq(t.parsed, 1);
    cr_assert_eq(t.n, 3);
    cr_assert_eq(t.e[1].len, 1);
    cr_assert_eq(nb[t.e[1].name], 'x');
    cr_assert_eq(nb[t.e[2].name], 'z');
    cr_assert_eq(t.e[2].end, nn);
    cr_assert(t.sorted);
    free(old.e);
    free(t.e);
    agree(ob, on, nb, nn, 0);
}

/* Regression: modes were read to seven octal digits, so a tree whose modes an old writer padded with zeros
 * ("0000100644") was unreadable, where git and libgit2 take any number of digits up to 0177777; one past that is
 * refused alike. */
Test(git_trees, r_modes_padded_with_zeros_and_modes_too_large)
{
    static const struct {
        const char *mode;
        int parsed;
        uint8_t kind;
    } cases[] = {{"0000100644", 1, KS_GIT_BLOB}, {"00000040000", 1, KS_GIT_TREE}, {"0160000", 1, KS_GIT_COMMIT},
                 {"177777", 1, KS_GIT_BLOB},     {"200000", -1, 0},             {"7777777777777777777777", -1, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t data[64];
        int n = snprintf((char *)data, sizeof data, "%s f", cases[i].mode);
        memset(data + n + 1, 0xab, KS_GIT_ID_LEN); /* the name's NUL, then the id */
        data[n] = 0;
        ks_git_tree t = {.type = KS_GIT_TREE, .data = data, .size = (size_t)n + 1 + KS_GIT_ID_LEN};
        int rc = ks__git_tree_parse(NULL, &t, NULL);
        cr_assert(rc == 0 || rc == -1, "%s", cases[i].mode);
        cr_assert_eq(t.parsed, cases[i].parsed, "%s", cases[i].mode);
        if (t.parsed == 1) {
            cr_assert_eq(t.n, 1);
            cr_assert_eq(t.e[0].kind, cases[i].kind, "%s", cases[i].mode);
            cr_assert_eq(t.e[0].len, 1);
        }
        free(t.e);
    }
}
