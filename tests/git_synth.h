/* git_synth.h: packs and their .idx built in memory from a list of objects, for tests and the fuzz target to shape at will. */
#ifndef KS_TEST_GIT_SYNTH_H
#define KS_TEST_GIT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct synth_obj {
    int type;            /* 1-4 whole objects, 6 OFS_DELTA, 7 REF_DELTA (the pack format's numbers) */
    const uint8_t *data; /* what is deflated: the content, or the delta */
    size_t len;
    int base;            /* OFS_DELTA: the index of an earlier object; REF_DELTA: any index, or -1 for ref_id */
    uint8_t ref_id[20];  /* REF_DELTA with base -1: a base outside the pack */
    uint8_t id[20];      /* the id the index gives it (synth_hash_whole fills it for whole objects) */
    int large_offset;    /* written through the 64-bit offset table, as packs over 2 GiB are */
    uint64_t size_override; /* nonzero: the header announces this size instead of len */
} synth_obj;

typedef struct synth_pack {
    uint8_t *pack, *idx; /* malloc'ed */
    size_t pack_len, idx_len;
    uint64_t *offsets;   /* each object's offset, in list order */
} synth_pack;

/* The id git gives a whole object of this type and content. */
void synth_hash_whole(synth_obj *o);

/* Builds the pack (objects in list order, zlib level 1..9 as given) and its index; 0, or -1 when a
 * base index is out of range (an OFS_DELTA base must come earlier) or memory runs out. */
int synth_build(const synth_obj *objs, size_t n, int level, synth_pack *out);

void synth_free(synth_pack *p);

/* A delta turning base into target: one insert of everything when `copy` is 0, else copies of what
 * base shares at the start and end of target around an insert of the rest. malloc'ed, length in *len. */
uint8_t *synth_delta(const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len, int copy,
                     size_t *len);

#endif
