/*
 * test_merkle.c - unit tests for storage/merkle.c.
 *
 * Checks the RFC 9162 known answers in tests/vectors/rfc9162.json (every
 * root, inclusion and consistency proof, generated and verified), tampering,
 * size edge cases, and cross-checks generation against a naive recursive
 * MTH/PATH/SUBPROOF written straight from the RFC text. Node functions here
 * refuse reads past the tree being proven and count their calls, so the
 * tests also hold the implementation to its read budget.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "merkle.h"
#include "test.h"
#include "vectors.h"

/* ---- helpers ------------------------------------------------------------ */

static int hex_hash(const cJSON *s, uint8_t out[PL_HASH_BYTES]) {
  if (!cJSON_IsString(s))
    return -1;
  return pl_hex_decode(s->valuestring, out, PL_HASH_BYTES);
}

static uint64_t json_u64(const cJSON *obj, const char *key) {
  return (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(obj, key));
}

static uint64_t split(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n)
    k <<= 1;
  return k;
}

/* MTH(D[0:n]) exactly as RFC 9162 2.1.1 defines it. */
static void naive_mth(const pl_hash *d, uint64_t n,
                      uint8_t out[PL_HASH_BYTES]) {
  uint8_t l[PL_HASH_BYTES], r[PL_HASH_BYTES];
  uint64_t k;

  if (n == 0) {
    crypto_hash_sha256(out, NULL, 0);
    return;
  }
  if (n == 1) {
    memcpy(out, d[0], PL_HASH_BYTES);
    return;
  }
  k = split(n);
  naive_mth(d, k, l);
  naive_mth(d + k, n - k, r);
  pl_merkle_node_hash(l, r, out);
}

/* PATH(m, D[0:n]), RFC 9162 2.1.3.1. */
static void naive_path(const pl_hash *d, uint64_t m, uint64_t n, pl_hash *out,
                       size_t *len) {
  uint64_t k;

  if (n <= 1)
    return;
  k = split(n);
  if (m < k) {
    naive_path(d, m, k, out, len);
    naive_mth(d + k, n - k, out[(*len)++]);
  } else {
    naive_path(d + k, m - k, n - k, out, len);
    naive_mth(d, k, out[(*len)++]);
  }
}

/* SUBPROOF(m, D[0:n], b), RFC 9162 2.1.4.1. */
static void naive_subproof(const pl_hash *d, uint64_t m, uint64_t n, int b,
                           pl_hash *out, size_t *len) {
  uint64_t k;

  if (m == n) {
    if (!b)
      naive_mth(d, m, out[(*len)++]);
    return;
  }
  k = split(n);
  if (m <= k) {
    naive_subproof(d, m, k, b, out, len);
    naive_mth(d + k, n - k, out[(*len)++]);
  } else {
    naive_subproof(d + k, m - k, n - k, 0, out, len);
    naive_mth(d, k, out[(*len)++]);
  }
}

/* Leaf hashes in an array; complete subtrees computed on demand. */
typedef struct {
  pl_hash *leaves;
  uint64_t n;
  uint64_t limit; /* reads of subtrees past this many leaves are a bug */
  unsigned long calls;
} naive_tree;

static int naive_node(void *ctx, unsigned level, uint64_t index,
                      uint8_t out[PL_HASH_BYTES]) {
  naive_tree *t = ctx;

  t->calls++;
  if (level >= 64 || index >= (t->limit >> level))
    return PL_EINTERNAL;
  naive_mth(t->leaves + (index << level), (uint64_t)1 << level, out);
  return 0;
}

/* Complete subtrees stored level by level, filled by pl_merkle_append. */
typedef struct {
  pl_hash *lv[65];
  uint64_t have[65];
  uint64_t limit;
  unsigned long calls;
} store_tree;

static int store_node(void *ctx, unsigned level, uint64_t index,
                      uint8_t out[PL_HASH_BYTES]) {
  store_tree *t = ctx;

  t->calls++;
  if (level > 64 || index >= t->have[level])
    return PL_ENOTFOUND;
  if (level >= 64 || index >= (t->limit >> level))
    return PL_EINTERNAL;
  memcpy(out, t->lv[level][index], PL_HASH_BYTES);
  return 0;
}

static void store_free(store_tree *t) {
  for (int i = 0; i < 65; i++)
    free(t->lv[i]);
  memset(t, 0, sizeof(*t));
}

/* Appends leaf hashes d[0..n) to a fresh store; 0 or an error. */
static int store_build(store_tree *t, const pl_hash *d, uint64_t n) {
  pl_hash done[65];
  unsigned count;
  int rc;

  memset(t, 0, sizeof(*t));
  t->limit = UINT64_MAX;
  for (int k = 0; k < 65; k++) {
    uint64_t cap = k < 64 ? (n >> k) + 1 : 1;
    t->lv[k] = calloc(cap, sizeof(pl_hash));
    if (t->lv[k] == NULL)
      return PL_ENOMEM;
  }
  for (uint64_t i = 0; i < n; i++) {
    rc = pl_merkle_append(store_node, t, i, d[i], done, &count);
    if (rc != 0)
      return rc;
    if (count != 1 + (unsigned)__builtin_ctzll(~i))
      return PL_EINTERNAL;
    for (unsigned k = 0; k < count; k++) {
      if (t->have[k] != i >> k)
        return PL_EINTERNAL;
      memcpy(t->lv[k][t->have[k]++], done[k], PL_HASH_BYTES);
    }
  }
  return 0;
}

/* Deterministic xorshift, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static pl_hash *random_leaves(uint64_t n) {
  pl_hash *d = malloc((n ? n : 1) * sizeof(pl_hash));
  uint8_t data[8];

  if (d == NULL)
    return NULL;
  for (uint64_t i = 0; i < n; i++) {
    for (int b = 0; b < 8; b++)
      data[b] = (uint8_t)(i >> (8 * b));
    pl_merkle_leaf_hash(data, sizeof(data), d[i]);
  }
  return d;
}

/* The RFC 9162 test leaves, hashed. */
static int vector_leaves(const cJSON *v, pl_hash out[8], size_t *n) {
  const cJSON *leaves = cJSON_GetObjectItem(v, "leaves_hex"), *it;
  uint8_t buf[64];

  *n = 0;
  cJSON_ArrayForEach(it, leaves) {
    size_t len = strlen(it->valuestring) / 2;
    if (*n >= 8 || len > sizeof(buf) ||
        (len > 0 && pl_hex_decode(it->valuestring, buf, len) != 0))
      return -1;
    pl_merkle_leaf_hash(buf, len, out[(*n)++]);
  }
  return 0;
}

static int vector_root(const cJSON *v, uint64_t size,
                       uint8_t out[PL_HASH_BYTES]) {
  const cJSON *it;

  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "roots")) {
    if (json_u64(it, "size") == size)
      return hex_hash(cJSON_GetObjectItem(it, "root_hex"), out);
  }
  return -1;
}

static int vector_proof(const cJSON *c, pl_hash *out, size_t *n) {
  const cJSON *it;

  *n = 0;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(c, "proof_hex")) {
    if (*n >= PL_MERKLE_MAX_PROOF || hex_hash(it, out[(*n)++]) != 0)
      return -1;
  }
  return 0;
}

/* ---- cases -------------------------------------------------------------- */

PL_TEST(hashes) {
  uint8_t a[PL_HASH_BYTES], b[PL_HASH_BYTES], c[PL_HASH_BYTES];
  uint8_t want[PL_HASH_BYTES];

  /* MTH of one empty leaf, from the vectors' size-1 root. */
  pl_merkle_leaf_hash(NULL, 0, a);
  CHECK(pl_hex_decode("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a3"
                      "0617afa01d",
                      want, sizeof(want)) == 0);
  CHECK_MEM(a, want, PL_HASH_BYTES);
  /* Node hashes may be written over either input. */
  pl_merkle_leaf_hash((const uint8_t *)"\x00", 1, b);
  pl_merkle_node_hash(a, b, c);
  CHECK(pl_hex_decode("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d9866"
                      "2f00e3c125",
                      want, sizeof(want)) == 0);
  CHECK_MEM(c, want, PL_HASH_BYTES);
  memcpy(c, a, PL_HASH_BYTES);
  pl_merkle_node_hash(c, b, c);
  CHECK_MEM(c, want, PL_HASH_BYTES);
  memcpy(c, b, PL_HASH_BYTES);
  pl_merkle_node_hash(a, c, c);
  CHECK_MEM(c, want, PL_HASH_BYTES);
}

PL_TEST(vector_roots) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8];
  uint8_t want[PL_HASH_BYTES], got[PL_HASH_BYTES];
  const cJSON *it;
  size_t n;
  int seen = 0;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  CHECK_EQ(n, 8);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "roots")) {
    uint64_t size = json_u64(it, "size");
    naive_tree t = {leaves, n, size, 0};
    CHECK(hex_hash(cJSON_GetObjectItem(it, "root_hex"), want) == 0);
    CHECK_EQ(pl_merkle_root(naive_node, &t, size, got), 0);
    CHECK_MEM(got, want, PL_HASH_BYTES);
    /* One read per one bit of the size. */
    CHECK_EQ(t.calls, __builtin_popcountll(size));
    naive_mth(leaves, size, got);
    CHECK_MEM(got, want, PL_HASH_BYTES);
    seen++;
  }
  CHECK_EQ(seen, 9);
  cJSON_Delete(v);
}

PL_TEST(vector_inclusion) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8], want[PL_MERKLE_MAX_PROOF], got[PL_MERKLE_MAX_PROOF];
  uint8_t root[PL_HASH_BYTES];
  const cJSON *it;
  size_t n, nwant, ngot;
  int seen = 0;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "inclusion")) {
    uint64_t index = json_u64(it, "index"), size = json_u64(it, "size");
    naive_tree t = {leaves, n, size, 0};
    CHECK(vector_proof(it, want, &nwant) == 0);
    CHECK(vector_root(v, size, root) == 0);
    CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, index, size, got, &ngot),
             0);
    CHECK_EQ(ngot, nwant);
    CHECK(ngot == 0 || memcmp(got, want, ngot * PL_HASH_BYTES) == 0);
    CHECK_EQ(pl_merkle_verify_inclusion(index, size, leaves[index], want, nwant,
                                        root),
             0);
    seen++;
  }
  CHECK_EQ(seen, 36);
  cJSON_Delete(v);
}

PL_TEST(vector_consistency) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8], want[PL_MERKLE_MAX_PROOF], got[PL_MERKLE_MAX_PROOF];
  uint8_t old_root[PL_HASH_BYTES], new_root[PL_HASH_BYTES];
  const cJSON *it;
  size_t n, nwant, ngot;
  int seen = 0;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "consistency")) {
    uint64_t m = json_u64(it, "old_size"), sz = json_u64(it, "new_size");
    naive_tree t = {leaves, n, sz, 0};
    CHECK(vector_proof(it, want, &nwant) == 0);
    CHECK(vector_root(v, m, old_root) == 0);
    CHECK(vector_root(v, sz, new_root) == 0);
    CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, m, sz, got, &ngot), 0);
    CHECK_EQ(ngot, nwant);
    CHECK(ngot == 0 || memcmp(got, want, ngot * PL_HASH_BYTES) == 0);
    CHECK_EQ(
        pl_merkle_verify_consistency(m, sz, old_root, new_root, want, nwant),
        0);
    seen++;
  }
  CHECK_EQ(seen, 36);
  cJSON_Delete(v);
}

PL_TEST(tampered_inclusion) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8], proof[PL_MERKLE_MAX_PROOF + 1];
  uint8_t root[PL_HASH_BYTES], bad[PL_HASH_BYTES];
  const cJSON *it;
  size_t n, np;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "inclusion")) {
    uint64_t index = json_u64(it, "index"), size = json_u64(it, "size");
    CHECK(vector_proof(it, proof, &np) == 0);
    CHECK(vector_root(v, size, root) == 0);

    /* Any flipped bit in any proof hash. */
    for (size_t i = 0; i < np; i++) {
      for (unsigned bit = 0; bit < 8 * PL_HASH_BYTES; bit += 37) {
        proof[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_EQ(pl_merkle_verify_inclusion(index, size, leaves[index], proof,
                                            np, root),
                 PL_EVERIFY);
        proof[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
      }
    }
    /* Wrong root, wrong leaf. */
    memcpy(bad, root, PL_HASH_BYTES);
    bad[31] ^= 1;
    CHECK_EQ(
        pl_merkle_verify_inclusion(index, size, leaves[index], proof, np, bad),
        PL_EVERIFY);
    memcpy(bad, leaves[index], PL_HASH_BYTES);
    bad[0] ^= 0x80;
    CHECK_EQ(pl_merkle_verify_inclusion(index, size, bad, proof, np, root),
             PL_EVERIFY);
    /* The same leaf and proof claimed at any other index. */
    for (uint64_t j = 0; j < size; j++) {
      if (j == index)
        continue;
      CHECK_EQ(
          pl_merkle_verify_inclusion(j, size, leaves[index], proof, np, root),
          PL_EVERIFY);
    }
    CHECK_EQ(
        pl_merkle_verify_inclusion(size, size, leaves[index], proof, np, root),
        PL_ERANGE);
    CHECK_EQ(pl_merkle_verify_inclusion(UINT64_MAX, size, leaves[index], proof,
                                        np, root),
             PL_ERANGE);
  }
  cJSON_Delete(v);
}

PL_TEST(tampered_consistency) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8], proof[PL_MERKLE_MAX_PROOF];
  uint8_t old_root[PL_HASH_BYTES], new_root[PL_HASH_BYTES];
  const cJSON *it;
  size_t n, np;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "consistency")) {
    uint64_t m = json_u64(it, "old_size"), sz = json_u64(it, "new_size");
    CHECK(vector_proof(it, proof, &np) == 0);
    CHECK(vector_root(v, m, old_root) == 0);
    CHECK(vector_root(v, sz, new_root) == 0);

    for (size_t i = 0; i < np; i++) {
      for (unsigned bit = 0; bit < 8 * PL_HASH_BYTES; bit += 41) {
        proof[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_EQ(
            pl_merkle_verify_consistency(m, sz, old_root, new_root, proof, np),
            PL_EVERIFY);
        proof[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
      }
    }
    old_root[5] ^= 4;
    CHECK_EQ(pl_merkle_verify_consistency(m, sz, old_root, new_root, proof, np),
             PL_EVERIFY);
    old_root[5] ^= 4;
    new_root[7] ^= 2;
    CHECK_EQ(pl_merkle_verify_consistency(m, sz, old_root, new_root, proof, np),
             PL_EVERIFY);
    new_root[7] ^= 2;
    /* Any other tree of the vectors as the old or the new one. */
    for (uint64_t o = 1; o <= 8; o++) {
      uint8_t other[PL_HASH_BYTES];
      CHECK(vector_root(v, o, other) == 0);
      if (memcmp(other, old_root, PL_HASH_BYTES) != 0)
        CHECK_EQ(
            pl_merkle_verify_consistency(m, sz, other, new_root, proof, np),
            PL_EVERIFY);
      if (memcmp(other, new_root, PL_HASH_BYTES) != 0)
        CHECK_EQ(
            pl_merkle_verify_consistency(m, sz, old_root, other, proof, np),
            PL_EVERIFY);
    }
    CHECK_EQ(pl_merkle_verify_consistency(m, sz, old_root, new_root, proof, np),
             0);
  }
  cJSON_Delete(v);
}

PL_TEST(wrong_length_proofs) {
  cJSON *v = load_vectors("rfc9162.json");
  pl_hash leaves[8], proof[PL_MERKLE_MAX_PROOF + 1];
  uint8_t old_root[PL_HASH_BYTES], new_root[PL_HASH_BYTES];
  const cJSON *it;
  size_t n, np;

  CHECK(v != NULL);
  CHECK(vector_leaves(v, leaves, &n) == 0);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "inclusion")) {
    uint64_t index = json_u64(it, "index"), size = json_u64(it, "size");
    CHECK(vector_proof(it, proof, &np) == 0);
    CHECK(vector_root(v, size, new_root) == 0);
    if (np > 0)
      CHECK_EQ(pl_merkle_verify_inclusion(index, size, leaves[index], proof,
                                          np - 1, new_root),
               PL_EVERIFY);
    /* An extra hash, whatever it is, is one too many. */
    memcpy(proof[np], new_root, PL_HASH_BYTES);
    CHECK_EQ(pl_merkle_verify_inclusion(index, size, leaves[index], proof,
                                        np + 1, new_root),
             PL_EVERIFY);
    memset(proof[np], 0, PL_HASH_BYTES);
    CHECK_EQ(pl_merkle_verify_inclusion(index, size, leaves[index], proof,
                                        np + 1, new_root),
             PL_EVERIFY);
  }
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "consistency")) {
    uint64_t m = json_u64(it, "old_size"), sz = json_u64(it, "new_size");
    CHECK(vector_proof(it, proof, &np) == 0);
    CHECK(vector_root(v, m, old_root) == 0);
    CHECK(vector_root(v, sz, new_root) == 0);
    if (np > 0)
      CHECK_EQ(pl_merkle_verify_consistency(m, sz, old_root, new_root, proof,
                                            np - 1),
               PL_EVERIFY);
    memcpy(proof[np], new_root, PL_HASH_BYTES);
    CHECK_EQ(
        pl_merkle_verify_consistency(m, sz, old_root, new_root, proof, np + 1),
        PL_EVERIFY);
  }
  cJSON_Delete(v);
}

PL_TEST(ranges) {
  pl_hash *d = random_leaves(10), proof[PL_MERKLE_MAX_PROOF];
  naive_tree t = {d, 10, 10, 0};
  uint8_t root[PL_HASH_BYTES];
  size_t n = 99;

  CHECK(d != NULL);
  CHECK_EQ(pl_merkle_root(naive_node, &t, 10, root), 0);
  CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, 10, 10, proof, &n),
           PL_ERANGE);
  CHECK_EQ(n, 0);
  CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, 0, 0, proof, &n),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, UINT64_MAX, 10, proof, &n),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 0, 10, proof, &n),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 0, 0, proof, &n),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 11, 10, proof, &n),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 10, 10, proof, &n), 0);
  CHECK_EQ(n, 0);
  /* None of the refusals read anything; the one success needs nothing. */
  CHECK_EQ(t.calls, 2);

  CHECK_EQ(pl_merkle_verify_inclusion(10, 10, d[0], proof, 0, root), PL_ERANGE);
  CHECK_EQ(pl_merkle_verify_inclusion(0, 0, d[0], proof, 0, root), PL_ERANGE);
  CHECK_EQ(pl_merkle_verify_consistency(0, 10, root, root, proof, 0),
           PL_ERANGE);
  CHECK_EQ(pl_merkle_verify_consistency(0, 0, root, root, proof, 0), PL_ERANGE);
  CHECK_EQ(pl_merkle_verify_consistency(11, 10, root, root, proof, 0),
           PL_ERANGE);
  /* Equal sizes: empty proof and equal roots, nothing else. */
  CHECK_EQ(pl_merkle_verify_consistency(10, 10, root, root, proof, 0), 0);
  CHECK_EQ(pl_merkle_verify_consistency(10, 10, root, root, proof, 1),
           PL_EVERIFY);
  CHECK_EQ(pl_merkle_verify_consistency(10, 10, root, d[0], proof, 0),
           PL_EVERIFY);
  /* Growing sizes with an empty proof never verify. */
  CHECK_EQ(pl_merkle_verify_consistency(4, 10, root, root, proof, 0),
           PL_EVERIFY);
  free(d);
}

PL_TEST(node_errors_propagate) {
  pl_hash *d = random_leaves(37), proof[PL_MERKLE_MAX_PROOF], done[65];
  naive_tree t = {d, 37, 20, 0};
  uint8_t root[PL_HASH_BYTES];
  unsigned count = 9;
  size_t n = 9;

  CHECK(d != NULL);
  /* The node function reports leaves past 20 as an internal error. */
  CHECK_EQ(pl_merkle_root(naive_node, &t, 37, root), PL_EINTERNAL);
  CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, 3, 37, proof, &n),
           PL_EINTERNAL);
  CHECK_EQ(n, 0);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 3, 37, proof, &n),
           PL_EINTERNAL);
  CHECK_EQ(n, 0);
  CHECK_EQ(pl_merkle_append(naive_node, &t, 23, d[23], done, &count),
           PL_EINTERNAL);
  CHECK_EQ(count, 0);
  /* Within the limit all is well. */
  CHECK_EQ(pl_merkle_root(naive_node, &t, 20, root), 0);
  CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, 19, 20, proof, &n), 0);
  CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, 13, 20, proof, &n), 0);
  free(d);
}

PL_TEST(append_counts) {
  pl_hash *d = random_leaves(64), done[65];
  store_tree s;
  naive_tree t;
  unsigned count;
  uint8_t want[PL_HASH_BYTES];

  CHECK(d != NULL);
  t = (naive_tree){d, 64, 64, 0};
  /* Leaf 0 and every even leaf finish only themselves, reading nothing. */
  CHECK_EQ(pl_merkle_append(naive_node, &t, 0, d[0], done, &count), 0);
  CHECK_EQ(count, 1);
  CHECK_MEM(done[0], d[0], PL_HASH_BYTES);
  CHECK_EQ(pl_merkle_append(naive_node, &t, 42, d[42], done, &count), 0);
  CHECK_EQ(count, 1);
  CHECK_EQ(t.calls, 0);
  /* Leaf 47 (0b101111) closes subtrees of 2, 4, 8 and 16 leaves. */
  CHECK_EQ(pl_merkle_append(naive_node, &t, 47, d[47], done, &count), 0);
  CHECK_EQ(count, 5);
  CHECK_EQ(t.calls, 4);
  for (unsigned k = 0; k < count; k++) {
    naive_mth(d + 48 - ((uint64_t)1 << k), (uint64_t)1 << k, want);
    CHECK_MEM(done[k], want, PL_HASH_BYTES);
  }
  /* Leaf 63 closes the whole 64-leaf tree. */
  CHECK_EQ(pl_merkle_append(naive_node, &t, 63, d[63], done, &count), 0);
  CHECK_EQ(count, 7);
  naive_mth(d, 64, want);
  CHECK_MEM(done[6], want, PL_HASH_BYTES);

  /* A store missing the left sibling cannot be appended to. */
  memset(&s, 0, sizeof(s));
  CHECK_EQ(pl_merkle_append(store_node, &s, 1, d[1], done, &count),
           PL_ENOTFOUND);
  free(d);
}

PL_TEST(append_matches_naive) {
  enum { N = 300 };
  pl_hash *d = random_leaves(N), a[PL_MERKLE_MAX_PROOF], b[PL_MERKLE_MAX_PROOF];
  uint8_t want[PL_HASH_BYTES], got[PL_HASH_BYTES];
  store_tree s;
  size_t na, nb;

  CHECK(d != NULL);
  CHECK_EQ(store_build(&s, d, N), 0);
  for (uint64_t size = 0; size <= N; size++) {
    naive_tree t = {d, N, size, 0};
    s.limit = size;
    naive_mth(d, size, want);
    CHECK_EQ(pl_merkle_root(store_node, &s, size, got), 0);
    CHECK_MEM(got, want, PL_HASH_BYTES);
    if (size == 0)
      continue;
    for (uint64_t i = 0; i < size; i += 1 + size / 7) {
      CHECK_EQ(pl_merkle_inclusion_proof(store_node, &s, i, size, a, &na), 0);
      CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, i, size, b, &nb), 0);
      CHECK_EQ(na, nb);
      CHECK(na == 0 || memcmp(a, b, na * PL_HASH_BYTES) == 0);
      CHECK_EQ(pl_merkle_consistency_proof(store_node, &s, i + 1, size, a, &na),
               0);
      CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, i + 1, size, b, &nb),
               0);
      CHECK_EQ(na, nb);
      CHECK(na == 0 || memcmp(a, b, na * PL_HASH_BYTES) == 0);
    }
  }
  store_free(&s);
  free(d);
}

PL_TEST(random_cross_check) {
  enum { N = 300 };
  pl_hash *d = random_leaves(N), want[PL_MERKLE_MAX_PROOF],
          got[PL_MERKLE_MAX_PROOF];
  uint8_t root[PL_HASH_BYTES], old_root[PL_HASH_BYTES], r[PL_HASH_BYTES];
  size_t nwant, ngot;

  CHECK(d != NULL);
  rng_state = 0x243f6a8885a308d3u;
  for (uint64_t size = 1; size <= N; size++) {
    naive_tree t = {d, N, size, 0};
    naive_mth(d, size, root);
    CHECK_EQ(pl_merkle_root(naive_node, &t, size, r), 0);
    CHECK_MEM(r, root, PL_HASH_BYTES);

    /* Both ends and a few random indices and old sizes per size. */
    for (int round = 0; round < 8; round++) {
      uint64_t i = round == 0 ? 0 : round == 1 ? size - 1 : rng() % size;
      uint64_t m = round == 0 ? 1 : round == 1 ? size : 1 + rng() % size;

      nwant = 0;
      naive_path(d, i, size, want, &nwant);
      CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, i, size, got, &ngot),
               0);
      CHECK_EQ(ngot, nwant);
      CHECK(ngot == 0 || memcmp(got, want, ngot * PL_HASH_BYTES) == 0);
      CHECK_EQ(pl_merkle_verify_inclusion(i, size, d[i], got, ngot, root), 0);
      CHECK_EQ(
          pl_merkle_verify_inclusion(i, size, d[(i + 1) % N], got, ngot, root),
          PL_EVERIFY);

      nwant = 0;
      naive_subproof(d, m, size, 1, want, &nwant);
      naive_mth(d, m, old_root);
      CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, m, size, got, &ngot),
               0);
      CHECK_EQ(ngot, nwant);
      CHECK(ngot == 0 || memcmp(got, want, ngot * PL_HASH_BYTES) == 0);
      CHECK_EQ(pl_merkle_verify_consistency(m, size, old_root, root, got, ngot),
               0);
      if (ngot > 0) {
        got[rng() % ngot][rng() % PL_HASH_BYTES] ^= 0x10;
        CHECK_EQ(
            pl_merkle_verify_consistency(m, size, old_root, root, got, ngot),
            PL_EVERIFY);
      }
      /* A proof for one old size must not pass for a different one. */
      if (m > 1 && nwant > 0) {
        uint8_t other[PL_HASH_BYTES];
        naive_mth(d, m - 1, other);
        CHECK(pl_merkle_verify_consistency(m - 1, size, other, root, want,
                                           nwant) != 0);
      }
    }
  }
  free(d);
}

/* Synthetic subtree hashes for trees too big to hash: only the number and
 * the bounds of reads are checked. */
typedef struct {
  uint64_t size;
  unsigned long calls;
} count_tree;

static int count_node(void *ctx, unsigned level, uint64_t index,
                      uint8_t out[PL_HASH_BYTES]) {
  count_tree *t = ctx;

  t->calls++;
  if (level >= 64 || index >= (t->size >> level))
    return PL_EINTERNAL;
  memset(out, 0, PL_HASH_BYTES);
  memcpy(out, &index, sizeof(index));
  out[8] = (uint8_t)level;
  return 0;
}

static unsigned log2_ceil(uint64_t n) {
  unsigned l = 0;
  while (l < 64 && ((uint64_t)1 << l) < n)
    l++;
  return l;
}

/* Proofs through a precomputed right edge equal the plain ones, at the
 * edge's size, and an edge of another size changes nothing. */
PL_TEST(edge_proofs) {
  enum { N = 80 };
  pl_hash *d = random_leaves(N), a[PL_MERKLE_MAX_PROOF], b[PL_MERKLE_MAX_PROOF];
  pl_merkle_edge edge, other;
  size_t na, nb;

  CHECK(d != NULL);
  for (uint64_t size = 1; size <= N; size++) {
    naive_tree t = {d, N, size, 0};
    CHECK_EQ(pl_merkle_edge_init(naive_node, &t, size, &edge), 0);
    CHECK_EQ(edge.size, size);
    CHECK_EQ(edge.n, (unsigned)__builtin_popcountll(size) - 1);
    CHECK_EQ(pl_merkle_edge_init(naive_node, &t, size == 1 ? 1 : size - 1, &other), 0);
    for (uint64_t i = 0; i < size; i++) {
      CHECK_EQ(pl_merkle_inclusion_proof(naive_node, &t, i, size, a, &na), 0);
      CHECK_EQ(pl_merkle_inclusion_proof_edge(naive_node, &t, &edge, i, size, b, &nb), 0);
      CHECK_EQ(na, nb);
      CHECK(na == 0 || memcmp(a, b, na * PL_HASH_BYTES) == 0);
      CHECK_EQ(pl_merkle_inclusion_proof_edge(naive_node, &t, &other, i, size, b, &nb), 0);
      CHECK_EQ(na, nb);
      CHECK(na == 0 || memcmp(a, b, na * PL_HASH_BYTES) == 0);
    }
    for (uint64_t m = 1; m <= size; m++) {
      CHECK_EQ(pl_merkle_consistency_proof(naive_node, &t, m, size, a, &na), 0);
      CHECK_EQ(pl_merkle_consistency_proof_edge(naive_node, &t, &edge, m, size, b, &nb), 0);
      CHECK_EQ(na, nb);
      CHECK(na == 0 || memcmp(a, b, na * PL_HASH_BYTES) == 0);
    }
  }
  free(d);
}

/* With the edge, an inclusion proof reads one node per level at most. */
PL_TEST(edge_read_counts) {
  const uint64_t size = 1000001;
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  pl_merkle_edge edge;
  size_t n;
  count_tree t = {size, 0};

  CHECK_EQ(pl_merkle_edge_init(count_node, &t, size, &edge), 0);
  rng_state = 0x452821e638d01377u;
  for (int round = 0; round < 2000; round++) {
    uint64_t i = round == 0 ? 0 : round == 1 ? size - 1 : rng() % size;
    t.calls = 0;
    CHECK_EQ(pl_merkle_inclusion_proof_edge(count_node, &t, &edge, i, size, proof, &n), 0);
    CHECK(t.calls <= n);
  }
}

PL_TEST(read_counts) {
  static const uint64_t sizes[] = {
      1000000,        1048576,           1048575,
      1048577,        (uint64_t)1 << 40, ((uint64_t)1 << 40) + 12345,
      UINT64_MAX / 3, UINT64_MAX};
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  uint8_t root[PL_HASH_BYTES];
  unsigned long max_incl = 0, max_cons = 0;
  size_t n;

  rng_state = 0x13198a2e03707344u;
  for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
    uint64_t size = sizes[s];
    unsigned lg = log2_ceil(size);
    count_tree t = {size, 0};

    CHECK_EQ(pl_merkle_root(count_node, &t, size, root), 0);
    CHECK_EQ(t.calls, __builtin_popcountll(size));
    for (int round = 0; round < 2000; round++) {
      uint64_t i = round == 0 ? 0 : round == 1 ? size - 1 : rng() % size;
      uint64_t m = round == 0 ? 1 : round == 1 ? size - 1 : 1 + rng() % size;

      t.calls = 0;
      CHECK_EQ(pl_merkle_inclusion_proof(count_node, &t, i, size, proof, &n),
               0);
      CHECK(n <= lg);
      CHECK(t.calls <= 2 * lg);
      if (t.calls > max_incl)
        max_incl = t.calls;
      t.calls = 0;
      CHECK_EQ(pl_merkle_consistency_proof(count_node, &t, m, size, proof, &n),
               0);
      CHECK(n <= 2 * lg);
      CHECK(t.calls <= 3 * lg);
      if (t.calls > max_cons)
        max_cons = t.calls;
    }
    if (size == 1000000)
      fprintf(stderr,
              "reads at 1,000,000 leaves: root %d, inclusion <= %lu, "
              "consistency <= %lu\n",
              __builtin_popcountll(size), max_incl, max_cons);
  }
}

PL_TEST(large_tree) {
  enum { N = 100003 };
  pl_hash *d = random_leaves(N), proof[PL_MERKLE_MAX_PROOF];
  uint8_t root[PL_HASH_BYTES], old_root[PL_HASH_BYTES];
  store_tree s;
  size_t n;

  CHECK(d != NULL);
  CHECK_EQ(store_build(&s, d, N), 0);
  s.limit = N;
  CHECK_EQ(pl_merkle_root(store_node, &s, N, root), 0);
  rng_state = 0xa4093822299f31d0u;
  for (int round = 0; round < 500; round++) {
    uint64_t i = rng() % N, m = 1 + rng() % N;

    s.calls = 0;
    CHECK_EQ(pl_merkle_inclusion_proof(store_node, &s, i, N, proof, &n), 0);
    CHECK(s.calls <= 2 * 17);
    CHECK_EQ(pl_merkle_verify_inclusion(i, N, d[i], proof, n, root), 0);
    s.limit = m;
    CHECK_EQ(pl_merkle_root(store_node, &s, m, old_root), 0);
    s.limit = N;
    CHECK_EQ(pl_merkle_consistency_proof(store_node, &s, m, N, proof, &n), 0);
    CHECK_EQ(pl_merkle_verify_consistency(m, N, old_root, root, proof, n), 0);
  }
  store_free(&s);
  free(d);
}

PL_TEST_MAIN(PL_CASE(hashes), PL_CASE(vector_roots), PL_CASE(vector_inclusion),
             PL_CASE(vector_consistency), PL_CASE(tampered_inclusion),
             PL_CASE(tampered_consistency), PL_CASE(wrong_length_proofs),
             PL_CASE(ranges), PL_CASE(node_errors_propagate),
             PL_CASE(append_counts), PL_CASE(append_matches_naive),
             PL_CASE(random_cross_check), PL_CASE(edge_proofs),
             PL_CASE(edge_read_counts), PL_CASE(read_counts),
             PL_CASE(large_tree))
