/*
 * inventory_rpc.c - the service partsledger.v1.Inventory: sites, batches,
 * stock, reservations and the radius check, each answered from one read
 * snapshot of the derived state (storage/query.h). Handlers decode, call
 * and encode; reservations are judged by the clock at the query.
 */
#include "clock.h"
#include "entry.h"
#include "error.h"
#include "query.h"
#include "rpc.h"

/* Runs a query: the snapshot, the call's arena, the message of a failure. */
#define PL__QUERY(c, txn, msg)                                                 \
  char msg[PL_MSG_MAX];                                                        \
  int rc;                                                                      \
  pl_reader *rd_ = pl_call_reader((c), &rc);                                   \
  if (rd_ == NULL)                                                             \
    return rc;                                                                 \
  pl_txn *txn = pl_reader_txn(rd_);                                            \
  msg[0] = '\0'

/* The answer of a query: its message on failure. */
static int pl__done(pl_call *c, int rc, const char *msg, void *m,
                    ProtobufCMessage **resp) {
  if (rc != 0) {
    if (msg[0] != '\0')
      pl_call_errorf(c, "%s", msg);
    return rc;
  }
  *resp = m; /* every message starts with its ProtobufCMessage */
  return 0;
}

static int pl__get_site(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetSiteRequest *req = (const void *)m;
  PL__QUERY(c, t, msg);
  Partsledger__V1__Site *site = NULL;
  rc = pl_query_site(t, req->site_id, pl_call_arena(c), &site, msg);
  return pl__done(c, rc, msg, site, resp);
}

static int pl__get_batch(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetBatchRequest *req = (const void *)m;
  PL__QUERY(c, t, msg);
  Partsledger__V1__Batch *batch = NULL;
  rc = pl_query_batch(t, req->batch_id, pl_call_arena(c), &batch, msg);
  return pl__done(c, rc, msg, batch, resp);
}

static int pl__get_stock(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetStockRequest *req = (const void *)m;
  PL__QUERY(c, t, msg);
  Partsledger__V1__GetStockResponse *r = NULL;
  rc = pl_query_stock(t, req->site_id, req->sku, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__stock_near(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__StockNearRequest *req = (const void *)m;
  PL__QUERY(c, t, msg);
  Partsledger__V1__StockNearResponse *r = NULL;
  rc = pl_query_stock_near(t, req, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__get_reservation(pl_call *c, const ProtobufCMessage *m,
                               ProtobufCMessage **resp) {
  const Partsledger__V1__GetReservationRequest *req = (const void *)m;
  PL__QUERY(c, t, msg);
  Partsledger__V1__Reservation *r = NULL;
  rc = pl_query_reservation(t, req->reservation_id, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

/* Lookups of one row or a few are answered on the poller; StockNear there
 * too while its circle is small (100 km holds a few dozen cells' sites),
 * on a worker past that, where a 20,000 km circle may scan every site of
 * the SKU. */
static int pl__always(const ProtobufCMessage *req) {
  (void)req;
  return 1;
}

static int pl__near_small(const ProtobufCMessage *m) {
  const Partsledger__V1__StockNearRequest *req = (const void *)m;
  return req->radius_km <= 100.0 && req->limit <= 100;
}

/* Requests of a few ids and numbers; StockNear's kinds are a packed list. */
#define PL__LIMITS .max_bytes = 4096, .max_fields = 64

static const pl_method pl__inventory_methods[] = {
    {.name = "GetSite", .request = &partsledger__v1__get_site_request__descriptor,
     .handle = pl__get_site, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "GetBatch", .request = &partsledger__v1__get_batch_request__descriptor,
     .handle = pl__get_batch, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "GetStock", .request = &partsledger__v1__get_stock_request__descriptor,
     .handle = pl__get_stock, .posted = 32, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "StockNear", .request = &partsledger__v1__stock_near_request__descriptor,
     .handle = pl__stock_near, .posted = 64, .offload = 1,
     .inline_if = pl__near_small, PL__LIMITS},
    {.name = "GetReservation",
     .request = &partsledger__v1__get_reservation_request__descriptor,
     .handle = pl__get_reservation, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
};

const pl_service pl_service_inventory =
    PL_SERVICE("partsledger.v1.Inventory", pl__inventory_methods);
