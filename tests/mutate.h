/*
 * mutate.h - seeded mutation of valid messages, for the tests that feed the
 * ledger what buggy or hostile clients could send. The generator is
 * splitmix64: a failing run replays from the seed the test prints.
 */
#ifndef PL_TEST_MUTATE_H
#define PL_TEST_MUTATE_H

#include <stddef.h>
#include <stdint.h>

/* The seed to use: PL_MUTATE_SEED from the environment, else the clock.
 * Printed on stderr with `what`, so a failure can be replayed. */
uint64_t pl_mut_seed(const char *what);

uint64_t pl_mut_next(uint64_t *state);

/* Uniform-enough in [0, n); 0 when n is 0. */
size_t pl_mut_below(uint64_t *state, size_t n);

/* Applies one to four edits to buf[0..len): flip a bit, set a byte to an
 * edge value, cut the tail, insert random bytes, or copy a run over another
 * place. The buffer may grow up to `cap`. Returns the new length. */
size_t pl_mutate(uint64_t *state, uint8_t *buf, size_t len, size_t cap);

#endif /* PL_TEST_MUTATE_H */
