/*
 * state/warranty_query.c - what the repair and warranty tables answer
 * (GetWarrantyStatus, GetDevice, GetRepairOrder, GetClaim, StationReport,
 * DeviceHistory, PartHistory, BatchDevices), over a read snapshot; SLA
 * figures are judged by the clock at the query.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "query.h"
#include "spec/field.h"
#include "state.h"

static int pl__id_arg(const char *what, const char *id, char *msg) {
  return pl_field_id("request", what, id, 0, msg);
}

int pl_query_warranty_status(pl_txn *t, const Partsledger__V1__GetWarrantyStatusRequest *req,
                             int64_t now_ms, pl_arena *a,
                             Partsledger__V1__GetWarrantyStatusResponse **out, char *msg) {
  int rc = pl__id_arg("device_serial", req->device_serial, msg);
  if (rc == 0)
    rc = pl__id_arg("component", req->component, msg);
  if (rc != 0)
    return rc;
  if (req->at_ms < 0)
    return pl_fail(msg, PL_EINVAL, "request: at_ms must not be negative");
  return pl_warranty_status(t, req->device_serial, req->component,
                            req->at_ms ? req->at_ms : now_ms, req->usage_reading, a, out);
}

int pl_query_device(pl_txn *t, const char *device_serial, pl_arena *a,
                    Partsledger__V1__Device **out, char *msg) {
  int rc = pl__id_arg("device_serial", device_serial, msg);
  if (rc == 0 && (rc = pl_device_get(t, device_serial, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "device %s is not registered", device_serial);
  return rc;
}

static int pl__sla(int64_t done_at, int64_t deadline, int64_t now) {
  if (done_at != 0)
    return done_at <= deadline ? PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_MET
                               : PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_BREACHED;
  return now > deadline ? PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_BREACHED
                        : PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_PENDING;
}

/* The SLA of an order as of `now`. */
static void pl__order_sla(Partsledger__V1__RepairOrder *o, int64_t now) {
  int closed = o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED;
  o->response_sla = pl__sla(o->responded_at_ms, o->respond_by_ms, now);
  o->resolution_sla = pl__sla(closed ? o->resolved_at_ms : 0, o->resolve_by_ms, now);
}

int pl_query_repair_order(pl_txn *t, const char *order_id, int64_t now_ms, pl_arena *a,
                          Partsledger__V1__RepairOrder **out, char *msg) {
  int rc = pl__id_arg("order_id", order_id, msg);
  if (rc == 0 && (rc = pl_order_get(t, order_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "repair order %s does not exist", order_id);
  if (rc == 0)
    pl__order_sla(*out, now_ms);
  return rc;
}

int pl_query_claim(pl_txn *t, const char *claim_id, pl_arena *a,
                   Partsledger__V1__Claim **out, char *msg) {
  int rc = pl__id_arg("claim_id", claim_id, msg);
  if (rc == 0 && (rc = pl_claim_get(t, claim_id, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "claim %s does not exist", claim_id);
  return rc;
}

/* --- StationReport ---------------------------------------------------------- */

typedef struct {
  pl_txn *t;
  pl_arena *a;
  int64_t now;
  size_t prefix_len;
  Partsledger__V1__StationReportResponse *r;
  int64_t *responses;
  size_t n, cap;
  uint64_t fixed;
} pl__report;

static int pl__report_claim(void *ctx, pl_val key, pl_val val) {
  pl__report *w = ctx;
  (void)val;
  const char *order = key.data;
  const char *claim_id = order + strlen(order) + 1;
  Partsledger__V1__Claim *c;
  int rc = pl_claim_get(w->t, claim_id, w->a, &c);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  w->r->claims_filed++;
  if (c->state == PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_APPROVED)
    w->r->claims_approved++;
  else if (c->state == PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_REJECTED ||
           c->state == PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_DISPUTED)
    w->r->claims_rejected++;
  return 0;
}

static int pl__report_order(void *ctx, pl_val key, pl_val val) {
  pl__report *w = ctx;
  (void)val;
  if (key.len < w->prefix_len + 8 + 2)
    return PL_ECORRUPT;
  const char *order_id = (const char *)key.data + w->prefix_len + 8;
  Partsledger__V1__RepairOrder *o;
  int rc = pl_order_get(w->t, order_id, w->a, &o);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  if (o->outcome == PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_CANCELLED)
    return 0; /* in no figure */
  Partsledger__V1__StationReportResponse *r = w->r;
  int closed = o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED;
  pl__order_sla(o, w->now);
  r->orders_opened++;
  if (closed) {
    r->orders_closed++;
    if (o->outcome == PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED &&
        o->first_visit_fix)
      w->fixed++;
  }
  if (o->responded_at_ms != 0) {
    int64_t *slot = pl_arena_push(w->a, &w->responses, &w->n, &w->cap, sizeof(*slot));
    if (slot == NULL)
      return PL_ENOMEM;
    *slot = o->responded_at_ms - o->reported_at_ms;
  }
  r->response_breaches += o->response_sla == PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_BREACHED;
  r->resolution_breaches +=
      o->resolution_sla == PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_BREACHED;
  r->open_past_deadline += !closed && w->now > o->resolve_by_ms;
  r->parts_replaced += o->n_replacements;
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, order_id);
  return pl_db_scan(w->t, PL_T_CLAIM_ORDER, k.b, k.n, NULL, 0, pl__report_claim, w);
}

static int pl__i64_cmp(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

int pl_query_station_report(pl_txn *t, const Partsledger__V1__StationReportRequest *req,
                            int64_t now_ms, pl_arena *a,
                            Partsledger__V1__StationReportResponse **out, char *msg) {
  Partsledger__V1__Site *site;
  int rc = pl__id_arg("site_id", req->site_id, msg);
  if (rc != 0)
    return rc;
  if ((rc = pl_site_get(t, req->site_id, a, &site)) == PL_ENOTFOUND)
    return pl_fail(msg, rc, "site %s is not registered", req->site_id);
  if (rc != 0)
    return rc;
  if (req->from_ms < 0 || req->to_ms <= req->from_ms)
    return pl_fail(msg, PL_EINVAL, "request: from_ms must be >= 0 and before to_ms");
  Partsledger__V1__StationReportResponse *r = pl_arena_alloc(a, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__station_report_response__init(r);
  pl_key_buf prefix;
  pl_kb_init(&prefix);
  pl_kb_str(&prefix, req->site_id);
  pl__report w = {.t = t, .a = a, .now = now_ms, .prefix_len = prefix.n, .r = r};
  /* Orders by their report time: [from, to) is one range of keys. */
  pl_cursor *c;
  pl_val k, v;
  pl_key_buf from = prefix;
  pl_kb_u64(&from, (uint64_t)req->from_ms);
  if ((rc = pl_cursor_open(t, PL_T_ORDER_SITE, &c)) != 0)
    return rc;
  for (rc = pl_cursor_seek(c, from.b, from.n, &k, &v); rc == 0;
       rc = pl_cursor_next(c, &k, &v)) {
    if (k.len < prefix.n + 8 || memcmp(k.data, prefix.b, prefix.n) != 0 ||
        (int64_t)pl_be64_get((const uint8_t *)k.data + prefix.n) >= req->to_ms)
      break;
    if ((rc = pl__report_order(&w, k, v)) != 0)
      break;
  }
  pl_cursor_close(c);
  if (rc != 0 && rc != PL_ENOTFOUND)
    return rc;
  r->orders_responded = w.n;
  if (r->orders_closed > 0)
    r->first_visit_fix_rate = (double)w.fixed / (double)r->orders_closed;
  if (w.n > 0) {
    double sum = 0;
    for (size_t i = 0; i < w.n; i++)
      sum += (double)w.responses[i];
    r->mean_response_ms = sum / (double)w.n;
    qsort(w.responses, w.n, sizeof(*w.responses), pl__i64_cmp);
    size_t rank = (w.n * 4 + 4) / 5; /* nearest rank: ceil(0.8 n) */
    r->p80_response_ms = w.responses[rank - 1];
  }
  *out = r;
  return 0;
}

/* --- histories ---------------------------------------------------------------- */

static int pl__history(pl_txn *t, pl_table tb, const char *owner, pl_arena *a,
                       pl_trace_page *out) {
  pl_key_buf k;
  uint64_t count;
  pl_kb_init(&k);
  pl_kb_str(&k, owner);
  int rc = pl_kv_next_seq(t, tb, &k, &count);
  if (rc != 0)
    return rc;
  memset(out, 0, sizeof(*out));
  return count == 0 ? PL_ENOTFOUND : pl_facts_read(t, tb, &k, 0, count, a, out);
}

int pl_query_device_history(pl_txn *t, const char *device_serial, pl_arena *a,
                            pl_trace_page *out, char *msg) {
  int rc = pl__id_arg("device_serial", device_serial, msg);
  if (rc == 0 && (rc = pl__history(t, PL_T_DEVICE_FACT, device_serial, a, out)) ==
                     PL_ENOTFOUND)
    pl_fail(msg, rc, "no leaf names device %s", device_serial);
  return rc;
}

int pl_query_part_history(pl_txn *t, const char *part_serial, pl_arena *a,
                          pl_trace_page *out, char *msg) {
  int rc = pl__id_arg("part_serial", part_serial, msg);
  if (rc == 0 &&
      (rc = pl__history(t, PL_T_PART_FACT, part_serial, a, out)) == PL_ENOTFOUND)
    pl_fail(msg, rc, "no leaf put part %s in a device", part_serial);
  return rc;
}

int pl_query_batch_devices(pl_txn *t, const Partsledger__V1__BatchDevicesRequest *req,
                           pl_arena *a, Partsledger__V1__BatchDevicesResponse **out,
                           char *msg) {
  Partsledger__V1__Batch *batch;
  int rc = pl__id_arg("batch_id", req->batch_id, msg);
  if (rc != 0)
    return rc;
  uint32_t want = req->page_size ? req->page_size : PL_PAGE_DEFAULT;
  if (want > PL_PAGE_MAX)
    return pl_fail(msg, PL_EINVAL, "page_size is at most %d", PL_PAGE_MAX);
  if ((rc = pl_batch_get(t, req->batch_id, a, &batch)) == PL_ENOTFOUND)
    return pl_fail(msg, rc, "batch %s is not registered", req->batch_id);
  if (rc != 0)
    return rc;
  Partsledger__V1__BatchDevicesResponse *r = pl_arena_alloc(a, sizeof(*r));
  Partsledger__V1__BatchDevice **rows = pl_arena_alloc(a, want * sizeof(*rows));
  if (r == NULL || rows == NULL)
    return PL_ENOMEM;
  partsledger__v1__batch_devices_response__init(r);
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, req->batch_id);
  pl_cursor *c;
  pl_val fk, fv;
  uint64_t pos = 0;
  if ((rc = pl_cursor_open(t, PL_T_BATCH_DEVICE, &c)) != 0)
    return rc;
  /* A position in the list: the rows before it are stepped over. */
  for (rc = pl_cursor_seek(c, k.b, k.n, &fk, &fv); rc == 0;
       rc = pl_cursor_next(c, &fk, &fv), pos++) {
    if (fk.len < k.n || memcmp(fk.data, k.b, k.n) != 0)
      break;
    if (pos < req->start)
      continue;
    if (r->n_devices == want) {
      r->next_start = pos;
      break;
    }
    rows[r->n_devices] =
        partsledger__v1__batch_device__unpack(pl_arena_allocator(a), fv.len, fv.data);
    if (rows[r->n_devices] == NULL) {
      rc = PL_ECORRUPT;
      break;
    }
    r->n_devices++;
  }
  pl_cursor_close(c);
  if (rc != 0 && rc != PL_ENOTFOUND)
    return rc;
  if (req->start > pos)
    return pl_fail(msg, PL_ERANGE, "start %llu is beyond the end of the list (%llu)",
                   (unsigned long long)req->start, (unsigned long long)pos);
  r->devices = rows;
  *out = r;
  return 0;
}
