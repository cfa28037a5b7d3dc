/* rules.c: ks_rules, the in-memory rule set: ownership, copies, duplicate-id checks and read-only views. */
#include <string.h>

#include "alloc.h"
#include "diag_emit.h"
#include "filter.h"
#include "rules_int.h"
#include "strvec.h"

int ks__rule_id_valid(const char *id)
{
    if (!*id || strlen(id) > 120)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

void ks__rule_free_a(const ks_allocator *a, ks_rule *r)
{
    if (!r)
        return;
    ks__afree(a, r->id);
    ks__afree(a, r->name);
    ks__afree(a, r->pattern);
    ks__afree(a, r->prefilter);
    ks__afree(a, r->description);
    ks__afree(a, r->confidence);
    ks__afree(a, r->validate);
    ks__afree(a, r->source);
    ks__afree(a, r->severity);
    ks__afree(a, r->path);
    ks__afree(a, r->gitleaks_id);
    ks__afree(a, r->trufflehog_detector);
    ks__strvec_free_a(a, &r->examples);
    ks__strvec_free_a(a, &r->negative_examples);
    ks__strvec_free_a(a, &r->references);
    ks__strvec_free_a(a, &r->categories);
    ks__strvec_free_a(a, &r->keywords);
    ks__cond_unref(r->cond);
    memset(r, 0, sizeof *r);
}

void ks__rule_free(ks_rule *r) { ks__rule_free_a(NULL, r); }

static int dup_opt(const ks_allocator *a, char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = ks__astrdup(a, src);
    return *dst ? 0 : KS_ENOMEM;
}

int ks__rule_copy(const ks_allocator *a, ks_rule *dst, const ks_rule *src)
{
    memset(dst, 0, sizeof *dst);
    dst->cond = ks__cond_ref(src->cond); /* shared and immutable: a reference, not a copy */
    dst->line = src->line;
    dst->min_entropy = src->min_entropy;
    dst->trufflehog_type = src->trufflehog_type;
    if (dup_opt(a, &dst->id, src->id) || dup_opt(a, &dst->name, src->name) ||
        dup_opt(a, &dst->pattern, src->pattern) || dup_opt(a, &dst->prefilter, src->prefilter) ||
        dup_opt(a, &dst->description, src->description) ||
        dup_opt(a, &dst->confidence, src->confidence) || dup_opt(a, &dst->validate, src->validate) ||
        dup_opt(a, &dst->source, src->source) || dup_opt(a, &dst->severity, src->severity) ||
        dup_opt(a, &dst->path, src->path) || dup_opt(a, &dst->gitleaks_id, src->gitleaks_id) ||
        dup_opt(a, &dst->trufflehog_detector, src->trufflehog_detector) || ks__strvec_copy_a(a, &dst->examples, &src->examples) ||
        ks__strvec_copy_a(a, &dst->negative_examples, &src->negative_examples) ||
        ks__strvec_copy_a(a, &dst->references, &src->references) ||
        ks__strvec_copy_a(a, &dst->categories, &src->categories) ||
        ks__strvec_copy_a(a, &dst->keywords, &src->keywords)) {
        ks__rule_free_a(a, dst);
        return KS_ENOMEM;
    }
    return 0;
}

void ks__rule_info(const ks_rule *r, ks_rule_info *out)
{
    /* filled whole here, copied out only as far as the caller's (maybe older, shorter) struct goes */
    size_t room = out->size && out->size < sizeof *out ? out->size : sizeof *out;
    ks_rule_info full, *info = &full;
    memset(info, 0, sizeof *info);
    info->size = room;
    info->id = r->id;
    info->name = r->name;
    info->pattern = r->pattern;
    info->description = r->description ? r->description : "";
    info->confidence = r->confidence ? r->confidence : "medium";
    info->validate = r->validate ? r->validate : "";
    info->min_entropy = r->min_entropy;
    info->source = r->source ? r->source : "";
    info->line = r->line;
    info->severity = ks__rule_severity(r);
    info->path = r->path ? r->path : "";
    info->gitleaks_id = r->gitleaks_id ? r->gitleaks_id : "";
    info->trufflehog_detector = r->trufflehog_detector ? r->trufflehog_detector : "";
    info->trufflehog_type = r->trufflehog_detector ? r->trufflehog_type : -1;
    info->prefilter = r->prefilter ? r->prefilter : "";
#define KS__VIEW(field)                                          \
    info->n_##field = r->field.n;                                \
    info->field = (const char *const *)r->field.items;
    KS__VIEW(examples)
    KS__VIEW(negative_examples)
    KS__VIEW(references)
    KS__VIEW(categories)
    KS__VIEW(keywords)
#undef KS__VIEW
    memcpy(out, info, room);
}

int ks_rules_create(ks_rules **out)
{
    if (!out)
        return KS_EINVAL;
    *out = ks__calloc(1, sizeof **out);
    return *out ? 0 : KS_ENOMEM;
}

void ks_rules_destroy(ks_rules *rules)
{
    if (!rules)
        return;
    for (size_t i = 0; i < rules->n; i++)
        ks__rule_free(&rules->items[i]);
    ks__free(rules->items);
    ks__free(rules->known.sha);
    ks__free(rules);
}

size_t ks_rules_count(const ks_rules *rules) { return rules ? rules->n : 0; }

int ks_rules_get(const ks_rules *rules, size_t index, ks_rule_info *info)
{
    if (!rules || !info || index >= rules->n)
        return KS_EINVAL;
    ks__rule_info(&rules->items[index], info);
    return 0;
}

static const ks_rule *find_id(const ks_rule *items, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].id, id) == 0)
            return &items[i];
    return NULL;
}

int ks__rules_append(ks_rules *rules, ks_rule *add, size_t n, ks_diag_fn on_error, void *ctx)
{
    int rc = 0;
    /* Quadratic, but rule sets are hundreds of rules and this runs once per load. */
    for (size_t i = 0; i < n; i++) {
        const ks_rule *prev = find_id(rules->items, rules->n, add[i].id);
        if (!prev)
            prev = find_id(add, i, add[i].id);
        if (prev) {
            ks__diag_emit(on_error, ctx, KS_EDUPLICATE, add[i].source, add[i].line, add[i].id,
                          "duplicate rule id (first defined at %s:%lu)",
                          prev->source ? prev->source : "?", prev->line);
            if (!rc)
                rc = KS_EDUPLICATE;
        }
    }
    if (rc)
        return rc;
    if (rules->n + n > rules->cap) {
        size_t cap = rules->cap ? rules->cap : 16;
        while (cap < rules->n + n)
            cap *= 2;
        ks_rule *items = ks__realloc(rules->items, cap * sizeof *items);
        if (!items)
            return KS_ENOMEM;
        rules->items = items;
        rules->cap = cap;
    }
    memcpy(rules->items + rules->n, add, n * sizeof *add);
    memset(add, 0, n * sizeof *add);
    rules->n += n;
    return 0;
}

static const char *const SEVERITIES[] = {"critical", "high", "medium", "low"};

int ks__severity_valid(const char *s)
{
    for (size_t i = 0; i < sizeof SEVERITIES / sizeof *SEVERITIES; i++)
        if (!strcmp(s, SEVERITIES[i]))
            return 1;
    return 0;
}

static int has_category(const ks_rule *r, const char *c)
{
    for (size_t i = 0; i < r->categories.n; i++)
        if (!strcmp(r->categories.items[i], c))
            return 1;
    return 0;
}

int ks__rule_yields(const ks_rule *r)
{
    return (r->id && !strncmp(r->id, "generic", 7)) || has_category(r, "generic");
}

const char *ks__rule_severity(const ks_rule *r)
{
    /* the static string, so that findings may point at it whatever owns the rule */
    for (size_t i = 0; r->severity && i < sizeof SEVERITIES / sizeof *SEVERITIES; i++)
        if (!strcmp(r->severity, SEVERITIES[i]))
            return SEVERITIES[i];
    if (ks__rule_yields(r))
        return "medium";
    if (has_category(r, "test") || has_category(r, "hash"))
        return "low";
    return "high";
}
