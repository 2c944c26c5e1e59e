/*
 * warranty_rpc.c - the service partsledger.v1.Warranty: the warranty status
 * the ledger computes, devices, repair orders with their SLA, claims, and
 * a station's figures, each from one read snapshot (storage/query.h).
 * Handlers decode, call and encode; time-dependent answers use the clock.
 */
#include "clock.h"
#include "entry.h"
#include "error.h"
#include "query.h"
#include "rpc.h"

/* The answer of a query: its message on failure. */
static int pl__done(pl_call *c, int rc, const char *msg, void *m, ProtobufCMessage **resp) {
  if (rc != 0) {
    if (msg[0] != '\0')
      pl_call_errorf(c, "%s", msg);
    return rc;
  }
  *resp = m; /* every message starts with its ProtobufCMessage */
  return 0;
}

static pl_txn *pl__snapshot(pl_call *c, int *rc) {
  pl_reader *rd = pl_call_reader(c, rc);
  return rd != NULL ? pl_reader_txn(rd) : NULL;
}

static int pl__status(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetWarrantyStatusRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_txn *t = pl__snapshot(c, &rc);
  if (t == NULL)
    return rc;
  Partsledger__V1__GetWarrantyStatusResponse *r = NULL;
  rc = pl_query_warranty_status(t, req, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__device(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetDeviceRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_txn *t = pl__snapshot(c, &rc);
  if (t == NULL)
    return rc;
  Partsledger__V1__Device *r = NULL;
  rc = pl_query_device(t, req->device_serial, pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__order(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetRepairOrderRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_txn *t = pl__snapshot(c, &rc);
  if (t == NULL)
    return rc;
  Partsledger__V1__RepairOrder *r = NULL;
  rc = pl_query_repair_order(t, req->order_id, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__claim(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__GetClaimRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_txn *t = pl__snapshot(c, &rc);
  if (t == NULL)
    return rc;
  Partsledger__V1__Claim *r = NULL;
  rc = pl_query_claim(t, req->claim_id, pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

static int pl__report(pl_call *c, const ProtobufCMessage *m, ProtobufCMessage **resp) {
  const Partsledger__V1__StationReportRequest *req = (const void *)m;
  char msg[PL_MSG_MAX] = "";
  int rc;
  pl_txn *t = pl__snapshot(c, &rc);
  if (t == NULL)
    return rc;
  Partsledger__V1__StationReportResponse *r = NULL;
  rc = pl_query_station_report(t, req, pl_now_ms(), pl_call_arena(c), &r, msg);
  return pl__done(c, rc, msg, r, resp);
}

/* The status, a device, an order, a claim: a few rows each, answered on
 * the poller; a station's report walks its orders, on a worker. */
static int pl__always(const ProtobufCMessage *req) {
  (void)req;
  return 1;
}

#define PL__LIMITS .max_bytes = 1024, .max_fields = 16

static const pl_method pl__warranty_methods[] = {
    {.name = "GetWarrantyStatus",
     .request = &partsledger__v1__get_warranty_status_request__descriptor,
     .handle = pl__status, .posted = 64, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "GetDevice", .request = &partsledger__v1__get_device_request__descriptor,
     .handle = pl__device, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "GetRepairOrder",
     .request = &partsledger__v1__get_repair_order_request__descriptor,
     .handle = pl__order, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "GetClaim", .request = &partsledger__v1__get_claim_request__descriptor,
     .handle = pl__claim, .posted = 16, .offload = 1,
     .inline_if = pl__always, PL__LIMITS},
    {.name = "StationReport",
     .request = &partsledger__v1__station_report_request__descriptor,
     .handle = pl__report, .posted = 8, .offload = 1, PL__LIMITS},
};

const pl_service pl_service_warranty =
    PL_SERVICE("partsledger.v1.Warranty", pl__warranty_methods);
