/* test_r_vectorscan_tail.c: regression for the Vectorscan 5.4.9 tail bug: matches ending near a buffer end
 * that lies at 22..42 mod 64 were missed; every rule's example must be found at every end alignment. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hang.h"
#include "helpers.h"

static int count_rule(const ks_match *m, void *ctx)
{
    size_t *want = ctx;
    if (m->rule_index == want[0] && !m->near_miss)
        want[1]++;
    return 0;
}

/* lead: bytes before the example. Short buffers are copied whole to an end-aligned buffer; long
 * ones (more than four tail lengths: the widest rule plus 132 bytes) get their tail re-scanned from
 * an aligned copy. Both ways must find every example. */
static void sweep(ks_engine *e, size_t max_tail, size_t lead0)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(e, &st);
    unsigned char *mem = aligned_alloc(64, 1 << 16);
    size_t checked = 0;
    for (size_t r = 0; r < st.n_rules; r++) {
        ks_rule_info info = {.size = sizeof info};
        ks_engine_rule(e, r, &info);
        for (size_t x = 0; x < info.n_examples; x++) {
            const char *ex = info.examples[x];
            size_t el = strlen(ex);
            if (el + 200 > 30000)
                continue;
            for (size_t tail = 0; tail <= max_tail; tail++) {
                for (size_t endmod = 0; endmod < 64; endmod++) {
                    size_t lead = lead0 + endmod; /* the buffer's length varies its end's alignment */
                    size_t len = lead + el + 1 + tail;
                    unsigned char *buf = mem + 64;
                    memset(buf, ' ', len);
                    buf[lead - 1] = '\n';
                    memcpy(buf + lead, ex, el);
                    buf[lead + el] = '\n';
                    size_t want[2] = {r, 0};
                    cr_assert_eq(ks_scan(s, buf, len, 0, 0, count_rule, want), 0);
                    cr_assert(want[1] >= 1, "rule %s example %zu missed: %zu bytes after it, buffer end at %zu mod 64",
                              info.id, x, tail + 1, (size_t)((uintptr_t)(buf + len) & 63));
                    checked++;
                }
            }
        }
    }
    cr_assert(checked > 0);
    free(mem);
    ks_scanner_destroy(s);
}

Test(r_vectorscan_tail, minimal_reproduction)
{
    ks_engine *e = engine_from_yaml("rules:\n"
                                    "  - {id: tok, name: T, pattern: '\\bKSTEST_[A-Z0-9]{16}\\b', examples: ['KSTEST_ABCDEFGH12345678']}\n"
                                    "  - {id: rss, name: R, pattern: 'VmRSS:\\s{1,20}[0-9]{1,12} kB', examples: ['VmRSS: 12 kB']}\n");
    sweep(e, 70, 100);  /* whole-buffer copy */
    sweep(e, 70, 4000); /* tail re-scan: this engine's tail is under 200 bytes */
    ks_engine_destroy(e);
}

Test(r_vectorscan_tail, builtin_pack_at_every_alignment, .timeout = KS_HANG_S(600))
{
    ks_rules *r = NULL;
    ks_engine *e = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_builtin(r, NULL, NULL), 0);
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    sweep(e, 12, 100);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}
