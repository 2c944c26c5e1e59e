/*
 * state/inventory_query.c - what the inventory tables answer (GetBatch,
 * GetStock, GetReservation, TraceBatch, TraceSupplier), over a read
 * snapshot, with reservations judged by the clock at the query.
 */
#include <string.h>

#include "error.h"
#include "query.h"
#include "spec/field.h"
#include "stock.h"

int pl_stock_available(pl_txn *t, const char *site_id, const char *sku, int64_t now_ms,
                       uint64_t *avail) {
  pl__stock st;
  int rc = pl__stock_at(t, site_id, sku, NULL, now_ms, &st);
  if (rc != 0)
    return rc;
  *avail = st.sku.avail > st.reserved ? st.sku.avail - st.reserved : 0;
  return 0;
}

static int pl__id_arg(const char *what, const char *id, char *msg) {
  return pl_field_id("request", what, id, 0, msg);
}

int pl_query_site(pl_txn *t, const char *site_id, pl_arena *a,
                  Partsledger__V1__Site **out, char *msg) {
  int rc = pl__id_arg("site_id", site_id, msg);
  if (rc == 0 && (rc = pl_site_get(t, site_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "site %s is not registered", site_id);
  return rc;
}

int pl_query_batch(pl_txn *t, const char *batch_id, pl_arena *a,
                   Partsledger__V1__Batch **out, char *msg) {
  int rc = pl__id_arg("batch_id", batch_id, msg);
  if (rc == 0 && (rc = pl_batch_get(t, batch_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "batch %s is not registered", batch_id);
  return rc;
}

int pl_query_reservation(pl_txn *t, const char *reservation_id, int64_t now_ms,
                         pl_arena *a, Partsledger__V1__Reservation **out, char *msg) {
  int rc = pl__id_arg("reservation_id", reservation_id, msg);
  if (rc == 0 && (rc = pl_reservation_get(t, reservation_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "reservation %s does not exist", reservation_id);
  if (rc == 0 &&
      (*out)->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_ACTIVE &&
      (*out)->expires_at_ms <= now_ms)
    (*out)->state = PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_EXPIRED;
  return rc;
}

/* --- GetStock ----------------------------------------------------------------- */

typedef struct {
  pl_txn *t;
  pl_arena *a;
  const char *site, *sku;
  size_t prefix_len;
  int64_t now;
  Partsledger__V1__BatchStock **v;
  size_t n, cap;
  int err;
} pl__stock_walk;

static int pl__stock_batch(void *ctx, pl_val key, pl_val val) {
  pl__stock_walk *w = ctx;
  if (val.len != 16 || key.len <= w->prefix_len + 1)
    return PL_ECORRUPT;
  const char *batch_id = (const char *)key.data + w->prefix_len;
  Partsledger__V1__BatchStock **slot = pl_arena_push(w->a, &w->v, &w->n, &w->cap,
                                                     sizeof(*slot));
  Partsledger__V1__BatchStock *bs = pl_arena_alloc(w->a, sizeof(*bs));
  Partsledger__V1__Batch *batch;
  pl__stock st;
  if (slot == NULL || bs == NULL)
    return PL_ENOMEM;
  (void)val;
  int rc = pl_batch_get(w->t, batch_id, w->a, &batch);
  if (rc == 0)
    rc = pl__stock_at(w->t, w->site, w->sku, batch_id, w->now, &st);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  partsledger__v1__batch_stock__init(bs);
  bs->batch_id = batch->batch_id;
  bs->on_hand = st.units.on_hand;
  bs->reserved = st.named;
  bs->recalled = batch->recalled;
  bs->available = batch->recalled || bs->on_hand < st.named ? 0 : bs->on_hand - st.named;
  *slot = bs;
  return 0;
}

int pl_query_stock(pl_txn *t, const char *site_id, const char *sku, int64_t now_ms,
                   pl_arena *a, Partsledger__V1__GetStockResponse **out, char *msg) {
  Partsledger__V1__Site *site;
  int rc = pl_query_site(t, site_id, a, &site, msg);
  if (rc == 0)
    rc = pl__id_arg("sku", sku, msg);
  if (rc != 0)
    return rc;
  Partsledger__V1__GetStockResponse *r = pl_arena_alloc(a, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_stock_response__init(r);
  r->site_id = site->site_id;
  r->sku = pl_arena_dup(a, sku, strlen(sku) + 1);
  pl__stock st;
  if ((rc = pl__stock_at(t, site_id, sku, NULL, now_ms, &st)) != 0)
    return rc;
  r->on_hand = st.sku.on_hand;
  r->reserved = st.reserved;
  r->available = st.sku.avail > st.reserved ? st.sku.avail - st.reserved : 0;
  pl_key_buf prefix;
  pl__sku_key(&prefix, site_id, sku);
  pl__stock_walk w = {.t = t, .a = a, .site = site_id, .sku = sku,
                      .prefix_len = prefix.n, .now = now_ms};
  rc = pl_db_scan(t, PL_T_STOCK_BATCH, prefix.b, prefix.n, NULL, 0, pl__stock_batch, &w);
  if (rc != 0)
    return rc;
  r->batches = w.v;
  r->n_batches = w.n;
  *out = r;
  return 0;
}

/* --- traces ------------------------------------------------------------------- */

static int pl__page_args(uint32_t page_size, uint32_t *want, char *msg) {
  *want = page_size ? page_size : PL_PAGE_DEFAULT;
  if (*want > PL_PAGE_MAX)
    return pl_fail(msg, PL_EINVAL, "page_size is at most %d", PL_PAGE_MAX);
  return 0;
}

/* Where a page of a list of `count` items starting at `start` ends. */
static int pl__page_bounds(uint64_t start, uint64_t count, uint32_t want, uint64_t *end,
                           uint64_t *next, char *msg) {
  if (start > count)
    return pl_fail(msg, PL_ERANGE, "start %llu is beyond the end of the list (%llu)",
                   (unsigned long long)start, (unsigned long long)count);
  *end = count - start > want ? start + want : count;
  *next = *end < count ? *end : 0;
  return 0;
}

int pl_query_trace_batch(pl_txn *t, const char *batch_id, uint64_t start,
                         uint32_t page_size, pl_arena *a, pl_trace_page *out, char *msg) {
  uint32_t want;
  pl_key_buf k;
  pl_val batch;
  int rc = pl__id_arg("batch_id", batch_id, msg);
  if (rc == 0)
    rc = pl__page_args(page_size, &want, msg);
  if (rc != 0)
    return rc;
  pl_kb_init(&k);
  pl_kb_str(&k, batch_id);
  if ((rc = pl_kv_get(t, PL_T_BATCH, &k, &batch)) == PL_ENOTFOUND)
    return pl_fail(msg, rc, "batch %s is not registered", batch_id);
  uint64_t count = 0, end = 0;
  if (rc != 0 || (rc = pl_kv_next_seq(t, PL_T_BATCH_FACT, &k, &count)) != 0 ||
      (rc = pl__page_bounds(start, count, want, &end, &out->next_start, msg)) != 0)
    return rc;
  out->batch = batch;
  return pl_facts_read(t, PL_T_BATCH_FACT, &k, start, end - start, a, out);
}

int pl_query_trace_supplier(pl_txn *t, const char *supplier_id, uint64_t start,
                            uint32_t page_size, pl_arena *a,
                            Partsledger__V1__TraceSupplierResponse **out, char *msg) {
  uint32_t want;
  Partsledger__V1__Supplier *sup;
  int rc = pl__id_arg("supplier_id", supplier_id, msg);
  if (rc == 0)
    rc = pl__page_args(page_size, &want, msg);
  if (rc != 0)
    return rc;
  if ((rc = pl_supplier_get(t, supplier_id, a, &sup)) == PL_ENOTFOUND)
    return pl_fail(msg, rc, "supplier %s is not registered", supplier_id);
  pl_key_buf k;
  uint64_t count = 0, end = 0, next = 0;
  pl_kb_init(&k);
  pl_kb_str(&k, supplier_id);
  if (rc != 0 || (rc = pl_kv_next_seq(t, PL_T_SUPPLIER_BATCH, &k, &count)) != 0 ||
      (rc = pl__page_bounds(start, count, want, &end, &next, msg)) != 0)
    return rc;
  Partsledger__V1__TraceSupplierResponse *r = pl_arena_alloc(a, sizeof(*r));
  Partsledger__V1__Batch **batches =
      pl_arena_alloc(a, (size_t)(end - start + 1) * sizeof(*batches));
  if (r == NULL || batches == NULL)
    return PL_ENOMEM;
  partsledger__v1__trace_supplier_response__init(r);
  for (uint64_t i = start; i < end; i++) {
    pl_key_buf ik = k;
    pl_val v;
    pl_kb_u64(&ik, i);
    if ((rc = pl_kv_get(t, PL_T_SUPPLIER_BATCH, &ik, &v)) != 0)
      return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
    char *id = pl_arena_alloc(a, v.len + 1);
    if (id == NULL)
      return PL_ENOMEM;
    memcpy(id, v.data, v.len);
    id[v.len] = '\0';
    if ((rc = pl_batch_get(t, id, a, &batches[r->n_batches])) != 0)
      return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
    r->n_batches++;
  }
  r->batches = batches;
  r->next_start = next;
  *out = r;
  return 0;
}
