/*
 * state/stock.h - the stock rows of a site, private to the state modules
 * that keep and read them (inventory.c, inventory_query.c, geo.c).
 * See inventory.c for the tables.
 */
#ifndef PL_STATE_STOCK_H
#define PL_STATE_STOCK_H

#include "state.h"

typedef struct {
  uint64_t on_hand;     /* every unit at the site, recalled ones too */
  uint64_t avail;       /* units of batches not recalled */
  uint64_t reserved;    /* quantity of the rows in res_active */
  int64_t next_expiry;  /* no row in res_active expires before this */
} pl__sku;

/* A site's row of a batch: its units, and the reservations naming the
 * batch (counted as stock_sku counts them). */
typedef struct {
  uint64_t on_hand;
  uint64_t named;
} pl__units;

/* A SKU's stock at a site at a moment, and one batch's part of it. */
typedef struct {
  pl__sku sku;
  pl__units units;   /* the batch's row, when a batch was asked for */
  uint64_t reserved; /* active reservations of the SKU at the moment */
  uint64_t named;    /* of them, those naming the batch */
} pl__stock;

void pl__sku_key(pl_key_buf *k, const char *site, const char *sku);
/* A SKU's row at a site; zeros (and no expiry) when there is none. */
int pl__sku_get(pl_txn *t, const char *site, const char *sku, pl__sku *out);
/* Writes it, or deletes it when it holds nothing. */
int pl__sku_put(pl_txn *t, const char *site, const char *sku, const pl__sku *s);
void pl__units_key(pl_key_buf *k, const char *site, const char *sku, const char *batch);
/* A batch's row at a site; zeros when there is none. */
int pl__units_get(pl_txn *t, const char *site, const char *sku, const char *batch,
                  pl__units *out);
/* Writes it, or deletes it when it holds nothing. */
int pl__units_put(pl_txn *t, const char *site, const char *sku, const char *batch,
                  const pl__units *u);
/* Counts the active reservations of a SKU at a site at time `at` from
 * res_active itself, those naming `batch` (may be NULL) too, and the
 * earliest expiry of any row there; any out may be NULL. */
int pl__reservations_scan(pl_txn *t, const char *site, const char *sku, const char *batch,
                          int64_t at, uint64_t *total, uint64_t *named,
                          int64_t *earliest);
/* The stock of a SKU at a site at time `at`, and of `batch` (may be NULL):
 * from the rows' own counts while nothing they count has expired, else
 * counted again. */
int pl__stock_at(pl_txn *t, const char *site, const char *sku, const char *batch,
                 int64_t at, pl__stock *out);

/* What a site has of a SKU for a new reservation at `now_ms`: units of
 * batches not recalled, less active reservations. */
int pl_stock_available(pl_txn *t, const char *site_id, const char *sku, int64_t now_ms,
                       uint64_t *avail);

#endif /* PL_STATE_STOCK_H */
