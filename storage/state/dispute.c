/*
 * state/dispute.c - arbitration: the kinds panel_constituted,
 * dispute_opened and arbitration_ruled.
 *
 *   panel  panel_id -> Panel (audit.proto)
 *
 * A dispute and its ruling live in the claim's row (state/claim.c): one of
 * each per claim. A ruling needs a quorum of the panel's members among its
 * author and co-signers (whose signatures the envelope already checked):
 * distinct, and not revoked at the ruling's log time, for a revoked
 * member's signature is valid but speaks for no one now.
 */
#include <string.h>

#include "error.h"
#include "query.h"
#include "spec/field.h"
#include "state.h"

int pl_panel_get(pl_txn *t, const char *panel_id, pl_arena *arena,
                 Partsledger__V1__Panel **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, panel_id);
  return pl_row_get(t, PL_T_PANEL, &k, &partsledger__v1__panel__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_query_panel(pl_txn *t, const char *panel_id, pl_arena *a,
                   Partsledger__V1__Panel **out, char *msg) {
  int rc = pl_field_id("request", "panel_id", panel_id, 0, msg);
  if (rc == 0 && (rc = pl_panel_get(t, panel_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "panel %s is not constituted", panel_id);
  return rc;
}

/* --- panel_constituted -------------------------------------------------------- */

int pl_panel_constituted_check(pl_apply *a, const Partsledger__V1__PanelConstituted *b) {
  Partsledger__V1__Panel *old;
  char tag[17];
  int rc = pl_panel_get(a->txn, b->panel_id, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "panel %s is already constituted", b->panel_id);
  if (rc != PL_ENOTFOUND)
    return rc;
  for (size_t i = 0; i < b->n_members; i++) {
    pl_actor m;
    rc = pl_actor_get(a->txn, b->members[i].data, &m);
    if (rc == PL_ENOTFOUND)
      return pl_fail(a->msg, PL_ENOTFOUND, "member %s… is not an enrolled actor",
                     pl_key_tag(b->members[i].data, tag));
    if (rc != 0)
      return rc;
    if (m.revoked)
      return pl_fail(a->msg, PL_ESTATE, "member %s… has been revoked",
                     pl_key_tag(b->members[i].data, tag));
    if (m.role != PARTSLEDGER__V1__ROLE__ROLE_ARBITER)
      return pl_fail(a->msg, PL_ESTATE, "member %s… is a %s, not an arbiter",
                     pl_key_tag(b->members[i].data, tag), pl_role_name(m.role));
  }
  return 0;
}

int pl_panel_constituted_write(pl_apply *a, const Partsledger__V1__PanelConstituted *b) {
  Partsledger__V1__Panel p = PARTSLEDGER__V1__PANEL__INIT;
  p.panel_id = b->panel_id;
  p.name = b->name;
  p.n_members = b->n_members;
  p.members = b->members;
  p.quorum = b->quorum;
  p.constituted_index = a->index;
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, b->panel_id);
  return pl_row_put(a->txn, PL_T_PANEL, &k, &p.base, a->arena);
}

/* --- dispute_opened -------------------------------------------------------------- */

int pl_dispute_opened_check(pl_apply *a, const Partsledger__V1__DisputeOpened *b) {
  Partsledger__V1__Claim *c;
  Partsledger__V1__Panel *p;
  int rc = pl_claim_get(a->txn, b->claim_id, a->arena, &c);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "claim %s does not exist", b->claim_id);
  if (rc != 0 || (rc = pl_actor_require_site(a, c->site_id)) != 0)
    return rc;
  if (c->dispute_index != 0)
    return pl_fail(a->msg, PL_EEXIST, "claim %s is disputed already, at index %llu",
                   b->claim_id, (unsigned long long)c->dispute_index);
  if ((rc = pl_panel_get(a->txn, b->panel_id, a->arena, &p)) == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "panel %s is not constituted", b->panel_id);
  if (rc != 0)
    return rc;
  if (c->decision != PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED)
    return pl_fail(a->msg, PL_ESTATE, "claim %s is %s: only a rejected claim is disputed",
                   b->claim_id,
                   c->decision == PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
                       ? "approved"
                       : "not decided yet");
  a->scratch = c;
  return 0;
}

int pl_dispute_opened_write(pl_apply *a, const Partsledger__V1__DisputeOpened *b) {
  Partsledger__V1__Claim *c = a->scratch;
  c->panel_id = b->panel_id;
  c->dispute_index = a->index;
  c->state = PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_DISPUTED;
  return pl_claim_put(a, c);
}

/* --- arbitration_ruled ------------------------------------------------------------ */

static int pl__member(const Partsledger__V1__Panel *p, const uint8_t *key) {
  for (size_t i = 0; i < p->n_members; i++)
    if (memcmp(p->members[i].data, key, PL_PUBLIC_KEY_BYTES) == 0)
      return 1;
  return 0;
}

int pl_arbitration_ruled_check(pl_apply *a, const Partsledger__V1__ArbitrationRuled *b) {
  Partsledger__V1__Claim *c;
  Partsledger__V1__Panel *p;
  char tag[17];
  int rc = pl_claim_get(a->txn, b->claim_id, a->arena, &c);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "claim %s does not exist", b->claim_id);
  if (rc != 0)
    return rc;
  if (c->dispute_index == 0)
    return pl_fail(a->msg, PL_ESTATE, "claim %s is not disputed", b->claim_id);
  if ((rc = pl_panel_get(a->txn, c->panel_id, a->arena, &p)) != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  /* Everyone who signed must sit on the panel. */
  if (!pl__member(p, a->signer))
    return pl_fail(a->msg, PL_EROLE, "signer %s… is not a member of panel %s",
                   pl_key_tag(a->signer, tag), p->panel_id);
  const Partsledger__V1__SignedEntry *se = a->signed_entry;
  for (size_t i = 0; i < se->n_cosignatures; i++)
    if (!pl__member(p, se->cosignatures[i]->signer.data))
      return pl_fail(a->msg, PL_EROLE, "co-signer %s… is not a member of panel %s",
                     pl_key_tag(se->cosignatures[i]->signer.data, tag), p->panel_id);
  if (c->ruling_index != 0)
    return pl_fail(a->msg, PL_ESTATE, "the dispute on claim %s was ruled on already, at "
                   "index %llu", b->claim_id, (unsigned long long)c->ruling_index);
  /* The author passed the signer checks, so counts; co-signers count while
   * enrolled and not revoked. The envelope made them distinct. */
  uint32_t counted = 1;
  for (size_t i = 0; i < se->n_cosignatures; i++) {
    pl_actor m;
    rc = pl_actor_get(a->txn, se->cosignatures[i]->signer.data, &m);
    if (rc != 0 && rc != PL_ENOTFOUND)
      return rc;
    counted += rc == 0 && !m.revoked;
  }
  if (counted < p->quorum)
    return pl_fail(a->msg, PL_ESTATE, "%u of %zu members needed, %u signed", p->quorum,
                   p->n_members, counted);
  a->scratch = c;
  return 0;
}

int pl_arbitration_ruled_write(pl_apply *a, const Partsledger__V1__ArbitrationRuled *b) {
  Partsledger__V1__Claim *c = a->scratch;
  c->ruling = b->ruling;
  c->ruling_index = a->index;
  /* An upheld claim counts as approved; an upheld rejection ends the
   * dispute, rejected. */
  c->state = b->ruling == PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD
                 ? PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_APPROVED
                 : PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_REJECTED;
  return pl_claim_put(a, c);
}
