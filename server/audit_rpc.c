/*
 * audit_rpc.c - the service partsledger.v1.Audit: the audit bundle of a
 * claim, and panels.
 *
 * A bundle is a JSON document (README, "Audit bundles") built from one read
 * snapshot: the signed checkpoint of that snapshot; a manifest, a note the
 * log's key signs, that commits to the claim, the tree size, the root and
 * the sorted indices of every linked leaf (storage/state/audit.c says
 * which), so that a bundle leaving one out is the operator's signed lie;
 * and each linked leaf with its inclusion proof, also as a C2SP tlog-proof
 * text ending with the checkpoint (tlogproof.h, the format the verifier
 * reads). Depends on cJSON for the document.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "error.h"
#include "keys.h"
#include "query.h"
#include "rpc.h"
#include "tlogproof.h"

#define PL__MEDIA_TYPE "application/vnd.partsledger.audit-bundle.v1+json"
#define PL__MANIFEST_HEAD "partsledger/v1/audit-manifest"
#define PL__B64_HASH 45 /* base64 of 32 bytes, and its NUL */

/* cJSON allocates with malloc: everything made here is freed before the
 * handler returns, and the reply is copied into the call's arena. */

static int pl__b64(pl_call *c, const uint8_t *p, size_t n, char **out) {
  size_t cap = (n + 2) / 3 * 4 + 1;
  *out = pl_call_alloc(c, cap);
  if (*out == NULL)
    return PL_ENOMEM;
  return pl_base64_encode(p, n, *out, cap) < 0 ? PL_EINTERNAL : 0;
}

/* The manifest's text: what the log commits to for this bundle. */
static char *pl__manifest_body(pl_call *c, const char *origin, const char *claim_id,
                               uint64_t size, const char *root_b64, const uint64_t *v,
                               size_t n, size_t *len) {
  size_t cap = 256 + strlen(origin) + strlen(claim_id) + n * 21;
  char *body = pl_call_alloc(c, cap);
  if (body == NULL)
    return NULL;
  int w = snprintf(body, cap, "%s\n%s\n%s\n%llu\n%s\n", PL__MANIFEST_HEAD, origin, claim_id,
                   (unsigned long long)size, root_b64);
  for (size_t i = 0; i < n && w > 0 && (size_t)w < cap; i++)
    w += snprintf(body + w, cap - (size_t)w, "%llu\n", (unsigned long long)v[i]);
  if (w <= 0 || (size_t)w >= cap)
    return NULL;
  *len = (size_t)w;
  return body;
}

/* One entry of the bundle: the leaf, its kind, its proof twice over.
 * `checkpoint` is the snapshot's note, NUL-terminated. */
static int pl__entry(pl_call *c, pl_reader *rd, uint64_t index, uint64_t size,
                     const char *checkpoint, cJSON *entries) {
  const uint8_t *leaf;
  size_t leaf_len, n;
  uint8_t hash[PL_HASH_BYTES];
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  int rc = pl_reader_leaf(rd, index, &leaf, &leaf_len, hash);
  if (rc == 0)
    rc = pl_reader_inclusion(rd, index, size, proof, &n);
  if (rc != 0)
    return rc == PL_ERANGE ? PL_ECORRUPT : rc;
  ProtobufCAllocator *alloc = pl_arena_allocator(pl_call_arena(c));
  Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(alloc, leaf_len, leaf);
  Partsledger__V1__Entry *e =
      l != NULL && l->signed_entry != NULL
          ? partsledger__v1__entry__unpack(alloc, l->signed_entry->entry.len,
                                           l->signed_entry->entry.data)
          : NULL;
  if (e == NULL)
    return PL_ECORRUPT;

  char *leaf_b64, *tlog;
  if ((rc = pl__b64(c, leaf, leaf_len, &leaf_b64)) != 0)
    return rc;
  /* The log's own proof: only memory can fail it. */
  if ((rc = pl_tlog_proof_format(index, proof, n, checkpoint, pl_call_arena(c), &tlog)) != 0)
    return rc == PL_ENOMEM ? rc : PL_EINTERNAL;
  cJSON *o = cJSON_CreateObject(), *hashes = cJSON_CreateArray();
  if (o == NULL || hashes == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(hashes);
    return PL_ENOMEM;
  }
  /* A member cJSON could not add would leave the bundle short of it, so
   * every add is checked. Once added, an item goes with the document. */
  if (!cJSON_AddItemToArray(entries, o)) {
    cJSON_Delete(o);
    cJSON_Delete(hashes);
    return PL_ENOMEM;
  }
  if (!cJSON_AddItemToObject(o, "inclusion_proof", hashes)) {
    cJSON_Delete(hashes);
    return PL_ENOMEM;
  }
  if (cJSON_AddNumberToObject(o, "index", (double)index) == NULL ||
      cJSON_AddStringToObject(o, "kind", pl_kind_name(e->body_case)) == NULL ||
      cJSON_AddStringToObject(o, "leaf", leaf_b64) == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    char b64[PL__B64_HASH];
    if (pl_base64_encode(proof[i], PL_HASH_BYTES, b64, sizeof(b64)) < 0)
      return PL_EINTERNAL;
    cJSON *h = cJSON_CreateString(b64);
    if (h == NULL)
      return PL_ENOMEM;
    if (!cJSON_AddItemToArray(hashes, h)) {
      cJSON_Delete(h);
      return PL_ENOMEM;
    }
  }
  return cJSON_AddStringToObject(o, "tlog_proof", tlog) != NULL ? 0 : PL_ENOMEM;
}

static int pl__export(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__ExportAuditBundleRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  const char *note;
  size_t note_len;
  if ((rc = pl_reader_head(rd, &size, root, &note, &note_len)) != 0)
    return rc;
  uint64_t *v;
  size_t n;
  rc = pl_query_audit_leaves(pl_reader_txn(rd), req->claim_id, size, pl_call_arena(c), &v,
                             &n, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  pl_log *log = pl_call_log(c);
  char *root_b64, *checkpoint = pl_call_alloc(c, note_len + 1);
  size_t body_len = 0, manifest_len;
  if (checkpoint == NULL || (rc = pl__b64(c, root, sizeof(root), &root_b64)) != 0)
    return rc != 0 ? rc : PL_ENOMEM;
  memcpy(checkpoint, note, note_len);
  checkpoint[note_len] = '\0';
  const char *body = pl__manifest_body(c, pl_log_origin(log), req->claim_id, size,
                                       root_b64, v, n, &body_len);
  size_t mcap = body_len + 512;
  char *manifest = pl_call_alloc(c, mcap);
  if (body == NULL || manifest == NULL)
    return PL_ENOMEM;
  if ((rc = pl_log_sign_note(log, body, body_len, manifest, mcap, &manifest_len)) != 0)
    return rc;

  cJSON *doc = cJSON_CreateObject(), *entries = cJSON_CreateArray();
  if (doc == NULL || entries == NULL) {
    cJSON_Delete(doc);
    cJSON_Delete(entries);
    return PL_ENOMEM;
  }
  if (!cJSON_AddItemToObject(doc, "entries", entries)) {
    cJSON_Delete(doc);
    cJSON_Delete(entries);
    return PL_ENOMEM;
  }
  if (cJSON_AddStringToObject(doc, "media_type", PL__MEDIA_TYPE) == NULL ||
      cJSON_AddStringToObject(doc, "claim_id", req->claim_id) == NULL ||
      cJSON_AddStringToObject(doc, "origin", pl_log_origin(log)) == NULL ||
      cJSON_AddStringToObject(doc, "verifier_key", pl_log_vkey(log)) == NULL ||
      cJSON_AddStringToObject(doc, "checkpoint", checkpoint) == NULL ||
      cJSON_AddNumberToObject(doc, "tree_size", (double)size) == NULL ||
      cJSON_AddStringToObject(doc, "manifest", manifest) == NULL)
    rc = PL_ENOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = pl__entry(c, rd, v[i], size, checkpoint, entries);
  char *text = rc == 0 ? cJSON_PrintUnformatted(doc) : NULL;
  cJSON_Delete(doc);
  if (rc != 0)
    return rc;
  if (text == NULL)
    return PL_ENOMEM;
  Partsledger__V1__ExportAuditBundleResponse *r = pl_call_alloc(c, sizeof(*r));
  uint8_t *bytes = pl_arena_dup(pl_call_arena(c), text, strlen(text));
  size_t len = strlen(text);
  cJSON_free(text);
  if (r == NULL || bytes == NULL)
    return PL_ENOMEM;
  partsledger__v1__export_audit_bundle_response__init(r);
  r->bundle.data = bytes;
  r->bundle.len = len;
  *resp = &r->base;
  return 0;
}

static int pl__get_panel(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetPanelRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_reader *rd = pl_call_reader(c, &rc);
  if (rd == NULL)
    return rc;
  Partsledger__V1__Panel *p;
  rc = pl_query_panel(pl_reader_txn(rd), req->panel_id, pl_call_arena(c), &p, msg);
  if (rc != 0) {
    pl_call_errorf(c, "%s", msg);
    return rc;
  }
  *resp = &p->base;
  return 0;
}

#define PL__LIMITS .max_bytes = 1024, .max_fields = 16

static const pl_method pl__audit_methods[] = {
    {.name = "ExportAuditBundle",
     .request = &partsledger__v1__export_audit_bundle_request__descriptor,
     .handle = pl__export, .posted = 8, .offload = 1, PL__LIMITS},
    {.name = "GetPanel", .request = &partsledger__v1__get_panel_request__descriptor,
     .handle = pl__get_panel, .posted = 4, .offload = 1, PL__LIMITS},
};

const pl_service pl_service_audit = PL_SERVICE("partsledger.v1.Audit", pl__audit_methods);
