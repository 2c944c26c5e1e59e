/*
 * state/claim.c - warranty claims and honest decisions: the kinds
 * claim_filed and claim_decided, and the tables they keep:
 *
 *   claim            claim -> Claim, its decision (and dispute) included
 *   claim_component  device, component, claim -> "": the claims that may
 *                    void a component (state/warranty.c)
 *   claim_order      order, claim -> "": a station's claims (StationReport)
 *
 * A decision whose reason is a fact of the ledger (IN_TERM, OUT_OF_TERM,
 * USAGE_EXCEEDED, NOT_REGISTERED, LATE_REGISTRATION, NOT_COVERED) must
 * agree with the status the ledger computes at the claim's failure time,
 * with its reading; GOODWILL and the exclusions are the manufacturer's
 * judgment, which a dispute may test.
 */
#include <string.h>

#include "error.h"
#include "rules.h"
#include "state.h"

int pl_claim_get(pl_txn *t, const char *claim_id, pl_arena *arena,
                 Partsledger__V1__Claim **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, claim_id);
  return pl_row_get(t, PL_T_CLAIM, &k, &partsledger__v1__claim__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_claim_put(pl_apply *a, const Partsledger__V1__Claim *c) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, c->claim_id);
  return pl_row_put(a->txn, PL_T_CLAIM, &k, &c->base, a->arena);
}

/* --- claim_filed -------------------------------------------------------------- */

int pl_claim_filed_check(pl_apply *a, const Partsledger__V1__ClaimFiled *b) {
  Partsledger__V1__Claim *old;
  Partsledger__V1__RepairOrder *o;
  int rc = pl_claim_get(a->txn, b->claim_id, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "claim %s already exists", b->claim_id);
  if (rc != PL_ENOTFOUND)
    return rc;
  rc = pl_order_get(a->txn, b->order_id, a->arena, &o);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "repair order %s does not exist", b->order_id);
  if (rc != 0 || (rc = pl_actor_require_site(a, o->site_id)) != 0)
    return rc;
  if (strcmp(o->device_serial, b->device_serial) != 0)
    return pl_fail(a->msg, PL_ESTATE, "repair order %s is for device %s, not %s",
                   b->order_id, o->device_serial, b->device_serial);
  if (b->failure_at_ms > a->at_ms)
    return pl_fail(a->msg, PL_EINVAL,
                   "claim_filed: failure_at_ms (%lld) is after the log time (%lld)",
                   (long long)b->failure_at_ms, (long long)a->at_ms);
  a->scratch = o;
  return 0;
}

int pl_claim_filed_write(pl_apply *a, const Partsledger__V1__ClaimFiled *b) {
  Partsledger__V1__RepairOrder *o = a->scratch;
  Partsledger__V1__Claim c = PARTSLEDGER__V1__CLAIM__INIT;
  c.claim_id = b->claim_id;
  c.device_serial = b->device_serial;
  c.order_id = b->order_id;
  c.component = b->component;
  c.usage_reading = b->usage_reading;
  c.failure_at_ms = b->failure_at_ms;
  c.description = b->description;
  c.filed_index = a->index;
  c.state = PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_FILED;
  c.site_id = o->site_id;
  int rc = pl_claim_put(a, &c);
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(pl_kb_str(pl_kb_str(&k, b->device_serial), b->component), b->claim_id);
  if (rc == 0)
    rc = pl_kv_put(a->txn, PL_T_CLAIM_COMPONENT, &k, "", 0);
  pl_kb_init(&k);
  pl_kb_str(pl_kb_str(&k, b->order_id), b->claim_id);
  if (rc == 0)
    rc = pl_kv_put(a->txn, PL_T_CLAIM_ORDER, &k, "", 0);
  if (rc == 0)
    rc = pl_reading_put(a, b->device_serial, b->failure_at_ms, b->usage_reading);
  if (rc == 0)
    rc = pl_device_fact(a, b->device_serial, "claim_filed", o->site_id, "", b->component);
  return rc;
}

/* --- claim_decided -------------------------------------------------------------- */

int pl_claim_decided_check(pl_apply *a, const Partsledger__V1__ClaimDecided *b) {
  Partsledger__V1__Claim *c;
  int rc = pl_claim_get(a->txn, b->claim_id, a->arena, &c);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "claim %s does not exist", b->claim_id);
  if (rc != 0)
    return rc;
  if (c->decided_index != 0 ||
      c->decision != PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_UNSPECIFIED)
    return pl_fail(a->msg, PL_ESTATE, "claim %s was decided already, at index %llu",
                   b->claim_id, (unsigned long long)c->decided_index);
  int stated = pl_rule_reason_status(b->reason);
  if (stated != 0) {
    Partsledger__V1__GetWarrantyStatusResponse *st;
    if ((rc = pl_warranty_status(a->txn, c->device_serial, c->component, c->failure_at_ms,
                                 c->usage_reading, a->arena, &st)) != 0)
      return rc;
    if ((int)st->status != stated)
      return pl_fail(a->msg, PL_ESTATE,
                     "the ledger's warranty status of %s %s at the failure (%lld) is %s, "
                     "not %s", c->device_serial, c->component, (long long)c->failure_at_ms,
                     pl_rule_status_name(st->status), pl_rule_status_name(stated));
  }
  a->scratch = c;
  return 0;
}

int pl_claim_decided_write(pl_apply *a, const Partsledger__V1__ClaimDecided *b) {
  Partsledger__V1__Claim *c = a->scratch;
  c->decision = b->decision;
  c->reason = b->reason;
  c->note = b->note;
  c->decided_index = a->index;
  c->state = b->decision == PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
                 ? PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_APPROVED
                 : PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_REJECTED;
  int rc = pl_claim_put(a, c);
  if (rc == 0)
    rc = pl_device_fact(a, c->device_serial, "claim_decided", c->site_id, "", c->component);
  return rc;
}
