/* git_object.c: object type names, ids as hex, and the id git computes for a content (nettle's SHA-1). */
#include <stdio.h>
#include <string.h>

#include <nettle/sha1.h>

#include "git_object.h"
#include "hex.h"

static const char *const NAMES[8] = {NULL, "commit", "tree", "blob", "tag", NULL, NULL, NULL};

const char *ks__git_type_name(ks_git_type t)
{
    return (unsigned)t < 8 && NAMES[t] ? NAMES[t] : "?";
}

ks_git_type ks__git_type_from_name(const char *name, size_t n)
{
    for (unsigned t = KS_GIT_COMMIT; t <= KS_GIT_TAG; t++)
        if (strlen(NAMES[t]) == n && memcmp(NAMES[t], name, n) == 0)
            return (ks_git_type)t;
    return KS_GIT_NONE;
}

void ks__git_id_hex(const uint8_t id[KS_GIT_ID_LEN], char hex[KS_GIT_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < KS_GIT_ID_LEN; i++) {
        hex[2 * i] = digits[id[i] >> 4];
        hex[2 * i + 1] = digits[id[i] & 15];
    }
    hex[KS_GIT_HEX_LEN] = '\0';
}

int ks__git_hex_id(const char *hex, uint8_t id[KS_GIT_ID_LEN])
{
    return ks__hex_bytes(hex, id, KS_GIT_ID_LEN);
}

void ks__git_hash_object(ks_git_type type, const void *data, size_t size, uint8_t id[KS_GIT_ID_LEN])
{
    char head[48];
    int n = snprintf(head, sizeof head, "%s %zu", ks__git_type_name(type), size);
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, (size_t)n + 1, (const uint8_t *)head); /* with its NUL */
    sha1_update(&c, size, data);
    sha1_digest(&c, KS_GIT_ID_LEN, id);
}
