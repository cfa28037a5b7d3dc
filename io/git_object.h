/* git_object.h: what every git object reader shares: object types, ids, and the object and problem records handed out. */
#ifndef KS_IO_GIT_OBJECT_H
#define KS_IO_GIT_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#define KS_GIT_ID_LEN 20 /* SHA-1 repositories only: a SHA-256 one's indexes fail their size checks */
#define KS_GIT_HEX_LEN 40

/* The type numbers are the pack format's own. */
typedef enum ks_git_type {
    KS_GIT_NONE = 0,
    KS_GIT_COMMIT = 1,
    KS_GIT_TREE = 2,
    KS_GIT_BLOB = 3,
    KS_GIT_TAG = 4,
    KS_GIT_OFS_DELTA = 6,
    KS_GIT_REF_DELTA = 7,
} ks_git_type;
#define KS_GIT_TYPE_BIT(t) (1u << (t))

/* One object handed out; every pointer is valid only during the callback that receives it. */
typedef struct ks_git_object {
    const uint8_t *id; /* KS_GIT_ID_LEN bytes */
    ks_git_type type;
    const uint8_t *data;
    size_t size;
    const char *path; /* the pack or loose file it was read from */
    uint64_t offset;  /* its offset in that pack; 0 for a loose object */
} ks_git_object;

#define KS_GIT_NO_OFFSET UINT64_MAX

/* An object (or a whole file) that could not be read, as the readers report it; valid during the callback. */
typedef struct ks_git_problem {
    const char *path;   /* the pack, index or loose file */
    uint64_t offset;    /* in the pack, or KS_GIT_NO_OFFSET */
    const uint8_t *id;  /* the object's id when known, else NULL */
    int code;           /* KS_ECORRUPT, KS_ELIMIT (over the size limit), KS_EIO, ... */
    const char *what;   /* one line */
} ks_git_problem;

/* What a read counted. */
typedef struct ks_git_counts {
    uint64_t objects;    /* handed out */
    uint64_t bytes;      /* their sizes */
    uint64_t duplicates; /* not handed out again: the id was handed out before */
    uint64_t skipped;    /* of a type not asked for */
    uint64_t problems;   /* objects (or files) that could not be read, each reported */
    uint64_t packs;      /* packs opened */
    uint64_t loose;      /* loose object files looked at */
    uint64_t reread;     /* bytes of objects resolved again: bases the budget dropped, chains a lane read again */
} ks_git_counts;

/* "blob", "tree", ... ("?" for anything else). */
const char *ks__git_type_name(ks_git_type t);

/* The type a loose object's header names (n bytes, no NUL needed), or KS_GIT_NONE. */
ks_git_type ks__git_type_from_name(const char *name, size_t n);

/* Writes the 40 hex digits and a NUL. */
void ks__git_id_hex(const uint8_t id[KS_GIT_ID_LEN], char hex[KS_GIT_HEX_LEN + 1]);

/* Parses exactly 40 lower- or upper-case hex digits; returns 0, or -1 when hex is not that. */
int ks__git_hex_id(const char *hex, uint8_t id[KS_GIT_ID_LEN]);

/* The object id git gives this content: SHA-1 of "<type> <size>\0" and the bytes. */
void ks__git_hash_object(ks_git_type type, const void *data, size_t size, uint8_t id[KS_GIT_ID_LEN]);

#endif
