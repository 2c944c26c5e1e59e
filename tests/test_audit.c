/*
 * test_audit.c - integration tests of audit bundles through the real
 * server, the client library and the CLI: a realistic claim history (some
 * fifty linked entries: sites, a supplier, batches, a policy, a device with
 * its parts and extensions, repair orders with responses, reservations
 * fulfilled and parts replaced, an earlier claim rejected by a station since
 * revoked, the disputed claim, its rejection, dispute, panel and a ruling
 * co-signed by members) next to entries that have nothing to do with it.
 * The bundle must hold exactly the linked leaves, verify offline (library
 * and `audit verify`), and fail, with the reason, after each kind of
 * tampering. `prove N --tlog-proof` writes what the bundle carries. The
 * HTML report is opened in a real headless browser (Debian's chromium):
 * its DOM must hold the key facts and its screenshot must not be blank.
 */
#include <grpc/status.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "caltime.h"
#include "claims.h"
#include "clock.h"
#include "entry.h"
#include "test.h"

#ifndef PL_PNG_COLORS
#error "PL_PNG_COLORS must name tests/png_colors.py"
#endif

#define CHROMIUM "/usr/bin/chromium"
#define PYTHON "/usr/bin/python3"

#define REASON(r) PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_##r
#define DECISION(d) PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_##d
#define BODY(b) PARTSLEDGER__V1__ENTRY__BODY_##b

#define DEVICE "FR3K-000417"
#define CLAIM "CLM-2025-1003" /* the disputed one */
#define MAX_LINKED 128

typedef struct {
  cl_world w;
  pl_key *station_b; /* a second station at SITE_C, revoked after its order */
  uint64_t linked[MAX_LINKED]; /* what the bundle must hold, as appended */
  size_t n_linked;
  uint64_t noise[16]; /* what it must not */
  size_t n_noise;
  uint64_t claim, decision, dispute, panel, ruling;
  char *bundle; /* the gRPC export, NUL-terminated, in the arena */
  const char *path; /* ... and as a file */
} history;

#define ENV(h) CL_ENV(&(h)->w)

/* Appends a body signed by `k`; notes its index as linked (or noise). */
static int put(history *h, const pl_key *k, const ProtobufCMessage *body, int linked,
               uint64_t *out) {
  uint64_t index;
  int code = cl_put(&h->w, k, body, &index);
  if (code != OK) {
    fprintf(stderr, "appending a %s: status %d: %s\n",
                    body != NULL ? body->descriptor->short_name : "(nothing)", code,
            inv_msg(ENV(h)));
    return -1;
  }
  if (linked && h->n_linked < MAX_LINKED)
    h->linked[h->n_linked++] = index;
  else if (!linked && h->n_noise < 16)
    h->noise[h->n_noise++] = index;
  if (out != NULL)
    *out = index;
  return 0;
}

static int send(history *h, const Partsledger__V1__SignedEntry *se, uint64_t *out) {
  uint64_t index;
  if (cl_send(&h->w, se, &index) != OK) {
    fprintf(stderr, "appending: %s\n", inv_msg(ENV(h)));
    return -1;
  }
  if (h->n_linked < MAX_LINKED)
    h->linked[h->n_linked++] = index;
  if (out != NULL)
    *out = index;
  return 0;
}

#define B(x) ((x) != NULL ? &(x)->base : NULL)

/* A reservation of one unit of `batch` at SITE_C for repair order `order`. */
static Partsledger__V1__PartReserved *reserve(pl_arena *a, const char *id, const char *sku,
                                              const char *batch, const char *order) {
  Partsledger__V1__PartReserved *b = inv_reserve_body(a, id, SITE_C, sku, 1, batch,
                                                      inv_later());
  if (b != NULL)
    b->repair_order_id = (char *)order;
  return b;
}

/* The index of the first entry of `body` whose id (or enrolled key) is
 * `id`, found by reading the whole log; UINT64_MAX when none. */
static uint64_t find(history *h, int body, const char *id, const uint8_t *key) {
  pl_arena *a = ENV(h)->a;
  uint64_t start = 0;
  for (;;) {
    Partsledger__V1__ListEntriesResponse *r;
    if (pl_client_list_entries(ENV(h)->c, start, 1000, a, &r) != 0 || r->n_entries == 0)
      return UINT64_MAX;
    for (size_t i = 0; i < r->n_entries; i++) {
      Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(
          pl_arena_allocator(a), r->entries[i]->leaf.len, r->entries[i]->leaf.data);
      Partsledger__V1__Entry *e =
          l != NULL ? partsledger__v1__entry__unpack(pl_arena_allocator(a),
                                                     l->signed_entry->entry.len,
                                                     l->signed_entry->entry.data)
                    : NULL;
      if (e == NULL || (int)e->body_case != body)
        continue;
      const char *got = body == BODY(SITE_REGISTERED)       ? e->site_registered->site_id
                        : body == BODY(SUPPLIER_REGISTERED) ? e->supplier_registered->supplier_id
                        : body == BODY(BATCH_REGISTERED)    ? e->batch_registered->batch_id
                        : body == BODY(WARRANTY_POLICY_PUBLISHED)
                            ? e->warranty_policy_published->policy_id
                            : NULL;
      if ((got != NULL && strcmp(got, id) == 0) ||
          (body == BODY(ACTOR_ENROLLED) &&
           memcmp(e->actor_enrolled->public_key.data, key, PL_PUBLIC_KEY_BYTES) == 0))
        return r->entries[i]->index;
    }
    start = r->next_start;
  }
}

/* The history of device DEVICE, and entries beside it. 0 or -1. */
static int history_build(history *h) {
  memset(h, 0, sizeof(*h));
  if (cl_world_start(&h->w) != 0)
    return -1;
  cl_world *w = &h->w;
  pl_arena *a = ENV(h)->a;
  const pl_key *admin = w->w.admin, *maker = w->w.maker, *st = w->w.station;
  static const char *const c_sites[] = {SITE_C, NULL};
  if ((h->station_b = cl_enroll(w, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, c_sites,
                                "Munich west, service van 2", NULL)) == NULL)
    return -1;
  int64_t now = pl_now_ms();

  /* The device, its parts and two extensions. */
  if (put(h, maker,
          B(cl_device_body(a, DEVICE, w->t0 - 10 * PL_DAY_MS, DEVICE "-C", DEVICE "-F")), 1,
          NULL) != 0 ||
      put(h, maker, B(cl_extended_body(a, DEVICE, CL_COMPRESSOR, 6)), 1, NULL) != 0 ||
      put(h, maker, B(cl_extended_body(a, DEVICE, "", 3)), 1, NULL) != 0)
    return -1;

  /* RO-5500, by the second station: a fan claim rejected for an
   * unauthorised modification; then that station's key is revoked. */
  Partsledger__V1__ClaimFiled *k0 =
      cl_claim_body(a, "CLM-2025-1000", DEVICE, "RO-5500", CL_FAN, now - 3 * PL_HOUR_MS, 1000);
  if (k0 != NULL)
    k0->description = "fan blade rubbing; housing opened with a non-standard tool";
  if (put(h, h->station_b,
          B(cl_order_body(a, "RO-5500", DEVICE, SITE_C, now - 3 * PL_HOUR_MS, 1000)), 1,
          NULL) != 0 ||
      put(h, h->station_b, B(cl_responded_body(a, "RO-5500", now - 170 * 60000)), 1, NULL) !=
          0 ||
      put(h, h->station_b, B(k0), 1, NULL) != 0 ||
      put(h, maker,
          B(cl_decided_body(a, "CLM-2025-1000", DECISION(REJECTED),
                            REASON(UNAUTHORIZED_MODIFICATION))),
          1, NULL) != 0 ||
      put(h, h->station_b, B(cl_closed_body(a, "RO-5500", now - 160 * 60000)), 1, NULL) != 0)
    return -1;
  Partsledger__V1__Entry *re;
  Partsledger__V1__SignedEntry *rse;
  if (pl_build_actor_revoked(a, pl_key_public(h->station_b), "van sold", &re) != 0 ||
      pl_entry_build(admin, re, a, &rse) != 0 || send(h, rse, NULL) != 0)
    return -1;

  /* RO-5501: a new fan from a fulfilled reservation; the fan claim on it
   * approved in term (the replacement lifted the earlier exclusion). */
  if (put(h, st, B(cl_order_body(a, "RO-5501", DEVICE, SITE_C, now - 2 * PL_HOUR_MS, 1100)),
          1, NULL) != 0 ||
      put(h, st, B(cl_responded_body(a, "RO-5501", now - 110 * 60000)), 1, NULL) != 0 ||
      put(h, st,
          B(reserve(a, "RSV-1", CL_SKU_FAN, CL_BATCH_FAN2, "RO-5501")),
          1, NULL) != 0)
    return -1;
  if (put(h, st, B(inv_fulfil_body(a, "RSV-1", CL_BATCH_FAN2, 1)), 1, NULL) != 0 ||
      put(h, st,
          B(cl_replaced_body(a, "RO-5501", CL_FAN, DEVICE "-F", "FAN2-0001", CL_BATCH_FAN2,
                             "RSV-1")),
          1, NULL) != 0 ||
      put(h, st, B(cl_closed_body(a, "RO-5501", pl_now_ms() - 1000)), 1, NULL) != 0)
    return -1;
  int64_t fan_failure = pl_now_ms() + 1;
  usleep(5000);
  Partsledger__V1__ClaimFiled *k1 =
      cl_claim_body(a, "CLM-2025-1001", DEVICE, "RO-5501", CL_FAN, fan_failure, 1100);
  if (k1 != NULL)
    k1->description = "new fan failed a day after fitting";
  if (put(h, st, B(k1), 1, NULL) != 0 ||
      put(h, maker,
          B(cl_decided_body(a, "CLM-2025-1001", DECISION(APPROVED), REASON(IN_TERM))), 1,
          NULL) != 0)
    return -1;

  /* RO-5502: a spare compressor, reserved, fulfilled and fitted; its claim
   * approved as goodwill. */
  if (put(h, st, B(cl_order_body(a, "RO-5502", DEVICE, SITE_C, now - 90 * 60000, 1150)), 1,
          NULL) != 0 ||
      put(h, st, B(cl_responded_body(a, "RO-5502", now - 80 * 60000)), 1, NULL) != 0 ||
      put(h, st,
          B(reserve(a, "RSV-2", CL_SKU_COMP, CL_BATCH_SPARE, "RO-5502")),
          1, NULL) != 0 ||
      put(h, st, B(inv_fulfil_body(a, "RSV-2", CL_BATCH_SPARE, 1)), 1, NULL) != 0 ||
      put(h, st,
          B(cl_replaced_body(a, "RO-5502", CL_COMPRESSOR, DEVICE "-C", "SP-0001",
                             CL_BATCH_SPARE, "RSV-2")),
          1, NULL) != 0 ||
      put(h, st, B(cl_closed_body(a, "RO-5502", pl_now_ms() - 1000)), 1, NULL) != 0 ||
      put(h, st,
          B(cl_claim_body(a, "CLM-2025-1002", DEVICE, "RO-5502", CL_COMPRESSOR,
                          now - 95 * 60000, 1150)),
          1, NULL) != 0 ||
      put(h, maker,
          B(cl_decided_body(a, "CLM-2025-1002", DECISION(APPROVED), REASON(GOODWILL))), 1,
          NULL) != 0)
    return -1;

  /* RO-5503: the compressor fails again; the claim is rejected for human
   * damage, disputed, and upheld by the panel. */
  Partsledger__V1__ClaimFiled *k3 = cl_claim_body(a, CLAIM, DEVICE, "RO-5503", CL_COMPRESSOR,
                                                  pl_now_ms(), 1190);
  if (put(h, st, B(cl_order_body(a, "RO-5503", DEVICE, SITE_C, now - 40 * 60000, 1190)), 1,
          NULL) != 0 ||
      put(h, st, B(cl_responded_body(a, "RO-5503", now - 35 * 60000)), 1, NULL) != 0 ||
      put(h, st, B(k3), 1, &h->claim) != 0 ||
      put(h, maker,
          B(cl_decided_body(a, CLAIM, DECISION(REJECTED), REASON(HUMAN_DAMAGE))), 1,
          &h->decision) != 0)
    return -1;
  if (cl_panel(w, "PNL-COOL-1", NULL, 3, 2) != OK)
    return -1;
  h->panel = tree_size(ENV(h)) - 1;
  h->linked[h->n_linked++] = h->panel;
  if (cl_dispute(w, st, CLAIM, "PNL-COOL-1") != OK)
    return -1;
  h->dispute = tree_size(ENV(h)) - 1;
  h->linked[h->n_linked++] = h->dispute;
  pl_key *co[] = {w->arb[1], w->arb[2]};
  if (send(h, cl_ruling(a, w->arb[0], co, 2, CLAIM, PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD),
           &h->ruling) != 0 ||
      put(h, st, B(cl_closed_body(a, "RO-5503", pl_now_ms() - 1000)), 1, NULL) != 0)
    return -1;

  /* Beside it: another device and its order, stock moving, another panel. */
  if (put(h, maker, B(cl_device_body(a, "FR3K-000999", w->t0 - PL_DAY_MS, "X-C", "X-F")), 0,
          NULL) != 0 ||
      put(h, st, B(cl_order_body(a, "RO-9999", "FR3K-000999", SITE_C, now - 60000, 10)), 0,
          NULL) != 0 ||
      put(h, w->w.clerk, B(inv_receive_body(a, SITE_A, CL_BATCH_SPARE, 5)), 0, NULL) != 0 ||
      put(h, st, B(inv_receive_body(a, SITE_C, CL_BATCH_FAN2, 2)), 0, NULL) != 0)
    return -1;
  if (cl_panel(w, "PNL-OTHER", NULL, 2, 1) != OK)
    return -1;
  h->noise[h->n_noise++] = tree_size(ENV(h)) - 1;

  /* What else is linked: the enrollments of every signer back to genesis,
   * their revocations, and the ids the entries name. */
  uint64_t more[] = {
      0,
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(maker)),
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(st)),
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(h->station_b)),
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(w->arb[0])),
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(w->arb[1])),
      find(h, BODY(ACTOR_ENROLLED), NULL, pl_key_public(w->arb[2])),
      find(h, BODY(SITE_REGISTERED), SITE_C, NULL),
      find(h, BODY(SUPPLIER_REGISTERED), SUPPLIER, NULL),
      find(h, BODY(BATCH_REGISTERED), CL_BATCH_COMP, NULL),
      find(h, BODY(BATCH_REGISTERED), CL_BATCH_FAN, NULL),
      find(h, BODY(BATCH_REGISTERED), CL_BATCH_SPARE, NULL),
      find(h, BODY(BATCH_REGISTERED), CL_BATCH_FAN2, NULL),
      find(h, BODY(WARRANTY_POLICY_PUBLISHED), CL_POLICY, NULL),
  };
  for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
    if (more[i] == UINT64_MAX) {
      fprintf(stderr, "history: entry %zu of the linked ids not found\n", i);
      return -1;
    }
    h->linked[h->n_linked++] = more[i];
  }
  return 0;
}

static int u64_cmp(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Exports the bundle of CLAIM by gRPC into h->bundle and h->path. */
static int export_bundle(history *h) {
  Partsledger__V1__ExportAuditBundleResponse *r;
  if (pl_client_export_audit_bundle(ENV(h)->c, CLAIM, ENV(h)->a, &r) != 0) {
    fprintf(stderr, "ExportAuditBundle: %s\n", inv_msg(ENV(h)));
    return -1;
  }
  h->bundle = pl_arena_alloc(ENV(h)->a, r->bundle.len + 1);
  if (h->bundle == NULL)
    return -1;
  memcpy(h->bundle, r->bundle.data, r->bundle.len);
  h->bundle[r->bundle.len] = '\0';
  h->path = cl_path(&h->w, "bundle.json");
  return pl_write_file(h->path, h->bundle) == 0 ? 0 : -1;
}

static void history_stop(history *h) {
  pl_key_free(h->station_b);
  cl_world_stop(&h->w);
}

PL_TEST(bundle_holds_exactly_the_linked_leaves_and_verifies) {
  history h;
  CHECK(history_build(&h) == 0);
  CHECK(export_bundle(&h) == 0);
  pl_audit_report r;
  int rc = pl_audit_verify(h.bundle, strlen(h.bundle), ENV(&h)->vkey, &r);
  for (int i = 0; rc != 0 && i < PL_AUDIT_N_CHECKS; i++)
    fprintf(stderr, "%s %s: %s\n", pl_audit_result_name(r.checks[i].result),
            r.checks[i].name, r.checks[i].reason);
  CHECK_EQ(rc, 0);
  /* Exactly the linked leaves, in log order. */
  qsort(h.linked, h.n_linked, sizeof(h.linked[0]), u64_cmp);
  size_t n = 0;
  for (size_t i = 0; i < h.n_linked; i++)
    if (i == 0 || h.linked[i] != h.linked[i - 1])
      h.linked[n++] = h.linked[i];
  for (size_t i = 0; i < r.n_entries && i < n; i++)
    if (r.entries[i].index != h.linked[i])
      fprintf(stderr, "bundle entry %zu is %" PRIu64 " (%s), expected %" PRIu64 "\n", i,
              r.entries[i].index, r.entries[i].kind, h.linked[i]);
  CHECK_EQ(r.n_entries, n);
  for (size_t i = 0; i < n; i++)
    CHECK_EQ(r.entries[i].index, h.linked[i]);
  CHECK(n >= 45);
  for (size_t i = 0; i < h.n_noise; i++)
    for (size_t k = 0; k < r.n_entries; k++)
      CHECK(r.entries[k].index != h.noise[i]);
  /* The claim's story, and what the checks found. */
  CHECK(r.claim != NULL && r.claim->index == h.claim);
  CHECK(r.decision != NULL && r.decision->index == h.decision);
  CHECK(r.dispute != NULL && r.dispute->index == h.dispute);
  CHECK(r.ruling != NULL && r.ruling->index == h.ruling);
  CHECK(r.panel != NULL && r.panel->index == h.panel);
  CHECK(r.device != NULL && r.policy != NULL);
  CHECK_EQ(r.quorum, 2);
  CHECK_EQ(r.counted, 3);
  CHECK_EQ(r.n_members, 3);
  CHECK(r.have_status);
  CHECK_EQ(r.status.status, PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE);
  CHECK_STR(r.status.term_source, "device");
  CHECK(r.status.part != NULL);
  CHECK_STR(r.status.part->part_serial, "SP-0001");
  CHECK(strstr(r.checks[PL_AUDIT_DECISION].reason, "HUMAN_DAMAGE") != NULL);
  CHECK(strstr(r.checks[PL_AUDIT_QUORUM].reason, "3 signed, 3 counted") != NULL);
  CHECK(strstr(r.checks[PL_AUDIT_REFERENCES].reason, "earlier in the bundle") != NULL);
  /* The revoked station signed before its revocation, which is bundled. */
  int revoked = 0;
  for (size_t k = 0; k < r.n_entries; k++)
    revoked |= r.entries[k].entry != NULL &&
               r.entries[k].entry->body_case == BODY(ACTOR_REVOKED);
  CHECK(revoked);

  /* The ledger's own judgment at the failure, now, is the bundle's. */
  const Partsledger__V1__ClaimFiled *cf = r.claim->entry->claim_filed;
  Partsledger__V1__GetWarrantyStatusRequest req =
      PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
  req.device_serial = cf->device_serial;
  req.component = cf->component;
  req.at_ms = cf->failure_at_ms;
  req.usage_reading = cf->usage_reading;
  ProtobufCMessage *resp;
  CHECK(pl_client_call(ENV(&h)->c, "/partsledger.v1.Warranty/GetWarrantyStatus", &req.base,
                       &partsledger__v1__get_warranty_status_response__descriptor,
                       ENV(&h)->a, &resp) == 0);
  const Partsledger__V1__GetWarrantyStatusResponse *st = (const void *)resp;
  CHECK_EQ(st->status, r.status_now.status);
  CHECK_EQ(st->coverage_ends_at_ms, r.status_now.coverage_ends_at);
  CHECK_STR(st->part_serial, r.status_now.part->part_serial);

  /* A verifier key of the same origin but another key does not verify the
   * bundle: it is judged, and fails, rather than refused as no key. */
  pl_audit_report_destroy(&r);
  pl_key *other_key = new_key();
  CHECK(other_key != NULL);
  char other[PL_VKEY_MAX];
  rc = pl_note_vkey(pl_harness_origin(ENV(&h)->h), pl_key_public(other_key), other,
                    sizeof(other));
  pl_key_free(other_key);
  CHECK_EQ(rc, 0);
  CHECK(strcmp(other, ENV(&h)->vkey) != 0);
  CHECK_EQ(pl_audit_verify(h.bundle, strlen(h.bundle), other, &r), PL_EVERIFY);
  CHECK_EQ(r.checks[PL_AUDIT_CHECKPOINT].result, PL_AUDIT_FAILS);
  CHECK(strstr(r.checks[PL_AUDIT_CHECKPOINT].reason, "not the key given") != NULL);
  /* ... and a claim nobody filed. */
  pl_audit_report_destroy(&r);
  Partsledger__V1__ExportAuditBundleResponse *none;
  CHECK(pl_client_export_audit_bundle(ENV(&h)->c, "CLM-none", ENV(&h)->a, &none) != 0);
  CHECK_EQ(last_code(ENV(&h)), NOT_FOUND);
  history_stop(&h);
}

/* --- the CLI --------------------------------------------------------------------- */

static const char *g_out, *g_err;

/* Runs the CLI against the history's server and checks its exit status;
 * its output is in g_out and g_err. */
#define CHECK_CLI(h, want, ...)                                                \
  do {                                                                         \
    int pl__code = cl_cli(&(h)->w, &g_out, &g_err, __VA_ARGS__, (const char *)NULL); \
    if (pl__code != (want)) {                                                  \
      fprintf(stderr, "%s:%d: exit %d, wanted %d\nstdout: %s\nstderr: %s\n",   \
              __FILE__, __LINE__, pl__code, (want), g_out, g_err);             \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* The output says `needle`. */
#define CHECK_SAID(text, needle)                                               \
  do {                                                                         \
    if (strstr((text), (needle)) == NULL) {                                    \
      fprintf(stderr, "%s:%d: output does not say \"%s\":\n%s\n", __FILE__,    \
              __LINE__, (needle), (text));                                     \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* The verdict line of check `name` in `audit verify`'s output ("FAILED
 * proofs      entry 17 ..."), in the arena; "" when there is none. */
static const char *verdict_line(history *h, const char *out, const char *name) {
  for (const char *p = out; p != NULL && *p != '\0';) {
    const char *nl = strchr(p, '\n');
    size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
    char result[16], got[32];
    if (sscanf(p, "%15s %31s", result, got) == 2 && strcmp(got, name) == 0)
      return pl_arena_printf(ENV(h)->a, "%.*s", (int)len, p);
    p = nl != NULL ? nl + 1 : NULL;
  }
  return "";
}

PL_TEST(cli_export_and_verify) {
  history h;
  CHECK(history_build(&h) == 0);
  const char *out = cl_path(&h.w, "cli-bundle.json");
  CHECK_CLI(&h, 0, "audit", "export", CLAIM, "--out", out);
  CHECK_SAID(g_out, "47 entries");
  /* It is the gRPC export, byte for byte (and a newline). */
  CHECK(export_bundle(&h) == 0);
  char *text = pl_read_file(out);
  CHECK(text != NULL);
  CHECK_EQ(strlen(text), strlen(h.bundle) + 1);
  CHECK(strncmp(text, h.bundle, strlen(h.bundle)) == 0);
  free(text);
  CHECK_CLI(&h, 2, "audit", "export", CLAIM, "--out", out);
  CHECK_SAID(g_err, "already exists");
  CHECK_CLI(&h, 0, "audit", "export", CLAIM, "--out", out, "--force");
  CHECK_CLI(&h, 1, "audit", "export", "CLM-none", "--out", cl_path(&h.w, "none.json"));
  CHECK_SAID(g_err, "NOT_FOUND");
  CHECK_CLI(&h, 2, "audit", "export", CLAIM);
  CHECK_CLI(&h, 2, "audit", "export", CLAIM, "--out", out, "--html", "x.html");

  const char *vkey = ENV(&h)->vkey;
  CHECK_CLI(&h, 0, "audit", "verify", out, "--vkey", vkey);
  CHECK_SAID(g_out, "OK the audit bundle of claim " CLAIM " holds: all 11 checks");
  static const char *const names[] = {"document", "checkpoint", "manifest", "proofs",
                                      "leaves", "signatures", "signers", "references",
                                      "quorum", "warranty", "decision"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    CHECK(strncmp(verdict_line(&h, g_out, names[i]), "holds", 5) == 0);
  CHECK_SAID(verdict_line(&h, g_out, "warranty"), "was ACTIVE");
  CHECK_SAID(verdict_line(&h, g_out, "quorum"), "2 of 3 members of panel PNL-COOL-1");
  CHECK_CLI(&h, 0, "--json", "audit", "verify", out, "--vkey", vkey);
  cJSON *j = cJSON_Parse(g_out);
  CHECK(j != NULL);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "checks")), 11);
  CHECK_STR(cJSON_GetObjectItem(j, "warranty_status")->valuestring, "ACTIVE");
  cJSON_Delete(j);
  const char *vfile = cl_path(&h.w, "vkey.txt");
  CHECK(pl_write_file(vfile, pl_arena_printf(ENV(&h)->a, "%s\n", vkey)) == 0);
  CHECK_CLI(&h, 0, "audit", "verify", out, "--vkey-file", vfile);

  /* Another log's key, of the same name: the answer is no. */
  pl_key *stranger = new_key();
  char other[PL_VKEY_MAX];
  CHECK(stranger != NULL);
  CHECK(pl_note_vkey(PL_HARNESS_ORIGIN, pl_key_public(stranger), other, sizeof(other)) == 0);
  pl_key_free(stranger);
  CHECK_CLI(&h, 1, "audit", "verify", out, "--vkey", other);
  CHECK_SAID(verdict_line(&h, g_out, "checkpoint"), "not the key given");
  CHECK_SAID(verdict_line(&h, g_out, "manifest"), "not signed by the verifier key");
  /* Not a bundle, or not there: exit 2. */
  CHECK_CLI(&h, 2, "audit", "verify", cl_path(&h.w, "missing.json"), "--vkey", vkey);
  const char *empty = cl_path(&h.w, "empty.json");
  CHECK(pl_write_file(empty, "{}") == 0);
  CHECK_CLI(&h, 2, "audit", "verify", empty, "--vkey", vkey);
  CHECK_SAID(g_err, "media_type");
  CHECK(pl_write_file(empty, "[1, 2]") == 0);
  CHECK_CLI(&h, 2, "audit", "verify", empty, "--vkey", vkey);
  CHECK(pl_write_file(empty, "{\"media_type\": \"" PL_AUDIT_MEDIA_TYPE "\", "
                             "\"media_type\": \"x\"}") == 0);
  CHECK_CLI(&h, 2, "audit", "verify", empty, "--vkey", vkey);
  CHECK_SAID(g_err, "appears twice");
  const char *proof = cl_path(&h.w, "proof.json");
  CHECK_CLI(&h, 0, "prove", "1");
  CHECK(pl_write_file(proof, g_out) == 0);
  CHECK_CLI(&h, 2, "audit", "verify", proof, "--vkey", vkey);
  /* A bundle of more entries than any claim links is refused unread. */
  size_t cap = 4096 + 2 * (PL_AUDIT_ENTRIES_MAX + 1);
  char *huge = pl_arena_alloc(ENV(&h)->a, cap);
  CHECK(huge != NULL);
  int w = snprintf(huge, cap,
                   "{\"media_type\": \"%s\", \"claim_id\": \"x\", \"origin\": \"o\", "
                   "\"verifier_key\": \"v\", \"checkpoint\": \"c\", \"manifest\": \"m\", "
                   "\"tree_size\": 1, \"entries\": [0",
                   PL_AUDIT_MEDIA_TYPE);
  for (int i = 0; i < PL_AUDIT_ENTRIES_MAX; i++)
    w += snprintf(huge + w, cap - (size_t)w, ",0");
  snprintf(huge + w, cap - (size_t)w, "]}");
  pl_audit_report big;
  CHECK_EQ(pl_audit_verify(huge, strlen(huge), vkey, &big), PL_EINVAL);
  CHECK_SAID(big.checks[PL_AUDIT_DOCUMENT].reason, "over the 10000");
  pl_audit_report_destroy(&big);
  CHECK_CLI(&h, 2, "audit", "verify", out);
  CHECK_CLI(&h, 2, "audit", "verify", out, "--vkey", "not-a-key");
  CHECK_CLI(&h, 2, "audit", "check", out, "--vkey", vkey);
  history_stop(&h);
}

/* --- tampering ---------------------------------------------------------------------- */

/* The bundle's entry of `index`, or NULL. */
static cJSON *entry_of(cJSON *doc, uint64_t index) {
  cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "entries"))
    if ((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")) == index)
      return e;
  return NULL;
}

static void set_str(cJSON *o, const char *name, const char *v) {
  cJSON_ReplaceItemInObjectCaseSensitive(o, name, cJSON_CreateString(v));
}

/* The leaf of an entry decoded, in the arena. */
static uint8_t *leaf_of(history *h, cJSON *e, size_t *n) {
  const char *b64 = cJSON_GetObjectItem(e, "leaf")->valuestring;
  size_t len = strlen(b64);
  uint8_t *leaf = pl_arena_alloc(ENV(h)->a, len);
  return pl_base64_decode(b64, len, leaf, len, n) == 0 ? leaf : NULL;
}

static void set_leaf(history *h, cJSON *e, const uint8_t *leaf, size_t n) {
  size_t cap = (n + 2) / 3 * 4 + 1;
  char *b64 = pl_arena_alloc(ENV(h)->a, cap);
  pl_base64_encode(leaf, n, b64, cap);
  set_str(e, "leaf", b64);
}

/* Writes `doc` as the tampered bundle, frees it, runs `audit verify`: the
 * exit status, with the output in g_out and g_err. */
static int verify_doc(history *h, cJSON *doc) {
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  const char *path = cl_path(&h->w, "tampered.json");
  int rc = text != NULL ? pl_write_file(path, text) : -1;
  cJSON_free(text);
  if (rc != 0)
    return -1;
  return cl_cli(&h->w, &g_out, &g_err, "audit", "verify", path, "--vkey", ENV(h)->vkey,
                (const char *)NULL);
}

/* The tampered bundle fails (exit 1), check `name` says FAILED and `why`. */
#define CHECK_TAMPERED(h, doc, name, why)                                      \
  do {                                                                         \
    CHECK_EQ(verify_doc(h, doc), 1);                                           \
    const char *pl__line = verdict_line(h, g_out, name);                       \
    if (strncmp(pl__line, "FAILED", 6) != 0 || strstr(pl__line, why) == NULL) { \
      fprintf(stderr, "%s:%d: check %s does not fail with \"%s\":\n%s\n",     \
              __FILE__, __LINE__, name, why, g_out);                           \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
    CHECK_SAID(g_err, "FAILED: ");                                             \
  } while (0)

static int tamper_start(history *h, cJSON **doc) {
  if (history_build(h) != 0 || export_bundle(h) != 0)
    return -1;
  *doc = cJSON_Parse(h->bundle);
  return *doc != NULL ? 0 : -1;
}

PL_TEST(tampered_leaf_byte_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  cJSON *e = entry_of(doc, h.decision);
  size_t n;
  uint8_t *leaf = leaf_of(&h, e, &n);
  CHECK(leaf != NULL && n > 20);
  /* A bit of the decision's author signature, the leaf's last 64 bytes (the
   * decision has no co-signatures): the leaf hash changes and the signature
   * no longer verifies. */
  leaf[n - 5] ^= 0x01;
  set_leaf(&h, e, leaf, n);
  const char *why = pl_arena_printf(ENV(&h)->a, "entry %" PRIu64 " (claim_decided): its "
                                    "inclusion proof does not lead", h.decision);
  CHECK_TAMPERED(&h, doc, "proofs", why);
  CHECK_SAID(verdict_line(&h, g_out, "signatures"), "does not verify");
  history_stop(&h);
}

PL_TEST(tampered_proof_hash_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  cJSON *e = entry_of(doc, h.ruling);
  cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "inclusion_proof"), 0);
  CHECK(first != NULL);
  char *hash = pl_arena_printf(ENV(&h)->a, "%s", first->valuestring);
  hash[3] = hash[3] == 'A' ? 'B' : 'A';
  cJSON_ReplaceItemInArray(cJSON_GetObjectItem(e, "inclusion_proof"), 0,
                           cJSON_CreateString(hash));
  CHECK_TAMPERED(&h, doc, "proofs", "its inclusion proof does not lead");
  CHECK(strncmp(verdict_line(&h, g_out, "checkpoint"), "holds", 5) == 0);
  CHECK(strncmp(verdict_line(&h, g_out, "signatures"), "holds", 5) == 0);
  history_stop(&h);
}

PL_TEST(tampered_tlog_proof_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  cJSON *e = entry_of(doc, h.claim);
  const char *t = cJSON_GetObjectItem(e, "tlog_proof")->valuestring;
  char *text = pl_arena_printf(ENV(&h)->a, "%s", t);
  char *hash = strstr(text, "\n") + 1;
  hash = strstr(hash, "\n") + 1; /* the first hash line */
  hash[5] = hash[5] == 'A' ? 'B' : 'A';
  set_str(e, "tlog_proof", text);
  CHECK_TAMPERED(&h, doc, "proofs", "its tlog_proof does not lead");
  /* With an extra line it is not the format partsledger writes (a fresh
   * copy of the same bundle). */
  doc = cJSON_Parse(h.bundle);
  CHECK(doc != NULL);
  e = entry_of(doc, h.claim);
  t = cJSON_GetObjectItem(e, "tlog_proof")->valuestring;
  set_str(e, "tlog_proof",
          pl_arena_printf(ENV(&h)->a, "c2sp.org/tlog-proof@v1\nextra YWJj\n%s",
                          strchr(t, '\n') + 1));
  CHECK_TAMPERED(&h, doc, "proofs", "extra line");
  history_stop(&h);
}

PL_TEST(tampered_checkpoint_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  const char *cp = cJSON_GetObjectItem(doc, "checkpoint")->valuestring;
  char *text = pl_arena_printf(ENV(&h)->a, "%s", cp);
  char *root = strchr(strchr(text, '\n') + 1, '\n') + 1; /* the root line */
  root[2] = root[2] == 'A' ? 'B' : 'A';
  set_str(doc, "checkpoint", text);
  CHECK_TAMPERED(&h, doc, "checkpoint", "not signed by the verifier key");
  CHECK_SAID(verdict_line(&h, g_out, "manifest"), "root");
  history_stop(&h);
}

PL_TEST(tampered_manifest_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  const char *m = cJSON_GetObjectItem(doc, "manifest")->valuestring;
  /* Drop the decision's index from the signed list. */
  const char *line = pl_arena_printf(ENV(&h)->a, "\n%" PRIu64 "\n", h.decision);
  const char *at = strstr(m, line);
  CHECK(at != NULL);
  set_str(doc, "manifest",
          pl_arena_printf(ENV(&h)->a, "%.*s%s", (int)(at - m), m, at + strlen(line) - 1));
  CHECK_TAMPERED(&h, doc, "manifest", "not signed by the verifier key");
  CHECK(strncmp(verdict_line(&h, g_out, "proofs"), "holds", 5) == 0);
  history_stop(&h);
}

PL_TEST(dropped_entry_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  /* The rejection the dispute is about. */
  cJSON *entries = cJSON_GetObjectItem(doc, "entries");
  int i = 0;
  cJSON *e;
  cJSON_ArrayForEach(e, entries) {
    if ((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")) == h.decision)
      break;
    i++;
  }
  cJSON_DeleteItemFromArray(entries, i);
  const char *why = pl_arena_printf(ENV(&h)->a, "the manifest names entry %" PRIu64
                                    ", which the bundle does not hold", h.decision);
  CHECK_TAMPERED(&h, doc, "manifest", why);
  /* Dropping the panel, from a fresh copy of the same bundle, breaks
   * references too. */
  doc = cJSON_Parse(h.bundle);
  CHECK(doc != NULL);
  entries = cJSON_GetObjectItem(doc, "entries");
  i = 0;
  cJSON_ArrayForEach(e, entries) {
    if ((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")) == h.panel)
      break;
    i++;
  }
  cJSON_DeleteItemFromArray(entries, i);
  CHECK_TAMPERED(&h, doc, "references", "panel PNL-COOL-1, which no bundled entry defines");
  CHECK_SAID(verdict_line(&h, g_out, "manifest"), "FAILED");
  CHECK_SAID(verdict_line(&h, g_out, "quorum"), "FAILED");
  history_stop(&h);
}

PL_TEST(added_entry_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  /* A real leaf of the log, with its real proofs in the same tree: the
   * other device's registration, which has nothing to do with the claim. */
  uint64_t index = h.noise[0], size = tree_size(ENV(&h));
  Partsledger__V1__EntryResponse *er;
  Partsledger__V1__GetInclusionProofResponse *pr;
  CHECK(pl_client_get_entry(ENV(&h)->c, index, ENV(&h)->a, &er) == 0);
  CHECK(pl_client_get_inclusion_proof(ENV(&h)->c, index, size, ENV(&h)->a, &pr) == 0);
  cJSON *o = cJSON_CreateObject(), *proof = cJSON_CreateArray();
  pl_hash hashes[PL_MERKLE_MAX_PROOF];
  for (size_t i = 0; i < pr->n_hashes; i++) {
    char b64[64];
    memcpy(hashes[i], pr->hashes[i].data, PL_HASH_BYTES);
    pl_base64_encode(pr->hashes[i].data, PL_HASH_BYTES, b64, sizeof(b64));
    cJSON_AddItemToArray(proof, cJSON_CreateString(b64));
  }
  char *tlog;
  CHECK(pl_tlog_proof_format(index, hashes, pr->n_hashes,
                             cJSON_GetObjectItem(doc, "checkpoint")->valuestring,
                             ENV(&h)->a, &tlog) == 0);
  cJSON_AddNumberToObject(o, "index", (double)index);
  cJSON_AddStringToObject(o, "kind", "device_registered");
  cJSON_AddStringToObject(o, "leaf", "");
  cJSON_AddItemToObject(o, "inclusion_proof", proof);
  cJSON_AddStringToObject(o, "tlog_proof", tlog);
  set_leaf(&h, o, er->leaf.data, er->leaf.len);
  cJSON *entries = cJSON_GetObjectItem(doc, "entries");
  int at = 0;
  cJSON *e;
  cJSON_ArrayForEach(e, entries) {
    if ((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")) > index)
      break;
    at++;
  }
  cJSON_InsertItemInArray(entries, at, o);
  const char *why = pl_arena_printf(ENV(&h)->a, "the bundle holds entry %" PRIu64
                                    ", which the manifest does not name", index);
  CHECK_TAMPERED(&h, doc, "manifest", why);
  /* Everything else about it holds: only the signed list gives it away. */
  CHECK(strncmp(verdict_line(&h, g_out, "proofs"), "holds", 5) == 0);
  CHECK(strncmp(verdict_line(&h, g_out, "signatures"), "holds", 5) == 0);
  history_stop(&h);
}

PL_TEST(swapped_cosignature_fails) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  cJSON *e = entry_of(doc, h.ruling);
  size_t n;
  uint8_t *bytes = leaf_of(&h, e, &n);
  CHECK(bytes != NULL);
  Partsledger__V1__Leaf *l =
      partsledger__v1__leaf__unpack(pl_arena_allocator(ENV(&h)->a), n, bytes);
  CHECK(l != NULL && l->signed_entry->n_cosignatures == 2);
  /* Each co-signer's signature under the other's key. */
  Partsledger__V1__Cosignature **co = l->signed_entry->cosignatures;
  ProtobufCBinaryData sig = co[0]->signature;
  co[0]->signature = co[1]->signature;
  co[1]->signature = sig;
  size_t len = partsledger__v1__leaf__get_packed_size(l);
  uint8_t *packed = pl_arena_alloc(ENV(&h)->a, len);
  partsledger__v1__leaf__pack(l, packed);
  set_leaf(&h, e, packed, len);
  CHECK_TAMPERED(&h, doc, "signatures", "cosignature does not verify");
  CHECK_SAID(verdict_line(&h, g_out, "proofs"), "FAILED");
  history_stop(&h);
}

PL_TEST(prove_writes_the_tlog_proof_the_bundle_carries) {
  history h;
  CHECK(history_build(&h) == 0);
  CHECK(export_bundle(&h) == 0);
  cJSON *doc = cJSON_Parse(h.bundle);
  CHECK(doc != NULL);
  const char *want =
      pl_arena_printf(ENV(&h)->a, "%s",
                      cJSON_GetObjectItem(entry_of(doc, h.ruling), "tlog_proof")->valuestring);
  const char *checkpoint =
      pl_arena_printf(ENV(&h)->a, "%s", cJSON_GetObjectItem(doc, "checkpoint")->valuestring);
  cJSON_Delete(doc);
  const char *n = pl_arena_printf(ENV(&h)->a, "%" PRIu64, h.ruling);
  CHECK_CLI(&h, 0, "prove", n, "--tlog-proof");
  CHECK_STR(g_out, want);
  /* The format, and the proof, checked on their own. */
  pl_tlog_proof t;
  char why[PL_MSG_MAX];
  CHECK_EQ(pl_tlog_proof_parse(g_out, ENV(&h)->a, &t, why), 0);
  CHECK_EQ(t.index, h.ruling);
  const char *head = "c2sp.org/tlog-proof@v1\nindex ";
  CHECK(strncmp(g_out, head, strlen(head)) == 0);
  CHECK(strstr(g_out, "\nextra") == NULL);
  CHECK_STR(t.checkpoint, checkpoint);
  Partsledger__V1__EntryResponse *er;
  CHECK(pl_client_get_entry(ENV(&h)->c, h.ruling, ENV(&h)->a, &er) == 0);
  CHECK_EQ(pl_verify_inclusion(ENV(&h)->vkey, t.checkpoint, h.ruling, er->leaf.data,
                               er->leaf.len, t.hashes, t.n),
           0);
  CHECK(pl_verify_inclusion(ENV(&h)->vkey, t.checkpoint, h.claim, er->leaf.data,
                            er->leaf.len, t.hashes, t.n) != 0);
  CHECK_CLI(&h, 0, "--json", "prove", n, "--tlog-proof");
  cJSON *j = cJSON_Parse(g_out);
  CHECK(j != NULL);
  CHECK_STR(cJSON_GetObjectItem(j, "tlog_proof")->valuestring, want);
  cJSON_Delete(j);
  CHECK_CLI(&h, 2, "prove", "--consistency", "1", "--tlog-proof");
  /* Index 0 has a proof too, and the parse refuses what is not one. */
  CHECK_CLI(&h, 0, "prove", "0", "--tlog-proof");
  CHECK_EQ(pl_tlog_proof_parse(g_out, ENV(&h)->a, &t, why), 0);
  CHECK_EQ(t.index, 0);
  CHECK(pl_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 01\n\n", ENV(&h)->a, &t, why) != 0);
  CHECK(pl_tlog_proof_parse("c2sp.org/tlog-proof@v2\nindex 1\n\n", ENV(&h)->a, &t, why) != 0);
  CHECK(pl_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\nnot-a-hash\n\n", ENV(&h)->a,
                            &t, why) != 0);
  CHECK(pl_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\n", ENV(&h)->a, &t, why) != 0);
  history_stop(&h);
}

/* --- the report, in a browser ------------------------------------------------------ */

/* Runs chromium headless on `html` with `mode` (--dump-dom, or
 * --screenshot=PNG with a window size), in a profile of its own that is
 * removed after: its exit status, its stdout in the arena. */
static int chromium(history *h, const char *html, const char *mode, const char *size,
                    const char **out) {
  const char *profile = cl_path(&h->w, "chromium-profile-XXXXXX");
  char *dir = pl_arena_printf(ENV(h)->a, "%s", profile);
  if (dir == NULL || mkdtemp(dir) == NULL)
    return -1;
  const char *url = pl_arena_printf(ENV(h)->a, "file://%s", html);
  const char *user = pl_arena_printf(ENV(h)->a, "--user-data-dir=%s", dir);
  const char *argv[] = {CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--log-level=3", user, mode,
                        size != NULL ? size : url, size != NULL ? url : NULL, NULL};
  char *o = NULL;
  int code = pl_run(argv, NULL, 90000, &o, NULL);
  *out = pl_arena_printf(ENV(h)->a, "%s", o != NULL ? o : "");
  free(o);
  const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
  pl_run(rm, NULL, 30000, NULL, NULL);
  return code;
}

PL_TEST(report_renders_in_a_browser) {
  if (access(CHROMIUM, X_OK) != 0) {
    fprintf(stderr, "%s is not installed: the report must be checked in a real browser. "
                    "Install Debian's chromium with ./deploy/deps.sh (it is in its "
                    "package list).\n", CHROMIUM);
    pl_test_failed = 1;
    return;
  }
  history h;
  CHECK(history_build(&h) == 0);
  CHECK(export_bundle(&h) == 0);
  const char *html = cl_path(&h.w, "report.html"), *vkey = ENV(&h)->vkey;
  CHECK_CLI(&h, 0, "audit", "report", h.path, "--html", html, "--vkey", vkey);
  CHECK_SAID(g_out, "holds: every check");
  CHECK_CLI(&h, 2, "audit", "report", h.path, "--html", html, "--vkey", vkey);
  CHECK_CLI(&h, 0, "audit", "report", h.path, "--html", html, "--vkey", vkey, "--force");

  /* One self-contained page: nothing fetched, nothing run, text escaped. */
  char *page = pl_read_file(html);
  CHECK(page != NULL);
  const char *hostile[] = {"http://", "https://", "<script", "<link", "<img", "<iframe",
                           "src=", "@import", "url("};
  for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
    if (strstr(page, hostile[i]) != NULL) {
      fprintf(stderr, "the page holds \"%s\"\n", hostile[i]);
      free(page);
      CHECK(0);
    }
  int escaped = strstr(page, "&lt;see photos &amp; report&gt;") != NULL &&
                strstr(page, "<see photos") == NULL;
  free(page);
  CHECK(escaped);

  /* What the browser makes of it. */
  const char *dom;
  CHECK_EQ(chromium(&h, html, "--dump-dom", NULL, &dom), 0);
  char key[2 * PL_PUBLIC_KEY_BYTES + 1];
  pl_hex_encode(pl_key_public(h.w.arb[1]), PL_PUBLIC_KEY_BYTES, key);
  const char *facts[] = {CLAIM,
                         DEVICE,
                         "VERIFIED: all 11 checks hold",
                         "rejected",
                         "human damage",
                         "claim upheld",
                         "ACTIVE",
                         "PNL-COOL-1",
                         "Ben Ortiz, consumer council",
                         key,
                         "co-signer, verified",
                         "&lt;see photos &amp; report&gt;",
                         "Extends the warranty of device " DEVICE,
                         "Revokes key",
                         "SP-0001"};
  for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
    CHECK_SAID(dom, facts[i]);

  const char *png = cl_path(&h.w, "report.png");
  const char *shot = pl_arena_printf(ENV(&h)->a, "--screenshot=%s", png);
  CHECK_EQ(chromium(&h, html, shot, "--window-size=1200,2000", &dom), 0);
  const char *py[] = {PYTHON, PL_PNG_COLORS, png, NULL};
  char *said = NULL;
  CHECK_EQ(pl_run(py, NULL, 120000, &said, NULL), 0);
  unsigned width = 0, height = 0, colors = 0;
  int got = said != NULL ? sscanf(said, "%ux%u %u", &width, &height, &colors) : 0;
  free(said);
  CHECK_EQ(got, 3);
  CHECK_EQ(width, 1200);
  CHECK_EQ(height, 2000);
  if (colors < 256)
    fprintf(stderr, "the screenshot has %u distinct pixel values\n", colors);
  CHECK(colors >= 256); /* a blank page has one */
  history_stop(&h);
}

PL_TEST(report_of_a_bundle_that_fails_says_so_at_the_top) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  cJSON *e = entry_of(doc, h.ruling);
  size_t n;
  uint8_t *leaf = leaf_of(&h, e, &n);
  CHECK(leaf != NULL);
  leaf[n - 10] ^= 0x01;
  set_leaf(&h, e, leaf, n);
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  const char *bad = cl_path(&h.w, "bad.json"), *html = cl_path(&h.w, "bad.html");
  CHECK(text != NULL && pl_write_file(bad, text) == 0);
  cJSON_free(text);
  CHECK_CLI(&h, 1, "audit", "report", bad, "--html", html, "--vkey", ENV(&h)->vkey);
  CHECK_SAID(g_out, "does NOT hold");
  char *page = pl_read_file(html);
  CHECK(page != NULL);
  int top = strstr(page, "NOT VERIFIED: ") != NULL &&
            strstr(page, "NOT VERIFIED: ") < strstr(page, "id=\"claim\"") &&
            strstr(page, "NOT proven") != NULL;
  free(page);
  CHECK(top);
  /* Without a key the page checks the bundle against its own, and says so. */
  CHECK_CLI(&h, 0, "audit", "report", h.path, "--html", cl_path(&h.w, "own.html"));
  CHECK_SAID(g_out, "its own key");
  page = pl_read_file(cl_path(&h.w, "own.html"));
  CHECK(page != NULL);
  int says = strstr(page, "which the bundle itself names") != NULL;
  free(page);
  CHECK(says);
  /* Not a bundle: no page. */
  CHECK_CLI(&h, 2, "audit", "report", cl_path(&h.w, "missing.json"), "--html",
            cl_path(&h.w, "none.html"));
  CHECK(access(cl_path(&h.w, "none.html"), F_OK) != 0);
  history_stop(&h);
}

/* --- what the checkpoint decides ----------------------------------------------------- */

/* Verifies `doc` (not freed) with the library against `vkey`: its code. */
static int verify_lib(cJSON *doc, const char *vkey, pl_audit_report *r) {
  char *text = cJSON_PrintUnformatted(doc);
  if (text == NULL) {
    memset(r, 0, sizeof(*r));
    return PL_ENOMEM;
  }
  int rc = pl_audit_verify(text, strlen(text), vkey, r);
  cJSON_free(text);
  return rc;
}

PL_TEST(unparsed_checkpoint_leaves_the_leaves_checked) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  set_str(doc, "checkpoint", "garbage\n");
  pl_audit_report r;
  CHECK_EQ(verify_lib(doc, ENV(&h)->vkey, &r), PL_EVERIFY);
  cJSON_Delete(doc);
  CHECK_EQ(r.checks[PL_AUDIT_CHECKPOINT].result, PL_AUDIT_FAILS);
  /* No root to prove against, and the proofs say why. */
  CHECK(r.checks[PL_AUDIT_PROOFS].result != PL_AUDIT_HOLDS);
  CHECK(strstr(r.checks[PL_AUDIT_PROOFS].reason, "checkpoint does not parse") != NULL);
  for (size_t i = 0; i < r.n_entries; i++)
    CHECK(!r.entries[i].proven);
  /* Everything the entries say is still read, and judged on what is there. */
  CHECK_EQ(r.checks[PL_AUDIT_LEAVES].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_SIGNATURES].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_SIGNERS].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_REFERENCES].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_QUORUM].result, PL_AUDIT_HOLDS);
  CHECK(strstr(r.checks[PL_AUDIT_QUORUM].reason, "3 signed, 3 counted") != NULL);
  CHECK(r.ruling != NULL && r.ruling->index == h.ruling);
  CHECK_EQ(r.counted, 3);
  CHECK_EQ(r.checks[PL_AUDIT_WARRANTY].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_DECISION].result, PL_AUDIT_HOLDS);
  pl_audit_report_destroy(&r);
  history_stop(&h);
}

/* `note` signed again by `k` alone, under the log's name, in the arena. */
static char *resign(history *h, const pl_key *k, const char *note) {
  const char *end = strstr(note, "\n\n");
  if (end == NULL)
    return NULL;
  size_t body_len = (size_t)(end - note) + 1, cap = body_len + 512, len;
  char *out = pl_arena_alloc(ENV(h)->a, cap);
  if (out == NULL || pl_note_sign(k, PL_HARNESS_ORIGIN, note, body_len, out, cap, &len) != 0)
    return NULL;
  return out;
}

PL_TEST(checkpoint_of_another_key_proves_nothing) {
  history h;
  cJSON *doc;
  CHECK(tamper_start(&h, &doc) == 0);
  /* The same tree, vouched for by a key that is not the log's: the bundle
   * is consistent with itself, and names that key. */
  pl_key *other = new_key();
  char vkey[PL_VKEY_MAX];
  CHECK(other != NULL);
  CHECK(pl_note_vkey(PL_HARNESS_ORIGIN, pl_key_public(other), vkey, sizeof(vkey)) == 0);
  const char *cp = cJSON_GetObjectItem(doc, "checkpoint")->valuestring;
  char *cp2 = resign(&h, other, cp);
  char *m2 = resign(&h, other, cJSON_GetObjectItem(doc, "manifest")->valuestring);
  pl_key_free(other);
  CHECK(cp2 != NULL && m2 != NULL);
  size_t cp_len = strlen(cp);
  cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "entries")) {
    const char *t = cJSON_GetObjectItem(e, "tlog_proof")->valuestring;
    size_t n = strlen(t);
    CHECK(n > cp_len && strcmp(t + n - cp_len, cp) == 0);
    set_str(e, "tlog_proof", pl_arena_printf(ENV(&h)->a, "%.*s%s", (int)(n - cp_len), t, cp2));
  }
  set_str(doc, "checkpoint", cp2);
  set_str(doc, "manifest", m2);
  set_str(doc, "verifier_key", vkey);

  /* Against that key the proofs hold: they are real proofs of a tree. */
  pl_audit_report r;
  CHECK_EQ(verify_lib(doc, vkey, &r), PL_EVERIFY);
  CHECK_EQ(r.checks[PL_AUDIT_CHECKPOINT].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_MANIFEST].result, PL_AUDIT_HOLDS);
  CHECK_EQ(r.checks[PL_AUDIT_PROOFS].result, PL_AUDIT_HOLDS);
  pl_audit_report_destroy(&r);

  /* Against the log's key they prove nothing, and no entry is included. */
  CHECK_EQ(verify_lib(doc, ENV(&h)->vkey, &r), PL_EVERIFY);
  CHECK_EQ(r.checks[PL_AUDIT_CHECKPOINT].result, PL_AUDIT_FAILS);
  CHECK_EQ(r.checks[PL_AUDIT_MANIFEST].result, PL_AUDIT_FAILS);
  CHECK(r.checks[PL_AUDIT_PROOFS].result != PL_AUDIT_HOLDS);
  CHECK(strstr(r.checks[PL_AUDIT_PROOFS].reason, "not signed by the given key") != NULL);
  for (size_t i = 0; i < r.n_entries; i++)
    CHECK(!r.entries[i].proven);
  CHECK_EQ(r.checks[PL_AUDIT_LEAVES].result, PL_AUDIT_HOLDS);
  pl_audit_report_destroy(&r);

  /* The page says so of every entry. */
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  const char *bad = cl_path(&h.w, "other-key.json"), *html = cl_path(&h.w, "other-key.html");
  CHECK(text != NULL && pl_write_file(bad, text) == 0);
  cJSON_free(text);
  CHECK_CLI(&h, 1, "audit", "report", bad, "--html", html, "--vkey", ENV(&h)->vkey);
  char *page = pl_read_file(html);
  CHECK(page != NULL);
  int none = strstr(page, ">included<") == NULL && strstr(page, "NOT proven") != NULL;
  free(page);
  CHECK(none);
  history_stop(&h);
}

PL_TEST(bad_key_says_so_in_every_check) {
  pl_audit_report r;
  CHECK_EQ(pl_audit_verify("{}", 2, "not a key", &r), PL_EINVAL);
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++) {
    CHECK_EQ(r.checks[i].result, PL_AUDIT_SKIPPED);
    CHECK(strstr(r.checks[i].reason, "verifier key") != NULL);
  }
  pl_audit_report_destroy(&r);
}

/* Sizes and indexes have one spelling, wherever they are read. */
PL_TEST(numbers_have_one_spelling) {
  uint64_t v;
  CHECK(pl_note_decimal("0", 1, &v) == 0 && v == 0);
  CHECK(pl_note_decimal("18446744073709551615", 20, &v) == 0 && v == UINT64_MAX);
  CHECK(pl_note_decimal("18446744073709551616", 20, &v) != 0);
  CHECK(pl_note_decimal("01", 2, &v) != 0);
  CHECK(pl_note_decimal("", 0, &v) != 0);
  CHECK(pl_note_decimal("+1", 2, &v) != 0);
  cJSON *n = cJSON_CreateNumber(9007199254740991.0);
  CHECK(pl_json_u64(n, &v) == 0 && v == 9007199254740991u);
  cJSON_SetNumberValue(n, 9007199254740992.0);
  CHECK(pl_json_u64(n, &v) != 0);
  cJSON_SetNumberValue(n, 1.5);
  CHECK(pl_json_u64(n, &v) != 0);
  cJSON_SetNumberValue(n, -1);
  CHECK(pl_json_u64(n, &v) != 0);
  cJSON_Delete(n);
  CHECK(pl_json_u64(NULL, &v) != 0);
  /* A proof document's decimal string is read as a checkpoint's size is. */
  CHECK(pl_crypto_init() == 0);
  pl_key *k = new_key();
  char vkey[PL_VKEY_MAX];
  CHECK(k != NULL);
  CHECK(pl_note_vkey(PL_HARNESS_ORIGIN, pl_key_public(k), vkey, sizeof(vkey)) == 0);
  pl_key_free(k);
  cJSON *doc;
  pl_verdict verdict;
  CHECK(pl_proof_doc_parse("{\"type\": \"inclusion\", \"index\": \"01\", \"tree_size\": 2, "
                           "\"leaf\": \"\", \"proof\": [], \"checkpoint\": \"\"}",
                           "the document", &doc, &verdict) == 0);
  pl_arena *a = pl_arena_new(0);
  pl_proof_facts f;
  CHECK(a != NULL);
  int rc = pl_verify_proof_doc(vkey, doc, NULL, a, &f, &verdict);
  cJSON_Delete(doc);
  pl_arena_free(a);
  CHECK_EQ(rc, PL_EINVAL);
  CHECK(strstr(verdict.message, "\"index\"") != NULL);
}

PL_TEST_MAIN(PL_CASE(bundle_holds_exactly_the_linked_leaves_and_verifies),
             PL_CASE(cli_export_and_verify), PL_CASE(tampered_leaf_byte_fails),
             PL_CASE(tampered_proof_hash_fails), PL_CASE(tampered_tlog_proof_fails),
             PL_CASE(tampered_checkpoint_fails), PL_CASE(tampered_manifest_fails),
             PL_CASE(dropped_entry_fails), PL_CASE(added_entry_fails),
             PL_CASE(swapped_cosignature_fails),
             PL_CASE(prove_writes_the_tlog_proof_the_bundle_carries),
             PL_CASE(report_renders_in_a_browser),
             PL_CASE(report_of_a_bundle_that_fails_says_so_at_the_top),
             PL_CASE(unparsed_checkpoint_leaves_the_leaves_checked),
             PL_CASE(checkpoint_of_another_key_proves_nothing),
             PL_CASE(bad_key_says_so_in_every_check),
             PL_CASE(numbers_have_one_spelling))
