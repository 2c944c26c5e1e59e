/*
 * claims.c - see claims.h.
 */
#include "claims.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "clock.h"
#include "entry.h"

/* Allocates *b in the arena and runs the message's init on it; 0 when out of
 * memory. */
#define CL__NEW(a, b, init)                                                    \
  (((b) = pl_arena_alloc((a), sizeof(*(b)))) != NULL ? (init(b), 1) : 0)

/* --- signing and sending ----------------------------------------------------- */

Partsledger__V1__SignedEntry *cl_sign(pl_arena *a, const pl_key *k,
                                      const ProtobufCMessage *body) {
  if (body == NULL)
    return NULL;
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  if (e == NULL)
    return NULL;
  partsledger__v1__entry__init(e);
  /* The oneof member whose type is the body's. */
  const ProtobufCMessageDescriptor *d = &partsledger__v1__entry__descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE ||
        f->descriptor != body->descriptor)
      continue;
    *(uint32_t *)((char *)e + f->quantifier_offset) = f->id;
    *(const ProtobufCMessage **)((char *)e + f->offset) = body;
    Partsledger__V1__SignedEntry *se;
    return pl_entry_build(k, e, a, &se) == 0 ? se : NULL;
  }
  return NULL;
}

int cl_send(cl_world *w, const Partsledger__V1__SignedEntry *se, uint64_t *index) {
  return inv_send(CL_ENV(w)->c, CL_ENV(w)->a, se, index);
}

int cl_put(cl_world *w, const pl_key *k, const ProtobufCMessage *body, uint64_t *index) {
  return cl_send(w, cl_sign(CL_ENV(w)->a, k, body), index);
}

/* --- bodies ------------------------------------------------------------------ */

Partsledger__V1__WarrantyPolicyPublished *cl_policy_body(pl_arena *a, const char *policy_id) {
  Partsledger__V1__WarrantyPolicyPublished *b;
  Partsledger__V1__ComponentTerm *t = pl_arena_alloc(a, 2 * sizeof(*t));
  Partsledger__V1__ComponentTerm **terms = pl_arena_alloc(a, 2 * sizeof(*terms));
  if (t == NULL || terms == NULL ||
      !CL__NEW(a, b, partsledger__v1__warranty_policy_published__init))
    return NULL;
  partsledger__v1__component_term__init(&t[0]);
  partsledger__v1__component_term__init(&t[1]);
  t[0].component = CL_COMPRESSOR;
  t[0].months = 24;
  t[0].usage_limit = 5000;
  t[0].usage_unit = "hours";
  t[1].component = CL_FAN;
  t[1].months = 12;
  terms[0] = &t[0];
  terms[1] = &t[1];
  b->policy_id = (char *)policy_id;
  b->model = CL_MODEL;
  b->registration_window_days = 30;
  b->terms = terms;
  b->n_terms = 2;
  b->max_extension_months = 12;
  return b;
}

Partsledger__V1__DeviceRegistered *cl_device_body(pl_arena *a, const char *serial,
                                                  int64_t purchased_at,
                                                  const char *compressor,
                                                  const char *fan) {
  Partsledger__V1__DeviceRegistered *b;
  Partsledger__V1__InstalledPart *p = pl_arena_alloc(a, 2 * sizeof(*p));
  Partsledger__V1__InstalledPart **parts = pl_arena_alloc(a, 2 * sizeof(*parts));
  if (p == NULL || parts == NULL || !CL__NEW(a, b, partsledger__v1__device_registered__init))
    return NULL;
  partsledger__v1__installed_part__init(&p[0]);
  partsledger__v1__installed_part__init(&p[1]);
  p[0].component = CL_COMPRESSOR;
  p[0].part_serial = (char *)compressor;
  p[0].batch_id = CL_BATCH_COMP;
  p[1].component = CL_FAN;
  p[1].part_serial = (char *)fan;
  p[1].batch_id = CL_BATCH_FAN;
  parts[0] = &p[0];
  parts[1] = &p[1];
  b->device_serial = (char *)serial;
  b->model = CL_MODEL;
  b->policy_id = CL_POLICY;
  b->purchased_at_ms = purchased_at;
  b->parts = parts;
  b->n_parts = 2;
  return b;
}

Partsledger__V1__WarrantyExtended *cl_extended_body(pl_arena *a, const char *serial,
                                                    const char *component, uint32_t months) {
  Partsledger__V1__WarrantyExtended *b;
  if (!CL__NEW(a, b, partsledger__v1__warranty_extended__init))
    return NULL;
  b->device_serial = (char *)serial;
  b->component = (char *)component;
  b->months = months;
  b->contract_ref = "care-plus 2025/118";
  return b;
}

Partsledger__V1__RepairOrderOpened *cl_order_body(pl_arena *a, const char *order_id,
                                                  const char *serial, const char *site_id,
                                                  int64_t reported_at, uint64_t reading) {
  Partsledger__V1__RepairOrderOpened *b;
  if (!CL__NEW(a, b, partsledger__v1__repair_order_opened__init))
    return NULL;
  b->order_id = (char *)order_id;
  b->device_serial = (char *)serial;
  b->site_id = (char *)site_id;
  b->priority = PARTSLEDGER__V1__PRIORITY__PRIORITY_P2;
  b->fault = "not cooling, compressor clicks";
  b->reported_at_ms = reported_at;
  b->usage_reading = reading;
  return b;
}

Partsledger__V1__RepairOrderResponded *cl_responded_body(pl_arena *a, const char *order_id,
                                                         int64_t at) {
  Partsledger__V1__RepairOrderResponded *b;
  if (!CL__NEW(a, b, partsledger__v1__repair_order_responded__init))
    return NULL;
  b->order_id = (char *)order_id;
  b->responded_at_ms = at;
  return b;
}

Partsledger__V1__PartReplaced *cl_replaced_body(pl_arena *a, const char *order_id,
                                                const char *component, const char *removed,
                                                const char *installed, const char *batch_id,
                                                const char *reservation_id) {
  Partsledger__V1__PartReplaced *b;
  if (!CL__NEW(a, b, partsledger__v1__part_replaced__init))
    return NULL;
  b->order_id = (char *)order_id;
  b->component = (char *)component;
  b->removed_serial = (char *)removed;
  b->installed_serial = (char *)installed;
  b->installed_batch_id = (char *)batch_id;
  if (reservation_id != NULL)
    b->reservation_id = (char *)reservation_id;
  return b;
}

Partsledger__V1__RepairOrderClosed *cl_closed_body(pl_arena *a, const char *order_id,
                                                   int64_t at) {
  Partsledger__V1__RepairOrderClosed *b;
  if (!CL__NEW(a, b, partsledger__v1__repair_order_closed__init))
    return NULL;
  b->order_id = (char *)order_id;
  b->outcome = PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED;
  b->resolved_at_ms = at;
  return b;
}

Partsledger__V1__ClaimFiled *cl_claim_body(pl_arena *a, const char *claim_id,
                                           const char *serial, const char *order_id,
                                           const char *component, int64_t failure_at,
                                           uint64_t reading) {
  Partsledger__V1__ClaimFiled *b;
  if (!CL__NEW(a, b, partsledger__v1__claim_filed__init))
    return NULL;
  b->claim_id = (char *)claim_id;
  b->device_serial = (char *)serial;
  b->order_id = (char *)order_id;
  b->component = (char *)component;
  b->failure_at_ms = failure_at;
  b->usage_reading = reading;
  b->description = "compressor seized; no sign of misuse";
  return b;
}

Partsledger__V1__ClaimDecided *cl_decided_body(pl_arena *a, const char *claim_id,
                                               int decision, int reason) {
  Partsledger__V1__ClaimDecided *b;
  if (!CL__NEW(a, b, partsledger__v1__claim_decided__init))
    return NULL;
  b->claim_id = (char *)claim_id;
  b->decision = decision;
  b->reason = reason;
  b->note = reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE
                ? "dent on the compressor housing: dropped in transport"
                : "";
  return b;
}

/* --- steps -------------------------------------------------------------------- */

/* Appends and says on stderr which step failed. */
static int cl__step(cl_world *w, const char *what, const pl_key *k,
                    const ProtobufCMessage *body) {
  int code = cl_put(w, k, body, NULL);
  if (code != OK)
    fprintf(stderr, "%s: status %d: %s\n", what, code, inv_msg(CL_ENV(w)));
  return code;
}

#define CL__BASE(b) ((b) != NULL ? &(b)->base : NULL)

int cl_claim(cl_world *w, const char *serial, const char *order, const char *claim,
             int reason) {
  pl_arena *a = CL_ENV(w)->a;
  int64_t now = pl_now_ms();
  const char *comp = pl_arena_printf(a, "%s-C", serial);
  const char *fan = pl_arena_printf(a, "%s-F", serial);
  int code;
  if ((code = cl__step(w, "device_registered", w->w.maker,
                       CL__BASE(cl_device_body(a, serial, w->t0 - 10 * PL_DAY_MS, comp,
                                               fan)))) != OK ||
      (code = cl__step(w, "repair_order_opened", w->w.station,
                       CL__BASE(cl_order_body(a, order, serial, SITE_C, now - PL_HOUR_MS,
                                              1200)))) != OK ||
      (code = cl__step(w, "repair_order_responded", w->w.station,
                       CL__BASE(cl_responded_body(a, order, now - PL_HOUR_MS / 2)))) != OK ||
      (code = cl__step(w, "claim_filed", w->w.station,
                       CL__BASE(cl_claim_body(a, claim, serial, order, CL_COMPRESSOR,
                                              now - 2 * PL_HOUR_MS, 1190)))) != OK)
    return code;
  if (reason == 0)
    return OK;
  int approve = reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM ||
                reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_GOODWILL;
  return cl__step(w, "claim_decided", w->w.maker,
                  CL__BASE(cl_decided_body(
                      a, claim,
                      approve ? PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
                              : PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED,
                      reason)));
}

int cl_panel(cl_world *w, const char *panel_id, pl_key *const *members, size_t n,
             uint32_t quorum) {
  pl_arena *a = CL_ENV(w)->a;
  uint8_t(*keys)[PL_PUBLIC_KEY_BYTES] = pl_arena_alloc(a, (n ? n : 1) * PL_PUBLIC_KEY_BYTES);
  if (keys == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    memcpy(keys[i], pl_key_public(members != NULL ? members[i] : w->arb[i]),
           PL_PUBLIC_KEY_BYTES);
  Partsledger__V1__Entry *e;
  Partsledger__V1__SignedEntry *se;
  if (pl_build_panel_constituted(a, panel_id, "Cooling appliances panel",
                                 (const uint8_t(*)[PL_PUBLIC_KEY_BYTES])keys, n, quorum,
                                 &e) != 0 ||
      pl_entry_build(w->w.admin, e, a, &se) != 0)
    return -1;
  return cl_send(w, se, NULL);
}

int cl_dispute(cl_world *w, const pl_key *k, const char *claim, const char *panel_id) {
  pl_arena *a = CL_ENV(w)->a;
  uint8_t evidence[2][32];
  memset(evidence[0], 0xab, 32);
  memset(evidence[1], 0xcd, 32);
  Partsledger__V1__Entry *e;
  Partsledger__V1__SignedEntry *se;
  if (pl_build_dispute_opened(a, claim, panel_id,
                              "The dent is from the installation two years earlier; the "
                              "compressor failed of a worn valve <see photos & report>",
                              (const uint8_t(*)[32])evidence, 2, &e) != 0 ||
      pl_entry_build(k, e, a, &se) != 0)
    return -1;
  return cl_send(w, se, NULL);
}

Partsledger__V1__SignedEntry *cl_ruling(pl_arena *a, const pl_key *author,
                                        pl_key *const *cosigners, size_t n,
                                        const char *claim, int ruling) {
  Partsledger__V1__Entry *e;
  Partsledger__V1__SignedEntry *se;
  if (pl_build_arbitration_ruled(a, claim, ruling,
                                 "The housing damage predates the failure and did not "
                                 "cause it; the valve wear is a manufacturing defect.",
                                 "Replace the compressor under warranty.", &e) != 0 ||
      pl_entry_build(author, e, a, &se) != 0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (pl_entry_cosign(cosigners[i], se, a) != 0)
      return NULL;
  return se;
}

int cl_revoke(cl_world *w, const pl_key *k) {
  Partsledger__V1__Entry *e;
  Partsledger__V1__SignedEntry *se;
  pl_arena *a = CL_ENV(w)->a;
  if (pl_build_actor_revoked(a, pl_key_public(k), "left the panel", &e) != 0 ||
      pl_entry_build(w->w.admin, e, a, &se) != 0)
    return -1;
  return cl_send(w, se, NULL);
}

/* --- queries ------------------------------------------------------------------ */

static int cl__call(cl_world *w, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *d, void **out) {
  ProtobufCMessage *resp = NULL;
  *out = NULL;
  if (pl_client_call(CL_ENV(w)->c, method, req, d, CL_ENV(w)->a, &resp) != 0)
    return last_code(CL_ENV(w));
  *out = resp;
  return OK;
}

int cl_get_claim(cl_world *w, const char *claim_id, Partsledger__V1__Claim **out) {
  Partsledger__V1__GetClaimRequest req = PARTSLEDGER__V1__GET_CLAIM_REQUEST__INIT;
  req.claim_id = (char *)claim_id;
  return cl__call(w, "/partsledger.v1.Warranty/GetClaim", &req.base,
                  &partsledger__v1__claim__descriptor, (void **)out);
}

int cl_status(cl_world *w, const char *serial, const char *component, int64_t at,
              Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusRequest req =
      PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
  req.device_serial = (char *)serial;
  req.component = (char *)component;
  req.at_ms = at;
  return cl__call(w, "/partsledger.v1.Warranty/GetWarrantyStatus", &req.base,
                  &partsledger__v1__get_warranty_status_response__descriptor,
                  (void **)out);
}

int cl_report(cl_world *w, const char *site_id, int64_t from, int64_t to,
              Partsledger__V1__StationReportResponse **out) {
  Partsledger__V1__StationReportRequest req = PARTSLEDGER__V1__STATION_REPORT_REQUEST__INIT;
  req.site_id = (char *)site_id;
  req.from_ms = from;
  req.to_ms = to;
  return cl__call(w, "/partsledger.v1.Warranty/StationReport", &req.base,
                  &partsledger__v1__station_report_response__descriptor, (void **)out);
}

int cl_get_panel(cl_world *w, const char *panel_id, Partsledger__V1__Panel **out) {
  return pl_client_get_panel(CL_ENV(w)->c, panel_id, CL_ENV(w)->a, out) == 0
             ? OK
             : last_code(CL_ENV(w));
}

/* --- the world ------------------------------------------------------------------ */

pl_key *cl_enroll(cl_world *w, int role, const char *const *sites, const char *name,
                  const char *path) {
  pl_key *k = NULL;
  if (path != NULL ? pl_key_generate_file(path, &k) != 0 : (k = new_key()) == NULL)
    return NULL;
  size_t n = 0;
  while (sites != NULL && sites[n] != NULL)
    n++;
  Partsledger__V1__Entry *e;
  Partsledger__V1__SignedEntry *se;
  pl_arena *a = CL_ENV(w)->a;
  if (pl_build_actor_enrolled(a, pl_key_public(k), role, name, (char *const *)sites, n,
                              &e) != 0 ||
      pl_entry_build(w->w.admin, e, a, &se) != 0 || cl_send(w, se, NULL) != OK) {
    fprintf(stderr, "enrolling %s failed: %s\n", name, inv_msg(CL_ENV(w)));
    pl_key_free(k);
    return NULL;
  }
  return k;
}

void cl_world_stop(cl_world *w) {
  pl_key_free(w->station2);
  for (int i = 0; i < CL_ARBITERS; i++)
    pl_key_free(w->arb[i]);
  inv_world_stop(&w->w);
  memset(w, 0, sizeof(*w));
}

int cl_world_start(cl_world *w) {
  memset(w, 0, sizeof(*w));
  w->t0 = pl_now_ms();
  if (inv_world_start(&w->w) != 0)
    return -1;
  env *e = CL_ENV(w);
  static const char *const station2_sites[] = {SITE_B, NULL};
  static const char *const names[CL_ARBITERS] = {
      "Anna Keller, manufacturers' association", "Ben Ortiz, consumer council",
      "Chiara Rossi, repair trade guild", "Dmitri Volkov, independent engineer"};
  if ((w->station2 = cl_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION,
                               station2_sites, "Augsburg repair point", NULL)) == NULL)
    return -1;
  for (int i = 0; i < CL_ARBITERS; i++)
    if ((w->arb[i] = cl_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_ARBITER, NULL, names[i],
                               NULL)) == NULL)
      return -1;
  int code;
  if ((code = inv_stocked(&w->w, CL_BATCH_COMP, CL_SKU_COMP, 1000, SITE_C, 0)) != OK ||
      (code = inv_stocked(&w->w, CL_BATCH_FAN, CL_SKU_FAN, 1000, SITE_C, 0)) != OK ||
      (code = inv_stocked(&w->w, CL_BATCH_SPARE, CL_SKU_COMP, 100, SITE_C, 10)) != OK ||
      (code = inv_stocked(&w->w, CL_BATCH_FAN2, CL_SKU_FAN, 100, SITE_C, 10)) != OK) {
    fprintf(stderr, "stocking the batches: status %d: %s\n", code, inv_msg(e));
    return -1;
  }
  if (cl__step(w, "warranty_policy_published", w->w.maker,
               CL__BASE(cl_policy_body(e->a, CL_POLICY))) != OK)
    return -1;
  return 0;
}

/* --- the CLI ------------------------------------------------------------------- */

int cl_cli(cl_world *w, const char **out, const char **err, const char *first, ...) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = PL_CLI_BIN;
  argv[n++] = "--server";
  argv[n++] = pl_harness_target(CL_ENV(w)->h);
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s != NULL && n < 63; s = va_arg(ap, const char *))
    argv[n++] = s;
  va_end(ap);
  argv[n] = NULL;
  char *o = NULL, *e = NULL;
  int code = pl_run(argv, NULL, 120000, &o, &e);
  pl_arena *a = CL_ENV(w)->a;
  if (out != NULL)
    *out = pl_arena_printf(a, "%s", o != NULL ? o : "");
  if (err != NULL)
    *err = pl_arena_printf(a, "%s", e != NULL ? e : "");
  free(o);
  free(e);
  return code;
}

const char *cl_path(cl_world *w, const char *name) {
  return pl_harness_path(CL_ENV(w)->h, name);
}
