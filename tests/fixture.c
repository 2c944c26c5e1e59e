/*
 * fixture.c - see fixture.h.
 */
#include "fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"



pl_key *new_key(void) {
  uint8_t seed[PL_SEED_BYTES];
  pl_key *k = NULL;
  randombytes_buf(seed, sizeof(seed));
  if (pl_key_from_seed(seed, &k) != 0)
    abort();
  return k;
}

int fx_open(fixture *f) {
  pl_log_config cfg = {.dir = f->dir, .origin = ORIGIN, .log_key = f->log_key,
                       .admin_key = pl_key_public(f->admin), .map_size = 1 << 26,
                       .txn_budget = f->txn_budget};
  char why[256];
  int rc = pl_log_open(&cfg, &f->log, why, sizeof(why));
  if (rc != 0)
    fprintf(stderr, "open: %s\n", why);
  return rc;
}

int fx_init(fixture *f) {
  memset(f, 0, sizeof(*f));
  if (pl_crypto_init() != 0)
    return -1;
  snprintf(f->dir, sizeof(f->dir), "/tmp/pl-test-log-XXXXXX");
  if (mkdtemp(f->dir) == NULL)
    return -1;
  f->log_key = new_key();
  f->admin = new_key();
  f->arena = pl_arena_new(0);
  return fx_open(f);
}

void fx_done(fixture *f) {
  char cmd[128];
  pl_log_close(f->log);
  pl_key_free(f->log_key);
  pl_key_free(f->admin);
  pl_arena_free(f->arena);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* A signed entry for the writer, decoded as the server would decode it. */
pl_append *make(fixture *f, const pl_key *signer, Partsledger__V1__Entry *e) {
  pl_arena *a = f->arena;
  if (e->request_id.len == 0) {
    e->request_id.data = pl_arena_alloc(a, PL_REQUEST_ID_BYTES);
    e->request_id.len = PL_REQUEST_ID_BYTES;
    randombytes_buf(e->request_id.data, PL_REQUEST_ID_BYTES);
  }
  size_t len = partsledger__v1__entry__get_packed_size(e);
  uint8_t *bytes = pl_arena_alloc(a, len);
  partsledger__v1__entry__pack(e, bytes);
  Partsledger__V1__SignedEntry *se = pl_arena_alloc(a, sizeof(*se));
  partsledger__v1__signed_entry__init(se);
  se->entry.data = bytes;
  se->entry.len = len;
  se->signer.data = (uint8_t *)pl_key_public(signer);
  se->signer.len = PL_PUBLIC_KEY_BYTES;
  se->signature.data = pl_arena_alloc(a, PL_SIGNATURE_BYTES);
  se->signature.len = PL_SIGNATURE_BYTES;
  pl_entry_sign(signer, bytes, len, se->signature.data);

  pl_append *it = pl_arena_alloc(a, sizeof(*it));
  memset(it, 0, sizeof(*it));
  char msg[PL_MSG_MAX];
  Partsledger__V1__Entry *dec;
  if (pl_signed_entry_open(se, pl_arena_allocator(a), &dec, msg) != 0) {
    fprintf(stderr, "open: %s\n", msg);
    return NULL;
  }
  it->signed_entry = se;
  it->entry = dec;
  return it;
}

pl_append *enroll(fixture *f, const pl_key *signer, const pl_key *who,
                         Partsledger__V1__Role role) {
  Partsledger__V1__ActorEnrolled *b = pl_arena_alloc(f->arena, sizeof(*b));
  partsledger__v1__actor_enrolled__init(b);
  b->public_key.data = (uint8_t *)pl_key_public(who);
  b->public_key.len = PL_PUBLIC_KEY_BYTES;
  b->role = role;
  b->name = "someone";
  Partsledger__V1__Entry *e = pl_arena_alloc(f->arena, sizeof(*e));
  partsledger__v1__entry__init(e);
  e->body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e->actor_enrolled = b;
  return make(f, signer, e);
}

pl_append *revoke_of(fixture *f, const pl_key *signer, const pl_key *who) {
  Partsledger__V1__ActorRevoked *b = pl_arena_alloc(f->arena, sizeof(*b));
  partsledger__v1__actor_revoked__init(b);
  b->public_key.data = (uint8_t *)pl_key_public(who);
  b->public_key.len = PL_PUBLIC_KEY_BYTES;
  b->reason = "left";
  Partsledger__V1__Entry *e = pl_arena_alloc(f->arena, sizeof(*e));
  partsledger__v1__entry__init(e);
  e->body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
  e->actor_revoked = b;
  return make(f, signer, e);
}

int append1(fixture *f, pl_append *it, pl_head *head) {
  pl_append *items[1] = {it};
  int rc = pl_log_append(f->log, items, 1, head);
  return rc != 0 ? rc : it->err;
}

/* Appends `n` enrollments of fresh auditor keys, one group each. */
int append_auditors(fixture *f, int n, pl_head *head) {
  for (int i = 0; i < n; i++) {
    pl_key *k = new_key();
    int rc = append1(f, enroll(f, f->admin, k, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR), head);
    pl_key_free(k);
    if (rc != 0)
      return rc;
  }
  return 0;
}
