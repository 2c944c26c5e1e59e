/*
 * verify.c - offline verification of checkpoints, proofs, entry signatures
 * and proof documents; see verify.h.
 *
 * The plain checks (pl_verify_checkpoint, _inclusion, _consistency) answer
 * with a code; the checks of a trace's facts and of documents build on them
 * and answer with a verdict whose message names what failed. The line between
 * PL_EVERIFY and PL_EINVAL is the one a reader of the verdict needs:
 * PL_EVERIFY when the document is a proof document and what it claims is
 * false, PL_EINVAL when it is not a proof document at all.
 *
 * May depend on: the storage/ headers (note, merkle, entry, keys, arena,
 * error), the generated protobuf code, cJSON. Never on gRPC or the network.
 */
#include "verify.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "error.h"
#include "keys.h"

/* Integers in JSON documents must survive a trip through a double. */
#define PL__JSON_MAX_INT 9007199254740992.0 /* 2^53 */
/* A proof document has a handful of fields; a bound keeps the duplicate
 * check (quadratic) cheap on a hostile one. */
#define PL__DOC_MAX_FIELDS 64
/* The most names of one sort an entry states that a fact may cite. */
#define PL__FACT_NAMES 2

/* ---- checkpoints and proofs ---- */

int pl_checkpoint_peek(const char *note, char origin[PL_NOTE_NAME_MAX + 1],
                       uint64_t *size, uint8_t root[PL_HASH_BYTES]) {
  const char *end = note != NULL ? strstr(note, "\n\n") : NULL;
  if (end == NULL)
    return PL_EINVAL;
  return pl_checkpoint_parse(note, (size_t)(end - note) + 1, origin,
                             PL_NOTE_NAME_MAX + 1, size, root);
}

/* Verifies the note and parses its checkpoint; the origin goes to `origin`
 * (PL_NOTE_NAME_MAX + 1 bytes). The origin must be the verifier key's name:
 * a log's key vouches for that log's checkpoints only, so a note signed by
 * the right key for another origin is not accepted. */
static int pl__checkpoint(const char *vkey, const char *note, char *origin,
                          uint64_t *size, uint8_t root[PL_HASH_BYTES]) {
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  if (note == NULL || vkey == NULL)
    return PL_EINVAL;
  int rc = pl_note_vkey_parse(vkey, name, sizeof(name), pk);
  if (rc != 0)
    return rc;
  size_t body_len;
  rc = pl_note_verify(vkey, note, strlen(note), &body_len);
  if (rc != 0)
    return rc;
  rc = pl_checkpoint_parse(note, body_len, origin, PL_NOTE_NAME_MAX + 1, size,
                           root);
  if (rc != 0)
    return rc;
  if (strcmp(origin, name) != 0)
    return PL_EVERIFY;
  return 0;
}

int pl_verify_checkpoint(const char *vkey, const char *note, uint64_t *size,
                         uint8_t root[PL_HASH_BYTES]) {
  char origin[PL_NOTE_NAME_MAX + 1];
  uint64_t s;
  uint8_t r[PL_HASH_BYTES];
  int rc = pl__checkpoint(vkey, note, origin, &s, r);
  if (rc != 0)
    return rc;
  if (size != NULL)
    *size = s;
  if (root != NULL)
    memcpy(root, r, PL_HASH_BYTES);
  return 0;
}

/* The leaf at `index` is in the tree of `size` and `root`, a checkpoint's
 * that the caller verified: the leaf names that index itself, and the
 * proof leads from it to the root. The decoded leaf goes to *out (allocated
 * with `alloc`) when `out` is not NULL and the leaf is in the tree. 0,
 * PL_EVERIFY, or PL_ERANGE for an index past the tree. */
static int pl__leaf_in_tree(uint64_t index, uint64_t size, const uint8_t root[PL_HASH_BYTES],
                            const uint8_t *leaf, size_t leaf_len, const pl_hash *proof,
                            size_t n, ProtobufCAllocator *alloc,
                            Partsledger__V1__Leaf **out) {
  /* The leaf names its own index; a proof for one position must not pass off
   * a leaf that says it sits at another. */
  Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(alloc, leaf_len, leaf);
  if (l == NULL)
    return PL_EVERIFY;
  uint8_t lh[PL_HASH_BYTES];
  pl_merkle_leaf_hash(leaf, leaf_len, lh);
  int rc = l->index != index ? PL_EVERIFY
                             : pl_merkle_verify_inclusion(index, size, lh, proof, n, root);
  if (rc == 0 && out != NULL)
    *out = l;
  else
    partsledger__v1__leaf__free_unpacked(l, alloc);
  return rc;
}

int pl_verify_inclusion(const char *vkey, const char *note, uint64_t index,
                        const uint8_t *leaf, size_t leaf_len,
                        const pl_hash *proof, size_t n) {
  char origin[PL_NOTE_NAME_MAX + 1];
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  int rc = pl__checkpoint(vkey, note, origin, &size, root);
  if (rc != 0)
    return rc;
  return pl__leaf_in_tree(index, size, root, leaf, leaf_len, proof, n, NULL, NULL);
}

int pl_verify_consistency(const char *vkey, const char *old_note,
                          const char *new_note, const pl_hash *proof,
                          size_t n) {
  char old_origin[PL_NOTE_NAME_MAX + 1], new_origin[PL_NOTE_NAME_MAX + 1];
  uint64_t old_size, new_size;
  uint8_t old_root[PL_HASH_BYTES], new_root[PL_HASH_BYTES];
  int rc = pl__checkpoint(vkey, old_note, old_origin, &old_size, old_root);
  if (rc != 0)
    return rc;
  rc = pl__checkpoint(vkey, new_note, new_origin, &new_size, new_root);
  if (rc != 0)
    return rc;
  if (strcmp(old_origin, new_origin) != 0)
    return PL_EVERIFY;
  if (old_size > new_size)
    return PL_ERANGE;
  /* The empty tree is a prefix of every tree; RFC 9162 has no proof for it. */
  if (old_size == 0)
    return n == 0 ? 0 : PL_EVERIFY;
  return pl_merkle_verify_consistency(old_size, new_size, old_root, new_root,
                                      proof, n);
}

/* ---- verdicts ---- */

static int pl__verdict(pl_verdict *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the verdict and returns its code: the way every check below answers. */
static int pl__verdict(pl_verdict *v, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->message, sizeof(v->message), fmt, ap);
  va_end(ap);
  v->code = code;
  return code;
}

int pl_verify_note(const char *vkey, const char *what, const char *note,
                   uint64_t *size, uint8_t root[PL_HASH_BYTES], pl_verdict *v) {
  char origin[PL_NOTE_NAME_MAX + 1];
  uint64_t s;
  uint8_t r[PL_HASH_BYTES];
  if (pl_checkpoint_peek(note, origin, &s, r) != 0)
    return pl__verdict(v, PL_EVERIFY, "the %s is not a well-formed checkpoint note",
                       what);
  int rc = pl_verify_checkpoint(vkey, note, size, root);
  if (rc == PL_EVERIFY) {
    char name[PL_NOTE_NAME_MAX + 1];
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    if (pl_note_vkey_parse(vkey, name, sizeof(name), pk) == 0 &&
        strcmp(name, origin) != 0)
      return pl__verdict(v, PL_EVERIFY,
                         "the %s is for origin \"%s\" but the verifier key is "
                         "for \"%s\"",
                         what, origin, name);
    return pl__verdict(v, PL_EVERIFY, "the %s is not signed by the verifier key",
                       what);
  }
  if (rc != 0)
    return pl__verdict(v, rc == PL_ENOMEM ? PL_ENOMEM : PL_EVERIFY,
                       "the %s does not verify: %s", what, pl_strerror(rc));
  return pl__verdict(v, 0, "the %s is signed by the verifier key", what);
}

int pl_verify_entry_signatures(const Partsledger__V1__SignedEntry *se,
                               pl_verdict *v) {
  char msg[PL_MSG_MAX];
  if (se == NULL)
    return pl__verdict(v, PL_EVERIFY, "the leaf holds no signed entry");
  if (pl_signed_entry_verify(se, msg) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "%s: the log holds an entry not signed as it says", msg);
  return pl__verdict(v, 0, "the entry's signatures verify");
}

/* ---- traces ---- */

/* What an entry itself says of the batch it touches: NULL fields (and
 * has_qty 0) where it says nothing. */
typedef struct {
  const char *batch, *site, *to_site;
  int64_t qty;
  int has_qty;
} pl__claims;

static void pl__entry_claims(const Partsledger__V1__Entry *e, pl__claims *c) {
  memset(c, 0, sizeof(*c));
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
    c->batch = e->batch_registered->batch_id;
    c->site = c->to_site = "";
    c->qty = (int64_t)e->batch_registered->quantity;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED:
    c->batch = e->stock_received->batch_id;
    c->site = e->stock_received->site_id;
    c->to_site = "";
    c->qty = (int64_t)e->stock_received->quantity;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED:
    c->batch = e->stock_transferred->batch_id;
    c->site = e->stock_transferred->from_site_id;
    c->to_site = e->stock_transferred->to_site_id;
    c->qty = (int64_t)e->stock_transferred->quantity;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED:
    c->batch = e->stock_adjusted->batch_id;
    c->site = e->stock_adjusted->site_id;
    c->to_site = "";
    c->qty = e->stock_adjusted->delta;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED:
    c->batch = e->part_reserved->batch_id;
    c->site = e->part_reserved->site_id;
    c->to_site = "";
    c->qty = (int64_t)e->part_reserved->quantity;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    c->batch = e->reservation_fulfilled->batch_id;
    c->to_site = "";
    c->qty = (int64_t)e->reservation_fulfilled->quantity;
    c->has_qty = 1;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED:
    c->batch = e->batch_recalled->batch_id;
    c->site = c->to_site = "";
    break;
  default:
    break;
  }
}

/* What every fact of a trace or a history must show before what it says is
 * compared with its entry: its leaf, proven in the tree of the checkpoint
 * `note` (signed by vkey), the leaf's author signature, an entry that
 * decodes, of the fact's kind. The leaf and entry go to *leaf and *entry,
 * the checkpoint's origin (PL_NOTE_NAME_MAX + 1 bytes) and size to `origin`
 * and *size; `what` names the list ("trace", "history") in the message of a
 * fact without its leaf. */
static int pl__fact_open(const char *vkey, const char *note, const Partsledger__V1__Fact *f,
                         const char *what, pl_arena *a, pl_verdict *v,
                         Partsledger__V1__Leaf **leaf, Partsledger__V1__Entry **entry,
                         char *origin, uint64_t *size) {
  if (f->leaf.len == 0)
    return pl__verdict(v, PL_EINVAL,
                       "fact %" PRIu64 " carries no leaf: ask for the %s with proofs",
                       f->index, what);
  if (f->n_inclusion_proof > PL_MERKLE_MAX_PROOF)
    return pl__verdict(v, PL_EVERIFY, "the proof has %zu hashes; at most %d make sense",
                       f->n_inclusion_proof, PL_MERKLE_MAX_PROOF);
  pl_hash *proof = pl_arena_alloc(a, sizeof(pl_hash) * (f->n_inclusion_proof + 1));
  if (proof == NULL)
    return pl__verdict(v, PL_ENOMEM, "out of memory");
  for (size_t i = 0; i < f->n_inclusion_proof; i++) {
    if (f->inclusion_proof[i].len != PL_HASH_BYTES)
      return pl__verdict(v, PL_EVERIFY, "proof hash %zu is %zu bytes, not %d", i,
                         f->inclusion_proof[i].len, PL_HASH_BYTES);
    memcpy(proof[i], f->inclusion_proof[i].data, PL_HASH_BYTES);
  }
  uint8_t root[PL_HASH_BYTES];
  Partsledger__V1__Leaf *l = NULL;
  int rc = pl__checkpoint(vkey, note, origin, size, root);
  if (rc == 0)
    rc = pl__leaf_in_tree(f->index, *size, root, f->leaf.data, f->leaf.len, proof,
                          f->n_inclusion_proof, pl_arena_allocator(a), &l);
  if (rc != 0)
    return pl__verdict(v, rc == PL_ENOMEM ? PL_ENOMEM : PL_EVERIFY,
                       "the leaf is not proven to be entry %" PRIu64
                       " of the checkpoint's tree%s%s",
                       f->index, rc == PL_EVERIFY ? "" : ": ",
                       rc == PL_EVERIFY ? "" : pl_strerror(rc));
  /* Only now is the leaf known to be the log's: a bad signature from here on
   * is the log's doing. */
  if (pl_verify_entry_signatures(l->signed_entry, v) != 0)
    return v->code;
  const Partsledger__V1__SignedEntry *se = l->signed_entry;
  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(pl_arena_allocator(a), se->entry.len, se->entry.data);
  if (e == NULL)
    return pl__verdict(v, PL_EVERIFY, "the entry in the leaf does not parse");
  const char *kind = pl_kind_name(e->body_case);
  if (f->kind == NULL || strcmp(f->kind, kind) != 0)
    return pl__verdict(v, PL_EVERIFY, "the fact says %s, the entry is a %s",
                       f->kind != NULL ? f->kind : "(nothing)", kind);
  *leaf = l;
  *entry = e;
  return 0;
}

int pl_verify_fact(const char *vkey, const char *note, const char *batch_id,
                   const Partsledger__V1__Fact *f, pl_arena *a, pl_verdict *v) {
  Partsledger__V1__Leaf *l;
  Partsledger__V1__Entry *e;
  char origin[PL_NOTE_NAME_MAX + 1];
  uint64_t size;
  if (pl__fact_open(vkey, note, f, "trace", a, v, &l, &e, origin, &size) != 0)
    return v->code;
  const Partsledger__V1__SignedEntry *se = l->signed_entry;
  const char *kind = pl_kind_name(e->body_case);
  pl__claims c;
  pl__entry_claims(e, &c);
  const char *fsite = f->site_id != NULL ? f->site_id : "",
             *fto = f->to_site_id != NULL ? f->to_site_id : "";
  if (c.batch != NULL && (batch_id == NULL || strcmp(c.batch, batch_id) != 0))
    return pl__verdict(v, PL_EVERIFY, "the entry is about batch %s, not %s",
                       c.batch, batch_id != NULL ? batch_id : "(none)");
  if (c.site != NULL && strcmp(c.site, fsite) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says site \"%s\", the entry says \"%s\"",
                       fsite, c.site);
  if (c.to_site != NULL && strcmp(c.to_site, fto) != 0)
    return pl__verdict(
        v, PL_EVERIFY,
        "the fact says destination \"%s\", the entry says \"%s\"", fto,
        c.to_site);
  if (c.has_qty && c.qty != f->quantity)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says quantity %" PRId64
                       ", the entry says %" PRId64,
                       f->quantity, c.qty);
  char signer[2 * PL_PUBLIC_KEY_BYTES + 1];
  return pl__verdict(
      v, 0,
      "entry %" PRIu64 " (%s) is in the tree of size %" PRIu64
      " of %s, signed by %s",
      f->index, kind, size, origin,
      pl_hex_encode(se->signer.data, PL_PUBLIC_KEY_BYTES, signer));
}

/* ---- proof documents: fields ---- */

int pl_json_u64(const cJSON *item, uint64_t *out) {
  if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
      item->valuedouble >= PL__JSON_MAX_INT ||
      item->valuedouble != (double)(uint64_t)item->valuedouble)
    return PL_EINVAL;
  *out = (uint64_t)item->valuedouble;
  return 0;
}

/* A size or index: a JSON integer that a double holds exactly, or a decimal
 * string for readers that keep 64 bits. */
static int pl__doc_u64(const cJSON *doc, const char *name, uint64_t *out,
                       pl_verdict *v) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, name);
  if (cJSON_IsString(n) &&
      pl_note_decimal(n->valuestring, strlen(n->valuestring), out) == 0)
    return 0;
  if (pl_json_u64(n, out) != 0)
    return pl__verdict(v, PL_EINVAL,
                       "field \"%s\" is missing or not a non-negative integer",
                       name);
  return 0;
}

static const char *pl__doc_str(const cJSON *doc, const char *name) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, name);
  return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* Decodes a hex string of any even length into the arena. */
static int pl__unhex(pl_arena *a, const char *s, uint8_t **out, size_t *n) {
  size_t len = strlen(s);
  if (len % 2 != 0)
    return -1;
  *n = len / 2;
  *out = pl_arena_alloc(a, *n ? *n : 1);
  if (*out == NULL)
    return -1;
  return *n == 0 ? 0 : pl_hex_decode(s, *out, *n);
}

/* The "proof" array of hex hashes, into the arena. */
static int pl__doc_proof(pl_arena *a, const cJSON *doc, pl_hash **out,
                         size_t *n, pl_verdict *v) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "proof");
  if (!cJSON_IsArray(p))
    return pl__verdict(v, PL_EINVAL, "field \"proof\" is missing or not an array");
  int count = cJSON_GetArraySize(p);
  /* Well-formed, but no tree this side of 2^64 leaves has such a path. */
  if (count > PL_MERKLE_MAX_PROOF)
    return pl__verdict(v, PL_EVERIFY,
                       "the proof has %d hashes; at most %d make sense", count,
                       PL_MERKLE_MAX_PROOF);
  *out = pl_arena_alloc(a, sizeof(pl_hash) * (size_t)(count ? count : 1));
  if (*out == NULL)
    return pl__verdict(v, PL_ENOMEM, "out of memory");
  int i = 0;
  for (const cJSON *h = p->child; h != NULL; h = h->next, i++)
    if (!cJSON_IsString(h) || strlen(h->valuestring) != 2 * PL_HASH_BYTES ||
        pl_hex_decode(h->valuestring, (*out)[i], PL_HASH_BYTES) != 0)
      return pl__verdict(v, PL_EINVAL, "proof hash %d is not %d hex characters",
                         i, 2 * PL_HASH_BYTES);
  *n = (size_t)count;
  return 0;
}

/* ---- proof documents ---- */

/* No object anywhere in `item` has a field twice or more than
 * PL__DOC_MAX_FIELDS fields. 0, or -1 with the verdict set. */
static int pl__json_fields(const cJSON *item, const char *name, pl_verdict *v) {
  for (const cJSON *c = item->child; c != NULL; c = c->next)
    if (pl__json_fields(c, name, v) != 0)
      return -1;
  if (!cJSON_IsObject(item))
    return 0;
  /* Readers differ on which of two same-named fields wins. */
  int fields = 0;
  for (const cJSON *a = item->child; a != NULL; a = a->next) {
    if (++fields > PL__DOC_MAX_FIELDS) {
      pl__verdict(v, PL_EINVAL, "%s has an object of over %d fields", name,
                  PL__DOC_MAX_FIELDS);
      return -1;
    }
    for (const cJSON *b = a->next; b != NULL; b = b->next)
      if (strcmp(a->string, b->string) == 0) {
        pl__verdict(v, PL_EINVAL, "field \"%s\" appears twice in %s", a->string,
                    name);
        return -1;
      }
  }
  return 0;
}

int pl_json_doc_parse(const char *text, const char *name, const char *what,
                      cJSON **out, pl_verdict *v) {
  *out = NULL;
  /* cJSON ends a string at \u0000 and other readers do not; an escaped
   * backslash before "u0000" is not such an escape, hence the pairwise walk. */
  for (const char *p = strchr(text, '\\'); p != NULL && p[1] != '\0';
       p = strchr(p + 2, '\\'))
    if (strncmp(p + 1, "u0000", 5) == 0)
      return pl__verdict(v, PL_EINVAL,
                         "%s has \\u0000 in a string; %s never does", name,
                         what);
  cJSON *doc = cJSON_ParseWithOpts(text, NULL, 1);
  if (doc == NULL || !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return pl__verdict(v, PL_EINVAL,
                       "%s is not %s (one object, nothing after it)",
                       name, what);
  }
  if (pl__json_fields(doc, name, v) != 0) {
    cJSON_Delete(doc);
    return PL_EINVAL;
  }
  *out = doc;
  return pl__verdict(v, 0, "%s is %s", name, what);
}

int pl_proof_doc_parse(const char *text, const char *name, cJSON **out,
                       pl_verdict *v) {
  return pl_json_doc_parse(text, name, "a JSON proof document", out, v);
}

pl_proof_type pl_proof_doc_type(const cJSON *doc) {
  const char *type = pl__doc_str(doc, "type");
  if (type != NULL && strcmp(type, "inclusion") == 0)
    return PL_PROOF_INCLUSION;
  if (type != NULL && strcmp(type, "consistency") == 0)
    return PL_PROOF_CONSISTENCY;
  return PL_PROOF_UNKNOWN;
}

static int pl__inclusion(const char *vkey, const cJSON *doc, pl_arena *a,
                         pl_proof_facts *f, pl_verdict *v) {
  uint64_t index, tree_size, size;
  uint8_t root[PL_HASH_BYTES];
  const char *leaf_hex = pl__doc_str(doc, "leaf"),
             *note = pl__doc_str(doc, "checkpoint");
  pl_hash *proof;
  size_t n, leaf_len;
  uint8_t *leaf;
  if (pl__doc_u64(doc, "index", &index, v) != 0 ||
      pl__doc_u64(doc, "tree_size", &tree_size, v) != 0)
    return v->code;
  if (leaf_hex == NULL || pl__unhex(a, leaf_hex, &leaf, &leaf_len) != 0)
    return pl__verdict(v, PL_EINVAL, "field \"leaf\" is missing or not hex");
  if (note == NULL)
    return pl__verdict(v, PL_EINVAL, "field \"checkpoint\" is missing or not a string");
  if (pl__doc_proof(a, doc, &proof, &n, v) != 0)
    return v->code;
  f->index = index;
  f->tree_size = tree_size;
  if (pl_verify_note(vkey, "checkpoint", note, &size, root, v) != 0)
    return v->code;
  if (size != tree_size)
    return pl__verdict(v, PL_EVERIFY,
                       "tree_size %" PRIu64 " does not match the checkpoint's "
                       "size %" PRIu64,
                       tree_size, size);
  if (index >= size)
    return pl__verdict(v, PL_EVERIFY,
                       "index %" PRIu64 " is outside the tree of size %" PRIu64,
                       index, size);
  Partsledger__V1__Leaf *l =
      partsledger__v1__leaf__unpack(pl_arena_allocator(a), leaf_len, leaf);
  if (l == NULL)
    return pl__verdict(v, PL_EVERIFY, "the leaf bytes do not parse as a Leaf");
  if (l->index != index)
    return pl__verdict(v, PL_EVERIFY,
                       "the leaf says it is entry %" PRIu64 ", not %" PRIu64,
                       l->index, index);
  /* The checkpoint is verified and the leaf read: what is left of
   * pl_verify_inclusion is the path. */
  uint8_t leaf_hash[PL_HASH_BYTES];
  pl_merkle_leaf_hash(leaf, leaf_len, leaf_hash);
  int rc = pl_merkle_verify_inclusion(index, size, leaf_hash, proof, n, root);
  if (rc != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the proof does not lead from the leaf to the "
                       "checkpoint's root%s%s",
                       rc == PL_EVERIFY ? "" : ": ",
                       rc == PL_EVERIFY ? "" : pl_strerror(rc));
  /* Only now is the leaf known to be the log's: a bad signature from here on
   * is the log's doing, not the document's. */
  if (pl_verify_entry_signatures(l->signed_entry, v) != 0)
    return v->code;

  const Partsledger__V1__SignedEntry *se = l->signed_entry;
  uint64_t s;
  uint8_t r[PL_HASH_BYTES];
  if (pl_checkpoint_peek(note, f->origin, &s, r) != 0)
    return pl__verdict(v, PL_EVERIFY, "the checkpoint is not a well-formed checkpoint note");
  memcpy(f->root_hash, root, PL_HASH_BYTES);
  memcpy(f->leaf_hash, leaf_hash, PL_HASH_BYTES);
  f->signed_entry = se;
  char lh[2 * PL_HASH_BYTES + 1], rh[2 * PL_HASH_BYTES + 1],
      signer[2 * PL_PUBLIC_KEY_BYTES + 1], cos[48] = "";
  if (se->n_cosignatures > 0)
    snprintf(cos, sizeof(cos), " and %zu co-signer%s", se->n_cosignatures,
             se->n_cosignatures == 1 ? "" : "s");
  return pl__verdict(
      v, 0,
      "inclusion: entry %" PRIu64 " (leaf hash %s), signed by %s%s, is in the "
      "tree of size %" PRIu64 " of %s, root %s",
      index, pl_hex_encode(f->leaf_hash, PL_HASH_BYTES, lh),
      pl_hex_encode(se->signer.data, PL_PUBLIC_KEY_BYTES, signer), cos, size,
      f->origin, pl_hex_encode(root, PL_HASH_BYTES, rh));
}

static int pl__consistency(const char *vkey, const cJSON *doc,
                           const char *kept_old, pl_arena *a,
                           pl_proof_facts *f, pl_verdict *v) {
  uint64_t old_size, new_size, s_old, s_new;
  uint8_t r_old[PL_HASH_BYTES], r_new[PL_HASH_BYTES];
  const char *new_note = pl__doc_str(doc, "new_checkpoint");
  const char *doc_old = pl__doc_str(doc, "old_checkpoint");
  const char *old_note = kept_old != NULL ? kept_old : doc_old;
  pl_hash *proof;
  size_t n;
  if (pl__doc_u64(doc, "old_size", &old_size, v) != 0 ||
      pl__doc_u64(doc, "new_size", &new_size, v) != 0)
    return v->code;
  if (new_note == NULL)
    return pl__verdict(v, PL_EINVAL,
                       "field \"new_checkpoint\" is missing or not a string");
  if (doc_old == NULL &&
      cJSON_GetObjectItemCaseSensitive(doc, "old_checkpoint") != NULL)
    return pl__verdict(v, PL_EINVAL, "field \"old_checkpoint\" is not a string");
  if (pl__doc_proof(a, doc, &proof, &n, v) != 0)
    return v->code;
  f->old_size = old_size;
  f->new_size = new_size;
  if (old_size > new_size)
    return pl__verdict(v, PL_EVERIFY,
                       "old_size %" PRIu64 " is larger than new_size %" PRIu64
                       ": a tree can only grow",
                       old_size, new_size);
  if (old_note == NULL)
    return pl__verdict(v, PL_ENOTFOUND,
                       "the document carries no old_checkpoint: the old "
                       "checkpoint you kept must be given");
  if (kept_old != NULL) {
    char origin[PL_NOTE_NAME_MAX + 1];
    if (pl_checkpoint_peek(kept_old, origin, &s_old, r_old) != 0)
      return pl__verdict(v, PL_EINVAL,
                         "the old checkpoint you gave is not a checkpoint note");
  }
  if (pl_verify_note(vkey, "old checkpoint", old_note, &s_old, r_old, v) != 0 ||
      pl_verify_note(vkey, "new checkpoint", new_note, &s_new, r_new, v) != 0)
    return v->code;
  if (kept_old != NULL && doc_old != NULL) {
    /* Both must name the same tree; two signed roots for one size would be
     * proof that the log forked. */
    uint64_t s_doc;
    uint8_t r_doc[PL_HASH_BYTES];
    if (pl_verify_note(vkey, "document's old checkpoint", doc_old, &s_doc,
                       r_doc, v) != 0)
      return v->code;
    if (s_doc == s_old && memcmp(r_doc, r_old, PL_HASH_BYTES) != 0)
      return pl__verdict(v, PL_EVERIFY,
                         "the document's old checkpoint and yours are both "
                         "signed for size %" PRIu64
                         " but have different roots: the log has forked",
                         s_old);
    if (s_doc != s_old)
      return pl__verdict(v, PL_EVERIFY,
                         "the document's old checkpoint (size %" PRIu64
                         ") is not yours (size %" PRIu64 ")",
                         s_doc, s_old);
  }
  if (s_old != old_size)
    return pl__verdict(v, PL_EVERIFY,
                       "old_size %" PRIu64 " does not match the old "
                       "checkpoint's size %" PRIu64,
                       old_size, s_old);
  if (s_new != new_size)
    return pl__verdict(v, PL_EVERIFY,
                       "new_size %" PRIu64 " does not match the new "
                       "checkpoint's size %" PRIu64,
                       new_size, s_new);
  int rc = pl_verify_consistency(vkey, old_note, new_note, proof, n);
  if (rc != 0)
    return pl__verdict(v, rc == PL_ENOMEM ? PL_ENOMEM : PL_EVERIFY,
                       "the proof does not show the tree of size %" PRIu64
                       " to be a prefix of the tree of size %" PRIu64 "%s%s",
                       old_size, new_size, rc == PL_EVERIFY ? "" : ": ",
                       rc == PL_EVERIFY ? "" : pl_strerror(rc));
  uint64_t s;
  uint8_t r[PL_HASH_BYTES];
  if (pl_checkpoint_peek(new_note, f->origin, &s, r) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the new checkpoint is not a well-formed checkpoint note");
  memcpy(f->old_root_hash, r_old, PL_HASH_BYTES);
  memcpy(f->new_root_hash, r_new, PL_HASH_BYTES);
  char ro[2 * PL_HASH_BYTES + 1], rn[2 * PL_HASH_BYTES + 1];
  return pl__verdict(v, 0,
                     "consistency: the tree of size %" PRIu64 " (root %s) is a "
                     "prefix of the tree of size %" PRIu64 " (root %s)",
                     old_size, pl_hex_encode(r_old, PL_HASH_BYTES, ro), new_size,
                     pl_hex_encode(r_new, PL_HASH_BYTES, rn));
}

int pl_verify_proof_doc(const char *vkey, const cJSON *doc,
                        const char *kept_old, pl_arena *a, pl_proof_facts *f,
                        pl_verdict *v) {
  memset(f, 0, sizeof(*f));
  f->type = pl_proof_doc_type(doc);
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  if (vkey == NULL || pl_note_vkey_parse(vkey, name, sizeof(name), pk) != 0)
    return pl__verdict(v, PL_EINVAL,
                       "the verifier key is not one (name+hexid+base64)");
  switch (f->type) {
  case PL_PROOF_INCLUSION:
    if (kept_old != NULL)
      return pl__verdict(v, PL_EINVAL,
                         "an old checkpoint goes with a consistency proof, and "
                         "this is an inclusion proof");
    return pl__inclusion(vkey, doc, a, f, v);
  case PL_PROOF_CONSISTENCY:
    return pl__consistency(vkey, doc, kept_old, a, f, v);
  default: {
    const char *type = pl__doc_str(doc, "type");
    return pl__verdict(v, PL_EINVAL,
                       "unknown proof type \"%s\" (inclusion or consistency)",
                       type != NULL ? type : "");
  }
  }
}

/* ---- facts of a device's or a part's history ---- */

/* 0 when `want` is "" (the fact names nothing) or is one of the n names. */
static int pl__named(const char *want, const char *const *names, size_t n) {
  if (want == NULL || want[0] == '\0' || n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (names[i] != NULL && strcmp(names[i], want) == 0)
      return 0;
  return -1;
}

/* What the fact says against what entry `e` states: each field the fact
 * fills must be one the entry names, wherever the entry names that sort of
 * thing at all (a response names only its order, so its device is the
 * order's and cannot be checked here). 0 or a verdict. */
static int pl__fact_agrees(const Partsledger__V1__Fact *f,
                           const Partsledger__V1__Entry *e, pl_verdict *v) {
  const char *dev[1] = {NULL}, *comp[PL__FACT_NAMES] = {NULL},
             *part[PL__FACT_NAMES] = {NULL}, *batch[PL__FACT_NAMES] = {NULL},
             *site[1] = {NULL};
  size_t nd = 0, nc = 0, np = 0, nb = 0, ns = 0;
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED: {
    const Partsledger__V1__DeviceRegistered *b = e->device_registered;
    dev[nd++] = b->device_serial;
    /* A part's fact names its own part, component and batch: the same row. */
    for (size_t i = 0; i < b->n_parts; i++) {
      const Partsledger__V1__InstalledPart *p = b->parts[i];
      if (np == 0 && f->part_serial != NULL &&
          strcmp(f->part_serial, p->part_serial) == 0) {
        part[np++] = p->part_serial;
        comp[nc++] = p->component;
        batch[nb++] = p->batch_id;
      }
    }
    if (f->part_serial != NULL && f->part_serial[0] != '\0' && np == 0)
      return pl__verdict(
          v, PL_EVERIFY,
          "the fact names part %s, the registration lists no such "
          "part",
          f->part_serial);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED:
    dev[nd++] = e->warranty_extended->device_serial;
    comp[nc++] = e->warranty_extended->component;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED:
    dev[nd++] = e->repair_order_opened->device_serial;
    site[ns++] = e->repair_order_opened->site_id;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED: {
    const Partsledger__V1__PartReplaced *b = e->part_replaced;
    comp[nc++] = b->component;
    part[np++] = b->installed_serial;
    if (b->removed_serial[0] != '\0')
      part[np++] = b->removed_serial;
    /* The removed part's batch is not in the entry: a batch is checked only
     * on the installed part's fact. */
    if (f->part_serial != NULL &&
        strcmp(f->part_serial, b->installed_serial) == 0)
      batch[nb++] = b->installed_batch_id;
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED:
    dev[nd++] = e->claim_filed->device_serial;
    comp[nc++] = e->claim_filed->component;
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
    batch[nb++] = e->batch_registered->batch_id;
    break;
  default:
    break;
  }
  if (pl__named(f->device_serial, dev, nd) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says device %s, the entry says %s",
                       f->device_serial, nd ? dev[0] : "none");
  if (pl__named(f->part_serial, part, np) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact names part %s, the entry does not",
                       f->part_serial);
  if (pl__named(f->component, comp, nc) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says component %s, the entry says %s",
                       f->component, nc ? comp[0] : "none");
  if (pl__named(f->batch_id, batch, nb) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says batch %s, the entry says %s", f->batch_id,
                       nb ? batch[0] : "none");
  if (pl__named(f->site_id, site, ns) != 0)
    return pl__verdict(v, PL_EVERIFY,
                       "the fact says site %s, the entry says %s", f->site_id,
                       ns ? site[0] : "none");
  return 0;
}

int pl_verify_history_fact(const char *vkey, const char *note,
                           const Partsledger__V1__Fact *f, pl_arena *a,
                           pl_verdict *v) {
  Partsledger__V1__Leaf *l;
  Partsledger__V1__Entry *e;
  char origin[PL_NOTE_NAME_MAX + 1];
  uint64_t size;
  if (pl__fact_open(vkey, note, f, "history", a, v, &l, &e, origin, &size) != 0)
    return v->code;
  const Partsledger__V1__SignedEntry *se = l->signed_entry;
  const char *kind = pl_kind_name(e->body_case);
  if (pl__fact_agrees(f, e, v) != 0)
    return v->code;
  char signer[2 * PL_PUBLIC_KEY_BYTES + 1];
  return pl__verdict(
      v, 0,
      "entry %" PRIu64 " (%s) is in the tree of size %" PRIu64
      " of %s, signed by %s",
      f->index, kind, size, origin,
      pl_hex_encode(se->signer.data, PL_PUBLIC_KEY_BYTES, signer));
}
