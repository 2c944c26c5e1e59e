/*
 * env.h - what the integration tests share: a real partsledgerd started by
 * the harness (harness.h) with a client connected to it, and entries made
 * and signed through the client library.
 */
#ifndef PL_TEST_ENV_H
#define PL_TEST_ENV_H

#include <stdint.h>

#include "client.h"
#include "harness.h"
#include "note.h"

typedef struct {
  pl_harness *h;
  pl_client *c;
  pl_arena *a;
  char vkey[PL_VKEY_MAX];
} env;

/* Starts a server and connects; 0 or -1. */
int env_start(env *e);
void env_stop(env *e);
/* Reconnects after a restart (the port may have changed). */
int env_reconnect(env *e);
/* A new random key, or NULL. */
pl_key *new_key(void);
/* A signed ActorEnrolled of `pk` with `role`, in `a`. */
Partsledger__V1__SignedEntry *enroll_entry(pl_arena *a, const pl_key *signer,
                                           const uint8_t *pk, int role);
/* A signed enrollment of a fresh random key as an auditor. */
Partsledger__V1__SignedEntry *fresh_enroll(env *e, const pl_key *signer);
/* The current tree size, or UINT64_MAX. */
uint64_t tree_size(env *e);
/* The gRPC status of the client's last call. */
int last_code(env *e);

#endif /* PL_TEST_ENV_H */
