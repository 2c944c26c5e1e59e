/*
 * spec/dispute.c - the stateless checks of the arbitration kinds
 * (panel_constituted, dispute_opened, arbitration_ruled). Their state rules
 * are in state/dispute.c.
 */
#include <string.h>

#include "entry.h"
#include "error.h"
#include "field.h"
#include "keys.h"
#include "kinds.h"

#define PL__MEMBERS_MAX 64
#define PL__EVIDENCE_MAX 16
#define PL__LONG_TEXT 4096 /* grounds and reasoning run longer than names */

int pl_spec_panel_constituted(const Partsledger__V1__PanelConstituted *b, char *msg) {
  const char *k = "panel_constituted";
  int rc;
  if ((rc = pl_field_id(k, "panel_id", b->panel_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "name", b->name, 0, 0, msg)) != 0)
    return rc;
  if (b->n_members < 1 || b->n_members > PL__MEMBERS_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: members must be 1-%d keys", k, PL__MEMBERS_MAX);
  for (size_t i = 0; i < b->n_members; i++) {
    if (b->members[i].len != PL_PUBLIC_KEY_BYTES)
      return pl_fail(msg, PL_EINVAL, "%s: members[%zu] must be a 32-byte public key", k, i);
    for (size_t j = 0; j < i; j++)
      if (memcmp(b->members[i].data, b->members[j].data, PL_PUBLIC_KEY_BYTES) == 0)
        return pl_fail(msg, PL_EINVAL, "%s: members[%zu] is listed twice", k, i);
  }
  if (b->quorum < 1 || b->quorum > b->n_members)
    return pl_fail(msg, PL_EINVAL, "%s: quorum must be 1-%zu (the number of members)", k,
                   b->n_members);
  return 0;
}

int pl_spec_dispute_opened(const Partsledger__V1__DisputeOpened *b, char *msg) {
  const char *k = "dispute_opened";
  int rc;
  if ((rc = pl_field_id(k, "claim_id", b->claim_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "panel_id", b->panel_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "grounds", b->grounds, PL__LONG_TEXT, 0, msg)) != 0)
    return rc;
  if (b->n_evidence_sha256 > PL__EVIDENCE_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: at most %d evidence hashes", k, PL__EVIDENCE_MAX);
  for (size_t i = 0; i < b->n_evidence_sha256; i++)
    if ((rc = pl_field_sha256(k, "evidence_sha256", b->evidence_sha256[i].len, 0, msg)) != 0)
      return rc;
  return 0;
}

int pl_spec_arbitration_ruled(const Partsledger__V1__ArbitrationRuled *b, char *msg) {
  const char *k = "arbitration_ruled";
  int rc;
  if ((rc = pl_field_id(k, "claim_id", b->claim_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "reasoning", b->reasoning, PL__LONG_TEXT, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "remedy", b->remedy, PL__LONG_TEXT, 0, msg)) != 0)
    return rc;
  if (b->ruling != PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD &&
      b->ruling != PARTSLEDGER__V1__RULING__RULING_REJECTION_UPHELD)
    return pl_fail(msg, PL_EINVAL, "%s: ruling is missing or unknown", k);
  return 0;
}
