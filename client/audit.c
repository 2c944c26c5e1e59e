/*
 * audit.c - offline verification of audit bundles; see audit.h.
 *
 * pl_audit_verify reads the bundle once (strict JSON, every field typed),
 * then runs the checks of PL_AUDIT_CHECK_LIST in order, each over all the
 * entries, each ending in one verdict. A check never stops at its first
 * failure: it counts them and names the first, so that the reason a reader
 * sees is the earliest entry at fault. The checks of what entries say
 * (signers, references, quorum, warranty) read only entries that decoded
 * and passed the stateless rules, so a malformed leaf fails `leaves` and is
 * skipped by them instead of misleading them; audit_rules.c says which
 * server rule each of those mirrors.
 *
 * May depend on: the storage/ headers, verify.h, cJSON. No network, no LMDB.
 */
#include "audit.h"
#include "audit_private.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "entry.h"
#include "error.h"
#include "keys.h"
#include "kinds.h"
#include "note.h"

#define PL__B64_HASH 44 /* base64 of 32 bytes */

/* ---- lines ---- */

/* The line that starts at `p`, without its '\n', into `line` (at most
 * `cap` - 1 bytes); the next line's start, or NULL when no '\n' ends it or
 * it is too long. */
static const char *pl__line(const char *p, char *line, size_t cap) {
  const char *nl = strchr(p, '\n');
  if (nl == NULL || (size_t)(nl - p) >= cap)
    return NULL;
  memcpy(line, p, (size_t)(nl - p));
  line[nl - p] = '\0';
  return nl + 1;
}

/* ---- verdicts ---- */

static const struct {
  const char *name, *what;
} pl__checks[PL_AUDIT_N_CHECKS] = {
#define PL__AUDIT_ROW(ID, name, what) {name, what},
    PL_AUDIT_CHECK_LIST(PL__AUDIT_ROW)
#undef PL__AUDIT_ROW
};

const char *pl_audit_result_name(pl_audit_result r) {
  return r == PL_AUDIT_HOLDS ? "holds" : r == PL_AUDIT_FAILS ? "FAILED" : "skipped";
}

void pl__audit_set(pl_audit_report *r, pl_audit_check_id id, pl_audit_result res,
                   const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->checks[id].reason, sizeof(r->checks[id].reason), fmt, ap);
  va_end(ap);
  r->checks[id].result = res;
}

void pl__audit_fail(pl__audit_fails *f, const char *fmt, ...) {
  if (f->n++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->first, sizeof(f->first), fmt, ap);
    va_end(ap);
  }
}

void pl__audit_end(pl_audit_report *r, pl_audit_check_id id, const pl__audit_fails *f,
                   const char *ok) {
  if (f->n == 0)
    pl__audit_set(r, id, PL_AUDIT_HOLDS, "%s", ok);
  else if (f->n == 1)
    pl__audit_set(r, id, PL_AUDIT_FAILS, "%s", f->first);
  else
    pl__audit_set(r, id, PL_AUDIT_FAILS, "%s; and %zu more", f->first, f->n - 1);
}

/* ---- words for messages ---- */

const char *pl__audit_time(pl_arena *a, int64_t ms) {
  char buf[PL_ISO_TIME_MAX];
  pl_cal_iso(ms, buf);
  const char *s = pl_arena_dup(a, buf, strlen(buf) + 1);
  return s != NULL ? s : "?";
}

/* A key's first 8 bytes in hex. */
const char *pl__audit_tag(pl_arena *a, const uint8_t *pk) {
  char hex[17];
  const char *s = pl_arena_printf(a, "%s…", pl_hex_encode(pk, 8, hex));
  return s != NULL ? s : "?";
}

/* DECISION_REASON_IN_TERM is "IN_TERM". */
const char *pl__audit_enum(const ProtobufCEnumDescriptor *d, int value, size_t prefix) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  return v != NULL && strlen(v->name) > prefix ? v->name + prefix : "UNKNOWN";
}

const char *pl__audit_what(pl_arena *a, const pl_audit_entry *e) {
  const char *s = pl_arena_printf(a, "entry %" PRIu64 " (%s)", e->index, e->kind);
  return s != NULL ? s : "an entry";
}

/* ---- the document ---- */

static char *pl__dup(pl_arena *a, const char *s) {
  return pl_arena_dup(a, s, strlen(s) + 1);
}

static const char *pl__str(const cJSON *o, const char *name) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(s) ? s->valuestring : NULL;
}

static int pl__u64(const cJSON *o, const char *name, uint64_t *out) {
  return pl_json_u64(cJSON_GetObjectItemCaseSensitive(o, name), out);
}

/* Reads the document into the report and the context. 0, PL_EINVAL with
 * the DOCUMENT verdict set, or PL_ENOMEM. */
static int pl__document(pl__audit_ctx *x, const char *text, size_t len) {
  pl_audit_report *r = x->r;
  pl_verdict v;
  if (len > PL_AUDIT_BUNDLE_MAX) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "the bundle is %zu bytes, over the %u this verifier reads", len,
                  PL_AUDIT_BUNDLE_MAX);
    return PL_EINVAL;
  }
  if (memchr(text, '\0', len) != NULL) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "the bundle holds a NUL byte, so it is not JSON text");
    return PL_EINVAL;
  }
  char *copy = pl_arena_alloc(x->a, len + 1);
  if (copy == NULL)
    return PL_ENOMEM;
  memcpy(copy, text, len);
  copy[len] = '\0';
  cJSON *doc;
  if (pl_json_doc_parse(copy, "the bundle", "a JSON audit bundle", &doc, &v) != 0) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS, "%s", v.message);
    return v.code == PL_ENOMEM ? PL_ENOMEM : PL_EINVAL;
  }
  int rc = PL_EINVAL;
  const char *media = pl__str(doc, "media_type");
  const char *top[] = {"claim_id", "origin", "verifier_key", "checkpoint", "manifest"};
  const char *val[5];
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");
  if (media == NULL || strcmp(media, PL_AUDIT_MEDIA_TYPE) != 0) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "media_type is %s%s%s, not %s", media ? "\"" : "",
                  media ? media : "missing", media ? "\"" : "", PL_AUDIT_MEDIA_TYPE);
    goto done;
  }
  for (size_t i = 0; i < 5; i++)
    if ((val[i] = pl__str(doc, top[i])) == NULL) {
      pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                    "field \"%s\" is missing or not a string", top[i]);
      goto done;
    }
  if (pl__u64(doc, "tree_size", &r->tree_size) != 0) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "field \"tree_size\" is missing or not a non-negative integer");
    goto done;
  }
  if (!cJSON_IsArray(entries)) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "field \"entries\" is missing or not an array");
    goto done;
  }
  size_t n = (size_t)cJSON_GetArraySize(entries);
  if (n > PL_AUDIT_ENTRIES_MAX) {
    pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                  "the bundle has %zu entries, over the %d this verifier reads", n,
                  PL_AUDIT_ENTRIES_MAX);
    goto done;
  }
  rc = PL_ENOMEM;
  r->entries = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*r->entries));
  x->order = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->order));
  x->proof_b64 = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->proof_b64));
  x->n_proof = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->n_proof));
  x->tlog = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->tlog));
  x->leaf_b64 = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->leaf_b64));
  x->leaf_err = pl_arena_alloc(x->a, (n ? n : 1) * sizeof(*x->leaf_err));
  if (r->entries == NULL || x->order == NULL || x->proof_b64 == NULL ||
      x->n_proof == NULL || x->tlog == NULL || x->leaf_b64 == NULL || x->leaf_err == NULL)
    goto done;
  memset(r->entries, 0, (n ? n : 1) * sizeof(*r->entries));
  memset(x->leaf_err, 0, (n ? n : 1) * sizeof(*x->leaf_err));
  r->claim_id = pl__dup(x->a, val[0]);
  r->origin = pl__dup(x->a, val[1]);
  r->verifier_key = pl__dup(x->a, val[2]);
  r->checkpoint = pl__dup(x->a, val[3]);
  r->manifest = pl__dup(x->a, val[4]);
  if (r->claim_id == NULL || r->origin == NULL || r->verifier_key == NULL ||
      r->checkpoint == NULL || r->manifest == NULL)
    goto done;
  rc = PL_EINVAL;
  size_t i = 0;
  for (const cJSON *o = entries->child; o != NULL; o = o->next, i++) {
    pl_audit_entry *e = &r->entries[i];
    const char *kind = pl__str(o, "kind"), *leaf = pl__str(o, "leaf"),
               *tlog = pl__str(o, "tlog_proof");
    const cJSON *proof = cJSON_GetObjectItemCaseSensitive(o, "inclusion_proof");
    const char *bad = !cJSON_IsObject(o)              ? "is not an object"
                      : pl__u64(o, "index", &e->index) ? "has no integer \"index\""
                      : kind == NULL                   ? "has no string \"kind\""
                      : leaf == NULL                   ? "has no string \"leaf\""
                      : !cJSON_IsArray(proof) ? "has no array \"inclusion_proof\""
                      : tlog == NULL          ? "has no string \"tlog_proof\""
                                              : NULL;
    if (bad != NULL) {
      pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS, "entries[%zu] %s", i, bad);
      goto done;
    }
    size_t np = (size_t)cJSON_GetArraySize(proof), k = 0;
    const char **hashes = pl_arena_alloc(x->a, (np + 1) * sizeof(*hashes));
    if (hashes == NULL || (e->kind = pl__dup(x->a, kind)) == NULL ||
        (x->leaf_b64[i] = pl__dup(x->a, leaf)) == NULL ||
        (x->tlog[i] = pl__dup(x->a, tlog)) == NULL) {
      rc = PL_ENOMEM;
      goto done;
    }
    for (const cJSON *h = proof->child; h != NULL; h = h->next, k++) {
      if (!cJSON_IsString(h)) {
        pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
                      "entries[%zu].inclusion_proof[%zu] is not a string", i, k);
        goto done;
      }
      if ((hashes[k] = pl__dup(x->a, h->valuestring)) == NULL) {
        rc = PL_ENOMEM;
        goto done;
      }
    }
    hashes[np] = NULL;
    x->proof_b64[i] = hashes;
    x->n_proof[i] = np;
    x->order[i] = e;
  }
  r->n_entries = n;
  pl__audit_set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_HOLDS,
                "a JSON audit bundle for claim %s of %s: %zu entries at tree size %" PRIu64,
                r->claim_id, r->origin, n, r->tree_size);
  rc = 0;
done:
  cJSON_Delete(doc);
  return rc;
}

static int pl__by_index(const void *p, const void *q) {
  const pl_audit_entry *a = *(pl_audit_entry *const *)p, *b = *(pl_audit_entry *const *)q;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* ---- checkpoint and manifest ---- */

static void pl__checkpoint(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  char origin[PL_NOTE_NAME_MAX + 1];
  x->have_cp = pl_checkpoint_peek(r->checkpoint, origin, &x->cp_size, x->root) == 0;
  /* Whether the given key signed it decides what the proofs show, whatever
   * else the bundle says of it. */
  pl_verdict v;
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  x->cp_signed = pl_verify_note(x->vkey, "checkpoint", r->checkpoint, &size, root, &v) == 0;
  if (strcmp(r->verifier_key, x->vkey) != 0) {
    pl__audit_set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
                  "the bundle names the verifier key %s, not the key given (%s)",
                  r->verifier_key, x->vkey);
    return;
  }
  if (!x->cp_signed) {
    pl__audit_set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS, "%s", v.message);
    return;
  }
  if (strcmp(origin, r->origin) != 0) {
    pl__audit_set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
                  "the checkpoint is of origin %s, the bundle says %s", origin, r->origin);
    return;
  }
  if (size != r->tree_size) {
    pl__audit_set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
                  "the checkpoint is of tree size %" PRIu64 ", the bundle says %" PRIu64, size,
                  r->tree_size);
    return;
  }
  char b64[PL__B64_HASH + 1];
  pl_base64_encode(root, PL_HASH_BYTES, b64, sizeof(b64));
  pl__audit_set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_HOLDS,
                "signed by the verifier key of %s: tree size %" PRIu64 ", root %s", origin,
                size, b64);
}

static void pl__manifest(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  size_t body_len;
  int rc = pl_note_verify(x->vkey, r->manifest, strlen(r->manifest), &body_len);
  if (rc != 0) {
    pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS, "the manifest %s",
                  rc == PL_EVERIFY ? "is not signed by the verifier key"
                                   : "is not a signed note");
    return;
  }
  char *body = pl_arena_dup(x->a, r->manifest, body_len + 1);
  if (body == NULL) {
    pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  body[body_len] = '\0';
  char line[PL_NOTE_NAME_MAX + 72];
  const char *p = body;
  const char *want[3] = {PL_AUDIT_MANIFEST_HEAD, r->origin, r->claim_id};
  const char *which[3] = {"header", "origin", "claim id"};
  for (int i = 0; i < 3; i++) {
    if ((p = pl__line(p, line, sizeof(line))) == NULL || strcmp(line, want[i]) != 0) {
      pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                    "the manifest's %s (line %d) is not %s", which[i], i + 1, want[i]);
      return;
    }
  }
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  if ((p = pl__line(p, line, sizeof(line))) == NULL ||
      pl_note_decimal(line, strlen(line), &size) != 0 || size != r->tree_size) {
    pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                  "the manifest's tree size (line 4) is not %" PRIu64, r->tree_size);
    return;
  }
  if ((p = pl__line(p, line, sizeof(line))) == NULL ||
      pl_note_hash(line, strlen(line), root) != 0 || !x->have_cp ||
      memcmp(root, x->root, PL_HASH_BYTES) != 0) {
    pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                  "the manifest's root (line 5) is not the checkpoint's");
    return;
  }
  /* The indices, against the bundle's entries in their order: both must
   * be strictly increasing, and the same list. */
  size_t i = 0;
  uint64_t last = 0;
  for (size_t k = 0; *p != '\0'; k++) {
    uint64_t index;
    if ((p = pl__line(p, line, sizeof(line))) == NULL ||
        pl_note_decimal(line, strlen(line), &index) != 0 || (k > 0 && index <= last)) {
      pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                    "the manifest's line %zu is not an index above the one before", k + 6);
      return;
    }
    last = index;
    if (i < r->n_entries && i > 0 && r->entries[i].index <= r->entries[i - 1].index) {
      pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                    "the bundle's entries are not in log order: entry %" PRIu64
                    " comes after entry %" PRIu64,
                    r->entries[i].index, r->entries[i - 1].index);
      return;
    }
    if (i == r->n_entries || r->entries[i].index > index) {
      pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                    "the manifest names entry %" PRIu64 ", which the bundle does not hold",
                    index);
      return;
    }
    if (r->entries[i].index < index) {
      pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                    "the bundle holds entry %" PRIu64 ", which the manifest does not name",
                    r->entries[i].index);
      return;
    }
    i++;
  }
  if (i < r->n_entries) {
    pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
                  "the bundle holds entry %" PRIu64 ", which the manifest does not name",
                  r->entries[i].index);
    return;
  }
  pl__audit_set(r, PL_AUDIT_MANIFEST, PL_AUDIT_HOLDS,
                "signed by the log's key for claim %s at tree size %" PRIu64
                " and the checkpoint's root; names exactly the %zu bundled entries",
                r->claim_id, r->tree_size, r->n_entries);
}

/* ---- proofs and leaves ---- */

/* Decodes every leaf from base64 before any check runs: the proofs and the
 * leaves checks both read the bytes, and a checkpoint that stops the
 * proofs must not leave the leaves check with nothing to read. */
static void pl__leaf_bytes(pl__audit_ctx *x) {
  for (size_t i = 0; i < x->r->n_entries; i++) {
    pl_audit_entry *e = &x->r->entries[i];
    size_t len = strlen(x->leaf_b64[i]), cap = len / 4 * 3 + 3, n;
    uint8_t *leaf = pl_arena_alloc(x->a, cap);
    if (leaf == NULL) {
      x->leaf_err[i] = "out of memory for its leaf";
    } else if (pl_base64_decode(x->leaf_b64[i], len, leaf, cap, &n) != 0) {
      x->leaf_err[i] = "its leaf is not base64";
    } else {
      e->leaf = leaf;
      e->leaf_len = n;
    }
  }
}

static void pl__proofs(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  if (!x->have_cp) {
    pl__audit_set(r, PL_AUDIT_PROOFS, PL_AUDIT_SKIPPED,
                  "the checkpoint does not parse, so there is no root to prove against");
    return;
  }
  /* A root nobody vouches for: anyone can build a tree that holds these
   * leaves, so a proof against it would say nothing of the log. */
  if (!x->cp_signed) {
    pl__audit_set(r, PL_AUDIT_PROOFS, PL_AUDIT_SKIPPED,
                  "the checkpoint is not signed by the given key, so a proof against its "
                  "root proves nothing");
    return;
  }
  pl_hash *proof = pl_arena_alloc(x->a, sizeof(pl_hash) * PL_MERKLE_MAX_PROOF);
  if (proof == NULL) {
    pl__audit_set(r, PL_AUDIT_PROOFS, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    const char *what = pl__audit_what(x->a, e);
    if (e->leaf == NULL) {
      pl__audit_fail(&f, "%s: %s", what, x->leaf_err[i]);
      continue;
    }
    uint8_t lh[PL_HASH_BYTES];
    pl_merkle_leaf_hash(e->leaf, e->leaf_len, lh);
    if (e->index >= x->cp_size) {
      pl__audit_fail(&f, "%s is past the checkpoint's tree size %" PRIu64, what, x->cp_size);
      continue;
    }
    /* The proof in the JSON. */
    int ok = x->n_proof[i] <= PL_MERKLE_MAX_PROOF;
    for (size_t k = 0; ok && k < x->n_proof[i]; k++)
      ok = pl_note_hash(x->proof_b64[i][k], strlen(x->proof_b64[i][k]), proof[k]) == 0;
    if (!ok) {
      pl__audit_fail(&f, "%s: its inclusion_proof is not a list of base64 hashes", what);
      continue;
    }
    if (pl_merkle_verify_inclusion(e->index, x->cp_size, lh, proof, x->n_proof[i],
                                   x->root) != 0) {
      pl__audit_fail(&f, "%s: its inclusion proof does not lead from the leaf to the "
                         "checkpoint's root", what);
      continue;
    }
    /* The same proof as tlog-proof text, ending with the checkpoint. */
    pl_tlog_proof t;
    char why[PL_MSG_MAX];
    if (pl_tlog_proof_parse(x->tlog[i], x->a, &t, why) != 0) {
      pl__audit_fail(&f, "%s: its tlog_proof is not a C2SP tlog-proof: %s", what, why);
      continue;
    }
    if (t.index != e->index) {
      pl__audit_fail(&f, "%s: its tlog_proof is for index %" PRIu64, what, t.index);
      continue;
    }
    if (strcmp(t.checkpoint, r->checkpoint) != 0) {
      pl__audit_fail(&f, "%s: its tlog_proof does not end with the bundle's checkpoint", what);
      continue;
    }
    if (pl_merkle_verify_inclusion(e->index, x->cp_size, lh, t.hashes, t.n, x->root) != 0) {
      pl__audit_fail(&f, "%s: its tlog_proof does not lead from the leaf to the checkpoint's "
                         "root", what);
      continue;
    }
    e->proven = 1;
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "every one of the %zu leaves is in the checkpoint's tree at its index, by "
           "its inclusion proof and by its tlog-proof",
           r->n_entries);
  pl__audit_end(r, PL_AUDIT_PROOFS, &f, ok);
}

static void pl__leaves(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  ProtobufCAllocator *alloc = pl_arena_allocator(x->a);
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    const char *what = pl__audit_what(x->a, e);
    char msg[PL_MSG_MAX];
    if (e->leaf == NULL) {
      pl__audit_fail(&f, "%s: %s", what, x->leaf_err[i]);
      continue;
    }
    Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(alloc, e->leaf_len, e->leaf);
    if (l == NULL || l->signed_entry == NULL) {
      pl__audit_fail(&f, "%s: the leaf does not decode as a Leaf with a signed entry", what);
      continue;
    }
    e->l = l;
    e->se = l->signed_entry;
    e->at_ms = l->integrated_at_ms;
    if (l->index != e->index) {
      pl__audit_fail(&f, "%s: the leaf says it is entry %" PRIu64, what, l->index);
      continue;
    }
    /* The server's own checks of an entry before it is logged; a bad
     * signature is the signatures check's to report. */
    Partsledger__V1__Entry *ent = NULL;
    int rc = pl_signed_entry_open(l->signed_entry, alloc, &ent, msg);
    if (rc == PL_EBADSIG)
      ent = partsledger__v1__entry__unpack(alloc, l->signed_entry->entry.len,
                                           l->signed_entry->entry.data);
    else if (rc != 0) {
      pl__audit_fail(&f, "%s: %s", what, msg);
      continue;
    }
    if (ent == NULL) {
      pl__audit_fail(&f, "%s: the entry does not decode", what);
      continue;
    }
    if (strcmp(pl_kind_name(ent->body_case), e->kind) != 0) {
      pl__audit_fail(&f, "%s: the entry is a %s", what, pl_kind_name(ent->body_case));
      continue;
    }
    e->entry = ent;
  }
  pl__audit_end(r, PL_AUDIT_LEAVES, &f,
                "every leaf decodes, names its own index, and holds a well-formed entry "
                "of the kind the bundle says");
}

static void pl__signatures(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  size_t authors = 0, cos = 0, unread = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    char msg[PL_MSG_MAX];
    if (e->se == NULL) {
      unread++;
      continue;
    }
    if (pl_signed_entry_verify(e->se, msg) != 0) {
      pl__audit_fail(&f, "%s: %s", pl__audit_what(x->a, e), msg);
      continue;
    }
    authors++;
    cos += e->se->n_cosignatures;
  }
  if (f.n == 0 && unread > 0) {
    pl__audit_set(r, PL_AUDIT_SIGNATURES, PL_AUDIT_SKIPPED,
                  "%zu leaves could not be read, so neither could their signatures", unread);
    return;
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "%zu author signatures and %zu co-signatures verify over their entries' "
           "bytes",
           authors, cos);
  pl__audit_end(r, PL_AUDIT_SIGNATURES, &f, ok);
}

/* ---- the whole ---- */

void pl_audit_report_destroy(pl_audit_report *r) {
  if (r == NULL)
    return;
  pl_arena_free(r->arena);
  memset(r, 0, sizeof(*r));
}

/* Every check skipped, for `why` (the reason none could be judged). */
static void pl__skip_all(pl_audit_report *r, const char *why) {
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
    pl__audit_set(r, i, PL_AUDIT_SKIPPED, "not checked: %s", why);
}

int pl_audit_verify(const char *bundle_json, size_t len, const char *vkey,
                    pl_audit_report *out) {
  memset(out, 0, sizeof(*out));
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++) {
    out->checks[i].name = pl__checks[i].name;
    out->checks[i].what = pl__checks[i].what;
  }
  if ((out->arena = pl_arena_new(0)) == NULL) {
    pl__skip_all(out, "out of memory");
    return out->code = PL_ENOMEM;
  }
  pl__audit_ctx x;
  memset(&x, 0, sizeof(x));
  x.r = out;
  x.a = out->arena;
  x.vkey = vkey;
  char name[PL_NOTE_NAME_MAX + 1];
  if (vkey == NULL || pl_note_vkey_parse(vkey, name, sizeof(name), x.log_key) != 0) {
    pl__skip_all(out, "the verifier key given is not one (name+hexid+base64)");
    /* What a caller shows as the reason the input was refused. */
    pl__audit_set(out, PL_AUDIT_DOCUMENT, PL_AUDIT_SKIPPED,
                  "the verifier key is not one (name+hexid+base64)");
    return out->code = PL_EINVAL;
  }
  /* The document check says what is wrong with it; the others were not
   * run. */
  pl__skip_all(out, "the input is not a bundle");
  int rc = pl__document(&x, bundle_json, len);
  if (rc == PL_ENOMEM)
    pl__skip_all(out, "out of memory");
  if (rc != 0)
    return out->code = rc;
  qsort(x.order, out->n_entries, sizeof(*x.order), pl__by_index);
  pl__leaf_bytes(&x);

  pl__checkpoint(&x);
  pl__manifest(&x);
  pl__proofs(&x);
  pl__leaves(&x);
  pl__signatures(&x);
  pl__audit_signers(&x);
  pl__audit_references(&x);
  pl__audit_quorum(&x);
  pl__audit_story(&x);
  pl__audit_warranty(&x);
  pl__audit_decision(&x);

  out->code = 0;
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
    if (out->checks[i].result != PL_AUDIT_HOLDS)
      out->code = PL_EVERIFY;
  return out->code;
}
