/* peer_fp.c: Gitleaks' fingerprint of a finding (written, split, hashed) and TruffleHog's place-and-secret
 * key. */
#include <string.h>

#include "hash.h"
#include "hex.h"
#include "output.h"
#include "peer_fp.h"

void peer_clean_path(ks_strbuf *out, const char *path)
{
    /* Go's filepath.Clean, which both peers' walks apply (filepath.Join): "." elements and repeated '/' go,
     * ".." takes back the element before it (lexically, as Go does), "" is "." */
    size_t base = out->len, n = strlen(path), r = 0, dotdot;
    int rooted = path[0] == '/';
    if (rooted)
        ks__sb_putn(out, "/", 1);
    dotdot = out->len;
    while (r < n && !out->oom) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (out->len > dotdot) {
                out->len--;
                while (out->len > dotdot && out->s[out->len] != '/')
                    out->len--;
            } else if (!rooted) {
                ks__sb_puts(out, out->len > base ? "/.." : "..");
                dotdot = out->len;
            }
        } else {
            if (out->len > base + (size_t)rooted)
                ks__sb_putn(out, "/", 1);
            size_t e = r;
            while (e < n && path[e] != '/')
                e++;
            ks__sb_putn(out, path + r, e - r);
            r = e;
        }
    }
    if (out->len == base)
        ks__sb_putn(out, ".", 1);
    ks__sb_putn(out, "", 1); /* NUL-terminated, not counted */
    out->len--;
}

void peer_place_of(peer_place *p, ks_strbuf *scratch, const char *path, const ks_match *m,
                   const finding_git *g)
{
    const char *file;
    if (g && g->n_origins) {
        file = git_file(scratch, g);
        p->commit = g->origins[0].commit;
    } else {
        scratch->len = 0;
        peer_clean_path(scratch, path);
        if (m->object) {
            ks__sb_putn(scratch, "!", 1);
            ks__sb_puts(scratch, m->object);
        }
        file = scratch->oom ? path : scratch->s;
        p->commit = "";
    }
    p->commit_len = strlen(p->commit);
    p->file = file;
    p->file_len = strlen(file);
    p->rule = m->rule_id;
    p->rule_len = strlen(m->rule_id);
    p->line = m->line;
}

const char *gitleaks_rule_id(const ks_rule_info *r)
{
    return r->gitleaks_id && r->gitleaks_id[0] ? r->gitleaks_id : r->id;
}

void gitleaks_fingerprint(ks_strbuf *out, const peer_place *p)
{
    if (p->commit_len) {
        ks__sb_putn(out, p->commit, p->commit_len);
        ks__sb_putn(out, ":", 1);
    }
    ks__sb_putn(out, p->file, p->file_len);
    ks__sb_putn(out, ":", 1);
    ks__sb_putn(out, p->rule, p->rule_len);
    ks__sb_putn(out, ":", 1);
    ks__sb_put_u64(out, (unsigned long long)p->line);
}

/* The length of a commit id (40 hex digits for SHA-1, 64 for SHA-256) followed by ':' at the start of s, or
 * 0. */
static size_t commit_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 64 && ks__hex_value(s[i]) >= 0)
        i++;
    return (i == 40 || i == 64) && i < n && s[i] == ':' ? i : 0;
}

int gitleaks_fingerprint_split(const char *s, size_t n, peer_place *p)
{
    /* from the right: a file name may hold ':', a rule id and a line number never do */
    const char *colon = memrchr(s, ':', n);
    if (!colon || colon + 1 == s + n)
        return -1;
    uint64_t line = 0;
    for (const char *q = colon + 1; q < s + n; q++) {
        if (*q < '0' || *q > '9' || line > (UINT64_MAX - 9) / 10)
            return -1;
        line = line * 10 + (uint64_t)(*q - '0');
    }
    const char *rule_end = colon;
    colon = memrchr(s, ':', (size_t)(rule_end - s));
    if (!colon || colon + 1 == rule_end)
        return -1;
    p->rule = colon + 1;
    p->rule_len = (size_t)(rule_end - p->rule);
    size_t rest = (size_t)(colon - s), c = commit_prefix(s, rest);
    p->commit = s;
    p->commit_len = c;
    p->file = c ? s + c + 1 : s;
    p->file_len = c ? rest - c - 1 : rest;
    p->line = line;
    return p->file_len ? 0 : -1;
}

/* The file without leading "./": peers and keysweep's walk write a path under "." both ways. */
static void trim_dot(const char **s, size_t *n)
{
    while (*n >= 2 && (*s)[0] == '.' && (*s)[1] == '/') {
        *s += 2;
        *n -= 2;
        while (*n && **s == '/')
            (*s)++, (*n)--;
    }
}

/* Hashes the parts every key has: a tag (which peer), the commit in lower case, the file, the line. */
static uint64_t place_hash(char tag, const peer_place *p)
{
    uint64_t h = ks__fnv1a(KS_FNV_OFFSET, &tag, 1);
    for (size_t i = 0; i < p->commit_len; i++) {
        char c = p->commit[i];
        c = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
        h = ks__fnv1a(h, &c, 1);
    }
    const char *file = p->file;
    size_t file_len = p->file_len;
    trim_dot(&file, &file_len);
    h = ks__fnv1a(h, "", 1);
    h = ks__fnv1a(h, file, file_len);
    unsigned char line[8];
    for (int i = 0; i < 8; i++)
        line[i] = (unsigned char)(p->line >> (8 * i));
    h = ks__fnv1a(h, "", 1);
    return ks__fnv1a(h, line, sizeof line);
}

uint64_t gitleaks_key(const peer_place *p)
{
    uint64_t h = place_hash('G', p);
    h = ks__fnv1a(h, "", 1);
    return ks__fnv1a(h, p->rule, p->rule_len);
}

uint64_t trufflehog_key(const peer_place *p, const unsigned char *raw, size_t raw_len)
{
    uint64_t h = place_hash('T', p);
    h = ks__fnv1a(h, "", 1);
    return ks__fnv1a(h, raw, raw_len);
}
