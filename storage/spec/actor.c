/*
 * spec/actor.c - the stateless checks of the actor kinds: actor_enrolled
 * and actor_revoked. Their state rules are in state/actor.c.
 */
#include "entry.h"
#include "error.h"
#include "keys.h"
#include "kinds.h"
#include "text.h"

#define PL__NAME_MAX 128
#define PL__SITE_ID_MAX 64
#define PL__SITES_MAX 64
#define PL__REASON_MAX 512

int pl_spec_actor_enrolled(const Partsledger__V1__ActorEnrolled *b, char *msg) {
  if (b->public_key.len != PL_PUBLIC_KEY_BYTES)
    return pl_fail(msg, PL_EINVAL, "actor_enrolled: public_key must be 32 bytes");
  if (b->role <= PARTSLEDGER__V1__ROLE__ROLE_UNSPECIFIED ||
      b->role > PARTSLEDGER__V1__ROLE__ROLE_AUDITOR)
    return pl_fail(msg, PL_EINVAL, "actor_enrolled: role is missing or unknown");
  if (!pl_text_ok(b->name, 1, PL__NAME_MAX))
    return pl_fail(msg, PL_EINVAL,
                   "actor_enrolled: name must be 1-128 bytes of printable UTF-8");
  if (b->n_site_ids > PL__SITES_MAX)
    return pl_fail(msg, PL_EINVAL, "actor_enrolled: at most 64 site_ids");
  for (size_t i = 0; i < b->n_site_ids; i++)
    if (!pl_text_ok(b->site_ids[i], 1, PL__SITE_ID_MAX))
      return pl_fail(msg, PL_EINVAL,
                     "actor_enrolled: each site_id must be 1-64 bytes of printable UTF-8");
  /* A warehouse works for its sites, a repair station is one site. */
  if (b->role == PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE && b->n_site_ids == 0)
    return pl_fail(msg, PL_EINVAL, "actor_enrolled: a warehouse needs at least one site_id");
  if (b->role == PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION && b->n_site_ids != 1)
    return pl_fail(msg, PL_EINVAL,
                   "actor_enrolled: a repair station needs exactly one site_id");
  return 0;
}

int pl_spec_actor_revoked(const Partsledger__V1__ActorRevoked *b, char *msg) {
  if (b->public_key.len != PL_PUBLIC_KEY_BYTES)
    return pl_fail(msg, PL_EINVAL, "actor_revoked: public_key must be 32 bytes");
  if (!pl_text_ok(b->reason, 0, PL__REASON_MAX))
    return pl_fail(msg, PL_EINVAL,
                   "actor_revoked: reason must be at most 512 bytes of printable UTF-8");
  return 0;
}
