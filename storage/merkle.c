/*
 * merkle.c - RFC 9162 section 2.1 tree hashes, roots, proofs and verifiers;
 * see merkle.h.
 *
 * Depends on libsodium's SHA-256 only. Nothing here stores hashes: roots and
 * proofs read complete subtrees through the caller's pl_merkle_node_fn, and
 * every function is written to make as few of those reads as it can, since
 * for the log each one is an LMDB lookup. The verifiers are the algorithms
 * of RFC 9162 2.1.3.2 and 2.1.4.2, step by step, and read nothing.
 */
#include "merkle.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "error.h"

_Static_assert(PL_HASH_BYTES == crypto_hash_sha256_BYTES, "hash size");

void pl_merkle_leaf_hash(const uint8_t *leaf, size_t len,
                         uint8_t out[PL_HASH_BYTES]) {
  static const uint8_t prefix = 0x00;
  crypto_hash_sha256_state st;

  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, leaf, len);
  crypto_hash_sha256_final(&st, out);
}

void pl_merkle_node_hash(const uint8_t left[PL_HASH_BYTES],
                         const uint8_t right[PL_HASH_BYTES],
                         uint8_t out[PL_HASH_BYTES]) {
  static const uint8_t prefix = 0x01;
  crypto_hash_sha256_state st;

  /* Both inputs are consumed before `out` is written, so it may alias. */
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, left, PL_HASH_BYTES);
  crypto_hash_sha256_update(&st, right, PL_HASH_BYTES);
  crypto_hash_sha256_final(&st, out);
}

/* Largest power of two strictly below n; n must be at least 2. */
static uint64_t pl__split(uint64_t n) {
  assert(n >= 2);
  return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static int pl__is_pow2(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int pl_merkle_append(pl_merkle_node_fn node, void *ctx, uint64_t index,
                     const uint8_t leaf_hash[PL_HASH_BYTES], pl_hash *out,
                     unsigned *count) {
  uint8_t left[PL_HASH_BYTES];
  unsigned k;
  int rc;

  *count = 0;
  memcpy(out[0], leaf_hash, PL_HASH_BYTES);
  /* Each trailing one bit of `index` means the subtree just finished at
   * level k is a right child, and its left sibling at level k (the subtree
   * just before it) is already complete and stored. */
  for (k = 0; k < 64 && ((index >> k) & 1) != 0; k++) {
    rc = node(ctx, k, (index >> k) - 1, left);
    if (rc != 0)
      return rc;
    pl_merkle_node_hash(left, out[k], out[k + 1]);
  }
  *count = k + 1;
  return 0;
}

/* MTH of leaves [lo, lo + n), n >= 1, where lo is a multiple of the smallest
 * power of two >= n. Every range met while walking an RFC 9162 proof down
 * from the root has that shape, and it makes the range the binary
 * decomposition of n shifted by lo: one complete subtree per one bit of n,
 * biggest first, which are all the reads this needs. */
static int pl__range_hash(pl_merkle_node_fn node, void *ctx,
                          const pl_merkle_edge *edge, uint64_t lo, uint64_t n,
                          uint8_t out[PL_HASH_BYTES]) {
  uint8_t sub[PL_HASH_BYTES];
  unsigned level;
  int rc, have = 0;

  assert(n >= 1);
  if (edge != NULL && edge->size == lo + n)
    for (unsigned i = 0; i < edge->n; i++)
      if (edge->lo[i] == lo) {
        memcpy(out, edge->hash[i], PL_HASH_BYTES);
        return 0;
      }
  /* The mask is computed with wrap-around, so n above 2^63 demands lo 0. */
  assert((lo & ((pl__is_pow2(n) ? n : pl__split(n) << 1) - 1)) == 0);
  /* Fold from the smallest subtree up: MTH(S1 .. Sm) = H(S1, MTH(S2 .. Sm)),
   * and the level-b subtree of the decomposition starts at
   * lo + (n with bits 0..b cleared), i.e. its index is (lo >> b) plus
   * (n >> b) - 1. */
  for (level = 0; level < 64; level++) {
    if (((n >> level) & 1) == 0)
      continue;
    if (!have) {
      rc = node(ctx, level, (lo >> level) + (n >> level) - 1, out);
      if (rc != 0)
        return rc;
      have = 1;
      continue;
    }
    rc = node(ctx, level, (lo >> level) + (n >> level) - 1, sub);
    if (rc != 0)
      return rc;
    pl_merkle_node_hash(sub, out, out);
  }
  return 0;
}

int pl_merkle_root(pl_merkle_node_fn node, void *ctx, uint64_t size,
                   uint8_t out[PL_HASH_BYTES]) {
  if (size == 0) {
    crypto_hash_sha256(out, NULL, 0);
    return 0;
  }
  return pl__range_hash(node, ctx, NULL, 0, size, out);
}

int pl_merkle_edge_init(pl_merkle_node_fn node, void *ctx, uint64_t size,
                        pl_merkle_edge *out) {
  uint8_t h[PL_HASH_BYTES], sub[PL_HASH_BYTES];
  int rc, have = 0;

  assert(size >= 1);
  out->size = 0;
  out->n = 0;
  /* The fold of pl__range_hash over [0, size): after each subtree but the
   * first (smallest, complete) one, h is the hash of [its start, size). */
  for (unsigned level = 0; level < 64; level++) {
    if (((size >> level) & 1) == 0)
      continue;
    uint64_t index = (size >> level) - 1;
    rc = node(ctx, level, index, have ? sub : h);
    if (rc != 0)
      return rc;
    if (have) {
      pl_merkle_node_hash(sub, h, h);
      out->lo[out->n] = index << level;
      memcpy(out->hash[out->n], h, PL_HASH_BYTES);
      out->n++;
    }
    have = 1;
  }
  out->size = size;
  return 0;
}

/* Proofs are found root first but are sent innermost first. */
static void pl__reverse(pl_hash *p, size_t n) {
  uint8_t t[PL_HASH_BYTES];

  for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
    memcpy(t, p[i], PL_HASH_BYTES);
    memcpy(p[i], p[j - 1], PL_HASH_BYTES);
    memcpy(p[j - 1], t, PL_HASH_BYTES);
  }
}

int pl_merkle_inclusion_proof(pl_merkle_node_fn node, void *ctx, uint64_t index,
                              uint64_t size, pl_hash *out, size_t *n) {
  return pl_merkle_inclusion_proof_edge(node, ctx, NULL, index, size, out, n);
}

int pl_merkle_inclusion_proof_edge(pl_merkle_node_fn node, void *ctx,
                                   const pl_merkle_edge *edge, uint64_t index,
                                   uint64_t size, pl_hash *out, size_t *n) {
  uint64_t lo = 0, len = size;
  size_t got = 0;
  int rc;

  *n = 0;
  if (index >= size)
    return PL_ERANGE;
  /* PATH(m, D[lo:lo+len]) from RFC 9162 2.1.3.1, unrolled: at each step the
   * sibling of the half holding `index` joins the proof. A left sibling is
   * always one complete subtree. A right sibling can be ragged only the
   * first time the walk turns left; from then on every range is complete. */
  while (len > 1) {
    uint64_t k = pl__split(len);

    assert(got < PL_MERKLE_MAX_PROOF);
    if (index - lo < k) {
      rc = pl__range_hash(node, ctx, edge, lo + k, len - k, out[got]);
      len = k;
    } else {
      rc = node(ctx, (unsigned)__builtin_ctzll(k), lo / k, out[got]);
      lo += k;
      len -= k;
    }
    if (rc != 0)
      return rc;
    got++;
  }
  pl__reverse(out, got);
  *n = got;
  return 0;
}

int pl_merkle_consistency_proof(pl_merkle_node_fn node, void *ctx,
                                uint64_t old_size, uint64_t new_size,
                                pl_hash *out, size_t *n) {
  return pl_merkle_consistency_proof_edge(node, ctx, NULL, old_size, new_size,
                                          out, n);
}

int pl_merkle_consistency_proof_edge(pl_merkle_node_fn node, void *ctx,
                                     const pl_merkle_edge *edge,
                                     uint64_t old_size, uint64_t new_size,
                                     pl_hash *out, size_t *n) {
  uint64_t lo = 0, len = new_size;
  size_t got = 0;
  int whole = 1, rc;

  *n = 0;
  if (old_size == 0 || old_size > new_size)
    return PL_ERANGE;
  /* SUBPROOF(m, D[lo:lo+len], b) from RFC 9162 2.1.4.1, unrolled; `whole`
   * is b, true while the range still starts at leaf 0 and so the old root
   * is known to the verifier. As with inclusion proofs, only the first
   * right range taken can be ragged. */
  while (old_size != lo + len) {
    uint64_t k = pl__split(len);

    assert(got < PL_MERKLE_MAX_PROOF);
    if (old_size - lo <= k) {
      rc = pl__range_hash(node, ctx, edge, lo + k, len - k, out[got]);
      len = k;
    } else {
      rc = node(ctx, (unsigned)__builtin_ctzll(k), lo / k, out[got]);
      lo += k;
      len -= k;
      whole = 0;
    }
    if (rc != 0)
      return rc;
    got++;
  }
  if (!whole) {
    assert(got < PL_MERKLE_MAX_PROOF);
    rc = pl__range_hash(node, ctx, edge, lo, len, out[got]);
    if (rc != 0)
      return rc;
    got++;
  }
  pl__reverse(out, got);
  *n = got;
  return 0;
}

int pl_merkle_verify_inclusion(uint64_t index, uint64_t size,
                               const uint8_t leaf_hash[PL_HASH_BYTES],
                               const pl_hash *proof, size_t n,
                               const uint8_t root[PL_HASH_BYTES]) {
  uint8_t r[PL_HASH_BYTES];
  uint64_t fn, sn;

  if (index >= size)
    return PL_ERANGE;
  fn = index;
  sn = size - 1;
  memcpy(r, leaf_hash, PL_HASH_BYTES);
  for (size_t i = 0; i < n; i++) {
    /* A proof longer than the path to the root. */
    if (sn == 0)
      return PL_EVERIFY;
    if ((fn & 1) != 0 || fn == sn) {
      pl_merkle_node_hash(proof[i], r, r);
      /* Levels where this node is the last one and has no right sibling
       * add nothing to the proof; skip them (no-op when fn is odd). */
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      pl_merkle_node_hash(r, proof[i], r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  /* sn == 0 rejects a proof that stops short of the root. */
  if (sn != 0 || memcmp(r, root, PL_HASH_BYTES) != 0)
    return PL_EVERIFY;
  return 0;
}

int pl_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const uint8_t old_root[PL_HASH_BYTES],
                                 const uint8_t new_root[PL_HASH_BYTES],
                                 const pl_hash *proof, size_t n) {
  uint8_t fr[PL_HASH_BYTES], sr[PL_HASH_BYTES];
  uint64_t fn, sn;
  size_t i;

  if (old_size == 0 || old_size > new_size)
    return PL_ERANGE;
  /* RFC 9162 leaves equal sizes to the caller: the trees are the same tree,
   * the proof is empty. */
  if (old_size == new_size) {
    if (n != 0 || memcmp(old_root, new_root, PL_HASH_BYTES) != 0)
      return PL_EVERIFY;
    return 0;
  }
  if (n == 0)
    return PL_EVERIFY;
  /* When the old tree is a complete subtree of the new one the prover
   * leaves its root out (SUBPROOF with b true); put old_root back in front
   * rather than copying the proof. */
  if (pl__is_pow2(old_size)) {
    memcpy(fr, old_root, PL_HASH_BYTES);
    i = 0;
  } else {
    memcpy(fr, proof[0], PL_HASH_BYTES);
    i = 1;
  }
  memcpy(sr, fr, PL_HASH_BYTES);
  fn = old_size - 1;
  sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; i < n; i++) {
    if (sn == 0)
      return PL_EVERIFY;
    if ((fn & 1) != 0 || fn == sn) {
      pl_merkle_node_hash(proof[i], fr, fr);
      pl_merkle_node_hash(proof[i], sr, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      pl_merkle_node_hash(sr, proof[i], sr);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0 || memcmp(fr, old_root, PL_HASH_BYTES) != 0 ||
      memcmp(sr, new_root, PL_HASH_BYTES) != 0)
    return PL_EVERIFY;
  return 0;
}
