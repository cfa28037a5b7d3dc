/* helpers.c: shared test fixtures: engines from inline YAML, finding collection, random data. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

const char *const TEST_RULES_YAML =
    "rules:\n"
    "  - id: t.aws\n"
    "    name: AWS access key id\n"
    "    pattern: '\\b(?P<secret>AKIA[0-9A-Z]{16})\\b'\n"
    "  - id: t.var\n"
    "    name: variable-width token\n"
    "    pattern: '\\btok_[a-z0-9]{8,24}\\b'\n"
    "  - id: t.assign\n"
    "    name: key assignment\n"
    "    pattern: 'apikey\\s{0,3}=\\s{0,3}\"([A-Za-z0-9]{12,40})\"'\n"
    "  - id: t.pem\n"
    "    name: PEM block\n"
    "    pattern: '-----BEGIN TEST KEY-----\\n[A-Za-z0-9+/=\\n]{8,400}-----END TEST KEY-----'\n"
    "  - id: t.line\n"
    "    name: anchored line\n"
    "    pattern: '(?m)^SECRET:[0-9]{6}$'\n";

int collect(const ks_match *m, void *ctx)
{
    found_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        cr_assert_not_null(l->items);
    }
    l->items[l->n++] = (found){m->rule_index, m->start, m->end, m->line, m->column, m->secret_start,
                               m->secret_len, m->near_miss};
    return 0;
}

void found_list_free(found_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

int found_list_equal(const found_list *a, const found_list *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        const found *x = &a->items[i], *y = &b->items[i];
        if (x->rule != y->rule || x->start != y->start || x->end != y->end || x->line != y->line ||
            x->column != y->column || x->secret_start != y->secret_start || x->secret_len != y->secret_len ||
            x->near_miss != y->near_miss) {
            fprintf(stderr, "finding %zu differs: rule %zu [%llu,%llu) line %llu col %llu vs rule %zu [%llu,%llu) line %llu col %llu\n", i,
                    a->items[i].rule, (unsigned long long)a->items[i].start, (unsigned long long)a->items[i].end,
                    (unsigned long long)a->items[i].line, (unsigned long long)a->items[i].column, b->items[i].rule,
                    (unsigned long long)b->items[i].start, (unsigned long long)b->items[i].end,
                    (unsigned long long)b->items[i].line, (unsigned long long)b->items[i].column);
            return 0;
        }
    }
    if (a->n != b->n) {
        fprintf(stderr, "finding counts differ: %zu vs %zu\n", a->n, b->n);
        return 0;
    }
    return 1;
}

static void keep_first(const ks_diag *d, void *ctx)
{
    ks_diag *first = ctx;
    if (first && !first->code)
        *first = *d;
}

int engine_error_from_yaml(const char *yaml, ks_diag *first)
{
    ks_rules *rules = NULL;
    if (first)
        memset(first, 0, sizeof *first);
    cr_assert_eq(ks_rules_create(&rules), 0);
    int rc = ks_rules_load_yaml(rules, yaml, strlen(yaml), "test.yml", keep_first, first);
    ks_engine *e = NULL;
    if (!rc) {
        ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
        rc = ks_engine_create(rules, &o, &e, keep_first, first);
    }
    ks_engine_destroy(e);
    ks_rules_destroy(rules);
    return rc;
}

ks_engine *engine_from_yaml(const char *yaml)
{
    ks_rules *rules = NULL;
    ks_diag d = {0};
    cr_assert_eq(ks_rules_create(&rules), 0);
    int rc = ks_rules_load_yaml(rules, yaml, strlen(yaml), "test.yml", keep_first, &d);
    cr_assert_eq(rc, 0, "load failed: %s", d.text);
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    rc = ks_engine_create(rules, &o, &e, keep_first, &d);
    cr_assert_eq(rc, 0, "compile failed: %s", d.text);
    ks_rules_destroy(rules);
    return e;
}

ks_engine *fx_engine;
ks_scanner *fx_scanner;

void fx_setup(void)
{
    fx_engine = engine_from_yaml(TEST_RULES_YAML);
    cr_assert_eq(ks_scanner_create(fx_engine, &fx_scanner), 0);
}

void fx_teardown(void)
{
    ks_scanner_destroy(fx_scanner);
    ks_engine_destroy(fx_engine);
}

uint64_t rnd_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void fill_text(unsigned char *buf, size_t n, uint64_t *state)
{
    static const char *const words[] = {"the", "int", "return", "(x)", "{", "}", "foo_bar", "0x1f", ";", "//",
                                        "a", "if", "=", "struct"};
    size_t i = 0;
    while (i < n) {
        uint64_t r = rnd_next(state);
        const char *w = words[r % 14];
        for (size_t k = 0; w[k] && i < n; k++)
            buf[i++] = (unsigned char)w[k];
        if (i < n)
            buf[i++] = (r >> 20) % 7 == 0 ? '\n' : ' ';
    }
}

#include "corpus.h"

const char *const PLANTS[] = {
    "AKIAABCDEFGHIJKLMNOP",
    "tok_abcdefgh12",
    "tok_0123456789abcdefghijklmn",
    "apikey = \"AbCdEf0123456789\"",
    "-----BEGIN TEST KEY-----\nQUJDREVGR0g=\nSUpLTE1OT1A=\n-----END TEST KEY-----",
    "SECRET:123456",
};
const size_t N_PLANTS = sizeof PLANTS / sizeof PLANTS[0];

size_t plant_match_len(const char *plant)
{
    size_t n = strlen(plant);
    return n && plant[n - 1] == '"' ? n - 1 : n; /* the closing quote after the secret is trimmed */
}

unsigned char *make_object(size_t len, size_t n, uint64_t seed)
{
    unsigned char *buf = malloc(len);
    cr_assert_not_null(buf);
    uint64_t st = seed | 1;
    fill_text(buf, len, &st);
    for (size_t i = 0; i < n; i++) {
        const char *p = PLANTS[rnd_next(&st) % N_PLANTS];
        size_t pl = strlen(p);
        if (pl + 2 > len)
            continue;
        size_t at = (size_t)(rnd_next(&st) % (len - pl - 1));
        buf[at] = '\n';
        memcpy(buf + at + 1, p, pl);
        if (at + 1 + pl < len)
            buf[at + 1 + pl] = '\n';
    }
    return buf;
}
