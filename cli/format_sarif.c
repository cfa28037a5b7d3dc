/* format_sarif.c: SARIF 2.1.0 for GitHub code scanning, streamed: results first, then the rules they used. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "formats.h"
#include "output.h"
#include "peer_fp.h"

/* Where users learn about the tool (SARIF tool.driver.informationUri); a build may point it elsewhere. */
#ifndef KS_INFORMATION_URI
#define KS_INFORMATION_URI "https://github.com/keysweep/keysweep"
#endif

int sarif_init(sarif_state *s, size_t n_rules)
{
    memset(s, 0, sizeof *s);
    s->n_rules = n_rules;
    s->slot = calloc(n_rules ? n_rules : 1, sizeof *s->slot);
    s->order = calloc(n_rules ? n_rules : 1, sizeof *s->order);
    if (!s->slot || !s->order) {
        sarif_free(s);
        return -1;
    }
    /* %SRCROOT% is where the scan ran: GitHub resolves relative URIs against the checkout it ran in, and
     * rejects absolute file URIs (sarif-multitool's GH1006) */
    s->cwd = getcwd(NULL, 0);
    s->cwd_len = s->cwd ? strlen(s->cwd) : 0;
    return 0;
}

void sarif_free(sarif_state *s)
{
    free(s->slot);
    free(s->order);
    for (size_t i = 0; i < s->n_arts; i++)
        free(s->arts[i].key);
    free(s->arts);
    free(s->table);
    for (size_t i = 0; i < s->n_repos; i++)
        free(s->repos[i]);
    free(s->repos);
    free(s->cwd);
    free(s->fp_key);
    free(s->fp_count);
    memset(s, 0, sizeof *s);
}

static size_t key_hash(const char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 0x100000001b3ULL;
    return (size_t)h;
}

/* The index of the artifact named by key[0, n) (inserted when new), or SIZE_MAX out of memory. */
static size_t artifact(sarif_state *s, const char *key, size_t n, size_t parent, size_t name)
{
    if ((s->n_arts + 1) * 2 > s->table_cap) {
        size_t cap = s->table_cap ? s->table_cap * 2 : 64;
        size_t *t = calloc(cap, sizeof *t);
        if (!t)
            return SIZE_MAX;
        for (size_t i = 0; i < s->n_arts; i++) {
            size_t h = key_hash(s->arts[i].key, strlen(s->arts[i].key)) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = i + 1;
        }
        free(s->table);
        s->table = t;
        s->table_cap = cap;
    }
    size_t h = key_hash(key, n) & (s->table_cap - 1);
    for (; s->table[h]; h = (h + 1) & (s->table_cap - 1)) {
        const char *k = s->arts[s->table[h] - 1].key;
        if (strncmp(k, key, n) == 0 && k[n] == '\0')
            return s->table[h] - 1;
    }
    if (s->n_arts == s->cap_arts) {
        size_t cap = s->cap_arts ? s->cap_arts * 2 : 16;
        sarif_artifact *a = realloc(s->arts, cap * sizeof *a);
        if (!a)
            return SIZE_MAX;
        s->arts = a;
        s->cap_arts = cap;
    }
    char *k = malloc(n + 1);
    if (!k)
        return SIZE_MAX;
    memcpy(k, key, n);
    k[n] = '\0';
    s->arts[s->n_arts] = (sarif_artifact){k, parent, name};
    s->table[h] = ++s->n_arts;
    return s->n_arts - 1;
}

/* The artifact of a member: its file and every container above it, as nested artifacts. */
static size_t member_artifact(sarif_state *s, const char *file, const char *object)
{
    ks_strbuf key = {0};
    ks__sb_puts(&key, file);
    size_t at = artifact(s, key.s ? key.s : "", key.len, SIZE_MAX, 0);
    for (const char *p = object; at != SIZE_MAX && !key.oom;) {
        const char *bang = strchr(p, '!');
        size_t len = bang ? (size_t)(bang - p) : strlen(p);
        ks__sb_putn(&key, "!", 1);
        size_t name = key.len;
        ks__sb_putn(&key, p, len);
        at = key.oom ? SIZE_MAX : artifact(s, key.s, key.len, at, name);
        if (!bang)
            break;
        p = bang + 1;
    }
    if (key.oom)
        at = SIZE_MAX;
    ks__sb_free(&key);
    return at;
}

static void jstr(ks_strbuf *b, const char *s) { json_string(b, (const unsigned char *)s, strlen(s)); }

int sarif_add_repository(sarif_state *s, const char *uri, const char *revision, const char *branch)
{
    for (size_t i = 0; i < s->n_repos; i++) /* a handful of repositories: a table would be overkill */
        if (strcmp(s->repos[i], uri) == 0)
            return 0;
    size_t nu = strlen(uri) + 1, nr = strlen(revision) + 1, nb = strlen(branch) + 1;
    char *e = malloc(nu + nr + nb);
    char **v = realloc(s->repos, (s->n_repos + 1) * sizeof *v);
    if (v)
        s->repos = v;
    if (!e || !v) {
        free(e);
        return -1;
    }
    memcpy(e, uri, nu);
    memcpy(e + nu, revision, nr);
    memcpy(e + nu + nr, branch, nb);
    s->repos[s->n_repos++] = e;
    return 0;
}

/* Keys are unordered in JSON: the results can stream out before tool.driver, whose rules[] lists
 * only the rules that matched (a full rule pack would bloat every empty report). */
void sarif_begin(ks_strbuf *b)
{
    ks__sb_puts(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
               "\"runs\":[{\"results\":[");
}

/* A relative URI reference for the path: RFC 3986 unreserved bytes and '/' stay, the rest is %XX,
 * so any byte sequence (spaces, '#', '%', invalid UTF-8) survives. Absolute paths become file:// URIs;
 * a member's name is relative to its container, whatever it claims. */
static void uri_of(ks_strbuf *b, const char *path, int member)
{
    static const char hex[] = "0123456789ABCDEF";
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/')
            path++;
    }
    while (member && *path == '/')
        path++;
    ks__sb_putn(b, "\"", 1);
    if (path[0] == '/')
        ks__sb_puts(b, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/') {
            ks__sb_putn(b, p, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            ks__sb_putn(b, e, 3);
        }
    }
    ks__sb_putn(b, "\"", 1);
}

/* The path with "./" prefixes gone, and with the working directory gone when it is below it; NULL when it is
 * neither relative nor below the working directory. */
static const char *srcroot_relative(const sarif_state *s, const char *path)
{
    if (path[0] != '/')
        return path;
    size_t n = s->cwd_len == 1 ? 0 : s->cwd_len; /* working in "/": every absolute path is below it */
    if (s->cwd && strncmp(path, s->cwd, n) == 0 && path[n] == '/') {
        path += n;
        while (*path == '/')
            path++;
        return *path ? path : NULL;
    }
    return NULL;
}

/* artifactLocation's members for a file on disk: a URI relative to %SRCROOT% where it can be, else an
 * absolute file URI; standard input is "stdin", described as such. */
static void file_location(ks_strbuf *b, const sarif_state *s, const char *path)
{
    ks__sb_puts(b, "\"uri\":");
    if (!strcmp(path, "-")) {
        ks__sb_puts(b, "\"stdin\",\"description\":{\"text\":\"standard input\"}");
        return;
    }
    ks_strbuf clean = {0}; /* "./w//a" and "w/../w/a" are "w/a" */
    peer_clean_path(&clean, path);
    if (!clean.oom)
        path = clean.s;
    const char *rel = srcroot_relative(s, path);
    uri_of(b, rel ? rel : path, 0);
    if (rel && s->cwd)
        ks__sb_puts(b, ",\"uriBaseId\":\"%SRCROOT%\"");
    ks__sb_free(&clean);
}

/* The number of earlier results with the same stable key, plus one: the same secret twice in a file is two
 * alerts, each keeping its number while lines around them change. 0 when out of memory. */
static uint32_t occurrence(sarif_state *s, uint64_t key)
{
    if ((s->fp_n + 1) * 2 > s->fp_cap) {
        size_t cap = s->fp_cap ? s->fp_cap * 2 : 256;
        uint64_t *k = calloc(cap, sizeof *k);
        uint32_t *c = calloc(cap, sizeof *c);
        if (!k || !c) {
            free(k);
            free(c);
            return 0;
        }
        for (size_t i = 0; i < s->fp_cap; i++) {
            if (!s->fp_key[i])
                continue;
            size_t h = (size_t)s->fp_key[i] & (cap - 1);
            while (k[h])
                h = (h + 1) & (cap - 1);
            k[h] = s->fp_key[i];
            c[h] = s->fp_count[i];
        }
        free(s->fp_key);
        free(s->fp_count);
        s->fp_key = k;
        s->fp_count = c;
        s->fp_cap = cap;
    }
    size_t h = (size_t)key & (s->fp_cap - 1);
    while (s->fp_key[h] && s->fp_key[h] != key)
        h = (h + 1) & (s->fp_cap - 1);
    if (!s->fp_key[h]) {
        s->fp_key[h] = key;
        s->fp_n++;
    }
    return ++s->fp_count[h];
}

/* GitHub code scanning ranks by properties.security-severity (a number as a string, 0.0-10.0) and
 * the level: critical 9.5 and high 8.0 are errors, medium 5.5 a warning, low 3.0 a note. */
static const struct { const char *name, *score, *level; } SEVERITY[] = {
    {"critical", "9.5", "error"}, {"high", "8.0", "error"}, {"medium", "5.5", "warning"}, {"low", "3.0", "note"}};

static size_t severity_slot(const char *sev)
{
    for (size_t i = 0; sev && i < sizeof SEVERITY / sizeof *SEVERITY; i++)
        if (!strcmp(sev, SEVERITY[i].name))
            return i;
    return 1; /* high */
}

void sarif_result(ks_strbuf *b, sarif_state *s, const finding_view *f, int first)
{
    const ks_match *m = f->m;
    if (s->n_results >= SARIF_MAX_RESULTS) {
        if (!s->n_dropped++)
            fprintf(stderr, "keysweep: warning: SARIF: more than %u results; GitHub code scanning refuses a run of "
                            "more, so the rest are counted in invocations[0].toolExecutionNotifications, not "
                            "listed (another format lists them all)\n", SARIF_MAX_RESULTS);
        return;
    }
    s->n_results++;
    size_t ri = m->rule_index < s->n_rules ? m->rule_index : 0;
    if (!s->slot[ri]) {
        s->order[s->n_used++] = ri;
        s->slot[ri] = s->n_used;
    }
    ks__sb_puts(b, first ? "\n" : ",\n");
    ks__sb_puts(b, "{\"ruleId\":");
    jstr(b, m->rule_id);
    /* a near miss is at most a warning: it failed its rule's own checks */
    const char *level = SEVERITY[severity_slot(m->severity)].level;
    if (m->near_miss && !strcmp(level, "error"))
        level = "warning";
    ks__sb_printf(b, ",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":", s->slot[ri] - 1, level);
    /* the message never quotes the secret: it is shown in dashboards and notifications */
    ks_strbuf msg = {0};
    ks__sb_puts(&msg, m->near_miss ? "Possible secret (failed validation): " : "Secret found: ");
    ks__sb_puts(&msg, f->rule->name);
    if (m->validator[0])
        ks__sb_printf(&msg, " (validated: %s)", m->validator);
    json_string(b, (const unsigned char *)(msg.s ? msg.s : ""), msg.len);
    if (msg.oom)
        b->oom = 1;
    ks__sb_free(&msg);
    ks__sb_puts(b, "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{");
    const ks_git_origin *o = f->git && f->git->n_origins ? &f->git->origins[0] : NULL;
    size_t art = m->object && !o ? member_artifact(s, f->file, m->object) : SIZE_MAX;
    if (o) { /* a history finding: the file in the commit that introduced it, relative to the repository */
        ks_strbuf file = {0};
        ks__sb_puts(b, "\"uri\":");
        uri_of(b, git_file(&file, f->git), 1);
        if (file.oom)
            b->oom = 1;
        ks__sb_free(&file);
    } else if (art != SIZE_MAX) { /* inside a container: the member, relative to its parent, by index */
        ks__sb_puts(b, "\"uri\":");
        uri_of(b, s->arts[art].key + s->arts[art].name, 1);
        ks__sb_printf(b, ",\"index\":%zu", art);
    } else {
        if (m->object)
            b->oom = 1; /* out of memory for the artifact table: the report is not written */
        file_location(b, s, f->path);
    }
    ks__sb_printf(b, "},\"region\":{\"startLine\":%llu,\"startColumn\":%llu,\"endLine\":%llu,\"endColumn\":%llu",
                  (unsigned long long)m->line, (unsigned long long)m->column, (unsigned long long)f->end_line,
                  (unsigned long long)f->end_column);
    /* a region with a byteOffset is a binary region to some readers (DefectDojo then drops startLine): only on
     * request */
    if (s->byte_offsets)
        ks__sb_printf(b, ",\"byteOffset\":%llu,\"byteLength\":%llu", (unsigned long long)m->start,
                      (unsigned long long)(m->end - m->start));
    ks__sb_puts(b, ",\"snippet\":{\"text\":");
    json_string(b, m->match, m->match_len);
    /* GitHub tracks an alert by partialFingerprints: this one holds while lines around the secret change
     * (README: SARIF fingerprints) */
    uint32_t nth = occurrence(s, f->secret_key);
    if (!nth)
        b->oom = 1;
    ks__sb_printf(b, "}}}}],\"partialFingerprints\":{\"secretLocationHash/v1\":\"%016llx:%u\"}",
                  (unsigned long long)f->secret_key, nth);
    ks__sb_printf(b, ",\"properties\":{\"fingerprint\":\"%s\",\"validator\":", f->fingerprint);
    jstr(b, m->validator);
    ks__sb_puts(b, ",\"severity\":");
    jstr(b, SEVERITY[severity_slot(m->severity)].name);
    if (m->near_miss) {
        ks__sb_puts(b, ",\"near_miss\":");
        jstr(b, finding_near_miss(m));
    }
    if (m->known_test_key)
        ks__sb_puts(b, ",\"known_test_key\":true");
    if (f->git) {
        ks__sb_puts(b, ",\"commit\":");
        jstr(b, o ? o->commit : "");
        ks__sb_puts(b, ",\"blob\":");
        jstr(b, f->git->blob);
        ks__sb_puts(b, ",\"repository\":");
        jstr(b, f->git->repository);
    }
    ks__sb_puts(b, "}}");
}

static int is_web_uri(const char *s) { return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0; }

static void sarif_rule(ks_strbuf *b, const ks_rule_info *r)
{
    const char *desc = r->description && r->description[0] ? r->description : r->name;
    ks__sb_puts(b, "{\"id\":");
    jstr(b, r->id);
    ks__sb_puts(b, ",\"name\":");
    jstr(b, r->name);
    ks__sb_puts(b, ",\"shortDescription\":{\"text\":");
    jstr(b, r->name);
    ks__sb_puts(b, "},\"fullDescription\":{\"text\":");
    jstr(b, desc);
    /* help: the description and the references, in text and in markdown */
    ks_strbuf h = {0}, md = {0};
    ks__sb_puts(&h, desc);
    ks__sb_puts(&md, desc);
    for (size_t i = 0; i < r->n_references; i++) {
        ks__sb_puts(&h, i ? ", " : "\nReferences: ");
        ks__sb_puts(&h, r->references[i]);
        ks__sb_puts(&md, i ? "\n- " : "\n\nReferences:\n- ");
        if (is_web_uri(r->references[i]))
            ks__sb_printf(&md, "<%s>", r->references[i]);
        else
            ks__sb_puts(&md, r->references[i]);
    }
    ks__sb_puts(b, "},\"help\":{\"text\":");
    json_string(b, (const unsigned char *)(h.s ? h.s : ""), h.len);
    ks__sb_puts(b, ",\"markdown\":");
    json_string(b, (const unsigned char *)(md.s ? md.s : ""), md.len);
    if (h.oom || md.oom)
        b->oom = 1;
    ks__sb_free(&h);
    ks__sb_free(&md);
    ks__sb_putn(b, "}", 1);
    for (size_t i = 0; i < r->n_references; i++) {
        if (is_web_uri(r->references[i])) {
            ks__sb_puts(b, ",\"helpUri\":");
            jstr(b, r->references[i]);
            break;
        }
    }
    /* SARIF precision is very-high/high/medium/low; the rule's confidence maps onto it directly */
    const char *prec = r->confidence && r->confidence[0] ? r->confidence : "medium";
    size_t sev = severity_slot(r->severity);
    ks__sb_printf(b, ",\"defaultConfiguration\":{\"level\":\"%s\"},\"properties\":{\"security-severity\":\"%s\","
                     "\"tags\":[\"security\",\"secret\"",
                  SEVERITY[sev].level, SEVERITY[sev].score);
    /* SARIF wants the tags unique: categories often repeat "secret" */
    for (size_t i = 0; i < r->n_categories; i++) {
        const char *c = r->categories[i];
        int dup = strcmp(c, "security") == 0 || strcmp(c, "secret") == 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(c, r->categories[j]) == 0;
        if (!dup) {
            ks__sb_putn(b, ",", 1);
            jstr(b, c);
        }
    }
    ks__sb_puts(b, "],\"precision\":");
    jstr(b, prec);
    ks__sb_puts(b, "}}");
}

/* "uri":"file:///DIR/": a directory as an absolute URI, which SARIF wants to end with '/'. */
static void dir_uri(ks_strbuf *b, const char *dir)
{
    ks_strbuf d = {0};
    ks__sb_puts(&d, dir);
    if (!d.len || d.s[d.len - 1] != '/')
        ks__sb_putn(&d, "/", 1);
    ks__sb_puts(b, "\"uri\":");
    uri_of(b, d.oom ? dir : d.s, 0);
    if (d.oom)
        b->oom = 1;
    ks__sb_free(&d);
}

void sarif_end(ks_strbuf *b, const sarif_state *s, const ks_engine *engine, int complete)
{
    ks__sb_puts(b, "\n]");
    if (s->n_arts) {
        ks__sb_puts(b, ",\"artifacts\":[");
        for (size_t i = 0; i < s->n_arts; i++) {
            const sarif_artifact *a = &s->arts[i];
            ks__sb_puts(b, i ? ",\n{\"location\":{" : "\n{\"location\":{");
            if (a->parent == SIZE_MAX) {
                file_location(b, s, a->key);
            } else {
                ks__sb_puts(b, "\"uri\":");
                uri_of(b, a->key + a->name, 1);
            }
            ks__sb_putn(b, "}", 1);
            if (a->parent != SIZE_MAX)
                ks__sb_printf(b, ",\"parentIndex\":%zu", a->parent);
            ks__sb_putn(b, "}", 1);
        }
        ks__sb_puts(b, "]");
    }
    if (s->n_repos) { /* the repositories whose history had findings: their remote (else path) and HEAD */
        ks__sb_puts(b, ",\"versionControlProvenance\":[");
        for (size_t i = 0; i < s->n_repos; i++) {
            const char *uri = s->repos[i], *rev = uri + strlen(uri) + 1, *branch = rev + strlen(rev) + 1;
            ks__sb_puts(b, i ? ",{\"repositoryUri\":" : "{\"repositoryUri\":");
            const char *colon = strchr(uri, ':');
            if (strstr(uri, "://")) {
                jstr(b, uri);
            } else if (colon && uri[0] != '/' && !memchr(uri, '/', (size_t)(colon - uri))) {
                /* scp-like "git@host:team/r.git" is ssh://git@host/team/r.git */
                ks_strbuf u = {0};
                ks__sb_puts(&u, "ssh://");
                ks__sb_putn(&u, uri, (size_t)(colon - uri));
                ks__sb_putn(&u, "/", 1);
                ks__sb_puts(&u, colon + 1);
                json_string(b, (const unsigned char *)(u.s ? u.s : ""), u.len);
                if (u.oom)
                    b->oom = 1;
                ks__sb_free(&u);
            } else { /* a path: SARIF wants a URI */
                uri_of(b, uri, 0);
            }
            if (*rev) {
                ks__sb_puts(b, ",\"revisionId\":");
                jstr(b, rev);
            }
            if (*branch) {
                ks__sb_puts(b, ",\"branch\":");
                jstr(b, branch);
            }
            ks__sb_putn(b, "}", 1);
        }
        ks__sb_putn(b, "]", 1);
    }
    ks__sb_puts(b, ",\"tool\":{\"driver\":{\"name\":\"keysweep\",\"version\":");
    jstr(b, ks_version());
    ks__sb_puts(b, ",\"semanticVersion\":");
    jstr(b, ks_version());
    ks__sb_puts(b, ",\"informationUri\":\"" KS_INFORMATION_URI "\",\"rules\":[");
    for (size_t i = 0; i < s->n_used; i++) {
        ks_rule_info info = {.size = sizeof info};
        if (ks_engine_rule(engine, s->order[i], &info)) { /* cannot happen: the index came from this engine */
            b->oom = 1;
            return;
        }
        ks__sb_puts(b, i ? ",\n" : "\n");
        sarif_rule(b, &info);
    }
    ks__sb_puts(b, "]}}");
    if (s->cwd) {
        ks__sb_puts(b, ",\"originalUriBaseIds\":{\"%SRCROOT%\":{");
        dir_uri(b, s->cwd);
        ks__sb_puts(b, "}}");
    }
    ks__sb_printf(b, ",\"invocations\":[{\"executionSuccessful\":%s", complete ? "true" : "false");
    if (s->cwd) {
        ks__sb_puts(b, ",\"workingDirectory\":{");
        dir_uri(b, s->cwd);
        ks__sb_putn(b, "}", 1);
    }
    if (s->n_dropped)
        ks__sb_printf(b, ",\"toolExecutionNotifications\":[{\"level\":\"warning\",\"message\":{\"text\":\"%llu "
                         "results not listed: GitHub code scanning accepts at most %u in a run\"}}]",
                      s->n_dropped, SARIF_MAX_RESULTS);
    ks__sb_puts(b, "}]}]}\n");
}
