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
