/*
 * test_bench.c - partsledger-bench (PL_BENCH_BIN) against a real server:
 * the verify-only limit phase, the write phases' ratio to it, and the
 * writer's commits and page writes; and tiny runs of the inventory and
 * repair phases (a few hundred entries, 1 s phases), whose every check must
 * pass and whose ratios must be there. Runs are short: these cases check
 * that the figures exist and agree with each other, never what they are.
 * The case state and helpers are clitest.h's.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clitest.h"
#include "harness.h"
#include "test.h"

#ifndef PL_BENCH_BIN
#error "PL_BENCH_BIN must name the partsledger-bench binary"
#endif

/* Runs the bench against the case's server, short phases, with `pid` as
 * --server-pid and `phases`, plus `extra` arguments (NULL-terminated, may be
 * NULL); returns the parsed JSON, or NULL when it failed or printed none. */
static cJSON *bench_run(long pid, const char *phases, const char *const *extra, int *code);

static cJSON *bench(long pid, const char *phases, const char *const *extra) {
  int code;
  cJSON *j = bench_run(pid, phases, extra, &code);
  return code == 0 ? j : NULL;
}

/* As bench(), whatever the exit status (in *code); the JSON, or NULL when
 * it printed none. */
static cJSON *bench_run(long pid, const char *phases, const char *const *extra, int *code) {
  char pidarg[24];
  snprintf(pidarg, sizeof(pidarg), "%ld", pid);
  const char *argv[64] = {PL_BENCH_BIN, "--server", pl_harness_target(g_h), "--admin-key",
                          pl_harness_admin_key_path(g_h), "--server-pid", pidarg,
                          "--phases", phases, "--duration", "0.5", "--inflight", "8",
                          "--batch", "20", "--batch-inflight", "2", "--json"};
  size_t n = 18;
  for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  char *out = NULL, *err = NULL;
  *code = pl_run(argv, NULL, 100000, &out, &err);
  keep(out);
  keep(err);
  return out != NULL ? json(out) : NULL;
}

/* |a - b| < eps */
static int near(double a, double b, double eps) { return a - b < eps && b - a < eps; }

/* A ratio as printed (3 decimals) agrees with the rates it was taken of,
 * which are printed whole: the rounding of each rate moves the quotient by
 * up to half a unit in it, a lot for the slow rates of a loaded machine. */
static int ratio_agrees(double ratio, double rate, double ref) {
  double q = rate / ref;
  return near(ratio, q, 0.0006 + q * (0.5 / rate + 0.5 / ref));
}

/* The server_threads row named `name`, or NULL. */
static const cJSON *thread_row(const cJSON *phase, const char *name) {
  const cJSON *row;
  cJSON_ArrayForEach(row, item(phase, "server_threads")) {
    if (strcmp(str(row, "name"), name) == 0)
      return row;
  }
  return NULL;
}

/* The log's size as the server says now; -1 when it cannot be asked. */
static double log_size(void) {
  pl_client *c = NULL;
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__GetCheckpointResponse *r = NULL;
  double size = -1;
  if (a != NULL && pl_client_open(pl_harness_target(g_h), &c) == 0 &&
      pl_client_get_checkpoint(c, a, &r) == 0)
    size = (double)r->size;
  pl_client_close(c);
  pl_arena_free(a);
  return size;
}

/* Each write phase against the limit of its method, and its writer's
 * figures: they must be there, and agree with the phase's own counts. */
PL_TEST(write_phases_against_the_limit) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)pl_harness_pid(g_h), "limit,append,batch", NULL);
  CHECK(o != NULL);
  const cJSON *phases = item(o, "phases"), *limit = item(phases, "limit");
  CHECK(limit != NULL);
  CHECK_EQ(num(limit, "errors"), 0);
  CHECK(num(limit, "port") > 0);
  static const char *const names[] = {"append", "batch"};
  for (size_t i = 0; i < 2; i++) {
    const cJSON *lim = item(limit, names[i]), *ph = item(phases, names[i]);
    CHECK(lim != NULL && ph != NULL);
    CHECK_EQ(num(lim, "errors"), 0);
    CHECK(num(lim, "items") > 0 && num(lim, "rate") > 0);
    /* The limit's own threads, as partsledgerd has them: one poller and
     * as many workers as the option says (CPUs by default). */
    const cJSON *workers = thread_row(lim, "lim-worker"), *poller = thread_row(lim, "lim-poller");
    CHECK(workers != NULL && poller != NULL);
    CHECK_EQ(num(workers, "threads"), num(o, "limit_workers"));
    CHECK_EQ(num(poller, "threads"), 1);
    /* Not > 0: a short phase on a loaded machine can cost the limit less
     * than the one clock tick /proc counts in. */
    CHECK(num(lim, "server_cpu") >= 0);

    CHECK_EQ(num(ph, "errors"), 0);
    CHECK_EQ(num(ph, "limit_rate"), num(lim, "rate"));
    CHECK(ratio_agrees(num(ph, "limit_ratio"), num(ph, "rate"), num(lim, "rate")));
    /* Every commit names a new tree size: at least one, at most one per
     * entry, and for unary calls at most one per call. */
    double commits = num(ph, "commits"), items = num(ph, "items");
    CHECK(commits >= 1 && commits <= items);
    CHECK(near(num(ph, "entries_per_commit"), items / commits, 0.01));
    const cJSON *io = item(ph, "writer_io");
    CHECK(cJSON_IsTrue(item(io, "readable")));
    CHECK(num(io, "wchar") > 0 && num(io, "syscw") >= commits);
    CHECK(near(num(io, "pages_per_entry"), num(io, "wchar") / 4096 / items, 0.001));
    CHECK(near(num(io, "write_calls_per_commit"), num(io, "syscw") / commits, 0.01));
  }
}

/* The limit phase alone never calls the server (nothing is appended to
 * it), and measures both methods. */
PL_TEST(limit_leaves_the_server_alone) {
  CHECK(start() != NULL);
  double before = log_size();
  CHECK(before >= 1);
  static const char *const one_worker[] = {"--limit-workers", "1", NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "limit", one_worker);
  CHECK(o != NULL);
  const cJSON *limit = item(item(o, "phases"), "limit");
  CHECK(limit != NULL && item(item(o, "phases"), "append") == NULL);
  CHECK_EQ(num(limit, "errors"), 0);
  CHECK_EQ(num(limit, "workers"), 1);
  CHECK(num(item(limit, "append"), "rate") > 0 && num(item(limit, "batch"), "rate") > 0);
  CHECK_EQ(num(thread_row(item(limit, "batch"), "lim-worker"), "threads"), 1);
  CHECK_EQ(log_size(), before);
}

/* A process without a writer thread to read: the figures it cannot have
 * are said to be missing, and the run still succeeds. */
PL_TEST(writer_io_missing_is_reported) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)getpid(), "append", NULL);
  CHECK(o != NULL);
  const cJSON *ph = item(item(o, "phases"), "append");
  CHECK_EQ(num(ph, "errors"), 0);
  CHECK(num(ph, "commits") >= 1);
  CHECK(item(ph, "limit_ratio") == NULL); /* no limit phase ran */
  const cJSON *io = item(ph, "writer_io");
  CHECK(cJSON_IsFalse(item(io, "readable")));
  CHECK(strstr(str(io, "why"), "no thread named pl-writer") != NULL);
}

/* The inventory and repair phases' tiny data set: 40 sites with 5 rows
 * each, 20 SKUs, 2 trace batches of 20 transfers; 1,100 devices (two pages
 * of BatchDevices), 4 with histories; at most 400 entries signed for each
 * run of reserve and mixed. */
#define TINY "--duration", "1", "--sites", "40", "--skus", "20", "--stock-rows", "200", \
             "--trace-batches", "2", "--trace-facts", "20", "--devices", "1100",         \
             "--history-devices", "4", "--max-pool", "400"

/* `key` of a phase is `rate` / `key`_rate, to the report's rounding. */
static int ratio_ok(const cJSON *ph, const char *key) {
  char rate[48], ratio[48];
  snprintf(rate, sizeof(rate), "%s_rate", key);
  snprintf(ratio, sizeof(ratio), "%s_ratio", key);
  return num(ph, rate) > 0 && ratio_agrees(num(ph, ratio), num(ph, "rate"), num(ph, rate));
}

/* The inventory group: the data set loaded through the API and compared
 * with the verify-only limit; StockNear and TraceBatch against the
 * do-nothing server (and Redis when it is installed); reservations that
 * never exceed the stock. */
PL_TEST(inventory_phases_run_clean) {
  CHECK(start() != NULL);
  double before = log_size();
  static const char *const extra[] = {TINY, NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "inventory", extra);
  CHECK(o != NULL);
  const cJSON *phases = item(o, "phases");
  static const char *const names[] = {"limit", "append", "inventory-load", "near", "trace",
                                      "reserve"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    CHECK(item(phases, names[i]) != NULL);
    CHECK_EQ(num(item(phases, names[i]), "errors"), 0);
  }
  CHECK(item(phases, "batch") == NULL && item(phases, "get") == NULL);

  const cJSON *load = item(phases, "inventory-load");
  CHECK_EQ(num(load, "sites"), 40);
  CHECK_EQ(num(load, "skus"), 20);
  CHECK_EQ(num(load, "transfers"), 40);
  CHECK(num(load, "receipts") >= 100 && num(load, "receipts") <= 200);
  CHECK_EQ(num(load, "items"), num(load, "entries"));
  CHECK_EQ(num(load, "size_after"), num(load, "size_before") + num(load, "items"));
  CHECK(ratio_ok(load, "limit"));
  CHECK_EQ(num(load, "limit_rate"), num(item(item(phases, "limit"), "batch"), "rate"));

  const cJSON *nr = item(phases, "near"), *nl = item(nr, "limit"), *rd = item(nr, "redis");
  CHECK(num(nr, "items") > 0 && num(nr, "checked") > 0);
  CHECK(num(nr, "reply_bytes") > 0 && num(nr, "limit_reply_bytes") > 0);
  CHECK(cJSON_IsTrue(item(nl, "ran")) && num(nl, "errors") == 0 && num(nl, "rate") > 0);
  CHECK(ratio_ok(nr, "limit"));
  CHECK(num(nr, "limit_p99_ms") > 0);
  /* Redis is compared with when it is installed, and said to be missing
   * when it is not. */
  CHECK_EQ(num(rd, "errors"), 0);
  if (cJSON_IsTrue(item(rd, "ran")))
    CHECK(num(rd, "rate") > 0 && num(rd, "keys") >= 1 && ratio_ok(nr, "redis"));
  else
    CHECK(strstr(str(rd, "note"), "not installed") != NULL && item(nr, "redis_ratio") == NULL);

  const cJSON *tr = item(phases, "trace"), *tl = item(tr, "limit"), *tp = item(tr, "with_proofs");
  CHECK_EQ(num(tr, "facts"), 20);
  CHECK(num(tr, "items") > 0 && ratio_ok(tr, "limit"));
  CHECK(cJSON_IsTrue(item(tl, "ran")) && num(tl, "errors") == 0);
  CHECK(cJSON_IsTrue(item(tp, "ran")) && num(tp, "errors") == 0 && num(tp, "items") > 0);
  CHECK(num(tp, "checked") > 0); /* proofs verified against the checkpoint */
  CHECK(num(tp, "reply_bytes") > num(tr, "reply_bytes"));

  const cJSON *rs = item(phases, "reserve");
  CHECK(num(rs, "items") > 0 && num(rs, "commits") >= 1);
  CHECK(num(rs, "reserved") >= num(rs, "items"));
  CHECK_EQ(num(rs, "reserved"), num(rs, "reservations_logged"));
  CHECK(num(rs, "reserved") <= num(rs, "on_hand"));
  CHECK_EQ(num(rs, "clients"), 32);
  CHECK(ratio_ok(rs, "append"));
  CHECK(log_size() >= before + num(load, "items") + num(rs, "items"));
}

/* The repair group: warranty status, histories and a batch's devices
 * against GetEntry; chains of dependent writes against unary Append; audit
 * bundles verified in depth, and the offline verifier timed when the CLI
 * has one. */
PL_TEST(repair_phases_run_clean) {
  CHECK(start() != NULL);
  static const char *const extra[] = {TINY, NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "repair", extra);
  CHECK(o != NULL);
  const cJSON *phases = item(o, "phases");
  static const char *const names[] = {"append", "get", "warranty", "mixed", "audit"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    CHECK(item(phases, names[i]) != NULL);
    CHECK_EQ(num(item(phases, names[i]), "errors"), 0);
  }

  const cJSON *w = item(phases, "warranty"), *h = item(w, "device_history"),
              *walk = item(w, "batch_devices");
  CHECK_EQ(num(w, "devices"), 1100);
  CHECK(num(w, "items") > 0 && ratio_ok(w, "get"));
  CHECK(cJSON_IsTrue(item(h, "ran")) && num(h, "errors") == 0);
  CHECK_EQ(num(h, "facts"), 20);
  CHECK(ratio_ok(h, "get"));
  CHECK(cJSON_IsTrue(item(walk, "ran")) && num(walk, "errors") == 0);
  CHECK(num(walk, "walks") >= 3 && num(walk, "walk_ms") > 0);
  CHECK_EQ(num(walk, "pages"), 2);
  CHECK_EQ(num(walk, "items"), num(walk, "walks") * 1100);

  const cJSON *m = item(phases, "mixed");
  CHECK(num(m, "items") > 0 && num(m, "chains_done") >= 1);
  CHECK(num(m, "items") >= num(m, "chains_done") * 8);
  CHECK(ratio_ok(m, "append"));

  const cJSON *a = item(phases, "audit"), *v = item(a, "verify");
  CHECK(num(a, "items") > 0 && num(a, "checked") >= 1);
  CHECK(num(a, "entries") >= 40 && num(a, "bundle_bytes") > 0);
  CHECK_EQ(num(v, "errors"), 0);
  if (cJSON_IsTrue(item(v, "ran")))
    CHECK(num(v, "verify_ms") > 0);
  else
    CHECK(strstr(str(v, "note"), "not available") != NULL);
}

/* A phase that needs the inventory loads it itself when inventory-load is
 * not chosen, and leaves out what it cannot compare with. */
PL_TEST(query_phases_load_their_data_set) {
  CHECK(start() != NULL);
  static const char *const extra[] = {TINY, "--redis", "none", NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "near,trace", extra);
  CHECK(o != NULL);
  const cJSON *phases = item(o, "phases"), *nr = item(phases, "near");
  CHECK(item(phases, "inventory-load") == NULL && item(phases, "limit") == NULL);
  CHECK_EQ(num(nr, "errors"), 0);
  CHECK_EQ(num(item(phases, "trace"), "errors"), 0);
  CHECK(num(nr, "items") > 0 && num(item(phases, "trace"), "items") > 0);
  CHECK(ratio_ok(nr, "limit"));
  CHECK(!cJSON_IsTrue(item(item(nr, "redis"), "ran")) && item(nr, "redis_ratio") == NULL);
  CHECK(strstr(str(item(nr, "redis"), "note"), "--redis none") != NULL);
}

/* A radius under the 20 km that probes near stock may lie from their site:
 * they are placed inside it, so that every answer next to stock still has a
 * site, and the run is clean. */
PL_TEST(near_small_radius_runs_clean) {
  CHECK(start() != NULL);
  static const char *const extra[] = {TINY, "--redis", "none", "--near-km", "1", NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "near", extra);
  CHECK(o != NULL);
  const cJSON *nr = item(item(o, "phases"), "near");
  CHECK_EQ(num(nr, "errors"), 0);
  CHECK(num(nr, "items") > 0 && num(nr, "checked") > 0);
  CHECK(num(nr, "sites_per_reply") > 0);
  CHECK_EQ(num(nr, "radius_km"), 1);
}

PL_TEST_MAIN(PL_CASE(write_phases_against_the_limit), PL_CASE(limit_leaves_the_server_alone),
             PL_CASE(writer_io_missing_is_reported), PL_CASE(inventory_phases_run_clean),
             PL_CASE(repair_phases_run_clean), PL_CASE(query_phases_load_their_data_set),
             PL_CASE(near_small_radius_runs_clean))
