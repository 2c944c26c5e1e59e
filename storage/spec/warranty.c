/*
 * spec/warranty.c - the stateless checks of the repair and warranty kinds
 * (policies, devices, extensions, repair orders, replacements, claims and
 * decisions). Their state rules are in state/warranty.c, state/repair.c and
 * state/claim.c.
 */
#include <string.h>

#include "entry.h"
#include "error.h"
#include "field.h"
#include "kinds.h"

#define PL__TERMS_MAX 64
#define PL__EVIDENCE_MAX 16
#define PL__MONTHS_MAX 1200

int pl_spec_warranty_policy_published(const Partsledger__V1__WarrantyPolicyPublished *b,
                                      char *msg) {
  const char *k = "warranty_policy_published";
  int rc;
  if ((rc = pl_field_id(k, "policy_id", b->policy_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "model", b->model, 0, 1, msg)) != 0)
    return rc;
  if (b->registration_window_days > 3650)
    return pl_fail(msg, PL_EINVAL, "%s: registration_window_days is at most 3650", k);
  if (b->max_extension_months > PL__MONTHS_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: max_extension_months is at most %d", k,
                   PL__MONTHS_MAX);
  if (b->n_terms > PL__TERMS_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: at most %d terms", k, PL__TERMS_MAX);
  for (size_t i = 0; i < b->n_terms; i++) {
    const Partsledger__V1__ComponentTerm *t = b->terms[i];
    if ((rc = pl_field_id(k, "terms.component", t->component, 0, msg)) != 0 ||
        (rc = pl_field_text(k, "terms.usage_unit", t->usage_unit, 0, 0, msg)) != 0)
      return rc;
    if (t->months < 1 || t->months > PL__MONTHS_MAX)
      return pl_fail(msg, PL_EINVAL, "%s: terms.months must be 1-%d (component %s)", k,
                     PL__MONTHS_MAX, t->component);
    for (size_t j = 0; j < i; j++)
      if (strcmp(b->terms[j]->component, t->component) == 0)
        return pl_fail(msg, PL_EINVAL, "%s: component %s has two terms", k, t->component);
  }
  return 0;
}

int pl_spec_device_registered(const Partsledger__V1__DeviceRegistered *b, char *msg) {
  const char *k = "device_registered";
  int rc;
  if ((rc = pl_field_id(k, "device_serial", b->device_serial, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "model", b->model, 0, 1, msg)) != 0 ||
      (rc = pl_field_id(k, "policy_id", b->policy_id, 0, msg)) != 0 ||
      (rc = pl_field_sha256(k, "owner_ref", b->owner_ref.len, 1, msg)) != 0)
    return rc;
  if (b->purchased_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: purchased_at_ms is required", k);
  if (b->n_parts > PL_DEVICE_PARTS_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: at most %d parts", k, PL_DEVICE_PARTS_MAX);
  for (size_t i = 0; i < b->n_parts; i++) {
    const Partsledger__V1__InstalledPart *p = b->parts[i];
    if ((rc = pl_field_id(k, "parts.component", p->component, 0, msg)) != 0 ||
        (rc = pl_field_id(k, "parts.part_serial", p->part_serial, 0, msg)) != 0 ||
        (rc = pl_field_id(k, "parts.batch_id", p->batch_id, 0, msg)) != 0)
      return rc;
    for (size_t j = 0; j < i; j++) {
      if (strcmp(b->parts[j]->component, p->component) == 0)
        return pl_fail(msg, PL_EINVAL, "%s: component %s is listed twice", k, p->component);
      if (strcmp(b->parts[j]->part_serial, p->part_serial) == 0)
        return pl_fail(msg, PL_EINVAL, "%s: part %s is listed twice", k, p->part_serial);
    }
  }
  return 0;
}

int pl_spec_warranty_extended(const Partsledger__V1__WarrantyExtended *b, char *msg) {
  const char *k = "warranty_extended";
  int rc;
  if ((rc = pl_field_id(k, "device_serial", b->device_serial, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "component", b->component, 1, msg)) != 0 ||
      (rc = pl_field_text(k, "contract_ref", b->contract_ref, 0, 0, msg)) != 0)
    return rc;
  if (b->months < 1 || b->months > PL__MONTHS_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: months must be 1-%d", k, PL__MONTHS_MAX);
  return 0;
}

int pl_spec_repair_order_opened(const Partsledger__V1__RepairOrderOpened *b, char *msg) {
  const char *k = "repair_order_opened";
  int rc;
  if ((rc = pl_field_id(k, "order_id", b->order_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "device_serial", b->device_serial, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "site_id", b->site_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "fault", b->fault, 0, 0, msg)) != 0)
    return rc;
  if (b->priority <= PARTSLEDGER__V1__PRIORITY__PRIORITY_UNSPECIFIED ||
      b->priority > PARTSLEDGER__V1__PRIORITY__PRIORITY_P3)
    return pl_fail(msg, PL_EINVAL, "%s: priority is missing or unknown", k);
  if (b->reported_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: reported_at_ms is required", k);
  return 0;
}

int pl_spec_repair_order_responded(const Partsledger__V1__RepairOrderResponded *b,
                                   char *msg) {
  const char *k = "repair_order_responded";
  int rc = pl_field_id(k, "order_id", b->order_id, 0, msg);
  if (rc != 0)
    return rc;
  if (b->responded_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: responded_at_ms is required", k);
  return 0;
}

int pl_spec_part_replaced(const Partsledger__V1__PartReplaced *b, char *msg) {
  const char *k = "part_replaced";
  int rc;
  if ((rc = pl_field_id(k, "order_id", b->order_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "component", b->component, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "removed_serial", b->removed_serial, 1, msg)) != 0 ||
      (rc = pl_field_id(k, "installed_serial", b->installed_serial, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "installed_batch_id", b->installed_batch_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "reservation_id", b->reservation_id, 1, msg)) != 0)
    return rc;
  if (strcmp(b->removed_serial, b->installed_serial) == 0)
    return pl_fail(msg, PL_EINVAL, "%s: installed_serial must differ from removed_serial",
                   k);
  if (b->n_evidence_sha256 > PL__EVIDENCE_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: at most %d evidence hashes", k, PL__EVIDENCE_MAX);
  for (size_t i = 0; i < b->n_evidence_sha256; i++)
    if ((rc = pl_field_sha256(k, "evidence_sha256", b->evidence_sha256[i].len, 0, msg)) != 0)
      return rc;
  return 0;
}

int pl_spec_repair_order_closed(const Partsledger__V1__RepairOrderClosed *b, char *msg) {
  const char *k = "repair_order_closed";
  int rc;
  if ((rc = pl_field_id(k, "order_id", b->order_id, 0, msg)) != 0 ||
      (rc = pl_field_sha256(k, "customer_acceptance_sha256",
                            b->customer_acceptance_sha256.len, 1, msg)) != 0)
    return rc;
  if (b->outcome <= PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_UNSPECIFIED ||
      b->outcome > PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_CANCELLED)
    return pl_fail(msg, PL_EINVAL, "%s: outcome is missing or unknown", k);
  if (b->resolved_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: resolved_at_ms is required", k);
  if (b->first_visit_fix && b->outcome != PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED)
    return pl_fail(msg, PL_EINVAL, "%s: first_visit_fix goes with outcome FIXED only", k);
  return 0;
}

int pl_spec_claim_filed(const Partsledger__V1__ClaimFiled *b, char *msg) {
  const char *k = "claim_filed";
  int rc;
  if ((rc = pl_field_id(k, "claim_id", b->claim_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "device_serial", b->device_serial, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "order_id", b->order_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "component", b->component, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "description", b->description, 0, 0, msg)) != 0)
    return rc;
  if (b->failure_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: failure_at_ms is required", k);
  return 0;
}

int pl_spec_claim_decided(const Partsledger__V1__ClaimDecided *b, char *msg) {
  const char *k = "claim_decided";
  int rc;
  if ((rc = pl_field_id(k, "claim_id", b->claim_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "note", b->note, 0, 0, msg)) != 0)
    return rc;
  int approved = b->decision == PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED;
  int rejected = b->decision == PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED;
  if (!approved && !rejected)
    return pl_fail(msg, PL_EINVAL, "%s: decision is missing or unknown", k);
  if (b->reason <= PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNSPECIFIED ||
      b->reason > PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_OTHER)
    return pl_fail(msg, PL_EINVAL, "%s: reason is missing or unknown", k);
  int approving = b->reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM ||
                  b->reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_GOODWILL;
  if (approved != approving)
    return pl_fail(msg, PL_EINVAL, "%s: %s takes %s", k, approved ? "APPROVED" : "REJECTED",
                   approved ? "IN_TERM or GOODWILL only" : "a reason other than IN_TERM or "
                                                           "GOODWILL");
  if (b->reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_OTHER &&
      b->note[0] == '\0')
    return pl_fail(msg, PL_EINVAL, "%s: reason OTHER needs a note", k);
  return 0;
}
