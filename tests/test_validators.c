/* test_validators.c: every offline validator on valid tokens and near misses, and their effect on findings. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "helpers.h"
#include "validators.h"

static int run(const char *spec, const char *s)
{
    ks_validator v;
    cr_assert_eq(ks__validator_lookup(spec, &v), 0, "unknown validator %s", spec);
    return v.fn((const unsigned char *)s, strlen(s), v.arg);
}

/* Builds prefix + 30 random characters + their base62 CRC32, the GitHub/npm token layout. */
static void make_crc_token(char *out, const char *prefix, const char *body30)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint32_t crc = (uint32_t)crc32(0L, (const unsigned char *)body30, 30);
    char tail[7] = {0};
    for (int i = 5; i >= 0; i--) {
        tail[i] = b62[crc % 62];
        crc /= 62;
    }
    sprintf(out, "%s%s%s", prefix, body30, tail);
}

Test(validators, lookup)
{
    ks_validator v;
    cr_assert_eq(ks__validator_lookup(NULL, &v), 0);
    cr_assert_null(v.fn);
    cr_assert_eq(ks__validator_lookup("base64:64", &v), 0);
    cr_assert_eq(v.arg, 64);
    cr_assert_eq(ks__validator_lookup("base64:", &v), KS_ERULE);
    cr_assert_eq(ks__validator_lookup("base64:-3", &v), KS_ERULE);
    cr_assert_eq(ks__validator_lookup("nope", &v), KS_ERULE);
}

Test(validators, entropy)
{
    cr_assert_float_eq(ks__shannon_entropy((const unsigned char *)"aaaa", 4), 0.0, 1e-9);
    cr_assert_float_eq(ks__shannon_entropy((const unsigned char *)"abab", 4), 1.0, 1e-9);
    cr_assert_float_eq(ks__shannon_entropy((const unsigned char *)"abcdefgh", 8), 3.0, 1e-9);
    cr_assert_float_eq(ks__shannon_entropy((const unsigned char *)"", 0), 0.0, 1e-9);
}

Test(validators, github_and_npm_crc32)
{
    char tok[64];
    make_crc_token(tok, "ghp_", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0");
    cr_assert(run("github-crc32", tok));
    cr_assert(run("github-crc32", tok + 4)); /* prefix does not matter: the last 36 do */
    char bad[64];
    strcpy(bad, tok);
    bad[10] = bad[10] == 'x' ? 'y' : 'x'; /* one changed character: near miss */
    cr_assert_not(run("github-crc32", bad));
    strcpy(bad, tok);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
    cr_assert_not(run("github-crc32", bad));
    cr_assert_not(run("github-crc32", "ghp_short"));
    make_crc_token(tok, "npm_", "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0");
    cr_assert(run("npm-crc32", tok));
}

/* GitLab's routable tokens: the CRC32 of everything before the last 7 characters, and the payload's length, both
 * base36 (GitLab's lib/authn/token_field/generator/routable_token.rb); these were made the same way. */
Test(validators, gitlab_routable_crc32)
{
    cr_assert(run("gitlab-crc32", "glpat-YzoxCm86MQp1OjJhZM7CZlt1f0QsgMQt-mbXbr8Q.01.141ecwx85"), "versioned");
    cr_assert(run("gitlab-crc32", "glpat-YzoxCm86MQp1OjJhZM7CZlt1f0QsgMQt-mbXbr8Q.140kxud9c"), "before versions");
    cr_assert(run("gitlab-crc32", "glpat-JZaVLaPeAU5moHH5F_gr"), "the legacy form has no checksum");
    cr_assert_not(run("gitlab-crc32", "glpat-YzoxCm86MQp1OjJhZM7CZlt1f0QsgMQt-mbXbr8Q.01.141ecwx86"), "a CRC digit off");
    cr_assert_not(run("gitlab-crc32", "glpat-YzoxCm86MQp1OjJhZM7CZlt1f0QsgMQt-mbXbr8Q.01.151hyi2sj"),
                  "a CRC that matches a wrong payload length");
    cr_assert_not(run("gitlab-crc32", "glpat-NdxP_Tjbf-nWAaruNv8EGyw7_jtRnlA19fnW.01.paybt1r2i"), "made up");
}

Test(validators, jwt)
{
    /* {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature */
    cr_assert(run("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"));
    /* header without alg: {"typ":"JWT"} */
    cr_assert_not(run("jwt", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln"));
    /* header not JSON */
    cr_assert_not(run("jwt", "bm90IGpzb24.eyJzdWIiOiIxIn0.c2ln"));
    cr_assert_not(run("jwt", "eyJhbGciOiJIUzI1NiJ9"));
}

Test(validators, pem)
{
    const char *good = "-----BEGIN RSA PRIVATE KEY-----\n"
                       "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                       "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
                       "-----END RSA PRIVATE KEY-----";
    cr_assert(run("pem", good));
    const char *enc = "-----BEGIN RSA PRIVATE KEY-----\n"
                      "Proc-Type: 4,ENCRYPTED\n"
                      "DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n"
                      "\n"
                      "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                      "-----END RSA PRIVATE KEY-----";
    cr_assert(run("pem", enc));
    cr_assert_not(run("pem", "-----BEGIN RSA PRIVATE KEY-----\n...your key here...\n-----END RSA PRIVATE KEY-----"));
    cr_assert_not(run("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"));
}

Test(validators, base64_length)
{
    /* 64 zero bytes encode to 86 'A's plus "==" */
    char key[89];
    memset(key, 'A', 86);
    strcpy(key + 86, "==");
    cr_assert(run("base64:64", key));
    cr_assert_not(run("base64:32", key));
    cr_assert_not(run("base64:64", "not*base64"));
}

Test(validators, generic_drops_placeholders_and_references)
{
    const char *drop[] = {"${DB_PASSWORD}", "{{ vault_token }}", "<your-key>", "changeme", "example-key-123",
                          "xxxxxxxxxxxx", "********", "", "aaaaaaaaaa", "/etc/secret/file", "~/.ssh/id_rsa",
                          "$SECRET", "%s", "C:\\keys\\a", "./relative/path", "your_api_key_here", "password123"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cr_assert_not(run("generic", drop[i]), "'%s' should be dropped", drop[i]);
    const char *keep[] = {"hV9#kq2!Zr7@pL4w", "s3cr3tV4lu3Xq9", "Qm8Xv2Lp9Rt4Wz"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        cr_assert(run("generic", keep[i]), "'%s' should be kept", keep[i]);
}

/* The generic validator finds each placeholder word at every place in a random key and in any case,
 * cut at the key's end or not, and only there: it tries a word only where its first two bytes are, so a
 * word that ends the value, one in upper case and a value that ends one byte short must all still be
 * told apart (reference: a case-insensitive search with every word at every offset). */
Test(validators, generic_placeholders_anywhere_in_any_case)
{
    static const char alphabet[] = "BCGHJKMVWZ89"; /* no vowel: its bytes spell no word */
    unsigned seed = 5;
    const char *w;
    for (size_t wi = 0; (w = ks__generic_placeholder(wi)); wi++) {
        size_t n = strlen(w);
        for (size_t at = 0; at <= 12; at++) {
            for (int upper = 0; upper < 2; upper++) {
                char v[64];
                for (size_t i = 0; i < sizeof v; i++)
                    v[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
                for (size_t i = 0; i < n; i++)
                    v[8 + at + i] = upper && w[i] >= 'a' && w[i] <= 'z' ? (char)(w[i] - 32) : w[i];
                v[8 + at + n] = '\0';
                cr_assert_not(run("generic", v), "'%s' (%s at %zu) should be dropped", v, w, at);
                v[7 + at + n] = '\0'; /* the word's last byte cut off: kept unless it holds another word */
                int holds = 0;
                for (size_t k = 0; ks__generic_placeholder(k); k++)
                    holds |= strcasestr(v, ks__generic_placeholder(k)) != NULL;
                cr_assert_eq(run("generic", v), !holds, "'%s' (%s cut)", v, w);
            }
        }
    }
}

/* Entropy over the bytes present equals the sum over all 256 counts, to the last bit. Regression: summed in the
 * order the bytes first occurred, the rounded sum depended on that order, and a value whose entropy is a rule's
 * threshold exactly (length 24, counts 9, 3, 3 and nine 1s: 3.0) passed or failed by how its bytes were
 * shuffled: posthog keys of the same characters were a finding and a near miss (a helper's review). */
Test(validators, r_entropy_does_not_depend_on_the_order_of_the_bytes)
{
    unsigned seed = 9;
    for (int round = 0; round < 2000; round++) {
        unsigned char s[300];
        size_t len = 1 + (size_t)rand_r(&seed) % sizeof s, span = 1 + (size_t)rand_r(&seed) % 256;
        for (size_t i = 0; i < len; i++)
            s[i] = (unsigned char)(rand_r(&seed) % span);
        size_t counts[256] = {0};
        for (size_t i = 0; i < len; i++)
            counts[s[i]]++;
        double h = 0.0;
        for (int c = 0; c < 256; c++)
            if (counts[c])
                h -= (double)counts[c] / (double)len * log2((double)counts[c] / (double)len);
        cr_assert(ks__shannon_entropy(s, len) == h, "length %zu over %zu values", len, span);
    }
    /* counts 9, 3, 3, 1 x 9: exactly 3 bits, in every order */
    unsigned char t[24];
    size_t k = 0;
    for (int i = 0; i < 9; i++)
        t[k++] = 'a';
    for (int i = 0; i < 3; i++)
        t[k++] = 'b', t[k++] = 'c';
    for (int i = 0; i < 9; i++)
        t[k++] = (unsigned char)('d' + i);
    double first = ks__shannon_entropy(t, sizeof t);
    cr_assert(first >= 3.0 - 1e-12 && first <= 3.0 + 1e-12);
    for (int round = 0; round < 2000; round++) {
        for (size_t i = sizeof t - 1; i > 0; i--) {
            size_t j = (size_t)rand_r(&seed) % (i + 1);
            unsigned char x = t[i];
            t[i] = t[j], t[j] = x;
        }
        cr_assert(ks__shannon_entropy(t, sizeof t) == first, "round %d: an anagram's entropy differs", round);
    }
}

/* The values issue 16 names, each a reason the generic rules' `assignment` validator gives. */
Test(validators, assignment_drops_what_is_not_a_secret)
{
    const char *drop[] = {
        /* UUIDs */ "abcd12f2-46da-4fdb-b8d5-fbd4c466928f", "{550E8400-E29B-41D4-A716-446655440000}",
        /* letters-only and camelCase identifiers, values equal to their key name */ "refreshTokenClientAcquireToken",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "provider-app-client-secret", "ExclusiveStartKey", "QZXqvMeEpXfRwLkT",
        /* dotted and qualified names, with digits too */ "_models.SecretBase", "azure.core.credentials.AccessToken",
        "ed25519.Ed25519PrivateKey", "rfc3447.RSAPrivateKey", "AccessToken_1.default", "this.#client.clientSecret",
        "Stripe_.V2.Core.ApiKeys.Mcp.SecretKey", "auth_provider_x509_cert_url", "Sha256Digest", "XmlStringMaxLen256", "process.env.API_KEY",
        /* paths and URLs */ "/run/secrets/db", "C:/keys/a.pem", "https://vault.internal/v1/secret/x9",
        /* placeholders and templates */ "${API_KEY}", "{{ .Values.token }}", "<your-key>", "changeme123",
        "xxxxxxxxxxxx", "EXAMPLEKEY12345678", "dummy-key-9f8e7d", "This-is-my-test-99!", "fooBar%40baz",
        "#{ENV_TOKEN}", "$(cat /run/x)", "%DB_PASSWORD%",
        /* an account's name or address, letters only (git's credential tests: password=pass@host) */ "pass@host",
        "user@host", "deploy.bot@mail.example-corp.com", "user%40host" /* percent-encoded, as in a URL */,
        /* numbers, repeated runs, base64 of words, low entropy for the length */ "12345678901234",
        "+1-555-0100-2233", "gPFEGk7CF4wS901w7ppYclt7gPFEGk7CF4wS901w7ppYclt7", "YW5vdGhlclRva2VuIQ==",
        "bXlzdGVyaW91c1BhZ2luYXRpb25Ub2tlbg==", "a1a1a1b2b2b2a1a1b2", "aaaaaaab1"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cr_assert_not(run("assignment", drop[i]), "'%s' should be dropped", drop[i]);
    const char *keep[] = {"hV9#kq2!Zr7@pL4w", "s3cr3tV4lu3Xq9", "0HATUFKtzmib039WiV4Vc3wIsA2WCIkA",
                          "1894f54e300398c151864742dd563d2eb18e17c4", "VtzctyVqWiw6jJKi326Ni5XSSoGy1_4HOvyz5Ih7",
                          "69418689F1E342DD946CB82994CDA3CB", "rapunz3l", "Wm3!qZ8xKt5R", "Tr0ub4dor@3x", "Tr0ub4dor%403x",
                          /* base64 of user:password is a credential, not text */ "c3ZjOnMzY3IzdC1wYXNz"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        cr_assert(run("assignment", keep[i]), "'%s' should be kept", keep[i]);
}

/* Issue 16, Kubernetes Secret manifests: a data: value is base64, judged by what it encodes. The
 * base64 of a placeholder, a common password or a template was reported under a credential key
 * (cGFzc3dvcmQxMjM= is password123: only 73% letters, so the encoded-words check let it through). */
Test(validators, assignment_judges_base64_of_text_decoded)
{
    const char *drop[] = {"cGFzc3dvcmQxMjM=" /* password123 */, "Y2hhbmdlbWUxMjM=" /* changeme123 */,
                          "JHtBUElfVE9LRU59" /* ${API_TOKEN} */, "ZHVtbXktc2VjcmV0LTQy" /* dummy-secret-42 */,
                          "L3J1bi9zZWNyZXRzL2Ri" /* /run/secrets/db */,
                          "YWJjZDEyZjItNDZkYS00ZmRiLWI4ZDUtZmJkNGM0NjY5Mjhm" /* a UUID */};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cr_assert_not(run("assignment", drop[i]), "'%s' should be dropped", drop[i]);
    const char *keep[] = {"eDkkTG0yI3FQdw==" /* x9$Lm2#qPw */, "WnE4IXZOM0BrUjV3eA==" /* Zq8!vN3@kR5wx */,
                          "N2ZRMnpMOXhLNHZSOG1UMw==" /* 7fQ2zL9xK4vR8mT3 */};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        cr_assert(run("assignment", keep[i]), "'%s' should be kept", keep[i]);
}

/* The name and entropy checks must not eat real keys: over random base62, base36 and hex values (a
 * fixed xorshift sequence) that hold a digit, few are dropped, fewer as they grow. Letters-only
 * values are all dropped, by design (12% of random 12-character base62 values, 0.4% at 32). */
Test(validators, assignment_keeps_random_values)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const struct {
        const char *alphabet;
        size_t alen, len;
        int max_dropped; /* of 10000 */
    } cases[] = {{b62, 62, 12, 150}, {b62, 62, 20, 30}, {b62, 62, 32, 20}, {b62, 16, 20, 15}, {b62, 16, 32, 10},
                 {b62, 36, 24, 25}};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int dropped = 0;
        for (int k = 0; k < 10000; k++) {
            char v[64];
            for (size_t i = 0; i < cases[c].len; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v[i] = cases[c].alphabet[x % cases[c].alen];
            }
            v[cases[c].len] = 0;
            if (!strpbrk(v, "0123456789"))
                cr_assert_not(run("assignment", v), "letters-only '%s' should be dropped", v);
            else
                dropped += !run("assignment", v);
        }
        cr_assert_leq(dropped, cases[c].max_dropped, "%d of 10000 random values of length %zu over %zu characters dropped",
                      dropped, cases[c].len, cases[c].alen);
    }
}

static int count_findings(ks_engine *e, const char *text, int *near)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, 0, collect, &f), 0);
    int n = (int)f.n;
    *near = 0;
    for (size_t i = 0; i < f.n; i++)
        *near += f.items[i].near_miss;
    found_list_free(&f);
    ks_scanner_destroy(s);
    return n;
}

/* A token failing its checksum is not reported, unless near misses are asked for, marked. */
Test(validators, near_misses_are_hidden_unless_asked)
{
    const char *yaml = "rules:\n  - {id: gh, name: GitHub, pattern: '\\bghp_[A-Za-z0-9]{36}\\b', validate: github-crc32}\n";
    char good[64], text[200];
    make_crc_token(good, "ghp_", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0");
    char bad[64];
    strcpy(bad, good);
    bad[8] = bad[8] == 'x' ? 'y' : 'x';
    sprintf(text, "a %s b %s", good, bad);
    ks_engine *e = engine_from_yaml(yaml);
    int near;
    cr_assert_eq(count_findings(e, text, &near), 1);
    cr_assert_eq(near, 0);
    ks_engine_destroy(e);

    ks_rules *r = NULL;
    ks_rules_create(&r);
    ks_rules_load_yaml(r, yaml, strlen(yaml), "t.yml", NULL, NULL);
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE | KS_ENGINE_SHOW_NEAR_MISS};
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    cr_assert_eq(count_findings(e, text, &near), 2);
    cr_assert_eq(near, 1);
    ks_engine_destroy(e);
    ks_rules_destroy(r);
}

Test(validators, min_entropy_filters_findings)
{
    ks_engine *e = engine_from_yaml("rules:\n  - {id: k, name: K, pattern: '\\bkey_[a-z0-9]{16}\\b', min_entropy: 3.0}\n");
    int near;
    cr_assert_eq(count_findings(e, "key_aaaaaaaaaaaaaaaa", &near), 0);
    cr_assert_eq(count_findings(e, "key_a8f3k2m9x7q1w5e4", &near), 1);
    ks_engine_destroy(e);
}
