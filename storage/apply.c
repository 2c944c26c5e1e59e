/*
 * apply.c - one entry against the derived state: the dispatch from a body
 * case to its family's check and write (generated from kinds.h), and the
 * signer's authority, which is the same for every kind.
 */
#include "apply.h"

#include <sodium.h>
#include <string.h>

#include "error.h"
#include "kinds.h"

typedef struct {
  Partsledger__V1__Entry__BodyCase body;
  const char *name;
  uint32_t roles;
  int (*check)(pl_apply *a);
  int (*write)(pl_apply *a);
} pl__rule_row;

#define PL__RULE_WRAP(CASE, name, Type, roles)                                 \
  static int pl__check_##name(pl_apply *a) {                                   \
    return pl_##name##_check(a, a->entry->name);                               \
  }                                                                            \
  static int pl__write_##name(pl_apply *a) {                                   \
    return pl_##name##_write(a, a->entry->name);                               \
  }
PL_KINDS(PL__RULE_WRAP)
#undef PL__RULE_WRAP

static const pl__rule_row pl__rules[] = {
#define PL__RULE_ROW(CASE, name, Type, roles)                                  \
  {PARTSLEDGER__V1__ENTRY__BODY_##CASE, #name, (roles), pl__check_##name,      \
   pl__write_##name},
    PL_KINDS(PL__RULE_ROW)
#undef PL__RULE_ROW
};

static const pl__rule_row *pl__rule_of(int body) {
  for (size_t i = 0; i < sizeof(pl__rules) / sizeof(pl__rules[0]); i++)
    if ((int)pl__rules[i].body == body)
      return &pl__rules[i];
  return NULL;
}

/* The signer's authority for the kind. */
static int pl__authority(pl_apply *a, const pl__rule_row *k) {
  char tag[17];
  int rc = pl_actor_get(a->txn, a->signer, &a->author);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ESIGNER, "signer %s… is not an enrolled actor",
                   pl_key_tag(a->signer, tag));
  if (rc != 0)
    return rc;
  if (a->author.revoked)
    return pl_fail(a->msg, PL_EREVOKED, "signer %s… has been revoked",
                   pl_key_tag(a->signer, tag));
  if (a->author.role < 0 || a->author.role >= 32 ||
      !(k->roles & (1u << a->author.role)))
    return pl_fail(a->msg, PL_EROLE, "role %s may not write %s",
                   pl_role_name(a->author.role), k->name);
  return 0;
}

int pl_apply_check(pl_apply *a) {
  const pl__rule_row *k = pl__rule_of(a->entry->body_case);
  if (k == NULL)
    return pl_fail(a->msg, PL_EINVAL, "unknown entry kind");
  memset(&a->author, 0, sizeof(a->author));
  a->scratch = NULL;
  pl_txn_forbid_writes(a->txn, 1);
  int rc = a->genesis ? 0 : pl__authority(a, k);
  if (rc == 0)
    rc = k->check(a);
  pl_txn_forbid_writes(a->txn, 0);
  return rc;
}

int pl_apply_write(pl_apply *a) {
  const pl__rule_row *k = pl__rule_of(a->entry->body_case);
  if (k == NULL)
    return PL_EINTERNAL;
  /* Time passes before the entry acts: what expired by its log time goes
   * first, whatever the entry is, so a replay does the same. */
  int rc = pl_inventory_tick(a);
  return rc != 0 ? rc : k->write(a);
}

int pl_apply_genesis(const pl_key *log_key, const uint8_t admin[PL_PUBLIC_KEY_BYTES],
                     int64_t now_ms, pl_arena *arena,
                     Partsledger__V1__SignedEntry **se_out,
                     Partsledger__V1__Entry **entry_out) {
  Partsledger__V1__ActorEnrolled *b = pl_arena_alloc(arena, sizeof(*b));
  Partsledger__V1__Entry *e = pl_arena_alloc(arena, sizeof(*e));
  Partsledger__V1__SignedEntry *se = pl_arena_alloc(arena, sizeof(*se));
  uint8_t *rid = pl_arena_alloc(arena, PL_REQUEST_ID_BYTES);
  uint8_t *sig = pl_arena_alloc(arena, PL_SIGNATURE_BYTES);
  uint8_t *pk = pl_arena_dup(arena, admin, PL_PUBLIC_KEY_BYTES);
  if (b == NULL || e == NULL || se == NULL || rid == NULL || sig == NULL || pk == NULL)
    return PL_ENOMEM;
  partsledger__v1__actor_enrolled__init(b);
  partsledger__v1__entry__init(e);
  partsledger__v1__signed_entry__init(se);
  randombytes_buf(rid, PL_REQUEST_ID_BYTES);
  b->public_key.data = pk;
  b->public_key.len = PL_PUBLIC_KEY_BYTES;
  b->role = PARTSLEDGER__V1__ROLE__ROLE_ADMIN;
  b->name = "genesis admin";
  e->request_id.data = rid;
  e->request_id.len = PL_REQUEST_ID_BYTES;
  e->occurred_at_ms = now_ms;
  e->body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e->actor_enrolled = b;

  size_t len = partsledger__v1__entry__get_packed_size(e);
  uint8_t *bytes = pl_arena_alloc(arena, len);
  if (bytes == NULL)
    return PL_ENOMEM;
  partsledger__v1__entry__pack(e, bytes);
  int rc = pl_entry_sign(log_key, bytes, len, sig);
  if (rc != 0)
    return rc;
  se->entry.data = bytes;
  se->entry.len = len;
  se->signer.data = (uint8_t *)pl_key_public(log_key);
  se->signer.len = PL_PUBLIC_KEY_BYTES;
  se->signature.data = sig;
  se->signature.len = PL_SIGNATURE_BYTES;
  *se_out = se;
  *entry_out = e;
  return 0;
}
