/*
 * state/state.h - what the state modules share: the context of one entry
 * being applied, each kind's rules (check) and effects (write), and the
 * actor lookups every family uses for its signers.
 *
 * One file per family of kinds (actor.c, later site, inventory, geo,
 * repair, warranty, dispute) holds its kinds' check and write functions and
 * its queries over a read snapshot. A check reads and never writes (the
 * transaction refuses writes while it runs, db.h), so an entry a rule
 * refuses leaves nothing behind; its write then only writes. Both judge
 * time by the entry's own log time (at_ms), never the clock, so a rebuild
 * from the leaves gives the same state.
 *
 * Depends on db.h, entry.h and the generated protobuf code.
 */
#ifndef PL_STATE_H
#define PL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "entry.h"
#include "keys.h"
#include "kinds.h"

/* An enrolled key, as the actor table holds it. */
typedef struct {
  int role;               /* a Role value */
  int revoked;
  uint64_t enrolled_index; /* the leaf that enrolled it */
  uint64_t revoked_index;  /* the leaf that revoked it, when revoked */
} pl_actor;

/* One entry being applied, inside the writer's transaction. */
typedef struct {
  pl_txn *txn;
  pl_arena *arena; /* the entry's: reset after it */
  const Partsledger__V1__SignedEntry *signed_entry; /* co-signers too */
  const Partsledger__V1__Entry *entry;
  uint64_t index;   /* the leaf index it gets */
  int64_t at_ms;    /* its log time (Leaf.integrated_at_ms), fixed before */
  int genesis;      /* the log's first leaf, signed by the log key */
  const uint8_t *signer; /* PL_PUBLIC_KEY_BYTES */
  pl_actor author;  /* the signer's row, read before the kind's check */
  void *scratch;    /* a kind's check leaves here what its write needs */
  char *msg;        /* PL_MSG_MAX: why a check refused the entry */
} pl_apply;

/* The state functions of each kind in kinds.h, typed by its body. */
#define PL__STATE_DECL(CASE, name, Type, roles)                                \
  int pl_##name##_check(pl_apply *a, const Partsledger__V1__##Type *b);        \
  int pl_##name##_write(pl_apply *a, const Partsledger__V1__##Type *b);
PL_KINDS(PL__STATE_DECL)
#undef PL__STATE_DECL

/* --- actors (state/actor.c) --- */

/* The actor row of a key. 0 or PL_ENOTFOUND. */
int pl_actor_get(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES], pl_actor *out);

/* 1 when the key was enrolled for `site_id`, 0 when not, or an error. */
int pl_actor_bound(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                   const char *site_id);

/* The check every site-bound kind makes of its signer: bound to `site_id`,
 * or PL_EROLE with a message naming the site. */
int pl_actor_require_site(pl_apply *a, const char *site_id);

/* Short hex prefix of a key for messages ("3f9a0c2d1b7e4455"). */
const char *pl_key_tag(const uint8_t *pk, char buf[17]);

#endif /* PL_STATE_H */
