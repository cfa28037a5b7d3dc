/* rules_cmd.c: `keysweep rules list` and `keysweep rules check`: the rule pack's tooling. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argerr.h"
#include "commands.h"
#include "escape.h"
#include "options.h"

static void rules_usage(FILE *f)
{
    fputs("usage: keysweep rules list  [--rules PATH]... [--no-builtin-rules] [--format text|jsonl]\n"
          "       keysweep rules check [--no-builtin-rules] [PATH...]\n\n"
          "list   prints id, name, confidence and validators of every rule.\n"
          "check  compiles the rules (built-in ones, plus PATHs), then checks that every example\n"
          "       matches its rule and passes its validator, and that no negative example matches\n"
          "       any rule (a rule with a path condition only its own: it reports in files of its name).\n"
          "       Exits 0 when all pass, 1 naming each failure, 2 when rules do not load.\n",
          f);
}

typedef struct hits {
    const ks_engine *engine;
    size_t rule;      /* rule under test, or SIZE_MAX for "any" */
    size_t own;       /* the rule whose negative examples are scanned */
    size_t n_rule, n_any;
    char first_any[160];
} hits;

static int count_hit(const ks_match *m, void *ctx)
{
    hits *h = ctx;
    if (m->near_miss)
        return 0;
    if (m->rule_index == h->rule)
        h->n_rule++;
    if (h->rule == SIZE_MAX) {
        /* a rule with a path condition reports only in files of its name: another rule's negative
         * example is no such file (its own negative examples are checked as if they were) */
        ks_rule_info other = {.size = sizeof other};
        if (ks_engine_rule(h->engine, m->rule_index, &other) == 0 && other.path && *other.path &&
            m->rule_index != h->own)
            return 0;
    }
    if (!h->n_any)
        snprintf(h->first_any, sizeof h->first_any, "%s", m->rule_id);
    h->n_any++;
    return 0;
}

static void print_failure(const ks_rule_info *r, const char *what, size_t i, const char *text, const char *extra)
{
    ks_strbuf b = {0};
    term_string(&b, (const unsigned char *)text, strlen(text) > 120 ? 120 : strlen(text));
    printf("FAIL %s:%lu: rule '%s': %s %zu%s%s: %s\n", r->source, r->line, r->id, what, i + 1,
           extra ? " " : "", extra ? extra : "", b.s ? b.s : "");
    ks__sb_free(&b);
}

static int check(const ks_engine *engine)
{
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(engine, &st);
    ks_scanner *sc = NULL;
    if (ks_scanner_create(engine, &sc)) {
        say("out of memory");
        return 2;
    }
    size_t failures = 0, n_ex = 0, n_neg = 0;
    for (size_t i = 0; i < st.n_rules; i++) {
        ks_rule_info r = {.size = sizeof r};
        ks_engine_rule(engine, i, &r);
        int builtin = strncmp(r.source, "builtin:", 8) == 0;
        if (builtin && (!r.n_examples || !r.n_negative_examples)) {
            printf("FAIL %s:%lu: rule '%s': built-in rules need at least one example and one negative example\n",
                   r.source, r.line, r.id);
            failures++;
        }
        for (size_t k = 0; k < r.n_examples; k++, n_ex++) {
            hits h = {.engine = engine, .rule = i, .own = i};
            ks_scan(sc, r.examples[k], strlen(r.examples[k]), 0, 0, count_hit, &h);
            if (!h.n_rule) {
                print_failure(&r, "example", k, r.examples[k], "does not match (or fails its validator)");
                failures++;
            }
        }
        for (size_t k = 0; k < r.n_negative_examples; k++, n_neg++) {
            hits h = {.engine = engine, .rule = SIZE_MAX, .own = i};
            ks_scan(sc, r.negative_examples[k], strlen(r.negative_examples[k]), 0, 0, count_hit, &h);
            if (h.n_any) {
                char extra[200];
                snprintf(extra, sizeof extra, "matches rule '%s'", h.first_any);
                print_failure(&r, "negative example", k, r.negative_examples[k], extra);
                failures++;
            }
        }
    }
    ks_scanner_destroy(sc);
    printf("%zu rules, %zu examples, %zu negative examples: %s", st.n_rules, n_ex, n_neg,
           failures ? "" : "all pass\n");
    if (failures)
        printf("%zu failure%s\n", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}

static void json_list(ks_strbuf *b, const char *key, const char *const *items, size_t n)
{
    ks__sb_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ks__sb_putn(b, ",", 1);
        json_string(b, (const unsigned char *)items[i], strlen(items[i]));
    }
    ks__sb_putn(b, "]", 1);
}

/* One JSON object per rule: what tools (the perf suite, scripts) need to reuse the pack. */
static void list_jsonl(const ks_engine *engine)
{
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(engine, &st);
    for (size_t i = 0; i < st.n_rules; i++) {
        ks_rule_info r = {.size = sizeof r};
        ks_engine_rule(engine, i, &r);
        ks_strbuf b = {0};
        const char *fields[][2] = {{"id", r.id},         {"name", r.name},          {"pattern", r.pattern},
                                   {"confidence", r.confidence}, {"validate", r.validate}, {"source", r.source},
                                   {"severity", r.severity}, {"path", r.path},
                                   {"gitleaks_id", r.gitleaks_id}, {"trufflehog_detector", r.trufflehog_detector},
                                   {"prefilter", r.prefilter}};
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
            ks__sb_printf(&b, "%s\"%s\":", f ? "," : "{", fields[f][0]);
            json_string(&b, (const unsigned char *)fields[f][1], strlen(fields[f][1]));
        }
        ks__sb_printf(&b, ",\"trufflehog_type\":%d,\"min_entropy\":%g", r.trufflehog_type, r.min_entropy);
        json_list(&b, "examples", r.examples, r.n_examples);
        json_list(&b, "negative_examples", r.negative_examples, r.n_negative_examples);
        json_list(&b, "keywords", r.keywords, r.n_keywords);
        ks__sb_puts(&b, "}\n");
        if (!b.oom)
            fputs(b.s, stdout);
        ks__sb_free(&b);
    }
}

static void list(const ks_engine *engine)
{
    ks_engine_stats st = {.size = sizeof st};
    ks_engine_stats_get(engine, &st);
    printf("%-40s %-10s %-22s %-8s %s\n", "ID", "CONFIDENCE", "VALIDATORS", "SEVERITY", "NAME");
    for (size_t i = 0; i < st.n_rules; i++) {
        ks_rule_info r = {.size = sizeof r};
        ks_engine_rule(engine, i, &r);
        char v[64];
        snprintf(v, sizeof v, "%s%s%s", r.validate, r.validate[0] && r.min_entropy > 0 ? "," : "",
                 r.min_entropy > 0 ? "entropy" : "");
        printf("%-40s %-10s %-22s %-8s %s\n", r.id, r.confidence, v[0] ? v : "-", r.severity, r.name);
    }
    printf("%zu rules\n", st.n_rules);
}

static const struct option rules_longopts[] = {{"rules", required_argument, 0, 'r'},
                                              {"no-builtin-rules", no_argument, 0, 'n'},
                                              {"format", required_argument, 0, 'f'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};

const struct option *rules_option_table(void) { return rules_longopts; }

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        rules_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    int is_check = strcmp(sub, "check") == 0;
    if (!is_check && strcmp(sub, "list") != 0) {
        static const char *const subs[] = {"list", "check"};
        return unknown_word("rules subcommand", sub, subs, 2, "rules");
    }
    rule_opts ro = {0};
    int jsonl = 0;
    ro.no_cache = 1; /* checking rules should never depend on, or fill, a cache */
    ro.report_test_keys = 1; /* an example may be a provider's published example key */
    int c, status = 2;
    optind = 1;
    opterr = 0; /* getopt_refused says what was wrong, in keysweep's words */
    while ((c = getopt_long(argc - 1, argv + 1, ":h", rules_longopts, NULL)) != -1) {
        if (c == 'r') {
            if (rule_opts_add_path(&ro, optarg))
                goto out;
        } else if (c == 'n') {
            ro.no_builtin = 1;
        } else if (c == 'f' && (!strcmp(optarg, "jsonl") || !strcmp(optarg, "text"))) {
            jsonl = !strcmp(optarg, "jsonl");
        } else if (c == 'h') {
            rules_usage(stdout);
            status = 0;
            goto out;
        } else if (c == 'f') {
            say("rules: --format: expected text or jsonl, not '%s'", optarg);
            goto out;
        } else {
            status = getopt_refused("rules", c, argv + 1, rules_longopts);
            goto out;
        }
    }
    for (int i = optind + 1; i < argc; i++)
        if (rule_opts_add_path(&ro, argv[i]))
            goto out;
    ks_engine *engine = NULL;
    if (build_engine(&ro, &engine))
        goto out;
    if (is_check) {
        status = check(engine);
    } else {
        if (jsonl)
            list_jsonl(engine);
        else
            list(engine);
        status = 0;
    }
    ks_engine_destroy(engine);
out:
    rule_opts_free(&ro);
    return status;
}
