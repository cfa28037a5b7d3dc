/* next_magic.c: the next frame's magic in a source read a piece at a time (next_magic.h). */
#include <string.h>

#include "next_magic.h"

/* The bytes looked at last, up to m - 1 of them, ending just before the next piece: a magic may begin there. */
typedef struct carry {
    unsigned char b[KS_MAGIC_MAX];
    size_t n;
} carry;

/* The magic in the carry and the piece p[0..n) (at `at`): 1 with *found and *held (how many of its bytes are the
 * carry's), else 0 with the carry moved on past the piece. */
static int in_piece(const unsigned char *magic, size_t m, carry *c, const unsigned char *p, size_t n, uint64_t at,
                    uint64_t *found, size_t *held)
{
    for (size_t k = c->n; k > 0; k--) { /* the earliest first */
        if (!memcmp(c->b + c->n - k, magic, k) && n >= m - k && !memcmp(p, magic + k, m - k)) {
            *found = at - k;
            *held = k;
            return 1;
        }
    }
    const unsigned char *q = n ? memmem(p, n, magic, m) : NULL;
    if (q) {
        *found = at + (uint64_t)(q - p);
        *held = 0;
        return 1;
    }
    unsigned char joined[2 * KS_MAGIC_MAX]; /* a piece shorter than m - 1 keeps bytes of the carry */
    size_t from_p = n < m - 1 ? n : m - 1, from_c = m - 1 - from_p;
    if (from_c > c->n)
        from_c = c->n;
    memcpy(joined, c->b + c->n - from_c, from_c);
    if (from_p)
        memcpy(joined + from_c, p + n - from_p, from_p);
    memcpy(c->b, joined, from_c + from_p);
    c->n = from_c + from_p;
    return 0;
}

uint64_t ks__next_magic(const unsigned char *magic, size_t m, archive_read_callback *up, void *up_data,
                        struct archive *a, int up_eof, const unsigned char *p, size_t n, uint64_t at,
                        unsigned char held[KS_MAGIC_MAX], size_t *held_n)
{
    carry c = {.n = 0};
    uint64_t found;
    *held_n = 0;
    while (!in_piece(magic, m, &c, p, n, at, &found, held_n)) {
        at += n;
        const void *q = NULL;
        la_ssize_t k = up_eof ? 0 : up(a, up_data, &q);
        if (k <= 0)
            return UINT64_MAX;
        p = q;
        n = (size_t)k;
    }
    memcpy(held, c.b + c.n - *held_n, *held_n);
    return found;
}
