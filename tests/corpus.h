/* corpus.h: random test objects with planted tokens for the TEST_RULES_YAML rules. */
#ifndef KS_TEST_CORPUS_H
#define KS_TEST_CORPUS_H
#include <stddef.h>
#include <stdint.h>

/* Tokens that TEST_RULES_YAML finds, each exactly once when surrounded by spaces or newlines. */
extern const char *const PLANTS[];
extern const size_t N_PLANTS;
/* The length of a plant's reported match: the engine trims a delimiter after the secret (a closing quote). */
size_t plant_match_len(const char *plant);

/* Fills buf with filler text and plants `n` random tokens at random places (surrounded by
 * newlines so every plant is found once); returns buf. */
unsigned char *make_object(size_t len, size_t n, uint64_t seed);
#endif
