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

/* Copies a key into the arena as a bytes field. 0 or -1. */
static int pl__key_dup(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                       ProtobufCBinaryData *out) {
  out->data = pl_arena_dup(a, pk, PL_PUBLIC_KEY_BYTES);
  out->len = out->data != NULL ? PL_PUBLIC_KEY_BYTES : 0;
  return out->data != NULL ? 0 : -1;
}

static char *pl__str_dup(pl_arena *a, const char *s) {
  return pl_arena_dup(a, s, strlen(s) + 1);
}

/* ---- actors ---- */

int pl_build_actor_enrolled(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                            int role, const char *name, char *const *site_ids,
                            size_t n_site_ids, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || name == NULL || (site_ids == NULL && n_site_ids > 0))
    return PL_EINVAL;
  for (size_t i = 0; i < n_site_ids; i++)
    if (site_ids[i] == NULL)
      return PL_EINVAL;
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED);
  Partsledger__V1__ActorEnrolled *ae = pl_arena_alloc(a, sizeof(*ae));
  if (e == NULL || ae == NULL)
    return PL_ENOMEM;
  partsledger__v1__actor_enrolled__init(ae);
  ae->role = (Partsledger__V1__Role)role;
  ae->name = pl__str_dup(a, name);
  if (pl__key_dup(a, pk, &ae->public_key) != 0 || ae->name == NULL)
    return PL_ENOMEM;
  if (n_site_ids > 0) {
    ae->site_ids = pl_arena_alloc(a, n_site_ids * sizeof(*ae->site_ids));
    if (ae->site_ids == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < n_site_ids; i++)
      if ((ae->site_ids[i] = pl__str_dup(a, site_ids[i])) == NULL)
        return PL_ENOMEM;
    ae->n_site_ids = n_site_ids;
  }
  e->actor_enrolled = ae;
  *out = e;
  return 0;
}

int pl_build_actor_revoked(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                           const char *reason, Partsledger__V1__Entry **out) {
  *out = NULL;
  if (pk == NULL || reason == NULL)
    return PL_EINVAL;
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED);
  Partsledger__V1__ActorRevoked *ar = pl_arena_alloc(a, sizeof(*ar));
  if (e == NULL || ar == NULL)
    return PL_ENOMEM;
  partsledger__v1__actor_revoked__init(ar);
  ar->reason = pl__str_dup(a, reason);
  if (pl__key_dup(a, pk, &ar->public_key) != 0 || ar->reason == NULL)
    return PL_ENOMEM;
  e->actor_revoked = ar;
  *out = e;
  return 0;
}

/* ---- inventory ----
 * Every string is copied; NULL for any of them is PL_EINVAL ("" is how an
 * optional one is left out, as on the wire). */

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

/* Declares `e` of `CASE` with its body `b` of `Type` (lower_name for the
 * init function), allocated and initialized; returns PL_ENOMEM when either
 * cannot be. */
#define PL__BODY(CASE, Type, lower, b)                                         \
  Partsledger__V1__Entry *e =                                                  \
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_##CASE);                   \
  Partsledger__V1__##Type *b = pl_arena_alloc(a, sizeof(*b));                  \
  if (e == NULL || b == NULL)                                                  \
    return PL_ENOMEM;                                                          \
  partsledger__v1__##lower##__init(b)

/* Copies `src` into the string field `dst`; returns PL_ENOMEM from the
 * builder when it cannot. */
#define PL__DUP(dst, src)                                                      \
  do {                                                                         \
    if (((dst) = pl__str_dup(a, (src))) == NULL)                               \
      return PL_ENOMEM;                                                        \
  } while (0)

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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED);
  Partsledger__V1__WarrantyPolicyPublished *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__warranty_policy_published__init(b);
  b->policy_id = pl__str_dup(a, policy_id);
  b->model = pl__str_dup(a, model);
  b->registration_window_days = registration_window_days;
  b->max_extension_months = max_extension_months;
  if (b->policy_id == NULL || b->model == NULL)
    return PL_ENOMEM;
  if (n_terms > 0) {
    b->terms = pl_arena_alloc(a, n_terms * sizeof(*b->terms));
    if (b->terms == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < n_terms; i++) {
      Partsledger__V1__ComponentTerm *t = pl_arena_alloc(a, sizeof(*t));
      if (t == NULL)
        return PL_ENOMEM;
      partsledger__v1__component_term__init(t);
      t->component = pl__str_dup(a, terms[i].component);
      t->months = terms[i].months;
      t->usage_limit = terms[i].usage_limit;
      t->usage_unit = pl__str_dup(a, terms[i].usage_unit);
      if (t->component == NULL || t->usage_unit == NULL)
        return PL_ENOMEM;
      b->terms[i] = t;
    }
    b->n_terms = n_terms;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED);
  Partsledger__V1__DeviceRegistered *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__device_registered__init(b);
  b->device_serial = pl__str_dup(a, device_serial);
  b->model = pl__str_dup(a, model);
  b->policy_id = pl__str_dup(a, policy_id);
  b->purchased_at_ms = purchased_at_ms;
  if (b->device_serial == NULL || b->model == NULL || b->policy_id == NULL ||
      pl__bytes_dup(a, owner_ref, owner_ref_len, &b->owner_ref) != 0)
    return PL_ENOMEM;
  if (n_parts > 0) {
    b->parts = pl_arena_alloc(a, n_parts * sizeof(*b->parts));
    if (b->parts == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < n_parts; i++) {
      Partsledger__V1__InstalledPart *p = pl_arena_alloc(a, sizeof(*p));
      if (p == NULL)
        return PL_ENOMEM;
      partsledger__v1__installed_part__init(p);
      p->component = pl__str_dup(a, parts[i].component);
      p->part_serial = pl__str_dup(a, parts[i].part_serial);
      p->batch_id = pl__str_dup(a, parts[i].batch_id);
      if (p->component == NULL || p->part_serial == NULL || p->batch_id == NULL)
        return PL_ENOMEM;
      b->parts[i] = p;
    }
    b->n_parts = n_parts;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED);
  Partsledger__V1__WarrantyExtended *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__warranty_extended__init(b);
  b->device_serial = pl__str_dup(a, device_serial);
  b->component = pl__str_dup(a, component);
  b->months = months;
  b->contract_ref = pl__str_dup(a, contract_ref);
  if (b->device_serial == NULL || b->component == NULL ||
      b->contract_ref == NULL)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED);
  Partsledger__V1__RepairOrderOpened *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__repair_order_opened__init(b);
  b->order_id = pl__str_dup(a, order_id);
  b->device_serial = pl__str_dup(a, device_serial);
  b->site_id = pl__str_dup(a, site_id);
  b->priority = (Partsledger__V1__Priority)priority;
  b->fault = pl__str_dup(a, fault);
  b->reported_at_ms = reported_at_ms;
  b->usage_reading = usage_reading;
  if (b->order_id == NULL || b->device_serial == NULL || b->site_id == NULL ||
      b->fault == NULL)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED);
  Partsledger__V1__RepairOrderResponded *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__repair_order_responded__init(b);
  b->order_id = pl__str_dup(a, order_id);
  b->responded_at_ms = responded_at_ms;
  if (b->order_id == NULL)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED);
  Partsledger__V1__PartReplaced *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__part_replaced__init(b);
  b->order_id = pl__str_dup(a, order_id);
  b->component = pl__str_dup(a, component);
  b->removed_serial = pl__str_dup(a, removed_serial);
  b->installed_serial = pl__str_dup(a, installed_serial);
  b->installed_batch_id = pl__str_dup(a, installed_batch_id);
  b->reservation_id = pl__str_dup(a, reservation_id);
  if (b->order_id == NULL || b->component == NULL ||
      b->removed_serial == NULL || b->installed_serial == NULL ||
      b->installed_batch_id == NULL || b->reservation_id == NULL)
    return PL_ENOMEM;
  if (n_evidence > 0) {
    b->evidence_sha256 =
        pl_arena_alloc(a, n_evidence * sizeof(*b->evidence_sha256));
    if (b->evidence_sha256 == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < n_evidence; i++)
      if (pl__bytes_dup(a, evidence_sha256[i].data, evidence_sha256[i].len,
                        &b->evidence_sha256[i]) != 0)
        return PL_ENOMEM;
    b->n_evidence_sha256 = n_evidence;
  }
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED);
  Partsledger__V1__RepairOrderClosed *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__repair_order_closed__init(b);
  b->order_id = pl__str_dup(a, order_id);
  b->outcome = (Partsledger__V1__RepairOutcome)outcome;
  b->resolved_at_ms = resolved_at_ms;
  b->first_visit_fix = first_visit_fix != 0;
  if (b->order_id == NULL || pl__bytes_dup(a, acceptance_sha256, acceptance_len,
                                           &b->customer_acceptance_sha256) != 0)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED);
  Partsledger__V1__ClaimFiled *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__claim_filed__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->device_serial = pl__str_dup(a, device_serial);
  b->order_id = pl__str_dup(a, order_id);
  b->component = pl__str_dup(a, component);
  b->usage_reading = usage_reading;
  b->failure_at_ms = failure_at_ms;
  b->description = pl__str_dup(a, description);
  if (b->claim_id == NULL || b->device_serial == NULL || b->order_id == NULL ||
      b->component == NULL || b->description == NULL)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e =
      pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED);
  Partsledger__V1__ClaimDecided *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__claim_decided__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->decision = (Partsledger__V1__ClaimDecision)decision;
  b->reason = (Partsledger__V1__DecisionReason)reason;
  b->note = pl__str_dup(a, note);
  if (b->claim_id == NULL || b->note == NULL)
    return PL_ENOMEM;
  e->claim_decided = b;
  *out = e;
  return 0;
}

/* ---- arbitration ---- */

/* Copies `n` 32-byte values (keys, SHA-256 hashes) into a repeated bytes
 * field. 0 or PL_ENOMEM. */
static int pl__bytes32_dup(pl_arena *a, const uint8_t (*v)[32], size_t n,
                           ProtobufCBinaryData **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (n == 0)
    return 0;
  ProtobufCBinaryData *d = pl_arena_alloc(a, n * sizeof(*d));
  if (d == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    d[i].data = pl_arena_dup(a, v[i], 32);
    d[i].len = 32;
    if (d[i].data == NULL)
      return PL_ENOMEM;
  }
  *out = d;
  *n_out = n;
  return 0;
}

int pl_build_panel_constituted(pl_arena *a, const char *panel_id, const char *name,
                               const uint8_t (*members)[PL_PUBLIC_KEY_BYTES],
                               size_t n_members, uint32_t quorum,
                               Partsledger__V1__Entry **out) {
  *out = NULL;
  if (panel_id == NULL || name == NULL || (members == NULL && n_members > 0))
    return PL_EINVAL;
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED);
  Partsledger__V1__PanelConstituted *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__panel_constituted__init(b);
  b->panel_id = pl__str_dup(a, panel_id);
  b->name = pl__str_dup(a, name);
  b->quorum = quorum;
  if (b->panel_id == NULL || b->name == NULL ||
      pl__bytes32_dup(a, members, n_members, &b->members, &b->n_members) != 0)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED);
  Partsledger__V1__DisputeOpened *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__dispute_opened__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->panel_id = pl__str_dup(a, panel_id);
  b->grounds = pl__str_dup(a, grounds);
  if (b->claim_id == NULL || b->panel_id == NULL || b->grounds == NULL ||
      pl__bytes32_dup(a, evidence, n_evidence, &b->evidence_sha256,
                      &b->n_evidence_sha256) != 0)
    return PL_ENOMEM;
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
  Partsledger__V1__Entry *e = pl__entry_new(a, PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED);
  Partsledger__V1__ArbitrationRuled *b = pl_arena_alloc(a, sizeof(*b));
  if (e == NULL || b == NULL)
    return PL_ENOMEM;
  partsledger__v1__arbitration_ruled__init(b);
  b->claim_id = pl__str_dup(a, claim_id);
  b->ruling = (Partsledger__V1__Ruling)ruling;
  b->reasoning = pl__str_dup(a, reasoning);
  b->remedy = pl__str_dup(a, remedy);
  if (b->claim_id == NULL || b->reasoning == NULL || b->remedy == NULL)
    return PL_ENOMEM;
  e->arbitration_ruled = b;
  *out = e;
  return 0;
}
