/*
 * mutate.c - seeded mutation of valid messages (see mutate.h).
 */
#include "mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t pl_mut_seed(const char *what) {
  const char *env = getenv("PL_MUTATE_SEED");
  uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
  fprintf(stderr, "%s: mutation seed %llu (PL_MUTATE_SEED=%llu replays it)\n", what,
          (unsigned long long)seed, (unsigned long long)seed);
  return seed;
}

uint64_t pl_mut_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

size_t pl_mut_below(uint64_t *state, size_t n) {
  return n ? (size_t)(pl_mut_next(state) % n) : 0;
}

size_t pl_mutate(uint64_t *state, uint8_t *buf, size_t len, size_t cap) {
  /* Bytes that sit on protobuf's edges: varint continuation, zero lengths,
   * the tags of the first fields with wire type 2. */
  static const uint8_t edge[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x10, 0x12};
  size_t edits = 1 + pl_mut_below(state, 4);
  for (size_t i = 0; i < edits && len > 0; i++) {
    size_t at = pl_mut_below(state, len);
    switch (pl_mut_below(state, 5)) {
    case 0:
      buf[at] ^= (uint8_t)(1u << pl_mut_below(state, 8));
      break;
    case 1:
      buf[at] = edge[pl_mut_below(state, sizeof(edge))];
      break;
    case 2:
      len = at;
      break;
    case 3: {
      size_t n = 1 + pl_mut_below(state, 8);
      if (len + n > cap)
        break;
      memmove(buf + at + n, buf + at, len - at);
      for (size_t j = 0; j < n; j++)
        buf[at + j] = (uint8_t)pl_mut_next(state);
      len += n;
      break;
    }
    default: {
      size_t from = pl_mut_below(state, len), n = 1 + pl_mut_below(state, 16);
      if (from + n <= len && at + n <= len)
        memmove(buf + at, buf + from, n);
      break;
    }
    }
  }
  return len;
}
