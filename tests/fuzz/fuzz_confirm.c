/* fuzz_confirm.c: libFuzzer target: the confirm step (Vectorscan end -> anchored PCRE2 start) of the built-in rules
 * on arbitrary windows of arbitrary bytes: every finding lies inside its window and its buffer (a decoded one: its
 * encoded bytes do). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "scanner_int.h"
#include "fuzz_check.h"

static ks_engine *engine;
static ks_scanner *scanner;

typedef struct window {
    const unsigned char *buf;
    size_t len;
    uint64_t base;
    size_t own_begin, own_end;
    uint64_t prev_start;
    size_t prev_rule;
    int any;
} window;

static int check(const ks_match *m, void *ctx)
{
    window *w = ctx;
    uint64_t lo = w->base + w->own_begin, hi = w->base + w->own_end;
    CHECK(m->rule_index < engine->n_rules, "rule %zu", m->rule_index);
    CHECK(m->start >= lo && m->start < hi, "%s starts at %llu outside the owned [%llu,%llu)", m->rule_id,
          (unsigned long long)m->start, (unsigned long long)lo, (unsigned long long)hi);
    CHECK(m->start <= m->end && m->end <= w->base + w->len, "%s: [%llu,%llu) past the buffer end %llu", m->rule_id,
          (unsigned long long)m->start, (unsigned long long)m->end, (unsigned long long)(w->base + w->len));
    CHECK(m->match_len <= engine->rules[m->rule_index].max_width, "%s: longer than its max width", m->rule_id);
    CHECK(m->secret >= m->match && m->secret + m->secret_len <= m->match + m->match_len, "%s: secret outside the match",
          m->rule_id);
    if (!m->decoder) { /* bytes as they are: the match is the buffer's */
        CHECK(m->match == w->buf + (m->start - w->base) && m->match_len == m->end - m->start, "%s: match bytes",
              m->rule_id);
        CHECK(m->secret_start >= m->start && m->secret_start + m->secret_len <= m->end,
              "%s: secret outside the match", m->rule_id);
        CHECK(m->secret == w->buf + (m->secret_start - w->base), "%s: secret bytes", m->rule_id);
    } else { /* decoded bytes: start, end and the secret's start point at the encoded ones */
        CHECK(m->secret_start >= m->start && m->secret_start <= m->end, "%s: decoded secret outside its encoding",
              m->rule_id);
    }
    CHECK(m->line >= 1 && m->column >= 1, "%s: line %llu column %llu", m->rule_id, (unsigned long long)m->line,
          (unsigned long long)m->column);
    /* In start order, each (rule, start) once. */
    CHECK(!w->any || m->start > w->prev_start || (m->start == w->prev_start && m->rule_index > w->prev_rule),
          "%s at %llu out of order or repeated", m->rule_id, (unsigned long long)m->start);
    w->any = 1;
    w->prev_start = m->start;
    w->prev_rule = m->rule_index;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ks_rules *r = NULL;
    /* Near misses too, so every validator sees fuzzed secrets. */
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE | KS_ENGINE_SHOW_NEAR_MISS};
    if (ks_rules_create(&r) || ks_rules_load_builtin(r, NULL, NULL) || ks_engine_create(r, &o, &engine, NULL, NULL) ||
        ks_scanner_create(engine, &scanner))
        abort();
    ks_rules_destroy(r);
    return 0;
}

/* Input: two bytes each for own_begin and own_end, four for the base offset (shifted past 4 GiB when the top bit
 * is set), then the buffer. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 8)
        return 0;
    window w = {.buf = data + 8, .len = size - 8};
    size_t b0 = (size_t)(data[0] | data[1] << 8), b1 = (size_t)(data[2] | data[3] << 8);
    uint32_t base = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
    w.own_begin = b0 % (w.len + 1);
    w.own_end = w.own_begin + b1 % (w.len - w.own_begin + 1);
    w.base = base & 0x80000000u ? (uint64_t)base << 3 : base;
    ks_region rg = {.buf = w.buf, .len = w.len, .base = w.base, .own_begin = w.own_begin, .own_end = w.own_end,
                    .last = data[0] & 1, .mem = w.buf, .mem_len = w.len, .mem_base = w.base};
    ks_lines lines = {.counted_to = w.base + w.own_begin, .newlines = 0, .last_nl_end = w.base + w.own_begin};
    int rc = ks__scan_region(scanner, &rg, &lines, check, &w);
    CHECK(rc == 0, "ks__scan_region: %s", ks_errname(rc));
    return 0;
}
