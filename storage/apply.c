/*
 * kinds.c - the entry kinds: who may sign each, what makes it well-formed,
 * and what it changes in the derived state.
 *
 * One row of pl__kinds per oneof case of Entry.body. A new kind is a new row
 * with its check (stateless, run on the gRPC worker before the writer) and
 * its apply (run by the writer inside the entry's own nested transaction).
 * Depends on log.c for state access only through pl__state_get/put.
 */
#include "apply.h"
#include "entry.h"
#include "kinds.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "text.h"
#include "wire.h"
#include "partsledger/v1/state.pb-c.h"

#define PL__NAME_MAX 128
#define PL__SITE_ID_MAX 64
#define PL__SITES_MAX 64
#define PL__REASON_MAX 512

typedef int (*pl__apply_fn)(pl__wctx *w, const Partsledger__V1__Entry *e,
                            char *msg);


typedef struct {
  Partsledger__V1__Entry__BodyCase body;
  const char *name;
  uint32_t roles; /* bit per Role that may sign this kind */
  pl__apply_fn apply;
} pl__kind;

static int pl__fail(char *msg, int err, const char *fmt, const char *arg) {
  snprintf(msg, PL_MSG_MAX, fmt, arg);
  return err;
}

/* Short hex prefix of a key, for messages. */
static const char *pl__key_tag(const uint8_t *pk, char buf[17]) {
  return pl_hex_encode(pk, 8, buf);
}

static int pl__actor_get(pl__wctx *w, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                         Partsledger__State__V1__ActorRecord **out) {
  const void *v;
  size_t len;
  int rc = pl__state_get(w, PL__T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, &v, &len);
  if (rc != 0)
    return rc;
  *out = partsledger__state__v1__actor_record__unpack(pl_arena_allocator(w->arena),
                                                      len, v);
  return *out != NULL ? 0 : PL_ECORRUPT;
}

static int pl__actor_put(pl__wctx *w, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                         const Partsledger__State__V1__ActorRecord *rec) {
  size_t len = partsledger__state__v1__actor_record__get_packed_size(rec);
  uint8_t *buf = pl_arena_alloc(w->arena, len ? len : 1);
  if (buf == NULL)
    return PL_ENOMEM;
  partsledger__state__v1__actor_record__pack(rec, buf);
  return pl__state_put(w, PL__T_ACTOR, pk, PL_PUBLIC_KEY_BYTES, buf, len);
}

/* --- actor_enrolled ----------------------------------------------------- */

static int pl__enrolled_apply(pl__wctx *w, const Partsledger__V1__Entry *e,
                              char *msg) {
  const Partsledger__V1__ActorEnrolled *b = e->actor_enrolled;
  Partsledger__State__V1__ActorRecord *old;
  char tag[17];
  int rc = pl__actor_get(w, b->public_key.data, &old);
  if (rc == 0)
    return pl__fail(msg, old->revoked ? PL_ESTATE : PL_EEXIST,
                    old->revoked ? "key %s… was revoked: enroll a new key"
                                 : "key %s… is already enrolled",
                    pl__key_tag(b->public_key.data, tag));
  if (rc != PL_ENOTFOUND)
    return rc;

  Partsledger__State__V1__ActorRecord rec = PARTSLEDGER__STATE__V1__ACTOR_RECORD__INIT;
  rec.role = b->role;
  rec.name = b->name;
  rec.n_site_ids = b->n_site_ids;
  rec.site_ids = b->site_ids;
  rec.enrolled_index = w->index;
  return pl__actor_put(w, b->public_key.data, &rec);
}

/* --- actor_revoked ------------------------------------------------------ */

static int pl__revoked_apply(pl__wctx *w, const Partsledger__V1__Entry *e,
                             char *msg) {
  const Partsledger__V1__ActorRevoked *b = e->actor_revoked;
  Partsledger__State__V1__ActorRecord *rec;
  char tag[17];
  /* Revoking oneself could leave the log with no admin at all; every other
   * admin can still be revoked by a remaining one. */
  if (memcmp(b->public_key.data, w->signer, PL_PUBLIC_KEY_BYTES) == 0)
    return pl__fail(msg, PL_ESTATE, "%s: an admin cannot revoke itself",
                    "actor_revoked");
  int rc = pl__actor_get(w, b->public_key.data, &rec);
  if (rc == PL_ENOTFOUND)
    return pl__fail(msg, PL_ENOTFOUND, "key %s… is not enrolled",
                    pl__key_tag(b->public_key.data, tag));
  if (rc != 0)
    return rc;
  if (rec->revoked)
    return pl__fail(msg, PL_ESTATE, "key %s… is already revoked",
                    pl__key_tag(b->public_key.data, tag));
  rec->revoked = 1;
  rec->revoked_index = w->index;
  return pl__actor_put(w, b->public_key.data, rec);
}

/* --- the table ---------------------------------------------------------- */

static const pl__kind pl__kinds[] = {
    {PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED, "actor_enrolled",
     PL_ROLE_BIT(ADMIN), pl__enrolled_apply},
    {PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED, "actor_revoked",
     PL_ROLE_BIT(ADMIN), pl__revoked_apply},
};

static const pl__kind *pl__kind_find(Partsledger__V1__Entry__BodyCase body) {
  for (size_t i = 0; i < sizeof(pl__kinds) / sizeof(pl__kinds[0]); i++)
    if (pl__kinds[i].body == body)
      return &pl__kinds[i];
  return NULL;
}

int pl__entry_apply(pl__wctx *w, const Partsledger__V1__Entry *e, char *msg) {
  const pl__kind *k = pl__kind_find(e->body_case);
  char tag[17];
  if (k == NULL)
    return pl__fail(msg, PL_EINVAL, "%s", "unknown entry kind");
  if (!w->genesis) {
    Partsledger__State__V1__ActorRecord *signer;
    int rc = pl__actor_get(w, w->signer, &signer);
    if (rc == PL_ENOTFOUND)
      return pl__fail(msg, PL_ESIGNER, "signer %s… is not an enrolled actor",
                      pl__key_tag(w->signer, tag));
    if (rc != 0)
      return rc;
    if (signer->revoked)
      return pl__fail(msg, PL_EREVOKED, "signer %s… has been revoked",
                      pl__key_tag(w->signer, tag));
    if (signer->role < 0 || signer->role >= 32 ||
        !(k->roles & (1u << signer->role))) {
      snprintf(msg, PL_MSG_MAX, "role %s may not write %s",
               pl_role_name(signer->role), k->name);
      return PL_EROLE;
    }
  }
  return k->apply(w, e, msg);
}
