/*
 * test_cli_repair.c - integration tests of the CLI's repair and warranty
 * commands against the real server: the writes (policy ... decide), the
 * queries (warranty, device-info, order-info, claim-info, station-report,
 * batch-devices), get/list of the new kinds, device and part histories with
 * their offline verification, and the EPCIS 2.0 export of a batch, a device
 * and a part, checked with GS1's epcis2.js (tests/epcis/validate.js, run
 * with node) and by its content. Every command runs as PL_CLI_BIN in a
 * subprocess, its exit status and output checked, readable and --json.
 *
 * Each case starts a server and builds the same small network through the
 * CLI alone (world()): sites W1 and RS1 with GLNs and W2 without, a battery
 * batch with a GTIN and serials, a screen batch with neither, receipts, a
 * transfer, a policy, a registered device, an extension, an order answered,
 * a part replaced from a fulfilled reservation, the order closed, a claim
 * approved, and the battery batch recalled. The case state and helpers are
 * clitest.h's.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "client.h"
#include "clitest.h"
#include "clock.h"
#include "entry.h"
#include "env.h"
#include "epcis.h"
#include "harness.h"
#include "keys.h"
#include "note.h"
#include "test.h"

#ifndef PL_NODE_BIN
#error "PL_NODE_BIN must name node, which runs the EPCIS validator"
#endif
#ifndef PL_EPCIS_VALIDATOR
#error "PL_EPCIS_VALIDATOR must name tests/epcis/validate.js"
#endif

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* "2024-05-01T12:00:00Z" of unix ms (whole seconds). */
static const char *iso(int64_t ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char buf[32];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return keep(strdup(buf));
}

/* `body` followed by its GS1 mod-10 check digit. */
static const char *gs1(const char *body) {
  size_t n = strlen(body);
  int sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (body[n - 1 - i] - '0') * (i % 2 == 0 ? 3 : 1);
  return fmt("%s%d", body, (10 - sum % 10) % 10);
}

/* A key file `name` in the case's directory, enrolled by the admin with
 * `role` at the sites given (NULL-terminated). Its path, or NULL. */
static const char *actor(const char *name, const char *role, const char *site1,
                         const char *site2) {
  const char *key = path(name);
  struct res r = cli("keygen", "--out", key);
  if (r.code != 0 || strlen(r.out) != 65)
    return NULL;
  r.out[64] = '\0';
  const char *admin = pl_harness_admin_key_path(g_h);
  if (site1 == NULL)
    r = cli("enroll", "--key", admin, "--public-key", r.out, "--role", role,
            "--name", name);
  else if (site2 == NULL)
    r = cli("enroll", "--key", admin, "--public-key", r.out, "--role", role,
            "--name", name, "--site", site1);
  else
    r = cli("enroll", "--key", admin, "--public-key", r.out, "--role", role,
            "--name", name, "--site", site1, "--site", site2);
  return r.code == 0 ? key : NULL;
}

/* ---- the network every case starts from ---- */

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

struct world {
  const char *maker, *station, *depot; /* key files */
  const char *gln_w1, *gln_rs1, *gtin; /* GTIN-14 as the ledger stores it */
  int64_t purchased, reported;
  long long idx_registered, idx_replaced, idx_recalled, idx_closed;
};

/* The index a write printed with --json, or -1 (after saying why). */
static long long index_of(struct res r, const char *what) {
  cJSON *o = r.code == 0 ? json(r.out) : NULL;
  if (o == NULL || !cJSON_IsNumber(item(o, "index"))) {
    fprintf(stderr, "%s failed (%d): %s%s\n", what, r.code, r.out, r.err);
    return -1;
  }
  return (long long)num(o, "index");
}

/* Runs a write and fails the case when it does not print an index. */
#define WRITE(w, what, ...)                                                    \
  do {                                                                         \
    if (index_of(cli("--json", __VA_ARGS__), what) < 0) {                      \
      pl_test_failed = 1;                                                      \
      return -1;                                                               \
    }                                                                          \
  } while (0)

static int world(struct world *w) {
  memset(w, 0, sizeof(*w));
  if (start() == NULL)
    return -1;
  const char *admin = pl_harness_admin_key_path(g_h);
  w->gln_w1 = gs1("400000100000");
  w->gln_rs1 = gs1("400000100001");
  const char *gtin13 = gs1("401234500001");
  w->gtin = fmt("0%s", gtin13);
  w->maker = actor("maker.key", "manufacturer", NULL, NULL);
  w->station = actor("station.key", "repair_station", "RS1", NULL);
  w->depot = actor("depot.key", "warehouse", "W1", "W2");
  if (w->maker == NULL || w->station == NULL || w->depot == NULL)
    return -1;
  WRITE(w, "site W1", "site", "--key", admin, "--id", "W1", "--kind",
        "warehouse", "--name", "Depot Berlin", "--lat", "52.52", "--lon",
        "13.405", "--gln", w->gln_w1);
  WRITE(w, "site W2", "site", "--key", admin, "--id", "W2", "--kind",
        "central_warehouse", "--name", "Hub", "--lat", "48.1", "--lon", "11.5");
  WRITE(w, "site RS1", "site", "--key", admin, "--id", "RS1", "--kind",
        "repair_station", "--name", "Station 1", "--lat", "52.4", "--lon",
        "13.3", "--gln", w->gln_rs1);
  WRITE(w, "supplier", "supplier", "--key", admin, "--id", "SUP", "--name",
        "Cells Inc", "--certified");
  WRITE(w, "battery batch", "batch", "--key", w->maker, "--id", "BAT1",
        "--supplier", "SUP", "--sku", "SKU-BAT", "--class", "original",
        "--quantity", "5", "--gtin", gtin13, "--warranty-months", "12",
        "--serial", "P1", "--serial", "P2", "--serial", "P3", "--serial", "P4",
        "--serial", "P5");
  WRITE(w, "screen batch", "batch", "--key", w->maker, "--id", "SCR1",
        "--supplier", "SUP", "--sku", "SKU-SCR", "--class", "original",
        "--quantity", "10");
  WRITE(w, "receive", "receive", "--key", w->depot, "--site", "W1", "--batch",
        "BAT1", "--quantity", "5", "--reference", "DN-1");
  WRITE(w, "transfer", "transfer", "--key", w->depot, "--from", "W1", "--to",
        "RS1", "--batch", "BAT1", "--quantity", "2");
  WRITE(w, "policy", "policy", "--key", w->maker, "--id", "POL", "--model",
        "X1", "--window-days", "0", "--term", "battery:24:1000:cycles",
        "--term", "screen:12", "--max-extension-months", "12");
  w->purchased = pl_now_ms() - 10 * DAY_MS;
  long long i =
      index_of(cli("--json", "device", "--key", w->maker, "--serial", "D1",
                   "--model", "X1", "--policy", "POL", "--purchased-at",
                   iso(w->purchased), "--owner-ref", SHA_A, "--part",
                   "battery:P1:BAT1", "--part", "screen:S-1:SCR1"),
               "device");
  if ((w->idx_registered = i) < 0)
    return -1;
  WRITE(w, "extend", "extend", "--key", w->maker, "--device", "D1",
        "--component", "battery", "--months", "6", "--contract", "C-1");
  w->reported = pl_now_ms() - HOUR_MS;
  WRITE(w, "order", "order", "--key", w->station, "--id", "O1", "--device",
        "D1", "--site", "RS1", "--priority", "p2", "--fault", "battery drains",
        "--reported-at", fmt("%lld", (long long)w->reported), "--usage", "120");
  WRITE(w, "respond", "respond", "--key", w->station, "--order", "O1");
  WRITE(w, "reserve", "reserve", "--key", w->station, "--id", "R1", "--site",
        "RS1", "--sku", "SKU-BAT", "--quantity", "1", "--batch", "BAT1",
        "--repair-order", "O1", "--expires-in", "2h");
  WRITE(w, "fulfil", "fulfil", "--key", w->station, "--id", "R1");
  i = index_of(cli("--json", "replace", "--key", w->station, "--order", "O1",
                   "--component", "battery", "--removed", "P1", "--installed",
                   "P2", "--batch", "BAT1", "--reservation", "R1", "--evidence",
                   SHA_B),
               "replace");
  if ((w->idx_replaced = i) < 0)
    return -1;
  i = index_of(cli("--json", "close", "--key", w->station, "--order", "O1",
                   "--outcome", "fixed", "--first-visit-fix", "--acceptance",
                   SHA_C),
               "close");
  if ((w->idx_closed = i) < 0)
    return -1;
  WRITE(w, "claim", "claim", "--key", w->station, "--id", "K1", "--device",
        "D1", "--order", "O1", "--component", "battery", "--failure-at",
        iso(w->reported - HOUR_MS), "--usage", "120", "--description",
        "swollen cell");
  WRITE(w, "decide", "decide", "--key", w->maker, "--claim", "K1", "--decision",
        "approved", "--reason", "in_term");
  i = index_of(cli("--json", "recall", "--key", w->maker, "--batch", "BAT1",
                   "--reason", "cell defect"),
               "recall");
  if ((w->idx_recalled = i) < 0)
    return -1;
  return 0;
}

#define WORLD(w)                                                               \
  struct world w;                                                              \
  CHECK(world(&w) == 0)

/* Runs the EPCIS validator (epcis2.js) over a file; its exit status. */
static struct res validate(const char *file) {
  const char *argv[] = {PL_NODE_BIN, PL_EPCIS_VALIDATOR, file, NULL};
  return run_argv(argv, NULL);
}

/* ---- cases ---- */

/* Every write succeeds readable as well as --json, signed by the right
 * actor, and get/list show the new kinds by their fields. */
PL_TEST(writes_and_show) {
  WORLD(w);
  /* Readable output of a write. */
  struct res r =
      cli("extend", "--key", w.maker, "--device", "D1", "--months", "1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "index:") != NULL &&
        strstr(r.out, "duplicate:  no") != NULL);
  /* The same request id again is the same entry: a duplicate. */
  const char *rid = "000102030405060708090a0b0c0d0e0f";
  r = cli("--json", "policy", "--key", w.maker, "--id", "POL2", "--model", "X2",
          "--term", "case:6", "--request-id", rid);
  CHECK_EQ(r.code, 0);
  long long first = (long long)num(json(r.out), "index");
  r = cli("--json", "policy", "--key", w.maker, "--id", "POL2", "--model", "X2",
          "--term", "case:6", "--request-id", rid);
  CHECK_EQ(r.code, 0);
  CHECK_EQ((long long)num(json(r.out), "index"), first);
  CHECK(cJSON_IsTrue(item(json(r.out), "duplicate")));

  /* get: the full form names the fields. */
  r = cli("get", fmt("%lld", w.idx_registered));
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "kind:          device_registered") != NULL);
  CHECK(strstr(r.out, "  device:      D1") != NULL);
  CHECK(strstr(r.out, "battery:P1:BAT1,screen:S-1:SCR1") != NULL);
  r = cli("--json", "get", fmt("%lld", w.idx_replaced));
  CHECK_EQ(r.code, 0);
  cJSON *o = json(r.out);
  CHECK_STR(str(o, "kind"), "part_replaced");
  const cJSON *body = item(o, "body");
  CHECK_STR(str(body, "installed_serial"), "P2");
  CHECK_STR(str(body, "removed_serial"), "P1");
  CHECK_STR(cJSON_GetStringValue(
                cJSON_GetArrayItem(item(body, "evidence_sha256"), 0)),
            SHA_B);
  r = cli("--json", "get", fmt("%lld", w.idx_closed));
  CHECK_STR(str(item(json(r.out), "body"), "outcome"), "fixed");
  CHECK(cJSON_IsTrue(item(item(json(r.out), "body"), "first_visit_fix")));

  /* list: one line per entry, the new kinds with their fields. */
  r = cli("list", "--limit", "0");
  CHECK_EQ(r.code, 0);
  const char *want[] = {"warranty_policy_published",
                        "policy=POL",
                        "device_registered",
                        "device=D1",
                        "warranty_extended",
                        "months=6",
                        "repair_order_opened",
                        "priority=p2",
                        "repair_order_responded",
                        "part_replaced",
                        "installed=P2",
                        "repair_order_closed",
                        "outcome=fixed",
                        "claim_filed",
                        "claim=K1",
                        "claim_decided",
                        "reason=in_term"};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    if (strstr(r.out, want[i]) == NULL) {
      fprintf(stderr, "list lacks %s:\n%s", want[i], r.out);
      CHECK(0);
    }
}

/* The ledger's refusals reach the user as the server put them (exit 1),
 * command-line mistakes as usage errors (exit 2). */
PL_TEST(refusals_and_usage) {
  WORLD(w);
  /* A second order on the device, and a claim the manufacturer would
   * reject as out of term while the ledger says it is active. */
  struct res r =
      cli("order", "--key", w.station, "--id", "O2", "--device", "D1", "--site",
          "RS1", "--priority", "p1", "--reported-at", "now");
  CHECK_EQ(r.code, 0);
  r = cli("claim", "--key", w.station, "--id", "K2", "--device", "D1",
          "--order", "O2", "--component", "screen", "--failure-at",
          iso(pl_now_ms() - 60000));
  CHECK_EQ(r.code, 0);
  /* What the refusals below must leave as it is: the log's size, claim K2
   * and order O1, as the CLI prints them. */
  r = cli("--json", "checkpoint");
  CHECK_EQ(r.code, 0);
  double size = num(json(r.out), "size");
  CHECK(size > 0);
  r = cli("--json", "claim-info", "K2");
  CHECK_EQ(r.code, 0);
  CHECK_STR(str(json(r.out), "state"), "filed");
  const char *k2 = r.out;
  r = cli("--json", "order-info", "O1");
  CHECK_EQ(r.code, 0);
  CHECK_STR(str(json(r.out), "state"), "closed");
  const char *o1 = r.out;
  r = cli("decide", "--key", w.maker, "--claim", "K2", "--decision", "rejected",
          "--reason", "out_of_term");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "FAILED_PRECONDITION") != NULL);
  CHECK(strstr(r.err, "ACTIVE") != NULL || strstr(r.err, "active") != NULL);
  /* A station may not decide; an approval may not claim a rejecting reason. */
  r = cli("decide", "--key", w.station, "--claim", "K2", "--decision",
          "approved", "--reason", "in_term");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "PERMISSION_DENIED") != NULL);
  r = cli("decide", "--key", w.maker, "--claim", "K2", "--decision", "approved",
          "--reason", "human_damage");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "INVALID_ARGUMENT") != NULL);
  /* Closing twice. */
  r = cli("close", "--key", w.station, "--order", "O1", "--outcome", "fixed");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "FAILED_PRECONDITION") != NULL);
  /* None of the refusals changed anything. */
  r = cli("--json", "checkpoint");
  CHECK_EQ(num(json(r.out), "size"), size);
  r = cli("--json", "claim-info", "K2");
  CHECK_EQ(r.code, 0);
  CHECK_STR(r.out, k2);
  r = cli("--json", "order-info", "O1");
  CHECK_EQ(r.code, 0);
  CHECK_STR(r.out, o1);

  /* Usage errors name what they want. */
  r = cli("order", "--key", w.station, "--id", "O3", "--device", "D1", "--site",
          "RS1", "--priority", "p4");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "p1, p2 or p3") != NULL);
  r = cli("close", "--key", w.station, "--order", "O2", "--outcome", "mended");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "fixed, not_fixed, device_replaced or cancelled") !=
        NULL);
  r = cli("decide", "--key", w.maker, "--claim", "K2", "--decision", "rejected",
          "--reason", "because");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "unauthorized_modification") != NULL);
  r = cli("device", "--key", w.maker, "--serial", "D9", "--model", "X1",
          "--policy", "POL", "--purchased-at", "2024-02-30");
  CHECK_EQ(r.code, 2);
  r = cli("device", "--key", w.maker, "--serial", "D9", "--model", "X1",
          "--policy", "POL", "--purchased-at", "2024-02-03T10:00");
  CHECK_EQ(r.code, 2); /* a time of day without its zone */
  r = cli("device", "--key", w.maker, "--serial", "D9", "--model", "X1",
          "--policy", "POL", "--purchased-at", "now", "--part", "battery:P3");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "COMPONENT:SERIAL:BATCH") != NULL);
  r = cli("policy", "--key", w.maker, "--id", "P9", "--model", "X9", "--term",
          "battery:x");
  CHECK_EQ(r.code, 2);
  r = cli("replace", "--key", w.station, "--order", "O2", "--component",
          "battery", "--installed", "P3", "--batch", "BAT1", "--evidence",
          "abcd");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "SHA-256") != NULL);
  r = cli("order", "--key", w.station, "--id", "O3");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--device is required") != NULL);
  /* A device registered with an ISO time and an offset, in the past: its
   * purchase is that instant. */
  r = cli("--json", "device", "--key", w.maker, "--serial", "D2", "--model",
          "X1", "--policy", "POL", "--purchased-at", iso(w.purchased));
  CHECK_EQ(r.code, 0);
  r = cli("--json", "device-info", "D2");
  CHECK_EQ(r.code, 0);
  CHECK_EQ(num(json(r.out), "purchased_at_ms"),
           (double)(w.purchased / 1000 * 1000));
  /* Every command has its help. */
  const char *cmds[] = {
      "policy",     "device",         "extend",        "order",
      "respond",    "replace",        "close",         "claim",
      "decide",     "warranty",       "device-info",   "order-info",
      "claim-info", "station-report", "batch-devices", "trace"};
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    r = cli(cmds[i], "--help");
    CHECK_EQ(r.code, 0);
    CHECK(strstr(r.out, fmt("usage: partsledger %s", cmds[i])) != NULL);
  }
}

/* The queries, readable and --json. */
PL_TEST(queries) {
  WORLD(w);
  struct res r = cli("warranty", "D1", "battery");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "status:        active") != NULL);
  CHECK(strstr(r.out, "part:          P2 (batch BAT1, original)") != NULL);
  CHECK(strstr(r.out, "usage limit:   1000 cycles") != NULL);
  r = cli("--json", "warranty", "D1", "battery", "--usage", "2000");
  CHECK_EQ(r.code, 0);
  cJSON *o = json(r.out);
  CHECK_STR(str(o, "device_serial"), "D1");
  /* The device term ends at 1000 cycles; the part's own 12 months go on. */
  CHECK_STR(str(o, "status"), "active");
  CHECK_STR(str(o, "term_source"), "part");
  r = cli("--json", "warranty", "D1", "case");
  CHECK_STR(str(json(r.out), "status"), "not_covered");
  /* A moment before the purchase is judged by the same rules (rules.h: covered
   * while before the term's end), with no part in place yet: the
   * registration that put S-1 there was logged later. */
  r = cli("--json", "warranty", "D1", "screen");
  CHECK_EQ(r.code, 0);
  double screen_ends = num(json(r.out), "coverage_ends_at_ms");
  r = cli("--json", "warranty", "D1", "screen", "--at",
          iso(w.purchased - DAY_MS));
  CHECK_EQ(r.code, 0);
  o = json(r.out);
  CHECK_EQ(num(o, "at_ms"), (double)((w.purchased - DAY_MS) / 1000 * 1000));
  CHECK_STR(str(o, "status"), "active");
  CHECK_STR(str(o, "term_source"), "device");
  CHECK_STR(str(o, "part_serial"), "");
  CHECK_EQ(num(o, "coverage_ends_at_ms"), screen_ends);
  r = cli("--json", "warranty", "NOBODY", "battery");
  CHECK_STR(str(json(r.out), "status"), "not_registered");

  r = cli("device-info", "D1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "policy:        POL") != NULL);
  CHECK(strstr(r.out, "P2") != NULL && strstr(r.out, "replaced") != NULL);
  CHECK(strstr(r.out, "S-1") != NULL);
  CHECK(strstr(r.out, "+6 months, battery") != NULL);
  r = cli("--json", "device-info", "D1");
  o = json(r.out);
  CHECK_EQ(cJSON_GetArraySize(item(o, "parts")), 2);
  CHECK_STR(str(o, "owner_ref"), SHA_A);

  r = cli("order-info", "O1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "state:         closed") != NULL);
  CHECK(strstr(r.out, "respond by:") != NULL && strstr(r.out, "  met") != NULL);
  CHECK(strstr(r.out, "outcome:       fixed (first visit)") != NULL);
  CHECK(strstr(r.out, "battery: P1 -> P2 (batch BAT1, reservation R1)") !=
        NULL);
  r = cli("--json", "order-info", "O1");
  o = json(r.out);
  CHECK_STR(str(o, "response_sla"), "met");
  CHECK_STR(str(o, "resolution_sla"), "met");
  CHECK_STR(str(o, "priority"), "p2");
  /* p2: respond within 4 h, resolve within 72 h of the report. */
  CHECK_EQ(num(o, "respond_by_ms"), (double)(w.reported + 4 * HOUR_MS));
  CHECK_EQ(num(o, "resolve_by_ms"), (double)(w.reported + 72 * HOUR_MS));
  CHECK_STR(
      str(cJSON_GetArrayItem(item(o, "replacements"), 0), "installed_serial"),
      "P2");
  r = cli("order-info", "NOPE");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "NOT_FOUND") != NULL);

  r = cli("claim-info", "K1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "state:         approved") != NULL);
  CHECK(strstr(r.out, "decision:      approved, in_term") != NULL);
  r = cli("--json", "claim-info", "K1");
  CHECK_STR(str(json(r.out), "site_id"), "RS1");

  const char *from = iso(pl_now_ms() - DAY_MS), *to = iso(pl_now_ms() + DAY_MS);
  r = cli("station-report", "RS1", "--from", from, "--to", to);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "orders opened:       1") != NULL);
  CHECK(strstr(r.out, "first-visit fixes:   100.0%") != NULL);
  r = cli("--json", "station-report", "RS1", "--from", from, "--to", to);
  o = json(r.out);
  CHECK_EQ(num(o, "parts_replaced"), 1);
  CHECK_EQ(num(o, "claims_approved"), 1);
  CHECK_EQ(num(o, "first_visit_fix_rate"), 1);
  r = cli("station-report", "RS1", "--from", from);
  CHECK_EQ(r.code, 2);

  r = cli("batch-devices", "BAT1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "D1") != NULL && strstr(r.out, "P2") != NULL);
  CHECK(strstr(r.out, "P1") == NULL); /* taken out */
  r = cli("--json", "batch-devices", "BAT1", "--all");
  o = json(r.out);
  CHECK_EQ(cJSON_GetArraySize(item(o, "devices")), 1);
  const cJSON *d = cJSON_GetArrayItem(item(o, "devices"), 0);
  CHECK_STR(str(d, "device_serial"), "D1");
  CHECK_EQ(num(d, "index"), (double)w.idx_replaced);
  CHECK_EQ(num(o, "next_start"), 0);
}

/* Device and part histories, with proofs, verified offline. */
PL_TEST(trace_device_and_part_verify) {
  WORLD(w);
  struct res r = cli("trace", "device", "D1");
  CHECK_EQ(r.code, 0);
  const char *kinds[] = {"device_registered",   "warranty_extended",
                         "repair_order_opened", "repair_order_responded",
                         "part_replaced",       "repair_order_closed",
                         "claim_filed",         "claim_decided"};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    CHECK(strstr(r.out, kinds[i]) != NULL);
  r = cli("--json", "trace", "device", "D1", "--proofs");
  CHECK_EQ(r.code, 0);
  cJSON *o = json(r.out);
  CHECK_STR(str(o, "type"), "device_history");
  CHECK_EQ(cJSON_GetArraySize(item(o, "facts")), 8);
  CHECK(strstr(str(o, "checkpoint"), "partsledger.test/log") != NULL);
  CHECK(strlen(str(cJSON_GetArrayItem(item(o, "facts"), 0), "leaf")) > 0);

  const char *vk = vkey();
  CHECK(vk != NULL);
  r = cli("trace", "device", "D1", "--verify", "--vkey", vk);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "OK: all 8 facts of device D1 verify") != NULL);
  r = cli("--json", "trace", "part", "P1", "--verify", "--vkey", vk);
  CHECK_EQ(r.code, 0);
  o = json(r.out);
  CHECK(cJSON_IsTrue(item(o, "ok")));
  /* supplier, batch, its registration in D1, its removal */
  CHECK_EQ(cJSON_GetArraySize(item(o, "facts")), 4);
  r = cli("trace", "part", "P2");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "part_replaced") != NULL &&
        strstr(r.out, "device=D1") != NULL);
  /* A batch's own trace is still trace.c's, verified with its rules. */
  r = cli("trace", "batch", "BAT1", "--verify", "--vkey", vk);
  CHECK_EQ(r.code, 0);

  /* The library's check of one fact refuses a history that says what its
   * entries do not: a changed component, a changed leaf byte. */
  pl_client *pc = NULL;
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__DeviceHistoryResponse *h = NULL;
  int ok = a != NULL && pl_client_open(pl_harness_target(g_h), &pc) == 0 &&
           pl_client_device_history(pc, "D1", 1, a, &h) == 0;
  pl_client_close(pc);
  CHECK(ok);
  pl_verdict v;
  int replaced = -1;
  for (size_t i = 0; i < h->n_facts; i++) {
    CHECK_EQ(pl_verify_history_fact(vk, h->checkpoint, h->facts[i], a, &v), 0);
    if (strcmp(h->facts[i]->kind, "part_replaced") == 0)
      replaced = (int)i;
  }
  CHECK(replaced >= 0);
  Partsledger__V1__Fact *f = h->facts[replaced];
  f->component = "screen";
  CHECK_EQ(pl_verify_history_fact(vk, h->checkpoint, f, a, &v), PL_EVERIFY);
  CHECK(strstr(v.message, "component screen") != NULL);
  f->component = "battery";
  f->part_serial = "P9";
  CHECK_EQ(pl_verify_history_fact(vk, h->checkpoint, f, a, &v), PL_EVERIFY);
  f->part_serial = "P2";
  f->leaf.data[f->leaf.len / 2] ^= 1;
  CHECK_EQ(pl_verify_history_fact(vk, h->checkpoint, f, a, &v), PL_EVERIFY);
  f->leaf.len = 0;
  CHECK_EQ(pl_verify_history_fact(vk, h->checkpoint, f, a, &v), PL_EINVAL);
  pl_arena_free(a);

  /* A verifier key of the same origin but another key, well formed, does
   * not verify these facts: the command runs and reports the failure. */
  pl_key *other_key = new_key();
  CHECK(other_key != NULL);
  char other[PL_VKEY_MAX];
  int vk_rc = pl_note_vkey(pl_harness_origin(g_h), pl_key_public(other_key),
                           other, sizeof(other));
  pl_key_free(other_key);
  CHECK_EQ(vk_rc, 0);
  CHECK(strcmp(other, vk) != 0);
  r = cli("trace", "device", "D1", "--verify", "--vkey", other);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "FAILED") != NULL);
  r = cli("trace", "device", "D1", "--verify");
  CHECK_EQ(r.code, 2);
  r = cli("trace", "gizmo", "D1");
  CHECK_EQ(r.code, 2);
  r = cli("trace", "device", "D1", "--out", path("x.json"));
  CHECK_EQ(r.code, 2);
  r = cli("trace", "device", "D1", "--start", "3");
  CHECK_EQ(r.code, 2);
  r = cli("trace", "--epcis");
  CHECK_EQ(r.code, 2);
}

/* The events of a document whose "type" and, when given, "action" and
 * "bizStep" are these; the first, or NULL. */
static const cJSON *find_event(const cJSON *doc, const char *type,
                               const char *action, const char *biz_step) {
  const cJSON *ev;
  cJSON_ArrayForEach(ev, item(item(doc, "epcisBody"), "eventList")) {
    if (strcmp(str(ev, "type"), type) != 0)
      continue;
    if (action != NULL && strcmp(str(ev, "action"), action) != 0)
      continue;
    if (biz_step != NULL && strcmp(str(ev, "bizStep"), biz_step) != 0)
      continue;
    return ev;
  }
  return NULL;
}

static int has_string(const cJSON *array, const char *s) {
  const cJSON *x;
  cJSON_ArrayForEach(x, array) if (cJSON_IsString(x) &&
                                   strcmp(x->valuestring, s) == 0) return 1;
  return 0;
}

/* What every document must be: EPCIS 2.0 to epcis2.js, its header, and
 * each event's leaf index naming an entry of the event's kind. */
static int check_document(const char *file, cJSON **out) {
  struct res v = validate(file);
  if (v.code != 0) {
    fprintf(stderr, "epcis2.js rejects %s (%d):\n%s%s\n", file, v.code, v.out,
            v.err);
    return -1;
  }
  char *text = keep(pl_read_file(file));
  cJSON *doc = text != NULL ? json(text) : NULL;
  if (doc == NULL)
    return -1;
  const cJSON *ctx = item(doc, "@context");
  if (strcmp(
          cJSON_GetStringValue(cJSON_GetArrayItem(ctx, 0)),
          "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld") !=
          0 ||
      strcmp(str(cJSON_GetArrayItem(ctx, 1), "partsledger"),
             "urn:partsledger:epcis:") != 0 ||
      strcmp(str(doc, "type"), "EPCISDocument") != 0 ||
      strcmp(str(doc, "schemaVersion"), "2.0") != 0 ||
      strlen(str(doc, "creationDate")) != 24)
    return -1;
  const cJSON *ev;
  cJSON_ArrayForEach(ev, item(item(doc, "epcisBody"), "eventList")) {
    const cJSON *idx = item(ev, "partsledger:leafIndex");
    if (!cJSON_IsNumber(idx) ||
        strcmp(str(ev, "eventTimeZoneOffset"), "+00:00") != 0)
      return -1;
    struct res g =
        cli("--json", "get", fmt("%lld", (long long)idx->valuedouble));
    cJSON *e = g.code == 0 ? json(g.out) : NULL;
    if (e == NULL || strcmp(str(e, "kind"), str(ev, "partsledger:kind")) != 0 ||
        strcmp(str(e, "integrated_at"), str(ev, "eventTime")) != 0) {
      fprintf(stderr, "event of leaf %g is not what the leaf says\n",
              idx->valuedouble);
      return -1;
    }
  }
  *out = doc;
  return 0;
}

PL_TEST(epcis_batch) {
  WORLD(w);
  const char *file = path("bat1.epcis.json");
  struct res r = cli("trace", "batch", "BAT1", "--epcis", "--out", file);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "wrote ") != NULL);
  cJSON *doc;
  CHECK(check_document(file, &doc) == 0);
  const char *lot = fmt("https://id.gs1.org/01/%s/10/BAT1", w.gtin);
  const char *w1 = fmt("https://id.gs1.org/414/%s", w.gln_w1);
  const char *rs1 = fmt("https://id.gs1.org/414/%s", w.gln_rs1);

  const cJSON *ev = find_event(doc, "ObjectEvent", "ADD", "commissioning");
  CHECK(ev != NULL);
  CHECK(has_string(item(ev, "epcList"),
                   fmt("https://id.gs1.org/01/%s/21/P3", w.gtin)));
  ev = find_event(doc, "ObjectEvent", "OBSERVE", "receiving");
  CHECK(ev != NULL);
  const cJSON *q = cJSON_GetArrayItem(item(ev, "quantityList"), 0);
  CHECK_STR(str(q, "epcClass"), lot);
  CHECK_EQ(num(q, "quantity"), 5);
  CHECK_STR(str(item(ev, "bizLocation"), "id"), w1);
  ev = find_event(doc, "ObjectEvent", "OBSERVE", "shipping");
  CHECK(ev != NULL);
  CHECK_STR(str(cJSON_GetArrayItem(item(ev, "sourceList"), 0), "source"), w1);
  CHECK_STR(
      str(cJSON_GetArrayItem(item(ev, "destinationList"), 0), "destination"),
      rs1);
  CHECK_STR(str(cJSON_GetArrayItem(item(ev, "destinationList"), 0), "type"),
            "location");
  CHECK_EQ(num(cJSON_GetArrayItem(item(ev, "quantityList"), 0), "quantity"), 2);
  /* The recall. */
  const cJSON *e2;
  ev = NULL;
  cJSON_ArrayForEach(e2, item(item(doc, "epcisBody"),
                              "eventList")) if (strcmp(str(e2, "disposition"),
                                                       "recalled") == 0) ev =
      e2;
  CHECK(ev != NULL);
  CHECK_EQ(num(ev, "partsledger:leafIndex"), (double)w.idx_recalled);
  CHECK_STR(str(cJSON_GetArrayItem(item(ev, "quantityList"), 0), "epcClass"),
            lot);
  /* The registration and the replacement. */
  ev = find_event(doc, "AssociationEvent", "ADD", NULL);
  CHECK(ev != NULL);
  CHECK_STR(str(ev, "parentID"), "urn:partsledger:device:D1");
  CHECK(has_string(item(ev, "childEPCs"),
                   fmt("https://id.gs1.org/01/%s/21/P1", w.gtin)));
  CHECK(has_string(item(ev, "childEPCs"), "urn:partsledger:part:S-1"));
  ev = find_event(doc, "AssociationEvent", "DELETE", "removing");
  CHECK(ev != NULL);
  CHECK_EQ(num(ev, "partsledger:leafIndex"), (double)w.idx_replaced);
  CHECK(has_string(item(ev, "childEPCs"),
                   fmt("https://id.gs1.org/01/%s/21/P1", w.gtin)));
  CHECK_STR(str(item(ev, "bizLocation"), "id"), rs1);
  ev = find_event(doc, "AssociationEvent", "ADD", "installing");
  CHECK(ev != NULL);
  CHECK_EQ(num(ev, "partsledger:leafIndex"), (double)w.idx_replaced);
  CHECK(has_string(item(ev, "childEPCs"),
                   fmt("https://id.gs1.org/01/%s/21/P2", w.gtin)));

  /* An existing file is kept unless --force. */
  r = cli("trace", "batch", "BAT1", "--epcis", "--out", file);
  CHECK_EQ(r.code, 2);
  r = cli("--json", "trace", "BAT1", "--epcis", "--out", file, "--force");
  CHECK_EQ(r.code, 0);
  CHECK_EQ(num(json(r.out), "events"), 7);
}

PL_TEST(epcis_device) {
  WORLD(w);
  /* To stdout this time. */
  struct res r = cli("trace", "device", "D1", "--epcis");
  CHECK_EQ(r.code, 0);
  const char *file = path("d1.epcis.json");
  CHECK(pl_write_file(file, r.out) == 0);
  cJSON *doc;
  CHECK(check_document(file, &doc) == 0);
  /* Orders, claims and extensions have no event; the registration and
   * both sides of the replacement do. */
  CHECK_EQ(cJSON_GetArraySize(item(item(doc, "epcisBody"), "eventList")), 3);
  const cJSON *ev = find_event(doc, "AssociationEvent", "ADD", NULL);
  CHECK(ev != NULL);
  CHECK_EQ(num(ev, "partsledger:leafIndex"), (double)w.idx_registered);
  CHECK_EQ(cJSON_GetArraySize(item(ev, "childEPCs")), 2);
  ev = find_event(doc, "AssociationEvent", "DELETE", "removing");
  CHECK(ev != NULL);
  /* The removed part's batch comes from the registration in the same
   * history: its GTIN names it. */
  CHECK(has_string(item(ev, "childEPCs"),
                   fmt("https://id.gs1.org/01/%s/21/P1", w.gtin)));
  CHECK_STR(str(item(ev, "bizLocation"), "id"),
            fmt("https://id.gs1.org/414/%s", w.gln_rs1));
}

PL_TEST(epcis_part) {
  WORLD(w);
  const char *file = path("p1.epcis.json");
  struct res r = cli("trace", "part", "P1", "--epcis", "--out", file);
  CHECK_EQ(r.code, 0);
  cJSON *doc;
  CHECK(check_document(file, &doc) == 0);
  /* Its batch's registration, the device's registration, the replacement
   * that took it out (and put P2 in). */
  CHECK(find_event(doc, "ObjectEvent", "ADD", "commissioning") != NULL);
  CHECK(find_event(doc, "AssociationEvent", "ADD", NULL) != NULL);
  const cJSON *ev = find_event(doc, "AssociationEvent", "DELETE", "removing");
  CHECK(ev != NULL);
  CHECK_STR(str(ev, "parentID"), "urn:partsledger:device:D1");
  CHECK(has_string(item(ev, "childEPCs"),
                   fmt("https://id.gs1.org/01/%s/21/P1", w.gtin)));

  /* The validator is no rubber stamp: a document it must refuse. */
  cJSON *bad = cJSON_Duplicate(doc, 1);
  keep_json(bad);
  cJSON *first =
      cJSON_GetArrayItem(item(item(bad, "epcisBody"), "eventList"), 0);
  cJSON_ReplaceItemInObjectCaseSensitive(first, "action",
                                         cJSON_CreateString("MOVE"));
  const char *bad_file = path("bad.epcis.json");
  char *text = keep(cJSON_Print(bad));
  CHECK(pl_write_file(bad_file, text) == 0);
  r = validate(bad_file);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "action") != NULL);
  /* An event field outside any declared namespace is refused too. */
  cJSON_DeleteItemFromObjectCaseSensitive(first, "action");
  cJSON_AddStringToObject(first, "action", "ADD");
  cJSON_AddStringToObject(first, "acme:color", "red");
  text = keep(cJSON_Print(bad));
  CHECK(pl_write_file(bad_file, text) == 0);
  r = validate(bad_file);
  CHECK_EQ(r.code, 1);
}

/* ---- the EPCIS builder itself, without a server ---- */

/* A fact at `index` whose leaf holds `e`, signed by `k`, logged at `at`. */
static Partsledger__V1__Fact *leaf_fact(pl_arena *a, const pl_key *k,
                                        Partsledger__V1__Entry *e,
                                        uint64_t index, int64_t at) {
  Partsledger__V1__SignedEntry *se;
  if (e == NULL || pl_entry_build(k, e, a, &se) != 0)
    return NULL;
  Partsledger__V1__Leaf leaf = PARTSLEDGER__V1__LEAF__INIT;
  leaf.index = index;
  leaf.integrated_at_ms = at;
  leaf.signed_entry = se;
  Partsledger__V1__Fact *f = pl_arena_alloc(a, sizeof(*f));
  size_t n = partsledger__v1__leaf__get_packed_size(&leaf);
  uint8_t *buf = pl_arena_alloc(a, n);
  if (f == NULL || buf == NULL)
    return NULL;
  partsledger__v1__leaf__pack(&leaf, buf);
  partsledger__v1__fact__init(f);
  f->index = index;
  f->kind = (char *)pl_kind_name(e->body_case);
  f->leaf.data = buf;
  f->leaf.len = n;
  return f;
}

PL_TEST(epcis_library) {
  CHECK(pl_crypto_init() == 0);
  pl_arena *a = pl_arena_new(0);
  pl_key *k = NULL;
  uint8_t seed[32] = {1};
  CHECK(a != NULL && pl_key_from_seed(seed, &k) == 0);
  int64_t t0 = 1714564800123LL; /* 2024-05-01T12:00:00.123Z */
  Partsledger__V1__Entry *e;
  Partsledger__V1__Fact *facts[4];
  /* A registration: one part whose serial GS1 cannot carry (21
   * characters), one with a '/' (percent-encoded), one of a batch with no
   * GTIN. */
  Partsledger__V1__InstalledPart parts[3];
  const char *serials[3] = {"ABCDEFGHIJKLMNOPQRSTU", "A/1", "Z9"};
  const char *batches[3] = {"B1", "B1", "B2"};
  for (int i = 0; i < 3; i++) {
    partsledger__v1__installed_part__init(&parts[i]);
    parts[i].component = (char *)(i == 0   ? "battery"
                                  : i == 1 ? "screen"
                                           : "case");
    parts[i].part_serial = (char *)serials[i];
    parts[i].batch_id = (char *)batches[i];
  }
  CHECK(pl_build_device_registered(a, "dev 1", "X1", "POL", t0, NULL, 0, parts,
                                   3, &e) == 0);
  facts[0] = leaf_fact(a, k, e, 7, t0);
  /* A replacement in an order this history does not name the device of. */
  CHECK(pl_build_part_replaced(a, "O1", "screen", "A/1", "A2", "B1", "", NULL,
                               0, &e) == 0);
  facts[1] = leaf_fact(a, k, e, 9, t0 + 1000);
  CHECK(facts[0] != NULL && facts[1] != NULL);
  facts[2] = facts[0]; /* the same leaf twice: its events once */

  pl_epcis_name gtins[] = {{"B1", "04012345000016"}, {"B2", ""}};
  pl_epcis_name glns[] = {{"RS1", "4000001000012"}};
  pl_epcis_order orders[] = {{"O1", "dev 1", "RS1"}};
  pl_epcis_input in;
  memset(&in, 0, sizeof(in));
  in.created_at_ms = t0;
  in.gtins = gtins;
  in.n_gtins = 2;
  in.glns = glns;
  in.n_glns = 1;
  /* Without the order, a replacement has no device to name. */
  cJSON *doc;
  size_t n;
  CHECK_EQ(pl_epcis_document(facts, 3, &in, a, &doc, &n), PL_ENOTFOUND);
  in.orders = orders;
  in.n_orders = 1;
  CHECK_EQ(pl_epcis_document(facts, 3, &in, a, &doc, &n), 0);
  keep_json(doc);
  CHECK_EQ(n, 3);
  CHECK_STR(str(doc, "creationDate"), "2024-05-01T12:00:00.123Z");
  const cJSON *list = item(item(doc, "epcisBody"), "eventList");
  const cJSON *reg = cJSON_GetArrayItem(list, 0);
  CHECK_STR(str(reg, "parentID"), "urn:partsledger:device:dev%201");
  CHECK_STR(str(reg, "eventTime"), "2024-05-01T12:00:00.123Z");
  CHECK_EQ(num(reg, "partsledger:leafIndex"), 7);
  const cJSON *kids = item(reg, "childEPCs");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(kids, 0)),
            "urn:partsledger:part:ABCDEFGHIJKLMNOPQRSTU");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(kids, 1)),
            "https://id.gs1.org/01/04012345000016/21/A%2F1");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(kids, 2)),
            "urn:partsledger:part:Z9");
  const cJSON *del = cJSON_GetArrayItem(list, 1);
  CHECK_STR(str(del, "action"), "DELETE");
  CHECK_STR(str(item(del, "bizLocation"), "id"),
            "https://id.gs1.org/414/4000001000012");
  /* The removed part's batch, from the registration before it. */
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(item(del, "childEPCs"), 0)),
            "https://id.gs1.org/01/04012345000016/21/A%2F1");
  CHECK_STR(str(cJSON_GetArrayItem(list, 2), "action"), "ADD");

  /* What the facts name, for the caller to look up. */
  pl_epcis_refs refs;
  CHECK_EQ(pl_epcis_refs_of(facts, 2, NULL, a, &refs), 0);
  CHECK_EQ(refs.n_batches, 2);
  CHECK_EQ(refs.n_orders, 1);
  CHECK_STR(refs.orders[0], "O1");

  /* A fact without its leaf cannot be an event. */
  Partsledger__V1__Fact bare = PARTSLEDGER__V1__FACT__INIT;
  facts[3] = &bare;
  CHECK_EQ(pl_epcis_document(facts, 4, &in, a, &doc, &n), PL_EINVAL);
  pl_key_free(k);
  pl_arena_free(a);
}

/* A write sent again with its --request-id is the same entry, so it names
 * its times: the same command twice returns the same index, and one that
 * would take the clock (a default of now, "now", --expires-in) is refused
 * before anything is sent. */
PL_TEST(retry_with_request_id) {
  WORLD(w);
  const char *at = iso(pl_now_ms() - HOUR_MS);
  const char *rid_order = "101102030405060708090a0b0c0d0e0f";
  const char *rid_respond = "201102030405060708090a0b0c0d0e0f";
  const char *rid_close = "301102030405060708090a0b0c0d0e0f";
  long long first = -1;
  for (int i = 0; i < 2; i++) {
    struct res r = cli("--json", "order", "--key", w.station, "--id", "O2",
                       "--device", "D1", "--site", "RS1", "--priority", "p3",
                       "--fault", "drains overnight", "--reported-at", at,
                       "--request-id", rid_order);
    CHECK_EQ(r.code, 0);
    long long idx = (long long)num(json(r.out), "index");
    if (i == 0)
      first = idx;
    CHECK_EQ(idx, first);
    CHECK(cJSON_IsTrue(item(json(r.out), "duplicate")) == (i == 1));
  }
  /* The one-line form quotes text with spaces, as every family's does. */
  struct res l = cli("list", "--limit", "0");
  CHECK(strstr(l.out, "  fault=\"drains overnight\"") != NULL);
  CHECK(strstr(l.out, "  fault=\"battery drains\"") != NULL);
  /* Without the time, or with "now": refused, exit 2, nothing sent. */
  struct res r = cli("order", "--key", w.station, "--id", "O3", "--device",
                     "D1", "--site", "RS1", "--priority", "p3",
                     "--request-id", rid_order);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--reported-at") != NULL);
  r = cli("respond", "--key", w.station, "--order", "O2", "--request-id",
          rid_respond);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "give --at TIME") != NULL);
  r = cli("respond", "--key", w.station, "--order", "O2", "--at", "now",
          "--request-id", rid_respond);
  CHECK_EQ(r.code, 2);
  r = cli("close", "--key", w.station, "--order", "O2", "--outcome", "fixed",
          "--request-id", rid_close);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--resolved-at") != NULL);
  r = cli("reserve", "--key", w.station, "--id", "R9", "--site", "RS1",
          "--sku", "SKU-BAT", "--quantity", "1", "--expires-in", "2h",
          "--request-id", rid_close);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--expires-at") != NULL);
  r = cli("order-info", "O3");
  CHECK_EQ(r.code, 1); /* never sent */
  /* With the times given: retries are duplicates. */
  const char *later = iso(pl_now_ms() - HOUR_MS / 2);
  for (int i = 0; i < 2; i++) {
    r = cli("--json", "respond", "--key", w.station, "--order", "O2", "--at",
            later, "--request-id", rid_respond);
    CHECK_EQ(r.code, 0);
    CHECK(cJSON_IsTrue(item(json(r.out), "duplicate")) == (i == 1));
    r = cli("--json", "close", "--key", w.station, "--order", "O2",
            "--outcome", "fixed", "--resolved-at", later, "--request-id",
            rid_close);
    CHECK_EQ(r.code, 0);
    CHECK(cJSON_IsTrue(item(json(r.out), "duplicate")) == (i == 1));
  }
  /* The same for an inventory write, whose time may be ISO 8601 too. */
  const char *rid_batch = "401102030405060708090a0b0c0d0e0f";
  for (int i = 0; i < 2; i++) {
    r = cli("--json", "batch", "--key", w.maker, "--id", "BAT9", "--supplier",
            "SUP", "--sku", "SKU-BAT", "--class", "original", "--quantity", "3",
            "--produced-at", "2024-05-01T12:00:00Z", "--request-id", rid_batch);
    CHECK_EQ(r.code, 0);
    CHECK(cJSON_IsTrue(item(json(r.out), "duplicate")) == (i == 1));
  }
  r = cli("--json", "batch-info", "BAT9");
  CHECK_EQ(r.code, 0);
  CHECK_EQ(num(json(r.out), "produced_at_ms"), 1714564800000.0);
}

/* An audit bundle read from stdin ("-") is read once: `audit report`
 * without a key takes the bundle's own from the same text it checks. */
PL_TEST(audit_report_from_stdin) {
  WORLD(w);
  (void)w;
  const char *bundle = path("k1.json");
  struct res r = cli("audit", "export", "K1", "--out", bundle);
  CHECK_EQ(r.code, 0);
  char *text = keep(pl_read_file(bundle));
  CHECK(text != NULL);
  const char *html = path("k1.html");
  r = cli_in(text, "audit", "report", "-", "--html", html, (const char *)NULL);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "holds against its own key") != NULL);
  char *page = keep(pl_read_file(html));
  CHECK(page != NULL && strstr(page, "K1") != NULL);
  /* With the log's key, from stdin too. */
  r = cli_in(text, "--json", "audit", "report", "-", "--html", html, "--force",
             "--vkey", vkey(), (const char *)NULL);
  CHECK_EQ(r.code, 0);
  CHECK(cJSON_IsTrue(item(json(r.out), "ok")));
  CHECK(cJSON_IsFalse(item(json(r.out), "own_key")));
  r = cli_in(text, "audit", "verify", "-", "--vkey", vkey(),
             (const char *)NULL);
  CHECK_EQ(r.code, 0);
}

/* A history's options are refused where they mean nothing, and its
 * verification reads as a batch's: per fact, and with --json one report
 * even when the checkpoint itself does not hold. */
PL_TEST(trace_options_and_verify_report) {
  WORLD(w);
  (void)w;
  struct res r = cli("trace", "device", "D1", "--all");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--all") != NULL);
  r = cli("trace", "part", "P1", "--all", "--proofs");
  CHECK_EQ(r.code, 2);
  r = cli("trace", "--supplier", "SUP", "--proofs");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--proofs") != NULL);
  r = cli("trace", "--supplier", "SUP");
  CHECK_EQ(r.code, 0);

  const char *vk = vkey();
  CHECK(vk != NULL);
  r = cli("trace", "device", "D1", "--verify", "--vkey", vk);
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, "OK     entry ", 13) == 0);
  r = cli("--json", "trace", "part", "P1", "--verify", "--vkey", vk);
  CHECK_EQ(r.code, 0);
  cJSON *o = json(r.out);
  CHECK(cJSON_IsTrue(item(o, "ok")));
  CHECK_STR(str(o, "subject"), "part");
  CHECK_STR(str(o, "part_serial"), "P1");
  CHECK(strlen(str(o, "origin")) > 0);
  /* Another log's key: the checkpoint fails, and JSON still says so. */
  pl_key *k;
  uint8_t seed[PL_SEED_BYTES] = {9};
  char other[PL_VKEY_MAX];
  CHECK(pl_crypto_init() == 0 && pl_key_from_seed(seed, &k) == 0);
  int vrc = pl_note_vkey(pl_harness_origin(g_h), pl_key_public(k), other,
                         sizeof(other));
  pl_key_free(k);
  CHECK(vrc == 0);
  r = cli("--json", "trace", "device", "D1", "--verify", "--vkey", other);
  CHECK_EQ(r.code, 1);
  o = json(r.out);
  CHECK(o != NULL);
  CHECK(cJSON_IsFalse(item(o, "ok")));
  CHECK_STR(str(o, "device_serial"), "D1");
  CHECK(strlen(str(o, "reason")) > 0);
  CHECK(strstr(r.err, "FAILED: ") != NULL);
  r = cli("--json", "trace", "BAT1", "--verify", "--vkey", other);
  CHECK_EQ(r.code, 1);
  CHECK(cJSON_IsFalse(item(json(r.out), "ok")));
  CHECK_STR(str(json(r.out), "batch_id"), "BAT1");

  /* A file that is not a saved trace is named as such. */
  r = cli("trace", "--verify", "--vkey", vk, "--file",
          file("x.json", "[1, 2]"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, fmt("%s is not a saved batch trace", path("x.json"))) !=
        NULL);
  r = cli("trace", "--verify", "--vkey", vk, "--file",
          file("y.json", "{\"type\": \"batch_trace\", \"type\": 1}"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, path("y.json")) != NULL);
}

/* A policy may have no terms (its synopsis says [--term ...]): a model
 * sold without a warranty, whose devices are still registered, so that a
 * recall finds them. */
PL_TEST(policy_without_terms) {
  WORLD(w);
  struct res r = cli("policy", "--key", w.maker, "--id", "POL0", "--model",
                     "X0");
  CHECK_EQ(r.code, 0);
  r = cli("device", "--key", w.maker, "--serial", "D0", "--model", "X0",
          "--policy", "POL0", "--purchased-at", iso(w.purchased), "--part",
          "battery:P4:BAT1");
  CHECK_EQ(r.code, 0);
  r = cli("--json", "warranty", "D0", "battery");
  CHECK_EQ(r.code, 0);
  CHECK_STR(str(json(r.out), "status"), "not_covered");
  r = cli("batch-devices", "BAT1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "D0") != NULL && strstr(r.out, "P4") != NULL);
  r = cli("policy", "--help");
  CHECK(strstr(r.out, "[--term COMPONENT") != NULL);
}

PL_TEST_MAIN(PL_CASE(writes_and_show), PL_CASE(refusals_and_usage),
             PL_CASE(queries), PL_CASE(trace_device_and_part_verify),
             PL_CASE(epcis_batch), PL_CASE(epcis_device), PL_CASE(epcis_part),
             PL_CASE(epcis_library),
             PL_CASE(retry_with_request_id), PL_CASE(audit_report_from_stdin),
             PL_CASE(trace_options_and_verify_report),
             PL_CASE(policy_without_terms))
