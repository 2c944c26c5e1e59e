/*
 * inv.c - see inv.h.
 */
#include "inv.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "entry.h"

/* --- bodies ----------------------------------------------------------------- */

/* Allocates *b in the arena and runs the message's init on it; 0 when out of
 * memory. */
#define INV__NEW(a, b, init)                                                   \
  (((b) = pl_arena_alloc((a), sizeof(*(b)))) != NULL ? (init(b), 1) : 0)

Partsledger__V1__SiteRegistered *inv_site_body(pl_arena *a, const char *site_id,
                                               double lat, double lon) {
  Partsledger__V1__SiteRegistered *b;
  if (!INV__NEW(a, b, partsledger__v1__site_registered__init))
    return NULL;
  b->site_id = (char *)site_id;
  b->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE;
  b->name = pl_arena_printf(a, "Site %s", site_id);
  b->region = "DE-BY";
  b->latitude = lat;
  b->longitude = lon;
  return b->name != NULL ? b : NULL;
}

Partsledger__V1__SupplierRegistered *inv_supplier_body(pl_arena *a,
                                                       const char *supplier_id) {
  Partsledger__V1__SupplierRegistered *b;
  if (!INV__NEW(a, b, partsledger__v1__supplier_registered__init))
    return NULL;
  b->supplier_id = (char *)supplier_id;
  b->name = "Supplier of parts";
  b->certified = 1;
  return b;
}

Partsledger__V1__BatchRegistered *inv_batch_body(pl_arena *a, const char *batch_id,
                                                 const char *supplier_id, const char *sku,
                                                 uint64_t quantity) {
  Partsledger__V1__BatchRegistered *b;
  if (!INV__NEW(a, b, partsledger__v1__batch_registered__init))
    return NULL;
  b->batch_id = (char *)batch_id;
  b->supplier_id = (char *)supplier_id;
  b->sku = (char *)sku;
  b->part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL;
  b->warranty_months = 24;
  b->produced_at_ms = 1735689600000; /* 2025-01-01 */
  b->quantity = quantity;
  return b;
}

Partsledger__V1__StockReceived *inv_receive_body(pl_arena *a, const char *site_id,
                                                 const char *batch_id, uint64_t quantity) {
  Partsledger__V1__StockReceived *b;
  if (!INV__NEW(a, b, partsledger__v1__stock_received__init))
    return NULL;
  b->site_id = (char *)site_id;
  b->batch_id = (char *)batch_id;
  b->quantity = quantity;
  b->reference = "delivery note 4711";
  return b;
}

Partsledger__V1__StockTransferred *inv_transfer_body(pl_arena *a, const char *from,
                                                     const char *to, const char *batch_id,
                                                     uint64_t quantity) {
  Partsledger__V1__StockTransferred *b;
  if (!INV__NEW(a, b, partsledger__v1__stock_transferred__init))
    return NULL;
  b->from_site_id = (char *)from;
  b->to_site_id = (char *)to;
  b->batch_id = (char *)batch_id;
  b->quantity = quantity;
  b->reference = "transfer order 17";
  return b;
}

Partsledger__V1__StockAdjusted *inv_adjust_body(pl_arena *a, const char *site_id,
                                                const char *batch_id, int64_t delta,
                                                Partsledger__V1__AdjustReason reason) {
  Partsledger__V1__StockAdjusted *b;
  if (!INV__NEW(a, b, partsledger__v1__stock_adjusted__init))
    return NULL;
  b->site_id = (char *)site_id;
  b->batch_id = (char *)batch_id;
  b->delta = delta;
  b->reason = reason;
  b->note = "stock count";
  return b;
}

Partsledger__V1__PartReserved *inv_reserve_body(pl_arena *a, const char *reservation_id,
                                                const char *site_id, const char *sku,
                                                uint64_t quantity, const char *batch_id,
                                                int64_t expires_at_ms) {
  Partsledger__V1__PartReserved *b;
  if (!INV__NEW(a, b, partsledger__v1__part_reserved__init))
    return NULL;
  b->reservation_id = (char *)reservation_id;
  b->site_id = (char *)site_id;
  b->sku = (char *)sku;
  b->quantity = quantity;
  if (batch_id != NULL)
    b->batch_id = (char *)batch_id;
  b->expires_at_ms = expires_at_ms;
  return b;
}

Partsledger__V1__ReservationReleased *inv_release_body(pl_arena *a,
                                                       const char *reservation_id) {
  Partsledger__V1__ReservationReleased *b;
  if (!INV__NEW(a, b, partsledger__v1__reservation_released__init))
    return NULL;
  b->reservation_id = (char *)reservation_id;
  b->reason = "repair order cancelled";
  return b;
}

Partsledger__V1__ReservationFulfilled *inv_fulfil_body(pl_arena *a,
                                                       const char *reservation_id,
                                                       const char *batch_id,
                                                       uint64_t quantity) {
  Partsledger__V1__ReservationFulfilled *b;
  if (!INV__NEW(a, b, partsledger__v1__reservation_fulfilled__init))
    return NULL;
  b->reservation_id = (char *)reservation_id;
  b->batch_id = (char *)batch_id;
  b->quantity = quantity;
  return b;
}

Partsledger__V1__BatchRecalled *inv_recall_body(pl_arena *a, const char *batch_id,
                                                const char *reason) {
  Partsledger__V1__BatchRecalled *b;
  if (!INV__NEW(a, b, partsledger__v1__batch_recalled__init))
    return NULL;
  b->batch_id = (char *)batch_id;
  b->reason = (char *)reason;
  return b;
}

Partsledger__V1__SignedEntry *inv_sign(pl_arena *a, const pl_key *k,
                                       const ProtobufCMessage *body) {
  if (body == NULL)
    return NULL;
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  if (e == NULL)
    return NULL;
  partsledger__v1__entry__init(e);
  const ProtobufCMessageDescriptor *d = body->descriptor;
  void *b = (void *)body;
#define INV__CASE(desc, CASE, field)                                           \
  if (d == &partsledger__v1__##desc##__descriptor) {                           \
    e->body_case = PARTSLEDGER__V1__ENTRY__BODY_##CASE;                        \
    e->field = b;                                                              \
  } else
  INV__CASE(site_registered, SITE_REGISTERED, site_registered)
  INV__CASE(supplier_registered, SUPPLIER_REGISTERED, supplier_registered)
  INV__CASE(batch_registered, BATCH_REGISTERED, batch_registered)
  INV__CASE(stock_received, STOCK_RECEIVED, stock_received)
  INV__CASE(stock_transferred, STOCK_TRANSFERRED, stock_transferred)
  INV__CASE(stock_adjusted, STOCK_ADJUSTED, stock_adjusted)
  INV__CASE(part_reserved, PART_RESERVED, part_reserved)
  INV__CASE(reservation_released, RESERVATION_RELEASED, reservation_released)
  INV__CASE(reservation_fulfilled, RESERVATION_FULFILLED, reservation_fulfilled)
  INV__CASE(batch_recalled, BATCH_RECALLED, batch_recalled)
  return NULL;
#undef INV__CASE
  Partsledger__V1__SignedEntry *se;
  return pl_entry_build(k, e, a, &se) == 0 ? se : NULL;
}

/* --- signed entries ---------------------------------------------------------- */

/* Signs a body that may be NULL (its builder ran out of memory). */
#define INV__SIGNED(body) inv_sign(a, k, (body) != NULL ? &(body)->base : NULL)

Partsledger__V1__SignedEntry *inv_site(pl_arena *a, const pl_key *k, const char *site_id,
                                       double lat, double lon) {
  Partsledger__V1__SiteRegistered *b = inv_site_body(a, site_id, lat, lon);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_supplier(pl_arena *a, const pl_key *k,
                                           const char *supplier_id) {
  Partsledger__V1__SupplierRegistered *b = inv_supplier_body(a, supplier_id);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_batch(pl_arena *a, const pl_key *k, const char *batch_id,
                                        const char *supplier_id, const char *sku,
                                        uint64_t quantity) {
  Partsledger__V1__BatchRegistered *b =
      inv_batch_body(a, batch_id, supplier_id, sku, quantity);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_receive(pl_arena *a, const pl_key *k, const char *site_id,
                                          const char *batch_id, uint64_t quantity) {
  Partsledger__V1__StockReceived *b = inv_receive_body(a, site_id, batch_id, quantity);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_transfer(pl_arena *a, const pl_key *k, const char *from,
                                           const char *to, const char *batch_id,
                                           uint64_t quantity) {
  Partsledger__V1__StockTransferred *b = inv_transfer_body(a, from, to, batch_id, quantity);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_adjust(pl_arena *a, const pl_key *k, const char *site_id,
                                         const char *batch_id, int64_t delta) {
  Partsledger__V1__StockAdjusted *b =
      inv_adjust_body(a, site_id, batch_id, delta,
                      delta < 0 ? PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_DAMAGED
                                : PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_COUNT);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_reserve(pl_arena *a, const pl_key *k,
                                          const char *reservation_id, const char *site_id,
                                          const char *sku, uint64_t quantity,
                                          const char *batch_id, int64_t expires_at_ms) {
  Partsledger__V1__PartReserved *b = inv_reserve_body(a, reservation_id, site_id, sku,
                                                      quantity, batch_id, expires_at_ms);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_release(pl_arena *a, const pl_key *k,
                                          const char *reservation_id) {
  Partsledger__V1__ReservationReleased *b = inv_release_body(a, reservation_id);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_fulfil(pl_arena *a, const pl_key *k,
                                         const char *reservation_id, const char *batch_id,
                                         uint64_t quantity) {
  Partsledger__V1__ReservationFulfilled *b =
      inv_fulfil_body(a, reservation_id, batch_id, quantity);
  return INV__SIGNED(b);
}

Partsledger__V1__SignedEntry *inv_recall(pl_arena *a, const pl_key *k, const char *batch_id,
                                         const char *reason) {
  Partsledger__V1__BatchRecalled *b = inv_recall_body(a, batch_id, reason);
  return INV__SIGNED(b);
}

/* --- calls ------------------------------------------------------------------ */

static int inv__code(pl_client *c) {
  const char *msg;
  return pl_client_last_status(c, &msg);
}

int inv_send(pl_client *c, pl_arena *a, const Partsledger__V1__SignedEntry *se,
             uint64_t *index) {
  if (se == NULL)
    return -1;
  Partsledger__V1__AppendResponse *r;
  if (pl_client_append(c, se, a, &r) != 0)
    return inv__code(c);
  if (index != NULL)
    *index = r->index;
  return GRPC_STATUS_OK;
}

int inv_append(env *e, const Partsledger__V1__SignedEntry *se) {
  return inv_send(e->c, e->a, se, NULL);
}

int inv_append_at(env *e, const Partsledger__V1__SignedEntry *se, uint64_t *index) {
  return inv_send(e->c, e->a, se, index);
}

const char *inv_msg_of(pl_client *c) {
  const char *msg = NULL;
  pl_client_last_status(c, &msg);
  return msg != NULL ? msg : "";
}

const char *inv_msg(env *e) { return inv_msg_of(e->c); }

int inv_says(env *e, const char *needle) { return strstr(inv_msg(e), needle) != NULL; }

static int inv__call(env *e, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *d, void **out) {
  ProtobufCMessage *resp = NULL;
  *out = NULL;
  if (pl_client_call(e->c, method, req, d, e->a, &resp) != 0)
    return inv__code(e->c);
  *out = resp;
  return GRPC_STATUS_OK;
}

int inv_get_site(env *e, const char *site_id, Partsledger__V1__Site **out) {
  Partsledger__V1__GetSiteRequest req = PARTSLEDGER__V1__GET_SITE_REQUEST__INIT;
  req.site_id = (char *)site_id;
  return inv__call(e, "/partsledger.v1.Inventory/GetSite", &req.base,
                   &partsledger__v1__site__descriptor, (void **)out);
}

int inv_get_batch(env *e, const char *batch_id, Partsledger__V1__Batch **out) {
  Partsledger__V1__GetBatchRequest req = PARTSLEDGER__V1__GET_BATCH_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  return inv__call(e, "/partsledger.v1.Inventory/GetBatch", &req.base,
                   &partsledger__v1__batch__descriptor, (void **)out);
}

int inv_get_stock(env *e, const char *site_id, const char *sku,
                  Partsledger__V1__GetStockResponse **out) {
  Partsledger__V1__GetStockRequest req = PARTSLEDGER__V1__GET_STOCK_REQUEST__INIT;
  req.site_id = (char *)site_id;
  req.sku = (char *)sku;
  return inv__call(e, "/partsledger.v1.Inventory/GetStock", &req.base,
                   &partsledger__v1__get_stock_response__descriptor, (void **)out);
}

int inv_get_reservation(env *e, const char *reservation_id,
                        Partsledger__V1__Reservation **out) {
  Partsledger__V1__GetReservationRequest req =
      PARTSLEDGER__V1__GET_RESERVATION_REQUEST__INIT;
  req.reservation_id = (char *)reservation_id;
  return inv__call(e, "/partsledger.v1.Inventory/GetReservation", &req.base,
                   &partsledger__v1__reservation__descriptor, (void **)out);
}

int inv_stock_near(env *e, const Partsledger__V1__StockNearRequest *req,
                   Partsledger__V1__StockNearResponse **out) {
  return inv__call(e, "/partsledger.v1.Inventory/StockNear", &req->base,
                   &partsledger__v1__stock_near_response__descriptor, (void **)out);
}

int inv_trace_batch(env *e, const char *batch_id, uint64_t start, uint32_t page_size,
                    int with_proofs, Partsledger__V1__TraceBatchResponse **out) {
  Partsledger__V1__TraceBatchRequest req = PARTSLEDGER__V1__TRACE_BATCH_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  req.start = start;
  req.page_size = page_size;
  req.with_proofs = with_proofs != 0;
  return inv__call(e, "/partsledger.v1.Trace/TraceBatch", &req.base,
                   &partsledger__v1__trace_batch_response__descriptor, (void **)out);
}

int inv_trace_supplier(env *e, const char *supplier_id, uint64_t start,
                       uint32_t page_size, Partsledger__V1__TraceSupplierResponse **out) {
  Partsledger__V1__TraceSupplierRequest req = PARTSLEDGER__V1__TRACE_SUPPLIER_REQUEST__INIT;
  req.supplier_id = (char *)supplier_id;
  req.start = start;
  req.page_size = page_size;
  return inv__call(e, "/partsledger.v1.Trace/TraceSupplier", &req.base,
                   &partsledger__v1__trace_supplier_response__descriptor, (void **)out);
}

int inv_near(env *e, const char *sku, double lat, double lon, double radius_km,
             uint64_t min_available, uint32_t limit,
             Partsledger__V1__StockNearResponse **out) {
  Partsledger__V1__StockNearRequest req = PARTSLEDGER__V1__STOCK_NEAR_REQUEST__INIT;
  req.sku = (char *)sku;
  req.latitude = lat;
  req.longitude = lon;
  req.radius_km = radius_km;
  req.min_available = min_available;
  req.limit = limit;
  return inv_stock_near(e, &req, out);
}

int inv_daemon(env *e, const char *flag, const char *says) {
  const char *argv[] = {PL_SERVER_BIN, flag, "--data", pl_harness_data_dir(e->h),
                        "--log-key", pl_harness_log_key_path(e->h), "--origin",
                        pl_harness_origin(e->h), NULL};
  char *out = NULL;
  int code = pl_run(argv, NULL, 60000, &out, NULL);
  int ok = code == 0 && out != NULL && strstr(out, says) != NULL;
  if (!ok)
    fprintf(stderr, "partsledgerd %s: exit %d, said: %s\n", flag, code, out ? out : "");
  free(out);
  return ok;
}

double inv_haversine_m(double lat1, double lon1, double lat2, double lon2) {
  const double rad = M_PI / 180.0;
  double s1 = sin((lat2 - lat1) * rad / 2), s2 = sin((lon2 - lon1) * rad / 2);
  double h = s1 * s1 + cos(lat1 * rad) * cos(lat2 * rad) * s2 * s2;
  return 2 * INV_EARTH_M * asin(sqrt(h < 1 ? h : 1));
}

double inv_tolerance_m(double d) { return 1e-3 + 1e-9 * d + (d > 15e6 ? 1.0 : 0.0); }

const Partsledger__V1__BatchStock *inv_batch_row(const Partsledger__V1__GetStockResponse *s,
                                                 const char *batch_id) {
  for (size_t i = 0; s != NULL && i < s->n_batches; i++)
    if (strcmp(s->batches[i]->batch_id, batch_id) == 0)
      return s->batches[i];
  return NULL;
}

/* --- the world -------------------------------------------------------------- */

pl_key *inv_enroll(env *e, int role, const char *const *sites) {
  pl_key *k = new_key();
  if (k == NULL)
    return NULL;
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  Partsledger__V1__Entry ent = PARTSLEDGER__V1__ENTRY__INIT;
  b.public_key.data = (uint8_t *)pl_key_public(k);
  b.public_key.len = PL_PUBLIC_KEY_BYTES;
  b.role = role;
  b.name = "inventory actor";
  while (sites != NULL && sites[b.n_site_ids] != NULL)
    b.n_site_ids++;
  b.site_ids = (char **)sites;
  ent.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  ent.actor_enrolled = &b;
  Partsledger__V1__SignedEntry *se;
  if (pl_entry_build(pl_harness_admin_key(e->h), &ent, e->a, &se) != 0)
    se = NULL;
  if (inv_append(e, se) != GRPC_STATUS_OK) {
    fprintf(stderr, "enrolling a %s failed: %s\n", pl_role_name(role), inv_msg(e));
    pl_key_free(k);
    return NULL;
  }
  return k;
}

int64_t inv_later(void) { return pl_now_ms() + INV_LATER_MS; }

void inv_world_stop(inv_world *w) {
  pl_key_free(w->maker);
  pl_key_free(w->clerk);
  pl_key_free(w->station);
  pl_key_free(w->other);
  pl_key_free(w->auditor);
  env_stop(&w->e);
  memset(w, 0, sizeof(*w));
}

int inv_world_start(inv_world *w) {
  memset(w, 0, sizeof(*w));
  if (env_start(&w->e) != 0)
    return -1;
  env *e = &w->e;
  w->admin = pl_harness_admin_key(e->h);
  static const char *const clerk_sites[] = {SITE_A, SITE_B, SITE_GHOST, NULL};
  static const char *const station_sites[] = {SITE_C, NULL};
  static const char *const other_sites[] = {SITE_X, NULL};
  w->maker = inv_enroll(e, PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER, NULL);
  w->clerk = inv_enroll(e, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, clerk_sites);
  w->station = inv_enroll(e, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, station_sites);
  w->other = inv_enroll(e, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, other_sites);
  w->auditor = inv_enroll(e, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR, NULL);
  if (w->maker == NULL || w->clerk == NULL || w->station == NULL || w->other == NULL ||
      w->auditor == NULL)
    return -1;

  static const struct {
    const char *id;
    Partsledger__V1__SiteKind kind;
    double lat, lon;
  } sites[] = {
      {SITE_A, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE, INV_A_LAT, INV_A_LON},
      {SITE_B, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_CENTRAL_WAREHOUSE, INV_B_LAT,
       INV_B_LON},
      {SITE_C, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION, INV_C_LAT,
       INV_C_LON},
      {SITE_X, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE, INV_X_LAT, INV_X_LON},
  };
  for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
    Partsledger__V1__SiteRegistered *b =
        inv_site_body(e->a, sites[i].id, sites[i].lat, sites[i].lon);
    if (b == NULL)
      return -1;
    b->kind = sites[i].kind;
    if (inv_append(e, inv_sign(e->a, w->admin, &b->base)) != GRPC_STATUS_OK) {
      fprintf(stderr, "registering site %s failed: %d %s\n", sites[i].id, last_code(e),
              inv_msg(e));
      return -1;
    }
  }
  if (inv_append(e, inv_supplier(e->a, w->admin, SUPPLIER)) != GRPC_STATUS_OK) {
    fprintf(stderr, "registering supplier %s failed: %d %s\n", SUPPLIER, last_code(e),
            inv_msg(e));
    return -1;
  }
  return 0;
}

int inv_stocked(inv_world *w, const char *batch_id, const char *sku, uint64_t quantity,
                const char *site_id, uint64_t received) {
  env *e = &w->e;
  int rc = inv_append(e, inv_batch(e->a, w->maker, batch_id, SUPPLIER, sku, quantity));
  if (rc != GRPC_STATUS_OK || received == 0)
    return rc;
  const pl_key *k = strcmp(site_id, SITE_C) == 0   ? w->station
                    : strcmp(site_id, SITE_X) == 0 ? w->other
                                                       : w->clerk;
  return inv_append(e, inv_receive(e->a, k, site_id, batch_id, received));
}

pl_key *inv_stock_sites(inv_world *w, const char *prefix, size_t n, const double *lat,
                        const double *lon, const Partsledger__V1__SiteKind *kind,
                        const char *batch, const char *sku, const uint64_t *units) {
  pl_arena *a = w->e.a;
  const char **ids = pl_arena_alloc(a, (n + 1) * sizeof(*ids));
  Partsledger__V1__SignedEntry **ses = pl_arena_alloc(a, (2 * n + 1) * sizeof(*ses));
  if (ids == NULL || ses == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    ids[i] = pl_arena_printf(a, "%s-%02zu", prefix, i);
    Partsledger__V1__SiteRegistered *b = inv_site_body(a, ids[i], lat[i], lon[i]);
    if (b != NULL && kind != NULL)
      b->kind = kind[i];
    ses[i] = inv_sign(a, w->admin, b != NULL ? &b->base : NULL);
  }
  ids[n] = NULL;
  /* The actor first (its sites need not exist yet); then the sites, the
   * batch and the receipts in one AppendBatch, each judged after those
   * before it. */
  pl_key *k = inv_enroll(&w->e, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, ids);
  if (k == NULL)
    return NULL;
  size_t m = n;
  ses[m++] = inv_batch(a, w->maker, batch, SUPPLIER, sku, 1000000);
  for (size_t i = 0; i < n; i++)
    if (units[i] > 0)
      ses[m++] = inv_receive(a, k, ids[i], batch, units[i]);
  for (size_t i = 0; i < m; i++)
    if (ses[i] == NULL) {
      pl_key_free(k);
      return NULL;
    }
  Partsledger__V1__AppendBatchResponse *r;
  int ok = pl_client_append_batch(w->e.c, ses, m, a, &r) == 0;
  if (!ok)
    fprintf(stderr, "stocking %s sites: %s\n", prefix, inv_msg(&w->e));
  if (ok && r->n_results != m) {
    fprintf(stderr, "stocking %s sites: %zu results for %zu entries\n", prefix,
            r->n_results, m);
    ok = 0;
  }
  for (size_t i = 0; ok && i < r->n_results; i++)
    if (r->results[i]->code != OK) {
      fprintf(stderr, "stocking %s sites, entry %zu: %s\n", prefix, i,
              r->results[i]->message);
      ok = 0;
    }
  if (!ok) {
    pl_key_free(k);
    return NULL;
  }
  return k;
}

/* --- values ----------------------------------------------------------------- */

char *inv_gs1(const char *body, int wrong, char *out) {
  size_t n = strlen(body);
  unsigned sum = 0;
  /* Weights 3, 1, 3, ... from the digit next to the check digit leftwards. */
  for (size_t i = 0; i < n; i++)
    sum += (unsigned)(body[n - 1 - i] - '0') * (i % 2 == 0 ? 3u : 1u);
  unsigned check = (10 - sum % 10) % 10;
  if (wrong)
    check = (check + 1) % 10;
  memcpy(out, body, n);
  out[n] = (char)('0' + check);
  out[n + 1] = '\0';
  return out;
}

char *inv_repeat(pl_arena *a, char c, size_t n) {
  char *s = pl_arena_alloc(a, n + 1);
  if (s == NULL)
    return NULL;
  memset(s, c, n);
  s[n] = '\0';
  return s;
}
