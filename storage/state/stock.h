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

typedef struct {
  const char *batch; /* count reservations naming this batch too, or NULL */
  int64_t at;        /* those expiring at or before this count nowhere */
  uint64_t total, named;
  int64_t earliest;  /* the earliest expiry of any row, expired or not */
} pl__reserved;

void pl__sku_key(pl_key_buf *k, const char *site, const char *sku);
/* A SKU's row at a site; zeros (and no expiry) when there is none. */
int pl__sku_get(pl_txn *t, const char *site, const char *sku, pl__sku *out);
/* Writes it, or deletes it when it holds nothing. */
int pl__sku_put(pl_txn *t, const char *site, const char *sku, const pl__sku *s);
void pl__units_key(pl_key_buf *k, const char *site, const char *sku, const char *batch);
int pl__units_get(pl_txn *t, const char *site, const char *sku, const char *batch,
                  uint64_t *units);
int pl__units_put(pl_txn *t, const char *site, const char *sku, const char *batch,
                  uint64_t units);
/* The active reservations of a SKU at a site at time `at`, and of them
 * those naming `batch` (may be NULL). */
int pl__reserved_at(pl_txn *t, const char *site, const char *sku, const char *batch,
                    int64_t at, pl__reserved *out);
/* The reserved quantity of a stock row at `at`. */
int pl__sku_reserved(pl_txn *t, const char *site, const char *sku, const pl__sku *s,
                     int64_t at, uint64_t *reserved);

/* What a site has of a SKU for a new reservation at `now_ms`: units of
 * batches not recalled, less active reservations. */
int pl_stock_available(pl_txn *t, const char *site_id, const char *sku, int64_t now_ms,
                       uint64_t *avail);

#endif /* PL_STATE_STOCK_H */
