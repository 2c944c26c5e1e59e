/*
 * ledger_rpc.c - the service partsledger.v1.Ledger: appends, and reads of
 * leaves, checkpoints and proofs.
 *
 * Handlers turn requests into storage calls and answer errors where they
 * find them (pl_call_errorf + a PL_E* return). Appends are checked here, on
 * the workers (decoding, sizes, signatures: the expensive part, in
 * parallel), then handed to the single writer; `resume` builds their reply
 * once the writer has made them durable. Depends on rpc.h and storage/ only.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "rpc.h"
#include "status.h"

#define PL__BATCH_MAX 1000
/* Checks between two sched_yield()s in a batch: ~0.35 ms of work. */
#define PL__YIELD_EVERY 8
#define PL__PAGE_DEFAULT 100
#define PL__PAGE_MAX 1000
/* Keep list pages under the 4 MiB a default gRPC client accepts. */
#define PL__PAGE_BYTES (3u << 20)

/* Per-entry results of an AppendBatch, in request order. */
typedef struct {
  int err;
  const char *msg;
  pl_append *item; /* NULL when rejected before the writer */
} pl__slot;

/* Checks one SignedEntry on the worker and prepares it for the writer.
 * On failure returns the code with `msg` (PL_MSG_MAX) filled. */
static int pl__prepare(pl_call *c, const Partsledger__V1__SignedEntry *se,
                       pl_append **out, char *msg) {
  Partsledger__V1__Entry *entry;
  int rc = pl_signed_entry_open(se, pl_arena_allocator(pl_call_arena(c)), &entry, msg);
  if (rc != 0)
    return rc;
  pl_append *it = pl_call_alloc(c, sizeof(*it));
  if (it == NULL)
    return PL_ENOMEM;
  memset(it, 0, sizeof(*it));
  it->signed_entry = se;
  it->entry = entry;
  *out = it;
  return 0;
}

/* --- Append --------------------------------------------------------------- */

static int pl__append(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__AppendRequest *req = (const void *)m;
  pl_writer_job *job = pl_call_job(c);
  char msg[PL_MSG_MAX];
  pl_append *it;
  (void)resp;
  if (req->signed_entry == NULL) {
    pl_call_errorf(c, "signed_entry is required");
    return PL_EINVAL;
  }
  int rc = pl__prepare(c, req->signed_entry, &it, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  job->items = pl_call_alloc(c, sizeof(pl_append *));
  if (job->items == NULL)
    return PL_ENOMEM;
  job->items[0] = it;
  job->n = 1;
  rc = pl_call_submit(c, job);
  return rc != 0 ? rc : PL_RPC_PENDING;
}

static int pl__append_resume(pl_call *c, const ProtobufCMessage *m,
                             ProtobufCMessage **resp) {
  pl_writer_job *job = pl_call_job(c);
  pl_append *it = job->items[0];
  (void)m;
  if (it->err != 0) {
    pl_call_errorf(c, "%s", it->msg[0] ? it->msg : pl_strerror(it->err));
    return it->err;
  }
  Partsledger__V1__AppendResponse *r = pl_call_alloc(c, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__append_response__init(r);
  r->index = it->index;
  r->leaf_hash.data = it->leaf_hash;
  r->leaf_hash.len = PL_HASH_BYTES;
  r->duplicate = it->duplicate != 0;
  r->checkpoint = job->head.checkpoint;
  r->tree_size = job->head.size;

  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n;
  rc = pl_reader_inclusion(rd, it->index, job->head.size, proof, &n);
  if (rc == 0)
    rc = pl_call_proof(c, proof, n, &r->inclusion_proof);
  if (rc != 0)
    return rc;
  r->n_inclusion_proof = n;
  *resp = &r->base;
  return 0;
}

/* --- AppendBatch ---------------------------------------------------------- */

typedef struct {
  size_t n;
  pl__slot *slots;
} pl__batch;

static int pl__batch_reply(pl_call *c, ProtobufCMessage **resp) {
  const pl__batch *b = pl_call_state(c);
  const pl_writer_job *job = pl_call_job(c);
  Partsledger__V1__AppendBatchResponse *r = pl_call_alloc(c, sizeof(*r));
  Partsledger__V1__AppendResult *res = pl_call_alloc(c, b->n * sizeof(*res));
  Partsledger__V1__AppendResult **ptrs = pl_call_alloc(c, b->n * sizeof(*ptrs));
  if (r == NULL || res == NULL || ptrs == NULL)
    return PL_ENOMEM;
  partsledger__v1__append_batch_response__init(r);
  for (size_t i = 0; i < b->n; i++) {
    const pl__slot *s = &b->slots[i];
    Partsledger__V1__AppendResult *x = &res[i];
    partsledger__v1__append_result__init(x);
    int err = s->err;
    const char *msg = s->msg;
    if (err == 0 && s->item->err != 0) {
      err = s->item->err;
      msg = s->item->msg[0] ? s->item->msg : pl_strerror(err);
    }
    if (err != 0) {
      x->code = (int32_t)pl_status_code(err);
      x->message = (char *)msg;
    } else {
      x->index = s->item->index;
      x->leaf_hash.data = s->item->leaf_hash;
      x->leaf_hash.len = PL_HASH_BYTES;
      x->duplicate = s->item->duplicate != 0;
    }
    ptrs[i] = x;
  }
  r->n_results = b->n;
  r->results = ptrs;
  r->checkpoint = (char *)job->head.checkpoint;
  r->tree_size = job->head.size;
  *resp = &r->base;
  return 0;
}

static int pl__append_batch(pl_call *c, const ProtobufCMessage *m,
                            ProtobufCMessage **resp) {
  const Partsledger__V1__AppendBatchRequest *req = (const void *)m;
  pl_writer_job *job = pl_call_job(c);
  if (req->n_signed_entries == 0) {
    pl_call_errorf(c, "signed_entries is empty");
    return PL_EINVAL;
  }
  if (req->n_signed_entries > PL__BATCH_MAX) {
    pl_call_errorf(c, "at most %d entries per AppendBatch, got %zu",
                   PL__BATCH_MAX, req->n_signed_entries);
    return PL_EINVAL;
  }
  pl__batch *b = pl_call_alloc(c, sizeof(*b));
  if (b == NULL)
    return PL_ENOMEM;
  b->n = req->n_signed_entries;
  b->slots = pl_call_alloc(c, b->n * sizeof(*b->slots));
  job->items = pl_call_alloc(c, b->n * sizeof(pl_append *));
  if (b->slots == NULL || job->items == NULL)
    return PL_ENOMEM;
  pl_call_set_state(c, b);
  job->n = 0;
  for (size_t i = 0; i < b->n; i++) {
    pl__slot *s = &b->slots[i];
    char msg[PL_MSG_MAX];
    /* A batch keeps its worker busy for up to 1000 checks (~45 ms). The
     * writer, which bounds batched appends, wakes from each fdatasync
     * wanting a core; giving ours up every few entries lets it have one
     * at once instead of after the scheduler's slice (BENCHMARKS.md). */
    if (i % PL__YIELD_EVERY == PL__YIELD_EVERY - 1)
      sched_yield();
    s->item = NULL;
    s->msg = NULL;
    s->err = pl__prepare(c, req->signed_entries[i], &s->item, msg);
    if (s->err != 0)
      s->msg = pl_arena_dup(pl_call_arena(c), msg, strlen(msg) + 1);
    else
      job->items[job->n++] = s->item;
  }
  if (job->n == 0) {
    /* Nothing for the writer: answer now, against the current head. */
    pl_log_head(pl_call_log(c), &job->head);
    return pl__batch_reply(c, resp);
  }
  int rc = pl_call_submit(c, job);
  return rc != 0 ? rc : PL_RPC_PENDING;
}

static int pl__append_batch_resume(pl_call *c, const ProtobufCMessage *m,
                                   ProtobufCMessage **resp) {
  (void)m;
  return pl__batch_reply(c, resp);
}

/* --- reads ------------------------------------------------------------------ */

static int pl__get_entry(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetEntryRequest *req = (const void *)m;
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__EntryResponse *r = pl_call_alloc(c, sizeof(*r));
  uint8_t *hash = pl_call_alloc(c, PL_HASH_BYTES);
  if (r == NULL || hash == NULL)
    return PL_ENOMEM;
  partsledger__v1__entry_response__init(r);
  const uint8_t *leaf;
  size_t len;
  rc = pl_reader_leaf(rd, req->index, &leaf, &len, hash);
  if (rc == PL_ERANGE)
    pl_call_errorf(c, "index %llu is beyond the end of the log",
                   (unsigned long long)req->index);
  if (rc != 0)
    return rc;
  /* Borrowed from the snapshot: rpc.c packs the reply before ending it. */
  r->index = req->index;
  r->leaf.data = (uint8_t *)leaf;
  r->leaf.len = len;
  r->leaf_hash.data = hash;
  r->leaf_hash.len = PL_HASH_BYTES;
  *resp = &r->base;
  return 0;
}

static int pl__list_entries(pl_call *c, const ProtobufCMessage *m,
                            ProtobufCMessage **resp) {
  const Partsledger__V1__ListEntriesRequest *req = (const void *)m;
  uint32_t want = req->page_size ? req->page_size : PL__PAGE_DEFAULT;
  if (want > PL__PAGE_MAX) {
    pl_call_errorf(c, "page_size is at most %d", PL__PAGE_MAX);
    return PL_EINVAL;
  }
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__ListEntriesResponse *r = pl_call_alloc(c, sizeof(*r));
  Partsledger__V1__EntryResponse *es = pl_call_alloc(c, want * sizeof(*es));
  Partsledger__V1__EntryResponse **ptrs = pl_call_alloc(c, want * sizeof(*ptrs));
  uint8_t *hashes = pl_call_alloc(c, (size_t)want * PL_HASH_BYTES);
  if (r == NULL || es == NULL || ptrs == NULL || hashes == NULL)
    return PL_ENOMEM;
  partsledger__v1__list_entries_response__init(r);
  size_t n = 0, bytes = 0;
  uint64_t i = req->start;
  while (n < want) {
    const uint8_t *leaf;
    size_t len;
    uint8_t *hash = hashes + n * PL_HASH_BYTES;
    rc = pl_reader_leaf(rd, i, &leaf, &len, hash);
    if (rc == PL_ERANGE && n > 0)
      break;
    if (rc == PL_ERANGE) {
      /* The end of the log is an empty last page; past it is a mistake. */
      uint64_t size;
      uint8_t root[PL_HASH_BYTES];
      const char *note;
      size_t note_len;
      if ((rc = pl_reader_head(rd, &size, root, &note, &note_len)) != 0)
        return rc;
      if (req->start <= size)
        break;
      pl_call_errorf(c, "start %" PRIu64 " is beyond the end of the log (%" PRIu64
                        " entries)", req->start, size);
      return PL_ERANGE;
    }
    if (rc != 0)
      return rc;
    if (n > 0 && bytes + len > PL__PAGE_BYTES)
      break;
    partsledger__v1__entry_response__init(&es[n]);
    es[n].index = i;
    es[n].leaf.data = (uint8_t *)leaf;
    es[n].leaf.len = len;
    es[n].leaf_hash.data = hash;
    es[n].leaf_hash.len = PL_HASH_BYTES;
    ptrs[n] = &es[n];
    bytes += len;
    n++;
    i++;
  }
  r->entries = ptrs;
  r->n_entries = n;
  r->next_start = i;
  *resp = &r->base;
  return 0;
}

static int pl__get_checkpoint(pl_call *c, const ProtobufCMessage *m,
                              ProtobufCMessage **resp) {
  (void)m;
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__GetCheckpointResponse *r = pl_call_alloc(c, sizeof(*r));
  uint8_t *root = pl_call_alloc(c, PL_HASH_BYTES);
  if (r == NULL || root == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_checkpoint_response__init(r);
  const char *note;
  size_t len;
  rc = pl_reader_head(rd, &r->size, root, &note, &len);
  if (rc != 0)
    return rc;
  /* The note in LMDB is not NUL-terminated: copy its bytes, then end it. */
  r->checkpoint = pl_arena_alloc(pl_call_arena(c), len + 1);
  if (r->checkpoint == NULL)
    return PL_ENOMEM;
  memcpy(r->checkpoint, note, len);
  r->checkpoint[len] = '\0';
  r->root_hash.data = root;
  r->root_hash.len = PL_HASH_BYTES;
  *resp = &r->base;
  return 0;
}

/* Size of the snapshot, for "0 means the current size". */
static int pl__size(pl_reader *rd, uint64_t *size) {
  uint8_t root[PL_HASH_BYTES];
  const char *note;
  size_t len;
  return pl_reader_head(rd, size, root, &note, &len);
}

static int pl__get_inclusion_proof(pl_call *c, const ProtobufCMessage *m,
                                   ProtobufCMessage **resp) {
  const Partsledger__V1__GetInclusionProofRequest *req = (const void *)m;
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  uint64_t size = req->tree_size, have;
  if ((rc = pl__size(rd, &have)) != 0)
    return rc;
  if (size == 0)
    size = have;
  if (size > have || req->index >= size) {
    pl_call_errorf(c, "index %llu in a tree of %llu: the log has %llu entries",
                   (unsigned long long)req->index, (unsigned long long)size,
                   (unsigned long long)have);
    return PL_ERANGE;
  }
  Partsledger__V1__GetInclusionProofResponse *r = pl_call_alloc(c, sizeof(*r));
  uint8_t *hash = pl_call_alloc(c, PL_HASH_BYTES);
  if (r == NULL || hash == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_inclusion_proof_response__init(r);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n;
  rc = pl_reader_inclusion(rd, req->index, size, proof, &n);
  if (rc == 0)
    rc = pl_reader_leaf_hash(rd, req->index, hash);
  if (rc == 0)
    rc = pl_call_proof(c, proof, n, &r->hashes);
  if (rc != 0)
    return rc;
  r->n_hashes = n;
  r->index = req->index;
  r->tree_size = size;
  r->leaf_hash.data = hash;
  r->leaf_hash.len = PL_HASH_BYTES;
  *resp = &r->base;
  return 0;
}

static int pl__get_consistency_proof(pl_call *c, const ProtobufCMessage *m,
                                     ProtobufCMessage **resp) {
  const Partsledger__V1__GetConsistencyProofRequest *req = (const void *)m;
  int rc;
  if (req->old_size == 0) {
    pl_call_errorf(c, "old_size must be at least 1");
    return PL_EINVAL;
  }
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  uint64_t size = req->new_size, have;
  if ((rc = pl__size(rd, &have)) != 0)
    return rc;
  if (size == 0)
    size = have;
  if (size > have || req->old_size > size) {
    pl_call_errorf(c, "sizes %llu -> %llu: the log has %llu entries",
                   (unsigned long long)req->old_size, (unsigned long long)size,
                   (unsigned long long)have);
    return PL_ERANGE;
  }
  Partsledger__V1__GetConsistencyProofResponse *r = pl_call_alloc(c, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_consistency_proof_response__init(r);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n;
  rc = pl_reader_consistency(rd, req->old_size, size, proof, &n);
  if (rc == 0)
    rc = pl_call_proof(c, proof, n, &r->hashes);
  if (rc != 0)
    return rc;
  r->n_hashes = n;
  r->old_size = req->old_size;
  r->new_size = size;
  *resp = &r->base;
  return 0;
}

static int pl__get_log_info(pl_call *c, const ProtobufCMessage *m,
                            ProtobufCMessage **resp) {
  (void)m;
  pl_log *log = pl_call_log(c);
  Partsledger__V1__GetLogInfoResponse *r = pl_call_alloc(c, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_log_info_response__init(r);
  pl_head head;
  pl_log_head(log, &head);
  r->origin = (char *)pl_log_origin(log);
  r->verifier_key = (char *)pl_log_vkey(log);
  r->public_key.data = (uint8_t *)pl_log_public_key(log);
  r->public_key.len = PL_PUBLIC_KEY_BYTES;
  r->size = head.size;
  *resp = &r->base;
  return 0;
}

/* Request limits, checked before a request is decoded (rpc.h), in bytes and
 * fields. A SignedEntry has three fields and up to PL_COSIGNATURES_MAX
 * co-signatures of two; the slack leaves room for fields added later. */
#define PL__ENTRY_FIELDS (3 + 3 * PL_COSIGNATURES_MAX + 16)
#define PL__LIMITS_APPEND                                                      \
  .max_bytes = PL_SIGNED_ENTRY_MAX + 16, .max_fields = 1 + PL__ENTRY_FIELDS
#define PL__LIMITS_BATCH                                                       \
  .max_bytes = (size_t)PL__BATCH_MAX * (PL_SIGNED_ENTRY_MAX + 8),              \
  .max_fields = (size_t)PL__BATCH_MAX * (1 + PL__ENTRY_FIELDS)
/* A few numbers, or a service name. */
#define PL__LIMITS_READ .max_bytes = 1024, .max_fields = 64

static const pl_method pl__ledger_methods[] = {
    {.name = "Append", .request = &partsledger__v1__append_request__descriptor,
     .handle = pl__append, .resume = pl__append_resume, .posted = 64, .offload = 1,
     PL__LIMITS_APPEND},
    {.name = "AppendBatch", .request = &partsledger__v1__append_batch_request__descriptor,
     .handle = pl__append_batch, .resume = pl__append_batch_resume, .posted = 16,
     .offload = 1, PL__LIMITS_BATCH},
    /* Reads of one leaf or one proof are answered on the poller: handing
     * them to a worker cost GetEntry 45 % of its rate (BENCHMARKS.md). */
    {.name = "GetEntry", .request = &partsledger__v1__get_entry_request__descriptor,
     .handle = pl__get_entry, .posted = 64, PL__LIMITS_READ},
    {.name = "ListEntries", .request = &partsledger__v1__list_entries_request__descriptor,
     .handle = pl__list_entries, .posted = 8, .offload = 1, PL__LIMITS_READ},
    {.name = "GetCheckpoint",
     .request = &partsledger__v1__get_checkpoint_request__descriptor,
     .handle = pl__get_checkpoint, .posted = 8, PL__LIMITS_READ},
    {.name = "GetInclusionProof",
     .request = &partsledger__v1__get_inclusion_proof_request__descriptor,
     .handle = pl__get_inclusion_proof, .posted = 64, PL__LIMITS_READ},
    {.name = "GetConsistencyProof",
     .request = &partsledger__v1__get_consistency_proof_request__descriptor,
     .handle = pl__get_consistency_proof, .posted = 8, PL__LIMITS_READ},
    {.name = "GetLogInfo", .request = &partsledger__v1__get_log_info_request__descriptor,
     .handle = pl__get_log_info, .posted = 4, PL__LIMITS_READ},
    {.name = "Follow", .request = &partsledger__v1__follow_request__descriptor,
     .kind = PL_METHOD_FOLLOW, .posted = 8, PL__LIMITS_READ},
};

const pl_service pl_service_ledger = PL_SERVICE("partsledger.v1.Ledger", pl__ledger_methods);
