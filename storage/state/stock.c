/*
 * state/stock.c - a site's stock rows (stock_sku, stock_batch, batch_site)
 * and the count of its active reservations (res_active). See inventory.c
 * for what the tables hold and the invariant they keep.
 */
#include <limits.h>
#include <string.h>

#include "error.h"
#include "stock.h"

/* --- stock rows ------------------------------------------------------------ */

void pl__sku_key(pl_key_buf *k, const char *site, const char *sku) {
  pl_kb_init(k);
  pl_kb_str(pl_kb_str(k, site), sku);
}

int pl__sku_get(pl_txn *t, const char *site, const char *sku, pl__sku *out) {
  pl_key_buf k;
  pl_val v;
  pl__sku_key(&k, site, sku);
  int rc = pl_kv_get(t, PL_T_STOCK_SKU, &k, &v);
  memset(out, 0, sizeof(*out));
  out->next_expiry = INT64_MAX;
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (v.len != 32)
    return PL_ECORRUPT;
  const uint8_t *p = v.data;
  out->on_hand = pl_be64_get(p);
  out->avail = pl_be64_get(p + 8);
  out->reserved = pl_be64_get(p + 16);
  out->next_expiry = (int64_t)pl_be64_get(p + 24);
  return 0;
}

int pl__sku_put(pl_txn *t, const char *site, const char *sku, const pl__sku *s) {
  pl_key_buf k;
  pl__sku_key(&k, site, sku);
  if (s->on_hand == 0 && s->reserved == 0) {
    int rc = pl_kv_del(t, PL_T_STOCK_SKU, &k);
    return rc == PL_ENOTFOUND ? 0 : rc;
  }
  uint8_t row[32];
  pl_be64_put(row, s->on_hand);
  pl_be64_put(row + 8, s->avail);
  pl_be64_put(row + 16, s->reserved);
  pl_be64_put(row + 24, (uint64_t)s->next_expiry);
  return pl_kv_put(t, PL_T_STOCK_SKU, &k, row, sizeof(row));
}

void pl__units_key(pl_key_buf *k, const char *site, const char *sku, const char *batch) {
  pl_kb_init(k);
  pl_kb_str(pl_kb_str(pl_kb_str(k, site), sku), batch);
}

int pl__units_get(pl_txn *t, const char *site, const char *sku, const char *batch,
                  pl__units *out) {
  pl_key_buf k;
  pl_val v;
  pl__units_key(&k, site, sku, batch);
  int rc = pl_kv_get(t, PL_T_STOCK_BATCH, &k, &v);
  memset(out, 0, sizeof(*out));
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (v.len != 16)
    return PL_ECORRUPT;
  out->on_hand = pl_be64_get(v.data);
  out->named = pl_be64_get((const uint8_t *)v.data + 8);
  return 0;
}

/* Sets a site's row of a batch, with the index of sites holding it; a row
 * with no units and no reservation naming the batch goes. */
int pl__units_put(pl_txn *t, const char *site, const char *sku, const char *batch,
                  const pl__units *u) {
  pl_key_buf k, bs;
  pl__units_key(&k, site, sku, batch);
  pl_kb_init(&bs);
  pl_kb_str(pl_kb_str(&bs, batch), site);
  int rc;
  if (u->on_hand == 0 && u->named == 0) {
    rc = pl_kv_del(t, PL_T_STOCK_BATCH, &k);
    if (rc == 0 || rc == PL_ENOTFOUND)
      rc = pl_kv_del(t, PL_T_BATCH_SITE, &bs);
    return rc == PL_ENOTFOUND ? 0 : rc;
  }
  uint8_t row[16];
  pl_be64_put(row, u->on_hand);
  pl_be64_put(row + 8, u->named);
  rc = pl_kv_put(t, PL_T_STOCK_BATCH, &k, row, sizeof(row));
  if (rc == 0)
    rc = pl_kv_put(t, PL_T_BATCH_SITE, &bs, "", 0);
  return rc;
}

/* --- reservations that count ---------------------------------------------- */

typedef struct {
  const char *batch; /* count reservations naming this batch too, or NULL */
  int64_t at;        /* those expiring at or before this count nowhere */
  uint64_t total, named;
  int64_t earliest;  /* the earliest expiry of any row, expired or not */
} pl__scan;

static int pl__reserved_row(void *ctx, pl_val key, pl_val val) {
  pl__scan *r = ctx;
  (void)key;
  if (val.len < 16)
    return PL_ECORRUPT;
  int64_t expires = (int64_t)pl_be64_get(val.data);
  if (expires < r->earliest)
    r->earliest = expires;
  if (expires <= r->at)
    return 0;
  uint64_t q = pl_be64_get((const uint8_t *)val.data + 8);
  r->total += q;
  size_t blen = val.len - 16;
  if (r->batch != NULL && blen == strlen(r->batch) &&
      memcmp((const uint8_t *)val.data + 16, r->batch, blen) == 0)
    r->named += q;
  return 0;
}

int pl__reservations_scan(pl_txn *t, const char *site, const char *sku, const char *batch,
                          int64_t at, uint64_t *total, uint64_t *named,
                          int64_t *earliest) {
  pl_key_buf prefix;
  pl__sku_key(&prefix, site, sku);
  pl__scan r = {.batch = batch, .at = at, .earliest = INT64_MAX};
  if (prefix.over)
    return PL_EVALSIZE;
  int rc = pl_db_scan(t, PL_T_RES_ACTIVE, prefix.b, prefix.n, NULL, 0, pl__reserved_row, &r);
  if (total != NULL)
    *total = r.total;
  if (named != NULL)
    *named = r.named;
  if (earliest != NULL)
    *earliest = r.earliest;
  return rc;
}

int pl__stock_at(pl_txn *t, const char *site, const char *sku, const char *batch,
                 int64_t at, pl__stock *out) {
  memset(out, 0, sizeof(*out));
  int rc = pl__sku_get(t, site, sku, &out->sku);
  if (rc == 0 && batch != NULL)
    rc = pl__units_get(t, site, sku, batch, &out->units);
  if (rc != 0)
    return rc;
  /* The counts kept in the rows are exact until the earliest of the
   * reservations they count expires; past it, they are counted again. */
  if (at < out->sku.next_expiry) {
    out->reserved = out->sku.reserved;
    out->named = out->units.named;
    return 0;
  }
  return pl__reservations_scan(t, site, sku, batch, at, &out->reserved, &out->named, NULL);
}
