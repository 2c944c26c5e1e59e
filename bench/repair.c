/*
 * repair.c - devices, repair orders and claims, and the phases that use
 * them: warranty, mixed and audit.
 *
 * The repair world: a warranty policy (component "board", 24 months,
 * extensions up to 12), a batch of boards for the warranty data set and
 * another for the mixed and audit phases, a repair-station site and its
 * station actor. Ids begin with the run's prefix.
 *
 *   warranty  --devices devices registered by the manufacturer, each with
 *             a board of the one batch (so that BatchDevices of it lists
 *             them all), and for the first --history-devices of them a
 *             history of 20 facts: an extension, five repair orders opened,
 *             responded to and closed, a replacement in the first, a claim
 *             and its approval. Measured: GetWarrantyStatus of random
 *             devices (ACTIVE, with the board each holds now) and
 *             DeviceHistory of random history devices (all 20 facts), each
 *             as a ratio to GetEntry measured in the same run; and the time
 *             to walk BatchDevices of the batch in pages of 1,000.
 *   mixed     chains of eight dependent entries (open, respond, reserve,
 *             fulfil, replace with the fulfilled part, close, claim,
 *             decide), one entry of a chain in flight at a time and
 *             --inflight chains at once, as unary appends; entries/s as a
 *             ratio to unary Append in the same run.
 *   audit     ExportAuditBundle of a claim with about 50 linked entries (a
 *             device with --audit-orders orders, a replacement, a rejected
 *             claim, its dispute before a panel of three arbiters and the
 *             ruling co-signed to the quorum). Every reply is verified in
 *             depth with pl_audit_verify (every check of `partsledger audit
 *             verify`) until one has been; after that each must be the same
 *             bytes, and one in BENCH_SAMPLE is verified in depth again
 *             (workload.c). Then the time `partsledger audit verify` takes
 *             to check one, when the CLI has it.
 *
 * Depends on bench.h, client/client.h and the generated protobuf-c code.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "clock.h"
#include "partsledger/v1/audit.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"

#define REP_COMPONENT "board"
#define REP_HISTORY_ORDERS 5
#define REP_HISTORY_FACTS 20 /* registration, extension, 5 x 3 order steps, a
                                replacement, a claim, its decision */
#define REP_PAGE 1000
#define REP_CHAIN 8
#define REP_ARBITERS 3
#define MIN_MS (60 * 1000LL)

extern char **environ;

struct bench_rep {
  int ready, loaded;
  pl_key *station; /* bound to the station site */
  size_t ndevices, nhist;
  size_t next;     /* mixed chains made so far */
};

void bench_rep_free(bench *b) {
  if (b->rep == NULL)
    return;
  pl_key_free(b->rep->station);
  free(b->rep);
  b->rep = NULL;
}

/* Sends t's entries with AppendBatch, --batch-inflight in flight: entries
 * that depend on none of each other. */
static int rep_sign_send_parallel(bench *b, bench_todo *t, bench_result *res, const char *what) {
  bench_pool pool;
  if (bench_todo_sign(t, (int)b->cores, &pool, NULL) != 0) {
    bench_failf(res, "cannot sign %s", what);
    return -1;
  }
  bench_dest d = {&b->server, NULL};
  bench_result r;
  memset(&r, 0, sizeof(r));
  int rc = bench_send(b, &d, (size_t)b->o.batch, b->o.batch_inflight, &pool, 0, &r, 0);
  if (rc != 0 || r.errors > 0 || r.items != pool.n) {
    bench_failf(res, "%s: %" PRIu64 " of %zu failed: %s", what, pool.n - r.items, pool.n,
                r.first_error);
    rc = -1;
  }
  bench_pool_free(&pool);
  return rc;
}

/* ---- the world ------------------------------------------------------------------ */

static int rep_ready(bench *b, bench_result *res) {
  if (b->rep != NULL && b->rep->ready)
    return 0;
  if (b->rep != NULL) {
    bench_failf(res, "the repair world failed to be made earlier");
    return -1;
  }
  if (bench_world_ready(b, res) != 0)
    return -1;
  bench_rep *r = calloc(1, sizeof(*r));
  if (r == NULL || (b->rep = r, (r->station = bench_key_new()) == NULL)) {
    bench_failf(res, "out of memory");
    return -1;
  }
  char pol[48], model[48], batch[48], sku[48], sup[48], site[48];
  snprintf(pol, sizeof(pol), "%s-pol", b->prefix);
  snprintf(model, sizeof(model), "%s-model", b->prefix);
  snprintf(sku, sizeof(sku), "%s-board", b->prefix);
  snprintf(sup, sizeof(sup), "%s-sup", b->prefix);
  snprintf(site, sizeof(site), "%s-ws", b->prefix);
  bench_todo t = {0};
  Partsledger__V1__Entry e;
  Partsledger__V1__ComponentTerm term = PARTSLEDGER__V1__COMPONENT_TERM__INIT, *terms[1] = {&term};
  term.component = REP_COMPONENT;
  term.months = 24;
  Partsledger__V1__WarrantyPolicyPublished wp = PARTSLEDGER__V1__WARRANTY_POLICY_PUBLISHED__INIT;
  wp.policy_id = pol;
  wp.model = model;
  wp.registration_window_days = 30;
  wp.terms = terms;
  wp.n_terms = 1;
  wp.max_extension_months = 12;
  BENCH_BODY(&e, WARRANTY_POLICY_PUBLISHED, warranty_policy_published, &wp);
  bench_todo_add(&t, b->maker, &e);
  /* The warranty data set's batch, and the mixed and audit phases'. */
  for (int k = 0; k < 2; k++) {
    Partsledger__V1__BatchRegistered br = PARTSLEDGER__V1__BATCH_REGISTERED__INIT;
    snprintf(batch, sizeof(batch), "%s-%s", b->prefix, k == 0 ? "wb" : "mb");
    br.batch_id = batch;
    br.supplier_id = sup;
    br.sku = sku;
    br.part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL;
    br.warranty_months = 12;
    br.produced_at_ms = pl_now_ms() - 30 * BENCH_DAY_MS;
    br.quantity = 1000000000;
    BENCH_BODY(&e, BATCH_REGISTERED, batch_registered, &br);
    bench_todo_add(&t, b->maker, &e);
  }
  Partsledger__V1__SiteRegistered s = PARTSLEDGER__V1__SITE_REGISTERED__INIT;
  s.site_id = site;
  s.kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION;
  s.name = "Bench repair station";
  s.latitude = 2.0; /* far from the inventory's sites */
  s.longitude = 2.0;
  BENCH_BODY(&e, SITE_REGISTERED, site_registered, &s);
  bench_todo_add(&t, b->admin, &e);
  char *sites[1] = {site};
  Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  ae.public_key.data = (uint8_t *)pl_key_public(r->station);
  ae.public_key.len = PL_PUBLIC_KEY_BYTES;
  ae.role = PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION;
  ae.name = "bench repair station";
  ae.site_ids = sites;
  ae.n_site_ids = 1;
  BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
  bench_todo_add(&t, b->admin, &e);
  int rc = bench_sign_send(b, &t, res, "the repair world");
  bench_todo_free(&t);
  if (rc == 0)
    r->ready = 1;
  return rc;
}

/* ---- entries --------------------------------------------------------------------- */

static void rep_device(bench *b, bench_todo *t, const char *serial, const char *part,
                       const char *batch) {
  char pol[48], model[48];
  snprintf(pol, sizeof(pol), "%s-pol", b->prefix);
  snprintf(model, sizeof(model), "%s-model", b->prefix);
  Partsledger__V1__InstalledPart ip = PARTSLEDGER__V1__INSTALLED_PART__INIT, *ips[1] = {&ip};
  ip.component = REP_COMPONENT;
  ip.part_serial = (char *)part;
  ip.batch_id = (char *)batch;
  Partsledger__V1__DeviceRegistered dr = PARTSLEDGER__V1__DEVICE_REGISTERED__INIT;
  dr.device_serial = (char *)serial;
  dr.model = model;
  dr.policy_id = pol;
  dr.purchased_at_ms = pl_now_ms() - BENCH_DAY_MS;
  dr.parts = ips;
  dr.n_parts = 1;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, DEVICE_REGISTERED, device_registered, &dr);
  bench_todo_add(t, b->maker, &e);
}

static void rep_extend(bench *b, bench_todo *t, const char *serial, uint32_t months) {
  Partsledger__V1__WarrantyExtended we = PARTSLEDGER__V1__WARRANTY_EXTENDED__INIT;
  we.device_serial = (char *)serial;
  we.component = REP_COMPONENT;
  we.months = months;
  we.contract_ref = "bench contract";
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, WARRANTY_EXTENDED, warranty_extended, &we);
  bench_todo_add(t, b->maker, &e);
}

static void rep_open(bench *b, bench_todo *t, const char *order, const char *serial,
                     int64_t reported) {
  char site[48];
  snprintf(site, sizeof(site), "%s-ws", b->prefix);
  Partsledger__V1__RepairOrderOpened o = PARTSLEDGER__V1__REPAIR_ORDER_OPENED__INIT;
  o.order_id = (char *)order;
  o.device_serial = (char *)serial;
  o.site_id = site;
  o.priority = PARTSLEDGER__V1__PRIORITY__PRIORITY_P2;
  o.fault = "does not start";
  o.reported_at_ms = reported;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, REPAIR_ORDER_OPENED, repair_order_opened, &o);
  bench_todo_add(t, b->rep->station, &e);
}

static void rep_respond(bench *b, bench_todo *t, const char *order, int64_t at) {
  Partsledger__V1__RepairOrderResponded o = PARTSLEDGER__V1__REPAIR_ORDER_RESPONDED__INIT;
  o.order_id = (char *)order;
  o.responded_at_ms = at;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, REPAIR_ORDER_RESPONDED, repair_order_responded, &o);
  bench_todo_add(t, b->rep->station, &e);
}

static void rep_replace(bench *b, bench_todo *t, const char *order, const char *removed,
                        const char *installed, const char *batch, const char *reservation) {
  Partsledger__V1__PartReplaced p = PARTSLEDGER__V1__PART_REPLACED__INIT;
  p.order_id = (char *)order;
  p.component = REP_COMPONENT;
  p.removed_serial = (char *)removed;
  p.installed_serial = (char *)installed;
  p.installed_batch_id = (char *)batch;
  p.reservation_id = (char *)reservation;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, PART_REPLACED, part_replaced, &p);
  bench_todo_add(t, b->rep->station, &e);
}

static void rep_close(bench *b, bench_todo *t, const char *order, int64_t at) {
  Partsledger__V1__RepairOrderClosed o = PARTSLEDGER__V1__REPAIR_ORDER_CLOSED__INIT;
  o.order_id = (char *)order;
  o.outcome = PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED;
  o.resolved_at_ms = at;
  o.first_visit_fix = 1;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, REPAIR_ORDER_CLOSED, repair_order_closed, &o);
  bench_todo_add(t, b->rep->station, &e);
}

static void rep_claim(bench *b, bench_todo *t, const char *claim, const char *serial,
                      const char *order, int64_t failure) {
  Partsledger__V1__ClaimFiled c = PARTSLEDGER__V1__CLAIM_FILED__INIT;
  c.claim_id = (char *)claim;
  c.device_serial = (char *)serial;
  c.order_id = (char *)order;
  c.component = REP_COMPONENT;
  c.failure_at_ms = failure;
  c.description = "board failed";
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, CLAIM_FILED, claim_filed, &c);
  bench_todo_add(t, b->rep->station, &e);
}

/* Approved in term, or rejected for human damage (the manufacturer's
 * judgment, which the ledger does not second-guess). */
static void rep_decide(bench *b, bench_todo *t, const char *claim, int approve) {
  Partsledger__V1__ClaimDecided d = PARTSLEDGER__V1__CLAIM_DECIDED__INIT;
  d.claim_id = (char *)claim;
  d.decision = approve ? PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
                       : PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED;
  d.reason = approve ? PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM
                     : PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE;
  Partsledger__V1__Entry e;
  BENCH_BODY(&e, CLAIM_DECIDED, claim_decided, &d);
  bench_todo_add(t, b->maker, &e);
}

/* ---- warranty --------------------------------------------------------------------- */

static void rep_serial(const bench *b, size_t i, char *out, size_t len) {
  snprintf(out, len, "%s-d%06zu", b->prefix, i);
}

/* The devices and the histories. 0 or -1. */
static int rep_load(bench *b, bench_result *res) {
  bench_rep *r = b->rep;
  char batch[48], serial[48], part[64], part1[64], order[64], claim[64];
  snprintf(batch, sizeof(batch), "%s-wb", b->prefix);
  r->ndevices = (size_t)b->o.devices;
  r->nhist = (size_t)b->o.history_devices < r->ndevices ? (size_t)b->o.history_devices
                                                         : r->ndevices;
  bench_note("warranty: registering %zu devices, %zu with histories of %d facts", r->ndevices,
             r->nhist, REP_HISTORY_FACTS);
  bench_todo t = {0};
  int rc = 0;
  for (size_t i = 0; i < r->ndevices && rc == 0; i++) {
    rep_serial(b, i, serial, sizeof(serial));
    snprintf(part, sizeof(part), "%s-p0", serial);
    rep_device(b, &t, serial, part, batch);
    if (t.n == 250000 || i + 1 == r->ndevices)
      rc = rep_sign_send_parallel(b, &t, res, "the devices");
  }
  /* Each history in log order; histories of different devices side by
   * side, in order within each AppendBatch. */
  int64_t base = pl_now_ms() - 60 * MIN_MS;
  for (size_t i = 0; i < r->nhist && rc == 0; i++) {
    rep_serial(b, i, serial, sizeof(serial));
    snprintf(part, sizeof(part), "%s-p0", serial);
    snprintf(part1, sizeof(part1), "%s-p1", serial);
    rep_extend(b, &t, serial, 12);
    int64_t reported = 0;
    for (int k = 0; k < REP_HISTORY_ORDERS; k++) {
      reported = base + k * MIN_MS;
      snprintf(order, sizeof(order), "%s-o%d", serial, k);
      rep_open(b, &t, order, serial, reported);
      rep_respond(b, &t, order, reported + 10000);
      if (k == 0)
        rep_replace(b, &t, order, part, part1, batch, "");
      rep_close(b, &t, order, reported + 20000);
    }
    snprintf(claim, sizeof(claim), "%s-c", serial);
    rep_claim(b, &t, claim, serial, order, reported);
    rep_decide(b, &t, claim, 1);
    if (t.n >= 50000 || i + 1 == r->nhist)
      rc = bench_sign_send(b, &t, res, "the histories");
  }
  bench_todo_free(&t);
  if (rc == 0)
    r->loaded = 1;
  return rc;
}

/* Walks BatchDevices of the warranty batch in pages of REP_PAGE, with the
 * pages in *pages and its time in *ms. 0, or -1 after counting the failure
 * in res. */
static int rep_walk(bench *b, bench_result *res, size_t *pages, double *ms) {
  char batch[48], want[48];
  snprintf(batch, sizeof(batch), "%s-wb", b->prefix);
  *pages = 0;
  pl_arena *a = pl_arena_new(0);
  if (a == NULL) {
    bench_failf(res, "out of memory");
    return -1;
  }
  uint64_t start = 0, t0 = bench_now_ns();
  size_t rows = 0;
  int rc = -1;
  for (;;) {
    Partsledger__V1__BatchDevicesRequest rq = PARTSLEDGER__V1__BATCH_DEVICES_REQUEST__INIT;
    rq.batch_id = batch;
    rq.start = start;
    rq.page_size = REP_PAGE;
    ProtobufCMessage *m;
    if (bench_call(b, BENCH_TRACE "BatchDevices", &rq.base,
                   &partsledger__v1__batch_devices_response__descriptor, a, &m, res,
                   "BatchDevices") != 0)
      goto done;
    const Partsledger__V1__BatchDevicesResponse *p = (void *)m;
    (*pages)++;
    for (size_t i = 0; i < p->n_devices; i++, rows++) {
      rep_serial(b, rows, want, sizeof(want));
      if (rows >= b->rep->ndevices || strcmp(p->devices[i]->device_serial, want) != 0 ||
          strcmp(p->devices[i]->component, REP_COMPONENT) != 0) {
        bench_failf(res, "BatchDevices row %zu: device %s, expected %s", rows,
                    p->devices[i]->device_serial, want);
        goto done;
      }
    }
    if (p->next_start == 0)
      break;
    if (p->n_devices == 0 || p->next_start <= start) {
      bench_failf(res, "BatchDevices from %" PRIu64 ": next_start %" PRIu64, start,
                  p->next_start);
      goto done;
    }
    start = p->next_start;
    pl_arena_reset(a);
  }
  if (rows != b->rep->ndevices) {
    bench_failf(res, "BatchDevices listed %zu devices, not %zu", rows, b->rep->ndevices);
    goto done;
  }
  *ms = (double)(bench_now_ns() - t0) / 1e6;
  rc = 0;
done:
  pl_arena_free(a);
  return rc;
}

static int rep_cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Requests of one kind for devices [0, n): packed into *buf. */
static bench_bytes *rep_requests(bench *b, size_t n, int history, char ***serials,
                                 char ***parts, uint8_t **buf) {
  bench_bytes *req = calloc(n, sizeof(*req));
  *serials = calloc(n, sizeof(char *));
  *parts = calloc(n, sizeof(char *));
  *buf = malloc(n * (96 + 48 + 48));
  if (req == NULL || *serials == NULL || *parts == NULL || *buf == NULL) {
    free(req);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t *at = *buf + i * (96 + 48 + 48);
    char *serial = (char *)at + 96, *part = serial + 48;
    rep_serial(b, i, serial, 48);
    snprintf(part, 48, "%s-d%06zu-p%d", b->prefix, i, i < b->rep->nhist ? 1 : 0);
    (*serials)[i] = serial;
    (*parts)[i] = part;
    size_t len;
    if (history) {
      Partsledger__V1__DeviceHistoryRequest rq = PARTSLEDGER__V1__DEVICE_HISTORY_REQUEST__INIT;
      rq.device_serial = serial;
      len = partsledger__v1__device_history_request__pack(&rq, at);
    } else {
      Partsledger__V1__GetWarrantyStatusRequest rq =
          PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
      rq.device_serial = serial;
      rq.component = REP_COMPONENT;
      len = partsledger__v1__get_warranty_status_request__pack(&rq, at);
    }
    req[i].data = at;
    req[i].len = len;
  }
  return req;
}

void bench_phase_warranty(bench *b, bench_result *res) {
  res->ran = 1;
  if (rep_ready(b, res) != 0)
    return;
  if (!b->rep->loaded && rep_load(b, res) != 0)
    return;
  bench_rep *r = b->rep;
  bench_head(b, &res->size_before, NULL);
  res->size_after = res->size_before;
  char pol[48], batch[48];
  snprintf(pol, sizeof(pol), "%s-pol", b->prefix);
  snprintf(batch, sizeof(batch), "%s-wb", b->prefix);
  char **serials = NULL, **parts = NULL, **hs = NULL, **hp = NULL;
  uint8_t *buf = NULL, *hbuf = NULL;
  bench_bytes *req = rep_requests(b, r->ndevices, 0, &serials, &parts, &buf);
  bench_bytes *hreq = r->nhist ? rep_requests(b, r->nhist, 1, &hs, &hp, &hbuf) : NULL;
  if (req == NULL || (r->nhist && hreq == NULL)) {
    bench_failf(res, "out of memory");
    goto done;
  }
  bench_dest d = {&b->server, NULL};
  bench_devices st = {req, (const char *const *)serials, (const char *const *)parts,
                      r->ndevices, pol, batch, 0};
  bench_measure_query(b, &d, &bench_wl_status, &st, b->o.inflight, res);
  bench_fig(res, "devices", (double)r->ndevices);
  bench_fig(res, "history_devices", (double)r->nhist);

  bench_result *hr = &b->sub[PH_WARRANTY][SUB_HISTORY];
  if (hreq != NULL) {
    bench_devices hd = {hreq, (const char *const *)hs, (const char *const *)hp, r->nhist, pol,
                        batch, REP_HISTORY_FACTS};
    bench_measure_query(b, &d, &bench_wl_history, &hd, b->o.inflight, hr);
    bench_fig(hr, "facts", REP_HISTORY_FACTS);
  } else {
    snprintf(hr->note, sizeof(hr->note), "not run: --history-devices 0");
  }

  /* BatchDevices: whole walks, one after another, for --duration (at
   * least three). */
  bench_result *wr = &b->sub[PH_WARRANTY][SUB_WALK];
  wr->ran = 1;
  double *ms = malloc(1000 * sizeof(double));
  size_t n = 0, pages = 0;
  uint64_t t0 = bench_now_ns();
  bench_mark *mk = bench_mark_take(b->o.server_pid, NULL, 1);
  while (ms != NULL && n < 1000 &&
         (n < 3 || (double)(bench_now_ns() - t0) / 1e9 < b->o.duration)) {
    if (rep_walk(b, wr, &pages, &ms[n]) != 0)
      break;
    n++;
  }
  wr->secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_mark_diff(mk, wr);
  if (n > 0) {
    qsort(ms, n, sizeof(*ms), rep_cmp_d);
    wr->calls = n;
    wr->items = n * r->ndevices;
    wr->p50 = ms[(n - 1) / 2];
    wr->p99 = ms[(size_t)((double)(n - 1) * 0.99)];
    wr->max = ms[n - 1];
    bench_fig(wr, "walk_ms", ms[(n - 1) / 2]);
    bench_fig(wr, "walk_min_ms", ms[0]);
    bench_fig(wr, "walks", (double)n);
    bench_fig(wr, "pages", (double)pages);
    bench_fig(wr, "page_size", REP_PAGE);
    bench_fig(wr, "devices", (double)r->ndevices);
  }
  free(ms);
done:
  free(req);
  free(serials);
  free(parts);
  free(buf);
  free(hreq);
  free(hs);
  free(hp);
  free(hbuf);
}

/* ---- mixed ---------------------------------------------------------------------- */

/* `n` chains: their devices registered and their parts in stock at the
 * station first (unmeasured), then their entries signed into *pool, chain
 * c's step s at record c * REP_CHAIN + s. 0 or -1. */
static int rep_chains(bench *b, size_t n, bench_pool *pool, bench_result *res) {
  bench_rep *r = b->rep;
  char batch[48], site[48], sku[48], serial[48], part[64], part1[64], order[64], resv[64],
      claim[64];
  snprintf(batch, sizeof(batch), "%s-mb", b->prefix);
  snprintf(site, sizeof(site), "%s-ws", b->prefix);
  snprintf(sku, sizeof(sku), "%s-board", b->prefix);
  bench_todo t = {0};
  int rc = 0;
  size_t first = r->next;
  for (size_t c = 0; c < n && rc == 0; c++) {
    snprintf(serial, sizeof(serial), "%s-m%zu", b->prefix, first + c);
    snprintf(part, sizeof(part), "%s-p0", serial);
    rep_device(b, &t, serial, part, batch);
    if (t.n == 250000 || c + 1 == n)
      rc = rep_sign_send_parallel(b, &t, res, "the mixed phase's devices");
  }
  if (rc == 0) {
    Partsledger__V1__StockReceived sr = PARTSLEDGER__V1__STOCK_RECEIVED__INIT;
    sr.site_id = site;
    sr.batch_id = batch;
    sr.quantity = n;
    Partsledger__V1__Entry e;
    BENCH_BODY(&e, STOCK_RECEIVED, stock_received, &sr);
    bench_todo_add(&t, r->station, &e);
    rc = bench_sign_send(b, &t, res, "the mixed phase's stock");
  }
  if (rc != 0) {
    bench_todo_free(&t);
    return -1;
  }
  int64_t now = pl_now_ms(), reported = now - 10 * MIN_MS;
  for (size_t c = 0; c < n; c++) {
    size_t g = first + c;
    snprintf(serial, sizeof(serial), "%s-m%zu", b->prefix, g);
    snprintf(part, sizeof(part), "%s-p0", serial);
    snprintf(part1, sizeof(part1), "%s-p1", serial);
    snprintf(order, sizeof(order), "%s-mo%zu", b->prefix, g);
    snprintf(resv, sizeof(resv), "%s-mr%zu", b->prefix, g);
    snprintf(claim, sizeof(claim), "%s-mc%zu", b->prefix, g);
    Partsledger__V1__Entry e;
    rep_open(b, &t, order, serial, reported);
    rep_respond(b, &t, order, reported + MIN_MS);
    Partsledger__V1__PartReserved pr = PARTSLEDGER__V1__PART_RESERVED__INIT;
    pr.reservation_id = resv;
    pr.site_id = site;
    pr.sku = sku;
    pr.quantity = 1;
    pr.batch_id = batch;
    pr.repair_order_id = order;
    pr.expires_at_ms = now + BENCH_DAY_MS;
    BENCH_BODY(&e, PART_RESERVED, part_reserved, &pr);
    bench_todo_add(&t, r->station, &e);
    Partsledger__V1__ReservationFulfilled rf = PARTSLEDGER__V1__RESERVATION_FULFILLED__INIT;
    rf.reservation_id = resv;
    rf.batch_id = batch;
    rf.quantity = 1;
    BENCH_BODY(&e, RESERVATION_FULFILLED, reservation_fulfilled, &rf);
    bench_todo_add(&t, r->station, &e);
    rep_replace(b, &t, order, part, part1, batch, resv);
    rep_close(b, &t, order, reported + 2 * MIN_MS);
    rep_claim(b, &t, claim, serial, order, reported);
    rep_decide(b, &t, claim, 1);
  }
  r->next += n;
  rc = bench_todo_sign(&t, (int)b->cores, pool, &res->sign_secs);
  bench_todo_free(&t);
  if (rc != 0)
    bench_failf(res, "cannot sign the chains");
  return rc;
}

/* Sends `n` chains, --inflight at once, for `secs` (0: all), with their
 * entries/s in *rate (when not NULL). 0, or -1 after counting the failure
 * in res. */
static int rep_chains_run(bench *b, size_t n, double secs, bench_result *res, int measure,
                          double *rate) {
  bench_pool pool;
  if (rep_chains(b, n, &pool, res) != 0)
    return -1;
  bench_chains *c = calloc(1, sizeof(*c));
  if (c != NULL) {
    c->ready = calloc(n ? n : 1, sizeof(size_t));
    c->step = calloc(n ? n : 1, 1);
  }
  if (c == NULL || c->ready == NULL || c->step == NULL) {
    if (c != NULL) {
      free(c->ready);
      free(c->step);
    }
    free(c);
    bench_pool_free(&pool);
    bench_failf(res, "out of memory");
    return -1;
  }
  c->steps = REP_CHAIN;
  c->nchains = n;
  pthread_mutex_init(&c->lock, NULL);
  bench_dest d = {&b->server, NULL};
  uint64_t items = res->items;
  double before = res->secs;
  int rc = bench_write_run(b, &d, &bench_wl_chains, c, &c->w, &pool, 0, b->o.inflight, secs,
                           res, measure);
  bench_fig(res, "chains_done", bench_fig_get(res, "chains_done", 0) +
                                    (double)atomic_load(&c->done));
  if (c->next >= c->nchains && c->nready == 0)
    res->ran_out = 1; /* every chain was begun and none was left waiting */
  pthread_mutex_destroy(&c->lock);
  free(c->ready);
  free(c->step);
  free(c);
  bench_pool_free(&pool);
  if (rc != 0) {
    bench_failf(res, "the chains could not be sent");
    return -1;
  }
  double took = res->secs - before;
  if (rate != NULL)
    *rate = took > 0 ? (double)(res->items - items) / took : 0;
  return 0;
}

void bench_phase_mixed(bench *b, bench_result *res) {
  res->ran = 1;
  if (rep_ready(b, res) != 0)
    return;
  size_t cap = (size_t)b->o.max_pool;
  size_t wn = 16000 < cap ? 16000 : cap;
  size_t wc = (wn + REP_CHAIN - 1) / REP_CHAIN;
  bench_note("mixed: warming up (%zu chains of %d entries)", wc, REP_CHAIN);
  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  double rate = 0;
  int rc = rep_chains_run(b, wc, 1.0, &warm, 0, &rate);
  bench_merge_warmup(res, &warm);
  if (rc != 0)
    return;
  double want = rate * b->o.duration * 2.0 + 2.0 * REP_CHAIN * b->o.inflight;
  if (want > (double)cap)
    want = (double)cap;
  size_t chains = (size_t)want / REP_CHAIN;
  if (chains < 1)
    chains = 1;
  bench_note("mixed: warm-up %.0f entries/s; %zu chains (%zu entries)", rate, chains,
             chains * REP_CHAIN);
  bench_fig(res, "chains_done", 0);
  rep_chains_run(b, chains, b->o.duration, res, 1, NULL);
  bench_head(b, &res->size_after, NULL);
  bench_fig(res, "chains", (double)chains);
  bench_fig(res, "entries_per_chain", REP_CHAIN);
}

/* ---- audit ---------------------------------------------------------------------- */

/* The claim, its device's history, the dispute and the co-signed ruling.
 * 0 or -1, with the claim's id in `claim`. */
static int rep_audit_setup(bench *b, char *claim, size_t len, pl_key *arb[REP_ARBITERS],
                           bench_result *res) {
  char batch[48], serial[48], part[64], part1[64], order[64], panel[48];
  snprintf(batch, sizeof(batch), "%s-mb", b->prefix);
  snprintf(serial, sizeof(serial), "%s-a", b->prefix);
  snprintf(part, sizeof(part), "%s-p0", serial);
  snprintf(part1, sizeof(part1), "%s-p1", serial);
  snprintf(panel, sizeof(panel), "%s-panel", b->prefix);
  snprintf(claim, len, "%s-ac", b->prefix);
  bench_todo t = {0};
  Partsledger__V1__Entry e;
  rep_device(b, &t, serial, part, batch);
  rep_extend(b, &t, serial, 6);
  int64_t base = pl_now_ms() - 120 * MIN_MS, reported = base;
  for (int k = 0; k < b->o.audit_orders; k++) {
    reported = base + k * MIN_MS;
    snprintf(order, sizeof(order), "%s-ao%d", b->prefix, k);
    rep_open(b, &t, order, serial, reported);
    rep_respond(b, &t, order, reported + 10000);
    if (k == 0)
      rep_replace(b, &t, order, part, part1, batch, "");
    rep_close(b, &t, order, reported + 20000);
  }
  rep_claim(b, &t, claim, serial, order, reported);
  rep_decide(b, &t, claim, 0);
  uint8_t *members[REP_ARBITERS];
  ProtobufCBinaryData keys[REP_ARBITERS];
  for (int k = 0; k < REP_ARBITERS; k++) {
    char name[32];
    snprintf(name, sizeof(name), "bench arbiter %d", k);
    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    ae.public_key.data = (uint8_t *)pl_key_public(arb[k]);
    ae.public_key.len = PL_PUBLIC_KEY_BYTES;
    ae.role = PARTSLEDGER__V1__ROLE__ROLE_ARBITER;
    ae.name = name;
    BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
    bench_todo_add(&t, b->admin, &e);
    members[k] = (uint8_t *)pl_key_public(arb[k]);
    keys[k].data = members[k];
    keys[k].len = PL_PUBLIC_KEY_BYTES;
  }
  Partsledger__V1__PanelConstituted pc = PARTSLEDGER__V1__PANEL_CONSTITUTED__INIT;
  pc.panel_id = panel;
  pc.name = "Bench arbitration panel";
  pc.members = keys;
  pc.n_members = REP_ARBITERS;
  pc.quorum = 2;
  BENCH_BODY(&e, PANEL_CONSTITUTED, panel_constituted, &pc);
  bench_todo_add(&t, b->admin, &e);
  Partsledger__V1__DisputeOpened dop = PARTSLEDGER__V1__DISPUTE_OPENED__INIT;
  dop.claim_id = claim;
  dop.panel_id = panel;
  dop.grounds = "the board failed in normal use";
  BENCH_BODY(&e, DISPUTE_OPENED, dispute_opened, &dop);
  bench_todo_add(&t, b->rep->station, &e);
  Partsledger__V1__ArbitrationRuled ar = PARTSLEDGER__V1__ARBITRATION_RULED__INIT;
  ar.claim_id = claim;
  ar.ruling = PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD;
  ar.reasoning = "no sign of damage";
  ar.remedy = "replace the board";
  BENCH_BODY(&e, ARBITRATION_RULED, arbitration_ruled, &ar);
  const pl_key *co[1] = {arb[1]};
  bench_todo_add_cosigned(&t, arb[0], co, 1, &e);
  int rc = bench_sign_send(b, &t, res, "the audit claim");
  bench_todo_free(&t);
  return rc;
}

/* `argv` run with its output dropped: its exit status, or -1. */
static int rep_run(char *const argv[]) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int st = -1;
  if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0 && waitpid(pid, &st, 0) == pid)
    st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  else
    st = -1;
  posix_spawn_file_actions_destroy(&fa);
  return st;
}

/* The CLI: --cli, or partsledger next to this binary. */
static void rep_cli(bench *b, char *out, size_t len) {
  if (b->o.cli != NULL) {
    snprintf(out, len, "%s", b->o.cli);
    return;
  }
  char self[512];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  self[n > 0 ? n : 0] = '\0';
  char *slash = strrchr(self, '/');
  if (slash != NULL)
    *slash = '\0';
  snprintf(out, len, "%s/partsledger", n > 0 ? self : ".");
}

/* Times `partsledger audit verify` of one bundle, when the CLI has it. */
static void rep_verify(bench *b, const uint8_t *bundle, size_t len, const char *vkey,
                       bench_result *vr) {
  char cli[600], file[600];
  rep_cli(b, cli, sizeof(cli));
  char *help[] = {cli, "audit", "--help", NULL};
  if (access(cli, X_OK) != 0 || rep_run(help) != 0) {
    vr->skipped = 1;
    snprintf(vr->note, sizeof(vr->note),
             "not available: `%.150s audit --help` failed (no offline verifier in this build)",
             cli);
    bench_note("audit: offline verification %s", vr->note);
    return;
  }
  vr->ran = 1;
  const char *tmp = getenv("TMPDIR") != NULL && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(file, sizeof(file), "%s/pl-bench-bundle.XXXXXX", tmp);
  int fd = mkstemp(file);
  if (fd < 0 || write(fd, bundle, len) != (ssize_t)len) {
    if (fd >= 0) {
      close(fd);
      unlink(file);
    }
    bench_failf(vr, "cannot write the bundle to %s", file);
    return;
  }
  close(fd);
  char *argv[] = {cli, "audit", "verify", file, "--vkey", (char *)vkey, NULL};
  double ms[16];
  size_t n = 0;
  uint64_t t0 = bench_now_ns();
  while (n < 16 && (n < 3 || (double)(bench_now_ns() - t0) / 1e9 < b->o.duration)) {
    uint64_t s = bench_now_ns();
    int st = rep_run(argv);
    if (st != 0) {
      bench_failf(vr, "`partsledger audit verify` exited with %d on a good bundle", st);
      break;
    }
    ms[n++] = (double)(bench_now_ns() - s) / 1e6;
  }
  unlink(file);
  vr->secs = (double)(bench_now_ns() - t0) / 1e9;
  if (n > 0) {
    qsort(ms, n, sizeof(*ms), rep_cmp_d);
    vr->calls = vr->items = n;
    vr->p50 = ms[(n - 1) / 2];
    vr->p99 = ms[(size_t)((double)(n - 1) * 0.99)];
    vr->max = ms[n - 1];
    bench_fig(vr, "verify_ms", ms[(n - 1) / 2]);
  }
  snprintf(vr->note, sizeof(vr->note), "%.200s audit verify", cli);
}

void bench_phase_audit(bench *b, bench_result *res) {
  res->ran = 1;
  if (rep_ready(b, res) != 0)
    return;
  pl_key *arb[REP_ARBITERS] = {0};
  for (int k = 0; k < REP_ARBITERS; k++)
    if ((arb[k] = bench_key_new()) == NULL) {
      bench_failf(res, "cannot make a key");
      goto done;
    }
  char claim[64];
  if (rep_audit_setup(b, claim, sizeof(claim), arb, res) != 0)
    goto done;
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__GetLogInfoRequest li = PARTSLEDGER__V1__GET_LOG_INFO_REQUEST__INIT;
  ProtobufCMessage *m;
  if (a == NULL || bench_call(b, BENCH_SERVICE "GetLogInfo", &li.base,
                              &partsledger__v1__get_log_info_response__descriptor, a, &m, res,
                              "GetLogInfo") != 0) {
    pl_arena_free(a);
    goto done;
  }
  const char *vkey = ((Partsledger__V1__GetLogInfoResponse *)m)->verifier_key;
  bench_head(b, &res->size_before, NULL);
  res->size_after = res->size_before;
  uint8_t req[96];
  Partsledger__V1__ExportAuditBundleRequest rq = PARTSLEDGER__V1__EXPORT_AUDIT_BUNDLE_REQUEST__INIT;
  rq.claim_id = claim;
  bench_audit *ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL) {
    pl_arena_free(a);
    bench_failf(res, "out of memory");
    goto done;
  }
  ctx->req.data = req;
  ctx->req.len = partsledger__v1__export_audit_bundle_request__pack(&rq, req);
  ctx->claim_id = claim;
  ctx->vkey = vkey;
  pthread_mutex_init(&ctx->lock, NULL);
  bench_dest d = {&b->server, NULL};
  bench_measure_query(b, &d, &bench_wl_audit, ctx, b->o.inflight, res);
  bench_fig(res, "entries", (double)ctx->entries);
  bench_fig(res, "bundle_bytes", (double)ctx->ref_len);
  bench_fig(res, "orders", b->o.audit_orders);
  if (ctx->ref != NULL)
    rep_verify(b, ctx->ref, ctx->ref_len, vkey, &b->sub[PH_AUDIT][SUB_VERIFY]);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx->ref);
  free(ctx);
  pl_arena_free(a);
done:
  for (int k = 0; k < REP_ARBITERS; k++)
    pl_key_free(arb[k]);
}
