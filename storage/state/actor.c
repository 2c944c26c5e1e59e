/*
 * state/actor.c - who may sign: the actor kinds (actor_enrolled,
 * actor_revoked) and the tables they keep.
 *
 *   actor       public key -> role (1) || revoked (1) || enrolled index (8)
 *               || revoked index (8), big-endian. Small on purpose: every
 *               entry reads its signer's row, and enrolments of random keys
 *               dirty one random page each, so more rows a page is fewer
 *               pages a commit. Names stay in the enrolment leaf.
 *   actor_site  public key || site_id -> "": the sites a warehouse or
 *               repair station works for.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "state.h"

#define PL__ACTOR_ROW 18
#define PL__SITE_KEY_MAX (PL_PUBLIC_KEY_BYTES + 256)

const char *pl_key_tag(const uint8_t *pk, char buf[17]) {
  return pl_hex_encode(pk, 8, buf);
}

int pl_actor_get(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES], pl_actor *out) {
  pl_val v;
  int rc = pl_db_get(t, PL_T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, &v);
  if (rc != 0)
    return rc;
  if (v.len != PL__ACTOR_ROW)
    return PL_ECORRUPT;
  const uint8_t *p = v.data;
  out->role = p[0];
  out->revoked = p[1];
  out->enrolled_index = pl_be64_get(p + 2);
  out->revoked_index = pl_be64_get(p + 10);
  return 0;
}

static int pl__actor_put(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                         const pl_actor *a) {
  uint8_t row[PL__ACTOR_ROW];
  row[0] = (uint8_t)a->role;
  row[1] = (uint8_t)(a->revoked != 0);
  pl_be64_put(row + 2, a->enrolled_index);
  pl_be64_put(row + 10, a->revoked_index);
  return pl_db_put(t, PL_T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, row, sizeof(row), 0);
}

static size_t pl__site_key(uint8_t out[PL__SITE_KEY_MAX],
                           const uint8_t pk[PL_PUBLIC_KEY_BYTES], const char *site) {
  size_t n = strlen(site);
  if (n > PL__SITE_KEY_MAX - PL_PUBLIC_KEY_BYTES)
    n = PL__SITE_KEY_MAX - PL_PUBLIC_KEY_BYTES; /* longer than any valid id */
  memcpy(out, pk, PL_PUBLIC_KEY_BYTES);
  memcpy(out + PL_PUBLIC_KEY_BYTES, site, n);
  return PL_PUBLIC_KEY_BYTES + n;
}

int pl_actor_bound(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                   const char *site_id) {
  uint8_t key[PL__SITE_KEY_MAX];
  pl_val v;
  int rc = pl_db_get(t, PL_T_ACTOR_SITE, key, pl__site_key(key, pk, site_id), &v);
  if (rc == PL_ENOTFOUND)
    return 0;
  return rc == 0 ? 1 : rc;
}

int pl_actor_require_site(pl_apply *a, const char *site_id) {
  int rc = pl_actor_bound(a->txn, a->signer, site_id);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return pl_fail(a->msg, PL_EROLE, "signer is not bound to site %s", site_id);
  return 0;
}

/* --- actor_enrolled ----------------------------------------------------- */

int pl_actor_enrolled_check(pl_apply *a, const Partsledger__V1__ActorEnrolled *b) {
  pl_actor old;
  char tag[17];
  int rc = pl_actor_get(a->txn, b->public_key.data, &old);
  if (rc == 0)
    return old.revoked ? pl_fail(a->msg, PL_ESTATE,
                                 "key %s… was revoked: enroll a new key",
                                 pl_key_tag(b->public_key.data, tag))
                       : pl_fail(a->msg, PL_EEXIST, "key %s… is already enrolled",
                                 pl_key_tag(b->public_key.data, tag));
  return rc == PL_ENOTFOUND ? 0 : rc;
}

int pl_actor_enrolled_write(pl_apply *a, const Partsledger__V1__ActorEnrolled *b) {
  pl_actor row = {.role = b->role, .enrolled_index = a->index};
  int rc = pl__actor_put(a->txn, b->public_key.data, &row);
  for (size_t i = 0; rc == 0 && i < b->n_site_ids; i++) {
    uint8_t key[PL__SITE_KEY_MAX];
    rc = pl_db_put(a->txn, PL_T_ACTOR_SITE, key,
                   pl__site_key(key, b->public_key.data, b->site_ids[i]), "", 0, 0);
  }
  return rc;
}

/* --- actor_revoked ------------------------------------------------------ */

int pl_actor_revoked_check(pl_apply *a, const Partsledger__V1__ActorRevoked *b) {
  pl_actor row;
  char tag[17];
  /* Revoking oneself could leave the log with no admin at all; every other
   * admin can still be revoked by a remaining one. */
  if (memcmp(b->public_key.data, a->signer, PL_PUBLIC_KEY_BYTES) == 0)
    return pl_fail(a->msg, PL_ESTATE, "actor_revoked: an admin cannot revoke itself");
  int rc = pl_actor_get(a->txn, b->public_key.data, &row);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "key %s… is not enrolled",
                   pl_key_tag(b->public_key.data, tag));
  if (rc != 0)
    return rc;
  if (row.revoked)
    return pl_fail(a->msg, PL_ESTATE, "key %s… is already revoked",
                   pl_key_tag(b->public_key.data, tag));
  return 0;
}

int pl_actor_revoked_write(pl_apply *a, const Partsledger__V1__ActorRevoked *b) {
  pl_actor row;
  int rc = pl_actor_get(a->txn, b->public_key.data, &row);
  if (rc != 0)
    return rc;
  row.revoked = 1;
  row.revoked_index = a->index;
  return pl__actor_put(a->txn, b->public_key.data, &row);
}
