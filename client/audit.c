/*
 * audit.c - offline verification of audit bundles, and the C2SP tlog-proof
 * format; see audit.h.
 *
 * pl_audit_verify reads the bundle once (strict JSON, every field typed),
 * then runs the checks of PL_AUDIT_CHECK_LIST in order, each over all the
 * entries, each ending in one verdict. A check never stops at its first
 * failure: it counts them and names the first, so that the reason a reader
 * sees is the earliest entry at fault. The checks of what entries say
 * (signers, references, quorum, warranty) read only entries that decoded
 * and passed the stateless rules, so a malformed leaf fails `leaves` and is
 * skipped by them instead of misleading them.
 *
 * The semantic checks mirror the server's rules: who may sign a kind
 * (kinds.h), the references each kind makes (storage/state/audit.c,
 * pl__refs), the quorum of a ruling (storage/state/dispute.c) and the
 * warranty judgment (rules.h) over facts gathered as storage/state/
 * warranty.c gathers them, but from the bundled entries alone.
 *
 * May depend on: the storage/ headers, verify.h, cJSON. No network, no LMDB.
 */
#include "audit.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entry.h"
#include "error.h"
#include "keys.h"
#include "kinds.h"
#include "note.h"
#include "partsledger/v1/warranty.pb-c.h"

/* Integers in JSON must survive a trip through a double. */
#define PL__JSON_MAX_INT 9007199254740992.0 /* 2^53 */
#define PL__B64_HASH 44                    /* base64 of 32 bytes */

/* ---- the C2SP tlog-proof format ---- */

int pl_tlog_proof_format(uint64_t index, const pl_hash *hashes, size_t n,
                         const char *checkpoint, pl_arena *a, char **out) {
  *out = NULL;
  if (n > PL_MERKLE_MAX_PROOF)
    return PL_EINVAL;
  size_t cap = sizeof(PL_TLOG_PROOF_HEAD) + 32 + n * (PL__B64_HASH + 1) + 1 +
               strlen(checkpoint) + 1;
  char *s = pl_arena_alloc(a, cap);
  if (s == NULL)
    return PL_ENOMEM;
  int w = snprintf(s, cap, "%s\nindex %" PRIu64 "\n", PL_TLOG_PROOF_HEAD, index);
  for (size_t i = 0; i < n; i++) {
    if (pl_base64_encode(hashes[i], PL_HASH_BYTES, s + w, cap - (size_t)w) < 0)
      return PL_EINVAL;
    w += PL__B64_HASH;
    s[w++] = '\n';
  }
  snprintf(s + w, cap - (size_t)w, "\n%s", checkpoint);
  *out = s;
  return 0;
}

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

/* Strict decimal: digits only, no sign, no leading zero but for "0", no
 * overflow. 0 or -1. */
static int pl__decimal(const char *s, uint64_t *out) {
  uint64_t v = 0;
  if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
    return -1;
  for (const char *p = s; *p != '\0'; p++) {
    if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *out = v;
  return 0;
}

/* A base64 SHA-256 hash of exactly PL__B64_HASH characters. 0 or -1. */
static int pl__b64_hash(const char *s, uint8_t out[PL_HASH_BYTES]) {
  size_t n;
  if (strlen(s) != PL__B64_HASH ||
      pl_base64_decode(s, PL__B64_HASH, out, PL_HASH_BYTES, &n) != 0 ||
      n != PL_HASH_BYTES)
    return -1;
  return 0;
}

int pl_tlog_proof_parse(const char *text, pl_arena *a, pl_tlog_proof *out,
                        char *why) {
  char line[128];
  memset(out, 0, sizeof(*out));
  const char *p = pl__line(text, line, sizeof(line));
  if (p == NULL || strcmp(line, PL_TLOG_PROOF_HEAD) != 0)
    return pl_fail(why, PL_EINVAL, "the first line is not %s", PL_TLOG_PROOF_HEAD);
  const char *q = pl__line(p, line, sizeof(line));
  if (q != NULL && strncmp(line, "extra ", 6) == 0)
    return pl_fail(why, PL_EINVAL, "it has an extra line, which partsledger's "
                                   "proofs never carry");
  if (q == NULL || strncmp(line, "index ", 6) != 0 ||
      pl__decimal(line + 6, &out->index) != 0)
    return pl_fail(why, PL_EINVAL, "the second line is not \"index N\" (decimal, no "
                                   "leading zeros)");
  p = q;
  out->hashes = pl_arena_alloc(a, sizeof(pl_hash) * PL_MERKLE_MAX_PROOF);
  if (out->hashes == NULL)
    return PL_ENOMEM;
  for (;;) {
    if ((q = pl__line(p, line, sizeof(line))) == NULL)
      return pl_fail(why, PL_EINVAL, "the proof is not ended by an empty line");
    p = q;
    if (line[0] == '\0')
      break;
    if (out->n == PL_MERKLE_MAX_PROOF)
      return pl_fail(why, PL_EINVAL, "over %d hashes", PL_MERKLE_MAX_PROOF);
    if (pl__b64_hash(line, out->hashes[out->n]) != 0)
      return pl_fail(why, PL_EINVAL, "hash line %zu is not a base64 SHA-256 hash",
                     out->n + 1);
    out->n++;
  }
  out->checkpoint = p;
  return 0;
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

static void pl__set(pl_audit_report *r, pl_audit_check_id id, pl_audit_result res,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void pl__set(pl_audit_report *r, pl_audit_check_id id, pl_audit_result res,
                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->checks[id].reason, sizeof(r->checks[id].reason), fmt, ap);
  va_end(ap);
  r->checks[id].result = res;
}

/* The failures of one check: how many, and the first in words. */
typedef struct {
  size_t n;
  char first[PL_VERDICT_MAX];
} pl__fails;

static void pl__fail(pl__fails *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pl__fail(pl__fails *f, const char *fmt, ...) {
  if (f->n++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->first, sizeof(f->first), fmt, ap);
    va_end(ap);
  }
}

/* Ends a check: FAILED with the first failure (and how many more), or
 * holds with `ok`. */
static void pl__end(pl_audit_report *r, pl_audit_check_id id, const pl__fails *f,
                    const char *ok) {
  if (f->n == 0)
    pl__set(r, id, PL_AUDIT_HOLDS, "%s", ok);
  else if (f->n == 1)
    pl__set(r, id, PL_AUDIT_FAILS, "%s", f->first);
  else
    pl__set(r, id, PL_AUDIT_FAILS, "%s; and %zu more", f->first, f->n - 1);
}

/* ---- the context of one verification ---- */

typedef struct {
  pl_audit_report *r;
  pl_arena *a;
  const char *vkey;
  uint8_t log_key[PL_PUBLIC_KEY_BYTES];
  /* The checkpoint, as far as it parsed (have_cp), and whether it verified. */
  int have_cp, cp_ok;
  uint64_t cp_size;
  uint8_t root[PL_HASH_BYTES];
  /* Per entry, from the document: its proof and tlog-proof texts. */
  const char ***proof_b64;  /* each a NULL-terminated list */
  size_t *n_proof;
  const char **tlog;
  const char **leaf_b64;
  /* The entries in log order (by index), for the checks that need it. */
  pl_audit_entry **order;
} pl__ctx;

static const char *pl__time(pl_arena *a, int64_t ms) {
  time_t secs = (time_t)(ms / 1000);
  int frac = (int)(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  struct tm tm;
  char buf[64];
  if (gmtime_r(&secs, &tm) == NULL ||
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return "?";
  const char *s = pl_arena_printf(a, "%s.%03dZ", buf, frac);
  return s != NULL ? s : "?";
}

/* A key's first 8 bytes in hex, for messages. */
static const char *pl__tag(pl_arena *a, const uint8_t *pk) {
  char hex[17];
  const char *s = pl_arena_printf(a, "%s…", pl_hex_encode(pk, 8, hex));
  return s != NULL ? s : "?";
}

/* An enum value's name without its type's prefix: DECISION_REASON_IN_TERM
 * is "IN_TERM". */
static const char *pl__enum(const ProtobufCEnumDescriptor *d, int value,
                            size_t prefix) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  return v != NULL && strlen(v->name) > prefix ? v->name + prefix : "UNKNOWN";
}

#define PL__REASON(v)                                                          \
  pl__enum(&partsledger__v1__decision_reason__descriptor, (v),                 \
           sizeof("DECISION_REASON_") - 1)
#define PL__DECISION(v)                                                        \
  pl__enum(&partsledger__v1__claim_decision__descriptor, (v),                  \
           sizeof("CLAIM_DECISION_") - 1)
#define PL__RULING(v)                                                          \
  pl__enum(&partsledger__v1__ruling__descriptor, (v), sizeof("RULING_") - 1)

/* The bundle's description of an entry, for messages: "entry 17
 * (part_replaced)". */
static const char *pl__what(pl_arena *a, const pl_audit_entry *e) {
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
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble >= PL__JSON_MAX_INT ||
      n->valuedouble != (double)(uint64_t)n->valuedouble)
    return -1;
  *out = (uint64_t)n->valuedouble;
  return 0;
}

/* Reads the document into the report and the context. 0, PL_EINVAL with
 * the DOCUMENT verdict set, or PL_ENOMEM. */
static int pl__document(pl__ctx *x, const char *text, size_t len) {
  pl_audit_report *r = x->r;
  pl_verdict v;
  if (len > PL_AUDIT_BUNDLE_MAX) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
            "the bundle is %zu bytes, over the %u this verifier reads", len,
            PL_AUDIT_BUNDLE_MAX);
    return PL_EINVAL;
  }
  if (memchr(text, '\0', len) != NULL) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
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
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS, "%s", v.message);
    return v.code == PL_ENOMEM ? PL_ENOMEM : PL_EINVAL;
  }
  int rc = PL_EINVAL;
  const char *media = pl__str(doc, "media_type");
  const char *top[] = {"claim_id", "origin", "verifier_key", "checkpoint", "manifest"};
  const char *val[5];
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");
  if (media == NULL || strcmp(media, PL_AUDIT_MEDIA_TYPE) != 0) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
            "media_type is %s%s%s, not %s", media ? "\"" : "",
            media ? media : "missing", media ? "\"" : "", PL_AUDIT_MEDIA_TYPE);
    goto done;
  }
  for (size_t i = 0; i < 5; i++)
    if ((val[i] = pl__str(doc, top[i])) == NULL) {
      pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
              "field \"%s\" is missing or not a string", top[i]);
      goto done;
    }
  if (pl__u64(doc, "tree_size", &r->tree_size) != 0) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
            "field \"tree_size\" is missing or not a non-negative integer");
    goto done;
  }
  if (!cJSON_IsArray(entries)) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
            "field \"entries\" is missing or not an array");
    goto done;
  }
  size_t n = (size_t)cJSON_GetArraySize(entries);
  if (n > PL_AUDIT_ENTRIES_MAX) {
    pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
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
  if (r->entries == NULL || x->order == NULL || x->proof_b64 == NULL ||
      x->n_proof == NULL || x->tlog == NULL || x->leaf_b64 == NULL)
    goto done;
  memset(r->entries, 0, (n ? n : 1) * sizeof(*r->entries));
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
      pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS, "entries[%zu] %s", i, bad);
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
        pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_FAILS,
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
  pl__set(r, PL_AUDIT_DOCUMENT, PL_AUDIT_HOLDS,
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

static void pl__checkpoint(pl__ctx *x) {
  pl_audit_report *r = x->r;
  char origin[PL_NOTE_NAME_MAX + 1];
  x->have_cp = pl_checkpoint_peek(r->checkpoint, origin, &x->cp_size, x->root) == 0;
  if (strcmp(r->verifier_key, x->vkey) != 0) {
    pl__set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
            "the bundle names the verifier key %s, not the key given (%s)",
            r->verifier_key, x->vkey);
    return;
  }
  pl_verdict v;
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  if (pl_verify_note(x->vkey, "checkpoint", r->checkpoint, &size, root, &v) != 0) {
    pl__set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS, "%s", v.message);
    return;
  }
  if (strcmp(origin, r->origin) != 0) {
    pl__set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
            "the checkpoint is of origin %s, the bundle says %s", origin, r->origin);
    return;
  }
  if (size != r->tree_size) {
    pl__set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_FAILS,
            "the checkpoint is of tree size %" PRIu64 ", the bundle says %" PRIu64, size,
            r->tree_size);
    return;
  }
  x->cp_ok = 1;
  char b64[PL__B64_HASH + 1];
  pl_base64_encode(root, PL_HASH_BYTES, b64, sizeof(b64));
  pl__set(r, PL_AUDIT_CHECKPOINT, PL_AUDIT_HOLDS,
          "signed by the verifier key of %s: tree size %" PRIu64 ", root %s", origin,
          size, b64);
}

static void pl__manifest(pl__ctx *x) {
  pl_audit_report *r = x->r;
  size_t body_len;
  int rc = pl_note_verify(x->vkey, r->manifest, strlen(r->manifest), &body_len);
  if (rc != 0) {
    pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS, "the manifest %s",
            rc == PL_EVERIFY ? "is not signed by the verifier key"
                             : "is not a signed note");
    return;
  }
  char *body = pl_arena_dup(x->a, r->manifest, body_len + 1);
  if (body == NULL) {
    pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  body[body_len] = '\0';
  char line[PL_NOTE_NAME_MAX + 72];
  const char *p = body;
  const char *want[3] = {PL_AUDIT_MANIFEST_HEAD, r->origin, r->claim_id};
  const char *which[3] = {"header", "origin", "claim id"};
  for (int i = 0; i < 3; i++) {
    if ((p = pl__line(p, line, sizeof(line))) == NULL || strcmp(line, want[i]) != 0) {
      pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
              "the manifest's %s (line %d) is not %s", which[i], i + 1, want[i]);
      return;
    }
  }
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  if ((p = pl__line(p, line, sizeof(line))) == NULL || pl__decimal(line, &size) != 0 ||
      size != r->tree_size) {
    pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
            "the manifest's tree size (line 4) is not %" PRIu64, r->tree_size);
    return;
  }
  if ((p = pl__line(p, line, sizeof(line))) == NULL || pl__b64_hash(line, root) != 0 ||
      !x->have_cp || memcmp(root, x->root, PL_HASH_BYTES) != 0) {
    pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
            "the manifest's root (line 5) is not the checkpoint's");
    return;
  }
  /* The indices, against the bundle's entries in their order: both must
   * be strictly increasing, and the same list. */
  size_t i = 0;
  uint64_t last = 0;
  for (size_t k = 0; *p != '\0'; k++) {
    uint64_t index;
    if ((p = pl__line(p, line, sizeof(line))) == NULL || pl__decimal(line, &index) != 0 ||
        (k > 0 && index <= last)) {
      pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
              "the manifest's line %zu is not an index above the one before", k + 6);
      return;
    }
    last = index;
    if (i < r->n_entries && i > 0 && r->entries[i].index <= r->entries[i - 1].index) {
      pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
              "the bundle's entries are not in log order: entry %" PRIu64
              " comes after entry %" PRIu64,
              r->entries[i].index, r->entries[i - 1].index);
      return;
    }
    if (i == r->n_entries || r->entries[i].index > index) {
      pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
              "the manifest names entry %" PRIu64 ", which the bundle does not hold",
              index);
      return;
    }
    if (r->entries[i].index < index) {
      pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
              "the bundle holds entry %" PRIu64 ", which the manifest does not name",
              r->entries[i].index);
      return;
    }
    i++;
  }
  if (i < r->n_entries) {
    pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_FAILS,
            "the bundle holds entry %" PRIu64 ", which the manifest does not name",
            r->entries[i].index);
    return;
  }
  pl__set(r, PL_AUDIT_MANIFEST, PL_AUDIT_HOLDS,
          "signed by the log's key for claim %s at tree size %" PRIu64
          " and the checkpoint's root; names exactly the %zu bundled entries",
          r->claim_id, r->tree_size, r->n_entries);
}

/* ---- proofs and leaves ---- */

static void pl__proofs(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  if (!x->have_cp) {
    pl__set(r, PL_AUDIT_PROOFS, PL_AUDIT_SKIPPED,
            "the checkpoint does not parse, so there is no root to prove against");
    return;
  }
  pl_hash *proof = pl_arena_alloc(x->a, sizeof(pl_hash) * PL_MERKLE_MAX_PROOF);
  if (proof == NULL) {
    pl__set(r, PL_AUDIT_PROOFS, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    const char *what = pl__what(x->a, e);
    size_t len = strlen(x->leaf_b64[i]), n;
    uint8_t *leaf = pl_arena_alloc(x->a, len / 4 * 3 + 3);
    if (leaf == NULL || pl_base64_decode(x->leaf_b64[i], len, leaf, len / 4 * 3 + 3, &n) != 0) {
      pl__fail(&f, "%s: its leaf is not base64", what);
      continue;
    }
    e->leaf = leaf;
    e->leaf_len = n;
    uint8_t lh[PL_HASH_BYTES];
    pl_merkle_leaf_hash(leaf, n, lh);
    if (e->index >= x->cp_size) {
      pl__fail(&f, "%s is past the checkpoint's tree size %" PRIu64, what, x->cp_size);
      continue;
    }
    /* The proof in the JSON. */
    int ok = x->n_proof[i] <= PL_MERKLE_MAX_PROOF;
    for (size_t k = 0; ok && k < x->n_proof[i]; k++)
      ok = pl__b64_hash(x->proof_b64[i][k], proof[k]) == 0;
    if (!ok) {
      pl__fail(&f, "%s: its inclusion_proof is not a list of base64 hashes", what);
      continue;
    }
    if (pl_merkle_verify_inclusion(e->index, x->cp_size, lh, proof, x->n_proof[i],
                                   x->root) != 0) {
      pl__fail(&f, "%s: its inclusion proof does not lead from the leaf to the "
                   "checkpoint's root", what);
      continue;
    }
    /* The same proof as tlog-proof text, ending with the checkpoint. */
    pl_tlog_proof t;
    char why[PL_MSG_MAX];
    if (pl_tlog_proof_parse(x->tlog[i], x->a, &t, why) != 0) {
      pl__fail(&f, "%s: its tlog_proof is not a C2SP tlog-proof: %s", what, why);
      continue;
    }
    if (t.index != e->index) {
      pl__fail(&f, "%s: its tlog_proof is for index %" PRIu64, what, t.index);
      continue;
    }
    if (strcmp(t.checkpoint, r->checkpoint) != 0) {
      pl__fail(&f, "%s: its tlog_proof does not end with the bundle's checkpoint", what);
      continue;
    }
    if (pl_merkle_verify_inclusion(e->index, x->cp_size, lh, t.hashes, t.n, x->root) != 0) {
      pl__fail(&f, "%s: its tlog_proof does not lead from the leaf to the checkpoint's "
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
  pl__end(r, PL_AUDIT_PROOFS, &f, ok);
}

static void pl__leaves(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  ProtobufCAllocator *alloc = pl_arena_allocator(x->a);
  size_t undecoded = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    const char *what = pl__what(x->a, e);
    char msg[PL_MSG_MAX];
    if (e->leaf == NULL) {
      undecoded++;
      continue; /* not base64: the proofs said so */
    }
    Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(alloc, e->leaf_len, e->leaf);
    if (l == NULL || l->signed_entry == NULL) {
      pl__fail(&f, "%s: the leaf does not decode as a Leaf with a signed entry", what);
      continue;
    }
    e->l = l;
    e->se = l->signed_entry;
    e->at_ms = l->integrated_at_ms;
    if (l->index != e->index) {
      pl__fail(&f, "%s: the leaf says it is entry %" PRIu64, what, l->index);
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
      pl__fail(&f, "%s: %s", what, msg);
      continue;
    }
    if (ent == NULL) {
      pl__fail(&f, "%s: the entry does not decode", what);
      continue;
    }
    if (strcmp(pl_kind_name(ent->body_case), e->kind) != 0) {
      pl__fail(&f, "%s: the entry is a %s", what, pl_kind_name(ent->body_case));
      continue;
    }
    e->entry = ent;
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "every leaf decodes, names its own index, and holds a well-formed entry of "
           "the kind the bundle says");
  if (undecoded > 0 && f.n == 0)
    pl__set(r, PL_AUDIT_LEAVES, PL_AUDIT_FAILS,
            "%zu leaves are not base64 and could not be read", undecoded);
  else
    pl__end(r, PL_AUDIT_LEAVES, &f, ok);
}

static void pl__signatures(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  size_t authors = 0, cos = 0, unread = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    char msg[PL_MSG_MAX];
    if (e->se == NULL) {
      unread++;
      continue;
    }
    if (pl_signed_entry_verify(e->se, msg) != 0) {
      pl__fail(&f, "%s: %s", pl__what(x->a, e), msg);
      continue;
    }
    authors++;
    cos += e->se->n_cosignatures;
  }
  if (f.n == 0 && unread > 0) {
    pl__set(r, PL_AUDIT_SIGNATURES, PL_AUDIT_SKIPPED,
            "%zu leaves could not be read, so neither could their signatures", unread);
    return;
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "%zu author signatures and %zu co-signatures verify over their entries' "
           "bytes",
           authors, cos);
  pl__end(r, PL_AUDIT_SIGNATURES, &f, ok);
}

/* ---- what entries say: lookups ---- */

/* The id an entry defines, for the kinds that define one. */
static const char *pl__defined_id(const Partsledger__V1__Entry *e) {
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED:
    return e->site_registered->site_id;
  case PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED:
    return e->supplier_registered->supplier_id;
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
    return e->batch_registered->batch_id;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED:
    return e->part_reserved->reservation_id;
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED:
    return e->warranty_policy_published->policy_id;
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED:
    return e->device_registered->device_serial;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED:
    return e->repair_order_opened->order_id;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED:
    return e->claim_filed->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED:
    return e->panel_constituted->panel_id;
  /* What acts on one: the reservation or claim it is about. */
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    return e->reservation_fulfilled->reservation_id;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED:
    return e->claim_decided->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED:
    return e->dispute_opened->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED:
    return e->arbitration_ruled->claim_id;
  default:
    return NULL;
  }
}

/* The earliest bundled entry of `body` whose id (pl__defined_id) is `id`,
 * logged before index `before`; NULL when none. `count`, when not NULL,
 * gets how many there are before `before`. */
static const pl_audit_entry *pl__find(const pl__ctx *x, int body, const char *id,
                                      uint64_t before, size_t *count) {
  const pl_audit_entry *best = NULL;
  size_t n = 0;
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = &x->r->entries[i];
    if (e->entry == NULL || (int)e->entry->body_case != body || e->index >= before)
      continue;
    const char *d = pl__defined_id(e->entry);
    if (d == NULL || strcmp(d, id) != 0)
      continue;
    n++;
    if (best == NULL || e->index < best->index)
      best = e;
  }
  if (count != NULL)
    *count = n;
  return best;
}

/* The bundled actor_enrolled (or actor_revoked) of `key` before `before`. */
static const pl_audit_entry *pl__actor(const pl__ctx *x, int body, const uint8_t *key,
                                       uint64_t before) {
  const pl_audit_entry *best = NULL;
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = &x->r->entries[i];
    if (e->entry == NULL || (int)e->entry->body_case != body || e->index >= before)
      continue;
    const ProtobufCBinaryData *pk =
        body == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED
            ? &e->entry->actor_enrolled->public_key
            : &e->entry->actor_revoked->public_key;
    if (pk->len == PL_PUBLIC_KEY_BYTES && memcmp(pk->data, key, PL_PUBLIC_KEY_BYTES) == 0 &&
        (best == NULL || e->index < best->index))
      best = e;
  }
  return best;
}

#define PL__BODY(CASE) PARTSLEDGER__V1__ENTRY__BODY_##CASE

/* ---- signers ---- */

/* The site an entry acts at, for the kinds whose signer must be bound to
 * it (the server's pl_actor_require_site); NULL for other kinds, or when
 * what names the site is not bundled (the references check says so). */
static const char *pl__site_of(const pl__ctx *x, const Partsledger__V1__Entry *e) {
  const char *order = NULL;
  const pl_audit_entry *d;
  switch (e->body_case) {
  case PL__BODY(STOCK_RECEIVED):
    return e->stock_received->site_id;
  case PL__BODY(STOCK_TRANSFERRED):
    return e->stock_transferred->from_site_id;
  case PL__BODY(STOCK_ADJUSTED):
    return e->stock_adjusted->site_id;
  case PL__BODY(PART_RESERVED):
    return e->part_reserved->site_id;
  case PL__BODY(RESERVATION_RELEASED):
  case PL__BODY(RESERVATION_FULFILLED):
    d = pl__find(x, PL__BODY(PART_RESERVED),
                 e->body_case == PL__BODY(RESERVATION_RELEASED)
                     ? e->reservation_released->reservation_id
                     : e->reservation_fulfilled->reservation_id,
                 UINT64_MAX, NULL);
    return d != NULL ? d->entry->part_reserved->site_id : NULL;
  case PL__BODY(REPAIR_ORDER_OPENED):
    return e->repair_order_opened->site_id;
  case PL__BODY(REPAIR_ORDER_RESPONDED):
    order = e->repair_order_responded->order_id;
    break;
  case PL__BODY(PART_REPLACED):
    order = e->part_replaced->order_id;
    break;
  case PL__BODY(REPAIR_ORDER_CLOSED):
    order = e->repair_order_closed->order_id;
    break;
  case PL__BODY(CLAIM_FILED):
    order = e->claim_filed->order_id;
    break;
  case PL__BODY(DISPUTE_OPENED):
    d = pl__find(x, PL__BODY(CLAIM_FILED), e->dispute_opened->claim_id, UINT64_MAX, NULL);
    if (d == NULL)
      return NULL;
    order = d->entry->claim_filed->order_id;
    break;
  default:
    return NULL;
  }
  d = pl__find(x, PL__BODY(REPAIR_ORDER_OPENED), order, UINT64_MAX, NULL);
  return d != NULL ? d->entry->repair_order_opened->site_id : NULL;
}

static int pl__bound(const Partsledger__V1__ActorEnrolled *ae, const char *site) {
  for (size_t i = 0; i < ae->n_site_ids; i++)
    if (strcmp(ae->site_ids[i], site) == 0)
      return 1;
  return 0;
}

static void pl__signers(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  int genesis = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL)
      continue;
    const char *what = pl__what(x->a, e);
    const uint8_t *signer = e->se->signer.data;
    const pl_kind_spec *spec = pl_kind_spec_of(e->entry->body_case);
    if (memcmp(signer, x->log_key, PL_PUBLIC_KEY_BYTES) == 0 && e->index == 0) {
      /* The genesis leaf: the log key enrolls the first admin. */
      e->by_log_key = 1;
      e->author_name = "the log key";
      if (e->entry->body_case != PL__BODY(ACTOR_ENROLLED) ||
          e->entry->actor_enrolled->role != PARTSLEDGER__V1__ROLE__ROLE_ADMIN)
        pl__fail(&f, "%s: the log key signs only the genesis leaf, which enrolls an "
                     "admin", what);
      else
        genesis = 1;
      continue;
    }
    const pl_audit_entry *en = pl__actor(x, PL__BODY(ACTOR_ENROLLED), signer, e->index);
    if (en == NULL) {
      pl__fail(&f, "%s is signed by %s, which no bundled entry enrolled before it%s",
               what, pl__tag(x->a, signer),
               memcmp(signer, x->log_key, PL_PUBLIC_KEY_BYTES) == 0
                   ? " (the log key signs the genesis leaf only)"
                   : "");
      continue;
    }
    const Partsledger__V1__ActorEnrolled *ae = en->entry->actor_enrolled;
    e->author_role = ae->role;
    e->author_name = ae->name;
    if (ae->role <= 0 || ae->role >= 32 || !(spec->roles & (1u << ae->role))) {
      pl__fail(&f, "%s is signed by %s, enrolled at index %" PRIu64
                   " as %s, a role that may not write %s",
               what, pl__tag(x->a, signer), en->index, pl_role_name(ae->role), e->kind);
      continue;
    }
    const pl_audit_entry *rv = pl__actor(x, PL__BODY(ACTOR_REVOKED), signer, e->index);
    if (rv != NULL) {
      pl__fail(&f, "%s is signed by %s, revoked at index %" PRIu64 " before it", what,
               pl__tag(x->a, signer), rv->index);
      continue;
    }
    /* Who works for sites signs only at the sites it is bound to. */
    const char *site = pl__site_of(x, e->entry);
    if (site != NULL && (PL_SITE_ROLES & (1u << ae->role)) && !pl__bound(ae, site)) {
      pl__fail(&f, "%s is signed by %s (%s), who is not bound to site %s", what,
               pl__tag(x->a, signer), ae->name, site);
      continue;
    }
    /* A ruling's co-signers speak for the panel: they must be enrolled
     * arbiters too (the quorum check counts them). Other kinds' co-signers
     * the log does not require to be enrolled. */
    if (e->entry->body_case != PL__BODY(ARBITRATION_RULED))
      continue;
    for (size_t k = 0; k < e->se->n_cosignatures; k++) {
      const uint8_t *co = e->se->cosignatures[k]->signer.data;
      const pl_audit_entry *cen = pl__actor(x, PL__BODY(ACTOR_ENROLLED), co, e->index);
      if (cen == NULL)
        pl__fail(&f, "%s is co-signed by %s, which no bundled entry enrolled before it",
                 what, pl__tag(x->a, co));
      else if (!(spec->roles & (1u << cen->entry->actor_enrolled->role)))
        pl__fail(&f, "%s is co-signed by %s, enrolled at index %" PRIu64 " as %s",
                 what, pl__tag(x->a, co), cen->index,
                 pl_role_name(cen->entry->actor_enrolled->role));
    }
  }
  int have_zero = 0;
  for (size_t i = 0; i < r->n_entries; i++)
    have_zero |= r->entries[i].index == 0;
  if (!genesis && f.n == 0)
    pl__fail(&f, have_zero ? "leaf 0 is not the genesis leaf signed by the log key"
                           : "the genesis leaf (index 0) is not in the bundle");
  pl__end(r, PL_AUDIT_SIGNERS, &f,
          "every author was enrolled by a bundled entry before it, with a role its "
          "kind allows (and bound to the site it acts at), and not revoked before it; "
          "every chain of enrollments ends at the genesis leaf, which the log key signs");
}

/* ---- references ---- */

typedef struct {
  int body;         /* the defining kind */
  const char *id;
  int optional;     /* may have no defining entry at all (a device) */
  const char *name; /* "batch" */
} pl__ref;

/* The ids an entry refers to: storage/state/audit.c's pl__refs, plus the
 * claim a decision, dispute or ruling is about. Returns how many (at most
 * `cap`, which fits every kind but a device's parts). */
static size_t pl__refs(const Partsledger__V1__Entry *e, pl__ref *v, size_t cap) {
  size_t n = 0;
#define PL__REF(CASE, idv, opt, nm)                                            \
  do {                                                                         \
    if (n < cap)                                                               \
      v[n++] = (pl__ref){PL__BODY(CASE), (idv), (opt), (nm)};                  \
  } while (0)
  switch (e->body_case) {
  case PL__BODY(BATCH_REGISTERED):
    PL__REF(SUPPLIER_REGISTERED, e->batch_registered->supplier_id, 0, "supplier");
    break;
  case PL__BODY(PART_RESERVED):
    PL__REF(SITE_REGISTERED, e->part_reserved->site_id, 0, "site");
    if (e->part_reserved->batch_id[0] != '\0')
      PL__REF(BATCH_REGISTERED, e->part_reserved->batch_id, 0, "batch");
    if (e->part_reserved->repair_order_id[0] != '\0')
      PL__REF(REPAIR_ORDER_OPENED, e->part_reserved->repair_order_id, 0, "repair order");
    break;
  case PL__BODY(RESERVATION_RELEASED):
    PL__REF(PART_RESERVED, e->reservation_released->reservation_id, 0, "reservation");
    break;
  case PL__BODY(RESERVATION_FULFILLED):
    PL__REF(PART_RESERVED, e->reservation_fulfilled->reservation_id, 0, "reservation");
    PL__REF(BATCH_REGISTERED, e->reservation_fulfilled->batch_id, 0, "batch");
    break;
  case PL__BODY(DEVICE_REGISTERED):
    PL__REF(WARRANTY_POLICY_PUBLISHED, e->device_registered->policy_id, 0, "policy");
    for (size_t i = 0; i < e->device_registered->n_parts; i++)
      PL__REF(BATCH_REGISTERED, e->device_registered->parts[i]->batch_id, 0, "batch");
    break;
  case PL__BODY(WARRANTY_EXTENDED):
    /* An extension needs a registered device (the server's rule). */
    PL__REF(DEVICE_REGISTERED, e->warranty_extended->device_serial, 0, "device");
    break;
  case PL__BODY(REPAIR_ORDER_OPENED):
    PL__REF(SITE_REGISTERED, e->repair_order_opened->site_id, 0, "site");
    PL__REF(DEVICE_REGISTERED, e->repair_order_opened->device_serial, 1, "device");
    break;
  case PL__BODY(REPAIR_ORDER_RESPONDED):
    PL__REF(REPAIR_ORDER_OPENED, e->repair_order_responded->order_id, 0, "repair order");
    break;
  case PL__BODY(PART_REPLACED):
    PL__REF(REPAIR_ORDER_OPENED, e->part_replaced->order_id, 0, "repair order");
    PL__REF(BATCH_REGISTERED, e->part_replaced->installed_batch_id, 0, "batch");
    if (e->part_replaced->reservation_id[0] != '\0') {
      PL__REF(PART_RESERVED, e->part_replaced->reservation_id, 0, "reservation");
      /* It consumes a fulfilled reservation, and the fulfilment goes with it. */
      PL__REF(RESERVATION_FULFILLED, e->part_replaced->reservation_id, 0,
              "fulfilment of reservation");
    }
    break;
  case PL__BODY(REPAIR_ORDER_CLOSED):
    PL__REF(REPAIR_ORDER_OPENED, e->repair_order_closed->order_id, 0, "repair order");
    break;
  case PL__BODY(CLAIM_FILED):
    PL__REF(REPAIR_ORDER_OPENED, e->claim_filed->order_id, 0, "repair order");
    PL__REF(DEVICE_REGISTERED, e->claim_filed->device_serial, 1, "device");
    break;
  case PL__BODY(CLAIM_DECIDED):
    PL__REF(CLAIM_FILED, e->claim_decided->claim_id, 0, "claim");
    break;
  case PL__BODY(DISPUTE_OPENED):
    PL__REF(CLAIM_FILED, e->dispute_opened->claim_id, 0, "claim");
    PL__REF(PANEL_CONSTITUTED, e->dispute_opened->panel_id, 0, "panel");
    break;
  case PL__BODY(ARBITRATION_RULED):
    PL__REF(CLAIM_FILED, e->arbitration_ruled->claim_id, 0, "claim");
    PL__REF(DISPUTE_OPENED, e->arbitration_ruled->claim_id, 0, "dispute of claim");
    break;
  default:
    break;
  }
#undef PL__REF
  return n;
}

static void pl__references(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  size_t refs = 0, unregistered = 0;
  pl__ref v[PL_COSIGNATURES_MAX + 80];
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL)
      continue;
    const char *what = pl__what(x->a, e);
    if (e->entry->body_case == PL__BODY(ACTOR_REVOKED)) {
      refs++;
      if (pl__actor(x, PL__BODY(ACTOR_ENROLLED), e->entry->actor_revoked->public_key.data,
                    e->index) == NULL)
        pl__fail(&f, "%s revokes %s, whose enrollment is not bundled before it", what,
                 pl__tag(x->a, e->entry->actor_revoked->public_key.data));
      continue;
    }
    size_t n = pl__refs(e->entry, v, sizeof(v) / sizeof(v[0]));
    for (size_t k = 0; k < n; k++) {
      refs++;
      const pl_audit_entry *d = pl__find(x, v[k].body, v[k].id, UINT64_MAX, NULL);
      if (d == NULL && v[k].optional) {
        unregistered++;
        continue;
      }
      if (d == NULL)
        pl__fail(&f, "%s names %s %s, which no bundled entry defines", what, v[k].name,
                 v[k].id);
      else if (d->index >= e->index)
        pl__fail(&f, "%s names %s %s, defined only later, at index %" PRIu64, what,
                 v[k].name, v[k].id, d->index);
    }
  }
  /* The claim itself, and one decision, dispute and ruling per claim. */
  if (pl__find(x, PL__BODY(CLAIM_FILED), r->claim_id, UINT64_MAX, NULL) == NULL)
    pl__fail(&f, "the claim %s itself is not in the bundle", r->claim_id);
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    size_t count;
    if (e->entry == NULL || (e->entry->body_case != PL__BODY(CLAIM_DECIDED) &&
                             e->entry->body_case != PL__BODY(DISPUTE_OPENED) &&
                             e->entry->body_case != PL__BODY(ARBITRATION_RULED)))
      continue;
    pl__find(x, (int)e->entry->body_case, pl__defined_id(e->entry), UINT64_MAX, &count);
    if (count > 1)
      pl__fail(&f, "claim %s has %zu entries of kind %s; the log allows one",
               pl__defined_id(e->entry), count, e->kind);
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "each of the %zu references has its defining entry earlier in the bundle%s",
           refs, unregistered > 0 ? " (a device nobody registered has none, and "
                                    "counts as NOT_REGISTERED)"
                                  : "");
  pl__end(r, PL_AUDIT_REFERENCES, &f, ok);
}

/* ---- quorum ---- */

static int pl__is_member(const Partsledger__V1__PanelConstituted *p, const uint8_t *key) {
  for (size_t i = 0; i < p->n_members; i++)
    if (p->members[i].len == PL_PUBLIC_KEY_BYTES &&
        memcmp(p->members[i].data, key, PL_PUBLIC_KEY_BYTES) == 0)
      return 1;
  return 0;
}

/* One ruling against its panel; fills the report's members when it is the
 * ruling on the bundle's claim. 0 when the quorum holds. */
static int pl__ruling_quorum(pl__ctx *x, const pl_audit_entry *e, pl__fails *f,
                             char *said, size_t said_cap) {
  pl_audit_report *r = x->r;
  const char *what = pl__what(x->a, e);
  const char *claim = e->entry->arbitration_ruled->claim_id;
  const pl_audit_entry *d = pl__find(x, PL__BODY(DISPUTE_OPENED), claim, e->index, NULL);
  if (d == NULL) {
    pl__fail(f, "%s: no dispute of claim %s is bundled before it", what, claim);
    return -1;
  }
  const pl_audit_entry *pe = pl__find(x, PL__BODY(PANEL_CONSTITUTED),
                                      d->entry->dispute_opened->panel_id, e->index, NULL);
  if (pe == NULL) {
    pl__fail(f, "%s: panel %s is not bundled before it", what,
             d->entry->dispute_opened->panel_id);
    return -1;
  }
  const Partsledger__V1__PanelConstituted *p = pe->entry->panel_constituted;
  int ours = strcmp(claim, r->claim_id) == 0;
  pl_audit_member *m = pl_arena_alloc(x->a, (p->n_members ? p->n_members : 1) * sizeof(*m));
  if (m == NULL) {
    pl__fail(f, "out of memory");
    return -1;
  }
  memset(m, 0, (p->n_members ? p->n_members : 1) * sizeof(*m));
  for (size_t i = 0; i < p->n_members; i++) {
    m[i].key = p->members[i].data;
    m[i].why = "did not sign";
    const pl_audit_entry *en = pl__actor(x, PL__BODY(ACTOR_ENROLLED), m[i].key, UINT64_MAX);
    if (en != NULL)
      m[i].name = en->entry->actor_enrolled->name;
  }
  /* Everyone who signed must sit on the panel; the distinct members among
   * them who were enrolled and not revoked before the ruling count. */
  const Partsledger__V1__SignedEntry *se = e->se;
  int bad = 0;
  uint32_t counted = 0;
  for (size_t k = 0; k <= se->n_cosignatures; k++) {
    const uint8_t *key = k == 0 ? se->signer.data : se->cosignatures[k - 1]->signer.data;
    if (!pl__is_member(p, key)) {
      pl__fail(f, "%s is %s by %s, who is not a member of panel %s", what,
               k == 0 ? "signed" : "co-signed", pl__tag(x->a, key), p->panel_id);
      bad = 1;
      continue;
    }
    for (size_t i = 0; i < p->n_members; i++) {
      if (memcmp(m[i].key, key, PL_PUBLIC_KEY_BYTES) != 0 || m[i].signed_as != 0)
        continue;
      m[i].signed_as = k == 0 ? 1 : 2;
      const pl_audit_entry *rv = pl__actor(x, PL__BODY(ACTOR_REVOKED), key, e->index);
      if (pl__actor(x, PL__BODY(ACTOR_ENROLLED), key, e->index) == NULL) {
        m[i].why = "not enrolled before the ruling";
      } else if (rv != NULL) {
        m[i].why = pl_arena_printf(x->a, "revoked at index %" PRIu64 ", before the ruling",
                                   rv->index);
      } else {
        m[i].counted = 1;
        m[i].why = "";
        counted++;
      }
    }
  }
  if (ours) {
    r->members = m;
    r->n_members = p->n_members;
    r->quorum = p->quorum;
    r->counted = counted;
  }
  size_t signers = 1 + se->n_cosignatures;
  snprintf(said, said_cap,
           "the ruling at index %" PRIu64 " on claim %s: %u of %zu members of panel %s "
           "needed, %zu signed, %u counted",
           e->index, claim, p->quorum, p->n_members, p->panel_id, signers, counted);
  if (bad)
    return -1;
  if (counted < p->quorum) {
    pl__fail(f, "%s: %u of %zu members needed, %u signed and unrevoked", what, p->quorum,
             p->n_members, counted);
    return -1;
  }
  return 0;
}

static void pl__quorum(pl__ctx *x) {
  pl_audit_report *r = x->r;
  pl__fails f = {0, ""};
  char said[PL_VERDICT_MAX] = "", one[PL_VERDICT_MAX];
  size_t rulings = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL || e->entry->body_case != PL__BODY(ARBITRATION_RULED))
      continue;
    rulings++;
    if (pl__ruling_quorum(x, e, &f, one, sizeof(one)) == 0) {
      /* Several rulings (the device's other claims) say as much as fits. */
      size_t w = strlen(said), n = strlen(one);
      if (w + n + 3 < sizeof(said)) {
        memcpy(said + w, w ? "; " : "", w ? 2 : 0);
        memcpy(said + w + (w ? 2 : 0), one, n + 1);
      }
    }
  }
  if (rulings == 0)
    snprintf(said, sizeof(said), "no ruling in the bundle: nothing needs a quorum");
  pl__end(r, PL_AUDIT_QUORUM, &f, said);
}

/* ---- the warranty status, from the bundled entries alone ---- */

/* A growing array in the arena. */
#define PL__PUSH(a, v, n, cap, item)                                           \
  do {                                                                         \
    if ((n) == (cap)) {                                                        \
      size_t pl__c = (cap) ? (cap) * 2 : 8;                                    \
      void *pl__v = pl_arena_alloc((a), pl__c * sizeof(*(v)));                 \
      if (pl__v == NULL)                                                       \
        return PL_ENOMEM;                                                      \
      if (n)                                                                   \
        memcpy(pl__v, (v), (n) * sizeof(*(v)));                                \
      (v) = pl__v;                                                             \
      (cap) = pl__c;                                                           \
    }                                                                          \
    (v)[(n)++] = (item);                                                       \
  } while (0)

/* The batch of an install, for its class and months; NULL when it is not
 * bundled before `before`. */
static const Partsledger__V1__BatchRegistered *pl__batch(const pl__ctx *x, const char *id,
                                                         uint64_t before) {
  const pl_audit_entry *b = pl__find(x, PL__BODY(BATCH_REGISTERED), id, before, NULL);
  return b != NULL ? b->entry->batch_registered : NULL;
}

/* Gathers the facts of (device, component) from the entries logged before
 * `before`, as storage/state/warranty.c gathers them from its tables, and
 * judges them at the claim's failure with its reading. 0, or PL_ENOTFOUND
 * with `why` (PL_MSG_MAX) when a fact's defining entry is missing, or
 * PL_ENOMEM. */
static int pl__judge(pl__ctx *x, const Partsledger__V1__ClaimFiled *cf, uint64_t before,
                     pl_rule_verdict *out, char *why) {
  pl_rule_facts f;
  memset(&f, 0, sizeof(f));
  f.device_serial = cf->device_serial;
  f.component = cf->component;
  const pl_audit_entry *dev =
      pl__find(x, PL__BODY(DEVICE_REGISTERED), cf->device_serial, before, NULL);
  pl_rule_install *ins = NULL;
  pl_rule_reading *rd = NULL;
  pl_rule_exclusion *exc = NULL;
  size_t n_ins = 0, c_ins = 0, n_rd = 0, c_rd = 0, n_exc = 0, c_exc = 0;
  if (dev != NULL) {
    const Partsledger__V1__DeviceRegistered *d = dev->entry->device_registered;
    const pl_audit_entry *pol =
        pl__find(x, PL__BODY(WARRANTY_POLICY_PUBLISHED), d->policy_id, before, NULL);
    if (pol == NULL)
      return pl_fail(why, PL_ENOTFOUND, "policy %s of device %s is not bundled",
                     d->policy_id, d->device_serial);
    const Partsledger__V1__WarrantyPolicyPublished *p = pol->entry->warranty_policy_published;
    const Partsledger__V1__ComponentTerm *term = NULL;
    for (size_t i = 0; i < p->n_terms; i++)
      if (strcmp(p->terms[i]->component, cf->component) == 0)
        term = p->terms[i];
    f.registered = 1;
    f.policy_id = p->policy_id;
    f.purchased_at = d->purchased_at_ms;
    f.registered_at = dev->at_ms;
    f.window_days = p->registration_window_days;
    f.has_term = term != NULL;
    f.months = term ? term->months : 0;
    f.usage_limit = term ? term->usage_limit : 0;
    f.usage_unit = term ? term->usage_unit : "";
  }
  /* In log order: installs must be. */
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = x->order[i];
    if (e->entry == NULL || e->index >= before)
      continue;
    const Partsledger__V1__Entry *en = e->entry;
    switch (en->body_case) {
    case PL__BODY(DEVICE_REGISTERED):
      if (strcmp(en->device_registered->device_serial, cf->device_serial) != 0)
        break;
      for (size_t k = 0; k < en->device_registered->n_parts; k++) {
        const Partsledger__V1__InstalledPart *ip = en->device_registered->parts[k];
        if (strcmp(ip->component, cf->component) != 0)
          continue;
        const Partsledger__V1__BatchRegistered *b = pl__batch(x, ip->batch_id, before);
        if (b == NULL)
          return pl_fail(why, PL_ENOTFOUND, "batch %s of part %s is not bundled",
                         ip->batch_id, ip->part_serial);
        PL__PUSH(x->a, ins, n_ins, c_ins,
                 ((pl_rule_install){.at = e->at_ms,
                                    .part_serial = ip->part_serial,
                                    .batch_id = ip->batch_id,
                                    .part_class = b->part_class,
                                    .by_replacement = 0,
                                    .warranty_months = b->warranty_months}));
      }
      break;
    case PL__BODY(PART_REPLACED): {
      const Partsledger__V1__PartReplaced *pr = en->part_replaced;
      const pl_audit_entry *o =
          pl__find(x, PL__BODY(REPAIR_ORDER_OPENED), pr->order_id, before, NULL);
      if (o == NULL)
        return pl_fail(why, PL_ENOTFOUND, "repair order %s of entry %" PRIu64
                       " is not bundled", pr->order_id, e->index);
      if (strcmp(o->entry->repair_order_opened->device_serial, cf->device_serial) != 0 ||
          strcmp(pr->component, cf->component) != 0)
        break;
      const Partsledger__V1__BatchRegistered *b =
          pl__batch(x, pr->installed_batch_id, before);
      if (b == NULL)
        return pl_fail(why, PL_ENOTFOUND, "batch %s of part %s is not bundled",
                       pr->installed_batch_id, pr->installed_serial);
      PL__PUSH(x->a, ins, n_ins, c_ins,
               ((pl_rule_install){.at = e->at_ms,
                                  .part_serial = pr->installed_serial,
                                  .batch_id = pr->installed_batch_id,
                                  .part_class = b->part_class,
                                  .by_replacement = 1,
                                  .warranty_months = b->warranty_months}));
      break;
    }
    case PL__BODY(WARRANTY_EXTENDED):
      if (strcmp(en->warranty_extended->device_serial, cf->device_serial) == 0 &&
          (en->warranty_extended->component[0] == '\0' ||
           strcmp(en->warranty_extended->component, cf->component) == 0))
        f.extended_months += en->warranty_extended->months;
      break;
    case PL__BODY(REPAIR_ORDER_OPENED):
      /* A reading of 0 is no reading (storage/state/warranty.c). */
      if (strcmp(en->repair_order_opened->device_serial, cf->device_serial) == 0 &&
          en->repair_order_opened->usage_reading != 0)
        PL__PUSH(x->a, rd, n_rd, c_rd,
                 ((pl_rule_reading){en->repair_order_opened->reported_at_ms,
                                    en->repair_order_opened->usage_reading}));
      break;
    case PL__BODY(CLAIM_FILED): {
      const Partsledger__V1__ClaimFiled *c = en->claim_filed;
      if (strcmp(c->device_serial, cf->device_serial) != 0)
        break;
      if (c->usage_reading != 0)
        PL__PUSH(x->a, rd, n_rd, c_rd, ((pl_rule_reading){c->failure_at_ms,
                                                          c->usage_reading}));
      if (strcmp(c->component, cf->component) != 0)
        break;
      /* A rejection for human damage or an unauthorised modification that
       * no ruling upheld the claim against. */
      const pl_audit_entry *dec = pl__find(x, PL__BODY(CLAIM_DECIDED), c->claim_id, before, NULL);
      const pl_audit_entry *rul =
          pl__find(x, PL__BODY(ARBITRATION_RULED), c->claim_id, before, NULL);
      if (dec == NULL ||
          dec->entry->claim_decided->decision !=
              PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED ||
          (dec->entry->claim_decided->reason !=
               PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE &&
           dec->entry->claim_decided->reason !=
               PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNAUTHORIZED_MODIFICATION) ||
          (rul != NULL &&
           rul->entry->arbitration_ruled->ruling == PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD))
        break;
      PL__PUSH(x->a, exc, n_exc, c_exc, ((pl_rule_exclusion){c->claim_id, c->failure_at_ms}));
      break;
    }
    default:
      break;
    }
  }
  f.installs = ins;
  f.n_installs = n_ins;
  f.readings = rd;
  f.n_readings = n_rd;
  f.exclusions = exc;
  f.n_exclusions = n_exc;
  pl_rule_judge(&f, cf->failure_at_ms, cf->usage_reading, out);
  return 0;
}

/* The claim's story: its entries, its device and policy. */
static void pl__story(pl__ctx *x) {
  pl_audit_report *r = x->r;
  r->claim = pl__find(x, PL__BODY(CLAIM_FILED), r->claim_id, UINT64_MAX, NULL);
  r->decision = pl__find(x, PL__BODY(CLAIM_DECIDED), r->claim_id, UINT64_MAX, NULL);
  r->dispute = pl__find(x, PL__BODY(DISPUTE_OPENED), r->claim_id, UINT64_MAX, NULL);
  r->ruling = pl__find(x, PL__BODY(ARBITRATION_RULED), r->claim_id, UINT64_MAX, NULL);
  if (r->dispute != NULL)
    r->panel = pl__find(x, PL__BODY(PANEL_CONSTITUTED), r->dispute->entry->dispute_opened->panel_id,
                        UINT64_MAX, NULL);
  if (r->claim != NULL)
    r->device = pl__find(x, PL__BODY(DEVICE_REGISTERED),
                         r->claim->entry->claim_filed->device_serial, UINT64_MAX, NULL);
  if (r->device != NULL)
    r->policy = pl__find(x, PL__BODY(WARRANTY_POLICY_PUBLISHED),
                         r->device->entry->device_registered->policy_id, UINT64_MAX, NULL);
}

static void pl__warranty(pl__ctx *x) {
  pl_audit_report *r = x->r;
  char why[PL_MSG_MAX];
  if (r->claim == NULL) {
    pl__set(r, PL_AUDIT_WARRANTY, PL_AUDIT_SKIPPED, "the claim %s is not in the bundle",
            r->claim_id);
    return;
  }
  const Partsledger__V1__ClaimFiled *cf = r->claim->entry->claim_filed;
  r->status_before = r->decision != NULL ? r->decision->index : UINT64_MAX;
  for (size_t i = 0; i < r->n_entries; i++)
    r->status_facts += r->entries[i].entry != NULL && r->entries[i].index < r->status_before;
  int rc = pl__judge(x, cf, r->status_before, &r->status, why);
  if (rc == 0)
    rc = pl__judge(x, cf, UINT64_MAX, &r->status_now, why);
  if (rc == PL_ENOMEM) {
    pl__set(r, PL_AUDIT_WARRANTY, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  if (rc != 0) {
    pl__set(r, PL_AUDIT_WARRANTY, PL_AUDIT_FAILS,
            "cannot judge %s %s from the bundle: %s", cf->device_serial, cf->component,
            why);
    return;
  }
  r->have_status = 1;
  char from[128];
  if (r->decision != NULL)
    snprintf(from, sizeof(from), "from the %zu bundled entries logged before the "
                                 "decision at index %" PRIu64,
             r->status_facts, r->decision->index);
  else
    snprintf(from, sizeof(from), "from all %zu bundled entries (the claim is not "
                                 "decided)", r->status_facts);
  const char *now = "";
  if (r->status_now.status != r->status.status)
    now = pl_arena_printf(x->a, "; at the checkpoint the ledger says %s (%s)",
                          pl_rule_status_name(r->status_now.status),
                          r->status_now.reason);
  if (now == NULL)
    now = "";
  /* rules.c says times in milliseconds; people read dates. */
  const char *ends = r->status.coverage_ends_at != 0
                         ? pl_arena_printf(x->a, " (coverage ends %s)",
                                           pl__time(x->a, r->status.coverage_ends_at))
                         : "";
  pl__set(r, PL_AUDIT_WARRANTY, PL_AUDIT_HOLDS,
          "%s %s at the failure (%s, reading %" PRIu64 ") was %s: %s%s, %s%s",
          cf->device_serial, cf->component, pl__time(x->a, cf->failure_at_ms),
          cf->usage_reading, pl_rule_status_name(r->status.status), r->status.reason,
          ends != NULL ? ends : "", from, now);
}

static void pl__decision(pl__ctx *x) {
  pl_audit_report *r = x->r;
  if (!r->have_status) {
    pl__set(r, PL_AUDIT_DECISION, PL_AUDIT_SKIPPED,
            "no warranty status to hold the decision against");
    return;
  }
  if (r->decision == NULL) {
    pl__set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS, "the claim is not decided yet");
    return;
  }
  const Partsledger__V1__ClaimDecided *d = r->decision->entry->claim_decided;
  char ruled[192] = "";
  if (r->ruling != NULL)
    snprintf(ruled, sizeof(ruled), "; the panel ruled %s at index %" PRIu64,
             PL__RULING(r->ruling->entry->arbitration_ruled->ruling), r->ruling->index);
  else if (r->dispute != NULL)
    snprintf(ruled, sizeof(ruled), "; disputed at index %" PRIu64 ", not ruled on yet",
             r->dispute->index);
  int stated = pl_rule_reason_status(d->reason);
  if (stated == 0) {
    pl__set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS,
            "%s for %s at index %" PRIu64 ": a judgment of the manufacturer, not a fact "
            "of the ledger, whose status at the failure was %s%s",
            PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
            pl_rule_status_name(r->status.status), ruled);
    return;
  }
  if (stated != r->status.status) {
    pl__set(r, PL_AUDIT_DECISION, PL_AUDIT_FAILS,
            "%s for %s at index %" PRIu64 " states the status %s, but the bundled "
            "entries give %s",
            PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
            pl_rule_status_name(stated), pl_rule_status_name(r->status.status));
    return;
  }
  pl__set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS,
          "%s for %s at index %" PRIu64 " agrees with the ledger's status %s%s",
          PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
          pl_rule_status_name(stated), ruled);
}

/* ---- the whole ---- */

void pl_audit_report_destroy(pl_audit_report *r) {
  if (r == NULL)
    return;
  pl_arena_free(r->arena);
  memset(r, 0, sizeof(*r));
}

int pl_audit_verify(const char *bundle_json, size_t len, const char *vkey,
                    pl_audit_report *out) {
  memset(out, 0, sizeof(*out));
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++) {
    out->checks[i].name = pl__checks[i].name;
    out->checks[i].what = pl__checks[i].what;
    out->checks[i].result = PL_AUDIT_SKIPPED;
    snprintf(out->checks[i].reason, sizeof(out->checks[i].reason),
             "not checked: the input is not a bundle");
  }
  if ((out->arena = pl_arena_new(0)) == NULL)
    return out->code = PL_ENOMEM;
  pl__ctx x;
  memset(&x, 0, sizeof(x));
  x.r = out;
  x.a = out->arena;
  x.vkey = vkey;
  char name[PL_NOTE_NAME_MAX + 1];
  if (vkey == NULL || pl_note_vkey_parse(vkey, name, sizeof(name), x.log_key) != 0) {
    pl__set(out, PL_AUDIT_DOCUMENT, PL_AUDIT_SKIPPED,
            "the verifier key is not one (name+hexid+base64)");
    return out->code = PL_EINVAL;
  }
  int rc = pl__document(&x, bundle_json, len);
  if (rc != 0)
    return out->code = rc;
  qsort(x.order, out->n_entries, sizeof(*x.order), pl__by_index);

  pl__checkpoint(&x);
  pl__manifest(&x);
  pl__proofs(&x);
  pl__leaves(&x);
  pl__signatures(&x);
  pl__signers(&x);
  pl__references(&x);
  pl__quorum(&x);
  pl__story(&x);
  pl__warranty(&x);
  pl__decision(&x);

  out->code = 0;
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
    if (out->checks[i].result != PL_AUDIT_HOLDS)
      out->code = PL_EVERIFY;
  return out->code;
}
