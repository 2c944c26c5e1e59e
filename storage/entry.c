/*
 * entry.c - stateless entry checks, signatures, and the names of kinds and
 * roles. See entry.h. The kinds come from the list in kinds.h; each kind's
 * own field checks are in spec/<family>.c.
 */
#include "entry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "kinds.h"
#include "wire.h"

int pl_fail(char *msg, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, PL_MSG_MAX, fmt, ap);
  va_end(ap);
  return err;
}

/* --- kinds and roles ------------------------------------------------------ */

typedef struct {
  pl_kind_spec spec;
  int (*check)(const Partsledger__V1__Entry *e, char *msg);
} pl__kind_row;

/* Each kind's check gets its typed body. */
#define PL__SPEC_WRAP(CASE, name, Type, roles)                                 \
  static int pl__check_##name(const Partsledger__V1__Entry *e, char *msg) {    \
    return pl_spec_##name(e->name, msg);                                       \
  }
PL_KINDS(PL__SPEC_WRAP)
#undef PL__SPEC_WRAP

static const pl__kind_row pl__kinds[] = {
#define PL__SPEC_ROW(CASE, name, Type, roles)                                  \
  {{PARTSLEDGER__V1__ENTRY__BODY_##CASE, #name, (roles)}, pl__check_##name},
    PL_KINDS(PL__SPEC_ROW)
#undef PL__SPEC_ROW
};

static const pl__kind_row *pl__kind_row_of(int body_case) {
  for (size_t i = 0; i < sizeof(pl__kinds) / sizeof(pl__kinds[0]); i++)
    if ((int)pl__kinds[i].spec.body == body_case)
      return &pl__kinds[i];
  return NULL;
}

const pl_kind_spec *pl_kind_spec_of(int body_case) {
  const pl__kind_row *k = pl__kind_row_of(body_case);
  return k != NULL ? &k->spec : NULL;
}

const char *pl_kind_name(int body_case) {
  const pl__kind_row *k = pl__kind_row_of(body_case);
  return k != NULL ? k->spec.name : "unknown";
}

static const char *const pl__role_names[] = {
    "unspecified", "admin", "manufacturer", "warehouse",
    "repair_station", "arbiter", "auditor"};
#define PL__ROLES ((int)(sizeof(pl__role_names) / sizeof(pl__role_names[0])))

const char *pl_role_name(int role) {
  if (role < 0 || role >= PL__ROLES)
    return "unknown";
  return pl__role_names[role];
}

int pl_role_parse(const char *name) {
  for (int r = 1; r < PL__ROLES; r++)
    if (strcmp(name, pl__role_names[r]) == 0)
      return r;
  return -1;
}

int pl_entry_check(const Partsledger__V1__Entry *e, char *msg) {
  if (e->request_id.len != PL_REQUEST_ID_BYTES)
    return pl_fail(msg, PL_EINVAL, "request_id must be 16 bytes");
  const pl__kind_row *k = pl__kind_row_of(e->body_case);
  if (k == NULL)
    return pl_fail(msg, PL_EINVAL,
                   "entry has no body, or a kind this server does not know");
  return k->check(e, msg);
}

/* --- signatures ------------------------------------------------------------- */

/* Short hex prefix of a key, for messages. */
static const char *pl__key_tag(const uint8_t *pk, char buf[17]) {
  return pl_hex_encode(pk, 8, buf);
}

/* Who signed: key and signature lengths, and co-signers that are distinct
 * and not the author (a co-signer counted twice would inflate a quorum). */
static int pl__signers_check(const Partsledger__V1__SignedEntry *se, char *msg) {
  if (se->signer.len != PL_PUBLIC_KEY_BYTES)
    return pl_fail(msg, PL_EINVAL, "signer must be a 32-byte Ed25519 public key");
  if (se->signature.len != PL_SIGNATURE_BYTES)
    return pl_fail(msg, PL_EINVAL, "signature must be 64 bytes");
  if (se->n_cosignatures > PL_COSIGNATURES_MAX)
    return pl_fail(msg, PL_EINVAL, "at most %d cosignatures", PL_COSIGNATURES_MAX);
  for (size_t i = 0; i < se->n_cosignatures; i++) {
    const Partsledger__V1__Cosignature *co = se->cosignatures[i];
    if (co->signer.len != PL_PUBLIC_KEY_BYTES || co->signature.len != PL_SIGNATURE_BYTES)
      return pl_fail(msg, PL_EINVAL, "cosignature: signer must be 32 bytes, signature 64");
    if (memcmp(co->signer.data, se->signer.data, PL_PUBLIC_KEY_BYTES) == 0)
      return pl_fail(msg, PL_EINVAL, "co-signer %zu is the author", i);
    for (size_t j = 0; j < i; j++)
      if (memcmp(co->signer.data, se->cosignatures[j]->signer.data,
                 PL_PUBLIC_KEY_BYTES) == 0)
        return pl_fail(msg, PL_EINVAL, "co-signer %zu appears twice", i);
  }
  return 0;
}

/* The author's signature and every co-signature over the entry's bytes. */
static int pl__signatures_check(const Partsledger__V1__SignedEntry *se, char *msg) {
  char tag[17];
  if (pl_entry_verify(se->signer.data, se->entry.data, se->entry.len,
                      se->signature.data) != 0)
    return pl_fail(msg, PL_EBADSIG,
                   "the author's signature over the entry does not verify (signer %s…)",
                   pl__key_tag(se->signer.data, tag));
  for (size_t i = 0; i < se->n_cosignatures; i++) {
    const Partsledger__V1__Cosignature *co = se->cosignatures[i];
    if (pl_entry_verify(co->signer.data, se->entry.data, se->entry.len,
                        co->signature.data) != 0)
      return pl_fail(msg, PL_EBADSIG, "cosignature does not verify for %s…",
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
    return pl_fail(msg, PL_ETOOBIG, "signed entry exceeds %d bytes", PL_SIGNED_ENTRY_MAX);
  if (se->entry.len == 0)
    return pl_fail(msg, PL_EINVAL, "entry is empty");
  if (se->entry.len > PL_ENTRY_MAX)
    return pl_fail(msg, PL_ETOOBIG, "entry exceeds %d bytes", PL_ENTRY_MAX);
  int rc = pl__signers_check(se, msg);
  if (rc != 0)
    return rc;
  /* The envelope is stored in the leaf but not signed: a field this server
   * does not know would let anyone who relays an entry change its leaf. */
  if (se->base.n_unknown_fields != 0)
    return pl_fail(msg, PL_EINVAL, "signed entry has a field this server does not know");
  for (size_t i = 0; i < se->n_cosignatures; i++)
    if (se->cosignatures[i]->base.n_unknown_fields != 0)
      return pl_fail(msg, PL_EINVAL, "cosignature has a field this server does not know");

  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(alloc, se->entry.len, se->entry.data);
  if (e == NULL)
    return pl_fail(msg, PL_EINVAL, "entry bytes do not decode as an Entry");
  /* Strings as sent: protobuf-c ends each at its first NUL. */
  static const pl_wire_rules strings = {SIZE_MAX, 1};
  const char *why;
  rc = pl_wire_check(&partsledger__v1__entry__descriptor, se->entry.data, se->entry.len,
                     &strings, &why);
  if (rc != 0)
    return pl_fail(msg, rc, "entry %s", why);
  rc = pl_entry_check(e, msg);
  if (rc == 0)
    rc = pl__signatures_check(se, msg); /* the costly part last */
  if (rc != 0)
    return rc;
  *entry = e;
  return 0;
}
