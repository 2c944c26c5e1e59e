/*
 * state/inventory.c - parts in the network: batches, stock, reservations
 * and recalls (kinds batch_registered, stock_received, stock_transferred,
 * stock_adjusted, part_reserved, reservation_released,
 * reservation_fulfilled, batch_recalled), and the tables they keep:
 *
 *   batch          batch_id -> Batch (as GetBatch answers it)
 *   batch_serial   batch, serial -> ""      the serials its registration listed
 *   batch_site     batch, site -> ""        sites holding units of it
 *   supplier_batch supplier, seq -> batch   in registration order
 *   stock_sku      site, sku -> on_hand, available units (of batches not
 *                  recalled), reserved (active reservations), and the
 *                  earliest expiry among those, 8 bytes each
 *   stock_batch    site, sku, batch -> on_hand, and the quantity of the
 *                  active reservations naming the batch, 8 bytes each
 *   reservation    id -> Reservation
 *   res_active     site, sku, id -> expires_at, quantity, batch_id: the
 *                  reservations that count, until released, fulfilled or
 *                  expired
 *   res_expiry     expires_at, id -> site, sku: so that each entry first
 *                  expires what its log time has reached (pl_inventory_tick)
 *
 * The stock invariant, at every site and moment: for each SKU, active
 * reservations <= units of batches not recalled; for each batch not
 * recalled, reservations naming it <= its units. Every rule below that
 * lowers one side checks it at the entry's log time; a recall lowers the
 * units without asking, and then only what does not make it worse passes.
 */
#include <limits.h>
#include <string.h>

#include "error.h"
#include "spec/field.h"
#include "state.h"
#include "stock.h"

#define PL__DAY_MS 86400000LL
#define PL__RESERVE_MAX_MS (90 * PL__DAY_MS)

/* --- small helpers ----------------------------------------------------------- */

int pl_batch_get(pl_txn *t, const char *batch_id, pl_arena *arena,
                 Partsledger__V1__Batch **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, batch_id);
  return pl_row_get(t, PL_T_BATCH, &k, &partsledger__v1__batch__descriptor, arena,
                    (ProtobufCMessage **)out);
}

static int pl__batch_put(pl_apply *a, const Partsledger__V1__Batch *b) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, b->batch_id);
  return pl_row_put(a->txn, PL_T_BATCH, &k, &b->base, a->arena);
}

int pl_batch_has_serial(pl_txn *t, const char *batch_id, const char *serial) {
  pl_key_buf k;
  pl_val v;
  pl_kb_init(&k);
  pl_kb_str(pl_kb_str(&k, batch_id), serial);
  int rc = pl_kv_get(t, PL_T_BATCH_SERIAL, &k, &v);
  return rc == 0 ? 1 : rc == PL_ENOTFOUND ? 0 : rc;
}

int pl_reservation_get(pl_txn *t, const char *reservation_id, pl_arena *arena,
                       Partsledger__V1__Reservation **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, reservation_id);
  return pl_row_get(t, PL_T_RESERVATION, &k, &partsledger__v1__reservation__descriptor,
                    arena, (ProtobufCMessage **)out);
}

static int pl__reservation_put(pl_apply *a, const Partsledger__V1__Reservation *r) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, r->reservation_id);
  return pl_row_put(a->txn, PL_T_RESERVATION, &k, &r->base, a->arena);
}

/* A batch that must exist (NOT_FOUND) and, unless `recalled_ok`, not be
 * recalled (FAILED_PRECONDITION). */
static int pl__batch_require(pl_apply *a, const char *batch_id, int recalled_ok,
                             Partsledger__V1__Batch **out) {
  int rc = pl_batch_get(a->txn, batch_id, a->arena, out);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "batch %s is not registered", batch_id);
  if (rc != 0)
    return rc;
  if (!recalled_ok && (*out)->recalled)
    return pl_fail(a->msg, PL_ESTATE, "batch %s is recalled", batch_id);
  return 0;
}

/* Checks a reservation an entry acts on: it exists, the signer works for
 * its site, and it is active at the entry's log time. */
static int pl__reservation_require(pl_apply *a, const char *id,
                                   Partsledger__V1__Reservation **out) {
  int rc = pl_reservation_get(a->txn, id, a->arena, out);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "reservation %s does not exist", id);
  if (rc != 0)
    return rc;
  if ((rc = pl_actor_require_site(a, (*out)->site_id)) != 0)
    return rc;
  const Partsledger__V1__Reservation *r = *out;
  if (r->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_RELEASED)
    return pl_fail(a->msg, PL_ESTATE, "reservation %s is not active: it was released", id);
  if (r->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED)
    return pl_fail(a->msg, PL_ESTATE, "reservation %s is not active: it was fulfilled", id);
  if (r->expires_at_ms <= a->at_ms)
    return pl_fail(a->msg, PL_ESTATE, "reservation %s is not active: it expired at %lld",
                   id, (long long)r->expires_at_ms);
  return 0;
}

/* Keeps a SKU's stock row and its place in the geo index together: a site
 * is in the index for a SKU while it has units of it. */
static int pl__sku_store(pl_apply *a, const char *site, const char *sku,
                         const pl__sku *before, const pl__sku *after) {
  int rc = pl__sku_put(a->txn, site, sku, after);
  if (rc == 0 && (before->on_hand == 0) != (after->on_hand == 0))
    rc = pl_geo_index_set(a, sku, site, after->on_hand > 0);
  return rc;
}

/* Adds (or takes, with a negative delta) units of a batch at a site. */
static int pl__stock_add(pl_apply *a, const char *site, const Partsledger__V1__Batch *b,
                         int64_t delta) {
  pl__sku s, before;
  pl__units units;
  int rc = pl__sku_get(a->txn, site, b->sku, &s);
  if (rc == 0)
    rc = pl__units_get(a->txn, site, b->sku, b->batch_id, &units);
  if (rc != 0)
    return rc;
  before = s;
  /* The checks made sure that nothing goes below zero. */
  units.on_hand += (uint64_t)delta;
  s.on_hand += (uint64_t)delta;
  if (!b->recalled)
    s.avail += (uint64_t)delta;
  rc = pl__units_put(a->txn, site, b->sku, b->batch_id, &units);
  if (rc == 0)
    rc = pl__sku_store(a, site, b->sku, &before, &s);
  return rc;
}

/* Refuses what would take the stock invariant below zero at a site: the
 * SKU's available units less its reservations, and the batch's units less
 * the reservations naming it (not asked of a recalled batch), after `take`
 * units of the batch leave and `release` reserved units (`release_named`
 * of them naming the batch) stop counting. A margin that was already
 * below zero (after a recall) may not get worse. */
static int pl__invariant(pl_apply *a, const char *site, const Partsledger__V1__Batch *b,
                         uint64_t take, uint64_t release, uint64_t release_named) {
  pl__stock st;
  int rc = pl__stock_at(a->txn, site, b->sku, b->batch_id, a->at_ms, &st);
  if (rc != 0)
    return rc;
  const pl__sku *sr = &st.sku;
  uint64_t units = st.units.on_hand;
  if (!b->recalled) {
    int64_t before = (int64_t)sr->avail - (int64_t)st.reserved;
    int64_t after = before - (int64_t)take + (int64_t)release;
    if (after < 0 && after < before)
      return pl_fail(a->msg, PL_ESTATE,
                     "SKU %s at site %s: available %lld (%llu units, %llu reserved); "
                     "taking %llu would over-commit it",
                     b->sku, site, (long long)(before > 0 ? before : 0),
                     (unsigned long long)sr->avail, (unsigned long long)st.reserved,
                     (unsigned long long)take);
    before = (int64_t)units - (int64_t)st.named;
    after = before - (int64_t)take + (int64_t)release_named;
    if (after < 0 && after < before)
      return pl_fail(a->msg, PL_ESTATE,
                     "batch %s at site %s: available %lld (%llu units, %llu reserved "
                     "for it); taking %llu would over-commit it",
                     b->batch_id, site, (long long)(before > 0 ? before : 0),
                     (unsigned long long)units, (unsigned long long)st.named,
                     (unsigned long long)take);
  }
  return 0;
}

/* A site's units of a batch, which must cover `need`. */
static int pl__units_require(pl_apply *a, const char *site,
                             const Partsledger__V1__Batch *b, uint64_t need) {
  pl__units units;
  int rc = pl__units_get(a->txn, site, b->sku, b->batch_id, &units);
  if (rc != 0)
    return rc;
  if (units.on_hand < need)
    return pl_fail(a->msg, PL_ESTATE, "site %s holds %llu units of batch %s, not %llu",
                   site, (unsigned long long)units.on_hand, b->batch_id,
                   (unsigned long long)need);
  return 0;
}

/* The counterfeit check: no more units in the network than were made. */
static int pl__network_room(pl_apply *a, const Partsledger__V1__Batch *b, uint64_t q) {
  if (q > b->quantity || b->units_in_network > b->quantity - q)
    return pl_fail(a->msg, PL_ESTATE,
                   "batch %s: %llu of its %llu units are already in the network; %llu "
                   "more would be more than were made",
                   b->batch_id, (unsigned long long)b->units_in_network,
                   (unsigned long long)b->quantity, (unsigned long long)q);
  return 0;
}

int pl_trace_fact(pl_apply *a, const char *batch_id, const char *kind,
                  const char *site_id, const char *to_site_id, int64_t quantity) {
  pl_key_buf k;
  uint64_t seq;
  pl_kb_init(&k);
  pl_kb_str(&k, batch_id);
  int rc = pl_kv_next_seq(a->txn, PL_T_BATCH_FACT, &k, &seq);
  if (rc != 0)
    return rc;
  pl_kb_u64(&k, seq);
  Partsledger__V1__Fact f = PARTSLEDGER__V1__FACT__INIT;
  f.index = a->index;
  f.kind = (char *)kind;
  f.site_id = (char *)site_id;
  f.to_site_id = (char *)to_site_id;
  f.quantity = quantity;
  return pl_row_put(a->txn, PL_T_BATCH_FACT, &k, &f.base, a->arena);
}

/* --- batch_registered ------------------------------------------------------ */

int pl_batch_registered_check(pl_apply *a, const Partsledger__V1__BatchRegistered *b) {
  Partsledger__V1__Batch *old;
  Partsledger__V1__Supplier *sup;
  int rc = pl_batch_get(a->txn, b->batch_id, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "batch %s is already registered", b->batch_id);
  if (rc != PL_ENOTFOUND)
    return rc;
  rc = pl_supplier_get(a->txn, b->supplier_id, a->arena, &sup);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "supplier %s is not registered", b->supplier_id);
  return rc;
}

int pl_batch_registered_write(pl_apply *a, const Partsledger__V1__BatchRegistered *b) {
  char gtin[PL_GTIN14];
  pl_gtin14(b->gtin, gtin);
  Partsledger__V1__Batch row = PARTSLEDGER__V1__BATCH__INIT;
  row.batch_id = b->batch_id;
  row.supplier_id = b->supplier_id;
  row.sku = b->sku;
  row.gtin = gtin;
  row.part_class = b->part_class;
  row.warranty_months = b->warranty_months;
  row.produced_at_ms = b->produced_at_ms;
  row.quantity = b->quantity;
  row.registered_index = a->index;
  row.serial_count = (uint32_t)b->n_serials;
  int rc = pl__batch_put(a, &row);
  for (size_t i = 0; rc == 0 && i < b->n_serials; i++) {
    pl_key_buf k;
    pl_kb_init(&k);
    pl_kb_str(pl_kb_str(&k, b->batch_id), b->serials[i]);
    rc = pl_kv_put(a->txn, PL_T_BATCH_SERIAL, &k, "", 0);
  }
  pl_key_buf sk;
  uint64_t seq;
  pl_kb_init(&sk);
  pl_kb_str(&sk, b->supplier_id);
  if (rc == 0)
    rc = pl_kv_next_seq(a->txn, PL_T_SUPPLIER_BATCH, &sk, &seq);
  if (rc == 0)
    rc = pl_kv_put(a->txn, PL_T_SUPPLIER_BATCH, pl_kb_u64(&sk, seq), b->batch_id,
                   strlen(b->batch_id));
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "batch_registered", "", "", (int64_t)b->quantity);
  return rc;
}

/* --- stock_received ---------------------------------------------------------- */

int pl_stock_received_check(pl_apply *a, const Partsledger__V1__StockReceived *b) {
  Partsledger__V1__Batch *batch;
  int rc;
  if ((rc = pl_actor_require_site(a, b->site_id)) != 0 ||
      (rc = pl_site_require(a, b->site_id)) != 0 ||
      (rc = pl__batch_require(a, b->batch_id, 0, &batch)) != 0 ||
      (rc = pl__network_room(a, batch, b->quantity)) != 0)
    return rc;
  a->scratch = batch;
  return 0;
}

int pl_stock_received_write(pl_apply *a, const Partsledger__V1__StockReceived *b) {
  Partsledger__V1__Batch *batch = a->scratch;
  batch->units_in_network += b->quantity;
  int rc = pl__batch_put(a, batch);
  if (rc == 0)
    rc = pl__stock_add(a, b->site_id, batch, (int64_t)b->quantity);
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "stock_received", b->site_id, "",
                       (int64_t)b->quantity);
  return rc;
}

/* --- stock_transferred ------------------------------------------------------- */

int pl_stock_transferred_check(pl_apply *a, const Partsledger__V1__StockTransferred *b) {
  Partsledger__V1__Batch *batch;
  int rc;
  if ((rc = pl_actor_require_site(a, b->from_site_id)) != 0 ||
      (rc = pl_site_require(a, b->from_site_id)) != 0 ||
      (rc = pl_site_require(a, b->to_site_id)) != 0 ||
      (rc = pl__batch_require(a, b->batch_id, 0, &batch)) != 0 ||
      (rc = pl__units_require(a, b->from_site_id, batch, b->quantity)) != 0 ||
      (rc = pl__invariant(a, b->from_site_id, batch, b->quantity, 0, 0)) != 0)
    return rc;
  a->scratch = batch;
  return 0;
}

int pl_stock_transferred_write(pl_apply *a, const Partsledger__V1__StockTransferred *b) {
  Partsledger__V1__Batch *batch = a->scratch;
  int rc = pl__stock_add(a, b->from_site_id, batch, -(int64_t)b->quantity);
  if (rc == 0)
    rc = pl__stock_add(a, b->to_site_id, batch, (int64_t)b->quantity);
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "stock_transferred", b->from_site_id,
                       b->to_site_id, (int64_t)b->quantity);
  return rc;
}

/* --- stock_adjusted ------------------------------------------------------------ */

int pl_stock_adjusted_check(pl_apply *a, const Partsledger__V1__StockAdjusted *b) {
  Partsledger__V1__Batch *batch;
  int rc;
  if ((rc = pl_actor_require_site(a, b->site_id)) != 0 ||
      (rc = pl_site_require(a, b->site_id)) != 0)
    return rc;
  /* Units of a recalled batch may still go: scrapped, sent back. */
  if ((rc = pl__batch_require(a, b->batch_id, b->delta < 0, &batch)) != 0)
    return rc;
  if (b->delta > 0)
    rc = pl__network_room(a, batch, (uint64_t)b->delta);
  else if ((rc = pl__units_require(a, b->site_id, batch, (uint64_t)-b->delta)) == 0)
    rc = pl__invariant(a, b->site_id, batch, (uint64_t)-b->delta, 0, 0);
  if (rc != 0)
    return rc;
  a->scratch = batch;
  return 0;
}

int pl_stock_adjusted_write(pl_apply *a, const Partsledger__V1__StockAdjusted *b) {
  Partsledger__V1__Batch *batch = a->scratch;
  int rc = 0;
  if (b->delta > 0) {
    /* Found units count as in the network: they were made once. */
    batch->units_in_network += (uint64_t)b->delta;
    rc = pl__batch_put(a, batch);
  }
  if (rc == 0)
    rc = pl__stock_add(a, b->site_id, batch, b->delta);
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "stock_adjusted", b->site_id, "", b->delta);
  return rc;
}

/* --- part_reserved ---------------------------------------------------------- */

int pl_part_reserved_check(pl_apply *a, const Partsledger__V1__PartReserved *b) {
  Partsledger__V1__Reservation *old;
  Partsledger__V1__Batch *batch = NULL;
  int rc;
  if ((rc = pl_actor_require_site(a, b->site_id)) != 0)
    return rc;
  rc = pl_reservation_get(a->txn, b->reservation_id, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "reservation %s already exists", b->reservation_id);
  if (rc != PL_ENOTFOUND)
    return rc;
  if (b->expires_at_ms <= a->at_ms || b->expires_at_ms - a->at_ms > PL__RESERVE_MAX_MS)
    return pl_fail(a->msg, PL_EINVAL,
                   "part_reserved: expires_at_ms must lie after the entry's log time "
                   "(%lld) and at most 90 days after it",
                   (long long)a->at_ms);
  if ((rc = pl_site_require(a, b->site_id)) != 0)
    return rc;
  if (b->batch_id[0] != '\0') {
    if ((rc = pl__batch_require(a, b->batch_id, 1, &batch)) != 0)
      return rc;
    if (strcmp(batch->sku, b->sku) != 0)
      return pl_fail(a->msg, PL_EINVAL,
                     "part_reserved: batch_id %s is of SKU %s, not of the reserved %s",
                     b->batch_id, batch->sku, b->sku);
    if (batch->recalled)
      return pl_fail(a->msg, PL_ESTATE, "batch %s is recalled", b->batch_id);
  }
  /* As much as is available, and of a named batch as much as it has. */
  pl__stock st;
  if ((rc = pl__stock_at(a->txn, b->site_id, b->sku, batch != NULL ? b->batch_id : NULL,
                         a->at_ms, &st)) != 0)
    return rc;
  uint64_t units = st.units.on_hand;
  uint64_t avail = st.sku.avail > st.reserved ? st.sku.avail - st.reserved : 0;
  if (b->quantity > avail)
    return pl_fail(a->msg, PL_ESTATE,
                   "SKU %s at site %s: available %llu (%llu units, %llu reserved); "
                   "%llu asked",
                   b->sku, b->site_id, (unsigned long long)avail,
                   (unsigned long long)st.sku.avail, (unsigned long long)st.reserved,
                   (unsigned long long)b->quantity);
  uint64_t bavail = units > st.named ? units - st.named : 0;
  if (batch != NULL && b->quantity > bavail)
    return pl_fail(a->msg, PL_ESTATE,
                   "batch %s at site %s: available %llu (%llu units, %llu reserved for "
                   "it); %llu asked",
                   b->batch_id, b->site_id, (unsigned long long)bavail,
                   (unsigned long long)units, (unsigned long long)st.named,
                   (unsigned long long)b->quantity);
  return 0;
}

int pl_part_reserved_write(pl_apply *a, const Partsledger__V1__PartReserved *b) {
  Partsledger__V1__Reservation r = PARTSLEDGER__V1__RESERVATION__INIT;
  r.reservation_id = b->reservation_id;
  r.site_id = b->site_id;
  r.sku = b->sku;
  r.batch_id = b->batch_id;
  r.quantity = b->quantity;
  r.repair_order_id = b->repair_order_id;
  r.expires_at_ms = b->expires_at_ms;
  r.state = PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_ACTIVE;
  r.reserved_index = a->index;
  r.reserved_at_ms = a->at_ms;
  int rc = pl__reservation_put(a, &r);

  /* It counts from now: in res_active, and by its expiry in res_expiry. */
  size_t blen = strlen(b->batch_id);
  uint8_t *terms = pl_arena_alloc(a->arena, 16 + blen + 1);
  if (terms == NULL)
    return PL_ENOMEM;
  pl_be64_put(terms, (uint64_t)b->expires_at_ms);
  pl_be64_put(terms + 8, b->quantity);
  memcpy(terms + 16, b->batch_id, blen);
  pl_key_buf k, e, where;
  pl__sku_key(&k, b->site_id, b->sku);
  where = k;
  pl_kb_str(&k, b->reservation_id);
  pl_kb_init(&e);
  pl_kb_str(pl_kb_u64(&e, (uint64_t)b->expires_at_ms), b->reservation_id);
  if (rc == 0)
    rc = pl_kv_put(a->txn, PL_T_RES_ACTIVE, &k, terms, 16 + blen);
  if (rc == 0)
    rc = where.over ? PL_EVALSIZE
                    : pl_kv_put(a->txn, PL_T_RES_EXPIRY, &e, where.b, where.n);
  pl__sku s;
  if (rc == 0)
    rc = pl__sku_get(a->txn, b->site_id, b->sku, &s);
  if (rc == 0) {
    s.reserved += b->quantity;
    if (b->expires_at_ms < s.next_expiry)
      s.next_expiry = b->expires_at_ms;
    rc = pl__sku_put(a->txn, b->site_id, b->sku, &s);
  }
  if (rc == 0 && b->batch_id[0] != '\0') {
    pl__units u;
    if ((rc = pl__units_get(a->txn, b->site_id, b->sku, b->batch_id, &u)) == 0) {
      u.named += b->quantity;
      rc = pl__units_put(a->txn, b->site_id, b->sku, b->batch_id, &u);
    }
  }
  if (rc == 0 && b->batch_id[0] != '\0')
    rc = pl_trace_fact(a, b->batch_id, "part_reserved", b->site_id, "",
                       (int64_t)b->quantity);
  return rc;
}

/* Takes a reservation out of what counts, as it closes or expires. */
static int pl__reservation_uncount(pl_apply *a, const char *site, const char *sku,
                                   const char *batch, const char *id, int64_t expires,
                                   uint64_t quantity) {
  pl_key_buf k, e;
  pl__sku_key(&k, site, sku);
  pl_kb_str(&k, id);
  pl_kb_init(&e);
  pl_kb_str(pl_kb_u64(&e, (uint64_t)expires), id);
  int rc = pl_kv_del(a->txn, PL_T_RES_ACTIVE, &k);
  if (rc == 0)
    rc = pl_kv_del(a->txn, PL_T_RES_EXPIRY, &e);
  pl__sku s;
  if (rc == 0)
    rc = pl__sku_get(a->txn, site, sku, &s);
  if (rc == 0) {
    /* next_expiry stays a lower bound: at worst a query counts again. */
    s.reserved = s.reserved > quantity ? s.reserved - quantity : 0;
    if (s.reserved == 0)
      s.next_expiry = INT64_MAX;
    rc = pl__sku_put(a->txn, site, sku, &s);
  }
  if (rc == 0 && batch[0] != '\0') {
    pl__units u;
    if ((rc = pl__units_get(a->txn, site, sku, batch, &u)) == 0) {
      u.named = u.named > quantity ? u.named - quantity : 0;
      rc = pl__units_put(a->txn, site, sku, batch, &u);
    }
  }
  return rc;
}

/* --- reservation_released ----------------------------------------------------- */

int pl_reservation_released_check(pl_apply *a,
                                  const Partsledger__V1__ReservationReleased *b) {
  Partsledger__V1__Reservation *r;
  int rc = pl__reservation_require(a, b->reservation_id, &r);
  if (rc == 0)
    a->scratch = r;
  return rc;
}

int pl_reservation_released_write(pl_apply *a,
                                  const Partsledger__V1__ReservationReleased *b) {
  Partsledger__V1__Reservation *r = a->scratch;
  (void)b;
  r->state = PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_RELEASED;
  r->closed_index = a->index;
  int rc = pl__reservation_put(a, r);
  if (rc == 0)
    rc = pl__reservation_uncount(a, r->site_id, r->sku, r->batch_id, r->reservation_id,
                                 r->expires_at_ms, r->quantity);
  if (rc == 0 && r->batch_id[0] != '\0')
    rc = pl_trace_fact(a, r->batch_id, "reservation_released", r->site_id, "", 0);
  return rc;
}

/* --- reservation_fulfilled ---------------------------------------------------- */

typedef struct {
  Partsledger__V1__Reservation *r;
  Partsledger__V1__Batch *batch;
} pl__fulfil;

int pl_reservation_fulfilled_check(pl_apply *a,
                                   const Partsledger__V1__ReservationFulfilled *b) {
  pl__fulfil *f = pl_arena_alloc(a->arena, sizeof(*f));
  if (f == NULL)
    return PL_ENOMEM;
  int rc = pl__reservation_require(a, b->reservation_id, &f->r);
  if (rc != 0)
    return rc;
  const Partsledger__V1__Reservation *r = f->r;
  if (r->batch_id[0] != '\0' && strcmp(r->batch_id, b->batch_id) != 0)
    return pl_fail(a->msg, PL_ESTATE,
                   "reservation %s is for batch %s; it cannot be fulfilled from %s",
                   r->reservation_id, r->batch_id, b->batch_id);
  if ((rc = pl__batch_require(a, b->batch_id, 0, &f->batch)) != 0)
    return rc;
  if (strcmp(f->batch->sku, r->sku) != 0)
    return pl_fail(a->msg, PL_ESTATE,
                   "batch %s is of SKU %s; reservation %s is of SKU %s", b->batch_id,
                   f->batch->sku, r->reservation_id, r->sku);
  if (b->quantity > r->quantity)
    return pl_fail(a->msg, PL_ESTATE, "reservation %s holds %llu units, not %llu",
                   r->reservation_id, (unsigned long long)r->quantity,
                   (unsigned long long)b->quantity);
  int named = strcmp(r->batch_id, b->batch_id) == 0;
  if ((rc = pl__units_require(a, r->site_id, f->batch, b->quantity)) != 0 ||
      (rc = pl__invariant(a, r->site_id, f->batch, b->quantity, r->quantity,
                          named ? r->quantity : 0)) != 0)
    return rc;
  a->scratch = f;
  return 0;
}

int pl_reservation_fulfilled_write(pl_apply *a,
                                   const Partsledger__V1__ReservationFulfilled *b) {
  pl__fulfil *f = a->scratch;
  Partsledger__V1__Reservation *r = f->r;
  r->state = PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED;
  r->closed_index = a->index;
  r->fulfilled_batch_id = b->batch_id;
  r->fulfilled_quantity = b->quantity;
  int rc = pl__reservation_put(a, r);
  if (rc == 0)
    rc = pl__reservation_uncount(a, r->site_id, r->sku, r->batch_id, r->reservation_id,
                                 r->expires_at_ms, r->quantity);
  if (rc == 0)
    rc = pl__stock_add(a, r->site_id, f->batch, -(int64_t)b->quantity);
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "reservation_fulfilled", r->site_id, "",
                       (int64_t)b->quantity);
  return rc;
}

/* --- batch_recalled ------------------------------------------------------------- */

int pl_batch_recalled_check(pl_apply *a, const Partsledger__V1__BatchRecalled *b) {
  Partsledger__V1__Batch *batch;
  int rc = pl__batch_require(a, b->batch_id, 0, &batch);
  if (rc == 0)
    a->scratch = batch;
  return rc;
}

typedef struct {
  pl_apply *a;
  const Partsledger__V1__Batch *batch;
} pl__recall;

/* One site holding the batch: its units stop counting as available. */
static int pl__recall_site(void *ctx, pl_val key, pl_val val) {
  pl__recall *rc_ = ctx;
  pl_apply *a = rc_->a;
  (void)val;
  const char *site = (const char *)key.data + strlen(rc_->batch->batch_id) + 1;
  pl__units units;
  pl__sku s;
  int rc = pl__units_get(a->txn, site, rc_->batch->sku, rc_->batch->batch_id, &units);
  if (rc == 0)
    rc = pl__sku_get(a->txn, site, rc_->batch->sku, &s);
  if (rc != 0)
    return rc;
  s.avail = s.avail > units.on_hand ? s.avail - units.on_hand : 0;
  return pl__sku_put(a->txn, site, rc_->batch->sku, &s);
}

int pl_batch_recalled_write(pl_apply *a, const Partsledger__V1__BatchRecalled *b) {
  Partsledger__V1__Batch *batch = a->scratch;
  batch->recalled = 1;
  batch->recall_reason = b->reason;
  int rc = pl__batch_put(a, batch);
  pl_key_buf prefix;
  pl_kb_init(&prefix);
  pl_kb_str(&prefix, b->batch_id);
  pl__recall ctx = {a, batch};
  /* Rows of batch_site are not changed while they are walked: only
   * stock_sku rows are written. */
  if (rc == 0)
    rc = pl_db_scan(a->txn, PL_T_BATCH_SITE, prefix.b, prefix.n, NULL, 0,
                    pl__recall_site, &ctx);
  if (rc == 0)
    rc = pl_trace_fact(a, b->batch_id, "batch_recalled", "", "", 0);
  return rc;
}

/* --- time ------------------------------------------------------------------------ */

typedef struct {
  pl_val key, where;
} pl__due;

int pl_inventory_tick(pl_apply *a) {
  pl_cursor *c;
  pl_val k, v;
  pl__due due[64];
  size_t n = 0;
  /* At most a few dozen a time: what is left goes with the next entry, and
   * until then every count judges expiry by time anyway. */
  int rc = pl_cursor_open(a->txn, PL_T_RES_EXPIRY, &c);
  if (rc != 0)
    return rc;
  for (rc = pl_cursor_seek(c, NULL, 0, &k, &v); rc == 0 && n < 64;
       rc = pl_cursor_next(c, &k, &v)) {
    if (k.len < 9) {
      rc = PL_ECORRUPT;
      break;
    }
    if ((int64_t)pl_be64_get(k.data) > a->at_ms)
      break;
    due[n].key.data = pl_arena_dup(a->arena, k.data, k.len);
    due[n].key.len = k.len;
    due[n].where.data = pl_arena_dup(a->arena, v.data, v.len);
    due[n].where.len = v.len;
    if (due[n].key.data == NULL || due[n].where.data == NULL) {
      rc = PL_ENOMEM;
      break;
    }
    n++;
  }
  pl_cursor_close(c);
  if (rc != 0 && rc != PL_ENOTFOUND)
    return rc;
  for (size_t i = 0; i < n; i++) {
    /* key: expires || id NUL; where: site NUL sku NUL */
    const uint8_t *kp = due[i].key.data;
    const char *id = (const char *)kp + 8;
    const char *site = due[i].where.data;
    const char *end = memchr(site, 0, due[i].where.len);
    if (memchr(id, 0, due[i].key.len - 8) == NULL || end == NULL ||
        memchr(end + 1, 0, due[i].where.len - (size_t)(end + 1 - site)) == NULL)
      return PL_ECORRUPT;
    const char *sku = end + 1;
    pl_key_buf ak;
    pl_val terms;
    pl__sku_key(&ak, site, sku);
    pl_kb_str(&ak, id);
    /* Every row of res_expiry has its row in res_active: a missing one is
     * damage, not a rule's NOT_FOUND. */
    rc = pl_kv_get(a->txn, PL_T_RES_ACTIVE, &ak, &terms);
    if (rc == PL_ENOTFOUND || (rc == 0 && terms.len < 16))
      return PL_ECORRUPT;
    if (rc != 0)
      return rc;
    uint64_t q = pl_be64_get((const uint8_t *)terms.data + 8);
    size_t blen = terms.len - 16;
    char *batch = pl_arena_alloc(a->arena, blen + 1);
    if (batch == NULL)
      return PL_ENOMEM;
    memcpy(batch, (const uint8_t *)terms.data + 16, blen);
    batch[blen] = '\0';
    rc = pl__reservation_uncount(a, site, sku, batch, id, (int64_t)pl_be64_get(kp), q);
    if (rc != 0)
      return rc;
    /* The row's next expiry is exact again: the earliest of what is left,
     * due or not (more than one tick's worth may fall due at once). */
    pl__sku s;
    int64_t earliest;
    if ((rc = pl__sku_get(a->txn, site, sku, &s)) != 0 ||
        (rc = pl__reservations_scan(a->txn, site, sku, NULL, a->at_ms, NULL, NULL,
                                    &earliest)) != 0)
      return rc;
    s.next_expiry = earliest;
    if ((rc = pl__sku_put(a->txn, site, sku, &s)) != 0)
      return rc;
  }
  return 0;
}
