/*
 * build.c - the entry builders: one function per entry kind that returns an
 * Entry ready for pl_entry_build; see client.h.
 *
 * Every writer of entries (the CLI's commands, tests, benchmarks) builds
 * them here, so that a kind's fields are filled in one place. Each builder
 * copies what it is given into the caller's arena, so the Entry may outlive
 * the caller's own buffers (option strings, stack keys) as long as the arena
 * lives. A new kind adds its builder below its family's.
 *
 * May depend on: the generated protobuf code and the storage/ headers
 * arena.h, error.h, keys.h. No network and no gRPC.
 */
#include <string.h>

#include "client.h"

/* A new Entry of `body_case`, with nothing else set. */
static Partsledger__V1__Entry *pl__entry_new(pl_arena *a,
                                             Partsledger__V1__Entry__BodyCase body) {
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  if (e != NULL) {
    partsledger__v1__entry__init(e);
    e->body_case = body;
  }
  return e;
}

/* Copies a key into the arena as a bytes field. 0 or -1. */
static int pl__key_dup(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                       ProtobufCBinaryData *out) {
  out->data = pl_arena_dup(a, pk, PL_PUBLIC_KEY_BYTES);
  out->len = out->data != NULL ? PL_PUBLIC_KEY_BYTES : 0;
  return out->data != NULL ? 0 : -1;
}

static char *pl__str_dup(pl_arena *a, const char *s) {
  return pl_arena_dup(a, s, strlen(s) + 1);
}

/* ---- actors ---- */

int pl_build_actor_enrolled(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                            int role, const char *name, char *const *site_ids,
                            size_t n_site_ids, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || name == NULL || (site_ids == NULL && n_site_ids > 0))
    return PL_EINVAL;
  for (size_t i = 0; i < n_site_ids; i++)
    if (site_ids[i] == NULL)
      return PL_EINVAL;
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED);
  Partsledger__V1__ActorEnrolled *ae = pl_arena_alloc(a, sizeof(*ae));
  if (e == NULL || ae == NULL)
    return PL_ENOMEM;
  partsledger__v1__actor_enrolled__init(ae);
  ae->role = (Partsledger__V1__Role)role;
  ae->name = pl__str_dup(a, name);
  if (pl__key_dup(a, pk, &ae->public_key) != 0 || ae->name == NULL)
    return PL_ENOMEM;
  if (n_site_ids > 0) {
    ae->site_ids = pl_arena_alloc(a, n_site_ids * sizeof(*ae->site_ids));
    if (ae->site_ids == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < n_site_ids; i++)
      if ((ae->site_ids[i] = pl__str_dup(a, site_ids[i])) == NULL)
        return PL_ENOMEM;
    ae->n_site_ids = n_site_ids;
  }
  e->actor_enrolled = ae;
  *out = e;
  return 0;
}

int pl_build_actor_revoked(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                           const char *reason, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || reason == NULL)
    return PL_EINVAL;
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED);
  Partsledger__V1__ActorRevoked *ar = pl_arena_alloc(a, sizeof(*ar));
  if (e == NULL || ar == NULL)
    return PL_ENOMEM;
  partsledger__v1__actor_revoked__init(ar);
  ar->reason = pl__str_dup(a, reason);
  if (pl__key_dup(a, pk, &ar->public_key) != 0 || ar->reason == NULL)
    return PL_ENOMEM;
  e->actor_revoked = ar;
  *out = e;
  return 0;
}

/* ---- arbitration ---- */

/* Copies `n` 32-byte values (keys, SHA-256 hashes) into a repeated bytes
 * field. 0 or PL_ENOMEM. */
static int pl__bytes32_dup(pl_arena *a, const uint8_t (*v)[32], size_t n,
                           ProtobufCBinaryData **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (n == 0)
    return 0;
  ProtobufCBinaryData *d = pl_arena_alloc(a, n * sizeof(*d));
  if (d == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    d[i].data = pl_arena_dup(a, v[i], 32);
    d[i].len = 32;
    if (d[i].data == NULL)
      return PL_ENOMEM;
  }
  *out = d;
  *n_out = n;
  return 0;
}

int pl_build_panel_constituted(pl_arena *a, const char *panel_id, const char *name,
                               const uint8_t (*members)[PL_PUBLIC_KEY_BYTES],
                               size_t n_members, uint32_t quorum,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (panel_id == NULL || name == NULL || (members == NULL && n_members > 0))
    return PL_EINVAL;
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED);
  Partsledger__V1__PanelConstituted *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__panel_constituted__init(b);
  b->panel_id = pl__str_dup(a, panel_id);
  b->name = pl__str_dup(a, name);
  b->quorum = quorum;
  if (b->panel_id == NULL || b->name == NULL ||
      pl__bytes32_dup(a, members, n_members, &b->members, &b->n_members) != 0)
    return PL_ENOMEM;
  e->panel_constituted = b;
  *out = e;
  return 0;
}

int pl_build_dispute_opened(pl_arena *a, const char *claim_id, const char *panel_id,
                            const char *grounds, const uint8_t (*evidence)[32],
                            size_t n_evidence, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || panel_id == NULL || grounds == NULL ||
      (evidence == NULL && n_evidence > 0))
    return PL_EINVAL;
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED);
  Partsledger__V1__DisputeOpened *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__dispute_opened__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->panel_id = pl__str_dup(a, panel_id);
  b->grounds = pl__str_dup(a, grounds);
  if (b->claim_id == NULL || b->panel_id == NULL || b->grounds == NULL ||
      pl__bytes32_dup(a, evidence, n_evidence, &b->evidence_sha256,
                      &b->n_evidence_sha256) != 0)
    return PL_ENOMEM;
  e->dispute_opened = b;
  *out = e;
  return 0;
}

int pl_build_arbitration_ruled(pl_arena *a, const char *claim_id, int ruling,
                               const char *reasoning, const char *remedy,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || reasoning == NULL || remedy == NULL)
    return PL_EINVAL;
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED);
  Partsledger__V1__ArbitrationRuled *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__arbitration_ruled__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->ruling = (Partsledger__V1__Ruling)ruling;
  b->reasoning = pl__str_dup(a, reasoning);
  b->remedy = pl__str_dup(a, remedy);
  if (b->claim_id == NULL || b->reasoning == NULL || b->remedy == NULL)
    return PL_ENOMEM;
  e->arbitration_ruled = b;
  *out = e;
  return 0;
}
