/*
 * env.c - see env.h.
 */
#include "env.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int env_start(env *e) {
  memset(e, 0, sizeof(*e));
  if (pl_crypto_init() != 0 || pl_harness_start(NULL, &e->h) != 0)
    return -1;
  if (pl_client_open(pl_harness_target(e->h), &e->c) != 0)
    return -1;
  e->a = pl_arena_new(0);
  Partsledger__V1__GetLogInfoResponse *info;
  if (pl_client_get_log_info(e->c, e->a, &info) != 0)
    return -1;
  snprintf(e->vkey, sizeof(e->vkey), "%s", info->verifier_key);
  return 0;
}

void env_stop(env *e) {
  pl_client_close(e->c);
  pl_arena_free(e->a);
  pl_harness_free(e->h);
}

/* Reconnects after a restart (the port may have changed). */
int env_reconnect(env *e) {
  pl_client_close(e->c);
  return pl_client_open(pl_harness_target(e->h), &e->c);
}

pl_key *new_key(void) {
  uint8_t seed[PL_SEED_BYTES];
  pl_key *k;
  randombytes_buf(seed, sizeof(seed));
  return pl_key_from_seed(seed, &k) == 0 ? k : NULL;
}

Partsledger__V1__SignedEntry *enroll_entry(pl_arena *a, const pl_key *signer,
                                                  const uint8_t *pk, int role) {
  Partsledger__V1__ActorEnrolled *b = pl_arena_alloc(a, sizeof(*b));
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  partsledger__v1__actor_enrolled__init(b);
  partsledger__v1__entry__init(e);
  b->public_key.data = (uint8_t *)pk;
  b->public_key.len = PL_PUBLIC_KEY_BYTES;
  b->role = role;
  b->name = "integration actor";
  e->body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e->actor_enrolled = b;
  Partsledger__V1__SignedEntry *se;
  return pl_entry_build(signer, e, a, &se) == 0 ? se : NULL;
}

Partsledger__V1__SignedEntry *fresh_enroll(env *e, const pl_key *signer) {
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  randombytes_buf(pk, sizeof(pk));
  uint8_t *copy = pl_arena_dup(e->a, pk, sizeof(pk));
  return enroll_entry(e->a, signer, copy, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
}

uint64_t tree_size(env *e) {
  Partsledger__V1__GetCheckpointResponse *cp;
  if (pl_client_get_checkpoint(e->c, e->a, &cp) != 0)
    return UINT64_MAX;
  return cp->size;
}

int last_code(env *e) {
  const char *msg;
  return pl_client_last_status(e->c, &msg);
}
