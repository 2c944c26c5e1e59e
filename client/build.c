/*
 * build.c - the entry builders: one function per entry kind that returns an
 * Entry ready for pl_entry_build; see client.h.
 *
 * Every writer of entries (the CLI's commands, tests, benchmarks) builds
 * them here, so that a kind's fields are filled in one place. Each builder
 * copies what it is given into the caller's arena, so the Entry may outlive
 * the caller's own buffers (option strings, stack keys) as long as the arena
 * lives. A new kind adds its builder below its family's.
 *
 * May depend on: the generated protobuf code and the storage/ headers
 * arena.h, error.h, keys.h. No network and no gRPC.
 */
#include <string.h>

#include "client.h"

/* Every string and byte string is copied into the arena; NULL for a string
 * is PL_EINVAL ("" is how an optional one is left out, as on the wire). */

/* A new Entry of `body_case`, with nothing else set. */
static Partsledger__V1__Entry *pl__entry_new(pl_arena *a,
                                             Partsledger__V1__Entry__BodyCase body) {
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  if (e != NULL) {
    partsledger__v1__entry__init(e);
    e->body_case = body;
  }
  return e;
}

static char *pl__str_dup(pl_arena *a, const char *s) {
  return pl_arena_dup(a, s, strlen(s) + 1);
}

/* Copies `n` bytes into the arena as a bytes field; empty when n is 0. 0 or
 * -1. */
static int pl__bytes_dup(pl_arena *a, const uint8_t *p, size_t n,
                         ProtobufCBinaryData *out) {
  out->len = 0;
  out->data = NULL;
  if (n == 0)
    return 0;
  if ((out->data = pl_arena_dup(a, p, n)) == NULL)
    return -1;
  out->len = n;
  return 0;
}

/* Copies `n` strings into the arena; 0, PL_EINVAL for a NULL one, PL_ENOMEM. */
static int pl__strs_dup(pl_arena *a, char *const *in, size_t n, char ***out,
                        size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (n == 0)
    return 0;
  if (in == NULL)
    return PL_EINVAL;
  char **v = pl_arena_alloc(a, n * sizeof(*v));
  if (v == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (in[i] == NULL)
      return PL_EINVAL;
    if ((v[i] = pl__str_dup(a, in[i])) == NULL)
      return PL_ENOMEM;
  }
  *out = v;
  *n_out = n;
  return 0;
}

/* The builders' shorthand. Each returns PL_ENOMEM from the builder (whose
 * arena is `a`) when the arena is full. */

/* Declares `e` of `CASE` with its body `b` of `Type` (lower_name for the
 * init function), allocated and initialized. */
#define PL__BODY(CASE, Type, lower, b)                                         \
  Partsledger__V1__Entry *e =                                                  \
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_##CASE);                   \
  Partsledger__V1__##Type *b = pl_arena_alloc(a, sizeof(*b));                  \
  if (e == NULL || b == NULL)                                                  \
    return PL_ENOMEM;                                                          \
  partsledger__v1__##lower##__init(b)

/* Sets `p` to a new, initialized sub-message (lower_name for its init). */
#define PL__NEW(p, lower)                                                      \
  do {                                                                         \
    if (((p) = pl_arena_alloc(a, sizeof(*(p)))) == NULL)                       \
      return PL_ENOMEM;                                                        \
    partsledger__v1__##lower##__init(p);                                       \
  } while (0)

/* Copies `src` into the string field `dst`. */
#define PL__DUP(dst, src)                                                      \
  do {                                                                         \
    if (((dst) = pl__str_dup(a, (src))) == NULL)                               \
      return PL_ENOMEM;                                                        \
  } while (0)

/* Copies `n` bytes from `src` into the bytes field `dst`. */
#define PL__BYTES(dst, src, n)                                                 \
  do {                                                                         \
    if (pl__bytes_dup(a, (src), (n), &(dst)) != 0)                             \
      return PL_ENOMEM;                                                        \
  } while (0)

/* Makes room for `n` elements in the repeated field `field` of `b` and sets
 * its count; left empty when n is 0. */
#define PL__LIST(b, field, n)                                                  \
  do {                                                                         \
    if ((n) > 0 &&                                                             \
        ((b)->field = pl_arena_alloc(a, (n) * sizeof(*(b)->field))) == NULL)   \
      return PL_ENOMEM;                                                        \
    (b)->n_##field = (n);                                                      \
  } while (0)

/* ---- actors ---- */

int pl_build_actor_enrolled(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                            int role, const char *name, char *const *site_ids,
                            size_t n_site_ids, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || name == NULL)
    return PL_EINVAL;
  PL__BODY(ACTOR_ENROLLED, ActorEnrolled, actor_enrolled, b);
  b->role = (Partsledger__V1__Role)role;
  PL__DUP(b->name, name);
  PL__BYTES(b->public_key, pk, PL_PUBLIC_KEY_BYTES);
  int rc = pl__strs_dup(a, site_ids, n_site_ids, &b->site_ids, &b->n_site_ids);
  if (rc != 0)
    return rc;
  e->actor_enrolled = b;
  *out = e;
  return 0;
}

int pl_build_actor_revoked(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                           const char *reason, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || reason == NULL)
    return PL_EINVAL;
  PL__BODY(ACTOR_REVOKED, ActorRevoked, actor_revoked, b);
  PL__DUP(b->reason, reason);
  PL__BYTES(b->public_key, pk, PL_PUBLIC_KEY_BYTES);
  e->actor_revoked = b;
  *out = e;
  return 0;
}

/* ---- inventory ---- */

int pl_build_site_registered(pl_arena *a, const char *site_id, int kind,
                             const char *name, const char *region,
                             double latitude, double longitude, const char *gln,
                             Partsledger__V1__Entry **out) {
  *out = NULL;
  if (site_id == NULL || name == NULL || region == NULL || gln == NULL)
    return PL_EINVAL;
  PL__BODY(SITE_REGISTERED, SiteRegistered, site_registered, b);
  b->kind = (Partsledger__V1__SiteKind)kind;
  b->latitude = latitude;
  b->longitude = longitude;
  PL__DUP(b->site_id, site_id);
  PL__DUP(b->name, name);
  PL__DUP(b->region, region);
  PL__DUP(b->gln, gln);
  e->site_registered = b;
  *out = e;
  return 0;
}

int pl_build_supplier_registered(pl_arena *a, const char *supplier_id,
                                 const char *name, int certified,
                                 const char *gln,
                                 Partsledger__V1__Entry **out) {
  *out = NULL;
  if (supplier_id == NULL || name == NULL || gln == NULL)
    return PL_EINVAL;
  PL__BODY(SUPPLIER_REGISTERED, SupplierRegistered, supplier_registered, b);
  b->certified = certified != 0;
  PL__DUP(b->supplier_id, supplier_id);
  PL__DUP(b->name, name);
  PL__DUP(b->gln, gln);
  e->supplier_registered = b;
  *out = e;
  return 0;
}

int pl_build_batch_registered(pl_arena *a, const char *batch_id,
                              const char *supplier_id, const char *sku,
                              const char *gtin, int part_class,
                              uint32_t warranty_months, int64_t produced_at_ms,
                              uint64_t quantity, char *const *serials,
                              size_t n_serials, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (batch_id == NULL || supplier_id == NULL || sku == NULL || gtin == NULL)
    return PL_EINVAL;
  PL__BODY(BATCH_REGISTERED, BatchRegistered, batch_registered, b);
  b->part_class = (Partsledger__V1__PartClass)part_class;
  b->warranty_months = warranty_months;
  b->produced_at_ms = produced_at_ms;
  b->quantity = quantity;
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->supplier_id, supplier_id);
  PL__DUP(b->sku, sku);
  PL__DUP(b->gtin, gtin);
  int rc = pl__strs_dup(a, serials, n_serials, &b->serials, &b->n_serials);
  if (rc != 0)
    return rc;
  e->batch_registered = b;
  *out = e;
  return 0;
}

int pl_build_stock_received(pl_arena *a, const char *site_id,
                            const char *batch_id, uint64_t quantity,
                            const char *reference,
                            Partsledger__V1__Entry **out) {
  *out = NULL;
  if (site_id == NULL || batch_id == NULL || reference == NULL)
    return PL_EINVAL;
  PL__BODY(STOCK_RECEIVED, StockReceived, stock_received, b);
  b->quantity = quantity;
  PL__DUP(b->site_id, site_id);
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->reference, reference);
  e->stock_received = b;
  *out = e;
  return 0;
}

int pl_build_stock_transferred(pl_arena *a, const char *from_site_id,
                               const char *to_site_id, const char *batch_id,
                               uint64_t quantity, const char *reference,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (from_site_id == NULL || to_site_id == NULL || batch_id == NULL ||
      reference == NULL)
    return PL_EINVAL;
  PL__BODY(STOCK_TRANSFERRED, StockTransferred, stock_transferred, b);
  b->quantity = quantity;
  PL__DUP(b->from_site_id, from_site_id);
  PL__DUP(b->to_site_id, to_site_id);
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->reference, reference);
  e->stock_transferred = b;
  *out = e;
  return 0;
}

int pl_build_stock_adjusted(pl_arena *a, const char *site_id,
                            const char *batch_id, int64_t delta, int reason,
                            const char *note, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (site_id == NULL || batch_id == NULL || note == NULL)
    return PL_EINVAL;
  PL__BODY(STOCK_ADJUSTED, StockAdjusted, stock_adjusted, b);
  b->delta = delta;
  b->reason = (Partsledger__V1__AdjustReason)reason;
  PL__DUP(b->site_id, site_id);
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->note, note);
  e->stock_adjusted = b;
  *out = e;
  return 0;
}

int pl_build_part_reserved(pl_arena *a, const char *reservation_id,
                           const char *site_id, const char *sku,
                           uint64_t quantity, const char *batch_id,
                           const char *repair_order_id, int64_t expires_at_ms,
                           Partsledger__V1__Entry **out) {
  *out = NULL;
  if (reservation_id == NULL || site_id == NULL || sku == NULL ||
      batch_id == NULL || repair_order_id == NULL)
    return PL_EINVAL;
  PL__BODY(PART_RESERVED, PartReserved, part_reserved, b);
  b->quantity = quantity;
  b->expires_at_ms = expires_at_ms;
  PL__DUP(b->reservation_id, reservation_id);
  PL__DUP(b->site_id, site_id);
  PL__DUP(b->sku, sku);
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->repair_order_id, repair_order_id);
  e->part_reserved = b;
  *out = e;
  return 0;
}

int pl_build_reservation_released(pl_arena *a, const char *reservation_id,
                                  const char *reason,
                                  Partsledger__V1__Entry **out) {
  *out = NULL;
  if (reservation_id == NULL || reason == NULL)
    return PL_EINVAL;
  PL__BODY(RESERVATION_RELEASED, ReservationReleased, reservation_released, b);
  PL__DUP(b->reservation_id, reservation_id);
  PL__DUP(b->reason, reason);
  e->reservation_released = b;
  *out = e;
  return 0;
}

int pl_build_reservation_fulfilled(pl_arena *a, const char *reservation_id,
                                   const char *batch_id, uint64_t quantity,
                                   Partsledger__V1__Entry **out) {
  *out = NULL;
  if (reservation_id == NULL || batch_id == NULL)
    return PL_EINVAL;
  PL__BODY(RESERVATION_FULFILLED, ReservationFulfilled, reservation_fulfilled,
           b);
  b->quantity = quantity;
  PL__DUP(b->reservation_id, reservation_id);
  PL__DUP(b->batch_id, batch_id);
  e->reservation_fulfilled = b;
  *out = e;
  return 0;
}

int pl_build_batch_recalled(pl_arena *a, const char *batch_id,
                            const char *reason, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (batch_id == NULL || reason == NULL)
    return PL_EINVAL;
  PL__BODY(BATCH_RECALLED, BatchRecalled, batch_recalled, b);
  PL__DUP(b->batch_id, batch_id);
  PL__DUP(b->reason, reason);
  e->batch_recalled = b;
  *out = e;
  return 0;
}

/* ---- repair orders and warranty (kinds 40-48) ---- */

int pl_build_warranty_policy_published(
    pl_arena *a, const char *policy_id, const char *model,
    uint32_t registration_window_days,
    const Partsledger__V1__ComponentTerm *terms, size_t n_terms,
    uint32_t max_extension_months, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (policy_id == NULL || model == NULL || (terms == NULL && n_terms > 0))
    return PL_EINVAL;
  for (size_t i = 0; i < n_terms; i++)
    if (terms[i].component == NULL || terms[i].usage_unit == NULL)
      return PL_EINVAL;
  PL__BODY(WARRANTY_POLICY_PUBLISHED, WarrantyPolicyPublished, warranty_policy_published,
           b);
  b->registration_window_days = registration_window_days;
  b->max_extension_months = max_extension_months;
  PL__DUP(b->policy_id, policy_id);
  PL__DUP(b->model, model);
  PL__LIST(b, terms, n_terms);
  for (size_t i = 0; i < n_terms; i++) {
    Partsledger__V1__ComponentTerm *t;
    PL__NEW(t, component_term);
    t->months = terms[i].months;
    t->usage_limit = terms[i].usage_limit;
    PL__DUP(t->component, terms[i].component);
    PL__DUP(t->usage_unit, terms[i].usage_unit);
    b->terms[i] = t;
  }
  e->warranty_policy_published = b;
  *out = e;
  return 0;
}

int pl_build_device_registered(pl_arena *a, const char *device_serial,
                               const char *model, const char *policy_id,
                               int64_t purchased_at_ms,
                               const uint8_t *owner_ref, size_t owner_ref_len,
                               const Partsledger__V1__InstalledPart *parts,
                               size_t n_parts, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (device_serial == NULL || model == NULL || policy_id == NULL ||
      (owner_ref == NULL && owner_ref_len > 0) ||
      (parts == NULL && n_parts > 0))
    return PL_EINVAL;
  for (size_t i = 0; i < n_parts; i++)
    if (parts[i].component == NULL || parts[i].part_serial == NULL ||
        parts[i].batch_id == NULL)
      return PL_EINVAL;
  PL__BODY(DEVICE_REGISTERED, DeviceRegistered, device_registered, b);
  b->purchased_at_ms = purchased_at_ms;
  PL__DUP(b->device_serial, device_serial);
  PL__DUP(b->model, model);
  PL__DUP(b->policy_id, policy_id);
  PL__BYTES(b->owner_ref, owner_ref, owner_ref_len);
  PL__LIST(b, parts, n_parts);
  for (size_t i = 0; i < n_parts; i++) {
    Partsledger__V1__InstalledPart *p;
    PL__NEW(p, installed_part);
    PL__DUP(p->component, parts[i].component);
    PL__DUP(p->part_serial, parts[i].part_serial);
    PL__DUP(p->batch_id, parts[i].batch_id);
    b->parts[i] = p;
  }
  e->device_registered = b;
  *out = e;
  return 0;
}

int pl_build_warranty_extended(pl_arena *a, const char *device_serial,
                               const char *component, uint32_t months,
                               const char *contract_ref,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (device_serial == NULL || component == NULL || contract_ref == NULL)
    return PL_EINVAL;
  PL__BODY(WARRANTY_EXTENDED, WarrantyExtended, warranty_extended, b);
  b->months = months;
  PL__DUP(b->device_serial, device_serial);
  PL__DUP(b->component, component);
  PL__DUP(b->contract_ref, contract_ref);
  e->warranty_extended = b;
  *out = e;
  return 0;
}

int pl_build_repair_order_opened(pl_arena *a, const char *order_id,
                                 const char *device_serial, const char *site_id,
                                 int priority, const char *fault,
                                 int64_t reported_at_ms, uint64_t usage_reading,
                                 Partsledger__V1__Entry **out) {
  *out = NULL;
  if (order_id == NULL || device_serial == NULL || site_id == NULL ||
      fault == NULL)
    return PL_EINVAL;
  PL__BODY(REPAIR_ORDER_OPENED, RepairOrderOpened, repair_order_opened, b);
  b->priority = (Partsledger__V1__Priority)priority;
  b->reported_at_ms = reported_at_ms;
  b->usage_reading = usage_reading;
  PL__DUP(b->order_id, order_id);
  PL__DUP(b->device_serial, device_serial);
  PL__DUP(b->site_id, site_id);
  PL__DUP(b->fault, fault);
  e->repair_order_opened = b;
  *out = e;
  return 0;
}

int pl_build_repair_order_responded(pl_arena *a, const char *order_id,
                                    int64_t responded_at_ms,
                                    Partsledger__V1__Entry **out) {
  *out = NULL;
  if (order_id == NULL)
    return PL_EINVAL;
  PL__BODY(REPAIR_ORDER_RESPONDED, RepairOrderResponded, repair_order_responded, b);
  b->responded_at_ms = responded_at_ms;
  PL__DUP(b->order_id, order_id);
  e->repair_order_responded = b;
  *out = e;
  return 0;
}

int pl_build_part_replaced(pl_arena *a, const char *order_id,
                           const char *component, const char *removed_serial,
                           const char *installed_serial,
                           const char *installed_batch_id,
                           const char *reservation_id,
                           const ProtobufCBinaryData *evidence_sha256,
                           size_t n_evidence, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (order_id == NULL || component == NULL || removed_serial == NULL ||
      installed_serial == NULL || installed_batch_id == NULL ||
      reservation_id == NULL || (evidence_sha256 == NULL && n_evidence > 0))
    return PL_EINVAL;
  PL__BODY(PART_REPLACED, PartReplaced, part_replaced, b);
  PL__DUP(b->order_id, order_id);
  PL__DUP(b->component, component);
  PL__DUP(b->removed_serial, removed_serial);
  PL__DUP(b->installed_serial, installed_serial);
  PL__DUP(b->installed_batch_id, installed_batch_id);
  PL__DUP(b->reservation_id, reservation_id);
  PL__LIST(b, evidence_sha256, n_evidence);
  for (size_t i = 0; i < n_evidence; i++)
    PL__BYTES(b->evidence_sha256[i], evidence_sha256[i].data, evidence_sha256[i].len);
  e->part_replaced = b;
  *out = e;
  return 0;
}

int pl_build_repair_order_closed(pl_arena *a, const char *order_id, int outcome,
                                 int64_t resolved_at_ms, int first_visit_fix,
                                 const uint8_t *acceptance_sha256,
                                 size_t acceptance_len,
                                 Partsledger__V1__Entry **out) {
  *out = NULL;
  if (order_id == NULL || (acceptance_sha256 == NULL && acceptance_len > 0))
    return PL_EINVAL;
  PL__BODY(REPAIR_ORDER_CLOSED, RepairOrderClosed, repair_order_closed, b);
  b->outcome = (Partsledger__V1__RepairOutcome)outcome;
  b->resolved_at_ms = resolved_at_ms;
  b->first_visit_fix = first_visit_fix != 0;
  PL__DUP(b->order_id, order_id);
  PL__BYTES(b->customer_acceptance_sha256, acceptance_sha256, acceptance_len);
  e->repair_order_closed = b;
  *out = e;
  return 0;
}

int pl_build_claim_filed(pl_arena *a, const char *claim_id,
                         const char *device_serial, const char *order_id,
                         const char *component, uint64_t usage_reading,
                         int64_t failure_at_ms, const char *description,
                         Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || device_serial == NULL || order_id == NULL ||
      component == NULL || description == NULL)
    return PL_EINVAL;
  PL__BODY(CLAIM_FILED, ClaimFiled, claim_filed, b);
  b->usage_reading = usage_reading;
  b->failure_at_ms = failure_at_ms;
  PL__DUP(b->claim_id, claim_id);
  PL__DUP(b->device_serial, device_serial);
  PL__DUP(b->order_id, order_id);
  PL__DUP(b->component, component);
  PL__DUP(b->description, description);
  e->claim_filed = b;
  *out = e;
  return 0;
}

int pl_build_claim_decided(pl_arena *a, const char *claim_id, int decision,
                           int reason, const char *note,
                           Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || note == NULL)
    return PL_EINVAL;
  PL__BODY(CLAIM_DECIDED, ClaimDecided, claim_decided, b);
  b->decision = (Partsledger__V1__ClaimDecision)decision;
  b->reason = (Partsledger__V1__DecisionReason)reason;
  PL__DUP(b->claim_id, claim_id);
  PL__DUP(b->note, note);
  e->claim_decided = b;
  *out = e;
  return 0;
}

/* ---- arbitration ---- */

int pl_build_panel_constituted(pl_arena *a, const char *panel_id, const char *name,
                               const uint8_t (*members)[PL_PUBLIC_KEY_BYTES],
                               size_t n_members, uint32_t quorum,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (panel_id == NULL || name == NULL || (members == NULL && n_members > 0))
    return PL_EINVAL;
  PL__BODY(PANEL_CONSTITUTED, PanelConstituted, panel_constituted, b);
  b->quorum = quorum;
  PL__DUP(b->panel_id, panel_id);
  PL__DUP(b->name, name);
  PL__LIST(b, members, n_members);
  for (size_t i = 0; i < n_members; i++)
    PL__BYTES(b->members[i], members[i], PL_PUBLIC_KEY_BYTES);
  e->panel_constituted = b;
  *out = e;
  return 0;
}

int pl_build_dispute_opened(pl_arena *a, const char *claim_id, const char *panel_id,
                            const char *grounds, const uint8_t (*evidence)[32],
                            size_t n_evidence, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || panel_id == NULL || grounds == NULL ||
      (evidence == NULL && n_evidence > 0))
    return PL_EINVAL;
  PL__BODY(DISPUTE_OPENED, DisputeOpened, dispute_opened, b);
  PL__DUP(b->claim_id, claim_id);
  PL__DUP(b->panel_id, panel_id);
  PL__DUP(b->grounds, grounds);
  PL__LIST(b, evidence_sha256, n_evidence);
  for (size_t i = 0; i < n_evidence; i++)
    PL__BYTES(b->evidence_sha256[i], evidence[i], 32);
  e->dispute_opened = b;
  *out = e;
  return 0;
}

int pl_build_arbitration_ruled(pl_arena *a, const char *claim_id, int ruling,
                               const char *reasoning, const char *remedy,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (claim_id == NULL || reasoning == NULL || remedy == NULL)
    return PL_EINVAL;
  PL__BODY(ARBITRATION_RULED, ArbitrationRuled, arbitration_ruled, b);
  b->ruling = (Partsledger__V1__Ruling)ruling;
  PL__DUP(b->claim_id, claim_id);
  PL__DUP(b->reasoning, reasoning);
  PL__DUP(b->remedy, remedy);
  e->arbitration_ruled = b;
  *out = e;
  return 0;
}
