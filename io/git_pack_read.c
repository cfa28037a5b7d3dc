/* git_pack_read.c: one object of a pack by offset, its delta chain climbed and applied iteratively (no cache: for the
 * occasional base another pack needs, and for lookups by id). */
#include <stdio.h>

#include "alloc.h"
#include "git_pack.h"

static int corrupt(char *why, size_t why_len, const char *what)
{
    snprintf(why, why_len, "%s", what);
    return KS_ECORRUPT;
}

int ks__git_pack_read(ks_git_pack *p, ks_git_reader *r, uint64_t offset, ks_git_type *type, uint8_t **data,
                      size_t *size, char *why, size_t why_len)
{
    *data = NULL;
    *size = 0;
    uint32_t k;
    if (!ks__git_pack_k_of(p, offset, &k))
        return corrupt(why, why_len, "no object starts at this offset");
    /* climb to the chain's base, remembering each delta's pack-order number (a longer chain than the pack
     * has objects must revisit one: a cycle of REF_DELTAs) */
    uint32_t *chain = NULL;
    size_t depth = 0, cap = 0;
    uint8_t *cur = NULL;
    size_t cur_len = 0;
    ks_git_type t = KS_GIT_NONE;
    int rc = 0;
    for (;;) {
        ks_git_pack_hdr h;
        const char *reason;
        if ((rc = ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &reason)) != 0) {
            corrupt(why, why_len, reason);
            goto out;
        }
        if (h.type < KS_GIT_OFS_DELTA) {
            t = h.type;
            if ((rc = ks__git_pack_inflate(p, r, &h, ks__git_pack_end_at(p, k), &cur, why, why_len)) != 0)
                goto out;
            cur_len = (size_t)h.size;
            break;
        }
        if (depth > ks__git_pack_count(p)) {
            rc = corrupt(why, why_len, "delta chain loops (a cycle of REF_DELTA bases)");
            goto out;
        }
        if (ks__agrow(r->alloc, (void **)&chain, &cap, depth, sizeof *chain, 16) != 0) {
            rc = KS_ENOMEM;
            snprintf(why, why_len, "out of memory");
            goto out;
        }
        chain[depth++] = k;
        uint32_t pos;
        if (h.type == KS_GIT_OFS_DELTA) {
            if (!ks__git_pack_k_of(p, h.base_offset, &k)) {
                rc = corrupt(why, why_len, "delta base offset does not start an object");
                goto out;
            }
        } else if (ks__git_idx_find(ks__git_pack_index(p), h.base_id, &pos)) {
            if (!ks__git_pack_k_of(p, ks__git_idx_offset(ks__git_pack_index(p), pos), &k)) {
                rc = corrupt(why, why_len, "index offset does not start an object");
                goto out;
            }
        } else if (r->find_base) {
            if ((rc = r->find_base(r->find_ctx, h.base_id, &t, &cur, &cur_len, why, why_len)) != 0)
                goto out;
            break;
        } else {
            char hex[KS_GIT_HEX_LEN + 1];
            ks__git_id_hex(h.base_id, hex);
            snprintf(why, why_len, "delta base %s is not in this pack", hex);
            rc = KS_ECORRUPT;
            goto out;
        }
    }
    /* down the chain: each delta applied to the result so far */
    while (depth > 0) {
        k = chain[--depth];
        ks_git_pack_hdr h;
        const char *reason;
        if ((rc = ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &reason)) != 0) {
            corrupt(why, why_len, reason);
            goto out;
        }
        uint8_t *next;
        size_t next_len;
        rc = ks__git_pack_apply_delta(p, r, &h, ks__git_pack_end_at(p, k), cur, cur_len, &next, &next_len, why, why_len);
        if (rc != 0)
            goto out;
        ks__afree(r->alloc, cur);
        cur = next;
        cur_len = next_len;
    }
    *type = t;
    *data = cur;
    *size = cur_len;
    cur = NULL;
out:
    ks__afree(r->alloc, cur);
    ks__afree(r->alloc, chain);
    return rc;
}
