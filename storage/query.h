/*
 * query.h - the questions the derived state answers, each over a read
 * snapshot (a pl_txn from pl_reader_txn). Answers are allocated in the
 * caller's arena or borrowed from the snapshot (said per function) and
 * live until the arena is freed or the snapshot ends. Each returns 0 or a
 * PL_E* code with `msg` (PL_MSG_MAX) saying what was not found or wrong.
 * Time-dependent answers (expired reservations) are judged at `now_ms`.
 */
#ifndef PL_QUERY_H
#define PL_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"
#include "partsledger/v1/audit.pb-c.h"

#define PL_PAGE_DEFAULT 100
#define PL_PAGE_MAX 1000
#define PL_NEAR_LIMIT_DEFAULT 20
#define PL_NEAR_LIMIT_MAX 1000
#define PL_NEAR_RADIUS_MAX_KM 20016.0

int pl_query_site(pl_txn *t, const char *site_id, pl_arena *a,
                  Partsledger__V1__Site **out, char *msg);
int pl_query_batch(pl_txn *t, const char *batch_id, pl_arena *a,
                   Partsledger__V1__Batch **out, char *msg);
/* The reservation, its state EXPIRED when it is active and now_ms has
 * reached its expiry. */
int pl_query_reservation(pl_txn *t, const char *reservation_id, int64_t now_ms,
                         pl_arena *a, Partsledger__V1__Reservation **out, char *msg);
/* A site's stock of a SKU, and of each of its batches. */
int pl_query_stock(pl_txn *t, const char *site_id, const char *sku, int64_t now_ms,
                   pl_arena *a, Partsledger__V1__GetStockResponse **out, char *msg);
/* Sites within the radius with enough available units, nearest first. */
int pl_query_stock_near(pl_txn *t, const Partsledger__V1__StockNearRequest *req,
                        int64_t now_ms, pl_arena *a,
                        Partsledger__V1__StockNearResponse **out, char *msg);

/* A page of a batch's facts, as stored: each one an encoded Fact without
 * its leaf and proof, borrowed from the snapshot. */
typedef struct pl_trace_page {
  pl_val batch;       /* the encoded Batch */
  size_t n;
  pl_val *facts;      /* n encoded Facts, in log order */
  uint64_t *indices;  /* their leaf indices */
  uint64_t next_start;
} pl_trace_page;

int pl_query_trace_batch(pl_txn *t, const char *batch_id, uint64_t start,
                         uint32_t page_size, pl_arena *a, pl_trace_page *out, char *msg);
int pl_query_trace_supplier(pl_txn *t, const char *supplier_id, uint64_t start,
                            uint32_t page_size, pl_arena *a,
                            Partsledger__V1__TraceSupplierResponse **out, char *msg);

/* --- repair orders and warranty (state/warranty_query.c) --- */

/* The status at req->at_ms (0: now_ms). */
int pl_query_warranty_status(pl_txn *t, const Partsledger__V1__GetWarrantyStatusRequest *req,
                             int64_t now_ms, pl_arena *a,
                             Partsledger__V1__GetWarrantyStatusResponse **out, char *msg);
int pl_query_device(pl_txn *t, const char *device_serial, pl_arena *a,
                    Partsledger__V1__Device **out, char *msg);
/* The order, its SLA judged at now_ms. */
int pl_query_repair_order(pl_txn *t, const char *order_id, int64_t now_ms, pl_arena *a,
                          Partsledger__V1__RepairOrder **out, char *msg);
int pl_query_claim(pl_txn *t, const char *claim_id, pl_arena *a,
                   Partsledger__V1__Claim **out, char *msg);
int pl_query_station_report(pl_txn *t, const Partsledger__V1__StationReportRequest *req,
                            int64_t now_ms, pl_arena *a,
                            Partsledger__V1__StationReportResponse **out, char *msg);
/* Every fact of a device's or a part's history (the page's batch is empty
 * and next_start 0). */
int pl_query_device_history(pl_txn *t, const char *device_serial, pl_arena *a,
                            pl_trace_page *out, char *msg);
int pl_query_part_history(pl_txn *t, const char *part_serial, pl_arena *a,
                          pl_trace_page *out, char *msg);
int pl_query_batch_devices(pl_txn *t, const Partsledger__V1__BatchDevicesRequest *req,
                           pl_arena *a, Partsledger__V1__BatchDevicesResponse **out,
                           char *msg);

/* --- arbitration and audit (state/audit.c, state/dispute.c) --- */

int pl_query_panel(pl_txn *t, const char *panel_id, pl_arena *a,
                   Partsledger__V1__Panel **out, char *msg);
/* The sorted indices of every leaf linked to a claim, within the snapshot's
 * `size` leaves (state/audit.c says which). */
int pl_query_audit_leaves(pl_txn *t, const char *claim_id, uint64_t size, pl_arena *a,
                          uint64_t **out, size_t *n, char *msg);

#endif /* PL_QUERY_H */
