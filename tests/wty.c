/*
 * wty.c - see wty.h. Entries are built field by field here rather than
 * through client/build.c, although it has a builder for every kind: the
 * fixture sets each field exactly as the case gives it (a 31-byte hash, a
 * missing priority) to see the server refuse it, and the server's rules are
 * not checked with the same code that builds the CLI's entries.
 */
#include "wty.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* Declares `var`, a new message Partsledger__V1__<Type> (snake case
 * `type`) in the fixture's arena. */
#define WTY_NEW(w, Type, type, var)                                            \
  Partsledger__V1__##Type *var = pl_arena_alloc((w)->e.a, sizeof(*var));       \
  partsledger__v1__##type##__init(var)

const char *wty_code_name(int code) {
  static const char *names[] = {
      "OK",        "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",      "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  if (code >= 0 && code < (int)(sizeof(names) / sizeof(names[0])))
    return names[code];
  return code == -1 ? "query failed" : "?";
}

/* ---- time ---- */

int64_t wty_now(void) { return pl_now_ms(); }

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t wty__days(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int64_t wty_civil(int64_t y, unsigned m, unsigned d, unsigned hh, unsigned mm) {
  return wty__days(y, m, d) * DAY + (int64_t)hh * HOUR + (int64_t)mm * 60000;
}

void wty_date(int64_t ms, int64_t *y, unsigned *m, unsigned *d) {
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  *y = tm.tm_year + 1900;
  *m = (unsigned)tm.tm_mon + 1;
  *d = (unsigned)tm.tm_mday;
}

int wty_weekday(int64_t ms) {
  int64_t days = ms / DAY; /* 1970-01-01 was a Thursday */
  return (int)((days + 3) % 7);
}

int wty_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned wty__month_days(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && wty_leap(y) ? 29 : days[m - 1];
}

int64_t wty_add_months(int64_t ms, int n) {
  int64_t y;
  unsigned m, d;
  wty_date(ms, &y, &m, &d);
  int64_t time_of_day = ms - wty_civil(y, m, d, 0, 0);
  int64_t months = y * 12 + (int64_t)m - 1 + n;
  y = months / 12;
  m = (unsigned)(months % 12) + 1;
  if (d > wty__month_days(y, m))
    d = wty__month_days(y, m);
  return wty_civil(y, m, d, 0, 0) + time_of_day;
}

int64_t wty_mid_month_ago(int k) {
  int64_t y;
  unsigned m, d;
  wty_date(wty_now(), &y, &m, &d);
  return wty_add_months(wty_civil(y, m, 15, 10, 0), -k);
}

/* ---- appending ---- */

/* Signs `e` with `k`, appends it, records the answer. */
static int wty__append(wty *w, const pl_key *k, Partsledger__V1__Entry *e) {
  Partsledger__V1__SignedEntry *se;
  Partsledger__V1__AppendResponse *r = NULL;
  w->msg[0] = '\0';
  if (pl_entry_build(k, e, w->e.a, &se) != 0) {
    snprintf(w->msg, sizeof(w->msg), "could not build the entry");
    return -1;
  }
  if (w->collecting) {
    if (w->n_pending == sizeof(w->pending) / sizeof(w->pending[0]))
      return -1;
    w->pending[w->n_pending++] = se;
    return 0;
  }
  pl_client_append(w->e.c, se, w->e.a, &r);
  const char *msg = "";
  int code = pl_client_last_status(w->e.c, &msg);
  snprintf(w->msg, sizeof(w->msg), "%s", msg);
  if (code == 0 && r != NULL)
    w->index = r->index;
  return code;
}

void wty_collect(wty *w) {
  w->collecting = 1;
  w->n_pending = 0;
}

int wty_send(wty *w, int *codes, size_t cap, size_t *n) {
  Partsledger__V1__AppendBatchResponse *r = NULL;
  w->collecting = 0;
  *n = 0;
  pl_client_append_batch(w->e.c, w->pending, w->n_pending, w->e.a, &r);
  const char *msg = "";
  int code = pl_client_last_status(w->e.c, &msg);
  snprintf(w->msg, sizeof(w->msg), "%s", msg);
  if (code != 0 || r == NULL)
    return code != 0 ? code : -1;
  for (size_t i = 0; i < r->n_results && i < cap; i++) {
    codes[i] = r->results[i]->code;
    if (codes[i] == 0)
      w->index = r->results[i]->index;
  }
  *n = r->n_results;
  w->n_pending = 0;
  return 0;
}

static Partsledger__V1__Entry *wty__entry(wty *w, Partsledger__V1__Entry__BodyCase body) {
  WTY_NEW(w, Entry, entry, e);
  e->body_case = body;
  return e;
}

/* A string the entry may keep: the arena's copy. */
static char *wty__s(wty *w, const char *s) {
  return pl_arena_dup(w->e.a, s, strlen(s) + 1);
}

/* `len` bytes of a hash (random: only its length matters). */
static ProtobufCBinaryData wty__hash(wty *w, size_t len) {
  ProtobufCBinaryData b = {0, NULL};
  if (len > 0) {
    b.data = pl_arena_alloc(w->e.a, len);
    randombytes_buf(b.data, len);
    b.len = len;
  }
  return b;
}

int wty_enroll(wty *w, int role, const char *site, pl_key **out) {
  *out = new_key();
  if (*out == NULL)
    return -1;
  char *sites[1] = {(char *)site};
  Partsledger__V1__Entry *e;
  if (pl_build_actor_enrolled(w->e.a, pl_key_public(*out), role, "wty actor", sites,
                              site != NULL ? 1 : 0, &e) != 0)
    return -1;
  return wty__append(w, w->admin, e);
}

int wty_site(wty *w, const char *site_id) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED);
  WTY_NEW(w, SiteRegistered, site_registered, b);
  b->site_id = wty__s(w, site_id);
  b->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION;
  b->name = "a repair station";
  b->region = "EU";
  b->latitude = 48.1;
  b->longitude = 11.5;
  e->site_registered = b;
  return wty__append(w, w->admin, e);
}

int wty_supplier(wty *w, const char *supplier_id) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED);
  WTY_NEW(w, SupplierRegistered, supplier_registered, b);
  b->supplier_id = wty__s(w, supplier_id);
  b->name = "a supplier";
  b->certified = 1;
  e->supplier_registered = b;
  return wty__append(w, w->admin, e);
}

int wty_batch(wty *w, const char *batch_id, const char *sku, int part_class,
              uint32_t warranty_months, uint64_t quantity, const char *const *serials,
              size_t n_serials) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED);
  WTY_NEW(w, BatchRegistered, batch_registered, b);
  b->batch_id = wty__s(w, batch_id);
  b->supplier_id = "SUP";
  b->sku = wty__s(w, sku);
  b->part_class = (Partsledger__V1__PartClass)part_class;
  b->warranty_months = warranty_months;
  b->produced_at_ms = wty_now() - 100 * DAY;
  b->quantity = quantity;
  if (n_serials > 0) {
    b->serials = pl_arena_alloc(w->e.a, n_serials * sizeof(*b->serials));
    for (size_t i = 0; i < n_serials; i++)
      b->serials[i] = wty__s(w, serials[i]);
    b->n_serials = n_serials;
  }
  e->batch_registered = b;
  return wty__append(w, w->mfr, e);
}

int wty_receive(wty *w, const pl_key *k, const char *site, const char *batch_id,
                uint64_t quantity) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED);
  WTY_NEW(w, StockReceived, stock_received, b);
  b->site_id = wty__s(w, site);
  b->batch_id = wty__s(w, batch_id);
  b->quantity = quantity;
  b->reference = "delivery";
  e->stock_received = b;
  return wty__append(w, k, e);
}

int wty_reserve(wty *w, const pl_key *k, const char *reservation_id, const char *site,
                const char *sku, uint64_t quantity, const char *batch_id,
                const char *order) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED);
  WTY_NEW(w, PartReserved, part_reserved, b);
  b->reservation_id = wty__s(w, reservation_id);
  b->site_id = wty__s(w, site);
  b->sku = wty__s(w, sku);
  b->quantity = quantity;
  b->batch_id = wty__s(w, batch_id);
  b->repair_order_id = wty__s(w, order);
  b->expires_at_ms = wty_now() + DAY;
  e->part_reserved = b;
  return wty__append(w, k, e);
}

int wty_fulfil(wty *w, const pl_key *k, const char *reservation_id, const char *batch_id,
               uint64_t quantity) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED);
  WTY_NEW(w, ReservationFulfilled, reservation_fulfilled, b);
  b->reservation_id = wty__s(w, reservation_id);
  b->batch_id = wty__s(w, batch_id);
  b->quantity = quantity;
  e->reservation_fulfilled = b;
  return wty__append(w, k, e);
}

int wty_recall(wty *w, const char *batch_id) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED);
  WTY_NEW(w, BatchRecalled, batch_recalled, b);
  b->batch_id = wty__s(w, batch_id);
  b->reason = "cells swell";
  e->batch_recalled = b;
  return wty__append(w, w->mfr, e);
}

/* ---- repair and warranty kinds ---- */

int wty_policy(wty *w, const pl_key *k, const char *policy_id, const char *model,
               uint32_t window_days, uint32_t max_extension_months, const wty_term *terms,
               size_t n_terms) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED);
  WTY_NEW(w, WarrantyPolicyPublished, warranty_policy_published, b);
  b->policy_id = wty__s(w, policy_id);
  b->model = wty__s(w, model);
  b->registration_window_days = window_days;
  b->max_extension_months = max_extension_months;
  if (n_terms > 0) {
    b->terms = pl_arena_alloc(w->e.a, n_terms * sizeof(*b->terms));
    for (size_t i = 0; i < n_terms; i++) {
      WTY_NEW(w, ComponentTerm, component_term, t);
      t->component = wty__s(w, terms[i].component);
      t->months = terms[i].months;
      t->usage_limit = terms[i].usage_limit;
      t->usage_unit = wty__s(w, terms[i].usage_unit ? terms[i].usage_unit : "");
      b->terms[i] = t;
    }
    b->n_terms = n_terms;
  }
  e->warranty_policy_published = b;
  return wty__append(w, k, e);
}

int wty_device(wty *w, const pl_key *k, const char *serial, const char *model,
               const char *policy_id, int64_t purchased_at_ms, size_t owner_len,
               const wty_part *parts, size_t n_parts) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED);
  WTY_NEW(w, DeviceRegistered, device_registered, b);
  b->device_serial = wty__s(w, serial);
  b->model = wty__s(w, model);
  b->policy_id = wty__s(w, policy_id);
  b->purchased_at_ms = purchased_at_ms;
  b->owner_ref = wty__hash(w, owner_len);
  if (n_parts > 0) {
    b->parts = pl_arena_alloc(w->e.a, n_parts * sizeof(*b->parts));
    for (size_t i = 0; i < n_parts; i++) {
      WTY_NEW(w, InstalledPart, installed_part, p);
      p->component = wty__s(w, parts[i].component);
      p->part_serial = wty__s(w, parts[i].part_serial);
      p->batch_id = wty__s(w, parts[i].batch_id);
      b->parts[i] = p;
    }
    b->n_parts = n_parts;
  }
  e->device_registered = b;
  return wty__append(w, k, e);
}

int wty_extend(wty *w, const pl_key *k, const char *serial, const char *component,
               uint32_t months) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED);
  WTY_NEW(w, WarrantyExtended, warranty_extended, b);
  b->device_serial = wty__s(w, serial);
  b->component = wty__s(w, component);
  b->months = months;
  b->contract_ref = "care-plus";
  e->warranty_extended = b;
  return wty__append(w, k, e);
}

int wty_open(wty *w, const pl_key *k, const char *order, const char *device,
             const char *site, int priority, int64_t reported_at_ms, uint64_t reading) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED);
  WTY_NEW(w, RepairOrderOpened, repair_order_opened, b);
  b->order_id = wty__s(w, order);
  b->device_serial = wty__s(w, device);
  b->site_id = wty__s(w, site);
  b->priority = (Partsledger__V1__Priority)priority;
  b->fault = "does not start";
  b->reported_at_ms = reported_at_ms;
  b->usage_reading = reading;
  e->repair_order_opened = b;
  return wty__append(w, k, e);
}

int wty_respond(wty *w, const pl_key *k, const char *order, int64_t responded_at_ms) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED);
  WTY_NEW(w, RepairOrderResponded, repair_order_responded, b);
  b->order_id = wty__s(w, order);
  b->responded_at_ms = responded_at_ms;
  e->repair_order_responded = b;
  return wty__append(w, k, e);
}

int wty_replace(wty *w, const pl_key *k, const char *order, const char *component,
                const char *removed, const char *installed, const char *batch_id,
                const char *reservation_id, size_t evidence_len) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED);
  WTY_NEW(w, PartReplaced, part_replaced, b);
  b->order_id = wty__s(w, order);
  b->component = wty__s(w, component);
  b->removed_serial = wty__s(w, removed);
  b->installed_serial = wty__s(w, installed);
  b->installed_batch_id = wty__s(w, batch_id);
  b->reservation_id = wty__s(w, reservation_id);
  if (evidence_len > 0) {
    b->evidence_sha256 = pl_arena_alloc(w->e.a, sizeof(*b->evidence_sha256));
    b->evidence_sha256[0] = wty__hash(w, evidence_len);
    b->n_evidence_sha256 = 1;
  }
  e->part_replaced = b;
  return wty__append(w, k, e);
}

int wty_close(wty *w, const pl_key *k, const char *order, int outcome,
              int64_t resolved_at_ms, int first_visit_fix) {
  Partsledger__V1__Entry *e =
      wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED);
  WTY_NEW(w, RepairOrderClosed, repair_order_closed, b);
  b->order_id = wty__s(w, order);
  b->outcome = (Partsledger__V1__RepairOutcome)outcome;
  b->resolved_at_ms = resolved_at_ms;
  b->first_visit_fix = first_visit_fix != 0;
  b->customer_acceptance_sha256 = wty__hash(w, 32);
  e->repair_order_closed = b;
  return wty__append(w, k, e);
}

int wty_claim(wty *w, const pl_key *k, const char *claim, const char *device,
              const char *order, const char *component, uint64_t reading,
              int64_t failure_at_ms) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED);
  WTY_NEW(w, ClaimFiled, claim_filed, b);
  b->claim_id = wty__s(w, claim);
  b->device_serial = wty__s(w, device);
  b->order_id = wty__s(w, order);
  b->component = wty__s(w, component);
  b->usage_reading = reading;
  b->failure_at_ms = failure_at_ms;
  b->description = "stopped charging";
  e->claim_filed = b;
  return wty__append(w, k, e);
}

int wty_decide(wty *w, const pl_key *k, const char *claim, int decision, int reason,
               const char *note) {
  Partsledger__V1__Entry *e = wty__entry(w, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED);
  WTY_NEW(w, ClaimDecided, claim_decided, b);
  b->claim_id = wty__s(w, claim);
  b->decision = (Partsledger__V1__ClaimDecision)decision;
  b->reason = (Partsledger__V1__DecisionReason)reason;
  b->note = wty__s(w, note);
  e->claim_decided = b;
  return wty__append(w, k, e);
}

/* ---- a standard catalogue ---- */

int wty_catalogue(wty *w) {
  const wty_term terms[] = {{"battery", 24, 1000, "cycles"}, {"screen", 12, 0, ""}};
  int rc;
  if ((rc = wty_policy(w, w->mfr, "POL", "X1", 3650, 12, terms, 2)) != 0 ||
      (rc = wty_batch(w, "BB", "SKU-BAT", ORIGINAL, 12, 100, NULL, 0)) != 0 ||
      (rc = wty_batch(w, "BA", "SKU-BAT", ALTERNATIVE, 6, 100, NULL, 0)) != 0 ||
      (rc = wty_batch(w, "BS", "SKU-SCR", ORIGINAL, 0, 100, NULL, 0)) != 0 ||
      (rc = wty_batch(w, "BC", "SKU-CASE", ORIGINAL, 3, 100, NULL, 0)) != 0)
    fprintf(stderr, "wty_catalogue: %s\n", w->msg);
  return rc;
}

int wty_std_device(wty *w, const char *serial, int64_t purchased_at_ms) {
  char bat[80], scr[80];
  snprintf(bat, sizeof(bat), "%s-bat", serial);
  snprintf(scr, sizeof(scr), "%s-scr", serial);
  const wty_part parts[] = {{"battery", bat, "BB"}, {"screen", scr, "BS"}};
  return wty_device(w, w->mfr, serial, "X1", "POL", purchased_at_ms, 32, parts, 2);
}

/* ---- the fixture ---- */

int wty_start(wty *w) {
  memset(w, 0, sizeof(*w));
  if (env_start(&w->e) != 0)
    return -1;
  w->admin = pl_harness_admin_key(w->e.h);
  if (wty_site(w, "S1") != 0 || wty_site(w, "S2") != 0 || wty_supplier(w, "SUP") != 0 ||
      wty_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER, NULL, &w->mfr) != 0 ||
      wty_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, "S1", &w->st1) != 0 ||
      wty_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, "S2", &w->st2) != 0 ||
      wty_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, "S1", &w->wh) != 0) {
    fprintf(stderr, "wty_start: %s\n", w->msg);
    return -1;
  }
  return 0;
}

void wty_stop(wty *w) {
  pl_key_free(w->mfr);
  pl_key_free(w->st1);
  pl_key_free(w->st2);
  pl_key_free(w->wh);
  env_stop(&w->e);
}

int wty_restart(wty *w) {
  if (pl_harness_stop(w->e.h) != 0 || pl_harness_restart(w->e.h) != 0)
    return -1;
  return env_reconnect(&w->e) == 0 ? 0 : -1;
}

int wty_rebuild(wty *w) {
  if (pl_harness_stop(w->e.h) != 0)
    return -1;
  const char *argv[] = {PL_SERVER_BIN, "--rebuild", "--data", pl_harness_data_dir(w->e.h),
                        "--log-key", pl_harness_log_key_path(w->e.h), "--origin",
                        pl_harness_origin(w->e.h), NULL};
  char *out = NULL;
  int rc = pl_run(argv, NULL, 60000, &out, NULL);
  int rebuilt = out != NULL && strstr(out, "rebuilt from") != NULL;
  free(out);
  if (rc != 0 || !rebuilt) {
    fprintf(stderr, "wty_rebuild: partsledgerd --rebuild exited %d\n", rc);
    return -1;
  }
  if (pl_harness_restart(w->e.h) != 0)
    return -1;
  return env_reconnect(&w->e) == 0 ? 0 : -1;
}

/* ---- queries ---- */

/* One unary query: its gRPC status, the message kept for CHECK_CODE. */
static int wty__query(wty *w, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *desc, void *out) {
  *(ProtobufCMessage **)out = NULL;
  pl_client_call(w->e.c, method, req, desc, w->e.a, (ProtobufCMessage **)out);
  const char *msg = "";
  int code = pl_client_last_status(w->e.c, &msg);
  snprintf(w->msg, sizeof(w->msg), "%s", msg);
  return code;
}

#define WTY_WARRANTY "/partsledger.v1.Warranty/"
#define WTY_TRACE "/partsledger.v1.Trace/"
#define WTY_INVENTORY "/partsledger.v1.Inventory/"

int wty_status(wty *w, const char *device, const char *component, int64_t at_ms,
               uint64_t reading, Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusRequest req =
      PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
  req.device_serial = (char *)device;
  req.component = (char *)component;
  req.at_ms = at_ms;
  req.usage_reading = reading;
  return wty__query(w, WTY_WARRANTY "GetWarrantyStatus", &req.base,
                    &partsledger__v1__get_warranty_status_response__descriptor, out);
}

int wty_st(wty *w, const char *device, const char *component, int64_t at_ms,
           uint64_t reading) {
  Partsledger__V1__GetWarrantyStatusResponse *r;
  if (wty_status(w, device, component, at_ms, reading, &r) != 0 || r == NULL)
    return -1;
  return (int)r->status;
}

int wty_get_device(wty *w, const char *serial, Partsledger__V1__Device **out) {
  Partsledger__V1__GetDeviceRequest req = PARTSLEDGER__V1__GET_DEVICE_REQUEST__INIT;
  req.device_serial = (char *)serial;
  return wty__query(w, WTY_WARRANTY "GetDevice", &req.base,
                    &partsledger__v1__device__descriptor, out);
}

int wty_get_order(wty *w, const char *order, Partsledger__V1__RepairOrder **out) {
  Partsledger__V1__GetRepairOrderRequest req = PARTSLEDGER__V1__GET_REPAIR_ORDER_REQUEST__INIT;
  req.order_id = (char *)order;
  return wty__query(w, WTY_WARRANTY "GetRepairOrder", &req.base,
                    &partsledger__v1__repair_order__descriptor, out);
}

int wty_get_claim(wty *w, const char *claim, Partsledger__V1__Claim **out) {
  Partsledger__V1__GetClaimRequest req = PARTSLEDGER__V1__GET_CLAIM_REQUEST__INIT;
  req.claim_id = (char *)claim;
  return wty__query(w, WTY_WARRANTY "GetClaim", &req.base,
                    &partsledger__v1__claim__descriptor, out);
}

int wty_report(wty *w, const char *site, int64_t from_ms, int64_t to_ms,
               Partsledger__V1__StationReportResponse **out) {
  Partsledger__V1__StationReportRequest req = PARTSLEDGER__V1__STATION_REPORT_REQUEST__INIT;
  req.site_id = (char *)site;
  req.from_ms = from_ms;
  req.to_ms = to_ms;
  return wty__query(w, WTY_WARRANTY "StationReport", &req.base,
                    &partsledger__v1__station_report_response__descriptor, out);
}

int wty_device_history(wty *w, const char *serial, int with_proofs,
                       Partsledger__V1__DeviceHistoryResponse **out) {
  Partsledger__V1__DeviceHistoryRequest req = PARTSLEDGER__V1__DEVICE_HISTORY_REQUEST__INIT;
  req.device_serial = (char *)serial;
  req.with_proofs = with_proofs != 0;
  return wty__query(w, WTY_TRACE "DeviceHistory", &req.base,
                    &partsledger__v1__device_history_response__descriptor, out);
}

int wty_part_history(wty *w, const char *serial, int with_proofs,
                     Partsledger__V1__PartHistoryResponse **out) {
  Partsledger__V1__PartHistoryRequest req = PARTSLEDGER__V1__PART_HISTORY_REQUEST__INIT;
  req.part_serial = (char *)serial;
  req.with_proofs = with_proofs != 0;
  return wty__query(w, WTY_TRACE "PartHistory", &req.base,
                    &partsledger__v1__part_history_response__descriptor, out);
}

int wty_batch_devices(wty *w, const char *batch_id, uint64_t start, uint32_t page_size,
                      Partsledger__V1__BatchDevicesResponse **out) {
  Partsledger__V1__BatchDevicesRequest req = PARTSLEDGER__V1__BATCH_DEVICES_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  req.start = start;
  req.page_size = page_size;
  return wty__query(w, WTY_TRACE "BatchDevices", &req.base,
                    &partsledger__v1__batch_devices_response__descriptor, out);
}

int wty_trace_batch(wty *w, const char *batch_id, int with_proofs,
                    Partsledger__V1__TraceBatchResponse **out) {
  Partsledger__V1__TraceBatchRequest req = PARTSLEDGER__V1__TRACE_BATCH_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  req.page_size = 1000;
  req.with_proofs = with_proofs != 0;
  return wty__query(w, WTY_TRACE "TraceBatch", &req.base,
                    &partsledger__v1__trace_batch_response__descriptor, out);
}

int wty_get_reservation(wty *w, const char *reservation_id,
                        Partsledger__V1__Reservation **out) {
  Partsledger__V1__GetReservationRequest req = PARTSLEDGER__V1__GET_RESERVATION_REQUEST__INIT;
  req.reservation_id = (char *)reservation_id;
  return wty__query(w, WTY_INVENTORY "GetReservation", &req.base,
                    &partsledger__v1__reservation__descriptor, out);
}

/* ---- offline verification ---- */

int wty_facts_verify(wty *w, const char *checkpoint, Partsledger__V1__Fact *const *facts,
                     size_t n) {
  if (checkpoint == NULL || checkpoint[0] == '\0') {
    fprintf(stderr, "wty_facts_verify: no checkpoint\n");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const Partsledger__V1__Fact *f = facts[i];
    pl_hash proof[PL_MERKLE_MAX_PROOF];
    if (f->leaf.len == 0 || f->n_inclusion_proof > PL_MERKLE_MAX_PROOF) {
      fprintf(stderr, "wty_facts_verify: fact %zu (%s) has no leaf or too long a proof\n",
              i, f->kind);
      return -1;
    }
    for (size_t h = 0; h < f->n_inclusion_proof; h++) {
      if (f->inclusion_proof[h].len != PL_HASH_BYTES)
        return -1;
      memcpy(proof[h], f->inclusion_proof[h].data, PL_HASH_BYTES);
    }
    int rc = pl_verify_inclusion(w->e.vkey, checkpoint, f->index, f->leaf.data, f->leaf.len,
                                 proof, f->n_inclusion_proof);
    if (rc != 0) {
      fprintf(stderr, "wty_facts_verify: fact %zu (%s, index %llu) does not verify: %s\n",
              i, f->kind, (unsigned long long)f->index, pl_strerror(rc));
      return -1;
    }
    Partsledger__V1__Leaf *leaf = partsledger__v1__leaf__unpack(
        pl_arena_allocator(w->e.a), f->leaf.len, f->leaf.data);
    if (leaf == NULL || leaf->index != f->index) {
      fprintf(stderr, "wty_facts_verify: fact %zu: its leaf is not the one at %llu\n", i,
              (unsigned long long)f->index);
      return -1;
    }
  }
  return 0;
}

Partsledger__V1__Entry *wty_fact_entry(wty *w, const Partsledger__V1__Fact *f) {
  ProtobufCAllocator *al = pl_arena_allocator(w->e.a);
  Partsledger__V1__Leaf *leaf = partsledger__v1__leaf__unpack(al, f->leaf.len, f->leaf.data);
  if (leaf == NULL || leaf->signed_entry == NULL)
    return NULL;
  return partsledger__v1__entry__unpack(al, leaf->signed_entry->entry.len,
                                        leaf->signed_entry->entry.data);
}
