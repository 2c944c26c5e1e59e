/*
 * merkle.h - the RFC 9162 (section 2.1) Merkle tree: hashes, roots and proofs.
 *
 * SHA-256 throughout; leaf hash H(0x00 || leaf), node hash H(0x01 || l || r).
 * The functions that build roots and proofs do not know where hashes are
 * kept: they read complete subtrees through a pl_merkle_node_fn, which for the
 * log reads LMDB and for tests reads an array. A complete subtree at (level,
 * index) covers leaves [index << level, (index + 1) << level).
 *
 * Proof arrays have room for PL_MERKLE_MAX_PROOF hashes, enough for any tree
 * whose size fits in 64 bits. Hashes in a proof are in the order RFC 9162
 * gives them, innermost first.
 */
#ifndef PL_MERKLE_H
#define PL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define PL_HASH_BYTES 32
#define PL_MERKLE_MAX_PROOF 130

typedef uint8_t pl_hash[PL_HASH_BYTES];

/* Writes the hash of the complete subtree at (level, index) to `out`.
 * Returns 0, or a negative PL_E* code that the caller passes through. */
typedef int (*pl_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                 uint8_t out[PL_HASH_BYTES]);

/* H(0x00 || leaf). */
void pl_merkle_leaf_hash(const uint8_t *leaf, size_t len,
                         uint8_t out[PL_HASH_BYTES]);

/* H(0x01 || left || right). `out` may alias either input. */
void pl_merkle_node_hash(const uint8_t left[PL_HASH_BYTES],
                         const uint8_t right[PL_HASH_BYTES],
                         uint8_t out[PL_HASH_BYTES]);

/* The complete subtrees that appending leaf `index` (with hash `leaf_hash`)
 * finishes: out[0] is the leaf hash itself (level 0), out[k] the level-k
 * subtree whose last leaf is `index`. Reads left siblings through `node`.
 * The count, 1 + the number of trailing one bits of `index`, goes to *count.
 * `out` needs room for 65 hashes. */
int pl_merkle_append(pl_merkle_node_fn node, void *ctx, uint64_t index,
                     const uint8_t leaf_hash[PL_HASH_BYTES], pl_hash *out,
                     unsigned *count);

/* MTH of the first `size` leaves; for size 0, SHA-256 of the empty string. */
int pl_merkle_root(pl_merkle_node_fn node, void *ctx, uint64_t size,
                   uint8_t out[PL_HASH_BYTES]);

/* Inclusion proof of leaf `index` in the tree of `size` leaves.
 * 0, PL_ERANGE (index >= size), or the node function's error. */
int pl_merkle_inclusion_proof(pl_merkle_node_fn node, void *ctx, uint64_t index,
                              uint64_t size, pl_hash *out, size_t *n);

/* The right edge of a tree of `size` leaves: the hashes of the ranges
 * [lo, size) that are not complete subtrees. Every proof at that size that
 * meets the ragged end of the tree needs one of them, and each costs a node
 * read and a SHA-256 per level, so a reader that answers many proofs at one
 * size computes the edge once and passes it to the *_edge functions. The
 * hashes never change once the size is committed. */
typedef struct {
  uint64_t size; /* 0: no edge */
  unsigned n;
  uint64_t lo[64];
  pl_hash hash[64];
} pl_merkle_edge;

/* Fills *out for `size` (>= 1). 0 or the node function's error. */
int pl_merkle_edge_init(pl_merkle_node_fn node, void *ctx, uint64_t size,
                        pl_merkle_edge *out);

/* As pl_merkle_inclusion_proof; `edge`, when not NULL, is used for ranges
 * that end at edge->size. */
int pl_merkle_inclusion_proof_edge(pl_merkle_node_fn node, void *ctx,
                                   const pl_merkle_edge *edge, uint64_t index,
                                   uint64_t size, pl_hash *out, size_t *n);

/* Consistency proof from `old_size` to `new_size` (RFC 9162 2.1.4).
 * 0 < old_size <= new_size, else PL_ERANGE. Equal sizes give an empty proof. */
int pl_merkle_consistency_proof(pl_merkle_node_fn node, void *ctx,
                                uint64_t old_size, uint64_t new_size,
                                pl_hash *out, size_t *n);

/* As pl_merkle_consistency_proof, with an edge as above. */
int pl_merkle_consistency_proof_edge(pl_merkle_node_fn node, void *ctx,
                                     const pl_merkle_edge *edge,
                                     uint64_t old_size, uint64_t new_size,
                                     pl_hash *out, size_t *n);

/* 0 when the proof shows `leaf_hash` at `index` in the tree with `root`,
 * else PL_EVERIFY (PL_ERANGE when index >= size). */
int pl_merkle_verify_inclusion(uint64_t index, uint64_t size,
                               const uint8_t leaf_hash[PL_HASH_BYTES],
                               const pl_hash *proof, size_t n,
                               const uint8_t root[PL_HASH_BYTES])
    __attribute__((warn_unused_result));

/* 0 when the proof shows the tree (old_size, old_root) is a prefix of
 * (new_size, new_root), else PL_EVERIFY (PL_ERANGE for impossible sizes). */
int pl_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const uint8_t old_root[PL_HASH_BYTES],
                                 const uint8_t new_root[PL_HASH_BYTES],
                                 const pl_hash *proof, size_t n)
    __attribute__((warn_unused_result));

#endif /* PL_MERKLE_H */
