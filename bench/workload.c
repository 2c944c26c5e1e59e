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
 * The inventory and repair queries are checked the same way: StockNear's
 * sites nearest first and inside the radius (and, one in BENCH_SAMPLE, at
 * the haversine distance from the probe), traces and histories complete and
 * in log order (with proofs, one in BENCH_SAMPLE verified against the
 * checkpoint), the warranty status the one the data set implies, and audit
 * bundles verified in depth by the client library's offline verifier
 * (pl_audit_verify), each later one the same bytes as the first. Writes
 * that depend on each other (bench_chains) are handed out one step of a
 * chain at a time.
 *
 * Depends on protobuf-c, gRPC's status codes, storage/ (merkle.h, geo.h,
 * keys.h) and client/ (audit.h, verify.h: the offline verifiers).
 */
#include <grpc/status.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bench.h"
#include "error.h"
#include "geo.h"
#include "verify.h"
#include "partsledger/v1/audit.pb-c.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"


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

/* ---- inventory queries ------------------------------------------------------ */

static int bench_next_near(void *ctx, bench_tally *t, bench_req *q) {
  const bench_near *n = ctx;
  size_t i = bench_rand(&t->rng) % n->n;
  q->data = n->probes[i].req.data;
  q->len = n->probes[i].req.len;
  q->arg = i;
  return 1;
}

/* A StockNear reply's own checks: as many sites as the limit at most,
 * nearest first, inside the radius, each with stock; and, unless the reply
 * is a ready one, not empty next to stock. 0, or -1 with why. */
static int bench_near_check(const bench_near *n, const bench_probe *p,
                            const Partsledger__V1__StockNearResponse *m, char *why,
                            size_t len) {
  /* The server compares its own haversine with the radius; rounding may
   * put a site a hair over it. */
  double slack = n->radius_m * 1e-9 + 1e-6;
  if (m->n_sites > n->limit) {
    snprintf(why, len, "%zu sites for a limit of %u", m->n_sites, n->limit);
    return -1;
  }
  if (!n->canned && p->in_stock && m->n_sites == 0) {
    snprintf(why, len, "no site within %.0f m of (%.5f, %.5f), next to one that holds the SKU",
             n->radius_m, p->lat, p->lon);
    return -1;
  }
  for (size_t i = 0; i < m->n_sites; i++) {
    const Partsledger__V1__NearbyStock *s = m->sites[i];
    if (!(s->distance_m >= 0 && s->distance_m <= n->radius_m + slack)) {
      snprintf(why, len, "site %s at %.1f m, outside the radius of %.0f m", s->site_id,
               s->distance_m, n->radius_m);
      return -1;
    }
    if (i > 0 && s->distance_m < m->sites[i - 1]->distance_m) {
      snprintf(why, len, "site %s at %.1f m after one at %.1f m: not nearest first",
               s->site_id, s->distance_m, m->sites[i - 1]->distance_m);
      return -1;
    }
    if (s->available < 1 || s->site_id[0] == '\0') {
      snprintf(why, len, "site '%s' answered with %" PRIu64 " available", s->site_id,
               s->available);
      return -1;
    }
  }
  return 0;
}

static void bench_check_near(void *ctx, bench_tally *t, const bench_req *q, const uint8_t *p,
                             size_t n) {
  bench_near *nr = ctx;
  const bench_probe *pr = &nr->probes[q->arg];
  Partsledger__V1__StockNearResponse *m =
      partsledger__v1__stock_near_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode a StockNearResponse");
    return;
  }
  char why[200];
  if (bench_near_check(nr, pr, m, why, sizeof(why)) != 0) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "StockNear: %s", why);
    return;
  }
  if (!nr->canned && ++t->seq % BENCH_SAMPLE == 0) {
    /* In depth: every distance is the haversine from the probe. */
    for (size_t i = 0; i < m->n_sites; i++) {
      const Partsledger__V1__NearbyStock *s = m->sites[i];
      double d = pl_geo_distance_m(pr->lat, pr->lon, s->latitude, s->longitude);
      if (d - s->distance_m > 0.01 || s->distance_m - d > 0.01) {
        bench_fail(t, GRPC_STATUS_DATA_LOSS, 1,
                   "StockNear: site %s said to be %.3f m away, %.3f m by haversine",
                   s->site_id, s->distance_m, d);
        return;
      }
    }
    t->checked++;
  }
  atomic_fetch_add(&nr->bytes, n);
  atomic_fetch_add(&nr->replies, 1);
  atomic_fetch_add(&nr->sites, m->n_sites);
  t->items++;
}

const bench_workload bench_wl_near = {BENCH_INVENTORY "StockNear", bench_next_near,
                                      bench_check_near};

/* ---- traces ------------------------------------------------------------------- */

static int bench_next_trace(void *ctx, bench_tally *t, bench_req *q) {
  const bench_trace *tr = ctx;
  size_t i = bench_rand(&t->rng) % tr->n;
  q->data = tr->req[i].data;
  q->len = tr->req[i].len;
  q->arg = i;
  return 1;
}

/* A fact's leaf against the checkpoint's root. 0 or -1. */
static int bench_fact_proven(const Partsledger__V1__Fact *f, uint64_t size,
                             const uint8_t root[PL_HASH_BYTES]) {
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  uint8_t h[PL_HASH_BYTES];
  if (f->n_inclusion_proof > PL_MERKLE_MAX_PROOF)
    return -1;
  for (size_t i = 0; i < f->n_inclusion_proof; i++) {
    if (f->inclusion_proof[i].len != PL_HASH_BYTES)
      return -1;
    memcpy(proof[i], f->inclusion_proof[i].data, PL_HASH_BYTES);
  }
  pl_merkle_leaf_hash(f->leaf.data, f->leaf.len, h);
  return pl_merkle_verify_inclusion(f->index, size, h, proof, f->n_inclusion_proof, root) == 0
             ? 0
             : -1;
}

static void bench_check_trace(void *ctx, bench_tally *t, const bench_req *q, const uint8_t *p,
                              size_t n) {
  bench_trace *tr = ctx;
  Partsledger__V1__TraceBatchResponse *m =
      partsledger__v1__trace_batch_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode a TraceBatchResponse");
    return;
  }
  const char *want = tr->batch_id[q->arg];
  if (m->batch == NULL || (!tr->canned && strcmp(m->batch->batch_id, want) != 0) ||
      m->n_facts != tr->facts || m->next_start != tr->facts) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1,
               "TraceBatch(%s): batch %s with %zu facts and next_start %" PRIu64
               ", expected %u and %u", want, m->batch != NULL ? m->batch->batch_id : "(none)",
               m->n_facts, m->next_start, tr->facts, tr->facts);
    return;
  }
  for (size_t i = 0; i < m->n_facts; i++) {
    const Partsledger__V1__Fact *f = m->facts[i];
    if ((i > 0 && f->index <= m->facts[i - 1]->index) || f->kind[0] == '\0' ||
        (i == 0 && strcmp(f->kind, "batch_registered") != 0)) {
      bench_fail(t, GRPC_STATUS_INTERNAL, 1,
                 "TraceBatch(%s): fact %zu (%s at %" PRIu64 ") out of order", want, i, f->kind,
                 f->index);
      return;
    }
    if (tr->proofs && (f->leaf.len == 0 || f->n_inclusion_proof == 0)) {
      bench_fail(t, GRPC_STATUS_INTERNAL, 1, "TraceBatch(%s): fact %zu has no proof", want, i);
      return;
    }
  }
  if (tr->proofs && ++t->seq % BENCH_SAMPLE == 0) {
    /* In depth: every fact's leaf is in the tree of the checkpoint. */
    uint64_t size;
    uint8_t root[PL_HASH_BYTES];
    char origin[PL_NOTE_NAME_MAX + 1];
    if (m->checkpoint == NULL || pl_checkpoint_peek(m->checkpoint, origin, &size, root) != 0 ||
        size != m->tree_size) {
      bench_fail(t, GRPC_STATUS_DATA_LOSS, 1, "TraceBatch(%s): no checkpoint of size %" PRIu64,
                 want, m->tree_size);
      return;
    }
    for (size_t i = 0; i < m->n_facts; i++)
      if (bench_fact_proven(m->facts[i], size, root) != 0) {
        bench_fail(t, GRPC_STATUS_DATA_LOSS, 1,
                   "TraceBatch(%s): the proof of fact %" PRIu64 " does not verify", want,
                   m->facts[i]->index);
        return;
      }
    t->checked++;
  }
  atomic_fetch_add(&tr->bytes, n);
  atomic_fetch_add(&tr->replies, 1);
  t->items++;
}

const bench_workload bench_wl_trace = {BENCH_TRACE "TraceBatch", bench_next_trace,
                                       bench_check_trace};

/* ---- devices ----------------------------------------------------------------- */

static int bench_next_device(void *ctx, bench_tally *t, bench_req *q) {
  const bench_devices *d = ctx;
  size_t i = bench_rand(&t->rng) % d->n;
  q->data = d->req[i].data;
  q->len = d->req[i].len;
  q->arg = i;
  return 1;
}

static void bench_check_status(void *ctx, bench_tally *t, const bench_req *q, const uint8_t *p,
                               size_t n) {
  const bench_devices *d = ctx;
  Partsledger__V1__GetWarrantyStatusResponse *m =
      partsledger__v1__get_warranty_status_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode a GetWarrantyStatusResponse");
    return;
  }
  if (m->status != PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE ||
      strcmp(m->policy_id, d->policy_id) != 0 || strcmp(m->part_serial, d->part[q->arg]) != 0 ||
      strcmp(m->batch_id, d->batch_id) != 0 || m->coverage_ends_at_ms <= m->at_ms) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1,
               "GetWarrantyStatus(%s): status %d, policy %s, part %s of %s (expected ACTIVE, "
               "%s, %s of %s)", d->serial[q->arg], (int)m->status, m->policy_id,
               m->part_serial, m->batch_id, d->policy_id, d->part[q->arg], d->batch_id);
    return;
  }
  t->items++;
}

static void bench_check_history(void *ctx, bench_tally *t, const bench_req *q,
                                const uint8_t *p, size_t n) {
  const bench_devices *d = ctx;
  Partsledger__V1__DeviceHistoryResponse *m =
      partsledger__v1__device_history_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode a DeviceHistoryResponse");
    return;
  }
  const char *serial = d->serial[q->arg];
  if (m->n_facts != d->facts) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "DeviceHistory(%s): %zu facts, expected %zu",
               serial, m->n_facts, d->facts);
    return;
  }
  for (size_t i = 0; i < m->n_facts; i++) {
    const Partsledger__V1__Fact *f = m->facts[i];
    if ((i > 0 && f->index <= m->facts[i - 1]->index) ||
        strcmp(f->device_serial, serial) != 0 ||
        (i == 0 && strcmp(f->kind, "device_registered") != 0)) {
      bench_fail(t, GRPC_STATUS_INTERNAL, 1,
                 "DeviceHistory(%s): fact %zu (%s of %s at %" PRIu64 ") out of place", serial,
                 i, f->kind, f->device_serial, f->index);
      return;
    }
  }
  t->items++;
}

const bench_workload bench_wl_status = {BENCH_WARRANTY "GetWarrantyStatus", bench_next_device,
                                        bench_check_status};
const bench_workload bench_wl_history = {BENCH_TRACE "DeviceHistory", bench_next_device,
                                         bench_check_history};

/* ---- audit bundles ------------------------------------------------------------- */

/* An audit bundle checked in depth by the client library's offline
 * verifier (pl_audit_verify: every check `partsledger audit verify` makes),
 * and of the claim asked for. 0 with the entries' count in *entries, or -1
 * with why. */
static int bench_audit_verify(const uint8_t *bundle, size_t len, const char *claim_id,
                              const char *vkey, size_t *entries, char *why, size_t whylen) {
  pl_audit_report r;
  int rc = pl_audit_verify((const char *)bundle, len, vkey, &r);
  if (rc == PL_ENOMEM) {
    snprintf(why, whylen, "out of memory verifying it");
  } else if (rc != 0) {
    const pl_audit_check *c = &r.checks[0];
    for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
      if (r.checks[i].result != PL_AUDIT_HOLDS) {
        c = &r.checks[i];
        break;
      }
    snprintf(why, whylen, "%s: %.160s", c->name, c->reason);
  } else if (r.claim_id == NULL || strcmp(r.claim_id, claim_id) != 0) {
    snprintf(why, whylen, "the bundle is of claim %s, not %s", r.claim_id ? r.claim_id : "(none)",
             claim_id);
    rc = -1;
  } else {
    *entries = r.n_entries;
  }
  pl_audit_report_destroy(&r);
  return rc == 0 ? 0 : -1;
}

static int bench_next_audit(void *ctx, bench_tally *t, bench_req *q) {
  const bench_audit *a = ctx;
  (void)t;
  q->data = a->req.data;
  q->len = a->req.len;
  return 1;
}

/* Whether `len` bytes at `p` are the reference bundle's; a->lock held. */
static int bench_audit_same(const bench_audit *a, const uint8_t *p, size_t len) {
  return a->ref_len == len && memcmp(a->ref, p, len) == 0;
}

static void bench_check_audit(void *ctx, bench_tally *t, const bench_req *q, const uint8_t *p,
                              size_t n) {
  bench_audit *a = ctx;
  (void)q;
  Partsledger__V1__ExportAuditBundleResponse *m =
      partsledger__v1__export_audit_bundle_response__unpack(pl_arena_allocator(t->arena), n, p);
  if (m == NULL || m->bundle.len == 0) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1, "cannot decode an ExportAuditBundleResponse");
    return;
  }
  /* Once a bundle has been verified in depth it is the reference, and every
   * later one must be the same bytes: nothing is written meanwhile. */
  pthread_mutex_lock(&a->lock);
  int have = a->ref != NULL;
  int same = have && bench_audit_same(a, m->bundle.data, m->bundle.len);
  size_t ref_len = a->ref_len;
  pthread_mutex_unlock(&a->lock);
  if (have && !same) {
    bench_fail(t, GRPC_STATUS_INTERNAL, 1,
               "audit bundle of %s: %zu bytes unlike the %zu verified before", a->claim_id,
               m->bundle.len, ref_len);
    return;
  }
  if (!have || ++t->seq % BENCH_SAMPLE == 0) {
    size_t entries;
    char why[200];
    if (bench_audit_verify(m->bundle.data, m->bundle.len, a->claim_id, a->vkey, &entries, why,
                           sizeof(why)) != 0) {
      bench_fail(t, GRPC_STATUS_DATA_LOSS, 1, "audit bundle of %s: %s", a->claim_id, why);
      return;
    }
    /* The first verified becomes the reference; those that came before it
     * was set were verified each, and must be its bytes too. */
    pthread_mutex_lock(&a->lock);
    if (a->entries == 0)
      a->entries = entries;
    size_t want = a->entries;
    same = 1;
    if (entries == want && a->ref == NULL && (a->ref = malloc(m->bundle.len)) != NULL) {
      memcpy(a->ref, m->bundle.data, m->bundle.len);
      a->ref_len = m->bundle.len;
    } else if (entries == want && a->ref != NULL) {
      same = bench_audit_same(a, m->bundle.data, m->bundle.len);
    }
    ref_len = a->ref_len;
    pthread_mutex_unlock(&a->lock);
    if (entries != want) {
      bench_fail(t, GRPC_STATUS_INTERNAL, 1, "audit bundle of %s: %zu entries, expected %zu",
                 a->claim_id, entries, want);
      return;
    }
    if (!same) {
      bench_fail(t, GRPC_STATUS_INTERNAL, 1,
                 "audit bundle of %s: %zu bytes unlike the %zu verified before", a->claim_id,
                 m->bundle.len, ref_len);
      return;
    }
    t->checked++;
  }
  atomic_fetch_add(&a->bytes, n);
  t->items++;
}

const bench_workload bench_wl_audit = {BENCH_AUDIT "ExportAuditBundle", bench_next_audit,
                                       bench_check_audit};

/* ---- reservations and chains of writes ------------------------------------------- */

static int bench_next_reserve(void *ctx, bench_tally *t, bench_req *q) {
  bench_reserve *r = ctx;
  return bench_next_write(&r->w, t, q);
}

static void bench_check_reserve(void *ctx, bench_tally *t, const bench_req *q,
                                const uint8_t *p, size_t n) {
  bench_reserve *r = ctx;
  uint64_t before = t->items;
  bench_check_append(&r->w, t, q, p, n);
  if (t->items > before)
    atomic_fetch_add(&r->ok[q->arg % r->nskus], 1);
}

const bench_workload bench_wl_reserve = {BENCH_SERVICE "Append", bench_next_reserve,
                                         bench_check_reserve};

static int bench_next_chain(void *ctx, bench_tally *t, bench_req *q) {
  bench_chains *c = ctx;
  (void)t;
  size_t chain;
  pthread_mutex_lock(&c->lock);
  if (c->nready > 0) {
    chain = c->ready[--c->nready];
  } else if (c->next < c->nchains) {
    chain = c->next++;
  } else {
    pthread_mutex_unlock(&c->lock);
    return 0;
  }
  size_t i = chain * c->steps + c->step[chain];
  pthread_mutex_unlock(&c->lock);
  q->data = c->w.pool->buf + c->w.pool->off[i];
  q->len = c->w.pool->off[i + 1] - c->w.pool->off[i];
  q->arg = i;
  return 1;
}

static void bench_check_chain(void *ctx, bench_tally *t, const bench_req *q, const uint8_t *p,
                              size_t n) {
  bench_chains *c = ctx;
  uint64_t before = t->items;
  bench_check_append(&c->w, t, q, p, n);
  if (t->items == before)
    return; /* the chain stops here */
  size_t chain = q->arg / c->steps;
  pthread_mutex_lock(&c->lock);
  if (++c->step[chain] < c->steps)
    c->ready[c->nready++] = chain;
  else
    atomic_fetch_add(&c->done, 1);
  pthread_mutex_unlock(&c->lock);
}

const bench_workload bench_wl_chains = {BENCH_SERVICE "Append", bench_next_chain,
                                        bench_check_chain};
