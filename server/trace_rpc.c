/*
 * trace_rpc.c - the service partsledger.v1.Trace: every leaf that touched
 * a batch, a supplier's batches, a device's and a part's histories, the
 * devices a batch's parts are in. With proofs, each fact carries its exact
 * leaf and its inclusion proof in the snapshot's signed tree, so a trace
 * verifies offline.
 *
 * A page of facts is written as bytes, not packed: its batch and facts
 * are stored encoded (state/inventory.c), and a message of submessages is
 * each one's bytes behind a tag and a length, so the page costs copies
 * instead of a decode and an encode per fact.
 */
#include <string.h>

#include "error.h"
#include "query.h"
#include "rpc.h"

/* --- protobuf wire, for the page written as bytes ------------------------- */

static size_t pl__varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static uint8_t *pl__varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* A length-delimited field (tag, length, bytes) of a field number < 16. */
static size_t pl__field_len(size_t n) { return 1 + pl__varint_len(n) + n; }

static uint8_t *pl__field(uint8_t *p, unsigned field, const void *data, size_t n) {
  *p++ = (uint8_t)(field << 3 | 2);
  p = pl__varint(p, n);
  memcpy(p, data, n);
  return p + n;
}

/* Where a response keeps what a page of facts fills in (0: not there). */
typedef struct {
  unsigned batch, facts, next, checkpoint, size;
} pl__layout;

/* TraceBatchResponse, and the history responses, as trace.proto numbers
 * them; in a Fact, the leaf is field 6 and its proof field 7. */
static const pl__layout pl__trace_batch_layout = {1, 2, 3, 4, 5};
static const pl__layout pl__history_layout = {0, 1, 0, 2, 3};
enum { PL__FACT_LEAF = 6, PL__FACT_PROOF = 7 };

typedef struct {
  const uint8_t *leaf;
  size_t leaf_len;
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n;
} pl__fact_proof;

/* Answers a page of stored facts, each with its leaf and inclusion proof in
 * the snapshot's tree when asked. */
static int pl__reply_facts(pl_call *c, pl_reader *rd, const pl_trace_page *page,
                           int with_proofs, const pl__layout *lay) {
  uint64_t size = 0;
  uint8_t root[PL_HASH_BYTES];
  const char *note = NULL;
  size_t note_len = 0;
  int rc = pl_reader_head(rd, &size, root, &note, &note_len);
  if (rc != 0)
    return rc;

  /* The size first, then the bytes. */
  pl__fact_proof *proofs = NULL;
  size_t len = 1 + pl__varint_len(size);
  if (lay->batch)
    len += pl__field_len(page->batch.len);
  if (page->next_start != 0)
    len += 1 + pl__varint_len(page->next_start);
  if (with_proofs) {
    proofs = pl_call_alloc(c, (page->n ? page->n : 1) * sizeof(*proofs));
    if (proofs == NULL)
      return PL_ENOMEM;
    len += pl__field_len(note_len);
  }
  for (size_t i = 0; i < page->n; i++) {
    size_t flen = page->facts[i].len;
    if (proofs != NULL) {
      uint8_t hash[PL_HASH_BYTES];
      pl__fact_proof *fp = &proofs[i];
      if ((rc = pl_reader_leaf(rd, page->indices[i], &fp->leaf, &fp->leaf_len, hash)) != 0 ||
          (rc = pl_reader_inclusion(rd, page->indices[i], size, fp->proof, &fp->n)) != 0)
        return rc == PL_ERANGE ? PL_ECORRUPT : rc;
      flen += pl__field_len(fp->leaf_len) + fp->n * pl__field_len(PL_HASH_BYTES);
    }
    len += pl__field_len(flen);
  }

  uint8_t *out = pl_call_alloc(c, len), *p = out;
  if (out == NULL)
    return PL_ENOMEM;
  if (lay->batch)
    p = pl__field(p, lay->batch, page->batch.data, page->batch.len);
  for (size_t i = 0; i < page->n; i++) {
    size_t flen = page->facts[i].len;
    if (proofs != NULL)
      flen += pl__field_len(proofs[i].leaf_len) + proofs[i].n * pl__field_len(PL_HASH_BYTES);
    *p++ = (uint8_t)(lay->facts << 3 | 2);
    p = pl__varint(p, flen);
    memcpy(p, page->facts[i].data, page->facts[i].len);
    p += page->facts[i].len;
    if (proofs != NULL) {
      /* Fields 6 and 7 after the stored ones, which are numbered below 6 or
       * above 7: a decoder takes fields in any order. */
      p = pl__field(p, PL__FACT_LEAF, proofs[i].leaf, proofs[i].leaf_len);
      for (size_t h = 0; h < proofs[i].n; h++)
        p = pl__field(p, PL__FACT_PROOF, proofs[i].proof[h], PL_HASH_BYTES);
    }
  }
  if (page->next_start != 0) {
    *p++ = (uint8_t)(lay->next << 3);
    p = pl__varint(p, page->next_start);
  }
  if (with_proofs)
    p = pl__field(p, lay->checkpoint, note, note_len);
  *p++ = (uint8_t)(lay->size << 3);
  p = pl__varint(p, size);
  if ((size_t)(p - out) != len)
    return PL_EINTERNAL;
  pl_call_reply_raw(c, out, len);
  return 0;
}

static int pl__trace_batch(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__TraceBatchRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  (void)resp;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  pl_trace_page page;
  rc = pl_query_trace_batch(pl_reader_txn(rd), req->batch_id, req->start, req->page_size,
                            pl_call_arena(c), &page, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  return pl__reply_facts(c, rd, &page, req->with_proofs, &pl__trace_batch_layout);
}

/* A device's or a part's whole history. */
typedef int (*pl__history_fn)(pl_txn *t, const char *id, pl_arena *a, pl_trace_page *out,
                              char *msg);

static int pl__history(pl_call *c, pl__history_fn query, const char *id, int with_proofs) {
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  pl_trace_page page;
  rc = query(pl_reader_txn(rd), id, pl_call_arena(c), &page, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  return pl__reply_facts(c, rd, &page, with_proofs, &pl__history_layout);
}

static int pl__device_history(pl_call *c, const ProtobufCMessage *m,
                              ProtobufCMessage **resp) {
  const Partsledger__V1__DeviceHistoryRequest *req = (const void *)m;
  (void)resp;
  return pl__history(c, pl_query_device_history, req->device_serial, req->with_proofs);
}

static int pl__part_history(pl_call *c, const ProtobufCMessage *m,
                            ProtobufCMessage **resp) {
  const Partsledger__V1__PartHistoryRequest *req = (const void *)m;
  (void)resp;
  return pl__history(c, pl_query_part_history, req->part_serial, req->with_proofs);
}

static int pl__batch_devices(pl_call *c, const ProtobufCMessage *m,
                             ProtobufCMessage **resp) {
  const Partsledger__V1__BatchDevicesRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__BatchDevicesResponse *r;
  rc = pl_query_batch_devices(pl_reader_txn(rd), req, pl_call_arena(c), &r, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  *resp = &r->base;
  return 0;
}

static int pl__trace_supplier(pl_call *c, const ProtobufCMessage *m,
                              ProtobufCMessage **resp) {
  const Partsledger__V1__TraceSupplierRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__TraceSupplierResponse *r;
  rc = pl_query_trace_supplier(pl_reader_txn(rd), req->supplier_id, req->start,
                               req->page_size, pl_call_arena(c), &r, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  *resp = &r->base;
  return 0;
}

/* A page of stored facts is a bounded copy, answered on the poller; with
 * proofs, each fact costs a proof's worth of node reads: a worker's. */
static int pl__batch_no_proofs(const ProtobufCMessage *m) {
  return !((const Partsledger__V1__TraceBatchRequest *)m)->with_proofs;
}

static int pl__device_no_proofs(const ProtobufCMessage *m) {
  return !((const Partsledger__V1__DeviceHistoryRequest *)m)->with_proofs;
}

#define PL__LIMITS .max_bytes = 1024, .max_fields = 16

static const pl_method pl__trace_methods[] = {
    {.name = "TraceBatch", .request = &partsledger__v1__trace_batch_request__descriptor,
     .handle = pl__trace_batch, .posted = 32, .offload = 1,
     .inline_if = pl__batch_no_proofs, PL__LIMITS},
    {.name = "TraceSupplier",
     .request = &partsledger__v1__trace_supplier_request__descriptor,
     .handle = pl__trace_supplier, .posted = 8, .offload = 1, PL__LIMITS},
    {.name = "DeviceHistory", .request = &partsledger__v1__device_history_request__descriptor,
     .handle = pl__device_history, .posted = 32, .offload = 1,
     .inline_if = pl__device_no_proofs, PL__LIMITS},
    {.name = "PartHistory", .request = &partsledger__v1__part_history_request__descriptor,
     .handle = pl__part_history, .posted = 8, .offload = 1, PL__LIMITS},
    {.name = "BatchDevices", .request = &partsledger__v1__batch_devices_request__descriptor,
     .handle = pl__batch_devices, .posted = 8, .offload = 1, PL__LIMITS},
};

const pl_service pl_service_trace = PL_SERVICE("partsledger.v1.Trace", pl__trace_methods);
