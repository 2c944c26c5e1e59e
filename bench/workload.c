/*
 * workload.c - what each method sends and what its answer must be.
 *
 * One bench_workload per method: a generator that points a call at its
 * request's bytes, and a checker that decodes the response and counts what
 * succeeded. The engine (engine.c) calls both from its sender threads, so
 * they share nothing but atomics in their context. To measure a new query
 * (StockNear, TraceBatch, GetWarrantyStatus, ...), add a context, a
 * generator and a checker here, and a phase in main.c.
 *
 * Every response is checked: appends must come back non-duplicate with
 * indices never seen before, inside the range the phase could produce;
 * reads must echo the index asked for, and one in BENCH_SAMPLE is verified
 * in depth (leaf hash, inclusion proof against the checkpoint's root).
 *
 * Depends on protobuf-c, gRPC's status codes and storage/merkle.h.
 */
#include <grpc/status.h>
#include <inttypes.h>
#include <string.h>

#include "bench.h"
#include "partsledger/v1/ledger.pb-c.h"

#define BENCH_SAMPLE 32 /* verify one read response in this many */

/* ---- writes --------------------------------------------------------------- */

static int bench_next_write(void *ctx, bench_tally *t, bench_req *q) {
  bench_writes *w = ctx;
  (void)t;
  size_t i = atomic_fetch_add(&w->pos, w->batch);
  if (i >= w->pool->n)
    return 0;
  size_t n = w->pool->n - i < w->batch ? w->pool->n - i : w->batch;
  q->data = w->pool->buf + w->pool->off[i];
  q->len = w->pool->off[i + n] - w->pool->off[i];
  q->arg = i;
  q->count = n;
  return 1;
}

/* An index the log gave one of our entries: new, and never given twice. */
static int bench_claim(bench_writes *w, bench_tally *t, uint64_t index) {
  if (index < w->base || index - w->base >= w->pool->n) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " is outside [%" PRIu64
               ", %" PRIu64 ")", index, w->base, w->base + w->pool->n);
    return -1;
  }
  if (atomic_exchange(&w->seen[index - w->base], 1) != 0) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " was given twice", index);
    return -1;
  }
  return 0;
}

/* A tree size an answer named: each commit signs a new one, so the distinct
 * sizes count the commits that carried the phase's entries. A size outside
 * what the phase could have made (another client's commit) is not ours to
 * count. */
static void bench_head_seen(bench_writes *w, uint64_t tree_size) {
  if (tree_size <= w->base || tree_size - w->base > w->pool->n)
    return;
  if (atomic_exchange(&w->heads[tree_size - w->base - 1], 1) == 0)
    atomic_fetch_add(&w->commits, 1);
}

static void bench_check_append(void *ctx, bench_tally *t, const bench_req *q,
                               const uint8_t *p, size_t n) {
  bench_writes *w = ctx;
  (void)q;
  Partsledger__V1__AppendResponse *m =
      partsledger__v1__append_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode an AppendResponse");
    return;
  }
  if (m->duplicate) {
    bench_fail(t, GRPC_STATUS_ALREADY_EXISTS, 1, "index %" PRIu64 " came back as a duplicate",
               m->index);
    return;
  }
  if (m->tree_size <= m->index || m->leaf_hash.len != PL_HASH_BYTES ||
      m->checkpoint == NULL || m->checkpoint[0] == '\0') {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "AppendResponse for %" PRIu64 " is incomplete",
               m->index);
    return;
  }
  if (bench_claim(w, t, m->index) == 0) {
    bench_head_seen(w, m->tree_size);
    t->items++;
  }
}

static void bench_check_batch(void *ctx, bench_tally *t, const bench_req *q,
                              const uint8_t *p, size_t n) {
  bench_writes *w = ctx;
  Partsledger__V1__AppendBatchResponse *m =
      partsledger__v1__append_batch_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, q->count, "cannot decode an AppendBatchResponse");
    return;
  }
  if (m->n_results != q->count) {
    bench_fail(t, GRPC_STATUS_INTERNAL, q->count, "%zu results for %zu entries",
               m->n_results, q->count);
    return;
  }
  uint64_t before = t->items;
  for (size_t i = 0; i < m->n_results; i++) {
    const Partsledger__V1__AppendResult *x = m->results[i];
    if (x->code != 0)
      bench_fail(t, x->code, 1, "entry %zu of a batch: status %d: %s", i, (int)x->code,
                 x->message ? x->message : "");
    else if (x->duplicate)
      bench_fail(t, GRPC_STATUS_ALREADY_EXISTS, 1, "index %" PRIu64 " came back as a duplicate",
                 x->index);
    else if (x->index >= m->tree_size)
      bench_fail(t, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " beyond tree size %" PRIu64,
                 x->index, m->tree_size);
    else if (bench_claim(w, t, x->index) == 0)
      t->items++;
  }
  if (t->items > before)
    bench_head_seen(w, m->tree_size);
}

const bench_workload bench_wl_append = {BENCH_SERVICE "Append", bench_next_write,
                                        bench_check_append};
const bench_workload bench_wl_batch = {BENCH_SERVICE "AppendBatch", bench_next_write,
                                       bench_check_batch};

/* ---- reads ---------------------------------------------------------------- */

static int bench_next_read(void *ctx, bench_tally *t, bench_req *q) {
  const bench_reads *r = ctx;
  uint64_t index = bench_rand(&t->rng) % r->size;
  /* GetEntryRequest and GetInclusionProofRequest: field 1 = index (and
   * tree_size 0, the current size, left out). */
  size_t n = 0;
  q->buf[n++] = 0x08;
  n += bench_put_varint(q->buf + n, index);
  q->data = q->buf;
  q->len = n;
  q->arg = index;
  return 1;
}

static void bench_check_get(void *ctx, bench_tally *t, const bench_req *q,
                            const uint8_t *p, size_t n) {
  (void)ctx;
  Partsledger__V1__EntryResponse *m =
      partsledger__v1__entry_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode an EntryResponse");
    return;
  }
  if (m->index != q->arg || m->leaf.len == 0 || m->leaf_hash.len != PL_HASH_BYTES) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "GetEntry(%" PRIu64 ") answered index %" PRIu64
               " with %zu leaf bytes", q->arg, m->index, m->leaf.len);
    return;
  }
  if (++t->seq % BENCH_SAMPLE == 0) {
    /* In depth: the leaf hashes to leaf_hash and is the leaf asked for. */
    uint8_t h[PL_HASH_BYTES];
    pl_merkle_leaf_hash(m->leaf.data, m->leaf.len, h);
    Partsledger__V1__Leaf *leaf =
        partsledger__v1__leaf__unpack(pl_arena_allocator(t->arena), m->leaf.len, m->leaf.data);
    if (memcmp(h, m->leaf_hash.data, PL_HASH_BYTES) != 0 || leaf == NULL ||
        leaf->index != q->arg || leaf->signed_entry == NULL) {
      bench_fail(t, GRPC_STATUS_DATA_LOSS, 1, "leaf %" PRIu64 " does not match its hash or index",
                 q->arg);
      return;
    }
    t->checked++;
  }
  t->items++;
}

static void bench_check_proof(void *ctx, bench_tally *t, const bench_req *q,
                              const uint8_t *p, size_t n) {
  const bench_reads *r = ctx;
  Partsledger__V1__GetInclusionProofResponse *m =
      partsledger__v1__get_inclusion_proof_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode a GetInclusionProofResponse");
    return;
  }
  if (m->index != q->arg || m->tree_size != r->size || m->leaf_hash.len != PL_HASH_BYTES ||
      m->n_hashes > PL_MERKLE_MAX_PROOF) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "GetInclusionProof(%" PRIu64 ") answered index %"
               PRIu64 " in size %" PRIu64 " (expected %" PRIu64 ")", q->arg, m->index,
               m->tree_size, r->size);
    return;
  }
  if (++t->seq % BENCH_SAMPLE == 0) {
    /* In depth: the proof leads from the leaf hash to the root of the
     * checkpoint read before the phase. */
    pl_hash proof[PL_MERKLE_MAX_PROOF];
    for (size_t i = 0; i < m->n_hashes; i++) {
      if (m->hashes[i].len != PL_HASH_BYTES) {
        bench_fail(t, GRPC_STATUS_INTERNAL, 1, "proof hash of %zu bytes", m->hashes[i].len);
        return;
      }
      memcpy(proof[i], m->hashes[i].data, PL_HASH_BYTES);
    }
    if (pl_merkle_verify_inclusion(m->index, m->tree_size, m->leaf_hash.data, proof,
                                   m->n_hashes, r->root) != 0) {
      bench_fail(t, GRPC_STATUS_DATA_LOSS, 1, "inclusion proof of %" PRIu64 " does not verify",
                 m->index);
      return;
    }
    t->checked++;
  }
  t->items++;
}

const bench_workload bench_wl_get = {BENCH_SERVICE "GetEntry", bench_next_read,
                                     bench_check_get};
const bench_workload bench_wl_proof = {BENCH_SERVICE "GetInclusionProof", bench_next_read,
                                       bench_check_proof};
