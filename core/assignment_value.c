/* assignment_value.c: the `assignment` validator: whether the value of a keyword assignment looks like a secret, not an identifier, reference, path, UUID or placeholder. */
#include <math.h>
#include <string.h>

#include "decode.h"
#include "hex.h"
#include "validators.h"

/* Values longer than this are judged on their first bytes only (the generic rules stop at 128). */
#define KS_AV_MAX 256

static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return is_lower(c) || is_upper(c); }
static int is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
/* Characters that join the words of a name: snake_case, kebab-case, dotted.names, a/path, Ns::Type,
 * this.#private, $scope. */
static int is_joiner(unsigned char c)
{
    return c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '~' || c == '#' || c == '$';
}
static int is_vowel(unsigned char c)
{
    c = (unsigned char)(c | 0x20);
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Abbreviations that names spell as words though they have no vowel (XmlString, HttpSdk, SqlCfg). */
static int is_vowelless_word(const unsigned char *w, size_t n)
{
    static const char *const words[] = {"xml", "html", "http", "https", "sql", "ssl", "tls", "tcp", "udp", "dns",
                                        "ssh", "jwt", "pkcs", "crl", "csr", "msg", "ctx", "cfg", "src", "std",
                                        "sdk", "mgmt", "svc", "crr", NULL};
    for (size_t k = 0; words[k]; k++) {
        if (strlen(words[k]) != n)
            continue;
        size_t j = 0;
        while (j < n && (w[j] | 0x20) == words[k][j])
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* Words that mark a value as made up for documentation or tests, beyond the generic validator's list;
 * matched anywhere in the lower-cased value. */
static const char *const made_up[] = {"test", "fake", "mock", "demo", "foo", "bogus", "invalid", "secret_",
                                      "-secret", NULL};

static int has_made_up_word(const unsigned char *low, size_t len)
{
    for (size_t k = 0; made_up[k]; k++)
        if (memmem(low, len, made_up[k], strlen(made_up[k])))
            return 1;
    return 0;
}

/* 8-4-4-4-12 hex digits, braces allowed: request ids, idempotency and pagination tokens, GUIDs. */
static int is_uuid(const unsigned char *s, size_t len)
{
    if (len == 38 && s[0] == '{' && s[37] == '}') {
        s++;
        len -= 2;
    }
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    }
    return 1;
}

/* Paths, URLs (credentials in a URL are generic.url_credentials' to report), Windows shares. */
static int is_path_or_url(const unsigned char *s, size_t len)
{
    if (s[0] == '/' || s[0] == '\\' || (s[0] == '~' && len > 1 && s[1] == '/'))
        return 1;
    if (s[0] == '.' && len > 1 && (s[1] == '/' || s[1] == '.'))
        return 1;
    if (len > 2 && is_alpha(s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/'))
        return 1;
    /* a link to a page's anchor: doxygen's navigation tables give AUTH_KEY its page, "x_8h.html#aa12c6dbc..." */
    static const char *const pages[] = {".html#", ".htm#", ".xhtml#", ".php#", ".md#"};
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
        if (memmem(s, len, pages[i], strlen(pages[i])))
            return 1;
    return memmem(s, len, "://", 3) != NULL;
}

/* No letter or no digit-free word: numbers, versions, dates, phone numbers, addresses. */
static int is_number_like(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]) && !is_joiner(s[i]) && s[i] != ',' && s[i] != '+')
            return 0;
    return 1;
}

/* One joiner-free segment of a name: letters only, or, with digits, at most 4 characters of one case (a year, a
 * version part, i18n, k8s), letters of one case and at most 5 digits (v2021, x509, ed25519, AES256), or
 * camelCase words of 3+ letters with a vowel, acronyms and numbers of at most 5 digits
 * (Sha256Digest, Ed25519PrivateKey, oauth2Token). Random tokens break into one- and two-letter
 * words, vowel-less words and long digit runs, which this refuses (tests/test_validators.c bounds
 * how many random values it takes). */
static int segment_is_name(const unsigned char *s, size_t n)
{
    int lower = 0, upper = 0, digits = 0, words = 0;
    for (size_t i = 0; i < n; i++) {
        lower |= is_lower(s[i]);
        upper |= is_upper(s[i]);
        digits |= is_digit(s[i]);
    }
    if (!digits)
        return 1; /* letters only, as whole values are */
    size_t i = 0;
    if (!upper || !lower) {
        if (n <= 4)
            return 1; /* a short part of a longer name: i18n, k8s, x86, 2to4 (MLIR's gpu.create_2to4_spmat) */
        while (i < n && is_alpha(s[i]))
            i++;
        size_t d = i;
        while (d < n && is_digit(s[d]))
            d++;
        return d == n && (i ? d - i <= 5 : n <= 4);
    }
    while (i < n) {
        size_t b = i;
        if (is_digit(s[i])) {
            while (i < n && is_digit(s[i]))
                i++;
            if (i - b > 5)
                return 0;
            continue;
        }
        size_t caps = 0;
        while (i < n && is_upper(s[i]))
            i++, caps++;
        if (i < n && is_lower(s[i])) {
            if (caps > 1) { /* an acronym, then a capitalised word: "DOMGet" is DOM + Get */
                if (caps == 2)
                    return 0; /* a lone capital before the word: random, not a name */
                b = i - 1;
            }
            while (i < n && is_lower(s[i]))
                i++;
            int vowel = 0;
            for (size_t k = b; k < i; k++)
                vowel |= is_vowel(s[k]);
            /* two letters only before a number: Ed25519, Md5, Ec2 */
            size_t least = i < n && is_digit(s[i]) ? 2 : 3;
            if (i - b < least || !(vowel || is_vowelless_word(s + b, i - b)))
                return 0;
            words++;
        } else if (caps < 2) {
            return 0; /* a lone capital: random, not a name */
        }
    }
    return words > 0;
}

/* An identifier, a qualified or dotted name, a path of names, CONSTANT_CASE or kebab-case words.
 * Letters-only values always are: under a key that already says "secret", a value without a digit
 * or a symbol is a name far more often than a key. With digits, every segment must be a name. */
static int is_identifier(const unsigned char *s, size_t len)
{
    int digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_alpha(s[i]) && !is_digit(s[i]) && !is_joiner(s[i]))
            return 0;
        digits |= is_digit(s[i]);
    }
    if (!digits)
        return 1;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_joiner(s[i]))
            i++;
        size_t b = i;
        while (i < len && !is_joiner(s[i]))
            i++;
        if (i > b && !segment_is_name(s + b, i - b))
            return 0;
    }
    return 1;
}

/* A user@host or mail address of letters only: the name of an account, not its password. git's tests write
 * credential-helper answers as password=pass@host and password=user@host, 103 of 124 findings in its
 * history; letters-only values without the '@' are dropped as names already (is_identifier). */
static int is_address(const unsigned char *s, size_t len)
{
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '@')
            at++;
        else if (!is_alpha(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
            return 0;
    }
    return at == 1 && s[0] != '@' && s[len - 1] != '@';
}

/* The value is one shorter string repeated (a documentation token made by pasting one run thrice). */
static int is_repetition(const unsigned char *s, size_t len)
{
    for (size_t p = 1; p * 2 <= len; p++) {
        size_t i = p;
        while (i < len && s[i] == s[i - p])
            i++;
        if (i == len)
            return 1;
    }
    return 0;
}

/* Decodes s when it is base64 of printable ASCII without a colon ("user:password" keeps its colon
 * and is judged as it is written); returns the decoded length, or -1. */
static long decode_b64_text(const unsigned char *s, size_t len, unsigned char *out)
{
    while (len && s[len - 1] == '=')
        len--;
    if (len < 8 || len % 4 == 1)
        return -1;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = ks__b64_value(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] < 0x20 || out[i] > 0x7e || out[i] == ':')
            return -1;
    return n >= 6 ? (long)n : -1;
}

/* Mostly letters: encoded words ("anotherToken!", a pagination cursor), not key material. */
static int is_wordy(const unsigned char *s, size_t n)
{
    size_t letters = 0;
    for (size_t i = 0; i < n; i++)
        letters += is_alpha(s[i]) || s[i] == ' ';
    return letters * 4 >= n * 3;
}

/* Shannon entropy a random value of this length reaches in 999 cases of 1000 even over the poorest
 * alphabet keys use (hex): 1.5 bits at 8 characters, 2.4 at 16, 3.1 at 32, 3.5 at 64 and beyond,
 * linear in log2(length) between (measured over 20,000 random strings per length). */
static double min_entropy_for_length(size_t len)
{
    static const double at[] = {1.5, 2.4, 3.1, 3.5}; /* lengths 8, 16, 32, 64 */
    double l = log2((double)(len < 8 ? 8 : len)) - 3.0;
    if (l >= 3.0)
        return at[3];
    int k = (int)l;
    return at[k] + (at[k + 1] - at[k]) * (l - k);
}

/* The value as written, or as decoded when it is base64 of text. */
static int judge_value(const unsigned char *s, size_t len, long arg)
{
    if (len < 6 || !ks__validate_generic(s, len, arg))
        return 0;
    if (len > KS_AV_MAX)
        len = KS_AV_MAX;
    unsigned char low[KS_AV_MAX];
    for (size_t i = 0; i < len; i++)
        low[i] = (unsigned char)(is_upper(s[i]) ? s[i] + 32 : s[i]);
    if (has_made_up_word(low, len) || is_uuid(s, len) || is_path_or_url(s, len) || is_number_like(s, len) ||
        is_identifier(s, len) || is_address(s, len) || is_repetition(s, len))
        return 0;
    /* templates the generic validator does not know: Ruby #{...}, .NET {0}, Windows %VAR%, Make $(VAR) */
    if (memmem(s, len, "#{", 2) || memmem(s, len, "$(", 2) || (s[0] == '%' && s[len - 1] == '%'))
        return 0;
    return ks__shannon_entropy(s, len) >= min_entropy_for_length(len);
}

/* A value with %XX escapes (a URL's password), decoded into out: its length, or -1 when it has none. */
static long decode_percent(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    int any = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = ks__hex_value((char)s[i + 1])) >= 0 &&
            (lo = ks__hex_value((char)s[i + 2])) >= 0) {
            out[n++] = (unsigned char)(hi << 4 | lo);
            i += 2;
            any = 1;
        } else {
            out[n++] = s[i];
        }
    }
    return any ? (long)n : -1;
}

/* A value that is base64 of text (a Kubernetes Secret's data:, a password stored encoded) is judged by
 * what it encodes: the base64 of "password123" or "${API_KEY}" is no more a secret than they are; one
 * with %XX escapes, as it reads decoded (git's tests: https://user%40host:user%40host@... is user@host). */
int ks__validate_assignment(const unsigned char *s, size_t len, long arg)
{
    unsigned char dec[KS_AV_MAX];
    long n = len <= KS_AV_MAX ? decode_b64_text(s, len, dec) : -1;
    if (n > 0)
        return !is_wordy(dec, (size_t)n) && judge_value(dec, (size_t)n, arg);
    n = len <= KS_AV_MAX ? decode_percent(s, len, dec) : -1;
    if (n > 0)
        return judge_value(dec, (size_t)n, arg);
    return judge_value(s, len, arg);
}
