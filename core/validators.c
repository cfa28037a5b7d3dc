/* validators.c: offline checks run after a match is confirmed: entropy, token checksums, JWT, PEM, base64, placeholders. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <stdint.h>

#include "keysweep.h"
#include "decode.h"
#include "validators.h"

/* ---- base64 (hand-written: a dozen lines, and no Debian C library does only this) ---- */

/* Decodes standard or URL-safe base64, skipping whitespace; padding optional. Returns the
 * decoded length, or -1 when the input is not base64. `out` may be NULL to only measure. */
static long b64_decode(const unsigned char *s, size_t len, unsigned char *out, size_t cap)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = ks__b64_value(c);
        if (v < 0 || pad)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (out) {
                if (n >= cap)
                    return -1;
                out[n] = (unsigned char)(acc >> bits);
            }
            n++;
        }
    }
    if (pad > 2 || bits >= 6)
        return -1;
    return (long)n;
}

/* ---- token checksums ---- */

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* GitHub and npm tokens end in 6 base62 characters: the CRC32 of the 30 characters before them. */
static int crc32_base62_tail(const unsigned char *s, size_t len, long arg)
{
    (void)arg;
    if (len < 36)
        return 0;
    const unsigned char *tail = s + len - 6, *body = tail - 30;
    uint32_t crc = (uint32_t)crc32(0L, body, 30);
    char want[7];
    for (int i = 5; i >= 0; i--) {
        want[i] = base62[crc % 62];
        crc /= 62;
    }
    return memcmp(want, tail, 6) == 0;
}

/* GitLab's routable tokens (2025 on) end in ".LL" + "CCCCCCC" (base36, lower case, zero-padded): L the length of the
 * base64url payload after the prefix's '-', C the CRC32 of every byte before C (prefix, payload, an optional
 * ".VV" version and ".LL"); the legacy form (prefix + 20 characters, no '.') carries no checksum and passes. */
static int gitlab_routable_tail(const unsigned char *s, size_t len, long arg)
{
    (void)arg;
    const unsigned char *dash = memchr(s, '-', len), *dot = dash ? memchr(dash, '.', len - (size_t)(dash - s)) : NULL;
    if (!dot)
        return 1;
    if (len < 10 || s[len - 10] != '.')
        return 0;
    static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint32_t crc = (uint32_t)crc32(0L, s, (unsigned)(len - 7));
    char want[7];
    for (int i = 6; i >= 0; i--) {
        want[i] = b36[crc % 36];
        crc /= 36;
    }
    const char *h0 = strchr(b36, s[len - 9]), *h1 = strchr(b36, s[len - 8]);
    size_t payload = (size_t)(dot - dash - 1);
    return memcmp(want, s + len - 7, 7) == 0 && s[len - 9] && s[len - 8] && h0 && h1 &&
           (size_t)((h0 - b36) * 36 + (h1 - b36)) == payload;
}

/* ---- JWT ---- */

/* A decoded JWT header must be a JSON object with an "alg" member; a full JSON parser is not
 * needed to tell a real header from random text, so this checks the shape and the member. */
static int json_object_has_key(const unsigned char *s, size_t n, const char *key)
{
    size_t i = 0;
    while (i < n && isspace(s[i]))
        i++;
    while (n > i && isspace(s[n - 1]))
        n--;
    if (i >= n || s[i] != '{' || s[n - 1] != '}')
        return 0;
    for (size_t k = i; k < n; k++)
        if (s[k] < 0x20 && !isspace(s[k]))
            return 0;
    if (!key)
        return 1;
    size_t kl = strlen(key);
    for (size_t k = i; k + kl + 2 <= n; k++) {
        if (s[k] == '"' && memcmp(s + k + 1, key, kl) == 0 && s[k + 1 + kl] == '"') {
            size_t j = k + kl + 2;
            while (j < n && isspace(s[j]))
                j++;
            if (j < n && s[j] == ':')
                return 1;
        }
    }
    return 0;
}

static int validate_jwt(const unsigned char *s, size_t len, long arg)
{
    (void)arg;
    const unsigned char *dot1 = memchr(s, '.', len);
    if (!dot1)
        return 0;
    const unsigned char *p2 = dot1 + 1;
    const unsigned char *dot2 = memchr(p2, '.', len - (size_t)(p2 - s));
    if (!dot2)
        return 0;
    unsigned char buf[2048];
    long n = b64_decode(s, (size_t)(dot1 - s), buf, sizeof buf);
    if (n <= 0 || !json_object_has_key(buf, (size_t)n, "alg"))
        return 0;
    n = b64_decode(p2, (size_t)(dot2 - p2), buf, sizeof buf);
    /* A payload too long for the buffer is still accepted if it is base64: only the header decides. */
    if (n < 0)
        return b64_decode(p2, (size_t)(dot2 - p2), NULL, 0) > 0;
    return json_object_has_key(buf, (size_t)n, NULL);
}

/* ---- PEM ---- */

static int validate_pem(const unsigned char *s, size_t len, long arg)
{
    (void)arg;
    /* The body starts after the BEGIN line and any RFC 1421 headers, and ends at "-----END". */
    const unsigned char *end = s + len;
    const unsigned char *p = memchr(s, '\n', len);
    if (!p)
        return 0;
    p++;
    for (;;) { /* skip "Name: value" header lines and the blank line after them */
        const unsigned char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            break;
        const unsigned char *colon = memchr(p, ':', (size_t)(eol - p));
        int blank = 1;
        for (const unsigned char *q = p; q < eol; q++)
            if (!isspace(*q))
                blank = 0;
        if (!colon && !blank)
            break;
        p = eol + 1;
    }
    const unsigned char *stop = p;
    while (stop < end && *stop != '-')
        stop++;
    long n = b64_decode(p, (size_t)(stop - p), NULL, 0);
    return n >= 32;
}

/* ---- base64 keys of a documented length ---- */

static int validate_b64_len(const unsigned char *s, size_t len, long arg)
{
    return b64_decode(s, len, NULL, 0) == arg;
}

/* ---- generic assignments: drop placeholders and references ---- */

/* Words that mark a value as an example, not a secret (lower case, 4 bytes or more). */
static const char *const placeholders[] = {
    "changeme", "change_me", "change-me", "example", "placeholder", "xxxx", "****", "your_",
    "your-", "yourpass", "<your", "redacted", "dummy", "sample", "secret_here", "password_here",
    "insert", "replace", "todo", "fixme", "notasecret", "not_a_secret", "foobar", "testpass",
    "p@ssw0rd", "passw0rd", "password", "qwerty", "123456", "abcdef", "lorem", "null",
    "undefined", "none"};
#define N_PLACEHOLDERS (sizeof placeholders / sizeof placeholders[0])

const char *ks__generic_placeholder(size_t i) { return i < N_PLACEHOLDERS ? placeholders[i] : NULL; }

static unsigned char lower(unsigned char c) { return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

static uint16_t pair_at(const unsigned char *s) { return (uint16_t)(lower(s[0]) | lower(s[1]) << 8); }

/* Whether a placeholder word occurs in s, in any case. Every provider key with the generic validator
 * comes through here (a million AWS key ids in one file, 18% of its scan when each byte tried the words
 * that begin with it, their branches mispredicted): each byte pair is compared with the words' first
 * pairs all at once (no branch, vectorised), and a word is tried only where its pair is. */
static int holds_placeholder(const unsigned char *s, size_t len)
{
    uint16_t first[N_PLACEHOLDERS];
    for (size_t k = 0; k < N_PLACEHOLDERS; k++)
        first[k] = (uint16_t)((unsigned char)placeholders[k][0] | (unsigned char)placeholders[k][1] << 8);
    for (size_t i = 0; i + 4 <= len; i++) {
        uint16_t x = pair_at(s + i);
        unsigned hit = 0;
        for (size_t k = 0; k < N_PLACEHOLDERS; k++)
            hit |= first[k] == x;
        if (!hit)
            continue;
        for (size_t k = 0; k < N_PLACEHOLDERS; k++) {
            const char *w = placeholders[k];
            size_t j = 2;
            if (first[k] != x)
                continue;
            while (w[j] && i + j < len && lower(s[i + j]) == (unsigned char)w[j])
                j++;
            if (!w[j])
                return 1;
        }
    }
    return 0;
}

/* ${VAR}, {{ var }}, %s (or %S), %(name)s anywhere in s. */
static int holds_template(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned char a = s[i], b = s[i + 1];
        if ((a == '$' && b == '{') || (a == '{' && b == '{') || (a == '}' && b == '}') ||
            (a == '%' && (b == 's' || b == 'S' || b == '(')))
            return 1;
    }
    return 0;
}

int ks__validate_generic(const unsigned char *s, size_t len, long arg)
{
    (void)arg;
    if (len < 4 || holds_placeholder(s, len))
        return 0;
    /* references and templates: ${VAR}, $VAR, {{ var }}, %s, <...>, %(name)s */
    if (s[0] == '$' || s[0] == '<' || s[0] == '%' || s[0] == '@' || holds_template(s, len))
        return 0;
    /* file paths */
    if (s[0] == '/' || s[0] == '~' || (len > 2 && s[1] == ':' && (s[2] == '\\' || s[2] == '/')) ||
        (s[0] == '.' && len > 1 && (s[1] == '/' || s[1] == '.')))
        return 0;
    /* one repeated character, or a run covering most of the value */
    size_t same = 1, best = 1;
    for (size_t i = 1; i < len; i++) {
        same = s[i] == s[i - 1] ? same + 1 : 1;
        if (same > best)
            best = same;
    }
    if (best * 2 >= len)
        return 0;
    return 1;
}

int ks__validator_lookup(const char *spec, ks_validator *out)
{
    memset(out, 0, sizeof *out);
    out->name = "";
    if (!spec || !*spec)
        return 0;
    if (strcmp(spec, "github-crc32") == 0 || strcmp(spec, "npm-crc32") == 0) {
        out->fn = crc32_base62_tail;
        out->name = strcmp(spec, "npm-crc32") == 0 ? "npm-crc32" : "github-crc32";
        return 0;
    }
    if (strcmp(spec, "gitlab-crc32") == 0) {
        out->fn = gitlab_routable_tail;
        out->name = "gitlab-crc32";
        return 0;
    }
    if (strcmp(spec, "jwt") == 0) {
        out->fn = validate_jwt;
        out->name = "jwt";
        return 0;
    }
    if (strcmp(spec, "pem") == 0) {
        out->fn = validate_pem;
        out->name = "pem";
        return 0;
    }
    if (strcmp(spec, "generic") == 0) {
        out->fn = ks__validate_generic;
        out->name = "generic";
        return 0;
    }
    if (strcmp(spec, "assignment") == 0) {
        out->fn = ks__validate_assignment;
        out->name = "assignment";
        return 0;
    }
    if (strncmp(spec, "base64:", 7) == 0) {
        char *end;
        long n = strtol(spec + 7, &end, 10);
        if (end == spec + 7 || *end || n <= 0 || n > 65536)
            return KS_ERULE;
        out->fn = validate_b64_len;
        out->arg = n;
        out->name = "base64-length";
        return 0;
    }
    return KS_ERULE;
}
