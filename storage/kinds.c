/*
 * kinds.c - the entry kinds: who may sign each, what makes it well-formed,
 * and what it changes in the derived state.
 *
 * One row of pl__kinds per oneof case of Entry.body. A new kind is a new row
 * with its check (stateless, run on the gRPC worker before the writer) and
 * its apply (run by the writer inside the entry's own nested transaction).
 * Depends on log.c for state access only through pl__state_get/put.
 */
#include "kinds.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "text.h"
#include "wire.h"
#include "partsledger/v1/state.pb-c.h"

#define PL__NAME_MAX 128
#define PL__SITE_ID_MAX 64
#define PL__SITES_MAX 64
#define PL__REASON_MAX 512

typedef int (*pl__check_fn)(const Partsledger__V1__Entry *e, char *msg);
typedef int (*pl__apply_fn)(pl__wctx *w, const Partsledger__V1__Entry *e,
                            char *msg);

#define PL__ROLE(r) (1u << PARTSLEDGER__V1__ROLE__ROLE_##r)

typedef struct {
  Partsledger__V1__Entry__BodyCase body;
  const char *name;
  uint32_t roles; /* bit per Role that may sign this kind */
  pl__check_fn check;
  pl__apply_fn apply;
} pl__kind;

static const char *const pl__role_names[] = {
    "unspecified", "admin", "manufacturer", "warehouse",
    "repair_station", "arbiter", "auditor"};

static const char *pl__role_name(int role) {
  if (role < 0 || role >= (int)(sizeof(pl__role_names) / sizeof(pl__role_names[0])))
    return "unknown";
  return pl__role_names[role];
}

static int pl__fail(char *msg, int err, const char *fmt, const char *arg) {
  snprintf(msg, PL_MSG_MAX, fmt, arg);
  return err;
}

/* Printable UTF-8 of bounded length: names and ids end up in audit reports
 * and in other implementations' decoders, so control characters and invalid
 * UTF-8 are refused rather than carried along. */
static int pl__text_ok(const char *s, size_t min, size_t max) {
  size_t n = strlen(s);
  return n >= min && n <= max && pl_text_printable(s, n);
}

/* Short hex prefix of a key, for messages. */
static const char *pl__key_tag(const uint8_t *pk, char buf[17]) {
  return pl_hex_encode(pk, 8, buf);
}

static int pl__actor_get(pl__wctx *w, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                         Partsledger__State__V1__ActorRecord **out) {
  const void *v;
  size_t len;
  int rc = pl__state_get(w, PL__T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, &v, &len);
  if (rc != 0)
    return rc;
  *out = partsledger__state__v1__actor_record__unpack(pl_arena_allocator(w->arena),
                                                      len, v);
  return *out != NULL ? 0 : PL_ECORRUPT;
}

static int pl__actor_put(pl__wctx *w, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                         const Partsledger__State__V1__ActorRecord *rec) {
  size_t len = partsledger__state__v1__actor_record__get_packed_size(rec);
  uint8_t *buf = pl_arena_alloc(w->arena, len ? len : 1);
  if (buf == NULL)
    return PL_ENOMEM;
  partsledger__state__v1__actor_record__pack(rec, buf);
  return pl__state_put(w, PL__T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, buf, len);
}

/* --- actor_enrolled ----------------------------------------------------- */

static int pl__enrolled_check(const Partsledger__V1__Entry *e, char *msg) {
  const Partsledger__V1__ActorEnrolled *b = e->actor_enrolled;
  if (b->public_key.len != PL_PUBLIC_KEY_BYTES)
    return pl__fail(msg, PL_EINVAL, "%s: public_key must be 32 bytes",
                    "actor_enrolled");
  if (b->role <= PARTSLEDGER__V1__ROLE__ROLE_UNSPECIFIED ||
      b->role > PARTSLEDGER__V1__ROLE__ROLE_AUDITOR)
    return pl__fail(msg, PL_EINVAL, "%s: role is missing or unknown",
                    "actor_enrolled");
  if (!pl__text_ok(b->name, 1, PL__NAME_MAX))
    return pl__fail(msg, PL_EINVAL,
                    "%s: name must be 1-128 bytes of printable UTF-8",
                    "actor_enrolled");
  if (b->n_site_ids > PL__SITES_MAX)
    return pl__fail(msg, PL_EINVAL, "%s: at most 64 site_ids", "actor_enrolled");
  for (size_t i = 0; i < b->n_site_ids; i++)
    if (!pl__text_ok(b->site_ids[i], 1, PL__SITE_ID_MAX))
      return pl__fail(msg, PL_EINVAL,
                      "%s: each site_id must be 1-64 bytes of printable UTF-8",
                      "actor_enrolled");
  /* A warehouse works for its sites, a repair station is one site. */
  if (b->role == PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE && b->n_site_ids == 0)
    return pl__fail(msg, PL_EINVAL, "%s: a warehouse needs at least one site_id",
                    "actor_enrolled");
  if (b->role == PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION && b->n_site_ids != 1)
    return pl__fail(msg, PL_EINVAL, "%s: a repair station needs exactly one site_id",
                    "actor_enrolled");
  return 0;
}

static int pl__enrolled_apply(pl__wctx *w, const Partsledger__V1__Entry *e,
                              char *msg) {
  const Partsledger__V1__ActorEnrolled *b = e->actor_enrolled;
  Partsledger__State__V1__ActorRecord *old;
  char tag[17];
  int rc = pl__actor_get(w, b->public_key.data, &old);
  if (rc == 0)
    return pl__fail(msg, old->revoked ? PL_ESTATE : PL_EEXIST,
                    old->revoked ? "key %s… was revoked: enroll a new key"
                                 : "key %s… is already enrolled",
                    pl__key_tag(b->public_key.data, tag));
  if (rc != PL_ENOTFOUND)
    return rc;

  Partsledger__State__V1__ActorRecord rec = PARTSLEDGER__STATE__V1__ACTOR_RECORD__INIT;
  rec.role = b->role;
  rec.name = b->name;
  rec.n_site_ids = b->n_site_ids;
  rec.site_ids = b->site_ids;
  rec.enrolled_index = w->index;
  return pl__actor_put(w, b->public_key.data, &rec);
}

/* --- actor_revoked ------------------------------------------------------ */

static int pl__revoked_check(const Partsledger__V1__Entry *e, char *msg) {
  const Partsledger__V1__ActorRevoked *b = e->actor_revoked;
  if (b->public_key.len != PL_PUBLIC_KEY_BYTES)
    return pl__fail(msg, PL_EINVAL, "%s: public_key must be 32 bytes",
                    "actor_revoked");
  if (!pl__text_ok(b->reason, 0, PL__REASON_MAX))
    return pl__fail(msg, PL_EINVAL, "%s: reason must be at most 512 bytes of printable UTF-8",
                    "actor_revoked");
  return 0;
}

static int pl__revoked_apply(pl__wctx *w, const Partsledger__V1__Entry *e,
                             char *msg) {
  const Partsledger__V1__ActorRevoked *b = e->actor_revoked;
  Partsledger__State__V1__ActorRecord *rec;
  char tag[17];
  /* Revoking oneself could leave the log with no admin at all; every other
   * admin can still be revoked by a remaining one. */
  if (memcmp(b->public_key.data, w->signer, PL_PUBLIC_KEY_BYTES) == 0)
    return pl__fail(msg, PL_ESTATE, "%s: an admin cannot revoke itself",
                    "actor_revoked");
  int rc = pl__actor_get(w, b->public_key.data, &rec);
  if (rc == PL_ENOTFOUND)
    return pl__fail(msg, PL_ENOTFOUND, "key %s… is not enrolled",
                    pl__key_tag(b->public_key.data, tag));
  if (rc != 0)
    return rc;
  if (rec->revoked)
    return pl__fail(msg, PL_ESTATE, "key %s… is already revoked",
                    pl__key_tag(b->public_key.data, tag));
  rec->revoked = 1;
  rec->revoked_index = w->index;
  return pl__actor_put(w, b->public_key.data, rec);
}

/* --- the table ---------------------------------------------------------- */

static const pl__kind pl__kinds[] = {
    {PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED, "actor_enrolled",
     PL__ROLE(ADMIN), pl__enrolled_check, pl__enrolled_apply},
    {PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED, "actor_revoked",
     PL__ROLE(ADMIN), pl__revoked_check, pl__revoked_apply},
};

static const pl__kind *pl__kind_find(Partsledger__V1__Entry__BodyCase body) {
  for (size_t i = 0; i < sizeof(pl__kinds) / sizeof(pl__kinds[0]); i++)
    if (pl__kinds[i].body == body)
      return &pl__kinds[i];
  return NULL;
}

int pl_entry_check(const Partsledger__V1__Entry *e, char *msg) {
  if (e->request_id.len != PL_REQUEST_ID_BYTES)
    return pl__fail(msg, PL_EINVAL, "%s must be 16 bytes", "request_id");
  const pl__kind *k = pl__kind_find(e->body_case);
  if (k == NULL)
    return pl__fail(msg, PL_EINVAL, "%s",
                    "entry has no body, or a kind this server does not know");
  return k->check(e, msg);
}

int pl__entry_apply(pl__wctx *w, const Partsledger__V1__Entry *e, char *msg) {
  const pl__kind *k = pl__kind_find(e->body_case);
  char tag[17];
  if (k == NULL)
    return pl__fail(msg, PL_EINVAL, "%s", "unknown entry kind");
  if (!w->genesis) {
    Partsledger__State__V1__ActorRecord *signer;
    int rc = pl__actor_get(w, w->signer, &signer);
    if (rc == PL_ENOTFOUND)
      return pl__fail(msg, PL_ESIGNER, "signer %s… is not an enrolled actor",
                      pl__key_tag(w->signer, tag));
    if (rc != 0)
      return rc;
    if (signer->revoked)
      return pl__fail(msg, PL_EREVOKED, "signer %s… has been revoked",
                      pl__key_tag(w->signer, tag));
    if (signer->role < 0 || signer->role >= 32 ||
        !(k->roles & (1u << signer->role))) {
      snprintf(msg, PL_MSG_MAX, "role %s may not write %s",
               pl__role_name(signer->role), k->name);
      return PL_EROLE;
    }
  }
  return k->apply(w, e, msg);
}

/* Who signed: key and signature lengths, and co-signers that are distinct
 * and not the author (a co-signer counted twice would inflate a quorum). */
static int pl__signers_check(const Partsledger__V1__SignedEntry *se, char *msg) {
  if (se->signer.len != PL_PUBLIC_KEY_BYTES)
    return pl__fail(msg, PL_EINVAL, "%s must be a 32-byte Ed25519 public key",
                    "signer");
  if (se->signature.len != PL_SIGNATURE_BYTES)
    return pl__fail(msg, PL_EINVAL, "%s must be 64 bytes", "signature");
  if (se->n_cosignatures > PL_COSIGNATURES_MAX)
    return pl__fail(msg, PL_EINVAL, "at most %s cosignatures", "32");
  for (size_t i = 0; i < se->n_cosignatures; i++) {
    const Partsledger__V1__Cosignature *co = se->cosignatures[i];
    if (co->signer.len != PL_PUBLIC_KEY_BYTES || co->signature.len != PL_SIGNATURE_BYTES)
      return pl__fail(msg, PL_EINVAL, "%s: signer must be 32 bytes, signature 64",
                      "cosignature");
    int again = memcmp(co->signer.data, se->signer.data, PL_PUBLIC_KEY_BYTES) == 0;
    if (again) {
      snprintf(msg, PL_MSG_MAX, "co-signer %zu is the author", i);
      return PL_EINVAL;
    }
    for (size_t j = 0; j < i && !again; j++)
      again = memcmp(co->signer.data, se->cosignatures[j]->signer.data,
                     PL_PUBLIC_KEY_BYTES) == 0;
    if (again) {
      snprintf(msg, PL_MSG_MAX, "co-signer %zu appears twice", i);
      return PL_EINVAL;
    }
  }
  return 0;
}

/* The author's signature and every co-signature over the entry's bytes. */
static int pl__signatures_check(const Partsledger__V1__SignedEntry *se, char *msg) {
  char tag[17];
  if (pl_entry_verify(se->signer.data, se->entry.data, se->entry.len,
                      se->signature.data) != 0)
    return pl__fail(msg, PL_EBADSIG,
                    "the author's signature over the entry does not verify (signer %s…)",
                    pl__key_tag(se->signer.data, tag));
  for (size_t i = 0; i < se->n_cosignatures; i++) {
    const Partsledger__V1__Cosignature *co = se->cosignatures[i];
    if (pl_entry_verify(co->signer.data, se->entry.data, se->entry.len,
                        co->signature.data) != 0)
      return pl__fail(msg, PL_EBADSIG, "cosignature does not verify for %s…",
                      pl__key_tag(co->signer.data, tag));
  }
  return 0;
}

int pl_signed_entry_verify(const Partsledger__V1__SignedEntry *se, char *msg) {
  int rc = pl__signers_check(se, msg);
  return rc != 0 ? rc : pl__signatures_check(se, msg);
}

int pl_signed_entry_open(const Partsledger__V1__SignedEntry *se,
                         ProtobufCAllocator *alloc, Partsledger__V1__Entry **entry,
                         char *msg) {
  *entry = NULL;
  if (partsledger__v1__signed_entry__get_packed_size(se) > PL_SIGNED_ENTRY_MAX)
    return pl__fail(msg, PL_ETOOBIG, "signed entry exceeds %s bytes", "65536");
  if (se->entry.len == 0)
    return pl__fail(msg, PL_EINVAL, "%s", "entry is empty");
  if (se->entry.len > PL_ENTRY_MAX)
    return pl__fail(msg, PL_ETOOBIG, "entry exceeds %s bytes", "16384");
  int rc = pl__signers_check(se, msg);
  if (rc != 0)
    return rc;
  /* The envelope is stored in the leaf but not signed: a field this server
   * does not know would let anyone who relays an entry change its leaf. */
  if (se->base.n_unknown_fields != 0)
    return pl__fail(msg, PL_EINVAL, "%s has a field this server does not know",
                    "signed entry");
  for (size_t i = 0; i < se->n_cosignatures; i++)
    if (se->cosignatures[i]->base.n_unknown_fields != 0)
      return pl__fail(msg, PL_EINVAL, "%s has a field this server does not know",
                      "cosignature");

  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(alloc, se->entry.len, se->entry.data);
  if (e == NULL)
    return pl__fail(msg, PL_EINVAL, "%s", "entry bytes do not decode as an Entry");
  /* Strings as sent: protobuf-c ends each at its first NUL. */
  static const pl_wire_rules strings = {SIZE_MAX, 1};
  const char *why;
  rc = pl_wire_check(&partsledger__v1__entry__descriptor, se->entry.data, se->entry.len,
                     &strings, &why);
  if (rc != 0)
    return pl__fail(msg, rc, "entry %s", why);
  rc = pl_entry_check(e, msg);
  if (rc == 0)
    rc = pl__signatures_check(se, msg); /* the costly part last */
  if (rc != 0)
    return rc;
  *entry = e;
  return 0;
}
